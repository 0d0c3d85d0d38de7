// §4-§8 stage by stage over whole series, and the reference backend entry point.
#include <algorithm>
#include <cmath>
#include <limits>

#include "../core/formulas.hpp"
#include "../core/prepared.hpp"
#include "reference.hpp"

namespace atc::reference {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

Signal crossover_signal(std::span<const double> side) {
  Signal s(side.size(), 0);
  for (std::size_t t = 1; t < side.size(); ++t)
    s[t] = formulas::next_signal(s[t - 1], side[t], side[t - 1], 0.0, 0.0);
  return s;
}

Signal crossover_signal(std::span<const double> close, std::span<const double> ma) {
  Signal s(close.size(), 0);
  for (std::size_t t = 1; t < close.size(); ++t)
    s[t] = formulas::next_signal(s[t - 1], close[t], close[t - 1], ma[t], ma[t - 1]);
  return s;
}

Series returns(std::span<const double> close) {
  Series r(close.size(), kNaN);
  for (std::size_t t = 1; t < close.size(); ++t) r[t] = (close[t] - close[t - 1]) / close[t - 1];
  return r;
}

Series equity(double start, std::span<const double> sig, std::span<const double> r, double la,
              double de, int cutout) {
  Series e(sig.size(), kNaN);
  formulas::Equity curve;
  for (std::size_t t = 0; t < sig.size(); ++t) {
    const int ti = static_cast<int>(t);
    const double adjusted = t > 0 ? r[t] * formulas::growth_factor(la, ti, cutout) : kNaN;
    const double sig_prev = t > 0 ? sig[t - 1] : kNaN;
    e[t] = curve.step(ti, cutout, start, adjusted, sig_prev, 1.0 - de);
  }
  return e;
}

Series layer1(const std::vector<Signal>& signals, const std::vector<Series>& equities, int cutout) {
  const std::size_t n = signals.front().size();
  Series out(n, kNaN);
  for (std::size_t t = static_cast<std::size_t>(cutout); t < n; ++t) {
    formulas::WeightedSumT<double> sum;
    for (std::size_t i = 0; i < signals.size(); ++i)  // order L, L+o1..L+o4, L-o1..L-o4
      sum.add(signals[i][t], equities[i][t]);
    out[t] = formulas::round2(sum.ratio());
  }
  return out;
}

Series average_signal(const std::vector<Series>& family_signal,
                      const std::vector<Series>& family_equity, int cutout) {
  const std::size_t n = family_signal.front().size();
  Series out(n, kNaN);
  for (std::size_t t = static_cast<std::size_t>(cutout); t < n; ++t) {
    formulas::AverageSignalT<double> average;
    for (int f = 0; f < kFamilies; ++f) average.add(family_signal[f][t], family_equity[f][t]);
    out[t] = average.value();
  }
  return out;
}

Classification classify(std::span<const double> average, double long_threshold,
                        double short_threshold, bool strategy) {
  const std::size_t n = average.size();
  Series a(average.begin(), average.end());
  if (strategy) {  // the classification sees the previous bar's Average_Signal
    for (std::size_t t = n; t-- > 1;) a[t] = a[t - 1];
    if (n > 0) a[0] = kNaN;
  }
  Classification c{Signal(n, 0), Signal(n, 0), Signal(n, 0), Signal(n, 0), Signal(n, 0)};
  formulas::Classifier classifier;
  for (std::size_t t = 0; t < n; ++t) {
    const auto bar = classifier.step(a[t], t > 0 ? a[t - 1] : kNaN, long_threshold, short_threshold);
    c.trend[t] = bar.trend;
    c.state[t] = bar.state;
    c.direction[t] = bar.direction;
    c.long_entry[t] = bar.long_entry;
    c.short_entry[t] = bar.short_entry;
  }
  return c;
}

}  // namespace atc::reference

namespace atc::detail {
namespace {

// The first bar from the cutout on at which `values` (an equity, a Layer-1 signal or
// Average_Signal) is not finite, if before `first`.
void track_nonfinite(const reference::Series& values, int cutout, std::int64_t& first) {
  const std::size_t end = first < 0 ? values.size() : static_cast<std::size_t>(first);
  for (std::size_t t = static_cast<std::size_t>(cutout); t < end; ++t) {
    if (!std::isfinite(values[t])) {
      first = static_cast<std::int64_t>(t);
      return;
    }
  }
}

}  // namespace

void run_reference(const PreparedBatch& batch, const Config& config, OutputColumns out, const std::stop_token& stop) {
  using namespace atc::reference;
  const double la = config.growth_rate(), de = config.decay_rate();
  for (std::size_t k = 0; k < batch.series.size(); ++k) {
    throw_if_cancelled(stop);
    const PreparedSeries& ps = batch.series[k];
    std::int64_t& nonfinite = out.nonfinite_equity_bar[k];
    const std::span<const double> close(ps.close, ps.n), src(ps.src, ps.n);
    const Series r = returns(close);
    std::vector<Series> family_signal, family_equity;
    for (Family family : kAllFamilies) {
      const int f = static_cast<int>(family);
      std::vector<Signal> signals;
      std::vector<Series> equities, mas;
      for (int len : config.lengths(family)) {
        mas.push_back(moving_average(family, src, len, ps.ticks));
        signals.push_back(crossover_signal(crossing_side(family, close, src, len, ps.ticks, mas.back())));
        const Series sig(signals.back().begin(), signals.back().end());
        equities.push_back(equity(1.0, sig, r, la, de, config.cutout));
        track_nonfinite(equities.back(), config.cutout, nonfinite);
      }
      family_signal.push_back(layer1(signals, equities, config.cutout));
      family_equity.push_back(
          equity(config.weight[f], family_signal.back(), r, la, de, config.cutout));
      track_nonfinite(family_equity.back(), config.cutout, nonfinite);
      // Finite equities can still sum past the largest double (Σ E of Layer 1 or Σ X_S):
      // the NaN that leaves is the same error.
      track_nonfinite(family_signal.back(), config.cutout, nonfinite);
      if (out.family_signal[f])
        std::copy(family_signal[f].begin(), family_signal[f].end(), out.family_signal[f] + ps.out_offset);
      if (out.family_signal_hundredths[f])
        std::transform(family_signal[f].begin(), family_signal[f].end(),
                       out.family_signal_hundredths[f] + ps.out_offset, to_hundredths);
      if (out.family_equity[f])
        std::copy(family_equity[f].begin(), family_equity[f].end(), out.family_equity[f] + ps.out_offset);
      if (out.calibration_family == f) {
        for (int i = 0; i < kLengthsPerFamily; ++i) {
          std::copy(mas[i].begin(), mas[i].end(), out.ma[i] + ps.out_offset);
          std::copy(signals[i].begin(), signals[i].end(), out.ma_signal[i] + ps.out_offset);
          std::copy(equities[i].begin(), equities[i].end(), out.ma_equity[i] + ps.out_offset);
        }
      }
    }
    const Series average = average_signal(family_signal, family_equity, config.cutout);
    track_nonfinite(average, config.cutout, nonfinite);
    std::copy(average.begin(), average.end(), out.average_signal + ps.out_offset);
    if (out.trend) {
      const Classification c =
          classify(average, config.long_threshold, config.short_threshold, config.strategy);
      std::copy(c.trend.begin(), c.trend.end(), out.trend + ps.out_offset);
      std::copy(c.state.begin(), c.state.end(), out.state + ps.out_offset);
      std::copy(c.direction.begin(), c.direction.end(), out.direction + ps.out_offset);
      std::copy(c.long_entry.begin(), c.long_entry.end(), out.long_entry + ps.out_offset);
      std::copy(c.short_entry.begin(), c.short_entry.end(), out.short_entry + ps.out_offset);
    }
  }
}

}  // namespace atc::detail
