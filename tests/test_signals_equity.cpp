// Spec §4 (persistent crossover signal) and §5 (returns, equity curve) of the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "reference/reference.hpp"

namespace atc {
namespace {

using reference::Series;
using reference::Signal;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ------------------------------------------------------------------ §4 signal

TEST(CrossoverSignal, StaysZeroThroughWarmUpAndTheFirstBarAfterIt) {
  // bar 1: ma NaN -> no test is true. bar 2: 5 < 6 but ma[1] is NaN -> still 0.
  // bar 3: 5 > 4 and 5 <= 6 -> +1. bar 4: 5 < 6 and 5 >= 4 -> -1.
  // bar 5: 5 < 6 but 5 >= 6 is false -> stays -1.
  const std::vector<double> close{5, 5, 5, 5, 5, 5};
  const std::vector<double> ma{kNaN, kNaN, 6, 4, 6, 6};
  EXPECT_EQ(reference::crossover_signal(close, ma), (Signal{0, 0, 0, 1, -1, -1}));
}

TEST(CrossoverSignal, PreviousBarMayTouchButTheCurrentBarMustCrossStrictly) {
  // bar 1, 2: close == ma -> neither test. bar 3: 3 > 2 and 2 <= 2 -> +1.
  // bar 4: 3 == 3 -> keeps +1. bar 5: 2 < 3 and 3 >= 3 -> -1.
  const std::vector<double> close{1, 2, 2, 3, 3, 2};
  const std::vector<double> ma{2, 2, 2, 2, 3, 3};
  EXPECT_EQ(reference::crossover_signal(close, ma), (Signal{0, 0, 0, 1, 1, -1}));
}

TEST(CrossoverSignal, PersistsUntilTheOppositeCross) {
  // +1 at bar 1, then close stays above: +1 throughout; no new cross while above.
  const std::vector<double> close{1, 3, 4, 5, 6, 1};
  const std::vector<double> ma{2, 2, 2, 2, 2, 2};
  EXPECT_EQ(reference::crossover_signal(close, ma), (Signal{0, 1, 1, 1, 1, -1}));
}

TEST(CrossoverSignal, NaNOperandMakesBothTestsFalse) {
  // bar 1: +1. bar 2: close NaN -> keeps +1. bar 3: 3 > 2 but NaN <= 2 is false -> +1.
  // bar 4: 1 < 2 and 3 >= 2 -> -1. bar 5: close 3 but prev is 1 < 2 -> +1 again (cross).
  const std::vector<double> close{1, 3, kNaN, 3, 1, 3};
  const std::vector<double> ma{2, 2, 2, 2, 2, 2};
  EXPECT_EQ(reference::crossover_signal(close, ma), (Signal{0, 1, 1, 1, -1, 1}));
}

// ------------------------------------------------------------------ §5 returns

TEST(Returns, RelativeChangeWithNaNAtBarZero) {
  const Series r = reference::returns(std::vector<double>{100, 110, 99, 99});
  EXPECT_TRUE(std::isnan(r[0]));
  EXPECT_DOUBLE_EQ(r[1], 0.1);   // 10/100
  EXPECT_DOUBLE_EQ(r[2], -0.1);  // -11/110
  EXPECT_EQ(r[3], 0.0);
}

// ------------------------------------------------------------------ §5 equity

// Signals as the real-valued series equity() takes (per-MA signals are ±1/0).
Series as_series(std::initializer_list<double> values) { return Series(values); }

TEST(Equity, CompoundsTheSignedReturnOfThePreviousBarsSignal) {
  // La = 0, De = 0, cutout 0, start 1. a[t] follows sig[t-1]:
  // bar 1: sig 0 -> a 0 -> 1. bar 2: sig +1 -> a 0.2 -> 1.2.
  // bar 3: sig +1 -> a -0.1 -> 1.08. bar 4: sig -1 -> a -0.5 -> 0.54.
  const Series sig = as_series({0, 1, 1, -1, 0});
  const Series r = as_series({kNaN, 0.1, 0.2, -0.1, 0.5});
  const Series e = reference::equity(1.0, sig, r, 0.0, 0.0, 0);
  EXPECT_EQ(e[0], 1.0);
  EXPECT_EQ(e[1], 1.0);
  EXPECT_DOUBLE_EQ(e[2], 1.2);
  EXPECT_DOUBLE_EQ(e[3], 1.08);
  EXPECT_DOUBLE_EQ(e[4], 0.54);
}

TEST(Equity, DecayMultipliesEveryBarAfterTheStart) {
  // Same as above with De = 0.1: each bar also times 0.9.
  // 1 -> 0.9 -> 0.9·0.9·1.2 = 0.972 -> 0.972·0.9·0.9 = 0.78732 -> 0.78732·0.9·0.5 = 0.354294.
  const Series sig = as_series({0, 1, 1, -1, 0});
  const Series r = as_series({kNaN, 0.1, 0.2, -0.1, 0.5});
  const Series e = reference::equity(1.0, sig, r, 0.0, 0.1, 0);
  EXPECT_EQ(e[0], 1.0);
  EXPECT_DOUBLE_EQ(e[1], 0.9);
  EXPECT_DOUBLE_EQ(e[2], 0.972);
  EXPECT_DOUBLE_EQ(e[3], 0.78732);
  EXPECT_DOUBLE_EQ(e[4], 0.354294);
}

TEST(Equity, GrowthFactorScalesTheReturnByExpOfLaTimesBarsSinceCutout) {
  // La = 0.01, cutout 0, sig +1: e1 = 1 + 0.1·e^0.01, e2 = e1·(1 + 0.1·e^0.02).
  const Series sig = as_series({1, 1, 1});
  const Series r = as_series({kNaN, 0.1, 0.1});
  const Series e = reference::equity(1.0, sig, r, 0.01, 0.0, 0);
  const double e1 = 1.0 + 0.1 * std::exp(0.01);
  EXPECT_DOUBLE_EQ(e[1], e1);
  EXPECT_DOUBLE_EQ(e[2], e1 * (1.0 + 0.1 * std::exp(0.02)));
}

TEST(Equity, FloorOfAQuarterAlsoAtTheStart) {
  // start 0.1 -> 0.25 at bar 0. bar 1: 0.25·(1 − 0.9) = 0.025 -> 0.25.
  // bar 2: 0.25·1.5 = 0.375. bar 3: 0.375·1.2 = 0.45.
  const Series sig = as_series({1, 1, 1, 1});
  const Series r = as_series({kNaN, -0.9, 0.5, 0.2});
  const Series e = reference::equity(0.1, sig, r, 0.0, 0.0, 0);
  EXPECT_EQ(e[0], 0.25);
  EXPECT_EQ(e[1], 0.25);
  EXPECT_DOUBLE_EQ(e[2], 0.375);
  EXPECT_DOUBLE_EQ(e[3], 0.45);
}

TEST(Equity, FloorAppliesAtTheCutoutBarWhenTheStartIsBelowAQuarter) {
  const Series sig = as_series({1, 1, 1, 1, 1});
  const Series r = as_series({kNaN, 0.1, 0.1, 0.1, 0.1});
  const Series e = reference::equity(0.1, sig, r, 0.0, 0.0, 3);
  EXPECT_TRUE(std::isnan(e[2]));
  EXPECT_EQ(e[3], 0.25);
  EXPECT_DOUBLE_EQ(e[4], 0.275);  // 0.25·1.1
}

TEST(Equity, CutoutBarsAreNaNAndTheCurveStartsThereAtTheStartValue) {
  // cutout 2, start 1.5, La = 0.05, De = 0. bars 0, 1: NaN. bar 2: 1.5, and a is first
  // updated here from sig[1] = +1: a = R[2]·e^(0.05·0) = 0.1 (growth counts from cutout).
  // bars 3, 4: sig[2] = sig[3] = 0 -> a persists: 1.5·1.1 = 1.65, 1.65·1.1 = 1.815
  // (R[3] = 0.2 and R[4] = 0.4 are never applied).
  const Series sig = as_series({0, 1, 0, 0, 0});
  const Series r = as_series({kNaN, 0.3, 0.1, 0.2, 0.4});
  const Series e = reference::equity(1.5, sig, r, 0.05, 0.0, 2);
  EXPECT_TRUE(std::isnan(e[0]));
  EXPECT_TRUE(std::isnan(e[1]));
  EXPECT_EQ(e[2], 1.5);
  EXPECT_DOUBLE_EQ(e[3], 1.65);
  EXPECT_DOUBLE_EQ(e[4], 1.815);
}

TEST(Equity, ASignalOfExactlyZeroReappliesTheLastAdjustedReturn) {
  // The Layer-2 case (family signals are real and can be 0.00). La = De = 0.
  // bar 1: sig 0.5 > 0 -> a = 0.1 -> 1.1. bars 2, 3: sig 0 -> a stays 0.1 -> 1.21, 1.331.
  // bar 4: sig -0.3 < 0 -> a = -0.1 -> 1.331·0.9 = 1.1979.
  // (Resetting a to 0 would give 1.1, 1.1, 1.1, 0.99.)
  const Series sig = as_series({0.5, 0.0, 0.0, -0.3, 0.0});
  const Series r = as_series({kNaN, 0.1, 0.2, 0.05, 0.1});
  const Series e = reference::equity(1.0, sig, r, 0.0, 0.0, 0);
  EXPECT_DOUBLE_EQ(e[1], 1.1);
  EXPECT_DOUBLE_EQ(e[2], 1.21);
  EXPECT_DOUBLE_EQ(e[3], 1.331);
  EXPECT_DOUBLE_EQ(e[4], 1.1979);
}

TEST(Equity, NaNSignalBeforeCutoutCountsAsZero) {
  // A Layer-1 signal is NaN before cutout: at the cutout bar a stays 0 (sig[1] NaN),
  // then sig[2] = 0.7 > 0 -> a = R[3] = 0.2 -> 1.2.
  const Series sig = as_series({kNaN, kNaN, 0.7, 0.7});
  const Series r = as_series({kNaN, 0.5, 0.1, 0.2});
  const Series e = reference::equity(1.0, sig, r, 0.0, 0.0, 2);
  EXPECT_EQ(e[2], 1.0);
  EXPECT_DOUBLE_EQ(e[3], 1.2);
}

TEST(Equity, SignalAtBarZeroIsNeverReadWithoutCutout) {
  // At t = 0 there is no sig[t-1]: a stays 0 and e[0] = start whatever sig[0] is;
  // bar 1 reads sig[0] = -1: a = -R[1] = -0.1 -> 0.9.
  const Series sig = as_series({-1, 1});
  const Series r = as_series({kNaN, 0.1});
  const Series e = reference::equity(1.0, sig, r, 0.0, 0.0, 0);
  EXPECT_EQ(e[0], 1.0);
  EXPECT_DOUBLE_EQ(e[1], 0.9);
}

}  // namespace
}  // namespace atc
