// One symbol's live state advanced by one bar (docs/SEMANTICS.md, "Live updates"): the
// single definition of the live step, compiled for the host (the cpu live engine) and
// for the device (src/cuda/live.cu, one thread per symbol), so that both give the
// same bits. Every per-bar formula comes from formulas.hpp and exact.hpp.
#pragma once

#include <cmath>
#include <cstdint>

#include "live_state.hpp"
#include "../core/ticks.hpp"

namespace atc::detail::live {

// A symbol's state where it lies (host or device memory): its Core and its two rings.
struct StateRef {
  Core* core;
  double* ring;      // the last Params::ring src values, bar t at t % ring
  Wide* ring_ticks;  // their ticks in the current scale
};

namespace step_detail {

constexpr int kEma = static_cast<int>(Family::EMA), kSma = static_cast<int>(Family::HMA),
              kWma = static_cast<int>(Family::WMA), kDema = static_cast<int>(Family::DEMA),
              kLsma = static_cast<int>(Family::LSMA), kKama = static_cast<int>(Family::KAMA);
// The window families SMA, WMA, LSMA as k = 0, 1, 2 (a function: a constexpr array is
// not readable in device code).
ATC_HD constexpr int window_family(int k) { return k == 0 ? kSma : (k == 1 ? kWma : kLsma); }

// The current tick scale as exact.hpp's TickScale (binary from bar 0, or never).
ATC_HD exact::TickScale scale_of(const Core& c) {
  exact::TickScale scale;
  scale.decimal = power_of_ten(c.decimals);
  if (c.binary) {
    scale.binary = std::ldexp(1.0, c.binary_exponent);
    scale.binary_from = 0;
  }
  return scale;
}

// An integer-valued double as a 128-bit integer: through a 64-bit one when it fits
// (one instruction rather than a library call), exactly either way.
ATC_HD Wide wide_of(double tick) {
  if (std::fabs(tick) < 0x1p62) return static_cast<Wide>(static_cast<std::int64_t>(tick));
  return exact::to_wide(tick);
}

ATC_HD Wide ticks_of(double v, const exact::TickScale& scale) { return wide_of(scale.tick(v, 0)); }

ATC_HD std::int64_t max64(std::int64_t a, std::int64_t b) { return a > b ? a : b; }

}  // namespace step_detail

// The ring's ticks of bars [bars − ring, bars) in the current scale, from its values
// (after a restore, or when the scale changes kind or grows finer).
ATC_HD void refresh_ticks(const StateRef& s, const Params& p, std::int64_t bars) {
  const exact::TickScale scale = step_detail::scale_of(*s.core);
  for (std::int64_t u = step_detail::max64(0, bars - p.ring); u < bars; ++u)
    s.ring_ticks[u % p.ring] = step_detail::ticks_of(s.ring[u % p.ring], scale);
}

namespace step_detail {

// The ticks of bar t's src in the current scale (converted once, when it arrived).
ATC_HD Wide tick_at(const StateRef& s, const Params& p, std::int64_t t) { return s.ring_ticks[t % p.ring]; }

// Window sums and KAMA noise summed afresh over the ring, in the current scale: after
// the switch to binary ticks, or to a finer binary scale (old values are read anew).
ATC_HD_COLD void resum(const StateRef& s, const Params& p, std::int64_t t) {
  for (int w = 0; w < p.windows; ++w) {
    Window& win = s.core->windows[w];
    const int len = p.window_length[w];
    win.sum_y = win.sum_w = 0;
    const std::int64_t first = max64(0, t - len + 1);
    for (std::int64_t u = first; u <= t; ++u) {
      const Wide v = tick_at(s, p, u);
      win.sum_y += v;
      win.sum_w += exact::times(v, u - first + 1);
    }
  }
  for (int i = 0; i < K; ++i) {
    Wide& noise = s.core->noise[i];
    noise = 0;
    for (std::int64_t u = max64(1, t - p.length[kKama][i] + 1); u <= t; ++u) {
      const Wide diff = tick_at(s, p, u) - tick_at(s, p, u - 1);
      noise += diff < 0 ? -diff : diff;
    }
  }
}

// Every held integer times `factor` (a finer scale of the same kind: exact).
ATC_HD_COLD void rescale(const StateRef& s, const Params& p, long long factor) {
  for (int w = 0; w < p.windows; ++w) {
    s.core->windows[w].sum_y = exact::times(s.core->windows[w].sum_y, factor);
    s.core->windows[w].sum_w = exact::times(s.core->windows[w].sum_w, factor);
  }
  for (int i = 0; i < K; ++i) s.core->noise[i] = exact::times(s.core->noise[i], factor);
  for (int u = 0; u < p.ring; ++u) s.ring_ticks[u] = exact::times(s.ring_ticks[u], factor);
}

// Takes v into the tick scale (§3a.1, as series_ticks decides it over a whole series):
// false when the series leaves the range of exact window arithmetic.
ATC_HD bool take_value(const StateRef& s, const Params& p, double v, std::int64_t t, bool& resum_needed) {
  Core& c = *s.core;
  const int exponent = c.binary_exponent;
  if (v != 0.0) {
    const int needed = -lowest_set_bit(v);
    c.binary_exponent = needed > c.binary_exponent ? needed : c.binary_exponent;
  }
  c.largest = std::fmax(c.largest, std::fabs(v));
  // A finer binary scale: the held sums are summed afresh in it (a value with more
  // fractional bits than any before, rare).
  if (c.binary && c.binary_exponent > exponent) resum_needed = true;
  if (!c.binary) {
    DecimalPrefix prefix{c.decimals, c.largest_decimal};
    if (prefix.take(v)) {
      if (prefix.decimals > c.decimals && t > 0)
        rescale(s, p, static_cast<long long>(power_of_ten(prefix.decimals - c.decimals)));
      c.decimals = prefix.decimals;
      c.largest_decimal = prefix.largest;
    } else {
      c.binary = true;
      resum_needed = true;
    }
  }
  double max_tick = std::rint(c.largest_decimal * power_of_ten(c.decimals));
  if (c.binary) {
    const int k = c.largest == 0.0 ? 0 : c.binary_exponent;
    if (!binary_scale_representable(k)) return false;
    max_tick = std::fmax(max_tick, std::ldexp(c.largest, k));
  }
  const double bound = exact::window_bound(max_tick, p.max_length);
  c.narrow = c.narrow && bound < exact::kNarrowLimit;
  return bound < exact::kWideLimit;
}

// The symbol stops at bar t with `code` (the host names it: fatal_message).
ATC_HD void fail(Core& c, StatusCode code, std::int64_t t) {
  c.fatal = code;
  c.fatal_bar = t;
  c.last = BarOutputs{};
}

// §4's crossover on the sides of close against an MA (formulas::next_signal with y = 0:
// a missing side compares false).
ATC_HD std::int8_t next_signal(std::int8_t s, std::int8_t side, std::int8_t side_prev) {
  if (side == kNoSide || side_prev == kNoSide) return s;
  if (side > 0 && side_prev <= 0) return 1;
  if (side < 0 && side_prev >= 0) return -1;
  return s;
}

ATC_HD std::int8_t side_of(double close, double ma) {
  return close > ma ? 1 : (close < ma ? -1 : (ma == ma ? 0 : kNoSide));
}
template <class I>
ATC_HD std::int8_t side_of(I lhs, I rhs) {
  return lhs > rhs ? 1 : (lhs < rhs ? -1 : 0);
}

// The integer arithmetic of a bar: I = std::int64_t when Core::narrow (every quantity
// below 2^53, so the 128-bit values are 64-bit ones and a ratio is one double
// division, as exact::round_ratio_fast takes it), else Wide.
template <class I>
ATC_HD I times(I x, long long k) {
  if constexpr (sizeof(I) == sizeof(Wide)) return exact::times(x, k);
  else return x * k;
}
template <class I>
ATC_HD I magnitude(I x) {
  return x < 0 ? -x : x;
}
ATC_HD double ratio(std::int64_t signal, std::int64_t noise) {
  return noise != 0 ? static_cast<double>(signal) / static_cast<double>(noise) : 0.0;
}
ATC_HD double ratio(Wide signal, Wide noise) { return exact::efficiency_ratio(signal, noise); }

template <class I>
struct TimesOf {
  ATC_HD I operator()(I x, long long k) const { return times(x, k); }
};

// Where a window MA of family f (its sums w) stands: c·D against N (§3a.4).
template <class I>
ATC_HD std::int8_t window_side(int f, int len, long long d, I close_ticks, I sum_y, I sum_w) {
  const I lhs = times(close_ticks, d);
  const I rhs = f == kSma ? sum_y : (f == kWma ? sum_w : exact::lsma_numerator(sum_y, sum_w, len, TimesOf<I>{}));
  return side_of(lhs, rhs);
}

struct Bar {
  std::int64_t t;
  int ti;
  int pos;  // ring index of bar t
  int ring;
  double x;  // src
  double close;
  double adjusted;
  // Ring index of bar t − k (0 ≤ k < ring, t − k ≥ 0): no division.
  ATC_HD int back(int k) const { return pos >= k ? pos - k : pos - k + ring; }
};

// The window sums and KAMA noise advanced by bar t (its tick in the ring already), then
// the sides of every window MA. I: see times().
template <class I>
ATC_HD void advance_integers(Core& c, const Params& p, const Wide* ticks, const Bar& b, bool resummed,
                             Wide close_wide, std::int8_t (&side)[kFamilies][K], double (&er)[K]) {
  const std::int64_t t = b.t;
  const I v = static_cast<I>(ticks[b.pos]);
  if (!resummed) {
    for (int w = 0; w < p.windows; ++w) {
      Window& win = c.windows[w];
      const int len = p.window_length[w];
      I y = static_cast<I>(win.sum_y), sw = static_cast<I>(win.sum_w);
      if (t >= len) {
        sw = sw - y + times(v, len);
        y += v - static_cast<I>(ticks[b.back(len)]);
      } else {
        y += v;
        sw += times(v, t + 1);
      }
      win.sum_y = y;
      win.sum_w = sw;
    }
  }
  const I close_ticks = static_cast<I>(close_wide);
  for (int k = 0; k < 3; ++k) {
    const int f = window_family(k);
    for (int i = 0; i < K; ++i) {
      const int len = p.length[f][i];
      if (t < len - 1) {
        side[f][i] = kNoSide;
        continue;
      }
      const Window& win = c.windows[p.window[f][i]];
      side[f][i] = window_side<I>(f, len, p.denominator[f][i], close_ticks, static_cast<I>(win.sum_y),
                                  static_cast<I>(win.sum_w));
    }
  }
  const I diff = t >= 1 ? magnitude<I>(v - static_cast<I>(ticks[b.back(1)])) : I(0);
  for (int i = 0; i < K; ++i) {
    const int len = p.length[kKama][i];
    I noise = static_cast<I>(c.noise[i]);
    if (!resummed && t >= 1) {
      noise += diff;
      if (t > len) noise -= magnitude<I>(static_cast<I>(ticks[b.back(len)]) - static_cast<I>(ticks[b.back(len + 1)]));
      c.noise[i] = noise;
    }
    er[i] = t >= len ? ratio(magnitude<I>(v - static_cast<I>(ticks[b.back(len)])), noise) : 0.0;
  }
}

// EMA (and DEMA's first EMA) of length L at bar t: seeded at bar L − 1 with the exact
// mean of the first L values, rounded once (§3a.3).
ATC_HD double ema_at(double value, const StateRef& s, const Params& p, const Bar& b, int len, double alpha,
                     const exact::TickScale& scale) {
  if (b.t == len - 1) {
    Wide sum = 0;
    for (std::int64_t u = 0; u < len; ++u) sum += tick_at(s, p, u);
    return exact::tick_value(sum, static_cast<exact::UWide>(len), scale, 0);
  }
  if (b.t >= len) return formulas::ema_step(value, b.x, alpha);
  return value;
}

}  // namespace step_detail

// Advances a symbol by one valid bar (close finite and positive, src finite) and returns
// its outputs. `growth` is formulas::growth_factor at the bar (t = Core::bars), computed
// on the host for either side: the device's exp may differ from the host's in the last
// bit. On a fatal error (growth or equity overflow, prices outside the tick range) the
// symbol stops there: Core::fatal and fatal_bar say why and where.
ATC_HD BarOutputs step(const StateRef& s, const Params& p, double close, double src, double growth) {
  using namespace step_detail;
  Core& c = *s.core;
  const std::int64_t t = c.bars;
  const int ti = static_cast<int>(t);
  const Config& config = p.config;
  if (p.la * (static_cast<double>(t) - config.cutout) > formulas::kMaxGrowthExponent) {
    fail(c, StatusCode::GrowthOverflow, t);
    return c.last;
  }
  bool resum_needed = false;
  // src equal to close is the same value: taking it twice changes nothing.
  if (!take_value(s, p, close, t, resum_needed) || (src != close && !take_value(s, p, src, t, resum_needed))) {
    fail(c, StatusCode::TickRange, t);
    return c.last;
  }
  const int pos = static_cast<int>(t % p.ring);
  s.ring[pos] = src;
  const exact::TickScale scale = scale_of(c);
  if (resum_needed) {
    refresh_ticks(s, p, t + 1);
    resum(s, p, t);
  } else {
    s.ring_ticks[pos] = ticks_of(src, scale);
  }
  const Wide close_ticks = ticks_of(close, scale);

  const double adjusted = t > 0 ? (close - c.close_prev) / c.close_prev * growth : kNaN;
  const Bar b{t, ti, pos, p.ring, src, close, adjusted};

  // The exact stages first: window sums, their MAs' sides, KAMA's efficiency ratios.
  std::int8_t side[kFamilies][K];
  double er[K];
  if (c.narrow) advance_integers<std::int64_t>(c, p, s.ring_ticks, b, resum_needed, close_ticks, side, er);
  else advance_integers<Wide>(c, p, s.ring_ticks, b, resum_needed, close_ticks, side, er);

  // The float MAs and their sides.
  for (int i = 0; i < K; ++i) {
    const int len = p.length[kEma][i];
    c.ema[i] = ema_at(c.ema[i], s, p, b, len, p.alpha[kEma][i], scale);
    side[kEma][i] = side_of(close, c.ema[i]);
  }
  for (int i = 0; i < K; ++i) {
    // DEMA: a second EMA over the first one's values from bar len − 1, seeded with their
    // float64 sum in bar order divided by len.
    const int len = p.length[kDema][i];
    const double alpha = p.alpha[kDema][i];
    double ma = kNaN;
    c.dema1[i] = ema_at(c.dema1[i], s, p, b, len, alpha, scale);
    if (t >= len - 1) {
      const std::int64_t valid = t - (len - 1);
      if (valid < len) c.dema_seed[i] += c.dema1[i];
      if (valid == len - 1) c.dema2[i] = c.dema_seed[i] / len;
      else if (valid >= len) c.dema2[i] = formulas::ema_step(c.dema2[i], c.dema1[i], alpha);
      if (valid >= len - 1) ma = 2.0 * c.dema1[i] - c.dema2[i];
    }
    side[kDema][i] = side_of(close, ma);
  }
  for (int i = 0; i < K; ++i) {
    c.kama[i] = formulas::kama_step(t == 0 ? 0.0 : c.kama[i], formulas::kama_sc(er[i]), src);
    side[kKama][i] = side_of(close, c.kama[i]);
  }

  // Signals, equities and the layers. The families' sums Σ s·E and Σ E each in the
  // order of their chains, the six families side by side.
  BarOutputs out;
  formulas::AverageSignalT<double> average;
  bool finite = true;
  constexpr int kChains = kFamilies * K;
  std::int8_t* signal = &c.signal[0][0];
  std::int8_t* side_prev = &c.side[0][0];
  const std::int8_t* side_now = &side[0][0];
  double* equity = &c.equity[0][0];
  double* equity_return = &c.equity_return[0][0];
  if (t > 0 && ti > config.cutout) {  // formulas::Equity::step_running, branch-free
    const double r = adjusted, keep = p.keep;
    bool all_finite = true;
    for (int j = 0; j < kChains; ++j) {
      const std::int8_t signal_prev = signal[j];
      const double a = signal_prev > 0 ? r : (signal_prev < 0 ? -r : equity_return[j]);
      const double e = equity[j] * keep * (1.0 + a);
      equity_return[j] = a;
      equity[j] = e < formulas::kEquityFloor ? formulas::kEquityFloor : e;
      all_finite = all_finite && std::isfinite(equity[j]);
      signal[j] = next_signal(signal_prev, side_now[j], side_prev[j]);
      side_prev[j] = side_now[j];
    }
    finite = all_finite;
  } else {
    for (int j = 0; j < kChains; ++j) {
      const std::int8_t signal_prev = signal[j];
      if (t > 0) signal[j] = next_signal(signal_prev, side_now[j], side_prev[j]);
      side_prev[j] = side_now[j];
      formulas::Equity curve;
      curve.e = equity[j];
      curve.a = equity_return[j];
      const double e = curve.step(ti, config.cutout, 1.0, adjusted, t > 0 ? static_cast<double>(signal_prev) : kNaN,
                                  p.keep);
      equity[j] = curve.e;
      equity_return[j] = curve.a;
      finite = finite && (ti < config.cutout || std::isfinite(e));
    }
  }
  double nums[kFamilies] = {}, dens[kFamilies] = {};
  for (int i = 0; i < K; ++i) {
    for (int f = 0; f < kFamilies; ++f) {
      nums[f] += c.signal[f][i] * c.equity[f][i];
      dens[f] += c.equity[f][i];
    }
  }
  for (int f = 0; f < kFamilies; ++f) {
    const double num = nums[f], den = dens[f];
    const double x_signal = ti < config.cutout ? kNaN : formulas::round2(num / den);
    const double x_equity = c.family_equity[f].step(ti, config.cutout, config.weight[f], adjusted,
                                                    c.family_signal_prev[f], p.keep);
    finite = finite && (ti < config.cutout || (std::isfinite(x_equity) && !std::isnan(x_signal)));
    c.family_signal_prev[f] = x_signal;
    out.family_signal[f] = x_signal;
    out.family_equity[f] = x_equity;
    average.add(x_signal, x_equity);
  }
  out.average = ti < config.cutout ? kNaN : average.value();
  finite = finite && (ti < config.cutout || !std::isnan(out.average));
  const double a = config.strategy ? c.average_prev : out.average;
  const auto bar = c.classifier.step(a, c.a_prev, config.long_threshold, config.short_threshold);
  out.trend = bar.trend;
  out.state = bar.state;
  out.direction = bar.direction;
  out.long_entry = bar.long_entry;
  out.short_entry = bar.short_entry;
  c.a_prev = a;
  c.average_prev = out.average;
  c.close_prev = close;
  c.bars = t + 1;
  if (!finite) {
    fail(c, StatusCode::EquityOverflow, t);
    return c.last;
  }
  c.last = out;
  return out;
}

}  // namespace atc::detail::live
