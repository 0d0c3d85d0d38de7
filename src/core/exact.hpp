// Exact window arithmetic (docs/SEMANTICS.md §3a), shared by every backend, host and
// device: the tick scale of a series, window sums as integers, and the correctly
// rounded quotient of two integers. Window sums are kept either as integer-valued
// doubles (the narrow path: every quantity below 2^53, so double arithmetic on them
// is exact) or as 128-bit integers (the wide path); both give the same integers, so
// the path chosen for a series changes its speed, never its bits.
#pragma once

#include <cmath>
#include <cstdint>

#include "formulas.hpp"

// Rarely taken paths (the full quotient, the value of a window MA) stay out of line in
// device code, so that they do not crowd the registers of the kernels' hot loops.
#if defined(__CUDACC__)
#define ATC_HD_COLD inline __host__ __device__ __noinline__
#else
#define ATC_HD_COLD inline
#endif

namespace atc::exact {

__extension__ using Wide = __int128;
__extension__ using UWide = unsigned __int128;

// Ticks of one series (§3a.1): bar t's values v stand for the integers v·multiplier(t),
// exactly. Before `binary_from` the multiplier is 10^d (decimal ticks); from it on, 2^k
// (binary ticks, old values in a window included).
struct TickScale {
  double decimal = 1.0;        // 10^d
  double binary = 1.0;         // 2^k
  int binary_from = 1 << 30;   // first bar on binary ticks (0: binary throughout)

  ATC_HD bool is_binary(int t) const { return t >= binary_from; }
  ATC_HD double multiplier(int t) const { return is_binary(t) ? binary : decimal; }
  // The ticks of value v at bar t (an integer-valued double; exact: |tick| < 2^127).
  ATC_HD double tick(double v, int t) const { return std::rint(v * multiplier(t)); }
};

// Quantities the narrow path holds must stay below this (integers exact in a double).
inline constexpr double kNarrowLimit = 9007199254740992.0;  // 2^53
// ... and the wide path's below this (with a bit of headroom in 128 bits).
inline constexpr double kWideLimit = 0x1p125;

// The largest window quantity of a series whose ticks are at most `max_tick` in
// magnitude, for MAs of at most `max_length` bars: LSMA's 6·Σ j·x − 2(L−2)·Σx and the
// crossover products c·D stay below 5·T·L(L+1); KAMA's noise below 2·T·L.
ATC_HD double window_bound(double max_tick, int max_length) {
  const double len = static_cast<double>(max_length);
  return 5.0 * max_tick * len * (len + 1.0);
}

namespace detail {

// 192-bit unsigned integer for the exact comparisons of round_ratio.
struct U192 {
  std::uint64_t w[3] = {0, 0, 0};  // least significant first
};

ATC_HD int bit_length(UWide x) {
  const auto hi = static_cast<std::uint64_t>(x >> 64), lo = static_cast<std::uint64_t>(x);
#if defined(__CUDA_ARCH__)
  return hi != 0 ? 128 - __clzll(static_cast<long long>(hi)) : (lo != 0 ? 64 - __clzll(static_cast<long long>(lo)) : 0);
#else
  return hi != 0 ? 128 - __builtin_clzll(hi) : (lo != 0 ? 64 - __builtin_clzll(lo) : 0);
#endif
}

ATC_HD U192 shifted(UWide x, int s) {  // x · 2^s, 0 ≤ s and bit_length(x) + s ≤ 192
  U192 r;
  const std::uint64_t in[2] = {static_cast<std::uint64_t>(x), static_cast<std::uint64_t>(x >> 64)};
  const int words = s / 64, bits = s % 64;
  for (int i = 0; i < 2; ++i) {
    if (i + words < 3) r.w[i + words] |= in[i] << bits;
    if (bits != 0 && i + words + 1 < 3) r.w[i + words + 1] |= in[i] >> (64 - bits);
  }
  return r;
}

ATC_HD U192 product(UWide b, std::uint64_t m) {  // b · m
  const UWide p0 = static_cast<UWide>(static_cast<std::uint64_t>(b)) * m;
  const UWide p1 = static_cast<UWide>(static_cast<std::uint64_t>(b >> 64)) * m;
  const UWide mid = (p0 >> 64) + static_cast<std::uint64_t>(p1);
  U192 r;
  r.w[0] = static_cast<std::uint64_t>(p0);
  r.w[1] = static_cast<std::uint64_t>(mid);
  r.w[2] = static_cast<std::uint64_t>(p1 >> 64) + static_cast<std::uint64_t>(mid >> 64);
  return r;
}

ATC_HD U192 shifted(const U192& x, int s) {  // x · 2^s, no bit lost
  U192 r;
  const int words = s / 64, bits = s % 64;
  for (int i = 0; i < 3; ++i) {
    if (i + words < 3) r.w[i + words] |= x.w[i] << bits;
    if (bits != 0 && i + words + 1 < 3) r.w[i + words + 1] |= x.w[i] >> (64 - bits);
  }
  return r;
}

ATC_HD int compare(const U192& x, const U192& y) {
  for (int i = 2; i >= 0; --i)
    if (x.w[i] != y.w[i]) return x.w[i] < y.w[i] ? -1 : 1;
  return 0;
}

// Sign of a·2^s − m·b (b > 0, m < 2^56).
ATC_HD int compare_scaled(UWide a, int s, std::uint64_t m, UWide b) {
  U192 right = product(b, m);
  const int right_bits = bit_length(b) + 56;
  if (s >= 0) {
    if (bit_length(a) + s > 190) return 1;  // far beyond m·b < 2^184
    return compare(shifted(a, s), right);
  }
  if (right_bits - s > 190) return -1;
  return compare(shifted(a, 0), shifted(right, -s));
}

}  // namespace detail

// a / b correctly rounded for a or b of 53 bits or more: an estimate corrected by exact
// comparisons with the midpoints on either side of it.
ATC_HD_COLD double round_ratio_wide(UWide a, UWide b) {
  double q = static_cast<double>(a) / static_cast<double>(b);  // within a few ulps
  for (int round = 0; round < 8; ++round) {
    int e = 0;
    const double f = std::frexp(q, &e);  // q = f·2^e, f in [0.5, 1)
    const auto m = static_cast<std::uint64_t>(std::ldexp(f, 53));  // q = m·2^(e−53)
    const int exponent = e - 53;
    // Above: the midpoint (2m+1)·2^(exponent−1).
    const int above = detail::compare_scaled(a, 1 - exponent, 2 * m + 1, b);
    if (above > 0 || (above == 0 && (m & 1) != 0)) {
      q = std::nextafter(q, HUGE_VAL);
      if (above == 0) return q;
      continue;
    }
    if (above == 0) return q;
    // Below: (2m−1)·2^(exponent−1), or (4m−1)·2^(exponent−2) at the bottom of a binade.
    const bool bottom = m == (std::uint64_t{1} << 52);
    const int below = bottom ? detail::compare_scaled(a, 2 - exponent, 4 * m - 1, b)
                             : detail::compare_scaled(a, 1 - exponent, 2 * m - 1, b);
    if (below < 0 || (below == 0 && (m & 1) != 0)) {
      q = std::nextafter(q, 0.0);
      if (below == 0) return q;
      continue;
    }
    return q;
  }
  return q;
}

// a / b correctly rounded to the nearest double, ties to even (a ≥ 0, b > 0): one IEEE
// division when both fit in 53 bits.
ATC_HD double round_ratio(UWide a, UWide b) {
  if (a == 0) return 0.0;
  constexpr UWide kExact = static_cast<UWide>(1) << 53;
  if (a < kExact && b < kExact) return static_cast<double>(a) / static_cast<double>(b);
  return round_ratio_wide(a, b);
}

// n / d correctly rounded, n of either sign, d > 0.
ATC_HD double round_ratio_signed(Wide n, UWide d) {
  const double q = round_ratio(static_cast<UWide>(n < 0 ? -n : n), d);
  return n < 0 ? -q : q;
}

// The value of the exact rational n / d ticks of bar t (a window MA, the EMA seed),
// rounded once (§3a.3): with decimal ticks n / (d·10^d') rounded; with binary ones
// n / d rounded, then scaled by 2^−k, which is exact.
ATC_HD_COLD double tick_value(Wide n, UWide d, const TickScale& scale, int t) {
  if (scale.is_binary(t)) return round_ratio_signed(n, d) / scale.binary;
  return round_ratio_signed(n, d * static_cast<UWide>(static_cast<std::uint64_t>(scale.decimal)));
}

// x·k for k ≥ 0 below 2^63 (the window weights and denominators), in two 64-bit products
// rather than a full 128-bit one; exact modulo 2^128, so for x of either sign.
ATC_HD Wide times(Wide x, long long k) {
  const auto ux = static_cast<UWide>(x);
  const auto uk = static_cast<std::uint64_t>(k);
  UWide p = static_cast<UWide>(static_cast<std::uint64_t>(ux)) * uk;
  p += static_cast<UWide>(static_cast<std::uint64_t>(ux >> 64) * uk) << 64;
  return static_cast<Wide>(p);
}
ATC_HD double times(double x, long long k) { return x * static_cast<double>(k); }

// Integer-valued double (|x| < 2^125) as a 128-bit integer, exactly.
ATC_HD Wide to_wide(double x) { return static_cast<Wide>(x); }

namespace detail {

ATC_HD std::uint64_t bits_of(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  std::uint64_t b;
  __builtin_memcpy(&b, &x, sizeof b);
  return b;
#endif
}
ATC_HD double double_of(std::uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  double x;
  __builtin_memcpy(&x, &b, sizeof x);
  return x;
#endif
}

// x < 2^106 as hi + lo exactly: hi its top 53 bits, lo the rest (below 2^53).
ATC_HD void split(UWide x, double& hi, double& lo) {
  const int n = bit_length(x), s = n > 53 ? n - 53 : 0;
  const std::uint64_t top = static_cast<std::uint64_t>(x >> s);
  hi = static_cast<double>(top) * double_of(static_cast<std::uint64_t>(1023 + s) << 52);  // top · 2^s
  lo = static_cast<double>(static_cast<std::uint64_t>(x & ((static_cast<UWide>(1) << s) - 1)));
}

}  // namespace detail

// round_ratio for the wide path's hot loop (a, b < 2^106): the quotient to about 100 bits
// from the double-double forms of a and b, rounded; the exact round_ratio only where that
// lands within 2^-40 ulp of a midpoint between doubles (exact midpoints included).
ATC_HD double round_ratio_fast(UWide a, UWide b) {
  constexpr UWide kExact = static_cast<UWide>(1) << 53, kDoubleDouble = static_cast<UWide>(1) << 106;
  if (a == 0) return 0.0;
  if (a < kExact && b < kExact) return static_cast<double>(a) / static_cast<double>(b);
  if (a >= kDoubleDouble || b >= kDoubleDouble) return round_ratio_wide(a, b);
  double ah, al, bh, bl;
  detail::split(a, ah, al);
  detail::split(b, bh, bl);
  const double q1 = ah / bh;
  // r = a − q1·b: ah − p is exact (Sterbenz), pe the exact error of p = q1·bh.
  const double p = q1 * bh, pe = std::fma(q1, bh, -p);
  const double r = (((ah - p) - pe) + al) - q1 * bl;
  const double q2 = r / bh;
  const double q = q1 + q2, tail = q2 - (q - q1);  // q + tail = q1 + q2 exactly
  // Half an ulp of q (a quarter below a power of two), from its exponent bits.
  const std::uint64_t exponent = detail::bits_of(q) & 0x7FF0000000000000ull;
  double half = detail::double_of(exponent) * 0x1p-53;
  if (tail < 0.0 && (detail::bits_of(q) & 0x000FFFFFFFFFFFFFull) == 0) half *= 0.5;
  const double margin = half * 0x1p-39;
  if (std::fabs(tail) < half - margin) return q;
  return round_ratio_wide(a, b);
}

// The KAMA efficiency ratio signal / noise rounded once, 0 when noise is 0 (§3a.3).
ATC_HD double efficiency_ratio(double signal, double noise) { return noise != 0.0 ? signal / noise : 0.0; }
ATC_HD double efficiency_ratio(Wide signal, Wide noise) {
  return noise != 0 ? round_ratio_fast(static_cast<UWide>(signal), static_cast<UWide>(noise)) : 0.0;
}

// The window MAs as exact rationals N / D of ticks (§3a.2), from Σx and Σ j·x with
// j = 1 … L oldest first (sum_w). Acc is double (narrow) or Wide; the comparison
// close > MA is c·D > N.
// 6·Σ j·x − 2(L−2)·Σx with j = 0 … L−1, i.e. 6·sum_w − (2L + 2)·sum_y. `times(x, k)`
// multiplies a sum by a small integer (the cpu backend passes its vector one).
template <class Acc, class Times>
ATC_HD Acc lsma_numerator(Acc sum_y, Acc sum_w, int len, Times times_k) {
  return times_k(sum_w, 6) - times_k(sum_y, 2 * len + 2);
}
struct Times {
  template <class Acc>
  ATC_HD Acc operator()(Acc x, long long k) const { return times(x, k); }
};
template <class Acc>
ATC_HD Acc lsma_numerator(Acc sum_y, Acc sum_w, int len) {
  return lsma_numerator(sum_y, sum_w, len, Times{});
}

// The running window sums Σx and Σ j·x (j = 1 … L oldest first) as the window of `len`
// values slides: x enters with weight len, every other weight falls by one and `out`
// (weight 1) leaves. Every backend's window chains take this step (and fill_window while
// their first window fills); `times(x, k)` as for lsma_numerator.
template <class Acc, class Times = exact::Times>
ATC_HD void slide_window(Acc& sum_y, Acc& sum_w, Acc x, Acc out, long long len, Times times_k = {}) {
  sum_w = sum_w - sum_y + times_k(x, len);
  sum_y = sum_y - out + x;
}
// The first window filling: x enters with weight `weight` (t + 1 at bar t).
template <class Acc, class Times = exact::Times>
ATC_HD void fill_window(Acc& sum_y, Acc& sum_w, Acc x, long long weight, Times times_k = {}) {
  sum_y += x;
  sum_w += times_k(x, weight);
}
ATC_HD long long sma_denominator(int len) { return len; }
ATC_HD long long wma_denominator(int len) { return static_cast<long long>(len) * (len + 1) / 2; }
ATC_HD long long lsma_denominator(int len) { return static_cast<long long>(len) * (len + 1); }

}  // namespace atc::exact
