// The bundled synthetic market. Every number comes from integer arithmetic and IEEE
// +, -, *, / and sqrt (all exactly rounded), so a seed gives the same bits everywhere:
// no <random> distributions and no libm transcendental functions, whose results vary
// between standard libraries. The library is compiled with -ffp-contract=off, so no
// a*b+c is fused into an FMA here either.
#include "atc/demo.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace atc::demo {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Natural logarithm from its series, exactly reproducible: x = m * 2^e with m in
// [sqrt(1/2), sqrt(2)), ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m-1)/(m+1).
// |s| <= 0.172, so 13 terms reach double precision.
double portable_log(double x) {
  constexpr double kLn2 = 0.69314718055994530942;
  constexpr double kSqrtHalf = 0.70710678118654752440;
  int exponent = 0;
  double m = std::frexp(x, &exponent);  // exact: m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2.0;
    --exponent;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double sum = 0.0;
  for (int k = 25; k >= 1; k -= 2) sum = sum * s2 + 1.0 / k;  // Horner, smallest terms first
  return 2.0 * s * sum + exponent * kLn2;
}

// xoshiro256** (Blackman & Vigna) seeded through splitmix64.
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (std::uint64_t& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool chance(double probability) { return uniform() < probability; }

  // Standard normal by the polar form of Box-Muller (no sine or cosine needed).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0.0, v = 0.0, s = 0.0;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * portable_log(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return u * factor;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4]{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// One stream per purpose and symbol, so symbol s is the same whatever the market size.
Random stream(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) {
  std::uint64_t mix = seed ^ (purpose * 0xD1B54A32D192ED03ULL);
  mix = splitmix64(mix) ^ index;
  return Random(splitmix64(mix));
}

constexpr double kTradingDays = 252.0;

// GARCH(1,1): h[t] = omega + alpha * eps[t-1]^2 + beta * h[t-1], long-run variance sigma^2.
class Garch {
 public:
  Garch(double daily_sigma, double alpha, double beta)
      : alpha_(alpha), beta_(beta), omega_(daily_sigma * daily_sigma * (1.0 - alpha - beta)),
        variance_(daily_sigma * daily_sigma) {}

  double draw(Random& random) {
    const double shock = std::sqrt(variance_) * random.normal();
    variance_ = omega_ + alpha_ * shock * shock + beta_ * variance_;
    return shock;
  }

 private:
  double alpha_, beta_, omega_, variance_;
};

// Market-wide daily return: about 16% annual volatility, 7% annual drift.
std::vector<double> market_factor(std::uint64_t seed, std::size_t bars) {
  Random random = stream(seed, 1, 0);
  Garch garch(0.16 / std::sqrt(kTradingDays), 0.09, 0.89);
  std::vector<double> factor(bars);
  for (double& r : factor) r = 0.07 / kTradingDays + garch.draw(random);
  return factor;
}

enum class Regime { Range, Up, Down };

std::vector<double> symbol_path(std::uint64_t seed, std::size_t symbol, std::size_t bars,
                                const std::vector<double>& market) {
  Random random = stream(seed, 2, symbol);
  std::vector<double> close(bars, std::numeric_limits<double>::quiet_NaN());

  const double beta = random.uniform(0.4, 1.4);
  Garch idiosyncratic(random.uniform(0.15, 0.55) / std::sqrt(kTradingDays), 0.07, 0.91);
  const double u = random.uniform();
  double price = 5.0 + 495.0 * u * u;  // more cheap stocks than expensive ones
  const std::size_t listing =
      random.chance(0.05) ? static_cast<std::size_t>(static_cast<double>(bars) * random.uniform(0.1, 0.6))
                          : 0;

  Regime regime = Regime::Range;
  double trend_drift = 0.0;
  double anchor = price;  // a range oscillates around the price where it began
  for (std::size_t t = listing; t < bars; ++t) {
    if (t == listing || random.chance(1.0 / 80.0)) {  // regimes last about 80 bars
      const double pick = random.uniform();
      regime = pick < 0.4 ? Regime::Range : (pick < 0.75 ? Regime::Up : Regime::Down);
      trend_drift = random.uniform(0.001, 0.003) * (regime == Regime::Down ? -1.0 : 1.0);
      anchor = price;
    }
    const double drift =
        regime == Regime::Range ? -0.01 * (price / anchor - 1.0) : trend_drift;
    double r = drift + beta * market[t] + idiosyncratic.draw(random);
    if (random.chance(0.003)) r += 0.05 * random.normal();  // news gaps
    price *= 1.0 + std::max(r, -0.6);  // a day never takes more than 60%: prices stay > 0
    close[t] = price;
  }
  return close;
}

std::string symbol_name(std::size_t index, std::size_t symbols) {
  std::string number = std::to_string(index + 1);
  const std::size_t width = std::max<std::size_t>(4, std::to_string(symbols).size());
  return "SYM" + std::string(width - std::min(width, number.size()), '0') + number;
}

// Weekdays (UTC midnight) ending on Friday 2025-11-21, day 20413 since 1970-01-01.
std::vector<std::int64_t> weekday_timestamps(std::size_t bars) {
  constexpr std::int64_t kLastDay = 20413;
  constexpr std::int64_t kSecondsPerDay = 86400;
  std::vector<std::int64_t> timestamps(bars);
  std::int64_t day = kLastDay;
  for (std::size_t i = bars; i-- > 0;) {
    timestamps[i] = day * kSecondsPerDay;
    do --day;
    while ((day + 4) % 7 == 0 || (day + 4) % 7 == 6);  // 1970-01-01 was a Thursday (4)
  }
  return timestamps;
}

}  // namespace

Market make_market(std::size_t symbols, std::size_t bars, std::uint64_t seed) {
  Market market;
  market.bars = bars;
  market.timestamps = weekday_timestamps(bars);
  market.symbols.reserve(symbols);
  market.close.reserve(symbols * bars);
  const std::vector<double> factor = market_factor(seed, bars);
  for (std::size_t s = 0; s < symbols; ++s) {
    market.symbols.push_back(symbol_name(s, symbols));
    const std::vector<double> path = symbol_path(seed, s, bars, factor);
    market.close.insert(market.close.end(), path.begin(), path.end());
  }
  return market;
}

}  // namespace atc::demo
