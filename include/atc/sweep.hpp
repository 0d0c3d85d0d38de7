// Parameter sweeps: many configurations × a universe of symbols, each pair reduced to
// its last bar's outputs and its backtest metrics (docs/SEMANTICS.md §12). Memory holds
// one configuration's bars × symbols at a time (per CUDA stream), never bars ×
// configurations × symbols.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "atc/backtest.hpp"
#include "atc/batch.hpp"
#include "atc/config.hpp"

namespace atc {

/// A (configuration, symbol) pair of a sweep, by index.
struct SweepPair {
  std::size_t config = 0, symbol = 0;
  bool operator==(const SweepPair&) const = default;
};

struct SweepOptions {
  /// Backend, threads, gaps, CUDA streams and devices, cancellation. `outputs` and
  /// `precision` are not used: a sweep computes in float64 what its rows need.
  ComputeOptions compute{};
  BacktestOptions backtest{};
  /// Bars per year of each symbol, for a universe of several bar sizes (empty: every
  /// symbol has backtest.bars_per_year).
  std::vector<double> bars_per_year;
  /// Pairs whose whole Average_Signal and position series are kept (SweepResult::kept).
  std::vector<SweepPair> keep;
};

/// One (configuration, symbol) pair: its status, last bar and metrics.
struct SweepRow {
  std::size_t config = 0, symbol = 0;
  /// Ok, or why this pair was not computed (too short for the configuration's lengths,
  /// a bad price, an equity that overflowed, a backtest that overflowed); the other
  /// rows are computed regardless.
  SymbolStatus status;
  double average_signal = 0.0;  ///< at the last bar (NaN when undefined or not ok)
  std::int8_t trend = 0, state = 0, direction = 0, long_entry = 0, short_entry = 0;  ///< at the last bar
  BacktestMetrics metrics{};  ///< zero when not ok
};

/// A kept pair's whole series (SweepOptions::keep), one value per input bar.
struct SweepSeries {
  SweepPair pair;
  std::vector<double> average_signal;
  std::vector<std::int8_t> position;  ///< the backtest's position (source and side applied)
};

struct SweepResult {
  std::vector<std::string> symbols;
  std::size_t configs = 0;
  /// Row of pair (c, s) at c · symbols.size() + s.
  std::vector<SweepRow> rows;
  std::vector<SweepSeries> kept;  ///< in the order of SweepOptions::keep
  Backend backend = Backend::Reference;
  /// Device memory the cuda backend held at its peak (0 on the host backends).
  std::size_t device_bytes = 0;
  /// CUDA streams it ran on (0 on the host backends): at least ComputeOptions::streams,
  /// more for a small universe, whose configurations are latency-bound one by one.
  int streams = 0;

  const SweepRow& row(std::size_t config, std::size_t symbol) const { return rows[config * symbols.size() + symbol]; }
};

/// Computes every (configuration, symbol) pair. Every row is the same bits as
/// compute_batch with that configuration followed by backtest() on the symbol's close
/// and position. Throws ConfigError (naming the configuration's index) before
/// computing anything when a configuration or the backtest options are invalid, and
/// InputError for a kept pair out of range.
SweepResult sweep(std::span<const SeriesView> input, std::span<const Config> configs, const SweepOptions& options = {});

/// A configuration's score over the symbols: the mean or median of one metric over its
/// ok rows.
enum class Aggregate : std::uint8_t { Mean, Median };
std::optional<Aggregate> parse_aggregate(std::string_view name);  // "mean", "median"

struct ConfigScore {
  std::size_t config = 0;
  double value = 0.0;   ///< NaN when no row of the configuration is ok
  std::size_t rows = 0;  ///< ok rows aggregated
};

/// Every configuration, best first (by MetricInfo::higher_is_better; configurations
/// with no ok row last, ties by index).
std::vector<ConfigScore> rank_configs(const SweepResult& result, Metric metric, Aggregate aggregate = Aggregate::Mean);

}  // namespace atc
