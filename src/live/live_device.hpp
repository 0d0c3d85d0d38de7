// The live states of a LiveEngine on the cuda backend, resident on the device
// (src/cuda/live.cu): one launch per bar advances every symbol with live_step.hpp's
// step, the inputs and outputs pass through pinned buffers. Host code only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "live_state.hpp"

namespace atc::detail::live {

// One bar's outputs of every symbol as the device wrote them (pinned host memory, valid
// until the next step), n values a column.
struct DeviceBarColumns {
  const double* average = nullptr;
  std::array<const double*, kFamilies> family_signal{}, family_equity{};
  std::array<const std::int8_t*, 5> classification{};  // trend, state, direction, long, short entry
  const std::int64_t* bars = nullptr;       // the symbol's valid bars after this bar
  const std::int64_t* fatal_bar = nullptr;  // Core::fatal_bar
  const std::uint8_t* updated = nullptr;    // 1: the symbol took a bar
  const std::uint8_t* fatal = nullptr;      // Core::fatal (a StatusCode)
};

// The states of a universe on the current CUDA device. The host's copy is the one of
// record for adding, removing and saving: upload() replaces the device's with it,
// download() brings the device's back.
class DeviceStates {
 public:
  // Throws BackendUnavailable without a usable device.
  explicit DeviceStates(const Params& params);
  ~DeviceStates();
  DeviceStates(const DeviceStates&) = delete;
  DeviceStates& operator=(const DeviceStates&) = delete;

  void upload(std::span<const SymbolState> states);
  void download(std::span<SymbolState> states);

  // Pinned input columns of size() values, written by the host before step(): the bar's
  // close and src of each symbol, and whether it takes the bar (1) or holds (0).
  double* close_input();
  double* src_input();
  std::uint8_t* take_input();

  // Advances every symbol with take = 1 by its bar (src: src_input() when own_src, else
  // the close) in one launch and returns the outputs; commit = false leaves the states as
  // they were (the bar runs on a copy of them, made on the device).
  DeviceBarColumns step(bool own_src, bool commit);

  std::size_t size() const;

  // With timing on, each step() times its kernel with CUDA events (for the benchmarks).
  void time_kernel(bool on);
  double last_kernel_ms() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atc::detail::live
