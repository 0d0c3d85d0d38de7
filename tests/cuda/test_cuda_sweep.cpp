// The CUDA sweep against its definition (the cuda batch + backtest of every row) and
// against the cpu sweep, bit for bit: random walks with fresh seeds, tick grids with
// ties, late listings, gaps, own src, too-short symbols, chunked device memory.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cuda/gpu_support.hpp"
#include "support/batch.hpp"
#include "support/random_walk.hpp"
#include "support/sweep_check.hpp"

namespace atc {
namespace {

using test::OwnedBatch;

OwnedBatch universe(std::uint64_t seed, std::size_t symbols) {
  OwnedBatch batch = test::ragged_batch({.symbols = symbols, .min_bars = 120, .max_bars = 900,
                                         .max_leading_nans = 50, .seed = seed});
  batch.add("TIES", test::grid_walk(800, seed + 1, 0.01, 20.0, 0.35));
  batch.add("TINY", test::random_walk(15, seed + 2));
  std::vector<double> gap = test::random_walk(600, seed + 3);
  gap[300] = std::nan("");
  batch.add("GAP", gap);
  batch.add("SRC", test::random_walk(500, seed + 4), test::random_walk(500, seed + 5));
  return batch;
}

void expect_same_rows(const SweepResult& expected, const SweepResult& actual) {
  ASSERT_EQ(expected.rows.size(), actual.rows.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < expected.rows.size() && mismatches < 10; ++i) {
    const SweepRow &e = expected.rows[i], &a = actual.rows[i];
    const bool same = e.status.message == a.status.message && test::same_bits(e.average_signal, a.average_signal) &&
                      e.state == a.state && e.direction == a.direction && e.trend == a.trend &&
                      e.long_entry == a.long_entry && e.short_entry == a.short_entry &&
                      test::same_bits(e.metrics.total_return, a.metrics.total_return) &&
                      test::same_bits(e.metrics.annual_return, a.metrics.annual_return) &&
                      test::same_bits(e.metrics.annual_volatility, a.metrics.annual_volatility) &&
                      test::same_bits(e.metrics.sharpe, a.metrics.sharpe) &&
                      test::same_bits(e.metrics.max_drawdown, a.metrics.max_drawdown) &&
                      test::same_bits(e.metrics.exposure, a.metrics.exposure) &&
                      test::same_bits(e.metrics.hit_rate, a.metrics.hit_rate) && e.metrics.trades == a.metrics.trades &&
                      e.metrics.periods == a.metrics.periods;
    if (!same) {
      ++mismatches;
      ADD_FAILURE() << "row " << i << " (configuration " << e.config << ", symbol " << e.symbol << "): "
                    << e.status.message << " / " << a.status.message << ", sharpe " << e.metrics.sharpe << " vs "
                    << a.metrics.sharpe;
    }
  }
}

TEST(CudaSweep, EveryRowIsTheCudaBatchAndBacktestOfItsConfiguration) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = universe(seed, 40);
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  for (const BacktestOptions bt : {BacktestOptions{PositionSource::State, PositionSide::LongShort, 5.0, 365.0},
                                   BacktestOptions{PositionSource::Direction, PositionSide::ShortOnly, 1.0, 252.0}}) {
    SweepOptions options;
    options.compute.backend = Backend::Cuda;
    options.compute.gaps = GapPolicy::ForwardFill;
    options.backtest = bt;
    const SweepResult result = sweep(views, configs, options);
    EXPECT_EQ(result.backend, Backend::Cuda);
    EXPECT_GT(test::expect_sweep_matches_batches(views, configs, options, result, Backend::Cuda), 150u);
    options.compute.backend = Backend::Cpu;
    expect_same_rows(sweep(views, configs, options), result);
  }
}

TEST(CudaSweep, ManyRandomConfigurationsEqualTheCpuSweep) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = universe(seed, 60);
  const auto views = batch.views();
  std::mt19937_64 rng(seed);
  std::vector<Config> configs(96);
  for (Config& c : configs) {
    for (int& l : c.length) l = std::uniform_int_distribution<int>(10, 120)(rng);
    c.robustness = static_cast<Robustness>(std::uniform_int_distribution<int>(0, 2)(rng));
    c.lambda = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    c.decay = std::uniform_real_distribution<double>(0.0, 5.0)(rng);
    c.cutout = std::uniform_int_distribution<int>(0, 80)(rng);
    c.long_threshold = std::uniform_real_distribution<double>(0.0, 0.5)(rng);
    c.short_threshold = -std::uniform_real_distribution<double>(0.0, 0.5)(rng);
    c.strategy = (rng() & 1) != 0;
    c.weight[rng() % kFamilies] = std::uniform_real_distribution<double>(0.1, 3.0)(rng);
  }
  SweepOptions options;
  options.backtest.fee_bps = 7.5;
  options.compute.backend = Backend::Cpu;
  const SweepResult cpu = sweep(views, configs, options);
  for (int streams : {1, 4}) {
    SCOPED_TRACE("streams " + std::to_string(streams));
    options.compute.backend = Backend::Cuda;
    options.compute.streams = streams;
    expect_same_rows(cpu, sweep(views, configs, options));
  }
}

TEST(CudaSweep, ChunkedDeviceMemoryGivesTheSameRowsAndKeptSeries) {
  ATC_REQUIRE_GPU();
  const OwnedBatch batch = universe(29, 80);
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  SweepOptions options;
  options.compute.backend = Backend::Cuda;
  options.keep = {{0, 3}, {5, 80}, {2, 83}};
  const SweepResult whole = sweep(views, configs, options);
  options.compute.device_memory_limit = 1 << 20;  // a few series per chunk
  const SweepResult chunked = sweep(views, configs, options);
  expect_same_rows(whole, chunked);
  options.compute.backend = Backend::Cpu;
  options.compute.device_memory_limit = 0;
  const SweepResult cpu = sweep(views, configs, options);
  expect_same_rows(cpu, whole);
  ASSERT_EQ(cpu.kept.size(), chunked.kept.size());
  for (std::size_t i = 0; i < cpu.kept.size(); ++i) {
    ASSERT_EQ(cpu.kept[i].average_signal.size(), chunked.kept[i].average_signal.size());
    for (std::size_t t = 0; t < cpu.kept[i].average_signal.size(); ++t) {
      ASSERT_TRUE(test::same_bits(cpu.kept[i].average_signal[t], chunked.kept[i].average_signal[t])) << i << " " << t;
      ASSERT_EQ(cpu.kept[i].position[t], chunked.kept[i].position[t]) << i << " " << t;
      ASSERT_TRUE(test::same_bits(cpu.kept[i].average_signal[t], whole.kept[i].average_signal[t])) << i << " " << t;
    }
  }
}

TEST(CudaSweep, AnEquityOverflowFailsItsRowsWithTheBatchesBar) {
  ATC_REQUIRE_GPU();
  test::expect_equity_overflow_rows_match_batches(Backend::Cuda);
}

TEST(CudaSweep, RealMarketData) {
  ATC_REQUIRE_GPU();
  const auto files = test::market_files();
  if (files.empty()) GTEST_SKIP() << "ATC_TEST_DATA_DIR holds no market data";
  OwnedBatch batch;
  for (const auto& file : files) batch.add(file.stem().string(), test::read_close_column(file));
  const auto views = batch.views();
  const std::vector<Config> configs = test::varied_configs();
  SweepOptions options;
  options.compute.backend = Backend::Cuda;
  options.backtest.fee_bps = 10.0;
  const SweepResult result = sweep(views, configs, options);
  EXPECT_GE(test::expect_sweep_matches_batches(views, configs, options, result, Backend::Cpu), 5u * files.size());
}

}  // namespace
}  // namespace atc
