// The SIMD group pipeline, compiled once per instruction set: a translation unit
// defines ATC_CPU_GROUP_ENTRY (the entry point's name) and includes this file.
// Everything here has internal linkage, so each inclusion has its own types.
//
// Bit-compatibility with the reference: every lane performs exactly the scalar
// operations of src/core/formulas.hpp in the same order. EMA and DEMA use the same
// recurrences and seeds, so they are identical; SMA/WMA/LSMA and the KAMA noise use
// running window sums, re-summed exactly (in the reference's order) every
// kResumPeriod bars so the drift stays near one ulp on any length of series (LSMA uses
// the identity linreg(L) = 3·WMA(L) − 2·SMA(L), exact in real arithmetic).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

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
// Window sums are recomputed from scratch this often (a power of two keeps the test cheap).
constexpr std::size_t kResumPeriod = 2048;

// GCC/Clang vector extensions: element-wise arithmetic and comparisons; a comparison
// yields a Mask of all-ones / all-zeros lanes. Lowered to the instruction set this
// translation unit is compiled for (SSE2 or AVX2).
using Vec = double __attribute__((vector_size(kLanes * sizeof(double))));
using Mask = std::int64_t __attribute__((vector_size(kLanes * sizeof(double))));

inline Vec splat(double x) { return Vec{} + x; }
inline Vec select(Mask m, Vec a, Vec b) { return m ? a : b; }
inline Vec abs(Vec x) {
  return reinterpret_cast<Vec>(reinterpret_cast<Mask>(x) & (Mask{} + INT64_MAX));
}
inline Vec floor(Vec x) {
  for (int l = 0; l < kLanes; ++l) x[l] = std::floor(x[l]);
  return x;
}

using Lengths = std::array<int, K>;
using Chains = std::array<Vec, K>;  // one vector per chain, one lane per symbol

int longest(const Lengths& len) { return *std::max_element(len.begin(), len.end()); }

// A symbol group's inputs, interleaved by bar: lane l of close[t] is symbol l's close.
struct GroupInput {
  const Vec* close;
  const Vec* src;
};

// Each MA family has a general `warm` step, correct on every bar, and a `steady` step
// for bars where all nine chains are past their warm-up. `warm_end` is the first bar
// from which `steady` is valid; window sums are also re-summed on the `warm` path
// every kResumPeriod bars. Branches depend on the bar only, never on the data.
template <class MovingAverage>
void advance(MovingAverage& m, std::size_t t, const Vec* src, Chains& ma) {
  if (t < m.warm_end || (MovingAverage::kResums && t % kResumPeriod == 0)) m.warm(t, src, ma);
  else m.steady(t, src, ma);
}

// EMA chains seeded with the mean of their first L inputs; `u` counts inputs seen.
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
  // The EMA after input number u (0-based) equal to x; NaN in warm-up.
  Vec warm(int i, std::size_t u, Vec x) {
    const auto L = static_cast<std::size_t>(len[i]);
    if (u + 1 < L) {
      seed_sum[i] += x;
      return splat(kNaN);
    }
    if (u + 1 == L) {
      seed_sum[i] += x;
      value[i] = seed_sum[i] / static_cast<double>(len[i]);
      return value[i];
    }
    return steady(i, x);
  }
  // formulas::ema_step with 1 - alpha hoisted: the same operations.
  Vec steady(int i, Vec x) { return value[i] = alpha[i] * x + beta[i] * value[i]; }
};

struct Ema {
  static constexpr bool kResums = false;
  EmaChains e;
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    e.init(l);
    warm_end = static_cast<std::size_t>(longest(l));
  }
  void warm(std::size_t t, const Vec* src, Chains& ma) {
    for (int i = 0; i < K; ++i) ma[i] = e.warm(i, t, src[t]);
  }
  void steady(std::size_t t, const Vec* src, Chains& ma) {
    for (int i = 0; i < K; ++i) ma[i] = e.steady(i, src[t]);
  }
};

// DEMA = 2·e1 − e2, e2 the EMA of e1's valid values (e1 is valid from bar L−1).
struct Dema {
  static constexpr bool kResums = false;
  EmaChains e1, e2;
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    e1.init(l);
    e2.init(l);
    warm_end = 2 * static_cast<std::size_t>(longest(l)) - 1;
  }
  void warm(std::size_t t, const Vec* src, Chains& ma) {
    for (int i = 0; i < K; ++i) {
      const Vec v1 = e1.warm(i, t, src[t]);
      ma[i] = splat(kNaN);
      const auto first = static_cast<std::size_t>(e1.len[i]) - 1;
      if (t >= first) {
        const Vec v2 = e2.warm(i, t - first, v1);
        if (e2.seeded(i, t - first)) ma[i] = 2.0 * v1 - v2;
      }
    }
  }
  void steady(std::size_t t, const Vec* src, Chains& ma) {
    for (int i = 0; i < K; ++i) {
      const Vec v1 = e1.steady(i, src[t]);
      ma[i] = 2.0 * v1 - e2.steady(i, v1);
    }
  }
};

// Σy and Σ(x+1)·y over the last L inputs (x = 0 oldest), shared by SMA, WMA and LSMA.
struct WindowSums {
  static constexpr bool kResums = true;
  Chains sum_y{}, sum_w{};
  std::array<double, K> len_d{}, wma_norm{};
  Lengths len{};
  std::size_t warm_end = 0;

  void init(const Lengths& l) {
    len = l;
    for (int i = 0; i < K; ++i) {
      len_d[i] = len[i];
      wma_norm[i] = len[i] * (len[i] + 1.0) / 2.0;
    }
    sum_y.fill(Vec{});
    sum_w.fill(Vec{});
    warm_end = static_cast<std::size_t>(longest(l));
  }
  // Advances chain i to bar t; false while its window is incomplete.
  bool warm(int i, std::size_t t, const Vec* src) {
    const auto L = static_cast<std::size_t>(len[i]);
    const Vec x = src[t];
    if (t < L) {  // filling: x sits at position t
      sum_y[i] += x;
      sum_w[i] += static_cast<double>(t + 1) * x;
      return t + 1 == L;
    }
    if (t % kResumPeriod == 0) {
      Vec y{}, w{};  // exact re-summation in the reference's order
      for (std::size_t k = 0; k < L; ++k) {
        const Vec v = src[t + 1 - L + k];
        y += v;
        w += static_cast<double>(k + 1) * v;
      }
      sum_y[i] = y;
      sum_w[i] = w;
    } else {
      slide(i, t, src);
    }
    return true;
  }
  // Every weight drops by one (the oldest, weight 1, leaves) and x enters with weight L.
  void slide(int i, std::size_t t, const Vec* src) {
    const Vec x = src[t], out = src[t - static_cast<std::size_t>(len[i])];
    sum_w[i] = sum_w[i] - sum_y[i] + len_d[i] * x;
    sum_y[i] = sum_y[i] - out + x;
  }
  Vec sma(int i) const { return sum_y[i] / len_d[i]; }
  Vec wma(int i) const { return sum_w[i] / wma_norm[i]; }
};

// A windowed family: Value(sums, i) turns the window sums of chain i into the MA.
template <Vec (*Value)(const WindowSums&, int)>
struct Windowed : WindowSums {
  void warm(std::size_t t, const Vec* src, Chains& ma) {
    for (int i = 0; i < K; ++i) ma[i] = WindowSums::warm(i, t, src) ? Value(*this, i) : splat(kNaN);
  }
  void steady(std::size_t t, const Vec* src, Chains& ma) {
    for (int i = 0; i < K; ++i) {
      slide(i, t, src);
      ma[i] = Value(*this, i);
    }
  }
};

Vec sma_value(const WindowSums& w, int i) { return w.sma(i); }
Vec wma_value(const WindowSums& w, int i) { return w.wma(i); }
// The least-squares line at its newest point equals 3·WMA − 2·SMA of the same window.
Vec lsma_value(const WindowSums& w, int i) { return 3.0 * w.wma(i) - 2.0 * w.sma(i); }

using Sma = Windowed<sma_value>;
using Wma = Windowed<wma_value>;
using Lsma = Windowed<lsma_value>;

// formulas::kama_sc and kama_step, lane by lane.
inline Vec kama_step(Vec k, Vec signal, Vec noise, bool defined, Vec x) {
  const Mask use_ratio = (noise != 0.0) & (defined ? Mask{} - 1 : Mask{});
  const Vec er = select(use_ratio, signal / noise, Vec{});
  const Vec base = er * (formulas::kKamaFast - formulas::kKamaSlow) + formulas::kKamaSlow;
  return k + base * base * (x - k);
}

// KAMA with a running sum of the last L absolute differences (the noise).
struct Kama {
  static constexpr bool kResums = true;
  Chains k{}, noise{};
  Lengths len{};
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    len = l;
    k.fill(Vec{});
    noise.fill(Vec{});
    warm_end = static_cast<std::size_t>(longest(l)) + 1;
  }
  void warm(std::size_t t, const Vec* src, Chains& ma) {
    const Vec x = src[t];
    const Vec diff = t > 0 ? abs(x - src[t - 1]) : Vec{};
    for (int i = 0; i < K; ++i) {
      const auto L = static_cast<std::size_t>(len[i]);
      const bool defined = t >= L;
      if (t <= L) {
        noise[i] += diff;  // diffs 1..L fill the first window
      } else if (t % kResumPeriod == 0) {
        Vec sum{};  // newest first, as the definition reads
        for (std::size_t j = 0; j < L; ++j) sum += abs(src[t - j] - src[t - j - 1]);
        noise[i] = sum;
      } else {
        noise[i] += diff - abs(src[t - L] - src[t - L - 1]);
      }
      const Vec signal = defined ? abs(x - src[t - L]) : Vec{};
      ma[i] = k[i] = kama_step(k[i], signal, noise[i], defined, x);
    }
  }
  void steady(std::size_t t, const Vec* src, Chains& ma) {
    const Vec x = src[t];
    const Vec diff = abs(x - src[t - 1]);
    for (int i = 0; i < K; ++i) {
      const auto L = static_cast<std::size_t>(len[i]);
      noise[i] += diff - abs(src[t - L] - src[t - L - 1]);
      ma[i] = k[i] = kama_step(k[i], abs(x - src[t - L]), noise[i], true, x);
    }
  }
};

// formulas::Equity::step for a vector of curves that share t and cutout.
struct EquityCurves {
  Vec e = splat(kNaN), a{};
  void step(int t, int cutout, double start, Vec r, Vec sig_prev, double keep) {
    if (t < cutout) return;
    if (t > 0) a = select(sig_prev > 0.0, r, select(sig_prev < 0.0, -r, a));
    e = t == cutout ? splat(start) : e * keep * (1.0 + a);
    e = select(e < formulas::kEquityFloor, splat(formulas::kEquityFloor), e);
  }
};

// Per-MA signals (in {-1, 0, 1}) and equities of one family, and its Layer-2 equity.
struct FamilyLayers {
  Chains ma_prev{}, signal{};
  std::array<EquityCurves, K> equity{};
  EquityCurves family_equity;
  Vec family_signal_prev = splat(kNaN);

  void init() {
    ma_prev.fill(splat(kNaN));
    signal.fill(Vec{});
    equity.fill(EquityCurves{});
    family_equity = EquityCurves{};
    family_signal_prev = splat(kNaN);
  }
};

struct BarContext {
  int t;
  int cutout;
  Vec close, close_prev, adjusted_return;
  double keep;
};

// Advances the nine signals and equities of a family by one bar; returns X_Signal[t].
inline Vec layer1_step(FamilyLayers& s, const Chains& ma, const BarContext& bar) {
  for (int i = 0; i < K; ++i) {
    s.equity[i].step(bar.t, bar.cutout, 1.0, bar.adjusted_return, s.signal[i], bar.keep);
    const Mask up = (bar.close > ma[i]) & (bar.close_prev <= s.ma_prev[i]);
    const Mask down = (bar.close < ma[i]) & (bar.close_prev >= s.ma_prev[i]);
    s.signal[i] = select(up, splat(1.0), select(down, splat(-1.0), s.signal[i]));
    s.ma_prev[i] = ma[i];
  }
  if (bar.t < bar.cutout) return splat(kNaN);
  Vec num{}, den{};
  for (int i = 0; i < K; ++i) {  // the reference's order: L, L+o1..L+o4, L-o1..L-o4
    num += s.signal[i] * s.equity[i].e;
    den += s.equity[i].e;
  }
  return floor(100.0 * (num / den) + 0.5) / 100.0;  // formulas::round2
}

inline Vec cut(Vec x) {
  return select(x > formulas::kCutLevel, splat(1.0),
                select(x < -formulas::kCutLevel, splat(-1.0), Vec{}));
}

// A group's inputs interleaved by bar (lane l of close[t] is lane l's close); a lane
// shorter than the group repeats its last bar: a flat, valid tail never written out.
struct PackedInput {
  std::vector<Vec> close, src;
  explicit PackedInput(const SymbolGroup& group) : close(group.bars), src(group.bars) {
    for (int l = 0; l < kLanes; ++l) {
      const PreparedSeries& ps = *group.series[l < group.lanes ? l : 0];
      for (std::size_t t = 0; t < group.bars; ++t) {
        const std::size_t u = std::min(t, ps.n - 1);
        close[t][l] = ps.close[u];
        src[t][l] = ps.src[u];
      }
    }
  }
};

}  // namespace

void ATC_CPU_GROUP_ENTRY(const Config& config, const std::vector<double>& growth,
                         const OutputColumns& out, const SymbolGroup& group) {
  std::array<Lengths, kFamilies> lengths;
  for (Family f : kAllFamilies) lengths[static_cast<int>(f)] = config.lengths(f);
  const PackedInput packed(group);
  const GroupInput in{packed.close.data(), packed.src.data()};
  Ema ema;
  Sma sma;
  Wma wma;
  Dema dema;
  Lsma lsma;
  Kama kama;
  ema.init(lengths[0]);
  sma.init(lengths[1]);
  wma.init(lengths[2]);
  dema.init(lengths[3]);
  lsma.init(lengths[4]);
  kama.init(lengths[5]);
  std::array<FamilyLayers, kFamilies> layers;
  for (auto& layer : layers) layer.init();
  std::array<formulas::Classifier, kLanes> classifiers{};
  std::array<double, kLanes> average_prev, a_prev;
  average_prev.fill(kNaN);
  a_prev.fill(kNaN);

  const double keep = 1.0 - config.decay_rate();
  const int cutout = config.cutout;
  std::array<Chains, kFamilies> ma;

  for (std::size_t t = 0; t < group.bars; ++t) {
    advance(ema, t, in.src, ma[0]);
    advance(sma, t, in.src, ma[1]);
    advance(wma, t, in.src, ma[2]);
    advance(dema, t, in.src, ma[3]);
    advance(lsma, t, in.src, ma[4]);
    advance(kama, t, in.src, ma[5]);

    const int ti = static_cast<int>(t);
    BarContext bar{ti, cutout, in.close[t], splat(kNaN), splat(kNaN), keep};
    if (t > 0) {
      bar.close_prev = in.close[t - 1];
      bar.adjusted_return = (in.close[t] - in.close[t - 1]) / in.close[t - 1] * growth[t];
    }

    std::array<Vec, kFamilies> x_signal, x_equity;
    Vec num{}, den{};
    for (int f = 0; f < kFamilies; ++f) {  // Layer 2 in the order EMA..KAMA
      FamilyLayers& layer = layers[f];
      x_signal[f] = layer1_step(layer, ma[f], bar);
      layer.family_equity.step(ti, cutout, config.weight[f], bar.adjusted_return,
                               layer.family_signal_prev, keep);
      layer.family_signal_prev = x_signal[f];
      x_equity[f] = layer.family_equity.e;
      num += cut(x_signal[f]) * x_equity[f];
      den += x_equity[f];
    }
    const Vec average = ti < cutout ? splat(kNaN) : num / den;

    for (int l = 0; l < group.lanes; ++l) {
      const PreparedSeries& ps = *group.series[l];
      if (t >= ps.n) continue;
      const std::size_t row = ps.out_offset + t;
      out.average_signal[row] = average[l];
      if (out.family_equity[0]) {
        for (int f = 0; f < kFamilies; ++f) {
          if (out.family_signal_hundredths[0]) out.family_signal_hundredths[f][row] = to_hundredths(x_signal[f][l]);
          else out.family_signal[f][row] = x_signal[f][l];
          out.family_equity[f][row] = x_equity[f][l];
        }
      }
      if (out.calibration_family >= 0) {
        const int f = out.calibration_family;
        for (int i = 0; i < K; ++i) {
          out.ma[i][row] = ma[f][i][l];
          out.ma_signal[i][row] = static_cast<std::int8_t>(layers[f].signal[i][l]);
          out.ma_equity[i][row] = layers[f].equity[i].e[l];
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
}

}  // namespace atc::detail
