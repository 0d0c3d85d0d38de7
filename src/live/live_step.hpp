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

// The window sums advanced by bar t (its tick in the ring already). I: see times().
template <class I>
ATC_HD void advance_windows(Core& c, const Params& p, const Wide* ticks, const Bar& b) {
  const std::int64_t t = b.t;
  const I v = static_cast<I>(ticks[b.pos]);
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

// The sides of a window family's MAs (f: SMA, WMA or LSMA) from the window sums.
template <class I>
ATC_HD void window_sides(const Core& c, const Params& p, const Bar& b, int f, Wide close_wide, std::int8_t* side) {
  const I close_ticks = static_cast<I>(close_wide);
  for (int i = 0; i < K; ++i) {
    const int len = p.length[f][i];
    if (b.t < len - 1) {
      side[i] = kNoSide;
      continue;
    }
    const Window& win = c.windows[p.window[f][i]];
    side[i] = window_side<I>(f, len, p.denominator[f][i], close_ticks, static_cast<I>(win.sum_y),
                             static_cast<I>(win.sum_w));
  }
}

// KAMA's noise advanced by bar t (unless summed afresh) and its efficiency ratios.
template <class I>
ATC_HD void kama_ratios(Core& c, const Params& p, const Wide* ticks, const Bar& b, bool resummed, double* er) {
  const std::int64_t t = b.t;
  const I v = static_cast<I>(ticks[b.pos]);
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

// The bar as every family's stage sees it (step's first stage makes it).
struct BarContext {
  step_detail::Bar b;
  exact::TickScale scale;
  Wide close_ticks;
  bool resummed;  // the window sums and KAMA's noise were summed afresh at this bar
};

// A family's Layer-2 inputs at the bar.
struct FamilyBar {
  double signal, equity;
  bool finite;  // its chains' and its own equity finite (before the cutout: true)
};

// A bar is four stages: begin_bar (the tick scale, the rings, the window sums), then per
// family family_sides and its chains (advance_chains), then family_layer, then end_bar
// (Layer 2 and the classification). The families' stages touch only their own state,
// so that the device runs them side by side (a warp per family) and the host one after
// the other, with the same bits.

// The first stage; false when the symbol stops at this bar (Core::fatal says why).
ATC_HD bool begin_bar(const StateRef& s, const Params& p, double close, double src, double growth, BarContext& ctx) {
  using namespace step_detail;
  Core& c = *s.core;
  const std::int64_t t = c.bars;
  const int ti = static_cast<int>(t);
  if (p.la * (static_cast<double>(t) - p.config.cutout) > formulas::kMaxGrowthExponent) {
    fail(c, StatusCode::GrowthOverflow, t);
    return false;
  }
  bool resum_needed = false;
  // src equal to close is the same value: taking it twice changes nothing.
  if (!take_value(s, p, close, t, resum_needed) || (src != close && !take_value(s, p, src, t, resum_needed))) {
    fail(c, StatusCode::TickRange, t);
    return false;
  }
  const int pos = static_cast<int>(t % p.ring);
  s.ring[pos] = src;
  ctx.scale = scale_of(c);
  if (resum_needed) {
    refresh_ticks(s, p, t + 1);
    resum(s, p, t);
  } else {
    s.ring_ticks[pos] = ticks_of(src, ctx.scale);
  }
  ctx.close_ticks = ticks_of(close, ctx.scale);
  ctx.resummed = resum_needed;
  const double adjusted = t > 0 ? (close - c.close_prev) / c.close_prev * growth : kNaN;
  ctx.b = Bar{t, ti, pos, p.ring, src, close, adjusted};
  if (!resum_needed) {
    if (c.narrow) advance_windows<std::int64_t>(c, p, s.ring_ticks, ctx.b);
    else advance_windows<Wide>(c, p, s.ring_ticks, ctx.b);
  }
  return true;
}

// Family f's nine MAs at the bar and where close stands against each (side[0 … 8]).
ATC_HD void family_sides(const StateRef& s, const Params& p, const BarContext& ctx, int f, std::int8_t* side) {
  using namespace step_detail;
  Core& c = *s.core;
  const Bar& b = ctx.b;
  const std::int64_t t = b.t;
  const double close = b.close;
  if (f == kEma) {
    for (int i = 0; i < K; ++i) {
      c.ema[i] = ema_at(c.ema[i], s, p, b, p.length[kEma][i], p.alpha[kEma][i], ctx.scale);
      side[i] = side_of(close, c.ema[i]);
    }
  } else if (f == kDema) {
    for (int i = 0; i < K; ++i) {
      // A second EMA over the first one's values from bar len − 1, seeded with their
      // float64 sum in bar order divided by len.
      const int len = p.length[kDema][i];
      const double alpha = p.alpha[kDema][i];
      double ma = kNaN;
      c.dema1[i] = ema_at(c.dema1[i], s, p, b, len, alpha, ctx.scale);
      if (t >= len - 1) {
        const std::int64_t valid = t - (len - 1);
        if (valid < len) c.dema_seed[i] += c.dema1[i];
        if (valid == len - 1) c.dema2[i] = c.dema_seed[i] / len;
        else if (valid >= len) c.dema2[i] = formulas::ema_step(c.dema2[i], c.dema1[i], alpha);
        if (valid >= len - 1) ma = 2.0 * c.dema1[i] - c.dema2[i];
      }
      side[i] = side_of(close, ma);
    }
  } else if (f == kKama) {
    double er[K];
    if (c.narrow) kama_ratios<std::int64_t>(c, p, s.ring_ticks, b, ctx.resummed, er);
    else kama_ratios<Wide>(c, p, s.ring_ticks, b, ctx.resummed, er);
    for (int i = 0; i < K; ++i) {
      c.kama[i] = formulas::kama_step(t == 0 ? 0.0 : c.kama[i], formulas::kama_sc(er[i]), b.x);
      side[i] = side_of(close, c.kama[i]);
    }
  } else if (c.narrow) {
    window_sides<std::int64_t>(c, p, b, f, ctx.close_ticks, side);
  } else {
    window_sides<Wide>(c, p, b, f, ctx.close_ticks, side);
  }
}

// Chains [first, first + count) of the 54 (family-major) advanced by the bar: §4's
// signal from the sides, §5's equity. Returns whether every equity is finite (before the
// cutout: true).
ATC_HD bool advance_chains(const StateRef& s, const Params& p, const BarContext& ctx, int first, int count,
                           const std::int8_t* side_now) {
  using namespace step_detail;
  Core& c = *s.core;
  const std::int64_t t = ctx.b.t;
  const int ti = ctx.b.ti;
  const int cutout = p.config.cutout;
  std::int8_t* signal = &c.signal[0][0] + first;
  std::int8_t* side_prev = &c.side[0][0] + first;
  double* equity = &c.equity[0][0] + first;
  double* equity_return = &c.equity_return[0][0] + first;
  bool finite = true;
  if (t > 0 && ti > cutout) {  // formulas::Equity::step_running, branch-free
    const double r = ctx.b.adjusted, keep = p.keep;
    for (int j = 0; j < count; ++j) {
      const std::int8_t signal_prev = signal[j];
      const double a = signal_prev > 0 ? r : (signal_prev < 0 ? -r : equity_return[j]);
      const double e = equity[j] * keep * (1.0 + a);
      equity_return[j] = a;
      equity[j] = e < formulas::kEquityFloor ? formulas::kEquityFloor : e;
      finite = finite && std::isfinite(equity[j]);
      signal[j] = next_signal(signal_prev, side_now[j], side_prev[j]);
      side_prev[j] = side_now[j];
    }
    return finite;
  }
  for (int j = 0; j < count; ++j) {
    const std::int8_t signal_prev = signal[j];
    if (t > 0) signal[j] = next_signal(signal_prev, side_now[j], side_prev[j]);
    side_prev[j] = side_now[j];
    formulas::Equity curve;
    curve.e = equity[j];
    curve.a = equity_return[j];
    const double e = curve.step(ti, cutout, 1.0, ctx.b.adjusted, t > 0 ? static_cast<double>(signal_prev) : kNaN,
                                p.keep);
    equity[j] = curve.e;
    equity_return[j] = curve.a;
    finite = finite && (ti < cutout || std::isfinite(e));
  }
  return finite;
}

// Family f's Layer 1 (its signals weighted by their equities, Σ in chain order) and its
// Layer-2 equity, after its chains advanced.
ATC_HD FamilyBar family_layer(const StateRef& s, const Params& p, const BarContext& ctx, int f) {
  Core& c = *s.core;
  const int ti = ctx.b.ti;
  const int cutout = p.config.cutout;
  double num = 0.0, den = 0.0;
  for (int i = 0; i < K; ++i) {
    num += c.signal[f][i] * c.equity[f][i];
    den += c.equity[f][i];
  }
  FamilyBar out;
  out.signal = ti < cutout ? kNaN : formulas::round2(num / den);
  out.equity = c.family_equity[f].step(ti, cutout, p.config.weight[f], ctx.b.adjusted, c.family_signal_prev[f], p.keep);
  out.finite = ti < cutout || (std::isfinite(out.equity) && !std::isnan(out.signal));
  c.family_signal_prev[f] = out.signal;
  return out;
}

// The last stage: Average_Signal over the families in their order, the classification,
// and the bar counted. `finite`: every family's (FamilyBar::finite and its chains').
ATC_HD BarOutputs end_bar(const StateRef& s, const Params& p, const BarContext& ctx, const FamilyBar* families,
                          bool finite) {
  using namespace step_detail;
  Core& c = *s.core;
  const Config& config = p.config;
  const int ti = ctx.b.ti;
  BarOutputs out;
  formulas::AverageSignalT<double> average;
  for (int f = 0; f < kFamilies; ++f) {
    out.family_signal[f] = families[f].signal;
    out.family_equity[f] = families[f].equity;
    average.add(families[f].signal, families[f].equity);
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
  c.close_prev = ctx.b.close;
  c.bars = ctx.b.t + 1;
  if (!finite) {
    fail(c, StatusCode::EquityOverflow, ctx.b.t);
    return c.last;
  }
  c.last = out;
  return out;
}

// Advances a symbol by one valid bar (close finite and positive, src finite) and returns
// its outputs: the four stages one after the other. `growth` is formulas::growth_factor
// at the bar (t = Core::bars), computed on the host for either side: the device's exp
// may differ from the host's in the last bit. On a fatal error (growth or equity
// overflow, prices outside the tick range) the symbol stops there: Core::fatal and
// fatal_bar say why and where.
ATC_HD BarOutputs step(const StateRef& s, const Params& p, double close, double src, double growth) {
  BarContext ctx;
  if (!begin_bar(s, p, close, src, growth, ctx)) return s.core->last;
  std::int8_t side[kFamilies][K];
  for (int f = 0; f < kFamilies; ++f) family_sides(s, p, ctx, f, side[f]);
  bool finite = advance_chains(s, p, ctx, 0, kFamilies * K, &side[0][0]);
  FamilyBar families[kFamilies];
  for (int f = 0; f < kFamilies; ++f) {
    families[f] = family_layer(s, p, ctx, f);
    finite = finite && families[f].finite;
  }
  return end_bar(s, p, ctx, families, finite);
}

}  // namespace atc::detail::live
