// The fused CUDA backend (atc::compute_batch with Backend::Cuda) against the reference
// backend: every output bit-identical (spec §3a, §9), ties included. Each family is run
// in calibration mode so that all 54 chains are compared.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>

#include "atc/atc.hpp"
#include "gpu_support.hpp"
#include "support/batch.hpp"
#include "support/compare.hpp"
#include "support/random_walk.hpp"

namespace atc::test {
namespace {

// Runs reference and cuda on `batch` in calibration mode for each family in turn and
// compares every column bit for bit; also the run without calibration (another kernel
// instantiation) against the reference. Returns the exact ties met.
std::size_t compare_backends(const OwnedBatch& batch, const Config& config) {
  const std::vector<SeriesView> views = batch.views();
  std::size_t ties = 0, compared = 0;
  std::vector<OutputRequest> requests{OutputRequest::standard(), OutputRequest::compact()};
  for (Family family : kAllFamilies) requests.push_back(OutputRequest::with_calibration(family));
  for (const OutputRequest& request : requests) {
    ComputeOptions options;
    options.outputs = request;
    options.backend = Backend::Reference;
    const BatchResult ref = compute_batch(views, config, options);
    options.backend = Backend::Cuda;
    const BatchResult gpu = compute_batch(views, config, options);
    EXPECT_EQ(gpu.backend, Backend::Cuda);
    const ParityReport report = compare_results(ref, gpu, views);
    EXPECT_TRUE(report.ok()) << report.summary(20);
    ties += report.ties;
    compared += report.values_compared;
  }
  std::cout << "compared " << compared << " values over " << batch.size() << " symbols bit for bit, " << ties
            << " exact ties met\n";
  return ties;
}

class CudaBackend : public ::testing::Test {
 protected:
  void SetUp() override { ATC_REQUIRE_GPU(); }
};

TEST_F(CudaBackend, IsAvailableAndChosenByAuto) {
  EXPECT_TRUE(detail::cuda_built());
  EXPECT_TRUE(cuda_available());
  EXPECT_EQ(resolve_backend(Backend::Auto), Backend::Cuda);
}

TEST_F(CudaBackend, RaggedBatchWithLateListingsAndBadSymbols) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  OwnedBatch batch = ragged_batch({.symbols = 150, .min_bars = 100, .max_bars = 3000, .max_leading_nans = 40,
                                   .seed = seed});
  batch.close[3][batch.close[3].size() / 2] = std::numeric_limits<double>::quiet_NaN();  // interior gap
  batch.close[7].resize(60);                                                               // too short
  batch.close[11][50] = -1.0;                                                              // bad price
  compare_backends(batch, Config{});
}

// §10: equities that overflow are errors naming the reference's bar, through the pipeline
// (small chunks, so that several chunks each bring their series' bars back).
TEST_F(CudaBackend, EquityOverflowNamesTheReferencesBar) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = ragged_batch({.symbols = 60, .min_bars = 200, .max_bars = 3000, .max_leading_nans = 30,
                                         .seed = seed});
  Config config;
  config.lambda = 30.0;
  compare_backends(batch, config);
  ComputeOptions options;
  options.backend = Backend::Cuda;
  options.chunk_symbols = 7;
  const BatchResult gpu = compute_batch(batch.views(), config, options);
  options.backend = Backend::Reference;
  const BatchResult ref = compute_batch(batch.views(), config, options);
  const ParityReport report = compare_results(ref, gpu, batch.views());
  EXPECT_TRUE(report.ok()) << report.summary(20);
  std::size_t overflowed = 0;
  for (const SymbolStatus& s : ref.status) overflowed += s.code == StatusCode::EquityOverflow ? 1 : 0;
  EXPECT_GT(overflowed, 0u);
  EXPECT_LT(overflowed, batch.size());
}

TEST_F(CudaBackend, TickGridsWithPlateausLateDecimalBreaksAndFlatPrices) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  OwnedBatch batch;
  std::uint64_t k = seed;
  for (double tick : {0.01, 0.001, 1e-8, 1.0})
    for (double start : {0.8, 45.0, 31000.0}) batch.add("G", grid_walk(1500, k++, tick, start, 0.35));
  for (int s = 0; s < 6; ++s) {  // decimal, then binary ticks from a bar on (a window rebase)
    std::vector<double> close = grid_walk(1200, k++, 0.01, 20.0 + s, 0.3);
    close[200 + 97 * s] *= 1.0 + 1e-9 / 3.0;
    batch.add("BREAK", close);
  }
  batch.add("FLAT", std::vector<double>(400, 2.21));
  std::vector<double> src = grid_walk(1500, k++, 0.0001, 45.0, 0.3);
  batch.add("SRC", grid_walk(1500, k++, 0.01, 45.0, 0.3), src);
  EXPECT_GT(compare_backends(batch, Config{}), 1000u);
}

TEST_F(CudaBackend, EveryRobustnessWithCutoutStrategyWeightsAndOwnSource) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (Robustness robustness : {Robustness::Narrow, Robustness::Medium, Robustness::Wide}) {
    OwnedBatch batch = ragged_batch({.symbols = 40, .min_bars = 200, .max_bars = 2500, .seed = seed + 1});
    for (std::size_t s = 0; s < batch.size(); s += 3) {  // every third symbol has its own src
      std::vector<double> src(batch.close[s]);
      for (std::size_t t = 1; t < src.size(); ++t) src[t] = 0.5 * (batch.close[s][t] + batch.close[s][t - 1]);
      batch.src[s] = std::move(src);
    }
    Config config;
    config.robustness = robustness;
    config.length = {10, 20, 14, 9, 25, 12};
    config.weight = {1.0, 0.3, 2.0, 1.0, 0.7, 1.2};
    config.cutout = 150;
    config.lambda = 0.8;
    config.decay = 0.5;
    config.long_threshold = 0.05;
    config.short_threshold = -0.2;
    config.strategy = true;
    SCOPED_TRACE(std::string(robustness_name(robustness)));
    compare_backends(batch, config);
  }
}

TEST_F(CudaBackend, LongSeries100000Bars) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  OwnedBatch batch = ragged_batch({.symbols = 3, .min_bars = 60000, .max_bars = 100000, .seed = seed});
  batch.add("GRID", grid_walk(100000, seed, 0.01, 150.0, 0.3));
  Config config;
  config.lambda = 0.005;  // La·n stays below the growth limit of 700
  compare_backends(batch, config);
}

TEST_F(CudaBackend, SmallChunksGiveTheSameBits) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = ragged_batch({.symbols = 100, .min_bars = 100, .max_bars = 800, .seed = seed});
  const std::vector<SeriesView> views = batch.views();
  ComputeOptions whole;
  whole.backend = Backend::Cuda;
  ComputeOptions chunked = whole;
  chunked.chunk_symbols = 32;
  const BatchResult a = compute_batch(views, Config{}, whole), b = compute_batch(views, Config{}, chunked);
  EXPECT_TRUE(std::equal(a.outputs.average_signal.begin(), a.outputs.average_signal.end(),
                         b.outputs.average_signal.begin(), same_bits));
  EXPECT_EQ(a.outputs.state, b.outputs.state);
}

TEST_F(CudaBackend, OnlyRequestedOutputs) {
  const OwnedBatch batch = ragged_batch({.symbols = 20, .min_bars = 100, .max_bars = 500, .seed = fresh_seed()});
  const std::vector<SeriesView> views = batch.views();
  ComputeOptions options;
  options.backend = Backend::Cuda;
  options.outputs = OutputRequest::average_only();
  const BatchResult average_only = compute_batch(views, Config{}, options);
  EXPECT_TRUE(average_only.outputs.trend.empty());
  EXPECT_TRUE(average_only.outputs.family_signal[0].empty());
  options.outputs = OutputRequest::standard();
  const BatchResult standard = compute_batch(views, Config{}, options);
  EXPECT_TRUE(std::equal(average_only.outputs.average_signal.begin(), average_only.outputs.average_signal.end(),
                         standard.outputs.average_signal.begin(), same_bits));
}

TEST_F(CudaBackend, MarketData) {
  const auto files = market_files();
  if (files.empty()) GTEST_SKIP() << "ATC_TEST_DATA_DIR has no GOOG.csv/EURUSD.csv/BTCUSD.csv";
  OwnedBatch batch;
  for (const auto& file : files) batch.add(file.stem().string(), read_close_column(file));
  for (Robustness robustness : {Robustness::Narrow, Robustness::Medium, Robustness::Wide}) {
    Config config;
    config.robustness = robustness;
    config.cutout = 10;
    SCOPED_TRACE(std::string(robustness_name(robustness)));
    compare_backends(batch, config);
  }
}

}  // namespace
}  // namespace atc::test
