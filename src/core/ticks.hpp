// The tick scale of a series (docs/SEMANTICS.md §3a.1): one pass over its values,
// usually one multiplication, one rounding and one division per value. One definition
// for the host (series prepared from host memory, the live engine) and the device
// (series validated where they lie, atc/device.hpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "exact.hpp"

namespace atc::detail {

struct SeriesTicks {
  exact::TickScale scale;
  double max_tick = 0.0;     // largest |tick| of any value in the scale of its bars
  bool representable = true;  // false: the binary scale 2^k is out of double range
};

inline constexpr int kMaxDecimals = 12;
inline constexpr double kDecimalLimit = 0x1p50;  // |m| < 2^50

// 10^d, 0 ≤ d ≤ 12, exact.
ATC_HD double power_of_ten(int d) {
  double p = 1.0;
  for (int i = 0; i < d; ++i) p *= 10.0;  // exact: every 10^d ≤ 10^12 is a double
  return p;
}

// m = the integer nearest v·10^d; v fits d when |m| < 2^50 and m / 10^d rounds to v.
// (Below 2^50 the product is within 1/4 of the exact one, so rint finds that m.)
// `scale` is 10^d.
ATC_HD bool fits_scale(double v, double scale) {
  const double m = std::rint(v * scale);
  return std::fabs(m) < kDecimalLimit && m / scale == v;
}
ATC_HD bool fits_decimals(double v, int d) { return fits_scale(v, power_of_ten(d)); }

// fits_scale without a branch, so that a block of values is checked in vector lanes.
// Adding and taking away 1.5·2^52 rounds to the nearest integer as rint does while
// |v·scale| < 2^51; beyond, it leaves |m| ≥ 2^50, which fails as rint's m would.
// (Exact only because no compiler contracts the sum into an FMA here: -ffp-contract=off,
// --fmad=false.)
ATC_HD bool fits_scale_branch_free(double v, double scale) {
  constexpr double kRoundingBias = 0x1.8p52;
  const double m = (v * scale + kRoundingBias) - kRoundingBias;
  return (std::fabs(m) < kDecimalLimit) & (m / scale == v);
}

// The larger of two magnitudes, neither NaN (prices are finite here): std::fmax's NaN
// rules are not needed, and on the host fmax is a call into libm in the per-value loop.
ATC_HD double larger(double a, double b) { return b > a ? b : a; }

// The exponent of the lowest set bit of v ≠ 0 (v = odd · 2^result).
ATC_HD int lowest_set_bit(double v) {
  int e = 0;
  const double f = std::frexp(std::fabs(v), &e);
  const auto mantissa = static_cast<std::uint64_t>(std::ldexp(f, 53));
#if defined(__CUDA_ARCH__)
  return e - 53 + (__ffsll(static_cast<long long>(mantissa)) - 1);
#else
  return e - 53 + __builtin_ctzll(mantissa);
#endif
}

// Whether the binary scale 2^k is a normal double (else the series is a tick-range error).
ATC_HD bool binary_scale_representable(int k) { return k >= -1022 && k <= 1023; }

// The decimal prefix of §3a.1, one value at a time (series_ticks, and the live engine,
// which meets the values as they come): the smallest d ≤ 12 fitting every value so far.
// A larger d stands for the same decimals while the largest magnitude still fits 2^50,
// so d only grows.
struct DecimalPrefix {
  int decimals = 0;
  double largest = 0.0;  // of the values taken
  // Takes v, widening d if needed; false (and nothing changed) when v fits no d ≤ 12:
  // the series turns to binary ticks at v's bar.
  ATC_HD bool take(double v) {
    if (!fits_decimals(v, decimals)) {
      const double magnitude = larger(largest, std::fabs(v));
      int wider = decimals + 1;
      while (wider <= kMaxDecimals &&
             !(fits_decimals(v, wider) && std::rint(magnitude * power_of_ten(wider)) < kDecimalLimit))
        ++wider;
      if (wider > kMaxDecimals) return false;
      decimals = wider;
    }
    take_fitting(std::fabs(v));
    return true;
  }
  // Takes values that all fit `decimals`, of largest magnitude `magnitude`: what take does
  // to each of them, in any order (the device walk folds a warp's values at once).
  ATC_HD void take_fitting(double magnitude) { largest = larger(largest, magnitude); }
};

// The binary scale of §3a.1: the smallest k making every value taken an integer (a
// maximum over the values, so they may be taken in any order and partial scales merged),
// and their largest magnitude.
struct BinaryExponent {
  int k = -1100;         // below every double's -lowest_set_bit
  double largest = 0.0;  // of the nonzero values taken
  ATC_HD void take(double v) {
    if (v == 0.0) return;
    const int needed = -lowest_set_bit(v);
    k = needed > k ? needed : k;
    largest = larger(largest, std::fabs(v));
  }
  ATC_HD void merge(int other_k, double other_largest) {
    k = other_k > k ? other_k : k;
    largest = larger(largest, other_largest);
  }
};

// The ticks of a series of n values whose decimal prefix (the values before bar
// `binary_from`, n: all of them) left `prefix`, and whose values all went into `binary`
// (read only when binary_from < n).
ATC_HD SeriesTicks series_ticks_from(const DecimalPrefix& prefix, std::size_t binary_from, std::size_t n,
                                     const BinaryExponent& binary) {
  SeriesTicks out;
  out.scale.decimal = power_of_ten(prefix.decimals);
  out.max_tick = std::rint(prefix.largest * out.scale.decimal);
  if (binary_from == n) return out;  // decimal throughout
  out.scale.binary_from = static_cast<int>(binary_from);
  // Scales nest, so the whole series' k stands for the same numbers as each prefix's.
  const int k = binary.largest == 0.0 ? 0 : binary.k;
  if (!binary_scale_representable(k)) {
    out.representable = false;
    return out;
  }
  out.scale.binary = std::ldexp(1.0, k);
  out.max_tick = std::fmax(out.max_tick, std::ldexp(binary.largest, k));
  return out;
}

// The ticks of a series of n bars whose values at bar t are value(t, 0) (close) and,
// when own_src, value(t, 1) (src), all finite.
// Bars are taken kBlock at a time: a block whose values all fit the current scale (all
// but the few where d widens or the series turns binary) is taken at once, as take would
// take each of its values; any other block is taken value by value.
template <class Value>
ATC_HD SeriesTicks series_ticks_of(const Value& value, std::size_t n, bool own_src) {
  constexpr std::size_t kBlock = 64;
  const int tables = own_src ? 2 : 1;
  DecimalPrefix prefix;
  std::size_t binary_from = n;
  double scale = power_of_ten(prefix.decimals);  // 10^d, recomputed only when d widens
  for (std::size_t t = 0; t < n && binary_from == n;) {
    const std::size_t end = n - t > kBlock ? t + kBlock : n;
    bool fit = true;
    double largest = prefix.largest;
    for (int k = 0; k < tables; ++k)
      for (std::size_t u = t; u < end; ++u) {
        const double v = value(u, k);
        fit &= fits_scale_branch_free(v, scale);
        largest = larger(largest, std::fabs(v));
      }
    if (fit) {
      prefix.take_fitting(largest);
      t = end;
      continue;
    }
    for (; t < end && binary_from == n; ++t)
      for (int k = 0; k < tables && binary_from == n; ++k) {
        const double v = value(t, k);
        if (fits_scale(v, scale)) prefix.take_fitting(std::fabs(v));  // take(v) without a widening
        else if (!prefix.take(v)) binary_from = t;
        else scale = power_of_ten(prefix.decimals);
      }
  }
  BinaryExponent binary;
  if (binary_from < n)
    for (std::size_t t = 0; t < n; ++t)
      for (int k = 0; k < (own_src ? 2 : 1); ++k) binary.take(value(t, k));
  return series_ticks_from(prefix, binary_from, n, binary);
}

// close[0..n) and src[0..n) (src may equal close), all finite.
SeriesTicks series_ticks(const double* close, const double* src, std::size_t n);

// How a series' window sums are held, for MAs of at most `max_length` bars: as
// integer-valued doubles (every quantity below 2^53), as 128-bit integers, or not at all
// (the series is a tick-range error).
enum class SumWidth { Narrow, Wide, OutOfRange };
SumWidth sum_width(const SeriesTicks& ticks, int max_length);

}  // namespace atc::detail
