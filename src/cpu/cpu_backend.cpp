// The fast CPU backend: one pass over a symbol's bars updates all 54 moving-average
// chains, their signals and equities, both layers and the classification, with O(1)
// work per bar; worker threads take symbols from a shared counter.
//
// Bit-compatibility with the reference: EMA and DEMA use the same recurrences and
// seeds, so they are identical; SMA/WMA/LSMA and the KAMA noise use running window
// sums, re-summed exactly (in the reference's order) every kResumPeriod bars so the
// drift stays near one ulp on any length of series (LSMA uses the identity
// linreg(L) = 3·WMA(L) − 2·SMA(L), exact in real arithmetic). Everything after the MAs is
// computed with the shared formulas in the reference's order of operations.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "../core/formulas.hpp"
#include "../core/prepared.hpp"

namespace atc::detail {
namespace {

constexpr int K = kLengthsPerFamily;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Window sums are recomputed from scratch this often (a power of two keeps the test cheap).
constexpr std::size_t kResumPeriod = 2048;

using Lengths = std::array<int, K>;
using Values = std::array<double, K>;

int longest(const Lengths& len) { return *std::max_element(len.begin(), len.end()); }

// Each MA family below has a general `warm` step, correct on every bar, and a
// branch-free `steady` step for bars where all nine chains are past their warm-up:
// straight-line loops over the nine chains that the compiler vectorises.
// `warm_end` is the first bar from which `steady` is valid; window sums are also
// re-summed on the `warm` path every kResumPeriod bars.
template <class MovingAverage>
void advance(MovingAverage& m, std::size_t t, const double* src, Values& ma) {
  if (t < m.warm_end || (MovingAverage::kResums && t % kResumPeriod == 0)) m.warm(t, src, ma);
  else m.steady(t, src, ma);
}

// EMA chains seeded with the mean of their first L inputs; `u` counts inputs seen.
struct EmaChains {
  Values value{}, seed_sum{}, alpha{}, beta{};  // beta = 1 - alpha
  Lengths len{};

  void init(const Lengths& lengths) {
    len = lengths;
    for (int i = 0; i < K; ++i) {
      alpha[i] = 2.0 / (len[i] + 1.0);
      beta[i] = 1.0 - alpha[i];
    }
    value.fill(0.0);
    seed_sum.fill(0.0);
  }
  // The EMA after input number u (0-based) equal to x; NaN in warm-up.
  double warm(int i, std::size_t u, double x) {
    const auto L = static_cast<std::size_t>(len[i]);
    if (u + 1 < L) {
      seed_sum[i] += x;
      return kNaN;
    }
    if (u + 1 == L) {
      seed_sum[i] += x;
      value[i] = seed_sum[i] / len[i];
    } else {
      value[i] = formulas::ema_step(value[i], x, alpha[i]);
    }
    return value[i];
  }
  // Same operations as formulas::ema_step, with 1 - alpha hoisted.
  double steady(int i, double x) { return value[i] = alpha[i] * x + beta[i] * value[i]; }
};

struct Ema {
  static constexpr bool kResums = false;
  EmaChains e;
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    e.init(l);
    warm_end = static_cast<std::size_t>(longest(l));
  }
  void warm(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) ma[i] = e.warm(i, t, src[t]);
  }
  void steady(std::size_t t, const double* src, Values& ma) {
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
  void warm(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) {
      const double v1 = e1.warm(i, t, src[t]);
      ma[i] = kNaN;
      const auto first = static_cast<std::size_t>(e1.len[i]) - 1;
      if (t >= first) {
        const double v2 = e2.warm(i, t - first, v1);
        if (!std::isnan(v2)) ma[i] = 2.0 * v1 - v2;
      }
    }
  }
  void steady(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) {
      const double v1 = e1.steady(i, src[t]);
      ma[i] = 2.0 * v1 - e2.steady(i, v1);
    }
  }
};

// Σy and Σ(x+1)·y over the last L inputs (x = 0 oldest), shared by SMA, WMA and LSMA.
struct WindowSums {
  static constexpr bool kResums = true;
  Values sum_y{}, sum_w{}, len_d{}, wma_norm{};
  Lengths len{};
  std::size_t warm_end = 0;

  void init(const Lengths& l) {
    len = l;
    for (int i = 0; i < K; ++i) {
      len_d[i] = len[i];
      wma_norm[i] = len[i] * (len[i] + 1.0) / 2.0;
    }
    sum_y.fill(0.0);
    sum_w.fill(0.0);
    warm_end = static_cast<std::size_t>(longest(l));
  }
  // Advances chain i to bar t; false while its window is incomplete.
  bool warm(int i, std::size_t t, const double* src) {
    const auto L = static_cast<std::size_t>(len[i]);
    const double x = src[t];
    if (t < L) {  // filling: x sits at position t
      sum_y[i] += x;
      sum_w[i] += static_cast<double>(t + 1) * x;
      return t + 1 == L;
    }
    if (t % kResumPeriod == 0) {
      double y = 0.0, w = 0.0;  // exact re-summation in the reference's order
      for (std::size_t k = 0; k < L; ++k) {
        const double v = src[t + 1 - L + k];
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
  void slide(int i, std::size_t t, const double* src) {
    const double x = src[t], out = src[t - static_cast<std::size_t>(len[i])];
    sum_w[i] = sum_w[i] - sum_y[i] + len_d[i] * x;
    sum_y[i] = sum_y[i] - out + x;
  }
  double sma(int i) const { return sum_y[i] / len_d[i]; }
  double wma(int i) const { return sum_w[i] / wma_norm[i]; }
};

// A windowed family: Value(sums, i) turns the window sums of chain i into the MA.
template <double (*Value)(const WindowSums&, int)>
struct Windowed : WindowSums {
  void warm(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) ma[i] = WindowSums::warm(i, t, src) ? Value(*this, i) : kNaN;
  }
  void steady(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) slide(i, t, src);
    for (int i = 0; i < K; ++i) ma[i] = Value(*this, i);
  }
};

double sma_value(const WindowSums& w, int i) { return w.sma(i); }
double wma_value(const WindowSums& w, int i) { return w.wma(i); }
// The least-squares line at its newest point equals 3·WMA − 2·SMA of the same window.
double lsma_value(const WindowSums& w, int i) { return 3.0 * w.wma(i) - 2.0 * w.sma(i); }

using Sma = Windowed<sma_value>;
using Wma = Windowed<wma_value>;
using Lsma = Windowed<lsma_value>;

// KAMA with a running sum of the last L absolute differences (the noise).
struct Kama {
  static constexpr bool kResums = true;
  Values k{}, noise{};
  Lengths len{};
  std::size_t warm_end = 0;
  void init(const Lengths& l) {
    len = l;
    k.fill(0.0);
    noise.fill(0.0);
    warm_end = static_cast<std::size_t>(longest(l)) + 1;
  }
  void warm(std::size_t t, const double* src, Values& ma) {
    const double x = src[t];
    const double diff = t > 0 ? std::fabs(x - src[t - 1]) : 0.0;
    for (int i = 0; i < K; ++i) {
      const auto L = static_cast<std::size_t>(len[i]);
      double signal = 0.0;
      const bool defined = t >= L;
      if (t <= L) {
        noise[i] += diff;  // diffs 1..L fill the first window
      } else if (t % kResumPeriod == 0) {
        double sum = 0.0;  // newest first, as the definition reads
        for (std::size_t j = 0; j < L; ++j) sum += std::fabs(src[t - j] - src[t - j - 1]);
        noise[i] = sum;
      } else {
        noise[i] += diff - std::fabs(src[t - L] - src[t - L - 1]);
      }
      if (defined) signal = std::fabs(x - src[t - L]);
      k[i] = formulas::kama_step(k[i], formulas::kama_sc(signal, noise[i], defined), x);
      ma[i] = k[i];
    }
  }
  void steady(std::size_t t, const double* src, Values& ma) {
    const double x = src[t];
    const double diff = std::fabs(x - src[t - 1]);
    for (int i = 0; i < K; ++i) {
      const auto L = static_cast<std::size_t>(len[i]);
      noise[i] += diff - std::fabs(src[t - L] - src[t - L - 1]);
      const double signal = std::fabs(x - src[t - L]);
      k[i] = formulas::kama_step(k[i], formulas::kama_sc(signal, noise[i], true), x);
      ma[i] = k[i];
    }
  }
};

// Per-MA signals and equities of one family (structure of arrays), its Layer-2 equity.
struct FamilyLayers {
  Values ma_prev{}, signal{}, equity{}, adjusted{};  // signal in {-1, 0, 1}
  formulas::Equity family_equity;
  double family_signal_prev = kNaN;

  void init() {
    ma_prev.fill(kNaN);
    signal.fill(0.0);
    equity.fill(kNaN);
    adjusted.fill(0.0);
    family_equity = formulas::Equity{};
    family_signal_prev = kNaN;
  }
};

struct BarContext {
  int t;
  int cutout;
  double close, close_prev, adjusted_return, keep;
};

// Advances the nine signals and equities of a family by one bar; returns X_Signal[t].
// The equity update is formulas::Equity::step unrolled over the chains (its branches
// on t are the same for all nine), so the arithmetic is identical.
inline double layer1_step(FamilyLayers& s, const Values& ma, const BarContext& bar) {
  if (bar.t >= bar.cutout) {
    const double r = bar.adjusted_return;
    if (bar.t > 0)
      for (int i = 0; i < K; ++i)
        s.adjusted[i] = s.signal[i] > 0.0 ? r : (s.signal[i] < 0.0 ? -r : s.adjusted[i]);
    if (bar.t == bar.cutout) {
      s.equity.fill(1.0);
    } else {
      for (int i = 0; i < K; ++i) s.equity[i] = s.equity[i] * bar.keep * (1.0 + s.adjusted[i]);
    }
    for (int i = 0; i < K; ++i)
      s.equity[i] = s.equity[i] < formulas::kEquityFloor ? formulas::kEquityFloor : s.equity[i];
  }
  for (int i = 0; i < K; ++i) {
    const bool up = bar.close > ma[i] && bar.close_prev <= s.ma_prev[i];
    const bool down = bar.close < ma[i] && bar.close_prev >= s.ma_prev[i];
    s.signal[i] = up ? 1.0 : (down ? -1.0 : s.signal[i]);
    s.ma_prev[i] = ma[i];
  }
  if (bar.t < bar.cutout) return kNaN;
  double num = 0.0, den = 0.0;
  for (int i = 0; i < K; ++i) {  // the reference's order: L, L+o1..L+o4, L-o1..L-o4
    num += s.signal[i] * s.equity[i];
    den += s.equity[i];
  }
  return formulas::round2(num / den);
}

class SymbolPipeline {
 public:
  SymbolPipeline(const Config& config, const std::vector<double>& growth, OutputColumns out)
      : config_(config), growth_(growth), out_(out) {
    for (Family f : kAllFamilies) lengths_[static_cast<int>(f)] = config.lengths(f);
  }

  void run(const PreparedSeries& ps) {
    ema_.init(lengths_[0]);
    sma_.init(lengths_[1]);
    wma_.init(lengths_[2]);
    dema_.init(lengths_[3]);
    lsma_.init(lengths_[4]);
    kama_.init(lengths_[5]);
    for (auto& l : layers_) l.init();
    formulas::Classifier classifier;
    double average_prev = kNaN, a_prev = kNaN;

    const double* close = ps.close;
    const double* src = ps.src;
    const double keep = 1.0 - config_.decay_rate();
    const int cutout = config_.cutout;
    std::array<Values, kFamilies> ma;

    for (std::size_t t = 0; t < ps.n; ++t) {
      advance(ema_, t, src, ma[0]);
      advance(sma_, t, src, ma[1]);
      advance(wma_, t, src, ma[2]);
      advance(dema_, t, src, ma[3]);
      advance(lsma_, t, src, ma[4]);
      advance(kama_, t, src, ma[5]);

      const std::size_t row = ps.out_offset + t;
      const int ti = static_cast<int>(t);
      BarContext bar{ti, cutout, close[t], t > 0 ? close[t - 1] : kNaN, kNaN, keep};
      if (t > 0) bar.adjusted_return = (close[t] - close[t - 1]) / close[t - 1] * growth_[t];

      double num = 0.0, den = 0.0;
      for (int f = 0; f < kFamilies; ++f) {
        FamilyLayers& layer = layers_[f];
        const double x_signal = layer1_step(layer, ma[f], bar);
        const double x_equity = layer.family_equity.step(
            ti, cutout, config_.weight[f], bar.adjusted_return, layer.family_signal_prev, keep);
        layer.family_signal_prev = x_signal;
        num += formulas::cut(x_signal) * x_equity;
        den += x_equity;
        if (out_.family_signal[f]) {
          out_.family_signal[f][row] = x_signal;
          out_.family_equity[f][row] = x_equity;
        }
        if (out_.calibration_family == f) {
          for (int i = 0; i < K; ++i) {
            out_.ma[i][row] = ma[f][i];
            out_.ma_signal[i][row] = static_cast<std::int8_t>(layer.signal[i]);
            out_.ma_equity[i][row] = layer.equity[i];
          }
        }
      }
      const double average = ti < cutout ? kNaN : num / den;
      out_.average_signal[row] = average;

      if (out_.trend) {
        const double a = config_.strategy ? average_prev : average;
        const auto c = classifier.step(a, a_prev, config_.long_threshold, config_.short_threshold);
        out_.trend[row] = c.trend;
        out_.state[row] = c.state;
        out_.direction[row] = c.direction;
        out_.long_entry[row] = c.long_entry;
        out_.short_entry[row] = c.short_entry;
        a_prev = a;
      }
      average_prev = average;
    }
  }

 private:
  const Config& config_;
  const std::vector<double>& growth_;
  OutputColumns out_;
  std::array<Lengths, kFamilies> lengths_{};
  Ema ema_;
  Sma sma_;
  Wma wma_;
  Dema dema_;
  Lsma lsma_;
  Kama kama_;
  std::array<FamilyLayers, kFamilies> layers_;
};

}  // namespace

void run_cpu(const PreparedBatch& batch, const Config& config, OutputColumns out, int threads) {
  const std::vector<double> growth = growth_table(config, batch.max_bars);
  const std::size_t count = batch.series.size();
  unsigned workers = threads > 0 ? static_cast<unsigned>(threads)
                                 : std::max(1u, std::thread::hardware_concurrency());
  workers = static_cast<unsigned>(std::min<std::size_t>(workers, count));

  // Symbols are handed out one at a time: lengths differ, so static splits would idle.
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    SymbolPipeline pipeline(config, growth, out);
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1))
      pipeline.run(batch.series[i]);
  };
  if (workers <= 1) {
    work();
    return;
  }
  std::vector<std::jthread> pool;
  pool.reserve(workers - 1);
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
}

}  // namespace atc::detail
