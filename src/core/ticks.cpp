#include "ticks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace atc::detail {
namespace {

constexpr int kMaxDecimals = 12;
constexpr double kPow10[kMaxDecimals + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,  1e5, 1e6,
                                             1e7, 1e8, 1e9, 1e10, 1e11, 1e12};
constexpr double kDecimalLimit = 0x1p50;  // |m| < 2^50

// m = the integer nearest v·10^d; v fits d when |m| < 2^50 and m / 10^d rounds to v.
// (Below 2^50 the product is within 1/4 of the exact one, so rint finds that m.)
bool fits(double v, int d) {
  const double m = std::rint(v * kPow10[d]);
  return std::fabs(m) < kDecimalLimit && m / kPow10[d] == v;
}

}  // namespace

double power_of_ten(int d) { return kPow10[d]; }

int lowest_set_bit(double v) {
  int e = 0;
  const double f = std::frexp(std::fabs(v), &e);
  const auto mantissa = static_cast<std::uint64_t>(std::ldexp(f, 53));
  return e - 53 + __builtin_ctzll(mantissa);
}

bool DecimalPrefix::take(double v) {
  if (!fits(v, decimals)) {
    const double magnitude = std::max(largest, std::fabs(v));
    int wider = decimals + 1;
    while (wider <= kMaxDecimals && !(fits(v, wider) && std::rint(magnitude * kPow10[wider]) < kDecimalLimit))
      ++wider;
    if (wider > kMaxDecimals) return false;
    decimals = wider;
  }
  largest = std::max(largest, std::fabs(v));
  return true;
}

SeriesTicks series_ticks(const double* close, const double* src, std::size_t n) {
  SeriesTicks out;
  const bool own_src = src != close;
  DecimalPrefix prefix;
  std::size_t binary_from = n;
  for (std::size_t t = 0; t < n && binary_from == n; ++t)
    for (int k = 0; k < (own_src ? 2 : 1) && binary_from == n; ++k)
      if (!prefix.take(k == 0 ? close[t] : src[t])) binary_from = t;
  out.scale.decimal = kPow10[prefix.decimals];
  out.max_tick = std::rint(prefix.largest * kPow10[prefix.decimals]);
  if (binary_from == n) return out;  // decimal throughout
  out.scale.binary_from = static_cast<int>(binary_from);

  // Binary ticks: the smallest k making every value an integer (scales nest, so the
  // whole series' k stands for the same numbers as each prefix's).
  int k = -1100;
  double all_largest = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    for (int j = 0; j < (own_src ? 2 : 1); ++j) {
      const double v = j == 0 ? close[t] : src[t];
      if (v == 0.0) continue;
      k = std::max(k, -lowest_set_bit(v));
      all_largest = std::max(all_largest, std::fabs(v));
    }
  }
  if (all_largest == 0.0) k = 0;
  if (!binary_scale_representable(k)) {
    out.representable = false;
    return out;
  }
  out.scale.binary = std::ldexp(1.0, k);
  out.max_tick = std::max(out.max_tick, std::ldexp(all_largest, k));
  return out;
}

SumWidth sum_width(const SeriesTicks& ticks, int max_length) {
  const double bound = exact::window_bound(ticks.max_tick, max_length);
  if (!ticks.representable || !(bound < exact::kWideLimit)) return SumWidth::OutOfRange;
  return bound < exact::kNarrowLimit ? SumWidth::Narrow : SumWidth::Wide;
}

}  // namespace atc::detail
