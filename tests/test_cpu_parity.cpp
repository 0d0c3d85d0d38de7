// Backend::Cpu against the scalar reference (Backend::Reference) under the accuracy
// contract of spec §9 and §3a: every output bit-identical, ties included.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "atc/io.hpp"
#include "support/batch.hpp"
#include "support/compare.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

using test::OwnedBatch;
using test::ParityChecker;
using test::ParityReport;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ComputeOptions options_with(const OutputRequest& outputs, GapPolicy gaps = GapPolicy::Error) {
  ComputeOptions options;
  options.outputs = outputs;
  options.gaps = gaps;
  return options;
}

// Asserts bit-for-bit parity and reports the exact ties met (visible in the test log
// and the XML output).
void expect_parity(const ParityReport& report, std::size_t min_values) {
  std::cout << "[ parity   ] " << report.summary() << '\n';
  ::testing::Test::RecordProperty("values_compared", std::to_string(report.values_compared));
  ::testing::Test::RecordProperty("exact_ties", std::to_string(report.ties));
  EXPECT_GE(report.values_compared, min_values);
  EXPECT_TRUE(report.ok()) << report.summary(50);
}

// ---------------------------------------------------------------------------------
// The comparator itself: identical bits pass, anything else fails.

class ParityComparator : public ::testing::Test {
 protected:
  // A price path with a flat stretch at 100: inside it close equals SMA(L) exactly.
  void SetUp() override {
    std::vector<double> close = test::random_walk(300, 7);
    std::fill(close.begin() + 150, close.begin() + 220, 100.0);
    batch_.add("FLAT", std::move(close));
    views_ = batch_.views();
    options_.backend = Backend::Reference;
    expected_ = compute_batch(views_, config_, options_);
  }

  Config config_;
  ComputeOptions options_ = options_with(OutputRequest::with_calibration(Family::HMA));
  OwnedBatch batch_;
  std::vector<SeriesView> views_;
  BatchResult expected_;
  ParityChecker checker_{config_, options_};
};

TEST_F(ParityComparator, AcceptsIdenticalResultsAndCountsTheTies) {
  const ParityReport report = checker_.compare(expected_, expected_, views_);
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_GE(report.values_compared, 45u * 300u);
  EXPECT_GE(report.ties, 9u * 40u) << "the flat stretch puts close on all nine SMAs";
}

TEST_F(ParityComparator, RejectsAContinuousDifferenceOfOneUlp) {
  BatchResult actual = expected_;
  double& x = actual.outputs.family_equity[2][250];
  x = std::nextafter(x, 10.0);
  const ParityReport report = checker_.compare(expected_, actual, views_);
  ASSERT_EQ(report.mismatches.size(), 1u) << report.summary();
  EXPECT_EQ(report.mismatches[0].column, "WMA_S");
  EXPECT_EQ(report.mismatches[0].bar, 250u);
}

TEST_F(ParityComparator, RejectsNaNWhereTheReferenceHasAValue) {
  BatchResult actual = expected_;
  actual.outputs.average_signal[100] = kNaN;
  EXPECT_EQ(checker_.compare(expected_, actual, views_).mismatches.size(), 1u);
}

TEST_F(ParityComparator, RejectsAnyDiscreteDifference) {
  using Codes = Column<std::int8_t> BatchOutputs::*;
  for (Codes column : {&BatchOutputs::state, &BatchOutputs::direction}) {
    BatchResult actual = expected_;
    std::int8_t& v = (actual.outputs.*column)[260];
    v = static_cast<std::int8_t>(v == 1 ? 0 : 1);
    EXPECT_FALSE(checker_.compare(expected_, actual, views_).ok());
  }
}

TEST_F(ParityComparator, RejectsADifferentMovingAverageOrSignal) {
  BatchResult actual = expected_;
  actual.outputs.ma[0][200] = std::nextafter(actual.outputs.ma[0][200], 0.0);
  actual.outputs.ma_signal[3][200] = static_cast<std::int8_t>(-actual.outputs.ma_signal[3][200]);
  EXPECT_EQ(checker_.compare(expected_, actual, views_).mismatches.size(), 2u);
}

TEST_F(ParityComparator, RejectsDifferentStatus) {
  BatchResult actual = expected_;
  actual.status[0].message = "other";
  EXPECT_FALSE(checker_.compare(expected_, actual, views_).ok());
}

// ---------------------------------------------------------------------------------
// Long random walks (binary ticks: the wide path): running sums must not drift.

class LongRandomWalkParity : public ::testing::TestWithParam<Family> {};

TEST_P(LongRandomWalkParity, DefaultConfigWithCalibrationOfEachFamily) {
  const Family family = GetParam();
  OwnedBatch batch;
  batch.add("WALK", test::random_walk(100'000, 1000 + static_cast<std::uint64_t>(family)));
  const auto views = batch.views();
  const Config config;
  const ParityReport report =
      ParityChecker(config, options_with(OutputRequest::with_calibration(family))).run(views);
  expect_parity(report, 45u * 100'000u);
}

INSTANTIATE_TEST_SUITE_P(Families, LongRandomWalkParity, ::testing::ValuesIn(kAllFamilies),
                         [](const auto& p) { return std::string(family_name(p.param)); });

TEST(LongRandomWalkParityTest, CutoutStrategyWideAndStrongGrowth) {
  // Two long symbols, one listed 5,000 bars late; a price level of 1e4 with 3% moves
  // stresses running sums (large magnitudes, large increments).
  OwnedBatch batch;
  batch.add("HIGH", test::random_walk(120'000, 77, 1.0e4, 0.03));
  std::vector<double> late(5'000, kNaN);
  const std::vector<double> walk = test::random_walk(100'000, 78, 0.5, 0.002);
  late.insert(late.end(), walk.begin(), walk.end());
  batch.add("LATE", std::move(late));
  Config config;
  config.robustness = Robustness::Wide;
  config.cutout = 2'500;
  config.strategy = true;
  config.lambda = 4.0;  // La·(n−1−cutout) ≈ 0.004·117,500 = 470 < 700
  config.decay = 0.5;
  const auto views = batch.views();
  const ParityReport report =
      ParityChecker(config, options_with(OutputRequest::with_calibration(Family::LSMA))).run(views);
  expect_parity(report, 45u * 220'000u);
}

// ---------------------------------------------------------------------------------
// Ragged batches of many short symbols, for each robustness.

// Symbols the backends must reject identically, mixed into a batch.
void add_rejected_symbols(OwnedBatch& batch, std::size_t min_bars) {
  std::vector<double> gap = test::random_walk(300, 501);
  gap[120] = kNaN;
  batch.add("GAP", std::move(gap));
  std::vector<double> nonpositive = test::random_walk(300, 502);
  nonpositive[200] = -1.0;
  batch.add("NEGATIVE", std::move(nonpositive));
  batch.add("SHORT", test::random_walk(min_bars - 1, 503));
}

class RaggedBatchParity : public ::testing::TestWithParam<Robustness> {};

TEST_P(RaggedBatchParity, ThousandSymbolsWithCutoutStrategyAndLateListings) {
  test::RaggedBatchSpec spec;
  spec.symbols = 1'000;
  spec.min_bars = 100;
  spec.max_bars = 400;
  spec.max_leading_nans = 60;
  spec.seed = 40 + static_cast<std::uint64_t>(GetParam());
  OwnedBatch batch = test::ragged_batch(spec);
  Config config;
  config.robustness = GetParam();
  config.cutout = 15;
  config.strategy = true;
  add_rejected_symbols(batch, config.min_bars());
  const auto views = batch.views();
  // Calibration of a different family for each robustness (EMA, HMA, WMA).
  const Family calibration = static_cast<Family>(static_cast<int>(GetParam()));
  const ParityReport report =
      ParityChecker(config, options_with(OutputRequest::with_calibration(calibration))).run(views);
  expect_parity(report, 45u * 100u * 1'000u);
}

INSTANTIATE_TEST_SUITE_P(Robustness, RaggedBatchParity,
                         ::testing::Values(Robustness::Narrow, Robustness::Medium, Robustness::Wide),
                         [](const auto& p) { return std::string(robustness_name(p.param)); });

TEST(RaggedBatchParityTest, DefaultConfigStandardOutputsWithCalibrationOfTheOtherFamilies) {
  for (Family family : {Family::DEMA, Family::LSMA, Family::KAMA}) {
    SCOPED_TRACE(family_name(family));
    test::RaggedBatchSpec spec;
    spec.symbols = 1'000;
    spec.seed = 90 + static_cast<std::uint64_t>(family);
    const OwnedBatch batch = test::ragged_batch(spec);
    const auto views = batch.views();
    const ParityReport report =
        ParityChecker(Config{}, options_with(OutputRequest::with_calibration(family))).run(views);
    expect_parity(report, 45u * 100u * 1'000u);
  }
}

TEST(RaggedBatchParityTest, ForwardFilledGaps) {
  test::RaggedBatchSpec spec;
  spec.symbols = 200;
  spec.seed = 11;
  OwnedBatch batch = test::ragged_batch(spec);
  std::mt19937_64 rng(12);
  for (auto& close : batch.close) {  // up to three gaps of 1-5 bars in every symbol
    std::uniform_int_distribution<std::size_t> at(1, close.size() - 6), width(1, 5), count(0, 3);
    for (std::size_t g = count(rng); g > 0; --g) {
      const std::size_t from = at(rng);
      std::fill_n(close.begin() + static_cast<std::ptrdiff_t>(from), width(rng), kNaN);
    }
  }
  const auto views = batch.views();
  const ParityReport report =
      ParityChecker(Config{}, options_with(OutputRequest::with_calibration(Family::WMA), GapPolicy::ForwardFill))
          .run(views);
  expect_parity(report, 45u * 100u * 200u);
}

// ---------------------------------------------------------------------------------
// Random non-default parameters from a seeded generator.

Config random_config(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> robustness(0, 2), coin(0, 1), cutout(0, 120);
  std::uniform_real_distribution<double> weight(0.1, 3.0), lambda(0.0, 1.0), decay(0.0, 5.0),
      long_threshold(0.0, 0.6), short_threshold(-0.6, 0.0);
  Config config;
  config.robustness = static_cast<Robustness>(robustness(rng));
  const int shortest_base = robustness_offsets(config.robustness)[3] + 1;
  std::uniform_int_distribution<int> length(shortest_base, 60);
  for (Family f : kAllFamilies) {
    config.length_of(f) = length(rng);
    config.weight_of(f) = weight(rng);
  }
  config.lambda = lambda(rng);
  config.decay = decay(rng);
  config.cutout = cutout(rng);
  config.long_threshold = long_threshold(rng);
  config.short_threshold = short_threshold(rng);
  config.strategy = coin(rng) == 1;
  return config;
}

std::string describe(const Config& c) {
  std::string s = "robustness=" + std::string(robustness_name(c.robustness)) + " lengths=";
  for (int len : c.length) s += std::to_string(len) + ",";
  s += " weights=";
  for (double w : c.weight) s += std::to_string(w) + ",";
  return s + " lambda=" + std::to_string(c.lambda) + " decay=" + std::to_string(c.decay) +
         " cutout=" + std::to_string(c.cutout) + " long=" + std::to_string(c.long_threshold) +
         " short=" + std::to_string(c.short_threshold) + " strategy=" + (c.strategy ? "on" : "off");
}

TEST(RandomParameterParity, SeededDrawsOnBatchesWithAndWithoutSrc) {
  std::mt19937_64 rng(20240607);
  for (int draw = 0; draw < 12; ++draw) {
    const Config config = random_config(rng);
    ASSERT_NO_THROW(config.validate()) << describe(config);
    SCOPED_TRACE("draw " + std::to_string(draw) + ": " + describe(config));
    test::RaggedBatchSpec spec;
    spec.symbols = 40;
    spec.min_bars = std::max<std::size_t>(config.min_bars(), 200);
    spec.max_bars = 2'500;
    spec.max_leading_nans = 30;
    spec.seed = rng();
    OwnedBatch batch = test::ragged_batch(spec);
    test::NormalSource noise(rng());
    for (std::size_t s = 0; s < batch.size(); s += 2) {  // every other symbol: src = close·(1+ε)
      batch.src[s] = batch.close[s];
      for (double& x : batch.src[s]) x *= 1.0 + 0.002 * noise.next();
    }
    const auto views = batch.views();
    const Family calibration = kAllFamilies[static_cast<std::size_t>(draw) % kFamilies];
    const ParityReport report =
        ParityChecker(config, options_with(OutputRequest::with_calibration(calibration))).run(views);
    expect_parity(report, 45u * 200u * 40u);
  }
}

// ---------------------------------------------------------------------------------
// Real market data (decimal ticks, exact ties common).

class RealMarketParity : public ::testing::TestWithParam<const char*> {};

TEST_P(RealMarketParity, EveryFamilyCalibrated) {
  const char* dir = std::getenv("ATC_TEST_DATA_DIR");
  if (dir == nullptr || *dir == '\0')
    FAIL() << "ATC_TEST_DATA_DIR is not set: point it at the folder holding GOOG.csv, "
              "EURUSD.csv and BTCUSD.csv (configure with -DATC_TEST_DATA_DIR=<folder> so ctest "
              "passes it on, or export ATC_TEST_DATA_DIR=<folder> before running this program)";
  const std::filesystem::path path = std::filesystem::path(dir) / GetParam();
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " does not exist (ATC_TEST_DATA_DIR=" << dir << ")";
  OwnedBatch batch;
  io::CsvSeries series = io::read_series_csv(path);
  batch.add(series.symbol, std::move(series.close));
  ASSERT_GE(batch.close[0].size(), Config{}.min_bars());
  const auto views = batch.views();
  for (Family family : kAllFamilies) {
    SCOPED_TRACE(family_name(family));
    for (bool strategy : {false, true}) {
      Config config;
      config.strategy = strategy;
      config.cutout = strategy ? 10 : 0;
      const ParityReport report =
          ParityChecker(config, options_with(OutputRequest::with_calibration(family))).run(views);
      expect_parity(report, 45u * batch.close[0].size());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, RealMarketParity, ::testing::Values("GOOG.csv", "EURUSD.csv", "BTCUSD.csv"),
                         [](const auto& p) {
                           std::string name = p.param;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace atc
