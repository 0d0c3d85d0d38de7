// A sweep against its definition: every row equals compute_batch with the row's
// configuration followed by atc::backtest on the symbol's close and position, bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "support/compare.hpp"
#include "support/random_walk.hpp"

namespace atc::test {

// The position a backtest takes from a batch result's symbol (options.source and side).
inline std::vector<std::int8_t> position_of(const BatchResult& result, std::size_t symbol,
                                            const BacktestOptions& options) {
  const SymbolOutputView view = result.outputs.view(symbol);
  const auto code = options.source == PositionSource::State ? view.state : view.direction;
  std::vector<std::int8_t> position(code.begin(), code.end());
  for (std::int8_t& p : position) {
    if (options.side == PositionSide::LongOnly && p < 0) p = 0;
    if (options.side == PositionSide::ShortOnly && p > 0) p = 0;
  }
  return position;
}

// Checks every row of `sweep_result` (of `input` and `configs`) against batches run on
// `backend`; returns the number of ok rows checked.
inline std::size_t expect_sweep_matches_batches(std::span<const SeriesView> input, std::span<const Config> configs,
                                                const SweepOptions& options, const SweepResult& sweep_result,
                                                Backend backend) {
  std::size_t ok_rows = 0;
  EXPECT_EQ(sweep_result.rows.size(), configs.size() * input.size());
  for (std::size_t c = 0; c < configs.size(); ++c) {
    ComputeOptions batch_options = options.compute;
    batch_options.backend = backend;
    batch_options.outputs = OutputRequest::scan();
    const BatchResult batch = compute_batch(input, configs[c], batch_options);
    for (std::size_t s = 0; s < input.size(); ++s) {
      SCOPED_TRACE("configuration " + std::to_string(c) + ", symbol " + std::string(input[s].symbol));
      const SweepRow& row = sweep_result.row(c, s);
      EXPECT_EQ(row.config, c);
      EXPECT_EQ(row.symbol, s);
      EXPECT_EQ(row.status.code, batch.status[s].code) << row.status.message << " vs " << batch.status[s].message;
      EXPECT_EQ(row.status.bar, batch.status[s].bar);
      EXPECT_EQ(row.status.message, batch.status[s].message);
      if (!batch.status[s].ok() || !row.status.ok()) continue;
      const SymbolOutputView view = batch.outputs.view(s);
      const std::size_t last = view.bars() - 1;
      EXPECT_TRUE(same_bits(view.average_signal[last], row.average_signal));
      EXPECT_EQ(view.trend[last], row.trend);
      EXPECT_EQ(view.state[last], row.state);
      EXPECT_EQ(view.direction[last], row.direction);
      EXPECT_EQ(view.long_entry[last], row.long_entry);
      EXPECT_EQ(view.short_entry[last], row.short_entry);
      const BacktestMetrics m = backtest(input[s].close, position_of(batch, s, options.backtest), options.backtest,
                                         input[s].src);
      const BacktestMetrics& r = row.metrics;
      EXPECT_TRUE(same_bits(m.total_return, r.total_return)) << m.total_return << " vs " << r.total_return;
      EXPECT_TRUE(same_bits(m.annual_return, r.annual_return));
      EXPECT_TRUE(same_bits(m.annual_volatility, r.annual_volatility));
      EXPECT_TRUE(same_bits(m.sharpe, r.sharpe));
      EXPECT_TRUE(same_bits(m.max_drawdown, r.max_drawdown));
      EXPECT_TRUE(same_bits(m.exposure, r.exposure));
      EXPECT_TRUE(same_bits(m.hit_rate, r.hit_rate));
      EXPECT_EQ(m.trades, r.trades);
      EXPECT_EQ(m.periods, r.periods);
      ++ok_rows;
    }
  }
  return ok_rows;
}

// A symbol whose equity overflows at lambda 50 beside a calm one: the sweep on `backend`
// fails (configuration 1, HOT) at the batch's bar and computes the rest as the batch does.
inline void expect_equity_overflow_rows_match_batches(Backend backend) {
  std::vector<std::string> names{"HOT", "CALM"};
  const std::vector<std::vector<double>> closes{random_walk(3000, 11), random_walk(3000, 12, 100.0, 0.0005)};
  const std::vector<SeriesView> views{{names[0], closes[0], {}}, {names[1], closes[1], {}}};
  Config hot;
  hot.lambda = 50.0;
  const std::vector<Config> configs{Config{}, hot};
  SweepOptions options;
  options.compute.backend = backend;
  const SweepResult result = sweep(views, configs, options);
  EXPECT_EQ(result.row(1, 0).status.code, StatusCode::EquityOverflow);
  EXPECT_TRUE(result.row(0, 0).status.ok());
  expect_sweep_matches_batches(views, configs, options, result, Backend::Cpu);
}

// Configurations that vary every parameter, with lengths short enough for `bars`.
inline std::vector<Config> varied_configs() {
  std::vector<Config> configs;
  Config base;
  configs.push_back(base);
  Config c = base;
  c.length = {10, 14, 20, 8, 30, 12};
  c.robustness = Robustness::Narrow;
  configs.push_back(c);
  c = base;
  c.robustness = Robustness::Wide;
  c.lambda = 0.5;
  c.decay = 0.1;
  configs.push_back(c);
  c = base;
  c.weight = {1.0, 0.5, 2.0, 1.5, 0.25, 3.0};
  c.cutout = 40;
  configs.push_back(c);
  c = base;
  c.long_threshold = 0.3;
  c.short_threshold = -0.05;
  c.strategy = true;
  configs.push_back(c);
  c = base;
  c.length = {150, 150, 150, 150, 150, 150};  // 2L-1 = 299+ bars: too short for some symbols
  c.decay = 0.0;
  configs.push_back(c);
  return configs;
}

}  // namespace atc::test
