// The fused CUDA backend (atc::compute_batch with Backend::Cuda) against the reference
// backend. Continuous outputs must agree within 1e-9 relative (1e-12 absolute), discrete
// ones exactly. The only mismatch allowed is a near-tie: a per-MA signal whose first
// difference sits where |close − ma| < 1e-9·close (the running-sum MAs differ from the
// O(L) definitions by a few ulps). Each family is run in calibration mode so that all
// 54 chains are compared; every tie is counted and printed, and outputs downstream of a
// tie are compared only before it.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <limits>

#include "atc/atc.hpp"
#include "gpu_support.hpp"
#include "support/batch.hpp"

namespace atc::test {
namespace {

constexpr std::size_t kNoTie = std::numeric_limits<std::size_t>::max();

struct Tally {
  std::size_t ties = 0, compared = 0, symbols_with_ties = 0;
  double worst_relative = 0.0;
};

void track_error(Tally& tally, double a, double b) {
  if (!std::isnan(a) && !std::isnan(b) && b != 0.0)
    tally.worst_relative = std::max(tally.worst_relative, std::fabs(a - b) / std::fabs(b));
}

template <class T>
void expect_column(std::span<const T> got, std::span<const T> want, std::size_t until, const char* what,
                   std::size_t symbol, Tally& tally) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const std::size_t end = std::min(until, got.size());
  for (std::size_t t = 0; t < end; ++t) {
    if constexpr (std::is_floating_point_v<T>) {
      ASSERT_TRUE(close_enough(got[t], want[t]))
          << what << ", symbol " << symbol << " bar " << t << ": " << got[t] << " vs " << want[t];
      track_error(tally, got[t], want[t]);
    } else {
      ASSERT_EQ(got[t], want[t]) << what << ", symbol " << symbol << " bar " << t;
    }
  }
  tally.compared += end;
}

bool near_tie(double close, double ma) { return std::fabs(close - ma) < 1e-9 * close; }

// Compares one calibration run of family f; lowers first_tie[s] to the first bar of
// symbol s affected by a tie of that family.
void compare_family(const OwnedBatch& batch, const BatchResult& ref, const BatchResult& gpu, int f,
                    Tally& tally, std::vector<std::size_t>& first_tie) {
  for (std::size_t s = 0; s < batch.size(); ++s) {
    EXPECT_EQ(ref.status[s].code, gpu.status[s].code) << "symbol " << s;
    const SymbolOutputView r = ref.outputs.view(s), g = gpu.outputs.view(s);
    const std::vector<double>& close = batch.close[s];
    std::size_t family_tie = kNoTie;
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      expect_column(g.ma[i], r.ma[i], kNoTie, "MA", s, tally);
      const auto mismatch = std::mismatch(g.ma_signal[i].begin(), g.ma_signal[i].end(), r.ma_signal[i].begin());
      if (mismatch.first == g.ma_signal[i].end()) continue;
      const auto t = static_cast<std::size_t>(mismatch.first - g.ma_signal[i].begin());
      const bool tie = near_tie(close[t], r.ma[i][t]) || (t > 0 && near_tie(close[t - 1], r.ma[i][t - 1]));
      ASSERT_TRUE(tie) << family_name(kAllFamilies[f]) << " chain " << i << ", symbol " << s << " bar " << t
                       << ": per-MA signal differs (" << int(*mismatch.first) << " vs " << int(*mismatch.second)
                       << ") where close " << close[t] << " is not near the MA " << r.ma[i][t];
      ++tally.ties;
      family_tie = std::min(family_tie, t);
    }
    if (family_tie != kNoTie) ++tally.symbols_with_ties;
    first_tie[s] = std::min(first_tie[s], family_tie);
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      expect_column(g.ma_signal[i], r.ma_signal[i], family_tie, "per-MA signal", s, tally);
      expect_column(g.ma_equity[i], r.ma_equity[i], family_tie, "per-MA equity", s, tally);
    }
    expect_column(g.family_signal[f], r.family_signal[f], family_tie, "X_Signal", s, tally);
    expect_column(g.family_equity[f], r.family_equity[f], family_tie, "X_S", s, tally);
  }
}

// Runs reference and cuda on `batch` in calibration mode for each family in turn and
// compares everything (see the file comment). Also checks that the run without
// calibration (another kernel instantiation) equals the calibration runs bit for bit.
Tally compare_backends(const OwnedBatch& batch, const Config& config) {
  const std::vector<SeriesView> views = batch.views();
  Tally tally;
  std::vector<std::size_t> first_tie(batch.size(), kNoTie);
  BatchResult ref_any, gpu_any;
  for (Family family : kAllFamilies) {
    ComputeOptions options;
    options.outputs = OutputRequest::with_calibration(family);
    options.backend = Backend::Reference;
    BatchResult ref = compute_batch(views, config, options);
    options.backend = Backend::Cuda;
    BatchResult gpu = compute_batch(views, config, options);
    EXPECT_EQ(gpu.backend, Backend::Cuda);
    compare_family(batch, ref, gpu, static_cast<int>(family), tally, first_tie);
    ref_any = std::move(ref);
    gpu_any = std::move(gpu);
  }
  ComputeOptions standard;
  standard.backend = Backend::Cuda;
  const BatchResult gpu_standard = compute_batch(views, config, standard);
  for (std::size_t s = 0; s < batch.size(); ++s) {
    const SymbolOutputView r = ref_any.outputs.view(s), g = gpu_any.outputs.view(s), q = gpu_standard.outputs.view(s);
    expect_column(g.average_signal, r.average_signal, first_tie[s], "Average_Signal", s, tally);
    expect_column(g.trend, r.trend, first_tie[s], "trend", s, tally);
    expect_column(g.state, r.state, first_tie[s], "state", s, tally);
    expect_column(g.direction, r.direction, first_tie[s], "direction", s, tally);
    expect_column(g.long_entry, r.long_entry, first_tie[s], "long_entry", s, tally);
    expect_column(g.short_entry, r.short_entry, first_tie[s], "short_entry", s, tally);
    EXPECT_TRUE(std::equal(q.average_signal.begin(), q.average_signal.end(), g.average_signal.begin(), same_bits))
        << "standard vs calibration run, symbol " << s;
    EXPECT_TRUE(std::equal(q.direction.begin(), q.direction.end(), g.direction.begin()));
    for (int f = 0; f < kFamilies; ++f)
      EXPECT_TRUE(std::equal(q.family_equity[f].begin(), q.family_equity[f].end(), g.family_equity[f].begin(),
                             same_bits));
  }
  std::cout << "compared " << tally.compared << " values over " << batch.size() << " symbols: max relative error "
            << tally.worst_relative << ", near-ties " << tally.ties << " (symbols affected: "
            << tally.symbols_with_ties << ")\n";
  return tally;
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
  const OwnedBatch batch = ragged_batch({.symbols = 3, .min_bars = 60000, .max_bars = 100000, .seed = seed});
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
