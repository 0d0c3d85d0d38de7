// Backtest metrics (docs/SEMANTICS.md §12) and parameter sweeps on the host backends.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "atc/config_io.hpp"
#include "atc/io.hpp"
#include "support/batch.hpp"
#include "support/market_data.hpp"
#include "support/random_walk.hpp"
#include "support/sweep_check.hpp"

namespace atc {
namespace {

using test::OwnedBatch;

// The metrics the plain way: a vector of net returns, then each metric by its formula
// (two-pass variance, drawdown from the running peak, trades from position changes).
BacktestMetrics plain_backtest(const std::vector<double>& close, const std::vector<std::int8_t>& position,
                               double fee_bps, double bars_per_year) {
  std::vector<double> net;
  std::vector<int> trade_of;  // trade index of each period, -1 flat
  int trades = -1;
  for (std::size_t t = 1; t < close.size(); ++t) {
    const int held = position[t - 1], before = t >= 2 ? position[t - 2] : 0;
    if (held != before && held != 0) ++trades;
    net.push_back(held * (close[t] / close[t - 1] - 1.0) - fee_bps / 1e4 * std::abs(held - before));
    trade_of.push_back(held != 0 ? trades : -1);
  }
  BacktestMetrics m;
  m.periods = static_cast<std::int64_t>(net.size());
  m.trades = trades + 1;
  double equity = 1.0, peak = 1.0;
  for (double r : net) {
    equity *= 1.0 + r;
    peak = std::max(peak, equity);
    m.max_drawdown = std::max(m.max_drawdown, 1.0 - equity / peak);
  }
  m.total_return = equity - 1.0;
  const double n = static_cast<double>(net.size());
  m.annual_return = std::pow(equity, bars_per_year / n) - 1.0;
  const double mean = std::accumulate(net.begin(), net.end(), 0.0) / n;
  double ss = 0.0;
  for (double r : net) ss += (r - mean) * (r - mean);
  const double sd = std::sqrt(ss / (n - 1.0));
  m.annual_volatility = sd * std::sqrt(bars_per_year);
  m.sharpe = sd > 0 ? mean / sd * std::sqrt(bars_per_year) : 0.0;
  m.exposure = static_cast<double>(std::count_if(trade_of.begin(), trade_of.end(), [](int k) { return k >= 0; })) / n;
  std::vector<double> trade_equity(static_cast<std::size_t>(m.trades), 1.0);
  for (std::size_t k = 0; k < net.size(); ++k)
    if (trade_of[k] >= 0) trade_equity[static_cast<std::size_t>(trade_of[k])] *= 1.0 + net[k];
  m.hit_rate = m.trades > 0 ? static_cast<double>(std::count_if(trade_equity.begin(), trade_equity.end(),
                                                                [](double e) { return e > 1.0; })) /
                                  static_cast<double>(m.trades)
                            : 0.0;
  return m;
}

void expect_near_metrics(const BacktestMetrics& expected, const BacktestMetrics& actual) {
  const auto near = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(a)); };
  EXPECT_PRED2(near, expected.total_return, actual.total_return);
  EXPECT_PRED2(near, expected.annual_return, actual.annual_return);
  EXPECT_PRED2(near, expected.annual_volatility, actual.annual_volatility);
  EXPECT_PRED2(near, expected.sharpe, actual.sharpe);
  EXPECT_PRED2(near, expected.max_drawdown, actual.max_drawdown);
  EXPECT_EQ(expected.exposure, actual.exposure);
  EXPECT_EQ(expected.hit_rate, actual.hit_rate);
  EXPECT_EQ(expected.trades, actual.trades);
  EXPECT_EQ(expected.periods, actual.periods);
}

TEST(Backtest, MatchesThePlainFormulasOnATradedSeries) {
  const std::vector<double> close = test::grid_walk(2000, 3, 0.01, 50.0, 0.2);
  ComputeOptions options;
  options.backend = Backend::Reference;
  const BatchResult result = compute(close, Config{}, options);
  for (PositionSource source : {PositionSource::State, PositionSource::Direction})
    for (PositionSide side : {PositionSide::LongShort, PositionSide::LongOnly, PositionSide::ShortOnly})
      for (double fee : {0.0, 10.0}) {
        SCOPED_TRACE(std::string(position_source_name(source)) + " " + std::string(position_side_name(side)) +
                     " fee " + std::to_string(fee));
        const BacktestOptions bt{source, side, fee, 252.0};
        const std::vector<std::int8_t> position = test::position_of(result, 0, bt);
        const BacktestMetrics m = backtest(close, position, bt);
        EXPECT_GT(m.trades, 3);
        expect_near_metrics(plain_backtest(close, position, fee, 252.0), m);
      }
}

TEST(Backtest, HandWorkedExample) {
  // Long over 100 -> 110, flip short over 110 -> 99, flat over 99 -> 99.
  const std::vector<double> close{100.0, 110.0, 99.0, 99.0};
  const std::vector<std::int8_t> position{1, -1, 0, 1};
  const BacktestMetrics m = backtest(close, position, BacktestOptions{PositionSource::State, PositionSide::LongShort,
                                                                      100.0, 3.0});
  // Net returns: 0.1 - 0.01; 0.1 - 0.02; 0 - 0.01.
  const double e = (1.0 + (0.1 - 0.01)) * (1.0 + (0.1 - 0.02)) * (1.0 - 0.01);
  EXPECT_NEAR(m.total_return, e - 1.0, 1e-15);
  EXPECT_NEAR(m.annual_return, e - 1.0, 1e-15);  // 3 periods, 3 bars a year
  EXPECT_EQ(m.trades, 2);
  EXPECT_EQ(m.periods, 3);
  EXPECT_DOUBLE_EQ(m.exposure, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.hit_rate, 1.0);
  EXPECT_NEAR(m.max_drawdown, 0.01, 1e-15);
}

TEST(Backtest, SkipsTheBarsBeforeTheListingAndFillsGaps) {
  const double nan = std::nan("");
  const std::vector<double> close{nan, nan, 10.0, 11.0, nan, 12.1};
  const std::vector<std::int8_t> position{0, 0, 1, 1, 1, 0};
  const BacktestMetrics m = backtest(close, position, BacktestOptions{});
  EXPECT_EQ(m.periods, 3);
  EXPECT_NEAR(m.total_return, 0.21, 1e-15);
  EXPECT_EQ(m.trades, 1);
}

TEST(Backtest, BadInputIsAClearError) {
  const std::vector<double> close{1.0, 2.0};
  EXPECT_THROW(backtest(close, std::vector<std::int8_t>{0}, BacktestOptions{}), InputError);
  EXPECT_THROW(backtest(close, std::vector<std::int8_t>{2, 0}, BacktestOptions{}), InputError);
  EXPECT_THROW(backtest(std::vector<double>{1.0, -2.0}, std::vector<std::int8_t>{1, 0}, BacktestOptions{}),
               InputError);
  BacktestOptions bad;
  bad.bars_per_year = 0.0;
  EXPECT_THROW(backtest(close, std::vector<std::int8_t>{1, 0}, bad), ConfigError);
  bad = BacktestOptions{};
  bad.fee_bps = -1.0;
  EXPECT_THROW(backtest(close, std::vector<std::int8_t>{1, 0}, bad), ConfigError);
}

TEST(Backtest, AnEquityThatOverflowsIsAnError) {
  std::vector<double> close;
  std::vector<std::int8_t> position;
  for (int t = 0; t < 200; ++t) {  // long through every rise, flat through every fall
    close.push_back(t % 2 == 0 ? 1.0 : 1e6);
    position.push_back(t % 2 == 0 ? 1 : 0);
  }
  try {
    backtest(close, position, BacktestOptions{});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no longer finite"), std::string::npos) << e.what();
  }
}

OwnedBatch sweep_universe() {
  OwnedBatch batch = test::ragged_batch({.symbols = 9, .min_bars = 90, .max_bars = 700, .max_leading_nans = 30,
                                         .seed = 17});
  batch.add("TIES", test::grid_walk(600, 5, 0.01, 20.0, 0.35));
  batch.add("SHORT", test::random_walk(12, 6));  // too short for every configuration
  std::vector<double> gap = test::random_walk(500, 7);
  gap[250] = std::nan("");
  batch.add("GAP", gap);
  batch.add("SRC", test::random_walk(400, 8), test::random_walk(400, 9));
  batch.src.back()[0] = std::nan("");  // src starts a bar after close
  return batch;
}

class HostSweep : public ::testing::TestWithParam<Backend> {};

TEST_P(HostSweep, EveryRowIsTheBatchAndBacktestOfItsConfiguration) {
  const OwnedBatch batch = sweep_universe();
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  for (const BacktestOptions bt : {BacktestOptions{PositionSource::State, PositionSide::LongShort, 5.0, 365.0},
                                   BacktestOptions{PositionSource::Direction, PositionSide::LongOnly, 0.0, 252.0},
                                   BacktestOptions{PositionSource::State, PositionSide::ShortOnly, 25.0, 8760.0}}) {
    for (GapPolicy gaps : {GapPolicy::Error, GapPolicy::ForwardFill}) {
      SweepOptions options;
      options.compute.backend = GetParam();
      options.compute.gaps = gaps;
      options.backtest = bt;
      const SweepResult result = sweep(views, configs, options);
      EXPECT_EQ(result.backend, GetParam());
      EXPECT_GT(test::expect_sweep_matches_batches(views, configs, options, result, GetParam()), 50u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, HostSweep, ::testing::Values(Backend::Reference, Backend::Cpu),
                         [](const auto& p) { return std::string(backend_name(p.param)); });

TEST(Sweep, CpuRowsEqualReferenceRows) {
  const OwnedBatch batch = sweep_universe();
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  SweepOptions options;
  options.compute.backend = Backend::Reference;
  const SweepResult reference = sweep(views, configs, options);
  options.compute.backend = Backend::Cpu;
  options.compute.threads = 2;
  const SweepResult cpu = sweep(views, configs, options);
  ASSERT_EQ(reference.rows.size(), cpu.rows.size());
  for (std::size_t i = 0; i < cpu.rows.size(); ++i) {
    EXPECT_EQ(reference.rows[i].status.message, cpu.rows[i].status.message);
    EXPECT_TRUE(test::same_bits(reference.rows[i].metrics.sharpe, cpu.rows[i].metrics.sharpe)) << i;
    EXPECT_TRUE(test::same_bits(reference.rows[i].metrics.total_return, cpu.rows[i].metrics.total_return)) << i;
  }
}

TEST(Sweep, ATooShortSymbolFailsOnlyItsRows) {
  const OwnedBatch batch = sweep_universe();
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  const SweepResult result = sweep(views, configs, SweepOptions{});
  const std::size_t too_short = 10;  // "SHORT": 12 bars
  ASSERT_EQ(result.symbols[too_short], "SHORT");
  for (std::size_t c = 0; c < configs.size(); ++c) {
    EXPECT_EQ(result.row(c, too_short).status.code, StatusCode::TooShort);
    EXPECT_NE(result.row(c, too_short).status.message.find("symbol 'SHORT'"), std::string::npos);
    EXPECT_TRUE(std::isnan(result.row(c, too_short).average_signal));
  }
  EXPECT_TRUE(result.row(0, 9).status.ok());  // TIES
  // Each configuration fails exactly the symbols with fewer valid bars than it needs.
  std::size_t too_short_rows = 0;
  for (std::size_t c = 0; c < configs.size(); ++c)
    for (std::size_t s = 0; s < 9; ++s) {
      const auto& close = batch.close[s];
      const auto valid = static_cast<std::size_t>(
          std::count_if(close.begin(), close.end(), [](double x) { return std::isfinite(x); }));
      const bool expected = valid < configs[c].min_bars() || static_cast<std::size_t>(configs[c].cutout) >= valid;
      EXPECT_EQ(result.row(c, s).status.code == StatusCode::TooShort, expected) << c << " " << s;
      too_short_rows += expected;
    }
  EXPECT_GT(too_short_rows, 0u);
  EXPECT_LT(too_short_rows, 9u * configs.size());
}

TEST(Sweep, KeptSeriesAreTheBatchesSeries) {
  const OwnedBatch batch = sweep_universe();
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  SweepOptions options;
  options.backtest.source = PositionSource::Direction;
  options.keep = {{1, 9}, {4, 0}, {1, 9}, {2, 10}};
  const SweepResult result = sweep(views, configs, options);
  ASSERT_EQ(result.kept.size(), 4u);
  for (const SweepSeries& kept : result.kept) {
    ComputeOptions batch_options;
    batch_options.backend = Backend::Cpu;
    const BatchResult expected = compute_batch(views, configs[kept.pair.config], batch_options);
    const SymbolOutputView view = expected.outputs.view(kept.pair.symbol);
    ASSERT_EQ(kept.average_signal.size(), view.bars());
    for (std::size_t t = 0; t < view.bars(); ++t) {
      EXPECT_TRUE(test::same_bits(view.average_signal[t], kept.average_signal[t])) << t;
      EXPECT_EQ(view.direction[t], kept.position[t]) << t;
    }
  }
  EXPECT_EQ(result.kept[2].pair, (SweepPair{1, 9}));
}

TEST(Sweep, InvalidConfigurationsAndPairsFailBeforeAnythingRuns) {
  const OwnedBatch batch = sweep_universe();
  const auto views = batch.views();
  std::vector<Config> configs = test::varied_configs();
  configs[3].decay = -1.0;
  try {
    sweep(views, configs, SweepOptions{});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("configuration 3"), std::string::npos) << e.what();
  }
  configs = test::varied_configs();
  SweepOptions options;
  options.keep = {{configs.size(), 0}};
  EXPECT_THROW(sweep(views, configs, options), InputError);
  options.keep.clear();
  options.backtest.bars_per_year = -1.0;
  EXPECT_THROW(sweep(views, configs, options), ConfigError);
}

TEST(Sweep, AnEquityOverflowFailsItsRowsWithTheBatchesBar) {
  test::expect_equity_overflow_rows_match_batches(Backend::Cpu);
}

TEST(Sweep, RanksConfigurationsByAnAggregatedMetric) {
  const OwnedBatch batch = sweep_universe();
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  const SweepResult result = sweep(views, configs, SweepOptions{});
  for (Aggregate aggregate : {Aggregate::Mean, Aggregate::Median}) {
    const auto ranking = rank_configs(result, Metric::Sharpe, aggregate);
    ASSERT_EQ(ranking.size(), configs.size());
    for (std::size_t i = 1; i < ranking.size(); ++i) EXPECT_GE(ranking[i - 1].value, ranking[i].value);
    for (const ConfigScore& score : ranking) {
      std::vector<double> values;
      for (std::size_t s = 0; s < views.size(); ++s)
        if (result.row(score.config, s).status.ok()) values.push_back(result.row(score.config, s).metrics.sharpe);
      ASSERT_EQ(score.rows, values.size());
      std::sort(values.begin(), values.end());
      const double expected = aggregate == Aggregate::Mean
                                  ? std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size())
                                  : (values.size() % 2 ? values[values.size() / 2]
                                                       : (values[values.size() / 2 - 1] + values[values.size() / 2]) / 2);
      EXPECT_NEAR(score.value, expected, 1e-12);
    }
  }
  const auto by_drawdown = rank_configs(result, Metric::MaxDrawdown);
  for (std::size_t i = 1; i < by_drawdown.size(); ++i) EXPECT_LE(by_drawdown[i - 1].value, by_drawdown[i].value);
}

TEST(Sweep, BarsPerYearMayDifferPerSymbol) {
  const OwnedBatch batch = sweep_universe();
  const auto views = batch.views();
  const std::vector<Config> configs{Config{}};
  SweepOptions options;
  options.compute.backend = Backend::Cpu;
  for (std::size_t s = 0; s < views.size(); ++s) options.bars_per_year.push_back(12.0 + 100.0 * static_cast<double>(s));
  const SweepResult result = sweep(views, configs, options);
  const BatchResult batch_result = compute_batch(views, configs[0], [] {
    ComputeOptions o;
    o.backend = Backend::Cpu;
    return o;
  }());
  std::size_t checked = 0;
  for (std::size_t s = 0; s < views.size(); ++s) {
    if (!result.row(0, s).status.ok()) continue;
    BacktestOptions bt = options.backtest;
    bt.bars_per_year = options.bars_per_year[s];
    const BacktestMetrics m = backtest(views[s].close, test::position_of(batch_result, s, bt), bt, views[s].src);
    EXPECT_TRUE(test::same_bits(m.annual_return, result.row(0, s).metrics.annual_return)) << s;
    EXPECT_TRUE(test::same_bits(m.sharpe, result.row(0, s).metrics.sharpe)) << s;
    ++checked;
  }
  EXPECT_GT(checked, 5u);
  options.bars_per_year.pop_back();
  EXPECT_THROW(sweep(views, configs, options), InputError);
  options.bars_per_year.push_back(-1.0);
  EXPECT_THROW(sweep(views, configs, options), ConfigError);
}

TEST(Sweep, RealMarketData) {
  const std::optional<OwnedBatch> market = test::market_batch();
  if (!market) GTEST_SKIP() << "ATC_TEST_DATA_DIR is not set";
  const OwnedBatch& batch = *market;
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  SweepOptions options;
  options.compute.backend = Backend::Cpu;
  options.backtest.fee_bps = 10.0;
  const SweepResult result = sweep(views, configs, options);
  EXPECT_GE(test::expect_sweep_matches_batches(views, configs, options, result, Backend::Cpu), 15u);
}

}  // namespace
}  // namespace atc
