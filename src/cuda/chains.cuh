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
#include <utility>

#include "../core/formulas.hpp"
#include "atc/config.hpp"

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
// Real is double everywhere but in the fused kernel's float32 variant, as in every
// template of this file.
template <class Source, class Real = double>
struct BarOf {
  int t;
  Real x;
  Real x_prev;
  Source src;
};
using Bar = BarOf<Column>;

__device__ __forceinline__ bool resum_due(int t) { return (t & (kResumPeriod - 1)) == 0; }

// EMA seeded with the mean of its first `len` inputs; u counts inputs from 0. Until the
// seed is complete, `state` holds the running sum of the inputs. kSteady: the caller
// knows that u ≥ len (the seed is behind), and the warm-up branches are left out.
template <bool kSteady, class Real>
__device__ __forceinline__ Real seeded_ema(Real& state, int u, Real x, int len, Real alpha) {
  if constexpr (!kSteady) {
    if (u < len - 1) {
      state += x;
      return Real(NAN);
    }
    if (u == len - 1) {
      state = (state + x) / static_cast<Real>(len);
      return state;
    }
  }
  state = formulas::ema_step(state, x, alpha);
  return state;
}

// Division by a number fixed for the whole series (SMA's L, WMA's weight sum, LSMA's two
// denominators), bit-identical to the IEEE division a / d. The device's correctly rounded
// double division is a reciprocal seed (MUFU.RCP64H of d's high word, low word 1), two
// Newton steps, then q = a·y, r = fma(−d, q, a), q' = fma(y, r, q), with a full
// division for operands near the ends of the exponent range. The first part depends
// on d alone and is done once here; divide() repeats the second part operation for
// operation and takes `/` itself outside a range where that fast path always applies.
template <class Real>
struct ConstDivisor;
template <>
struct ConstDivisor<double> {
  double d = 1.0, y = 1.0;

  ConstDivisor() = default;
  __device__ explicit ConstDivisor(double divisor) : d(divisor) {
    double seed;
    asm("rcp.approx.ftz.f64 %0, %1;" : "=d"(seed) : "d"(divisor));
    const double y0 = __hiloint2double(__double2hiint(seed), 1);
    const double e0 = fma(-divisor, y0, 1.0);
    const double y1 = fma(y0, fma(e0, e0, e0), y0);
    y = fma(y1, fma(-divisor, y1, 1.0), y1);
  }
  // The divisors used here are integers from 1 to below 2^56 (LSMA's slope denominator
  // at the longest supported length), so with |a| in [2^-900, 2^900] every intermediate
  // stays far from overflow and subnormals; zeros, infinities and NaN take `/`.
  __device__ __forceinline__ double divide(double a) const {
    const double q = a * y;
    const double r = fma(-d, q, a);
    const double q1 = fma(y, r, q);
    const double magnitude = fabs(a);
    return magnitude >= 0x1p-900 && magnitude <= 0x1p900 ? q1 : divide_rarely(a, d);
  }
  // Out of line: the full division is taken almost never, and inlined at every call
  // site it would crowd the fused kernel's hot loops out of the instruction cache.
  static __device__ __noinline__ double divide_rarely(double a, double d) { return a / d; }
};
// The float32 variant makes no promise of bits: it divides.
template <>
struct ConstDivisor<float> {
  float d = 1.0f;
  ConstDivisor() = default;
  __device__ explicit ConstDivisor(float divisor) : d(divisor) {}
  __device__ __forceinline__ float divide(float a) const { return a / d; }
};

// Every chain: step<kSteady>(bar, constants) advances one bar and returns the MA (NaN
// while it is undefined). kSteady: the caller knows that t ≥ steady_from(len) and that
// t is not a re-summation bar, so only the running update is compiled; the values are
// those of the general step, operation for operation. ChainConstants holds what depends
// on the length alone, built once per chain by the family's constants(len).
template <class Real = double>
struct ChainConstants {
  int len = 1;
  Real alpha = Real(0);              // EMA, DEMA
  ConstDivisor<Real> first, second;  // SMA: L; WMA: Σ weights; LSMA: slope denominator and L
};

template <class Real = double>
struct EmaChain {
  Real state = Real(0);
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    c.alpha = Real(2) / (static_cast<Real>(len) + Real(1));
    return c;
  }
  static ATC_HD int steady_from(int len) { return len; }
  template <bool kSteady, class B>
  __device__ __forceinline__ Real step(const B& b, const ChainConstants<Real>& c) {
    return seeded_ema<kSteady>(state, b.t, b.x, c.len, c.alpha);
  }
};

// DEMA = 2·e1 − e2, e2 the EMA of e1 over e1's valid values (from bar len−1).
template <class Real = double>
struct DemaChain {
  Real e1 = Real(0), e2 = Real(0);
  static __device__ ChainConstants<Real> constants(int len) { return EmaChain<Real>::constants(len); }
  static ATC_HD int steady_from(int len) { return 2 * len - 1; }
  template <bool kSteady, class B>
  __device__ __forceinline__ Real step(const B& b, const ChainConstants<Real>& c) {
    const int len = c.len;
    const Real v1 = seeded_ema<kSteady>(e1, b.t, b.x, len, c.alpha);
    if (!kSteady && b.t < len - 1) return Real(NAN);
    const Real v2 = seeded_ema<kSteady>(e2, b.t - (len - 1), v1, len, c.alpha);
    return !kSteady && b.t < 2 * len - 2 ? Real(NAN) : Real(2) * v1 - v2;
  }
};

// Σy and Σ(k+1)·y over the last `len` inputs (k = 0 oldest): SMA, WMA and LSMA.
template <class Real = double>
struct WindowSums {
  Real sum_y = Real(0), sum_w = Real(0);
  // Advances to bar t; false while the first window is incomplete.
  template <bool kSteady, class B>
  __device__ __forceinline__ bool step(const B& b, int len) {
    if constexpr (!kSteady) {
      if (b.t < len) {
        sum_y += b.x;
        sum_w += (static_cast<Real>(b.t) + Real(1)) * b.x;
        return b.t + 1 == len;
      }
      if (resum_due(b.t)) {
        Real y = Real(0), w = Real(0);
        for (int k = 0; k < len; ++k) {
          const Real v = b.src[b.t + 1 - len + k];
          y += v;
          w += (static_cast<Real>(k) + Real(1)) * v;
        }
        sum_y = y;
        sum_w = w;
        return true;
      }
    }
    // Every weight drops by one (the oldest, weight 1, leaves) and x enters with weight len.
    sum_w = sum_w - sum_y + static_cast<Real>(len) * b.x;
    sum_y = sum_y - b.src[b.t - len] + b.x;
    return true;
  }
};

// SMA, WMA and LSMA share WindowSums and differ only in value() and their constants:
// the fused kernel runs the window step once for all three and then picks the value.
template <class Family, class Real>
struct WindowChain {
  WindowSums<Real> w;
  static ATC_HD int steady_from(int len) { return len; }
  template <bool kSteady, class B>
  __device__ __forceinline__ Real step(const B& b, const ChainConstants<Real>& c) {
    return w.template step<kSteady>(b, c.len) ? Family::value(w, c) : Real(NAN);
  }
};

template <class Real = double>
struct SmaChain : WindowChain<SmaChain<Real>, Real> {
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    c.first = ConstDivisor<Real>(static_cast<Real>(len));
    return c;
  }
  static __device__ __forceinline__ Real value(const WindowSums<Real>& w, const ChainConstants<Real>& c) {
    return c.first.divide(w.sum_y);
  }
};

template <class Real = double>
struct WmaChain : WindowChain<WmaChain<Real>, Real> {
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    const Real n = static_cast<Real>(len);
    c.first = ConstDivisor<Real>(n * (n + Real(1)) / Real(2));  // Σ weights
    return c;
  }
  static __device__ __forceinline__ Real value(const WindowSums<Real>& w, const ChainConstants<Real>& c) {
    return c.first.divide(w.sum_w);
  }
};

template <class Real = double>
struct LsmaChain : WindowChain<LsmaChain<Real>, Real> {
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    c.first = ConstDivisor<Real>(formulas::linreg_slope_denominator<Real>(len));
    c.second = ConstDivisor<Real>(static_cast<Real>(len));
    return c;
  }
  static __device__ __forceinline__ Real value(const WindowSums<Real>& w, const ChainConstants<Real>& c) {
    return formulas::linreg_end(
        w.sum_y, w.sum_w - w.sum_y, c.len, [&c](Real v) { return c.first.divide(v); },
        [&c](Real v) { return c.second.divide(v); });
  }
};

// The indicator's KAMA (starts at 0) with a running sum of the last len |differences|.
template <class Real = double>
struct KamaChain {
  Real k = Real(0), noise = Real(0);
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    return c;
  }
  static ATC_HD int steady_from(int len) { return len + 1; }
  template <bool kSteady, class B>
  __device__ __forceinline__ Real step(const B& b, const ChainConstants<Real>& c) {
    const int len = c.len;
    const Real diff = kSteady || b.t > 0 ? fabs(b.x - b.x_prev) : Real(0);
    if (!kSteady && b.t <= len) {
      noise += diff;  // diffs 1..len fill the first window
    } else if (!kSteady && resum_due(b.t)) {
      Real sum = Real(0);  // newest first, as the definition reads
      for (int j = 0; j < len; ++j) sum += fabs(b.src[b.t - j] - b.src[b.t - j - 1]);
      noise = sum;
    } else {
      noise += diff - fabs(b.src[b.t - len] - b.src[b.t - len - 1]);
    }
    const bool defined = kSteady || b.t >= len;
    const Real signal = defined ? fabs(b.x - b.src[b.t - len]) : Real(0);
    k = formulas::kama_step(k, formulas::kama_sc(signal, noise, defined), b.x);
    return k;
  }
};

// The per-MA state after the MA itself (§4, §5): persistent crossover signal and the
// equity curve eq(1, s, R).
template <class Real = double>
struct MaTracker {
  Real ma_prev = Real(NAN);
  std::int8_t signal = 0;
  formulas::EquityT<Real> equity;

  // Returns E[t]; afterwards `signal` holds s[t]. r = R[t]·g[t] (NaN at t = 0).
  // kSteady: t > cutout and t > 0.
  template <bool kSteady = false>
  __device__ __forceinline__ Real step(int t, int cutout, Real ma, Real close, Real close_prev, Real r,
                                       Real keep) {
    const Real sig_prev = static_cast<Real>(signal);
    const Real e = kSteady ? equity.step_running(r, sig_prev, keep)
                             : equity.step(t, cutout, Real(1), r, sig_prev, keep);
    signal = formulas::next_signal(signal, close, close_prev, ma, ma_prev);
    ma_prev = ma;
    return e;
  }
};

// The chain type of each family, in Family order.
template <int F>
struct FamilyChain;
template <> struct FamilyChain<0> { template <class Real> using type = EmaChain<Real>; };
template <> struct FamilyChain<1> { template <class Real> using type = SmaChain<Real>; };  // the indicator's "HMA" is an SMA
template <> struct FamilyChain<2> { template <class Real> using type = WmaChain<Real>; };
template <> struct FamilyChain<3> { template <class Real> using type = DemaChain<Real>; };
template <> struct FamilyChain<4> { template <class Real> using type = LsmaChain<Real>; };
template <> struct FamilyChain<5> { template <class Real> using type = KamaChain<Real>; };
template <int F, class Real = double>
using FamilyChainT = typename FamilyChain<F>::template type<Real>;

// FamilyChainT<F>::steady_from(len) for a family known at run time.
inline int steady_from(Family family, int len) {
  return [&]<int... F>(std::integer_sequence<int, F...>) {
    int first = 0;
    ((static_cast<int>(family) == F ? (first = FamilyChainT<F>::steady_from(len)) : 0), ...);
    return first;
  }(std::make_integer_sequence<int, kFamilies>{});
}

}  // namespace atc::cuda
