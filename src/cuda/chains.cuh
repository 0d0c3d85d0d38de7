// Device primitives of the CUDA backend: one moving-average chain advanced by one bar
// (O(1) work per bar), and the per-MA signal/equity tracker that follows it. The stage
// kernels and the fused kernel are both built from these, so they compute the same
// floating-point operations in the same order (and those of the reference where the
// reference has a recurrence: EMA, DEMA, signals, equities, Layer 1/2, classification).
//
// Running window sums (SMA/WMA/LSMA sums and the KAMA noise) are re-summed exactly, in
// the reference's order, every kResumPeriod bars so that drift stays near one ulp on
// series of any length.
#pragma once

#include <cstdint>

#include "../core/formulas.hpp"

namespace atc::cuda {

// Short enough that a series moving by orders of magnitude between re-summations (5% per
// bar random walks over 100,000 bars) stays within 1e-9 of the O(L) definitions.
inline constexpr int kResumPeriod = 256;  // a power of two

// One symbol's series in device memory: element t at p[t * stride].
struct Column {
  const double* p;
  long long stride;
  __device__ __forceinline__ double operator[](int t) const { return __ldg(p + t * stride); }
};

// The inputs of one bar: t from the series start, src[t], src[t-1] (NaN at t = 0) and
// the src series for the windowed MAs' look-back (any type with operator[](int t)).
template <class Source>
struct BarOf {
  int t;
  double x;
  double x_prev;
  Source src;
};
using Bar = BarOf<Column>;

__device__ __forceinline__ bool resum_due(int t) { return (t & (kResumPeriod - 1)) == 0; }

// EMA seeded with the mean of its first `len` inputs; u counts inputs from 0. Until the
// seed is complete, `state` holds the running sum of the inputs.
__device__ __forceinline__ double seeded_ema(double& state, int u, double x, int len, double alpha) {
  if (u < len - 1) {
    state += x;
    return NAN;
  }
  state = u == len - 1 ? (state + x) / len : formulas::ema_step(state, x, alpha);
  return state;
}

struct EmaChain {
  double state = 0.0;
  static ATC_HD double coefficient(int len) { return 2.0 / (len + 1.0); }
  template <class B>
  __device__ __forceinline__ double step(const B& b, int len, double alpha) {
    return seeded_ema(state, b.t, b.x, len, alpha);
  }
};

// DEMA = 2·e1 − e2, e2 the EMA of e1 over e1's valid values (from bar len−1).
struct DemaChain {
  double e1 = 0.0, e2 = 0.0;
  static ATC_HD double coefficient(int len) { return 2.0 / (len + 1.0); }
  template <class B>
  __device__ __forceinline__ double step(const B& b, int len, double alpha) {
    const double v1 = seeded_ema(e1, b.t, b.x, len, alpha);
    if (b.t < len - 1) return NAN;
    const double v2 = seeded_ema(e2, b.t - (len - 1), v1, len, alpha);
    return b.t < 2 * len - 2 ? NAN : 2.0 * v1 - v2;
  }
};

// Σy and Σ(k+1)·y over the last `len` inputs (k = 0 oldest): SMA, WMA and LSMA.
struct WindowSums {
  double sum_y = 0.0, sum_w = 0.0;
  // Advances to bar t; false while the first window is incomplete.
  template <class B>
  __device__ __forceinline__ bool step(const B& b, int len) {
    if (b.t < len) {
      sum_y += b.x;
      sum_w += (b.t + 1.0) * b.x;
      return b.t + 1 == len;
    }
    if (resum_due(b.t)) {
      double y = 0.0, w = 0.0;
      for (int k = 0; k < len; ++k) {
        const double v = b.src[b.t + 1 - len + k];
        y += v;
        w += (k + 1.0) * v;
      }
      sum_y = y;
      sum_w = w;
    } else {
      // Every weight drops by one (the oldest, weight 1, leaves) and x enters with weight len.
      sum_w = sum_w - sum_y + len * b.x;
      sum_y = sum_y - b.src[b.t - len] + b.x;
    }
    return true;
  }
};

// SMA, WMA and LSMA share WindowSums and differ only in value(): the fused kernel runs
// the window step once for all three and then picks the value.
struct SmaChain {
  WindowSums w;
  static ATC_HD double coefficient(int len) { return len; }  // the divisor
  static __device__ __forceinline__ double value(const WindowSums& w, int, double len) { return w.sum_y / len; }
  template <class B>
  __device__ __forceinline__ double step(const B& b, int len, double coef) {
    return w.step(b, len) ? value(w, len, coef) : NAN;
  }
};

struct WmaChain {
  WindowSums w;
  static ATC_HD double coefficient(int len) { return len * (len + 1.0) / 2.0; }  // Σ weights
  static __device__ __forceinline__ double value(const WindowSums& w, int, double norm) { return w.sum_w / norm; }
  template <class B>
  __device__ __forceinline__ double step(const B& b, int len, double coef) {
    return w.step(b, len) ? value(w, len, coef) : NAN;
  }
};

struct LsmaChain {
  WindowSums w;
  static ATC_HD double coefficient(int) { return 0.0; }
  static __device__ __forceinline__ double value(const WindowSums& w, int len, double) {
    return formulas::linreg_end(w.sum_y, w.sum_w - w.sum_y, len);
  }
  template <class B>
  __device__ __forceinline__ double step(const B& b, int len, double coef) {
    return w.step(b, len) ? value(w, len, coef) : NAN;
  }
};

// The indicator's KAMA (starts at 0) with a running sum of the last len |differences|.
struct KamaChain {
  double k = 0.0, noise = 0.0;
  static ATC_HD double coefficient(int) { return 0.0; }
  template <class B>
  __device__ __forceinline__ double step(const B& b, int len, double) {
    const double diff = b.t > 0 ? fabs(b.x - b.x_prev) : 0.0;
    if (b.t <= len) {
      noise += diff;  // diffs 1..len fill the first window
    } else if (resum_due(b.t)) {
      double sum = 0.0;  // newest first, as the definition reads
      for (int j = 0; j < len; ++j) sum += fabs(b.src[b.t - j] - b.src[b.t - j - 1]);
      noise = sum;
    } else {
      noise += diff - fabs(b.src[b.t - len] - b.src[b.t - len - 1]);
    }
    const bool defined = b.t >= len;
    const double signal = defined ? fabs(b.x - b.src[b.t - len]) : 0.0;
    k = formulas::kama_step(k, formulas::kama_sc(signal, noise, defined), b.x);
    return k;
  }
};

// The per-MA state after the MA itself (§4, §5): persistent crossover signal and the
// equity curve eq(1, s, R).
struct MaTracker {
  double ma_prev = NAN;
  std::int8_t signal = 0;
  formulas::Equity equity;

  // Returns E[t]; afterwards `signal` holds s[t]. r = R[t]·g[t] (NaN at t = 0).
  __device__ __forceinline__ double step(int t, int cutout, double ma, double close,
                                         double close_prev, double r, double keep) {
    const double e = equity.step(t, cutout, 1.0, r, static_cast<double>(signal), keep);
    signal = formulas::next_signal(signal, close, close_prev, ma, ma_prev);
    ma_prev = ma;
    return e;
  }
};

// The chain type of each family, in Family order.
template <int F>
struct FamilyChain;
template <> struct FamilyChain<0> { using type = EmaChain; };
template <> struct FamilyChain<1> { using type = SmaChain; };  // the indicator's "HMA" is an SMA
template <> struct FamilyChain<2> { using type = WmaChain; };
template <> struct FamilyChain<3> { using type = DemaChain; };
template <> struct FamilyChain<4> { using type = LsmaChain; };
template <> struct FamilyChain<5> { using type = KamaChain; };
template <int F>
using FamilyChainT = typename FamilyChain<F>::type;

}  // namespace atc::cuda
