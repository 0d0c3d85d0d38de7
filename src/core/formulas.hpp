// The per-bar formulas of docs/SEMANTICS.md §4-§8, shared by every backend (host and
// device) so that all of them perform the same floating-point operations in the same
// order. The window MAs are exact integers of ticks (exact.hpp), summed afresh in the
// reference and kept as running sums in the fast backends. Templates over the
// floating-point type T: every backend uses double; the CUDA kernel's float32 variant
// instantiates float; the CPU group pipeline instantiates GCC vector types (one symbol
// a lane), for which comparisons yield lane masks, so the formulas are written with
// select() rather than branches on values.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

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

// Primitives for scalars and GCC vector types alike. GCC vector types have no
// associated namespace, so overloads declared elsewhere would not be found: they live
// here, generic. constant<T>(x): x in T (every lane), in T's precision.
template <class T>
ATC_HD constexpr T constant(double x) {
  if constexpr (std::is_arithmetic_v<T>) return static_cast<T>(x);
  else return T{} + x;
}
// m ? a : b, per lane for a vector mask m (all-ones or zero lanes).
template <class M, class T>
ATC_HD T select(M m, T a, T b) {
  return m ? a : b;
}
template <class T>
ATC_HD T floor_of(T x) {
  if constexpr (std::is_arithmetic_v<T>) {
    return std::floor(x);
  } else {
    for (int l = 0; l < static_cast<int>(sizeof(T) / sizeof(x[0])); ++l) x[l] = std::floor(x[l]);
    return x;
  }
}

// floor(100x + 0.5): x in hundredths, ties rounded up, like TradingView's math.round.
template <class T>
ATC_HD T hundredths(T x) {
  return floor_of(constant<T>(100) * x + constant<T>(0.5));
}
// round2(x) = floor(100x + 0.5) / 100.
template <class T>
ATC_HD T round2(T x) {
  return hundredths(x) / constant<T>(100);
}

// Cut(x) of Layer 2: +1 above 0.49, -1 below -0.49, else 0 (NaN -> 0).
template <class T>
ATC_HD T cut(T x) {
  return select(x > constant<T>(kCutLevel), constant<T>(1),
                select(x < -constant<T>(kCutLevel), constant<T>(-1), constant<T>(0)));
}

// Persistent crossover state (§4) of x against y: every comparison with a NaN operand
// is false. S: the signal's type (int8_t, or the vector holding it); & rather than &&
// so that it also reads for vector masks.
template <class S, class T>
ATC_HD S next_signal(S s, T x, T x_prev, T y, T y_prev) {
  const auto up = (x > y) & (x_prev <= y_prev);
  const auto down = (x < y) & (x_prev >= y_prev);
  return select(up, constant<S>(1), select(down, constant<S>(-1), s));
}

// EMA recurrence; alpha = 2 / (L + 1).
template <class T>
ATC_HD T ema_step(T prev, T x, T alpha) {
  return alpha * x + (constant<T>(1) - alpha) * prev;
}

// KAMA smoothing constant from the efficiency ratio (exact::efficiency_ratio).
template <class T>
ATC_HD T kama_sc(T er) {
  const T base = er * (constant<T>(kKamaFast) - constant<T>(kKamaSlow)) + constant<T>(kKamaSlow);
  return base * base;
}
template <class T>
ATC_HD T kama_step(T k, T sc, T x) {
  return k + sc * (x - k);
}

// One equity curve eq(start, sig, R) of §5, advanced one bar. The caller supplies
// t relative to the series start, the adjusted return r = R[t]·g[t] (g from
// growth_factor) and the previous bar's signal (NaN allowed: it counts as 0). For a
// vector T the curves share t and cutout. The signal may have its own type S (the live
// step keeps it as int8_t).
template <class T>
struct EquityT {
  T e = constant<T>(NAN);  // NaN before cutout
  T a = constant<T>(0);    // persistent adjusted return

  template <class S>
  ATC_HD T step(int t, int cutout, T start, T r, S sig_prev, T keep /* 1 - De */) {
    if (t < cutout) return e;  // stays NaN
    if (t > 0) follow(r, sig_prev);
    e = floored(t == cutout ? start : e * keep * (constant<T>(1) + a));
    return e;
  }
  // step() for a bar t > cutout, t > 0: what is left of it once the bar is known to be
  // past the start (the fast backends' steady state).
  template <class S>
  ATC_HD T step_running(T r, S sig_prev, T keep) {
    follow(r, sig_prev);
    e = floored(e * keep * (constant<T>(1) + a));
    return e;
  }

 private:
  // a keeps its value where sig_prev is 0 or NaN. The device takes the same values by
  // branches: with selects nvcc spills more in the fused kernels' double variants.
  template <class S>
  ATC_HD void follow(T r, S sig_prev) {
#if defined(__CUDA_ARCH__)
    if (sig_prev > constant<S>(0)) a = r;
    else if (sig_prev < constant<S>(0)) a = -r;
#else
    a = select(sig_prev > constant<S>(0), r, select(sig_prev < constant<S>(0), -r, a));
#endif
  }
  static ATC_HD T floored(T v) { return select(v < constant<T>(kEquityFloor), constant<T>(kEquityFloor), v); }
};
using Equity = EquityT<double>;

// Σ signal·equity / Σ equity, the terms added in the caller's order: Layer 1 (§6, its
// round2 or hundredths) and Average_Signal.
template <class T>
struct WeightedSumT {
  T num = constant<T>(0), den = constant<T>(0);
  ATC_HD void add(T signal, T equity) {
    num += signal * equity;
    den += equity;
  }
  ATC_HD T ratio() const { return num / den; }
};

// Average_Signal of one bar (§7): Σ Cut(X_Signal)·X_S / Σ X_S, the families added in
// the order EMA, HMA, WMA, DEMA, LSMA, KAMA.
template <class T>
struct AverageSignalT {
  WeightedSumT<T> sum;
  ATC_HD void add(T x_signal, T x_equity) { sum.add(cut(x_signal), x_equity); }
  ATC_HD T value() const { return sum.ratio(); }
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
