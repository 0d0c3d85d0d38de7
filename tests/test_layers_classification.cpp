// Spec §6 (Layer 1, round2), §7 (Layer 2, Cut, Average_Signal) and §8 (classification,
// strategy mode): hand-computed cases on the reference stages, then the whole pipeline
// of compute_batch recomposed stage by stage from its calibration outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "atc/atc.hpp"
#include "core/formulas.hpp"
#include "reference/reference.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

using reference::Series;
using reference::Signal;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ------------------------------------------------------------------ round2 and Layer 1

TEST(Round2, HalfwayRoundsUpAsFloorOfHundredXPlusHalf) {
  // 0.125, 0.375, 0.625 are exact in binary: floor(12.5 + 0.5) = 13 and so on.
  EXPECT_DOUBLE_EQ(formulas::round2(0.125), 0.13);
  EXPECT_DOUBLE_EQ(formulas::round2(-0.125), -0.12);  // floor(-12.5 + 0.5) = -12
  EXPECT_DOUBLE_EQ(formulas::round2(0.625), 0.63);    // half-to-even would give 0.62
  EXPECT_DOUBLE_EQ(formulas::round2(0.375), 0.38);
  EXPECT_DOUBLE_EQ(formulas::round2(0.994), 0.99);
  EXPECT_DOUBLE_EQ(formulas::round2(0.996), 1.0);
  EXPECT_EQ(formulas::round2(1.0), 1.0);
  EXPECT_EQ(formulas::round2(-1.0), -1.0);
}

// Nine equities summing to 8 with the first at 1: Σ s·E / Σ E = s_1 / 8 = ±0.125.
std::vector<Series> equities_first_one_others_seven_eighths(std::size_t bars) {
  std::vector<Series> e(9, Series(bars, 0.875));
  e[0].assign(bars, 1.0);
  return e;
}

TEST(Layer1, WeightedMeanOfTheNineSignalsRoundedToTwoDecimals) {
  std::vector<Signal> signals(9, Signal(2, 0));
  signals[0] = {1, -1};
  const Series out = reference::layer1(signals, equities_first_one_others_seven_eighths(2), 0);
  EXPECT_DOUBLE_EQ(out[0], 0.13);   //  1/8 = 0.125 -> 0.13
  EXPECT_DOUBLE_EQ(out[1], -0.12);  // -1/8 = -0.125 -> -0.12
}

TEST(Layer1, NaNBeforeCutout) {
  std::vector<Signal> signals(9, Signal(3, 1));
  const Series out = reference::layer1(signals, equities_first_one_others_seven_eighths(3), 2);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 1.0);
}

// ------------------------------------------------------------------ Layer 2

TEST(Cut, AtPlusMinusPointFortyNineNotAtTheThresholds) {
  EXPECT_EQ(formulas::cut(0.49), 0.0);
  EXPECT_EQ(formulas::cut(0.5), 1.0);
  EXPECT_EQ(formulas::cut(-0.49), 0.0);
  EXPECT_EQ(formulas::cut(-0.5), -1.0);
  EXPECT_EQ(formulas::cut(0.2), 0.0);  // above the default long threshold 0.1
  EXPECT_EQ(formulas::cut(kNaN), 0.0);
}

TEST(AverageSignal, CutSignalsWeightedByFamilyEquity) {
  // Family signals 0.49, 0.50, -0.49, -0.50, 0.00, 1.00 -> Cut 0, 1, 0, -1, 0, 1.
  // Equities 1, 2, 1, 1, 1, 1: numerator 0 + 2 + 0 - 1 + 0 + 1 = 2, denominator 7.
  // Bar 0 is before cutout (1): NaN.
  const double signal[kFamilies] = {0.49, 0.5, -0.49, -0.5, 0.0, 1.0};
  const double equity[kFamilies] = {1, 2, 1, 1, 1, 1};
  std::vector<Series> family_signal, family_equity;
  for (int f = 0; f < kFamilies; ++f) {
    family_signal.push_back({kNaN, signal[f]});
    family_equity.push_back({kNaN, equity[f]});
  }
  const Series a = reference::average_signal(family_signal, family_equity, 1);
  EXPECT_TRUE(std::isnan(a[0]));
  EXPECT_EQ(a[1], 2.0 / 7.0);
}

TEST(AverageSignal, DenominatorAtTheFloorIsStillSixQuarters) {
  // All six equities at the 0.25 floor, all signals long: 6·0.25 / (6·0.25) = 1.
  std::vector<Series> family_signal(kFamilies, Series{0.9}), family_equity(kFamilies, Series{0.25});
  EXPECT_EQ(reference::average_signal(family_signal, family_equity, 0)[0], 1.0);
}

// ------------------------------------------------------------------ classification

struct Expected {
  Signal trend, state, direction, long_entry, short_entry;
};

void expect_classification(const reference::Classification& c, const Expected& e) {
  EXPECT_EQ(c.trend, e.trend);
  EXPECT_EQ(c.state, e.state);
  EXPECT_EQ(c.direction, e.direction);
  EXPECT_EQ(c.long_entry, e.long_entry);
  EXPECT_EQ(c.short_entry, e.short_entry);
}

// bar 0 NaN: all 0. bar 1 (0.05): trend +1, state neutral, no direction yet.
// bar 2 (0.2): crosses over 0.1 -> direction +1, but no long entry (no previous direction).
// bar 3 (0.05): neutral, direction stays +1.
// bar 4 (-0.2): crosses under -0.1 with direction +1 -> short entry, direction -1.
// bar 5 (0.0): trend 0. bar 6 (0.3): crosses over with direction -1 -> long entry.
// bar 7 (0.3): no new cross. bar 8 (0.1): not > 0.1 -> neutral.
// bar 9 (0.2): crosses over again (0.1 <= 0.1) but direction is already +1 -> no entry.
const std::vector<double> kAverage{kNaN, 0.05, 0.2, 0.05, -0.2, 0.0, 0.3, 0.3, 0.1, 0.2};
const Expected kExpected{{0, 1, 1, 1, -1, 0, 1, 1, 1, 1},
                         {0, 0, 1, 0, -1, 0, 1, 1, 0, 1},
                         {0, 0, 1, 1, -1, -1, 1, 1, 1, 1},
                         {0, 0, 0, 0, 0, 0, 1, 0, 0, 0},
                         {0, 0, 0, 0, 1, 0, 0, 0, 0, 0}};

TEST(Classify, EveryOutputOnAHandTrace) {
  expect_classification(reference::classify(kAverage, 0.1, -0.1, false), kExpected);
}

TEST(Classify, FirstShortDirectionIsNotAnEntryEither) {
  // bar 1 crosses under -0.1 from 0 with no previous direction.
  const std::vector<double> a{0.0, -0.2, -0.3};
  expect_classification(reference::classify(a, 0.1, -0.1, false),
                        {{0, -1, -1}, {0, -1, -1}, {0, -1, -1}, {0, 0, 0}, {0, 0, 0}});
}

TEST(Classify, StrategyModeClassifiesThePreviousBar) {
  const reference::Classification shifted = reference::classify(kAverage, 0.1, -0.1, true);
  auto delayed = [](const Signal& s) {
    Signal d(s.size(), 0);
    std::copy(s.begin(), s.end() - 1, d.begin() + 1);
    return d;
  };
  expect_classification(shifted, {delayed(kExpected.trend), delayed(kExpected.state),
                                  delayed(kExpected.direction), delayed(kExpected.long_entry),
                                  delayed(kExpected.short_entry)});
}

// ------------------------------------------------------------------ whole pipeline

bool identical(std::span<const double> a, std::span<const double> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](double x, double y) {
    return x == y || (std::isnan(x) && std::isnan(y));
  });
}

template <class T>
std::vector<T> to_vector(std::span<const T> s) {
  return std::vector<T>(s.begin(), s.end());
}

class Pipeline : public ::testing::Test {
 protected:
  Pipeline() {
    config_.cutout = 25;
    config_.weight_of(Family::EMA) = 0.1;  // below the floor: starts at 0.25
    config_.weight_of(Family::HMA) = 2.0;
    config_.lambda = 0.5;
    config_.decay = 0.2;
    config_.length_of(Family::WMA) = 12;
    config_.length_of(Family::KAMA) = 9;
  }

  BatchResult run(const OutputRequest& outputs, const Config& config) const {
    ComputeOptions options;
    options.backend = Backend::Reference;
    options.outputs = outputs;
    return compute(close_, config, options);
  }

  const std::vector<double> close_ = test::random_walk(600, 31, 20.0, 0.015);
  Config config_;
};

TEST_F(Pipeline, EveryStageRecomposesFromTheStageBefore) {
  const std::size_t n = close_.size();
  const auto cutout = static_cast<std::size_t>(config_.cutout);
  const Series r = reference::returns(close_);
  const double la = config_.lambda / 1000.0, de = config_.decay / 100.0;
  BatchResult standard;
  for (Family family : kAllFamilies) {
    SCOPED_TRACE(family_name(family));
    const int f = static_cast<int>(family);
    const BatchResult result = run(OutputRequest::with_calibration(family), config_);
    const SymbolOutputView v = result.outputs.view(0);
    const auto lengths = config_.lengths(family);
    // Layer 1 from the calibration outputs, summed in the order L, L+o1..L+o4, L-o1..L-o4.
    Series layer1(n, kNaN);
    for (std::size_t t = cutout; t < n; ++t) {
      double num = 0.0, den = 0.0;
      for (int i = 0; i < kLengthsPerFamily; ++i) {
        num += v.ma_signal[i][t] * v.ma_equity[i][t];
        den += v.ma_equity[i][t];
      }
      layer1[t] = std::floor(100.0 * (num / den) + 0.5) / 100.0;
    }
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      SCOPED_TRACE(::testing::Message() << "length " << lengths[i]);
      const Series ma = reference::moving_average(family, close_, lengths[i]);
      EXPECT_TRUE(identical(v.ma[i], ma));
      const Signal sig = reference::crossover_signal(close_, ma);
      EXPECT_EQ(to_vector(v.ma_signal[i]), sig);
      const Series e = reference::equity(1.0, Series(sig.begin(), sig.end()), r, la, de, config_.cutout);
      EXPECT_TRUE(identical(v.ma_equity[i], e));
      EXPECT_TRUE(std::isnan(v.ma_equity[i][cutout - 1]));
      EXPECT_EQ(v.ma_equity[i][cutout], 1.0);
    }
    EXPECT_TRUE(identical(v.family_signal[f], layer1));
    for (std::size_t t = cutout; t < n; ++t) {
      ASSERT_LE(std::fabs(layer1[t]), 1.0);
      EXPECT_NEAR(100.0 * layer1[t], std::round(100.0 * layer1[t]), 1e-9) << "bar " << t;
    }
    const Series x_s = reference::equity(config_.weight[f], layer1, r, la, de, config_.cutout);
    EXPECT_TRUE(identical(v.family_equity[f], x_s));
    EXPECT_EQ(v.family_equity[f][cutout], std::max(config_.weight[f], 0.25));
    if (family == Family::EMA) standard = result;
  }

  // Layer 2 from the six family outputs, summed in the order EMA..KAMA.
  const SymbolOutputView v = standard.outputs.view(0);
  Series average(n, kNaN);
  for (std::size_t t = cutout; t < n; ++t) {
    double num = 0.0, den = 0.0;
    for (int f = 0; f < kFamilies; ++f) {
      const double x = v.family_signal[f][t];
      num += (x > 0.49 ? 1.0 : (x < -0.49 ? -1.0 : 0.0)) * v.family_equity[f][t];
      den += v.family_equity[f][t];
    }
    ASSERT_GE(den, 6 * 0.25);
    average[t] = num / den;
  }
  EXPECT_TRUE(identical(v.average_signal, average));
  const reference::Classification c =
      reference::classify(average, config_.long_threshold, config_.short_threshold, false);
  EXPECT_EQ(to_vector(v.trend), c.trend);
  EXPECT_EQ(to_vector(v.state), c.state);
  EXPECT_EQ(to_vector(v.direction), c.direction);
  EXPECT_EQ(to_vector(v.long_entry), c.long_entry);
  EXPECT_EQ(to_vector(v.short_entry), c.short_entry);
  // The trace must exercise the classification: some entries and both directions.
  EXPECT_GT(std::count(c.long_entry.begin(), c.long_entry.end(), 1) +
                std::count(c.short_entry.begin(), c.short_entry.end(), 1),
            0);
}

TEST_F(Pipeline, NothingBeforeCutout) {
  const BatchResult result = run(OutputRequest::standard(), config_);
  const SymbolOutputView v = result.outputs.view(0);
  for (std::size_t t = 0; t < static_cast<std::size_t>(config_.cutout); ++t) {
    EXPECT_TRUE(std::isnan(v.average_signal[t]));
    for (int f = 0; f < kFamilies; ++f) {
      EXPECT_TRUE(std::isnan(v.family_signal[f][t]));
      EXPECT_TRUE(std::isnan(v.family_equity[f][t]));
    }
    EXPECT_EQ(v.trend[t], 0);
    EXPECT_EQ(v.state[t], 0);
    EXPECT_EQ(v.direction[t], 0);
  }
  EXPECT_TRUE(std::isfinite(v.average_signal[config_.cutout]));
}

TEST_F(Pipeline, StrategyShiftsOnlyTheClassificationInput) {
  Config strategy = config_;
  strategy.strategy = true;
  const BatchResult plain_result = run(OutputRequest::standard(), config_);
  const BatchResult shifted_result = run(OutputRequest::standard(), strategy);
  const SymbolOutputView plain = plain_result.outputs.view(0);
  const SymbolOutputView shifted = shifted_result.outputs.view(0);
  EXPECT_TRUE(identical(plain.average_signal, shifted.average_signal));
  for (int f = 0; f < kFamilies; ++f) {
    EXPECT_TRUE(identical(plain.family_signal[f], shifted.family_signal[f]));
    EXPECT_TRUE(identical(plain.family_equity[f], shifted.family_equity[f]));
  }
  const std::size_t n = close_.size();
  auto expect_delayed = [n](std::span<const std::int8_t> p, std::span<const std::int8_t> s) {
    EXPECT_EQ(s[0], 0);
    for (std::size_t t = 1; t < n; ++t) EXPECT_EQ(s[t], p[t - 1]) << "bar " << t;
  };
  expect_delayed(plain.trend, shifted.trend);
  expect_delayed(plain.state, shifted.state);
  expect_delayed(plain.direction, shifted.direction);
  expect_delayed(plain.long_entry, shifted.long_entry);
  expect_delayed(plain.short_entry, shifted.short_entry);
}

}  // namespace
}  // namespace atc
