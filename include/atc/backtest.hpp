// Backtest metrics of ATC signals (docs/SEMANTICS.md §12): how a position taken from the
// classification would have traded, one symbol at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace atc {

/// Which classification output the position follows.
enum class PositionSource : std::uint8_t {
  State,      ///< +1 above the long threshold, -1 below the short one, else flat
  Direction,  ///< the persistent direction of the last threshold crossing (flat before it)
};
std::string_view position_source_name(PositionSource source);  // "state", "direction"
std::optional<PositionSource> parse_position_source(std::string_view name);

/// Which sides of the position are taken.
enum class PositionSide : std::uint8_t {
  LongShort,  ///< +1 long, -1 short
  LongOnly,   ///< short positions are flat
  ShortOnly,  ///< long positions are flat
};
std::string_view position_side_name(PositionSide side);  // "long-short", "long-only", "short-only"
std::optional<PositionSide> parse_position_side(std::string_view name);

/// How positions become returns.
struct BacktestOptions {
  PositionSource source = PositionSource::State;
  PositionSide side = PositionSide::LongShort;
  /// Cost of a change of position in basis points of the position's size: a flip from
  /// long to short changes it by 2 and costs twice this.
  double fee_bps = 0.0;
  /// Bars in a year, for the annualised figures (365 for daily crypto, 252 for daily
  /// equities, 8760 for hourly crypto). The front ends infer it from timestamps.
  double bars_per_year = 365.0;

  /// Throws ConfigError naming the invalid field (fee_bps < 0 or not finite,
  /// bars_per_year <= 0 or not finite).
  void validate() const;
};

/// The metrics of one backtested series (docs/SEMANTICS.md §12).
struct BacktestMetrics {
  double total_return = 0.0;       ///< compounded net return over every period
  double annual_return = 0.0;      ///< (1 + total_return)^(bars_per_year / periods) - 1
  double annual_volatility = 0.0;  ///< sample standard deviation of the period returns · √bars_per_year
  double sharpe = 0.0;             ///< mean / standard deviation · √bars_per_year (0 when the deviation is 0)
  double max_drawdown = 0.0;       ///< largest fall of the equity from its running peak, as a fraction
  double exposure = 0.0;           ///< share of periods spent in a position
  double hit_rate = 0.0;           ///< share of trades whose compounded net return is > 0 (0 without trades)
  std::int64_t trades = 0;         ///< entries into a long or short position (a flip is a new trade)
  std::int64_t periods = 0;        ///< bar-to-bar periods: computed bars - 1
};

/// The metrics, by name, for every front end (CSV/JSON columns, Python, rankings).
enum class Metric : std::uint8_t {
  TotalReturn, AnnualReturn, AnnualVolatility, Sharpe, MaxDrawdown, Exposure, HitRate, Trades, Periods,
};
struct MetricInfo {
  Metric metric;
  std::string_view name;     ///< "total_return", ...
  bool higher_is_better;     ///< how a ranking orders it
  std::string_view help;
};
/// Every metric in the order of BacktestMetrics.
std::span<const MetricInfo> metrics();
std::optional<Metric> parse_metric(std::string_view name);
double metric_value(const BacktestMetrics& m, Metric metric);

/// Backtests one series: `close` and `position` have one value per bar. The series
/// starts where compute_batch starts it, at the first bar whose close (and src, when
/// given) is finite; an interior NaN close repeats the previous close (a return of 0,
/// like GapPolicy::ForwardFill).
/// `position` is the classification output named by options.source (state or
/// direction, -1/0/+1), restricted to options.side. Throws InputError when the sizes
/// differ or a position is not -1, 0 or +1, ConfigError for invalid options.
BacktestMetrics backtest(std::span<const double> close, std::span<const std::int8_t> position,
                         const BacktestOptions& options, std::span<const double> src = {});

}  // namespace atc
