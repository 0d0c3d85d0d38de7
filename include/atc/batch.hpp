// Inputs, options and results of a batch computation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "atc/config.hpp"
#include "atc/gpu_context.hpp"
#include "atc/outputs.hpp"

namespace atc {

enum class Backend : std::uint8_t { Auto, Reference, Cpu, Cuda };
std::string_view backend_name(Backend backend);
std::optional<Backend> parse_backend(std::string_view name);

// One symbol's series. Leading NaNs mean "not listed yet": the series starts at the
// first bar where close (and src) are finite. `src` empty means src = close.
struct SeriesView {
  std::string_view symbol;
  std::span<const double> close;
  std::span<const double> src;
};

// Interior gaps (NaN after the first valid bar): an error, or forward-filled (R = 0).
enum class GapPolicy : std::uint8_t { Error, ForwardFill };

// Floating-point type of the cuda backend's kernel (see ComputeOptions::precision).
enum class Precision : std::uint8_t { Float64, Float32 };

struct ComputeOptions {
  Backend backend = Backend::Auto;
  OutputRequest outputs{};
  int threads = 0;  // cpu backend: worker threads, 0 = all hardware threads
  GapPolicy gaps = GapPolicy::Error;
  // cuda backend
  int streams = 4;                  // CUDA streams of the batch pipeline
  std::size_t chunk_symbols = 0;    // symbols per chunk, 0 = chosen from free memory
  std::size_t device_memory_limit = 0;  // bytes the pipeline may use per device, 0 = free memory
  std::vector<int> devices;         // CUDA devices to use, empty = all visible
  // Float32 runs the fused kernel's float32 variant: ~1.1x the float64 kernel on an H200,
  // but not exact beyond its window crossovers (H200, 10,000 x 10,000: 0.02-0.4% of
  // X_Signal values and 0.001-0.02% of the classification outputs differ from float64;
  // bench/RESULTS.md). The other backends always compute in float64.
  Precision precision = Precision::Float64;
  // Cancellation: the backends poll it between units of work (a series, a SIMD group of
  // symbols, a chunk) and compute_batch throws atc::Cancelled once a stop is requested.
  std::stop_token stop;
  // Where the cuda backend keeps its streams, buffers and graphs between calls
  // (atc/gpu_context.hpp); nullptr: default_gpu_context(). The context must outlive the call.
  GpuContext* gpu_context = nullptr;
};

enum class StatusCode : std::uint8_t {
  Ok,
  Empty,             // no bar with a finite close
  NonFinite,         // interior NaN/inf in close or src
  NonPositivePrice,  // close <= 0
  TooShort,          // fewer bars than the slowest MA needs
  GrowthOverflow,    // La * (n - 1 - cutout) > 700
  TickRange,         // prices outside the range of exact window arithmetic (docs/SEMANTICS.md §3a)
  EquityOverflow,    // an equity became non-finite (docs/SEMANTICS.md §10); `bar` is the first such bar
};
std::string_view status_code_name(StatusCode code);

struct SymbolStatus {
  StatusCode code = StatusCode::Ok;
  std::int64_t bar = -1;     // offending bar (index into the input series), -1 if none
  std::string message;       // full sentence naming the symbol, bar and reason
  std::size_t filled_bars = 0;  // bars forward-filled under GapPolicy::ForwardFill
  bool ok() const { return code == StatusCode::Ok; }
};

struct BatchResult {
  std::vector<std::string> symbols;
  std::vector<SymbolStatus> status;
  BatchOutputs outputs;
  Backend backend = Backend::Reference;  // the backend that actually ran

  std::size_t ok_count() const;
  std::size_t error_count() const { return status.size() - ok_count(); }
};

}  // namespace atc
