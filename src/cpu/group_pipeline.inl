// The SIMD group pipeline, compiled once per instruction set: a translation unit
// defines ATC_CPU_GROUP_ENTRY (the entry point's name) and includes this file.
// Everything here has internal linkage, so each inclusion has its own types.
//
// Bit-compatibility with the reference: the per-bar formulas are src/core/formulas.hpp's,
// instantiated for Vec, so every lane performs the reference's scalar operations in the
// same order. EMA and DEMA use the same recurrences and seeds, so they are identical;
// SMA/WMA/LSMA and the KAMA noise use running window sums of exact ticks
// (src/core/exact.hpp), which never drift: doubles holding integers below 2^53 (the
// narrow path) or 128-bit integers (the wide path).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../core/exact.hpp"
#include "../core/formulas.hpp"
#include "group.hpp"

#ifndef ATC_CPU_GROUP_ENTRY
#error "define ATC_CPU_GROUP_ENTRY before including group_pipeline.inl"
#endif

// Vec values never cross this translation unit by value, so GCC's note that 32-byte
// vectors change the calling convention without AVX does not concern us.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace atc::detail {
namespace {

constexpr int K = kLengthsPerFamily;
constexpr int kLanes = kGroupLanes;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// GCC/Clang vector extensions: element-wise arithmetic and comparisons; a comparison
// yields a Mask of all-ones / all-zeros lanes. Lowered to the instruction set this
// translation unit is compiled for (SSE2 or AVX2).
using Vec = double __attribute__((vector_size(kLanes * sizeof(double))));
using Mask = std::int64_t __attribute__((vector_size(kLanes * sizeof(double))));

ATC_HD Vec splat(double x) { return formulas::constant<Vec>(x); }
using formulas::select;
ATC_HD Vec abs(Vec x) {
  return reinterpret_cast<Vec>(reinterpret_cast<Mask>(x) & (Mask{} + INT64_MAX));
}

// The wide path's window sums: one 128-bit integer per lane.
struct WideVec {
  exact::Wide v[kLanes] = {};
  friend WideVec operator+(WideVec a, const WideVec& b) {
    for (int l = 0; l < kLanes; ++l) a.v[l] += b.v[l];
    return a;
  }
  friend WideVec operator-(WideVec a, const WideVec& b) {
    for (int l = 0; l < kLanes; ++l) a.v[l] -= b.v[l];
    return a;
  }
  friend WideVec operator*(WideVec a, long long k) {  // k ≥ 0
    for (int l = 0; l < kLanes; ++l) a.v[l] = exact::times(a.v[l], k);
    return a;
  }
  WideVec& operator+=(const WideVec& b) { return *this = *this + b; }
  double operator[](int l) const { return static_cast<double>(v[l]); }
};
ATC_HD WideVec select(Mask m, const WideVec& a, const WideVec& b) {
  WideVec r;
  for (int l = 0; l < kLanes; ++l) r.v[l] = m[l] ? a.v[l] : b.v[l];
  return r;
}
ATC_HD WideVec abs(WideVec x) {
  for (int l = 0; l < kLanes; ++l) x.v[l] = x.v[l] < 0 ? -x.v[l] : x.v[l];
  return x;
}
// x·k, exact (k a small integer; on the narrow path the product stays below 2^53).
ATC_HD Vec scaled(Vec x, long long k) { return x * static_cast<double>(k); }
ATC_HD WideVec scaled(WideVec x, long long k) { return x * k; }
struct Scaled {  // scaled as the `times` of exact.hpp's window steps
  template <class Acc>
  Acc operator()(const Acc& x, long long k) const { return scaled(x, k); }
};
ATC_HD exact::Wide lane_value(const WideVec& x, int l) { return x.v[l]; }
ATC_HD exact::Wide lane_value(const Vec& x, int l) { return exact::to_wide(x[l]); }
ATC_HD void set_lane(WideVec& x, int l, exact::Wide v) { x.v[l] = v; }
ATC_HD void set_lane(Vec& x, int l, exact::Wide v) { x[l] = static_cast<double>(v); }
// An integer-valued double tick into lane l.
ATC_HD void set_tick(WideVec& x, int l, double tick) { x.v[l] = exact::to_wide(tick); }
ATC_HD void set_tick(Vec& x, int l, double tick) { x[l] = tick; }

// Where close stands against an MA, as the pair the crossover test compares (§4):
// close and the MA, or c·D and N for a window MA on the narrow path (both exact
// integers), or the sign of c·D − N and 0 on the wide one.
ATC_HD void crossing(Vec cd, Vec n, Vec& lhs, Vec& rhs) {
  lhs = cd;
  rhs = n;
}
ATC_HD void crossing(const WideVec& cd, const WideVec& n, Vec& lhs, Vec& rhs) {
  for (int l = 0; l < kLanes; ++l)  // branch-free: the sign is random on market data
    lhs[l] = static_cast<double>(cd.v[l] > n.v[l]) - static_cast<double>(cd.v[l] < n.v[l]);
  rhs = Vec{};
}

// KAMA's efficiency ratio signal / noise rounded once, 0 where undefined.
ATC_HD Vec efficiency_ratio(Vec signal, Vec noise) {
  return select(noise != 0.0, signal / noise, Vec{});
}
ATC_HD Vec efficiency_ratio(const WideVec& signal, const WideVec& noise) {
  Vec er;
  for (int l = 0; l < kLanes; ++l) er[l] = exact::efficiency_ratio(signal.v[l], noise.v[l]);
  return er;
}

using Lengths = std::array<int, K>;
using Chains = std::array<Vec, K>;  // one vector per chain, one lane per symbol

int longest(const Lengths& len) { return *std::max_element(len.begin(), len.end()); }

// A group's inputs interleaved by bar: lane l of close[t] is symbol l's close. Acc
// holds the ticks of src (narrow: Vec, wide: WideVec): where some lane changes from
// decimal to binary ticks (kMixed), in both scales of each lane; else in each lane's one.
template <class Acc, bool kMixed>
struct GroupInput {
  const Vec* close;
  const Vec* src;
  const Acc* close_tick;  // of bar t in bar t's scale
  const Acc* decimal;     // src ticks in the lane's decimal scale (its only one, !kMixed)
  const Acc* binary;      // ... and its binary one (kMixed)
  std::array<exact::TickScale, kLanes> scale;
  std::size_t bars;

  // Lanes on binary ticks at bar t.
  Mask binary_at(std::size_t t) const {
    Mask m{};
    if constexpr (kMixed)
      for (int l = 0; l < kLanes; ++l) m[l] = scale[l].is_binary(static_cast<int>(t)) ? -1 : 0;
    return m;
  }
};

// The inputs of one bar t to the chains: src ticks of any bar in bar t's scale.
template <class Acc, bool kMixed>
struct BarTicks {
  const GroupInput<Acc, kMixed>& in;
  std::size_t t;
  Mask binary;
  Acc operator[](std::size_t u) const {
    if constexpr (kMixed) return select(binary, in.binary[u], in.decimal[u]);
    else return in.decimal[u];
  }
};

// Each MA family has a general `warm` step, correct on every bar, and a `steady` step
// for bars where all nine chains are past their warm-up. `warm_end` is the first bar
// from which `steady` is valid; the window families also take `warm` at a bar where a
// lane changes to binary ticks (its sums are then summed afresh). Branches depend on
// the bar only, never on the data.
template <class MovingAverage, class Acc, bool kMixed>
void advance(MovingAverage& m, const BarTicks<Acc, kMixed>& x, std::size_t rebase, Chains& lhs, Chains& rhs, Chains* value) {
  if (x.t < m.warm_end || x.t == rebase) m.warm(x, lhs, rhs, value);
  else m.steady(x, lhs, rhs, value);
}

// EMA chains seeded with the exact mean of their first L inputs (or, for DEMA's second
// EMA, the float64 mean); `u` counts inputs seen.
struct EmaChains {
  Chains value{}, seed_sum{};
  std::array<double, K> alpha{}, beta{};  // beta = 1 - alpha
  Lengths len{};

  void init(const Lengths& lengths) {
    len = lengths;
    for (int i = 0; i < K; ++i) {
      alpha[i] = 2.0 / (len[i] + 1.0);
      beta[i] = 1.0 - alpha[i];
    }
    value.fill(Vec{});
    seed_sum.fill(Vec{});
  }
  bool seeded(int i, std::size_t u) const { return u + 1 >= static_cast<std::size_t>(len[i]); }
  // The EMA after input number u (0-based) equal to x; NaN in warm-up. `seed(i)` gives
  // the first value from seed_sum (which holds the float64 sum of the inputs).
  template <class Seed>
  Vec warm(int i, std::size_t u, Vec x, Seed seed) {
    const auto L = static_cast<std::size_t>(len[i]);
    if (u + 1 < L) {
      seed_sum[i] += x;
      return splat(kNaN);
    }
    if (u + 1 == L) {
      seed_sum[i] += x;
      value[i] = seed(i);
      return value[i];
    }
    return steady(i, x);
  }
  Vec float_seed(int i) const { return seed_sum[i] / static_cast<double>(len[i]); }
  // formulas::ema_step with 1 - alpha hoisted: the same operations.
  ATC_HD Vec steady(int i, Vec x) { return value[i] = alpha[i] * x + beta[i] * value[i]; }
};

// The exact mean of src[0..L) of each lane, rounded once (§3a.3).
template <class Acc, bool kMixed>
Vec exact_seed(const BarTicks<Acc, kMixed>& x, int len) {
  Vec seed;
  for (int l = 0; l < kLanes; ++l) {
    exact::Wide sum = 0;
    for (std::size_t u = 0; u < static_cast<std::size_t>(len); ++u) sum += lane_value(x[u], l);
    seed[l] = exact::tick_value(sum, static_cast<exact::UWide>(len), x.in.scale[l], static_cast<int>(x.t));
  }
  return seed;
}

// The float families cross close against the MA itself.
template <class Acc, bool kMixed>
ATC_HD void set_float_crossing(const BarTicks<Acc, kMixed>& x, int i, Vec ma, Chains& lhs, Chains& rhs, Chains* value) {
  lhs[i] = x.in.close[x.t];
  rhs[i] = ma;
  if (value) (*value)[i] = ma;
}

struct Ema {
  EmaChains e;
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    e.init(l);
    warm_end = static_cast<std::size_t>(steady_from(Family::EMA, longest(l)));
  }
  template <class Acc, bool kMixed>
  void warm(const BarTicks<Acc, kMixed>& x, Chains& lhs, Chains& rhs, Chains* value) {
    for (int i = 0; i < K; ++i)
      set_float_crossing(x, i, e.warm(i, x.t, x.in.src[x.t], [&](int j) { return exact_seed(x, e.len[j]); }), lhs,
                         rhs, value);
  }
  template <class Acc, bool kMixed>
  ATC_HD void steady(const BarTicks<Acc, kMixed>& x, Chains& lhs, Chains& rhs, Chains* value) {
    for (int i = 0; i < K; ++i) set_float_crossing(x, i, e.steady(i, x.in.src[x.t]), lhs, rhs, value);
  }
};

// DEMA = 2·e1 − e2, e2 the EMA of e1's valid values (e1 is valid from bar L−1).
struct Dema {
  EmaChains e1, e2;
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    e1.init(l);
    e2.init(l);
    warm_end = static_cast<std::size_t>(steady_from(Family::DEMA, longest(l)));
  }
  template <class Acc, bool kMixed>
  void warm(const BarTicks<Acc, kMixed>& x, Chains& lhs, Chains& rhs, Chains* value) {
    const std::size_t t = x.t;
    for (int i = 0; i < K; ++i) {
      const Vec v1 = e1.warm(i, t, x.in.src[t], [&](int j) { return exact_seed(x, e1.len[j]); });
      Vec ma = splat(kNaN);
      const auto first = static_cast<std::size_t>(e1.len[i]) - 1;
      if (t >= first) {
        const Vec v2 = e2.warm(i, t - first, v1, [&](int j) { return e2.float_seed(j); });
        if (e2.seeded(i, t - first)) ma = 2.0 * v1 - v2;
      }
      set_float_crossing(x, i, ma, lhs, rhs, value);
    }
  }
  template <class Acc, bool kMixed>
  ATC_HD void steady(const BarTicks<Acc, kMixed>& x, Chains& lhs, Chains& rhs, Chains* value) {
    for (int i = 0; i < K; ++i) {
      const Vec v1 = e1.steady(i, x.in.src[x.t]);
      set_float_crossing(x, i, 2.0 * v1 - e2.steady(i, v1), lhs, rhs, value);
    }
  }
};

// Exact Σx and Σ j·x (j = 1 … L, oldest first) over the last L ticks, one pair for each
// distinct length of the window families: SMA, WMA and LSMA of one length share it (with
// equal base lengths, as by default, each window slides once rather than three times).
template <class Acc>
struct WindowSums {
  static constexpr int kMax = 3 * K;
  std::array<Acc, kMax> sum_y{}, sum_w{};
  std::array<int, kMax> len{};
  int count = 0;
  std::size_t warm_end = 0;  // from here on every window is full (the window families share one rule)

  // The slot of length L, added on first use.
  int slot(int L) {
    for (int i = 0; i < count; ++i)
      if (len[i] == L) return i;
    len[count] = L;
    warm_end = std::max(warm_end, static_cast<std::size_t>(steady_from(Family::HMA, L)));
    return count++;
  }
  template <bool kMixed>
  ATC_HD void slide(const BarTicks<Acc, kMixed>& x, int i) {
    const auto L = static_cast<std::size_t>(len[i]);
    exact::slide_window(sum_y[i], sum_w[i], x[x.t], x[x.t - L], static_cast<long long>(L), Scaled{});
  }
  // The sums of lane l afresh in bar t's ticks (a lane changing to binary ticks).
  template <bool kMixed>
  void resum(const BarTicks<Acc, kMixed>& x, int i, int l) {
    const auto L = static_cast<std::size_t>(len[i]);
    const std::size_t first = x.t + 1 >= L ? x.t + 1 - L : 0;
    exact::Wide y = 0, w = 0;
    for (std::size_t u = first; u <= x.t; ++u) {
      const exact::Wide v = lane_value(x[u], l);
      y += v;
      w += static_cast<long long>(u - first + 1) * v;
    }
    set_lane(sum_y[i], l, y);
    set_lane(sum_w[i], l, w);
  }
  // Bar t, correct on every bar (filling windows, changes of tick scale).
  template <bool kMixed>
  void warm(const BarTicks<Acc, kMixed>& x) {
    const std::size_t t = x.t;
    for (int i = 0; i < count; ++i) {
      if (t < static_cast<std::size_t>(len[i])) {
        exact::fill_window(sum_y[i], sum_w[i], x[t], static_cast<long long>(t + 1), Scaled{});
      } else {
        slide(x, i);
      }
      for (int l = 0; l < kLanes; ++l)
        if (t > 0 && x.in.scale[l].binary_from == static_cast<int>(t)) resum(x, i, l);
    }
  }
  // Bar t ≥ warm_end with no change of tick scale.
  template <bool kMixed>
  ATC_HD void steady(const BarTicks<Acc, kMixed>& x) {
    for (int i = 0; i < count; ++i) slide(x, i);
  }
  template <bool kMixed>
  ATC_HD void advance(const BarTicks<Acc, kMixed>& x, std::size_t rebase) {
    if (x.t < warm_end || x.t == rebase) warm(x);
    else steady(x);
  }
};

// A window family: its MAs are N / D of its lengths' window sums.
template <class Acc, Family kFamily>
struct Windowed {
  const WindowSums<Acc>* sums = nullptr;
  std::array<int, K> slot{};
  Lengths len{};

  void init(const Lengths& l, WindowSums<Acc>& shared) {
    len = l;
    sums = &shared;
    for (int i = 0; i < K; ++i) slot[i] = shared.slot(l[i]);
  }
  static long long denominator(int L) {
    if constexpr (kFamily == Family::HMA) return exact::sma_denominator(L);
    else if constexpr (kFamily == Family::WMA) return exact::wma_denominator(L);
    else return exact::lsma_denominator(L);
  }
  ATC_HD Acc numerator(int i) const {
    const Acc& sum_y = sums->sum_y[slot[i]];
    const Acc& sum_w = sums->sum_w[slot[i]];
    if constexpr (kFamily == Family::HMA) return sum_y;
    else if constexpr (kFamily == Family::WMA) return sum_w;
    else return exact::lsma_numerator(sum_y, sum_w, len[i], Scaled{});
  }
  // Bar t's crossing operands (and values, for calibration) from the window sums.
  template <bool kMixed>
  ATC_HD void emit(const BarTicks<Acc, kMixed>& x, Chains& lhs, Chains& rhs, Chains* value) const {
    for (int i = 0; i < K; ++i) {
      if (x.t + 1 < static_cast<std::size_t>(len[i])) {  // the first window is not full
        lhs[i] = rhs[i] = splat(kNaN);
        if (value) (*value)[i] = splat(kNaN);
        continue;
      }
      const long long d = denominator(len[i]);
      const Acc n = numerator(i);
      crossing(scaled(x.in.close_tick[x.t], d), n, lhs[i], rhs[i]);  // c·D against N
      if (value)
        for (int l = 0; l < kLanes; ++l)
          (*value)[i][l] = exact::tick_value(lane_value(n, l), static_cast<exact::UWide>(d), x.in.scale[l],
                                             static_cast<int>(x.t));
    }
  }
};

// KAMA with a running sum of the last L absolute tick differences (the noise).
template <class Acc>
struct Kama {
  Chains k{};
  std::array<Acc, K> noise{};
  Lengths len{};
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    len = l;
    k.fill(Vec{});
    noise.fill(Acc{});
    warm_end = static_cast<std::size_t>(steady_from(Family::KAMA, longest(l)));
  }
  ATC_HD static Vec step(Vec k, Vec er, Vec x) { return formulas::kama_step(k, formulas::kama_sc(er), x); }
  template <bool kMixed>
  void warm(const BarTicks<Acc, kMixed>& x, Chains& lhs, Chains& rhs, Chains* value) {
    const std::size_t t = x.t;
    const Acc diff = t > 0 ? abs(x[t] - x[t - 1]) : Acc{};
    for (int i = 0; i < K; ++i) {
      const auto L = static_cast<std::size_t>(len[i]);
      const bool defined = t >= L;
      if (t <= L) noise[i] += diff;  // diffs 1..L fill the first window
      else noise[i] = noise[i] + diff - abs(x[t - L] - x[t - L - 1]);
      for (int l = 0; l < kLanes; ++l) {
        if (t == 0 || x.in.scale[l].binary_from != static_cast<int>(t)) continue;
        exact::Wide sum = 0;  // afresh in binary ticks
        for (std::size_t u = t >= L ? t - L + 1 : 1; u <= t; ++u) {
          const exact::Wide d = lane_value(x[u], l) - lane_value(x[u - 1], l);
          sum += d < 0 ? -d : d;
        }
        set_lane(noise[i], l, sum);
      }
      const Vec er = defined ? efficiency_ratio(abs(x[t] - x[t - L]), noise[i]) : Vec{};
      k[i] = step(k[i], er, x.in.src[t]);
      set_float_crossing(x, i, k[i], lhs, rhs, value);
    }
  }
  template <bool kMixed>
  ATC_HD void steady(const BarTicks<Acc, kMixed>& x, Chains& lhs, Chains& rhs, Chains* value) {
    const std::size_t t = x.t;
    const Acc now = x[t];
    const Acc diff = abs(now - x[t - 1]);
    for (int i = 0; i < K; ++i) {
      const auto L = static_cast<std::size_t>(len[i]);
      noise[i] = noise[i] + diff - abs(x[t - L] - x[t - L - 1]);
      k[i] = step(k[i], efficiency_ratio(abs(now - x[t - L]), noise[i]), x.in.src[t]);
      set_float_crossing(x, i, k[i], lhs, rhs, value);
    }
  }
};

// Equity curves of the group's lanes, which share t and cutout.
using EquityCurves = formulas::EquityT<Vec>;

// Per-MA signals (in {-1, 0, 1}) and equities of one family, and its Layer-2 equity.
struct FamilyLayers {
  Chains lhs_prev{}, rhs_prev{}, signal{};
  std::array<EquityCurves, K> equity{};
  EquityCurves family_equity;
  Vec family_signal_prev = splat(kNaN);

  void init() {
    lhs_prev.fill(splat(kNaN));
    rhs_prev.fill(splat(kNaN));
    signal.fill(Vec{});
    equity.fill(EquityCurves{});
    family_equity = EquityCurves{};
    family_signal_prev = splat(kNaN);
  }
};

struct BarContext {
  int t;
  int cutout;
  Vec adjusted_return;
  Vec keep;
};

// Advances the nine signals and equities of a family by one bar; returns X_Signal[t].
ATC_HD Vec layer1_step(FamilyLayers& s, const Chains& lhs, const Chains& rhs, const BarContext& bar) {
  for (int i = 0; i < K; ++i) {
    s.equity[i].step(bar.t, bar.cutout, splat(1.0), bar.adjusted_return, s.signal[i], bar.keep);
    s.signal[i] = formulas::next_signal(s.signal[i], lhs[i], s.lhs_prev[i], rhs[i], s.rhs_prev[i]);
    s.lhs_prev[i] = lhs[i];
    s.rhs_prev[i] = rhs[i];
  }
  if (bar.t < bar.cutout) return splat(kNaN);
  formulas::WeightedSumT<Vec> sum;  // the reference's order: L, L+o1..L+o4, L-o1..L-o4
  for (int i = 0; i < K; ++i) sum.add(s.signal[i], s.equity[i].e);
  return formulas::round2(sum.ratio());
}

// A group's inputs interleaved by bar (lane l of close[t] is lane l's close); a lane
// shorter than the group repeats its last bar: a flat, valid tail never written out.
template <class Acc, bool kMixed>
struct PackedInput {
  std::vector<Vec> close, src;
  std::vector<Acc> close_tick, decimal, binary;
  GroupInput<Acc, kMixed> in;
  explicit PackedInput(const SymbolGroup& group)
      : close(group.bars), src(group.bars), close_tick(group.bars), decimal(group.bars),
        binary(kMixed ? group.bars : 0) {
    for (int l = 0; l < kLanes; ++l) {
      const PreparedSeries& ps = *group.series[l < group.lanes ? l : 0];
      in.scale[l] = ps.ticks;
      // Without a change of scale, the lane's one multiplier.
      const double only = ps.ticks.multiplier(static_cast<int>(ps.n) - 1);
      for (std::size_t t = 0; t < group.bars; ++t) {
        const std::size_t u = std::min(t, ps.n - 1);
        close[t][l] = ps.close[u];
        src[t][l] = ps.src[u];
        set_tick(close_tick[t], l, ps.ticks.tick(ps.close[u], static_cast<int>(u)));
        if constexpr (kMixed) {
          set_tick(decimal[t], l, std::rint(ps.src[u] * ps.ticks.decimal));
          set_tick(binary[t], l, std::rint(ps.src[u] * ps.ticks.binary));
        } else {
          set_tick(decimal[t], l, std::rint(ps.src[u] * only));
        }
      }
    }
    in = GroupInput<Acc, kMixed>{close.data(), src.data(), close_tick.data(), decimal.data(), binary.data(),
                                 in.scale, group.bars};
  }
};

// kCalibrated: a family's calibration outputs are requested (its MA values are formed;
// without, the chains never test for them).
template <class Acc, bool kMixed, bool kCalibrated>
void run_group(const Config& config, const std::vector<double>& growth, const OutputColumns& out,
               const SymbolGroup& group) {
  std::array<Lengths, kFamilies> lengths;
  for (Family f : kAllFamilies) lengths[static_cast<int>(f)] = config.lengths(f);
  const PackedInput<Acc, kMixed> packed(group);
  const GroupInput<Acc, kMixed>& in = packed.in;
  Ema ema;
  WindowSums<Acc> windows;
  Windowed<Acc, Family::HMA> sma;
  Windowed<Acc, Family::WMA> wma;
  Dema dema;
  Windowed<Acc, Family::LSMA> lsma;
  Kama<Acc> kama;
  ema.init(lengths[0]);
  sma.init(lengths[1], windows);
  wma.init(lengths[2], windows);
  dema.init(lengths[3]);
  lsma.init(lengths[4], windows);
  kama.init(lengths[5]);
  std::array<FamilyLayers, kFamilies> layers;
  for (auto& layer : layers) layer.init();
  std::array<formulas::Classifier, kLanes> classifiers{};
  std::array<double, kLanes> average_prev, a_prev;
  average_prev.fill(kNaN);
  a_prev.fill(kNaN);
  std::array<std::int64_t, kLanes> nonfinite;
  nonfinite.fill(-1);

  // Bars where a lane changes from decimal to binary ticks, in order.
  std::vector<std::size_t> rebases;
  for (int l = 0; l < kLanes; ++l)
    if (in.scale[l].binary_from > 0 && static_cast<std::size_t>(in.scale[l].binary_from) < group.bars)
      rebases.push_back(static_cast<std::size_t>(in.scale[l].binary_from));
  std::sort(rebases.begin(), rebases.end());
  std::size_t next_rebase = 0;

  const double keep = 1.0 - config.decay_rate();
  const int cutout = config.cutout;
  std::array<Chains, kFamilies> lhs, rhs;
  Chains calibration_values{};
  const int calibrated = out.calibration_family;
  const auto values_of = [&](int f) { return kCalibrated && f == calibrated ? &calibration_values : nullptr; };

  for (std::size_t t = 0; t < group.bars; ++t) {
    while (next_rebase < rebases.size() && rebases[next_rebase] < t) ++next_rebase;
    const std::size_t rebase = next_rebase < rebases.size() ? rebases[next_rebase] : SIZE_MAX;
    const BarTicks<Acc, kMixed> x{in, t, in.binary_at(t)};
    advance(ema, x, SIZE_MAX, lhs[0], rhs[0], values_of(0));
    windows.advance(x, rebase);
    sma.emit(x, lhs[1], rhs[1], values_of(1));
    wma.emit(x, lhs[2], rhs[2], values_of(2));
    advance(dema, x, SIZE_MAX, lhs[3], rhs[3], values_of(3));
    lsma.emit(x, lhs[4], rhs[4], values_of(4));
    advance(kama, x, rebase, lhs[5], rhs[5], values_of(5));

    const int ti = static_cast<int>(t);
    BarContext bar{ti, cutout, splat(kNaN), splat(keep)};
    if (t > 0) bar.adjusted_return = (in.close[t] - in.close[t - 1]) / in.close[t - 1] * growth[t];

    std::array<Vec, kFamilies> x_signal, x_equity;
    formulas::AverageSignalT<Vec> sum;
    for (int f = 0; f < kFamilies; ++f) {  // Layer 2 in the order EMA..KAMA
      FamilyLayers& layer = layers[f];
      x_signal[f] = layer1_step(layer, lhs[f], rhs[f], bar);
      layer.family_equity.step(ti, cutout, splat(config.weight[f]), bar.adjusted_return,
                               layer.family_signal_prev, bar.keep);
      layer.family_signal_prev = x_signal[f];
      x_equity[f] = layer.family_equity.e;
      sum.add(x_signal[f], x_equity[f]);
    }
    const Vec average = ti < cutout ? splat(kNaN) : sum.value();
    const Vec probe = formulas::equity_probe(average, x_signal);

    for (int l = 0; l < group.lanes; ++l) {
      const PreparedSeries& ps = *group.series[l];
      if (t >= ps.n) continue;
      if (probe[l] != probe[l] && ti >= cutout && nonfinite[l] < 0) nonfinite[l] = ti;
      const std::size_t row = ps.out_offset + t;
      out.average_signal[row] = average[l];
      if (out.family_equity[0]) {
        for (int f = 0; f < kFamilies; ++f) {
          if (out.family_signal_hundredths[0]) out.family_signal_hundredths[f][row] = to_hundredths(x_signal[f][l]);
          else out.family_signal[f][row] = x_signal[f][l];
          out.family_equity[f][row] = x_equity[f][l];
        }
      }
      if (kCalibrated) {
        for (int i = 0; i < K; ++i) {
          out.ma[i][row] = calibration_values[i][l];
          out.ma_signal[i][row] = static_cast<std::int8_t>(layers[calibrated].signal[i][l]);
          out.ma_equity[i][row] = layers[calibrated].equity[i].e[l];
        }
      }
      if (out.trend) {
        const double a = config.strategy ? average_prev[l] : average[l];
        const auto c =
            classifiers[l].step(a, a_prev[l], config.long_threshold, config.short_threshold);
        out.trend[row] = c.trend;
        out.state[row] = c.state;
        out.direction[row] = c.direction;
        out.long_entry[row] = c.long_entry;
        out.short_entry[row] = c.short_entry;
        a_prev[l] = a;
      }
      average_prev[l] = average[l];
    }
  }
  for (int l = 0; l < group.lanes; ++l) out.nonfinite_equity_bar[group.index[l]] = nonfinite[l];
}

}  // namespace

// Groups whose window sums fit in doubles take the vector path; others the wide one.
void ATC_CPU_GROUP_ENTRY(const Config& config, const std::vector<double>& growth,
                         const OutputColumns& out, const SymbolGroup& group) {
  bool wide = false, mixed = false;
  for (int l = 0; l < group.lanes; ++l) {
    wide = wide || group.series[l]->wide;
    const int from = group.series[l]->ticks.binary_from;
    mixed = mixed || (from > 0 && static_cast<std::size_t>(from) < group.series[l]->n);
  }
  const bool calibrated = out.calibration_family >= 0;
  const auto run = [&]<class Acc, bool kMixed>() {
    if (calibrated) run_group<Acc, kMixed, true>(config, growth, out, group);
    else run_group<Acc, kMixed, false>(config, growth, out, group);
  };
  if (wide) {
    if (mixed) run.template operator()<WideVec, true>();
    else run.template operator()<WideVec, false>();
  } else {
    if (mixed) run.template operator()<Vec, true>();
    else run.template operator()<Vec, false>();
  }
}

}  // namespace atc::detail
