// The benchmarks' universe: cent-grid random walks (every price a whole number of cents,
// so ties between prices and window means occur as in market data).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "atc/batch.hpp"

namespace atc::bench {

struct Universe {
  std::vector<std::string> names;
  std::vector<std::vector<double>> close;
  std::vector<atc::SeriesView> views;
};

inline Universe universe(int symbols, int bars, unsigned seed) {
  Universe u;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  for (int s = 0; s < symbols; ++s) {
    std::string name = "S";  // (not "S" + to_string: GCC 12's -Wrestrict false positive)
    name += std::to_string(s);
    u.names.push_back(std::move(name));
    std::vector<double> c(static_cast<std::size_t>(bars));
    long long cents = 10'000 + static_cast<long long>(rng() % 90'000);
    for (double& v : c) {
      cents = std::max(1LL, cents + std::llround(z(rng) * 0.01 * static_cast<double>(cents)));
      v = static_cast<double>(cents) / 100.0;
    }
    u.close.push_back(std::move(c));
  }
  for (int s = 0; s < symbols; ++s) u.views.push_back({u.names[s], u.close[s], {}});
  return u;
}

}  // namespace atc::bench
