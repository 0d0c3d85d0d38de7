// Computing prices that already sit in GPU memory (the cuda backend), CUB/libcudf style:
// device pointers in and out, an explicit CUDA stream and caller-owned workspace. The
// prices are validated, their tick scales found and the outputs written on the device;
// only per-symbol metadata (a few dozen bytes a symbol) crosses to the host, for the
// statuses. The same bits as compute_batch on the same prices.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "atc/batch.hpp"
#include "atc/config.hpp"

namespace atc {

/// Element type of a device table.
enum class DeviceDType : std::uint8_t { Float64, Float32 };

/// A bars × symbols table in device memory: the value of bar t of symbol s is at
/// element t·bar_stride + s·symbol_stride of `data` (strides in elements, any order,
/// any sign). Leading NaNs mark a symbol listed late. Float32 values are widened to
/// float64 on the device (exactly) before anything else.
struct DeviceTable {
  const void* data = nullptr;
  DeviceDType dtype = DeviceDType::Float64;
  std::size_t bars = 0, symbols = 0;
  std::int64_t bar_stride = 1, symbol_stride = 0;

  /// Whether the engine reads it in place: float64, each symbol's bars contiguous and
  /// the symbols one after another (a column-major bars × symbols array).
  bool in_place() const {
    return dtype == DeviceDType::Float64 && bar_stride == 1 && symbol_stride == static_cast<std::int64_t>(bars);
  }
};

/// Output columns in device memory, each holding bars × symbols values with symbol s's
/// bars at [s·bars, (s + 1)·bars) (a column-major bars × symbols array). A null column is
/// not computed. Bars before a symbol's listing, and every bar of a symbol that failed,
/// hold NaN (real columns), kHundredthsNaN (hundredths) or 0 (discrete), as in BatchOutputs.
struct DeviceOutputs {
  double* average_signal = nullptr;  ///< always required
  std::array<double*, kFamilies> family_signal{};
  std::array<std::int8_t*, kFamilies> family_signal_hundredths{};  ///< the same signals, compact
  std::array<double*, kFamilies> family_equity{};
  std::int8_t *trend = nullptr, *state = nullptr, *direction = nullptr, *long_entry = nullptr,
              *short_entry = nullptr;
};

/// Device bytes of workspace compute_device needs for these inputs and outputs (the
/// float64 copies of tables not read in place, per-symbol records, the Layer-1 signals
/// passed between the kernels).
std::size_t device_workspace_bytes(const DeviceTable& close, const DeviceTable* src, const DeviceOutputs& out);

/// Computes every symbol of `close` (and `src`, same shape, or null) into `out`, on the
/// device that holds `close`, in `stream` (a cudaStream_t; null = the legacy default
/// stream), after the work already queued there. `workspace` holds at least
/// device_workspace_bytes(...) bytes. Returns each symbol's status (docs/SEMANTICS.md
/// §10, the messages of compute_batch). It synchronizes `stream` twice (after the checks
/// of the prices, and at the end for the equity checks): the outputs are complete when it
/// returns. options.backend must be Auto or Cuda; GapPolicy::ForwardFill is not supported
/// here (a symbol with an interior gap is a non-finite error; copy to the host to fill).
/// Throws ConfigError, BackendUnavailable, InputError (shapes, null pointers, too small a
/// workspace) or atc::Error (a CUDA error).
std::vector<SymbolStatus> compute_device(const DeviceTable& close, const DeviceTable* src,
                                         std::span<const std::string> symbols, const Config& config,
                                         const ComputeOptions& options, const DeviceOutputs& out, void* workspace,
                                         std::size_t workspace_bytes, void* stream);

/// Device memory for front ends without an allocator of their own (the Python package
/// when CuPy, whose memory pool it uses otherwise, is missing): cudaMalloc / cudaFree on
/// the current device. device_allocate throws atc::Error naming
/// the bytes when the device has too little free memory.
void* device_allocate(std::size_t bytes);
void device_free(void* pointer) noexcept;
/// Copies `bytes` from device memory to host memory (synchronous).
void device_to_host(void* host, const void* device, std::size_t bytes);
/// The device holding `pointer`, or -1 when it is not device memory.
int device_of(const void* pointer);

}  // namespace atc
