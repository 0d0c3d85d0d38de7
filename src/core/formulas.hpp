// The per-bar formulas of docs/SEMANTICS.md §4-§8, shared by every backend (host and
// device) so that all of them perform the same floating-point operations in the same
// order. The window MAs are exact integers of ticks (exact.hpp), summed afresh in the
// reference and kept as running sums in the fast backends. Templates over the
// floating-point type T: every backend uses double; the CUDA kernel's float32 variant
// instantiates float.
#pragma once

#include <cmath>
#include <cstdint>

#include "atc/config.hpp"

// Per-bar formulas are always inlined: they sit in the backends' hot loops, which are
// large enough that the compiler's inlining budget would otherwise give out.
#if defined(__CUDACC__)
#define ATC_HD __host__ __device__ __forceinline__
#else
#define ATC_HD inline __attribute__((always_inline))
#endif

namespace atc::formulas {

inline constexpr double kKamaFast = 0.666;
inline constexpr double kKamaSlow = 0.064;
inline constexpr double kEquityFloor = 0.25;
inline constexpr double kCutLevel = 0.49;
// La * (n - 1 - cutout) above this would overflow the growth factor.
inline constexpr double kMaxGrowthExponent = 700.0;

// round2(x) = floor(100x + 0.5) / 100: ties round up, like TradingView's math.round.
template <class T>
ATC_HD T round2(T x) {
  return std::floor(T(100) * x + T(0.5)) / T(100);
}

// Cut(x) of Layer 2: +1 above 0.49, -1 below -0.49, else 0 (NaN -> 0).
template <class T>
ATC_HD T cut(T x) {
  return x > T(kCutLevel) ? T(1) : (x < -T(kCutLevel) ? T(-1) : T(0));
}

// Persistent crossover state (§4): every comparison with a NaN operand is false.
template <class T>
ATC_HD std::int8_t next_signal(std::int8_t s, T x, T x_prev, T y, T y_prev) {
  if (x > y && x_prev <= y_prev) return 1;
  if (x < y && x_prev >= y_prev) return -1;
  return s;
}

// EMA recurrence; alpha = 2 / (L + 1).
template <class T>
ATC_HD T ema_step(T prev, T x, T alpha) {
  return alpha * x + (T(1) - alpha) * prev;
}

// KAMA smoothing constant from the efficiency ratio (exact::efficiency_ratio).
template <class T>
ATC_HD T kama_sc(T er) {
  const T base = er * (T(kKamaFast) - T(kKamaSlow)) + T(kKamaSlow);
  return base * base;
}
template <class T>
ATC_HD T kama_step(T k, T sc, T x) {
  return k + sc * (x - k);
}

// One equity curve eq(start, sig, R) of §5, advanced one bar. The caller supplies
// t relative to the series start, the adjusted return r = R[t]·g[t] (g from
// growth_factor) and the previous bar's signal (NaN allowed: it counts as 0).
template <class T>
struct EquityT {
  T e = T(NAN);  // NaN before cutout
  T a = T(0);    // persistent adjusted return

  ATC_HD T step(int t, int cutout, T start, T r, T sig_prev, T keep /* 1 - De */) {
    if (t < cutout) return e;  // stays NaN
    if (t > 0) follow(r, sig_prev);
    e = floored(t == cutout ? start : e * keep * (T(1) + a));
    return e;
  }
  // step() for a bar t > cutout, t > 0: what is left of it once the bar is known to be
  // past the start (the fast backends' steady state).
  ATC_HD T step_running(T r, T sig_prev, T keep) {
    follow(r, sig_prev);
    e = floored(e * keep * (T(1) + a));
    return e;
  }

 private:
  ATC_HD void follow(T r, T sig_prev) {
    if (sig_prev > T(0)) a = r;
    else if (sig_prev < T(0)) a = -r;
  }
  static ATC_HD T floored(T v) { return v < T(kEquityFloor) ? T(kEquityFloor) : v; }
};
using Equity = EquityT<double>;

// Average_Signal of one bar (§7): Σ Cut(X_Signal)·X_S / Σ X_S, the families added in
// the order EMA, HMA, WMA, DEMA, LSMA, KAMA.
template <class T>
struct AverageSignalT {
  T num = T(0), den = T(0);
  ATC_HD void add(T x_signal, T x_equity) {
    num += cut(x_signal) * x_equity;
    den += x_equity;
  }
  ATC_HD T value() const { return num / den; }
};

// §10 without reading the 60 equities: past the cutout, a non-finite per-MA equity
// makes its family's Layer-1 signal NaN (Σ s·E / Σ E with an E of ∞ or NaN), a
// non-finite family equity makes Average_Signal NaN, and so do finite equities whose
// sum overflows; nothing else does (the denominators are at least 0.25 a term). This sum
// of the seven values is NaN exactly at the bars that are an equity-overflow error.
template <class T, class Signals>
ATC_HD T equity_probe(T average, const Signals& family_signal) {
  T sum = average;
  for (int f = 0; f < kFamilies; ++f) sum += family_signal[f];
  return sum;
}

ATC_HD double growth_factor(double la, int t, int cutout) {
  return std::exp(la * static_cast<double>(t - cutout));
}

// Classification of §8 for one bar, given A[t] and A[t-1] (either may be NaN).
struct Classifier {
  std::int8_t dir = 0;  // persistent direction

  struct Bar {
    std::int8_t trend, state, direction, long_entry, short_entry;
  };

  template <class T>
  ATC_HD Bar step(T a, T a_prev, T long_th, T short_th) {
    Bar b{0, 0, 0, 0, 0};
    if (a != a) return b;  // NaN: every output 0, no crossing
    b.trend = a > T(0) ? 1 : (a < T(0) ? -1 : 0);
    b.state = a > long_th ? 1 : (a < short_th ? -1 : 0);
    const bool cross_up = a > long_th && a_prev <= long_th;
    const bool cross_down = a < short_th && a_prev >= short_th;
    b.long_entry = (cross_up && dir == -1) ? 1 : 0;
    b.short_entry = (cross_down && dir == 1) ? 1 : 0;
    if (cross_up) dir = 1;
    else if (cross_down) dir = -1;
    b.direction = dir;
    return b;
  }
};

}  // namespace atc::formulas
