// Deterministic synthetic price series for the tests and the benchmarks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

namespace atc::test {

// Standard normal draws by the Box-Muller transform on std::mt19937_64, whose output
// sequence the C++ standard fixes: the same seed gives the same numbers everywhere
// (std::normal_distribution is implementation-defined, so it is not used).
class NormalSource {
 public:
  explicit NormalSource(std::uint64_t seed) : engine_(seed) {}

  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform_open();
    const double u2 = uniform_open();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

  // Uniform in (0, 1).
  double uniform_open() {
    return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53;
  }

  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// A geometric random walk: close[t] = close[t-1] * exp(volatility * z_t), z_t ~ N(0, 1).
inline std::vector<double> random_walk(std::size_t bars, std::uint64_t seed, double start = 100.0,
                                       double volatility = 0.01) {
  NormalSource normal(seed);
  std::vector<double> close(bars);
  double price = start;
  for (std::size_t t = 0; t < bars; ++t) {
    if (t > 0) price *= std::exp(volatility * normal.next());
    close[t] = price;
  }
  return close;
}

// A geometric random walk on a grid of `tick` (prices k / (1/tick), as a CSV parser reads
// them: decimal ticks) that repeats its last price with probability `plateau`, so that
// exact ties between a close and its window MAs are frequent.
inline std::vector<double> grid_walk(std::size_t bars, std::uint64_t seed, double tick, double start,
                                     double plateau) {
  NormalSource normal(seed);
  const double per_unit = std::round(1.0 / tick);
  long long k = std::llround(start * per_unit);
  std::vector<double> out(bars);
  for (double& v : out) {
    if (normal.uniform_open() >= plateau)
      k = std::max(1LL, k + std::llround(normal.next() * 0.004 * static_cast<double>(k)));
    v = static_cast<double>(k) / per_unit;
  }
  return out;
}

}  // namespace atc::test
