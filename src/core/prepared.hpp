// Host-side logic shared by every backend: input validation and trimming (§10),
// output columns, and the backend entry points.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "atc/batch.hpp"
#include "atc/config.hpp"
#include "atc/outputs.hpp"
#include "exact.hpp"

namespace atc::detail {

// A validated series: bars [start, start + n) of the input, n >= config.min_bars().
struct PreparedSeries {
  const double* close = nullptr;  // bar 0 of the computed series (input bar `start`)
  const double* src = nullptr;    // equals close when no src was given
  std::size_t n = 0;
  std::size_t out_offset = 0;  // row of the computed series' bar 0 in BatchOutputs
  exact::TickScale ticks;      // §3a.1
  double max_tick = 0.0;       // largest |tick| of its values (SeriesTicks)
  bool ticks_representable = true;
  bool wide = false;           // window sums need 128-bit integers (else exact in doubles)
};

struct PreparedBatch {
  std::vector<PreparedSeries> series;     // symbols that passed validation
  std::vector<std::size_t> batch_index;   // their index in the input batch
  std::vector<std::vector<double>> filled;  // forward-filled copies (GapPolicy::ForwardFill)
  std::size_t max_bars = 0;
  bool any_wide = false;  // some series needs the wide (128-bit) window sums
};

// Validates every symbol, writing status[i] for each; symbols that fail are left out.
// Two steps: prepare_prices checks what does not depend on the configuration (finite,
// positive prices, gaps) and finds each series' ticks; admit checks a series against a
// configuration (enough bars, cutout, growth, tick range) and decides its sum width. A
// sweep runs the first once and the second per configuration.
// Both check the symbols on up to `threads` threads (0 = the hardware's; one for small
// batches), with the same results for any number.
PreparedBatch prepare_prices(std::span<const SeriesView> input, GapPolicy gaps, std::span<const std::size_t> out_offsets,
                             std::vector<SymbolStatus>& status, int threads = 0);
SymbolStatus admit(const PreparedSeries& series, std::string_view symbol, const Config& config, bool& wide);
// The statuses prepare_prices gives, for checks made elsewhere (on the device): a series
// with no valid bar, and the first bad bar after its start (close not finite, close <= 0,
// else src not finite; src = close without one).
SymbolStatus empty_status(std::string_view symbol);
SymbolStatus bad_bar_status(std::string_view symbol, std::int64_t bar, double close, double src);
PreparedBatch prepare(std::span<const SeriesView> input, const Config& config,
                      GapPolicy gaps, std::span<const std::size_t> out_offsets,
                      std::vector<SymbolStatus>& status, int threads = 0);

// Makes every series with a non-finite equity (nonfinite_equity_bar[k] >= 0) an
// EquityOverflow error of its symbol: status names the input bar, its rows hold NaN / 0.
void fail_nonfinite_equities(const PreparedBatch& batch, std::span<const SeriesView> input,
                             std::span<const std::int64_t> nonfinite_equity_bar,
                             std::span<const std::size_t> out_offsets, std::vector<SymbolStatus>& status,
                             BatchOutputs& outputs);

// Raw pointers to the requested output columns (null when not requested).
struct OutputColumns {
  double* average_signal = nullptr;
  std::array<double*, kFamilies> family_signal{}, family_equity{};
  std::array<std::int8_t*, kFamilies> family_signal_hundredths{};  // instead of family_signal (compact)
  std::int8_t *trend = nullptr, *state = nullptr, *direction = nullptr,
              *long_entry = nullptr, *short_entry = nullptr;
  int calibration_family = -1;  // Family index, or -1
  std::array<double*, kLengthsPerFamily> ma{}, ma_equity{};
  std::array<std::int8_t*, kLengthsPerFamily> ma_signal{};
  // Per prepared series (index into PreparedBatch::series), always given: the first bar
  // of the computed series at which an equity is not finite (§10), or -1. Every backend
  // writes it for every series; the caller turns a bar into an error of that symbol.
  std::int64_t* nonfinite_equity_bar = nullptr;
};
OutputColumns columns_of(BatchOutputs& outputs);

// g[t] = exp(La·(t − cutout)) for t < n, shared by all symbols of a batch.
std::vector<double> growth_table(const Config& config, std::size_t n);

// "symbol 'X', bar N: reason" (no bar when bar < 0): how every status message reads.
std::string symbol_message(std::string_view symbol, std::int64_t bar, const std::string& reason);
// The reason of StatusCode::EquityOverflow (§10), for the batch and the live engine alike.
inline constexpr std::string_view kEquityOverflowReason =
    "an equity curve is no longer finite (the growth-weighted returns compound beyond the range of doubles); "
    "use fewer bars, a smaller lambda or smaller family weights";

// Throws atc::Cancelled when a stop was requested (ComputeOptions::stop).
void throw_if_cancelled(const std::stop_token& stop);

// Backends: each writes the rows [out_offset, out_offset + n) of every prepared series,
// polling `stop` (or options.stop) between units of work.
void run_reference(const PreparedBatch& batch, const Config& config, OutputColumns out, const std::stop_token& stop);
void run_cpu(const PreparedBatch& batch, const Config& config, OutputColumns out, int threads,
             const std::stop_token& stop);
// Defined in the CUDA backend when it is built (src/cuda), else in src/core/no_cuda.cpp.
bool cuda_built();
bool cuda_device_usable();
void run_cuda(const PreparedBatch& batch, const Config& config, OutputColumns out,
              const ComputeOptions& options);
// Page-locks / releases a host range for direct transfers (false: not pinned by this
// call, e.g. no CUDA device or already pinned).
bool cuda_host_register(const void* data, std::size_t bytes);
void cuda_host_unregister(const void* data);

}  // namespace atc::detail
