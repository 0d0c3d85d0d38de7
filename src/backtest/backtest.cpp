#include "atc/backtest.hpp"

#include <array>
#include <cmath>
#include <string>

#include "atc/error.hpp"
#include "backtest.hpp"

namespace atc {
namespace {

constexpr std::array<MetricInfo, 9> kMetrics{{
    {Metric::TotalReturn, "total_return", true, "compounded net return"},
    {Metric::AnnualReturn, "annual_return", true, "compounded net return per year"},
    {Metric::AnnualVolatility, "annual_volatility", false, "standard deviation of the period returns, per year"},
    {Metric::Sharpe, "sharpe", true, "annualised mean over standard deviation of the period returns"},
    {Metric::MaxDrawdown, "max_drawdown", false, "largest fall from a running peak of the equity"},
    {Metric::Exposure, "exposure", true, "share of periods in a position"},
    {Metric::HitRate, "hit_rate", true, "share of trades with a positive net return"},
    {Metric::Trades, "trades", true, "entries into a position"},
    {Metric::Periods, "periods", true, "bar-to-bar periods backtested"},
}};

constexpr std::array<std::string_view, 2> kSourceNames{"state", "direction"};
constexpr std::array<std::string_view, 3> kSideNames{"long-short", "long-only", "short-only"};

}  // namespace

std::string_view position_source_name(PositionSource source) { return kSourceNames[static_cast<int>(source)]; }
std::optional<PositionSource> parse_position_source(std::string_view name) {
  for (std::size_t i = 0; i < kSourceNames.size(); ++i)
    if (name == kSourceNames[i]) return static_cast<PositionSource>(i);
  return std::nullopt;
}
std::string_view position_side_name(PositionSide side) { return kSideNames[static_cast<int>(side)]; }
std::optional<PositionSide> parse_position_side(std::string_view name) {
  for (std::size_t i = 0; i < kSideNames.size(); ++i)
    if (name == kSideNames[i]) return static_cast<PositionSide>(i);
  return std::nullopt;
}

void BacktestOptions::validate() const {
  if (!std::isfinite(fee_bps) || fee_bps < 0.0)
    throw ConfigError("fee_bps must be a finite number >= 0, got " + std::to_string(fee_bps));
  if (!std::isfinite(bars_per_year) || bars_per_year <= 0.0)
    throw ConfigError("bars_per_year must be a finite number > 0, got " + std::to_string(bars_per_year));
}

std::span<const MetricInfo> metrics() { return kMetrics; }

std::optional<Metric> parse_metric(std::string_view name) {
  for (const MetricInfo& m : kMetrics)
    if (m.name == name) return m.metric;
  return std::nullopt;
}

double metric_value(const BacktestMetrics& m, Metric metric) {
  switch (metric) {
    case Metric::TotalReturn: return m.total_return;
    case Metric::AnnualReturn: return m.annual_return;
    case Metric::AnnualVolatility: return m.annual_volatility;
    case Metric::Sharpe: return m.sharpe;
    case Metric::MaxDrawdown: return m.max_drawdown;
    case Metric::Exposure: return m.exposure;
    case Metric::HitRate: return m.hit_rate;
    case Metric::Trades: return static_cast<double>(m.trades);
    case Metric::Periods: return static_cast<double>(m.periods);
  }
  return 0.0;
}

namespace backtest_detail {

double fee_rate(const BacktestOptions& options) { return options.fee_bps / 10'000.0; }

std::optional<BacktestMetrics> finish(const Accumulator& a, double bars_per_year) {
  BacktestMetrics m;
  m.periods = a.periods;
  m.trades = a.trades;
  m.total_return = a.equity - 1.0;
  m.max_drawdown = a.max_drawdown;
  if (a.periods > 0) {
    const double periods = static_cast<double>(a.periods);
    m.annual_return = a.equity > 0.0 ? std::pow(a.equity, bars_per_year / periods) - 1.0 : -1.0;
    m.exposure = static_cast<double>(a.in_market) / periods;
  }
  if (a.periods > 1) {
    const double deviation = std::sqrt(a.m2 / static_cast<double>(a.periods - 1));
    m.annual_volatility = deviation * std::sqrt(bars_per_year);
    if (deviation > 0.0) m.sharpe = a.mean / deviation * std::sqrt(bars_per_year);
  }
  if (a.trades > 0) m.hit_rate = static_cast<double>(winning_trades(a)) / static_cast<double>(a.trades);
  for (const MetricInfo& info : kMetrics)
    if (!std::isfinite(metric_value(m, info.metric))) return std::nullopt;
  return m;
}

}  // namespace backtest_detail

BacktestMetrics backtest(std::span<const double> close, std::span<const std::int8_t> position,
                         const BacktestOptions& options, std::span<const double> src) {
  options.validate();
  if (close.size() != position.size())
    throw InputError("backtest: " + std::to_string(close.size()) + " closes but " + std::to_string(position.size()) +
                     " positions");
  if (!src.empty() && src.size() != close.size())
    throw InputError("backtest: " + std::to_string(close.size()) + " closes but " + std::to_string(src.size()) +
                     " src values");
  for (std::size_t t = 0; t < position.size(); ++t)
    if (position[t] < -1 || position[t] > 1)
      throw InputError("backtest: position " + std::to_string(position[t]) + " at bar " + std::to_string(t) +
                       " (positions are -1, 0 or +1)");
  std::size_t start = 0;
  while (start < close.size() && !(std::isfinite(close[start]) && (src.empty() || std::isfinite(src[start])))) ++start;
  backtest_detail::Accumulator a;
  const double fee = backtest_detail::fee_rate(options);
  const int side = static_cast<int>(options.side);
  double previous = 0.0;
  for (std::size_t t = start; t < close.size(); ++t) {
    const double current = std::isnan(close[t]) ? previous : close[t];
    if (!std::isfinite(current) || current <= 0.0)
      throw InputError("backtest: close is " + std::to_string(current) + " at bar " + std::to_string(t) +
                       " (prices must be finite and > 0)");
    if (t > start)
      backtest_detail::step(a, backtest_detail::side_position(position[t - 1], side), current / previous, fee);
    previous = current;
  }
  const auto m = backtest_detail::finish(a, options.bars_per_year);
  if (!m) throw InputError(std::string(backtest_detail::kOverflowReason));
  return *m;
}

}  // namespace atc
