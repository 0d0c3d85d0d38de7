// Spec §3: the six moving averages of the reference, on small hand-computed cases and
// against independent O(L) computations written here on random data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "core/formulas.hpp"
#include "reference/reference.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

using reference::Series;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Values that are not exactly representable are compared with this relative slack.
void expect_close(double expected, double actual, double relative = 1e-12) {
  EXPECT_NEAR(actual, expected, relative * std::max(1.0, std::fabs(expected)));
}

// Same values bit for bit, NaN where NaN (vector == treats NaN as unequal).
bool identical(const Series& a, const Series& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t t = 0; t < a.size(); ++t)
    if (!(a[t] == b[t] || (std::isnan(a[t]) && std::isnan(b[t])))) return false;
  return true;
}

bool all_nan(const Series& a) {
  return std::all_of(a.begin(), a.end(), [](double x) { return std::isnan(x); });
}

void expect_nan_before(const Series& ma, std::size_t first_valid) {
  for (std::size_t t = 0; t < ma.size(); ++t) {
    if (t < first_valid) EXPECT_TRUE(std::isnan(ma[t])) << "bar " << t << " should be warm-up";
    else EXPECT_TRUE(std::isfinite(ma[t])) << "bar " << t << " should have a value";
  }
}

// ------------------------------------------------------------------ hand-computed cases

TEST(Ema, FirstValueIsTheSimpleMeanThenTheRecursion) {
  // L = 3: alpha = 2/(3+1) = 0.5. ema[2] = (1+2+3)/3 = 2; ema[3] = 0.5·4 + 0.5·2 = 3;
  // ema[4] = 0.5·5 + 0.5·3 = 4; ema[5] = 0.5·9 + 0.5·4 = 6.5 (all exact in binary).
  const std::vector<double> src{1, 2, 3, 4, 5, 9};
  const Series ema = reference::ema(src, 3);
  EXPECT_TRUE(std::isnan(ema[0]));
  EXPECT_TRUE(std::isnan(ema[1]));
  EXPECT_EQ(ema[2], 2.0);
  EXPECT_EQ(ema[3], 3.0);
  EXPECT_EQ(ema[4], 4.0);
  EXPECT_EQ(ema[5], 6.5);
}

TEST(Sma, MeanOfTheLastLValues) {
  // L = 2: (1+3)/2 = 2, (3+8)/2 = 5.5, (8+0)/2 = 4.
  const std::vector<double> src{1, 3, 8, 0};
  const Series sma = reference::sma(src, 2);
  EXPECT_TRUE(std::isnan(sma[0]));
  EXPECT_EQ(sma[1], 2.0);
  EXPECT_EQ(sma[2], 5.5);
  EXPECT_EQ(sma[3], 4.0);
}

TEST(Sma, IsWhatTheHmaFamilyComputes) {
  const std::vector<double> src = test::random_walk(200, 3);
  EXPECT_TRUE(identical(reference::moving_average(Family::HMA, src, 9), reference::sma(src, 9)));
}

TEST(Wma, WeightsOneToLFromOldestToNewest) {
  // L = 3, weights 1,2,3 over 6: wma[2] = (1·1 + 2·2 + 3·4)/6 = 17/6,
  // wma[3] = (1·2 + 2·4 + 3·8)/6 = 34/6. Reversed weights would give 11/6 and 22/6.
  const std::vector<double> src{1, 2, 4, 8};
  const Series wma = reference::wma(src, 3);
  EXPECT_TRUE(std::isnan(wma[1]));
  expect_close(17.0 / 6.0, wma[2]);
  expect_close(34.0 / 6.0, wma[3]);
}

TEST(Dema, FirstValueAtTwoLMinusTwoWithE2SeededByTheMeanOfTheFirstLValidE1) {
  // L = 3, alpha = 0.5, src = 2, 4, 9, 1, 5, 8.
  // e1: bar 2 = (2+4+9)/3 = 5; bar 3 = 0.5·1 + 0.5·5 = 3; bar 4 = 0.5·5 + 0.5·3 = 4;
  //     bar 5 = 0.5·8 + 0.5·4 = 6.
  // e2 over the valid e1 values 5, 3, 4, 6: bar 4 = (5+3+4)/3 = 4; bar 5 = 0.5·6 + 0.5·4 = 5.
  // dema = 2·e1 − e2: bar 4 = 8 − 4 = 4; bar 5 = 12 − 5 = 7; NaN before bar 2L−2 = 4.
  // (Seeding e2 with the first e1 value instead would start DEMA at bar 2.)
  const std::vector<double> src{2, 4, 9, 1, 5, 8};
  const Series dema = reference::dema(src, 3);
  for (std::size_t t = 0; t < 4; ++t) EXPECT_TRUE(std::isnan(dema[t])) << "bar " << t;
  EXPECT_EQ(dema[4], 4.0);
  EXPECT_EQ(dema[5], 7.0);
}

TEST(Dema, RemovesTheLagOfALinearSeries) {
  // L = 2, alpha = 2/3, src = 1, 4, 7, 10. e1: bar 1 = 2.5, bar 2 = (2·7 + 2.5)/3 = 5.5,
  // bar 3 = (2·10 + 5.5)/3 = 8.5. e2 over 2.5, 5.5, 8.5: bar 2 = 4, bar 3 = (2·8.5 + 4)/3 = 7.
  // dema: bar 2 = 11 − 4 = 7, bar 3 = 17 − 7 = 10 (the series itself).
  const std::vector<double> src{1, 4, 7, 10};
  const Series dema = reference::dema(src, 2);
  EXPECT_TRUE(std::isnan(dema[1]));
  expect_close(7.0, dema[2]);
  expect_close(10.0, dema[3]);
}

TEST(Lsma, LeastSquaresLineEvaluatedAtTheNewestPoint) {
  // L = 3 through (0,1), (1,2), (2,4): mean x = 1, mean y = 7/3,
  // slope = [(−1)(1 − 7/3) + (1)(4 − 7/3)] / 2 = 3/2, value at x = 2: 7/3 + 3/2 = 23/6.
  const std::vector<double> src{1, 2, 4};
  const Series lsma = reference::lsma(src, 3);
  EXPECT_TRUE(std::isnan(lsma[1]));
  expect_close(23.0 / 6.0, lsma[2]);
}

TEST(Lsma, LengthOneIsTheSourceItself) {
  const std::vector<double> src = test::random_walk(100, 5);
  EXPECT_EQ(reference::lsma(src, 1), Series(src.begin(), src.end()));
}

TEST(Lsma, LengthTwoPassesThroughTheNewestPoint) {
  // A line through two points meets the newer one: exactly, on exact ticks (§3a).
  const std::vector<double> src = test::random_walk(100, 6);
  const Series lsma = reference::lsma(src, 2);
  for (std::size_t t = 1; t < src.size(); ++t) EXPECT_EQ(src[t], lsma[t]) << "bar " << t;
}

TEST(Kama, SmoothingConstantsOfTheIndicator) {
  EXPECT_DOUBLE_EQ(formulas::kama_sc(0.0), 0.004096);  // slow² = 0.064²
  EXPECT_EQ(exact::efficiency_ratio(2.0, 0.0), 0.0);    // noise 0: ER = 0
  EXPECT_DOUBLE_EQ(formulas::kama_sc(exact::efficiency_ratio(2.0, 2.0)), 0.443556);  // ER 1: fast² = 0.666²
}

TEST(Kama, StartsFromZeroWithTheSlowConstantWhileEfficiencyIsZero) {
  // A constant 10: noise = 0 so ER = 0 and sc = 0.004096 on every bar; from k = 0,
  // kama[t] = 10·(1 − (1 − 0.004096)^(t+1)): 0.04096 at bar 0, far below the price.
  const std::vector<double> src(50, 10.0);
  const Series kama = reference::kama(src, 4);
  for (std::size_t t = 0; t < src.size(); ++t)
    expect_close(10.0 * (1.0 - std::pow(1.0 - 0.004096, static_cast<double>(t + 1))), kama[t]);
  expect_close(0.04096, kama[0]);
}

TEST(Kama, EfficiencyRatioFromSignalOverNoise) {
  // L = 2, src = 1, 3, 2, 4, 5.
  // bars 0, 1: t < L, ER = 0, sc = 0.004096.
  // bar 2: signal |2 − 1| = 1, noise |2 − 3| + |3 − 1| = 3, ER = 1/3.
  // bar 3: signal |4 − 3| = 1, noise |4 − 2| + |2 − 3| = 3, ER = 1/3.
  // bar 4: signal |5 − 2| = 3, noise |5 − 4| + |4 − 2| = 3, ER = 1.
  const std::vector<double> src{1, 3, 2, 4, 5};
  auto sc = [](double er) { return std::pow(er * (0.666 - 0.064) + 0.064, 2.0); };
  const double er[] = {0.0, 0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0};
  const Series kama = reference::kama(src, 2);
  double k = 0.0;
  for (std::size_t t = 0; t < src.size(); ++t) {
    k += sc(er[t]) * (src[t] - k);
    expect_close(k, kama[t]);
  }
}

TEST(MovingAverages, LengthOneReturnsTheSource) {
  // EMA alpha = 1, SMA/WMA of one value, DEMA = 2·src − src, LSMA by definition.
  const std::vector<double> src = test::random_walk(100, 8);
  const Series expected(src.begin(), src.end());
  EXPECT_EQ(reference::ema(src, 1), expected);
  EXPECT_EQ(reference::sma(src, 1), expected);
  EXPECT_EQ(reference::wma(src, 1), expected);
  EXPECT_EQ(reference::dema(src, 1), expected);
  EXPECT_EQ(reference::lsma(src, 1), expected);
}

TEST(MovingAverages, SeriesShorterThanTheWarmUpIsAllNaN) {
  // "All produce NaN until they have enough data": also when they never have enough.
  const int len = 5;
  const std::vector<double> walk = test::random_walk(2 * len, 9);
  for (std::size_t n = 0; n < static_cast<std::size_t>(len); ++n) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const std::span<const double> src(walk.data(), n);
    for (const Series& ma : {reference::ema(src, len), reference::sma(src, len),
                             reference::wma(src, len), reference::lsma(src, len)}) {
      EXPECT_EQ(ma.size(), n);
      EXPECT_TRUE(all_nan(ma));
    }
  }
  for (std::size_t n = len - 1; n < 2 * len - 1; ++n) {  // e1 has 0..L−1 valid values
    const Series dema = reference::dema(std::span<const double>(walk.data(), n), len);
    EXPECT_EQ(dema.size(), n);
    EXPECT_TRUE(all_nan(dema)) << "n = " << n;
  }
}

// Pins a reference bug: with fewer than L−1 bars, dema() builds the span of valid e1
// values with size e1.size() − (L−1), which wraps around, and throws length_error.
// The pipeline never gets there (prepare() demands 2L−1 bars), but the function is
// part of the reference API and §3 says it is NaN until it has enough data.
TEST(Dema, SeriesShorterThanLMinusOneBarsIsAllNaN) {
  const int len = 5;
  const std::vector<double> walk = test::random_walk(len, 10);
  for (std::size_t n = 0; n + 1 < static_cast<std::size_t>(len); ++n) {
    Series dema;
    EXPECT_NO_THROW(dema = reference::dema(std::span<const double>(walk.data(), n), len))
        << "DEMA(" << len << ") of " << n << " bars";
    EXPECT_EQ(dema.size(), n);
    EXPECT_TRUE(all_nan(dema));
  }
}

// ------------------------------------------------- independent O(L) computations

// EMA in closed form: from the seed m at bar L−1,
// ema[t] = (1−α)^(t−L+1)·m + Σ_{j=L..t} α(1−α)^(t−j)·x[j].
Series closed_form_ema(std::span<const double> x, int len) {
  Series out(x.size(), kNaN);
  const std::size_t first = static_cast<std::size_t>(len) - 1;
  if (x.size() <= first) return out;
  const double alpha = 2.0 / (len + 1.0);
  double seed = 0.0;
  for (std::size_t j = 0; j <= first; ++j) seed += x[j];
  seed /= len;
  for (std::size_t t = first; t < x.size(); ++t) {
    double value = std::pow(1.0 - alpha, static_cast<double>(t - first)) * seed;
    for (std::size_t j = first + 1; j <= t; ++j)
      value += alpha * std::pow(1.0 - alpha, static_cast<double>(t - j)) * x[j];
    out[t] = value;
  }
  return out;
}

Series newest_first_sma(std::span<const double> x, int len) {
  Series out(x.size(), kNaN);
  for (std::size_t t = len - 1; t < x.size(); ++t) {
    double sum = 0.0;
    for (int back = 0; back < len; ++back) sum += x[t - back];
    out[t] = sum / len;
  }
  return out;
}

Series newest_first_wma(std::span<const double> x, int len) {
  Series out(x.size(), kNaN);
  for (std::size_t t = len - 1; t < x.size(); ++t) {
    double sum = 0.0, weights = 0.0;
    for (int back = 0; back < len; ++back) {
      sum += (len - back) * x[t - back];  // newest gets weight L
      weights += len - back;
    }
    out[t] = sum / weights;
  }
  return out;
}

Series closed_form_dema(std::span<const double> x, int len) {
  const Series e1 = closed_form_ema(x, len);
  const std::size_t first = static_cast<std::size_t>(len) - 1;
  const Series e2 = closed_form_ema(std::span<const double>(e1).subspan(first), len);
  Series out(x.size(), kNaN);
  for (std::size_t t = 2 * first; t < x.size(); ++t) out[t] = 2.0 * e1[t] - e2[t - first];
  return out;
}

// Least squares with centred abscissae: slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)², at x = L−1.
Series centred_lsma(std::span<const double> y, int len) {
  Series out(y.size(), kNaN);
  const double x_mean = (len - 1) / 2.0;
  for (std::size_t t = len - 1; t < y.size(); ++t) {
    const std::span<const double> window = y.subspan(t + 1 - len, len);
    double y_mean = 0.0;
    for (double v : window) y_mean += v;
    y_mean /= len;
    double sxy = 0.0, sxx = 0.0;
    for (int i = 0; i < len; ++i) {
      sxy += (i - x_mean) * (window[i] - y_mean);
      sxx += (i - x_mean) * (i - x_mean);
    }
    out[t] = len == 1 ? window[0] : y_mean + sxy / sxx * (len - 1 - x_mean);
  }
  return out;
}

Series direct_kama(std::span<const double> x, int len) {
  Series out(x.size(), kNaN);
  double k = 0.0;
  for (std::size_t t = 0; t < x.size(); ++t) {
    double er = 0.0;
    if (t >= static_cast<std::size_t>(len)) {
      double noise = 0.0;
      for (std::size_t i = t; i > t - len; --i) noise += std::fabs(x[i] - x[i - 1]);
      if (noise != 0.0) er = std::fabs(x[t] - x[t - len]) / noise;
    }
    const double sc = std::pow(er * (0.666 - 0.064) + 0.064, 2.0);
    k = k + sc * (x[t] - k);
    out[t] = k;
  }
  return out;
}

void expect_series_close(const Series& expected, const Series& actual, double relative) {
  ASSERT_EQ(expected.size(), actual.size());
  for (std::size_t t = 0; t < expected.size(); ++t) {
    if (std::isnan(expected[t])) {
      EXPECT_TRUE(std::isnan(actual[t])) << "bar " << t;
      continue;
    }
    EXPECT_NEAR(actual[t], expected[t], relative * std::fabs(expected[t])) << "bar " << t;
  }
}

class MovingAverageOnRandomWalk : public ::testing::TestWithParam<int> {
 protected:
  const std::vector<double> src_ = test::random_walk(300, 100 + static_cast<std::uint64_t>(GetParam()), 50.0, 0.02);
  int len_ = GetParam();
};

TEST_P(MovingAverageOnRandomWalk, EmaMatchesTheClosedForm) {
  const Series ema = reference::ema(src_, len_);
  expect_nan_before(ema, len_ - 1);
  expect_series_close(closed_form_ema(src_, len_), ema, 1e-11);
}

TEST_P(MovingAverageOnRandomWalk, SmaMatchesNewestFirstSummation) {
  const Series sma = reference::sma(src_, len_);
  expect_nan_before(sma, len_ - 1);
  expect_series_close(newest_first_sma(src_, len_), sma, 1e-13);
}

TEST_P(MovingAverageOnRandomWalk, WmaMatchesNewestFirstSummation) {
  const Series wma = reference::wma(src_, len_);
  expect_nan_before(wma, len_ - 1);
  expect_series_close(newest_first_wma(src_, len_), wma, 1e-13);
}

TEST_P(MovingAverageOnRandomWalk, DemaMatchesTheClosedForm) {
  const Series dema = reference::dema(src_, len_);
  expect_nan_before(dema, 2 * len_ - 2);
  expect_series_close(closed_form_dema(src_, len_), dema, 1e-11);
}

TEST_P(MovingAverageOnRandomWalk, LsmaMatchesCentredLeastSquares) {
  const Series lsma = reference::lsma(src_, len_);
  expect_nan_before(lsma, len_ - 1);
  expect_series_close(centred_lsma(src_, len_), lsma, 1e-11);
}

TEST_P(MovingAverageOnRandomWalk, KamaMatchesTheDirectDefinition) {
  const Series kama = reference::kama(src_, len_);
  expect_nan_before(kama, 0);
  expect_series_close(direct_kama(src_, len_), kama, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Lengths, MovingAverageOnRandomWalk, ::testing::Values(1, 2, 3, 7, 22, 28, 34, 35));

}  // namespace
}  // namespace atc
