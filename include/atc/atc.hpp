// atc: Adaptive Trend Classification for many symbols at once.
// Semantics: docs/SEMANTICS.md. Umbrella header of the public C++ API.
#pragma once

#include <span>

#include "atc/backtest.hpp"
#include "atc/batch.hpp"
#include "atc/config.hpp"
#include "atc/device.hpp"
#include "atc/error.hpp"
#include "atc/gpu_context.hpp"
#include "atc/live.hpp"
#include "atc/outputs.hpp"
#include "atc/pinned.hpp"
#include "atc/sweep.hpp"

namespace atc {

// Computes every symbol of `input`. Throws ConfigError for invalid parameters and
// BackendUnavailable when an explicitly requested backend cannot run; problems of
// one symbol are reported in result.status and never affect the other symbols.
BatchResult compute_batch(std::span<const SeriesView> input, const Config& config,
                          const ComputeOptions& options = {});
// The same into `result`, whose output columns are reused when they already have the
// size this batch needs (no allocation, and pins from atc/pinned.hpp stay valid): for
// repeated scans of one universe, e.g. a live scanner re-running every bar.
void compute_batch(std::span<const SeriesView> input, const Config& config, const ComputeOptions& options,
                   BatchResult& result);

// A time-aligned table: `n_symbols` columns of `n_bars` each, column s at
// close[s * n_bars]. Leading NaNs mark symbols listed later than the others.
BatchResult compute_table(std::span<const double> close, std::size_t n_bars,
                          std::span<const std::string> symbols, const Config& config,
                          const ComputeOptions& options = {},
                          std::span<const double> src = {});

// A ragged batch in one contiguous buffer: symbol i occupies [offsets[i], offsets[i+1])
// of close (and src, when given). Throws InputError when the offsets do not describe
// the buffer; the outputs use the same offsets.
BatchResult compute_ragged(std::span<const double> close, std::span<const std::size_t> offsets,
                           std::span<const std::string> symbols, const Config& config,
                           const ComputeOptions& options = {}, std::span<const double> src = {});

// One symbol. Throws InputError (with the bar and reason) if it cannot be computed.
BatchResult compute(std::span<const double> close, const Config& config,
                    const ComputeOptions& options = {}, std::span<const double> src = {},
                    std::string_view symbol = "series");

// True when the CUDA backend was built and a usable device is present.
bool cuda_available();
// The backend `requested` resolves to here (Auto -> Cuda if available, else Cpu).
Backend resolve_backend(Backend requested);

}  // namespace atc
