// RAII owners of CUDA runtime objects for the host code of the cuda backend (device
// selection, device / pinned / pageable memory, executable graphs) and the two errors
// the streamed pipeline recovers from. Host code only.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "atc/error.hpp"

namespace atc::cuda {

constexpr std::size_t kAlign = 256;  // every region of a pipeline slot starts on a 256-byte boundary
constexpr std::size_t align_up(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// cudaErrorMemoryAllocation: the run retries with chunks half as large.
struct OutOfMemory : Error {
  using Error::Error;
};
// The device did not finish in time: the run's pipelines are abandoned, not freed
// (freeing would wait on the unfinished work).
struct Timeout : Error {
  using Error::Error;
};

// Throws OutOfMemory for cudaErrorMemoryAllocation (cleared first), else a CUDA error.
void check_allocation(cudaError_t status, const char* what, std::size_t bytes);

// Makes `device` current for the calling thread and restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  ~DeviceGuard();

 private:
  int previous_ = 0;
};

enum class Where : std::uint8_t { Device, Pinned, Pageable };

// Untyped bytes on the device, in pinned host memory or in pageable host memory.
class Memory {
 public:
  Memory() = default;
  Memory(std::size_t bytes, Where where);
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;
  ~Memory();
  std::byte* data() const { return static_cast<std::byte*>(data_); }
  std::size_t bytes() const { return bytes_; }

 private:
  Where where_ = Where::Device;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

// An instantiated graph.
class GraphExec {
 public:
  GraphExec() = default;
  // Ends the capture on `stream` and instantiates what it recorded.
  static GraphExec end_capture(cudaStream_t stream);
  GraphExec(GraphExec&& other) noexcept : exec_(std::exchange(other.exec_, nullptr)) {}
  GraphExec& operator=(GraphExec&&) = delete;
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;
  ~GraphExec();
  void launch(cudaStream_t stream) const;

 private:
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace atc::cuda
