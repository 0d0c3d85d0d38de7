// The fast CPU backend: one pass over a symbol's bars updates all 54 moving-average
// chains, their signals and equities, both layers and the classification, with O(1)
// work per bar; worker threads take symbols from a shared counter.
//
// Bit-compatibility with the reference: EMA and DEMA use the same recurrences and
// seeds, so they are identical; SMA/WMA/LSMA and the KAMA noise use running window
// sums, re-summed exactly (in the reference's order) every kResumPeriod bars so the
// drift stays near one ulp on any length of series. Everything after the MAs is
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

// EMA seeded with the mean of its first L inputs; `u` counts the inputs seen so far.
struct EmaChains {
  Values value{}, seed_sum{}, alpha{};
  Lengths len{};

  void init(const Lengths& lengths) {
    len = lengths;
    for (int i = 0; i < K; ++i) alpha[i] = 2.0 / (len[i] + 1.0);
    value.fill(0.0);
    seed_sum.fill(0.0);
  }
  // Returns the EMA after input number u (0-based) equal to x, NaN in warm-up.
  double step(int i, std::size_t u, double x) {
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
};

struct Ema {
  EmaChains e;
  void init(const Lengths& l) { e.init(l); }
  void step(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) ma[i] = e.step(i, t, src[t]);
  }
};

// DEMA = 2·e1 − e2, e2 the EMA of e1's valid values (e1 is valid from bar L−1).
struct Dema {
  EmaChains e1, e2;
  void init(const Lengths& l) {
    e1.init(l);
    e2.init(l);
  }
  void step(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) {
      const double v1 = e1.step(i, t, src[t]);
      ma[i] = kNaN;
      const auto first = static_cast<std::size_t>(e1.len[i]) - 1;
      if (t >= first) {
        const double v2 = e2.step(i, t - first, v1);
        if (!std::isnan(v2)) ma[i] = 2.0 * v1 - v2;
      }
    }
  }
};

// Σy and Σ(x+1)·y over the last L inputs (x = 0 oldest), shared by SMA, WMA and LSMA.
struct WindowSums {
  Values sum_y{}, sum_w{};
  Lengths len{};

  void init(const Lengths& l) {
    len = l;
    sum_y.fill(0.0);
    sum_w.fill(0.0);
  }
  // Advances chain i to bar t; returns false while the window is incomplete.
  bool step(int i, std::size_t t, const double* src) {
    const auto L = static_cast<std::size_t>(len[i]);
    const double x = src[t];
    if (t < L) {  // filling: x sits at position t
      sum_y[i] += x;
      sum_w[i] += static_cast<double>(t + 1) * x;
      return t + 1 == L;
    }
    if (t % kResumPeriod == 0) {
      resum(i, t, src);
    } else {
      const double out = src[t - L];
      // Every weight drops by one (the oldest, weight 1, leaves) and x enters with weight L.
      sum_w[i] = sum_w[i] - sum_y[i] + len[i] * x;
      sum_y[i] = sum_y[i] - out + x;
    }
    return true;
  }
  void resum(int i, std::size_t t, const double* src) {
    const auto L = static_cast<std::size_t>(len[i]);
    double y = 0.0, w = 0.0;
    for (std::size_t k = 0; k < L; ++k) {
      const double v = src[t + 1 - L + k];
      y += v;
      w += static_cast<double>(k + 1) * v;
    }
    sum_y[i] = y;
    sum_w[i] = w;
  }
};

struct Sma {
  WindowSums w;
  void init(const Lengths& l) { w.init(l); }
  void step(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) ma[i] = w.step(i, t, src) ? w.sum_y[i] / w.len[i] : kNaN;
  }
};

struct Wma {
  WindowSums w;
  void init(const Lengths& l) { w.init(l); }
  void step(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i) {
      const double norm = w.len[i] * (w.len[i] + 1.0) / 2.0;
      ma[i] = w.step(i, t, src) ? w.sum_w[i] / norm : kNaN;
    }
  }
};

struct Lsma {
  WindowSums w;
  void init(const Lengths& l) { w.init(l); }
  void step(std::size_t t, const double* src, Values& ma) {
    for (int i = 0; i < K; ++i)
      ma[i] = w.step(i, t, src)
                  ? formulas::linreg_end(w.sum_y[i], w.sum_w[i] - w.sum_y[i], w.len[i])
                  : kNaN;
  }
};

// KAMA with a running sum of the last L absolute differences (the noise).
struct Kama {
  Values k{}, noise{};
  Lengths len{};
  void init(const Lengths& l) {
    len = l;
    k.fill(0.0);
    noise.fill(0.0);
  }
  void step(std::size_t t, const double* src, Values& ma) {
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
};

// Per-MA signals and equities of one family, its Layer-1 signal and Layer-2 equity.
struct FamilyLayers {
  Values ma_prev{};
  std::array<std::int8_t, K> signal{};
  std::array<formulas::Equity, K> equity{};
  formulas::Equity family_equity;
  double family_signal_prev = kNaN;

  void init() {
    ma_prev.fill(kNaN);
    signal.fill(0);
    equity.fill(formulas::Equity{});
    family_equity = formulas::Equity{};
    family_signal_prev = kNaN;
  }
};

struct BarContext {
  int t;
  int cutout;
  double close, close_prev, adjusted_return, keep;
};

// Advances the signals and equities of one family by a bar; returns X_Signal[t].
inline double layer1_step(FamilyLayers& s, const Values& ma, const BarContext& bar) {
  double num = 0.0, den = 0.0;
  for (int i = 0; i < K; ++i) {
    const double e = s.equity[i].step(bar.t, bar.cutout, 1.0, bar.adjusted_return,
                                      static_cast<double>(s.signal[i]), bar.keep);
    s.signal[i] = formulas::next_signal(s.signal[i], bar.close, bar.close_prev, ma[i], s.ma_prev[i]);
    s.ma_prev[i] = ma[i];
    num += s.signal[i] * e;
    den += e;
  }
  return bar.t < bar.cutout ? kNaN : formulas::round2(num / den);
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
      ema_.step(t, src, ma[0]);
      sma_.step(t, src, ma[1]);
      wma_.step(t, src, ma[2]);
      dema_.step(t, src, ma[3]);
      lsma_.step(t, src, ma[4]);
      kama_.step(t, src, ma[5]);

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
            out_.ma_signal[i][row] = layer.signal[i];
            out_.ma_equity[i][row] = layer.equity[i].e;
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
