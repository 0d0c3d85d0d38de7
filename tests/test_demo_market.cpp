// The bundled synthetic market: reproducible to the bit, and shaped like real prices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <span>

#include "atc/demo.hpp"

namespace {

using atc::demo::Market;

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

std::span<const double> column(const Market& m, std::size_t symbol) {
  return std::span(m.close).subspan(symbol * m.bars, m.bars);
}

// Daily simple returns of every symbol after its listing, pooled.
std::vector<double> pooled_returns(const Market& m) {
  std::vector<double> returns;
  for (std::size_t s = 0; s < m.symbols.size(); ++s) {
    const auto close = column(m, s);
    for (std::size_t t = 1; t < m.bars; ++t)
      if (!std::isnan(close[t - 1])) returns.push_back(close[t] / close[t - 1] - 1.0);
  }
  return returns;
}

double mean(const std::vector<double>& x) {
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double central_moment(const std::vector<double>& x, int power) {
  const double m = mean(x);
  double sum = 0.0;
  for (double v : x) sum += std::pow(v - m, power);
  return sum / static_cast<double>(x.size());
}

TEST(DemoMarket, SameSeedGivesIdenticalBits) {
  const Market a = atc::demo::make_market(20, 500, 7);
  const Market b = atc::demo::make_market(20, 500, 7);
  EXPECT_TRUE(same_bits(a.close, b.close));
  EXPECT_EQ(a.symbols, b.symbols);
  EXPECT_EQ(a.timestamps, b.timestamps);
}

TEST(DemoMarket, DifferentSeedGivesDifferentPrices) {
  const Market a = atc::demo::make_market(20, 500, 7);
  const Market b = atc::demo::make_market(20, 500, 8);
  ASSERT_EQ(a.close.size(), b.close.size());
  std::size_t equal = 0;
  for (std::size_t i = 0; i < a.close.size(); ++i) equal += a.close[i] == b.close[i];
  EXPECT_LT(equal, a.close.size() / 100);
}

TEST(DemoMarket, ASymbolDoesNotDependOnHowManyAreGenerated) {
  const Market small = atc::demo::make_market(5, 400);
  const Market large = atc::demo::make_market(40, 400);
  const std::vector<double> prefix(large.close.begin(), large.close.begin() + 5 * 400);
  EXPECT_TRUE(same_bits(small.close, prefix));
}

TEST(DemoMarket, DefaultShapeNamesAndDailyWeekdayTimestamps) {
  const Market m = atc::demo::make_market();
  ASSERT_EQ(m.symbols.size(), atc::demo::kDefaultSymbols);
  ASSERT_EQ(m.bars, atc::demo::kDefaultBars);
  EXPECT_EQ(m.close.size(), m.symbols.size() * m.bars);
  EXPECT_EQ(m.symbols.front(), "SYM0001");
  EXPECT_EQ(m.symbols.back(), "SYM0300");
  ASSERT_EQ(m.timestamps.size(), m.bars);
  for (std::size_t t = 1; t < m.bars; ++t) {
    const std::int64_t step = m.timestamps[t] - m.timestamps[t - 1];
    EXPECT_TRUE(step == 86400 || step == 3 * 86400) << "weekdays only, at bar " << t;
    const std::int64_t weekday = (m.timestamps[t] / 86400 + 4) % 7;  // 0 = Sunday
    EXPECT_TRUE(weekday >= 1 && weekday <= 5) << t;
  }
}

TEST(DemoMarket, PricesArePositiveAfterListingAndSomeSymbolsListLate) {
  const Market m = atc::demo::make_market();
  std::size_t late = 0;
  for (std::size_t s = 0; s < m.symbols.size(); ++s) {
    const auto close = column(m, s);
    const auto listed = std::find_if(close.begin(), close.end(), [](double c) { return !std::isnan(c); });
    ASSERT_NE(listed, close.end()) << m.symbols[s];
    late += listed != close.begin();
    EXPECT_GE(close.end() - listed, static_cast<std::ptrdiff_t>(m.bars / 3))
        << "a late listing still leaves a long history";
    for (auto it = listed; it != close.end(); ++it)
      ASSERT_TRUE(std::isfinite(*it) && *it > 0.0) << m.symbols[s] << " bar " << (it - close.begin());
  }
  EXPECT_GE(late, m.symbols.size() / 100) << "a few percent list late";
  EXPECT_LE(late, m.symbols.size() / 7);
}

TEST(DemoMarket, ReturnsLookLikeDailyStockReturns) {
  const Market m = atc::demo::make_market(100, 2000);
  const std::vector<double> r = pooled_returns(m);
  const double sd = std::sqrt(central_moment(r, 2));
  EXPECT_GT(sd, 0.008) << "daily volatility of stocks is about 1% to 4%";
  EXPECT_LT(sd, 0.04);
  const double kurtosis = central_moment(r, 4) / (sd * sd * sd * sd);
  EXPECT_GT(kurtosis, 4.0) << "fat tails: a normal distribution has 3";
  EXPECT_LT(*std::min_element(r.begin(), r.end()), -0.08) << "some large down days";
  EXPECT_GT(*std::max_element(r.begin(), r.end()), 0.08) << "some large up days";
}

TEST(DemoMarket, VolatilityClusters) {
  // |r| is positively autocorrelated when calm and wild periods alternate (GARCH-like);
  // for independent returns the lag-1 autocorrelation of |r| would be about 0.
  const Market m = atc::demo::make_market(50, 2000);
  double correlation_sum = 0.0;
  for (std::size_t s = 0; s < m.symbols.size(); ++s) {
    const auto close = column(m, s);
    std::vector<double> a;
    for (std::size_t t = 1; t < m.bars; ++t)
      if (!std::isnan(close[t - 1])) a.push_back(std::abs(close[t] / close[t - 1] - 1.0));
    const double mu = mean(a), var = central_moment(a, 2);
    double cov = 0.0;
    for (std::size_t t = 1; t < a.size(); ++t) cov += (a[t] - mu) * (a[t - 1] - mu);
    correlation_sum += cov / static_cast<double>(a.size() - 1) / var;
  }
  EXPECT_GT(correlation_sum / static_cast<double>(m.symbols.size()), 0.05);
}

TEST(DemoMarket, TrendsLastLongerThanARandomWalkWouldSuggest) {
  // Regime drift shows as 60-bar returns that are wider than sqrt(60) daily volatilities.
  const Market m = atc::demo::make_market(100, 2000);
  std::vector<double> daily, sixty;
  for (std::size_t s = 0; s < m.symbols.size(); ++s) {
    const auto close = column(m, s);
    for (std::size_t t = 60; t < m.bars; ++t) {
      if (std::isnan(close[t - 60])) continue;
      daily.push_back(std::log(close[t] / close[t - 1]));
      if (t % 60 == 0) sixty.push_back(std::log(close[t] / close[t - 60]));
    }
  }
  const double variance_ratio = central_moment(sixty, 2) / (60.0 * central_moment(daily, 2));
  EXPECT_GT(variance_ratio, 1.05);
}

}  // namespace
