// Device primitives of the CUDA backend: one moving-average chain advanced by one bar
// (O(1) work per bar), and the per-MA signal/equity tracker that follows it. Both fused
// kernels are built from these, so they compute the same operations in the same order,
// those of the reference where the reference has a recurrence (EMA, DEMA, signals,
// equities, Layer 1/2, classification).
//
// The window sums (SMA/WMA/LSMA and the KAMA noise) are exact integers of ticks
// (src/core/exact.hpp, docs/SEMANTICS.md §3a) held in Acc: integer-valued doubles on the
// narrow path, 128-bit integers on the wide one. They never drift, and the window
// crossovers compare c·D with N exactly.
#pragma once

#include <cstdint>
#include <type_traits>

#include "../core/exact.hpp"
#include "../core/formulas.hpp"
#include "atc/config.hpp"

namespace atc::cuda {

using exact::Wide;

// The inputs of one bar of one series: t from the series start, src[t] and close[t] as
// float64 (the ticks come from these), the bar's tick scale, and the src series for the
// windowed MAs' look-back (any type with a double operator[](int t)).
template <class Source>
struct BarOf {
  int t;
  double x;
  double close;
  double multiplier;  // ticks of bar t (scale.multiplier(t))
  const exact::TickScale* scale;
  Source src;

  __device__ __forceinline__ double tick(double v) const { return rint(v * multiplier); }
  __device__ __forceinline__ double tick_at(int u) const { return tick(src[u]); }
};

// Where close stands against the MA: the two values the crossover test (§4) compares,
// close and the MA, or for a window MA c·D and N (narrow: exact doubles) or the sign of
// c·D − N and 0 (wide). `ma` is the MA for the calibration outputs (window MAs: NaN,
// their value is formed only where asked, by value()).
template <class Real>
struct Crossing {
  double lhs, rhs;
  Real ma;
};
template <class Real>
__device__ __forceinline__ Crossing<Real> undefined_crossing() {
  return {NAN, NAN, Real(NAN)};
}

// Converting the ticks of Acc = double / Wide.
template <class Acc>
__device__ __forceinline__ Acc acc_of(double tick) {
  if constexpr (std::is_same_v<Acc, double>) return tick;
  else return exact::to_wide(tick);
}
template <class Acc>
__device__ __forceinline__ Wide wide_of(Acc v) {
  if constexpr (std::is_same_v<Acc, double>) return exact::to_wide(v);
  else return v;
}
template <class Acc>
__device__ __forceinline__ Acc magnitude(Acc v) {
  return v < Acc(0) ? -v : v;
}

// Per-chain state, two Reals and two Accs, overlaid where Acc is Real (the float64
// narrow path keeps every family in two registers pairs, as before exact sums).
template <class Real, class Acc, bool kShared = std::is_same_v<Real, Acc>>
struct ChainState;
template <class Real, class Acc>
struct ChainState<Real, Acc, true> {
  Real a = Real(0), b = Real(0);
  __device__ __forceinline__ Acc& u() { return a; }
  __device__ __forceinline__ Acc& v() { return b; }
};
template <class Real, class Acc>
struct ChainState<Real, Acc, false> {
  Real a = Real(0), b = Real(0);
  Acc u_ = Acc(0), v_ = Acc(0);
  __device__ __forceinline__ Acc& u() { return u_; }
  __device__ __forceinline__ Acc& v() { return v_; }
};

// What depends on the length alone, built once per chain.
template <class Real>
struct ChainConstants {
  int len = 1;
  Real alpha = Real(0);        // EMA, DEMA
  long long denominator = 1;   // window MAs: D
};

// The seed of an EMA(len) of a series, the exact mean of src[0..len) rounded once
// (§3a.3), NaN for a series shorter than len. The kernels compute it before their loop
// over the bars and prime the EMA state with it (seeded_ema), which keeps this cold code
// out of the hot loop's registers.
__device__ __noinline__ inline double exact_ema_seed(const double* src, int bars, int len,
                                                     const exact::TickScale& scale) {
  if (bars < len) return NAN;
  const double multiplier = scale.multiplier(len - 1);
  Wide sum = 0;
  for (int u = 0; u < len; ++u) sum += exact::to_wide(rint(src[u] * multiplier));
  return exact::tick_value(sum, static_cast<exact::UWide>(len), scale, len - 1);
}

// Σx and Σ j·x (j = 1 … from the window's oldest bar) of the ticks of bars
// [max(0, t − len + 1), t], summed afresh (at a change of tick scale). Out of line: once
// per chain at most.
template <class Acc>
struct WindowSumPair {
  Acc y, w;
};
template <class Acc, class B>
__device__ __forceinline__ WindowSumPair<Acc> window_sums_afresh(const B& b, int len) {
  const int first = b.t + 1 >= len ? b.t + 1 - len : 0;
  WindowSumPair<Acc> s{Acc(0), Acc(0)};
  for (int u = first; u <= b.t; ++u) {
    const Acc x = acc_of<Acc>(b.tick_at(u));
    s.y += x;
    s.w += exact::times(x, u - first + 1);
  }
  return s;
}
// KAMA's noise Σ|Δx| over bars [max(1, t − len + 1), t], afresh.
template <class Acc, class B>
__device__ __forceinline__ Acc noise_afresh(const B& b, int len) {
  Acc sum = Acc(0);
  for (int u = b.t >= len ? b.t - len + 1 : 1; u <= b.t; ++u) {
    const Acc d = acc_of<Acc>(b.tick_at(u)) - acc_of<Acc>(b.tick_at(u - 1));
    sum += d < Acc(0) ? -d : d;
  }
  return sum;
}

// EMA seeded with the mean of its first `len` inputs: kPrimed, `state` holds the exact
// seed from the start (exact_ema_seed); else (DEMA's second EMA) the float64 mean, `state`
// summing the inputs until then. kSteady: u ≥ len.
template <bool kSteady, bool kPrimed, class Real>
__device__ __forceinline__ Real seeded_ema(Real& state, int u, Real x, int len, Real alpha) {
  if constexpr (!kSteady) {
    if (u < len - 1) {
      if constexpr (!kPrimed) state += x;
      return Real(NAN);
    }
    if (u == len - 1) {
      if constexpr (!kPrimed) state = (state + x) / static_cast<Real>(len);
      return state;
    }
  }
  state = formulas::ema_step(state, x, alpha);
  return state;
}

// Every chain: step<kSteady>(state, bar, constants) advances one bar (EMA and DEMA from a
// state primed by prime_chain). kSteady: the caller knows that t ≥ atc::steady_from(family,
// len) (the family traits) and that the tile holds no change of tick scale, so only the
// running update is compiled; the values are those of the general step.
struct EmaChain {
  template <class Real>
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    c.alpha = Real(2) / (static_cast<Real>(len) + Real(1));
    return c;
  }
  template <bool kSteady, class Real, class Acc, class B>
  static __device__ __forceinline__ Crossing<Real> step(ChainState<Real, Acc>& s, const B& b,
                                                        const ChainConstants<Real>& c) {
    const Real ma = seeded_ema<kSteady, true>(s.a, b.t, static_cast<Real>(b.x), c.len, c.alpha);
    return {b.close, static_cast<double>(ma), ma};
  }
};

// DEMA = 2·e1 − e2, e2 the EMA of e1 over e1's valid values (from bar len−1).
struct DemaChain {
  template <class Real>
  static __device__ ChainConstants<Real> constants(int len) { return EmaChain::constants<Real>(len); }
  template <bool kSteady, class Real, class Acc, class B>
  static __device__ __forceinline__ Crossing<Real> step(ChainState<Real, Acc>& s, const B& b,
                                                        const ChainConstants<Real>& c) {
    const int len = c.len;
    const Real v1 = seeded_ema<kSteady, true>(s.a, b.t, static_cast<Real>(b.x), len, c.alpha);
    if (!kSteady && b.t < len - 1) return undefined_crossing<Real>();
    const Real v2 = seeded_ema<kSteady, false>(s.b, b.t - (len - 1), v1, len, c.alpha);
    if (!kSteady && b.t < 2 * len - 2) return undefined_crossing<Real>();
    const Real ma = Real(2) * v1 - v2;
    return {b.close, static_cast<double>(ma), ma};
  }
};

// Σx and Σ j·x (j = 1 … len, oldest first) of the last len ticks in u and v: SMA, WMA and
// LSMA, which differ in N / D (Family). Returns false while the first window fills.
template <bool kSteady, class Real, class Acc, class B>
__device__ __forceinline__ bool window_step(ChainState<Real, Acc>& s, const B& b, int len) {
  Acc& sum_y = s.u();
  Acc& sum_w = s.v();
  if constexpr (!kSteady) {
    if (b.t == b.scale->binary_from && b.t > 0) {  // to binary ticks: the window afresh
      const WindowSumPair<Acc> fresh = window_sums_afresh<Acc>(b, len);
      sum_y = fresh.y;
      sum_w = fresh.w;
      return b.t + 1 >= len;
    }
    if (b.t < len) {
      exact::fill_window(sum_y, sum_w, acc_of<Acc>(b.tick(b.x)), b.t + 1);
      return b.t + 1 == len;
    }
  }
  const Acc x = acc_of<Acc>(b.tick(b.x)), out = acc_of<Acc>(b.tick_at(b.t - len));
  exact::slide_window(sum_y, sum_w, x, out, len);
  return true;
}

template <Family kFamily>
struct WindowChain {
  template <class Real>
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    if constexpr (kFamily == Family::HMA) c.denominator = exact::sma_denominator(len);
    else if constexpr (kFamily == Family::WMA) c.denominator = exact::wma_denominator(len);
    else c.denominator = exact::lsma_denominator(len);
    return c;
  }
  template <class Real, class Acc>
  static __device__ __forceinline__ Acc numerator(ChainState<Real, Acc>& s, int len) {
    if constexpr (kFamily == Family::HMA) return s.u();
    else if constexpr (kFamily == Family::WMA) return s.v();
    else return exact::lsma_numerator(s.u(), s.v(), len);
  }
  template <bool kSteady, class Real, class Acc, class B>
  static __device__ __forceinline__ Crossing<Real> step(ChainState<Real, Acc>& s, const B& b,
                                                        const ChainConstants<Real>& c) {
    if (!window_step<kSteady>(s, b, c.len)) return undefined_crossing<Real>();
    const Acc n = numerator(s, c.len);
    const Acc cd = exact::times(acc_of<Acc>(b.tick(b.close)), c.denominator);
    if constexpr (std::is_same_v<Acc, double>) return {cd, n, Real(NAN)};
    else return {cd > n ? 1.0 : (cd < n ? -1.0 : 0.0), 0.0, Real(NAN)};
  }
  // The MA's value N / D, rounded once: for the calibration outputs.
  template <class Real, class Acc, class B>
  static __device__ double value(ChainState<Real, Acc>& s, const B& b, const ChainConstants<Real>& c) {
    return exact::tick_value(wide_of(numerator(s, c.len)), static_cast<exact::UWide>(c.denominator), *b.scale, b.t);
  }
};

// The indicator's KAMA (starts at 0): k in a, the exact noise Σ|Δx| of the last len ticks
// in v.
struct KamaChain {
  template <class Real>
  static __device__ ChainConstants<Real> constants(int len) {
    ChainConstants<Real> c;
    c.len = len;
    return c;
  }
  template <bool kSteady, class Real, class Acc, class B>
  static __device__ __forceinline__ Crossing<Real> step(ChainState<Real, Acc>& s, const B& b,
                                                        const ChainConstants<Real>& c) {
    const int len = c.len;
    Acc& noise = s.v();
    const Acc x = acc_of<Acc>(b.tick(b.x));
    const Acc diff = kSteady || b.t > 0 ? magnitude(x - acc_of<Acc>(b.tick_at(b.t - 1))) : Acc(0);
    if (!kSteady && b.t == b.scale->binary_from && b.t > 0) {  // to binary ticks: afresh
      noise = noise_afresh<Acc>(b, len);
    } else if (!kSteady && b.t <= len) {
      noise += diff;  // diffs 1..len fill the first window
    } else {
      const int out = b.t - len;
      noise = noise + diff - magnitude(acc_of<Acc>(b.tick_at(out)) - acc_of<Acc>(b.tick_at(out - 1)));
    }
    const bool defined = kSteady || b.t >= len;
    const Real er = defined ? static_cast<Real>(exact::efficiency_ratio(magnitude(x - acc_of<Acc>(b.tick_at(b.t - len))), noise))
                            : Real(0);
    s.a = formulas::kama_step(s.a, formulas::kama_sc(er), static_cast<Real>(b.x));
    return {b.close, static_cast<double>(s.a), s.a};
  }
};

// Primes the state of a chain of family F before its first bar: EMA and DEMA with the
// exact seed of their (first) EMA.
template <int F, class Real, class Acc>
__device__ __forceinline__ void prime_chain(ChainState<Real, Acc>& s, const double* src, int bars, int len,
                                            const exact::TickScale& scale) {
  if (F == static_cast<int>(Family::EMA) || F == static_cast<int>(Family::DEMA))
    s.a = static_cast<Real>(exact_ema_seed(src, bars, len, scale));
}

// The per-MA state after the MA itself (§4, §5): persistent crossover signal and the
// equity curve eq(1, s, R).
template <class Real = double>
struct MaTracker {
  double lhs_prev = NAN, rhs_prev = NAN;
  std::int8_t signal = 0;
  formulas::EquityT<Real> equity;

  // Returns E[t]; afterwards `signal` holds s[t]. r = R[t]·g[t] (NaN at t = 0).
  // kSteady: t > cutout and t > 0.
  template <bool kSteady = false>
  __device__ __forceinline__ Real step(int t, int cutout, const Crossing<Real>& x, Real r, Real keep) {
    const Real sig_prev = static_cast<Real>(signal);
    const Real e = kSteady ? equity.step_running(r, sig_prev, keep)
                           : equity.step(t, cutout, Real(1), r, sig_prev, keep);
    signal = formulas::next_signal(signal, x.lhs, lhs_prev, x.rhs, rhs_prev);
    lhs_prev = x.lhs;
    rhs_prev = x.rhs;
    return e;
  }
};

// The chain type of each family, in Family order.
template <int F>
struct FamilyChain;
template <> struct FamilyChain<0> { using type = EmaChain; };
template <> struct FamilyChain<1> { using type = WindowChain<Family::HMA>; };  // the indicator's "HMA" is an SMA
template <> struct FamilyChain<2> { using type = WindowChain<Family::WMA>; };
template <> struct FamilyChain<3> { using type = DemaChain; };
template <> struct FamilyChain<4> { using type = WindowChain<Family::LSMA>; };
template <> struct FamilyChain<5> { using type = KamaChain; };
template <int F>
using FamilyChainT = typename FamilyChain<F>::type;
template <int F>
inline constexpr bool kWindowFamily = F == 1 || F == 2 || F == 4;

}  // namespace atc::cuda
