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

// Where a symbol's state lies (host or device memory): its Core, whose fields the Layout
// places, and its two rings of Params::ring slots (bar t at slot t % ring), slot k at
// index Layout::ring_index(k). Every access to the state goes through at(), value() and
// tick(), so that one step serves both layouts below.
template <class Layout>
struct StateRefT {
  Core* core;        // the record (RecordLayout), or the first record of its tile (TileLayout)
  double* ring;      // src values
  Wide* ring_ticks;  // their ticks in the current scale
  Layout layout;

  // The field of this symbol's Core that `field` names in *core.
  template <class T>
  ATC_HD T& at(T& field) const {
    return layout.place(core, field);
  }
  ATC_HD double& value(int slot) const { return ring[layout.ring_index(slot)]; }
  ATC_HD Wide& tick(int slot) const { return ring_ticks[layout.ring_index(slot)]; }
};

// The host's layout: a Core record and contiguous rings per symbol.
struct RecordLayout {
  template <class T>
  ATC_HD static T& place(Core*, T& field) {
    return field;
  }
  ATC_HD static constexpr int ring_index(int slot) { return slot; }
};

// The device's layout: the Cores of kTileSymbols symbols (a warp's lanes) interleaved in
// 16-byte units (unit u of lane l at byte (u·kTileSymbols + l)·16 of the tile), so that
// a warp reading one field of its symbols reads adjacent units; the rings hold slot k of
// symbol i at k·ring_stride + i (ring points at symbol i's slot 0). A field must not
// cross a unit (alignas(16) on the 16-byte members of Core).
struct TileLayout {
  static constexpr int kTileSymbols = 32;
  static constexpr int kUnit = 16;
  int lane;
  std::size_t ring_stride;

  template <class T>
  ATC_HD T& place(Core* tile, T& field) const {
    static_assert(sizeof(T) <= kUnit, "a Core field placed whole must fit one unit");
    const auto offset = static_cast<std::size_t>(reinterpret_cast<const char*>(&field) -
                                                 reinterpret_cast<const char*>(tile));
    char* unit = reinterpret_cast<char*>(tile) + (offset / kUnit * kTileSymbols + static_cast<std::size_t>(lane)) * kUnit;
    return *reinterpret_cast<T*>(unit + offset % kUnit);
  }
  ATC_HD std::size_t ring_index(int slot) const { return static_cast<std::size_t>(slot) * ring_stride; }
};

using StateRef = StateRefT<RecordLayout>;

namespace step_detail {

constexpr int kEma = static_cast<int>(Family::EMA), kSma = static_cast<int>(Family::HMA),
              kWma = static_cast<int>(Family::WMA), kDema = static_cast<int>(Family::DEMA),
              kLsma = static_cast<int>(Family::LSMA), kKama = static_cast<int>(Family::KAMA);
// The window families SMA, WMA, LSMA as k = 0, 1, 2 (a function: a constexpr array is
// not readable in device code).
ATC_HD constexpr int window_family(int k) { return k == 0 ? kSma : (k == 1 ? kWma : kLsma); }

// The current tick scale as exact.hpp's TickScale (binary from bar 0, or never).
template <class S>
ATC_HD exact::TickScale scale_of(const S& s) {
  Core& c = *s.core;
  exact::TickScale scale;
  scale.decimal = power_of_ten(s.at(c.decimals));
  if (s.at(c.binary)) {
    scale.binary = std::ldexp(1.0, s.at(c.binary_exponent));
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
template <class S>
ATC_HD void refresh_ticks(const S& s, const Params& p, std::int64_t bars) {
  const exact::TickScale scale = step_detail::scale_of(s);
  for (std::int64_t u = step_detail::max64(0, bars - p.ring); u < bars; ++u) {
    const int slot = static_cast<int>(u % p.ring);
    s.tick(slot) = step_detail::ticks_of(s.value(slot), scale);
  }
}

namespace step_detail {

// The ticks of bar t's src in the current scale (converted once, when it arrived).
template <class S>
ATC_HD Wide tick_at(const S& s, const Params& p, std::int64_t t) {
  return s.tick(static_cast<int>(t % p.ring));
}

// Window sums and KAMA noise summed afresh over the ring, in the current scale: after
// the switch to binary ticks, or to a finer binary scale (old values are read anew).
template <class S>
ATC_HD_COLD void resum(const S& s, const Params& p, std::int64_t t) {
  Core& c = *s.core;
  for (int w = 0; w < p.windows; ++w) {
    const int len = p.window_length[w];
    Wide sum_y = 0, sum_w = 0;
    const std::int64_t first = max64(0, t - len + 1);
    for (std::int64_t u = first; u <= t; ++u) {
      const Wide v = tick_at(s, p, u);
      sum_y += v;
      sum_w += exact::times(v, u - first + 1);
    }
    s.at(c.windows[w].sum_y) = sum_y;
    s.at(c.windows[w].sum_w) = sum_w;
  }
  for (int i = 0; i < K; ++i) {
    Wide noise = 0;
    for (std::int64_t u = max64(1, t - p.length[kKama][i] + 1); u <= t; ++u) {
      const Wide diff = tick_at(s, p, u) - tick_at(s, p, u - 1);
      noise += diff < 0 ? -diff : diff;
    }
    s.at(c.noise[i]) = noise;
  }
}

// Every held integer times `factor` (a finer scale of the same kind: exact).
template <class S>
ATC_HD_COLD void rescale(const S& s, const Params& p, long long factor) {
  Core& c = *s.core;
  for (int w = 0; w < p.windows; ++w) {
    s.at(c.windows[w].sum_y) = exact::times(s.at(c.windows[w].sum_y), factor);
    s.at(c.windows[w].sum_w) = exact::times(s.at(c.windows[w].sum_w), factor);
  }
  for (int i = 0; i < K; ++i) s.at(c.noise[i]) = exact::times(s.at(c.noise[i]), factor);
  for (int u = 0; u < p.ring; ++u) s.tick(u) = exact::times(s.tick(u), factor);
}

// Takes v into the tick scale (§3a.1, as series_ticks decides it over a whole series):
// false when the series leaves the range of exact window arithmetic.
template <class S>
ATC_HD bool take_value(const S& s, const Params& p, double v, std::int64_t t, bool& resum_needed) {
  Core& c = *s.core;
  int& binary_exponent = s.at(c.binary_exponent);
  bool& binary = s.at(c.binary);
  double& largest = s.at(c.largest);
  double& largest_decimal = s.at(c.largest_decimal);
  int& decimals = s.at(c.decimals);
  const int exponent = binary_exponent;
  if (v != 0.0) {
    const int needed = -lowest_set_bit(v);
    binary_exponent = needed > binary_exponent ? needed : binary_exponent;
  }
  largest = std::fmax(largest, std::fabs(v));
  // A finer binary scale: the held sums are summed afresh in it (a value with more
  // fractional bits than any before, rare).
  if (binary && binary_exponent > exponent) resum_needed = true;
  if (!binary) {
    DecimalPrefix prefix{decimals, largest_decimal};
    if (prefix.take(v)) {
      if (prefix.decimals > decimals && t > 0)
        rescale(s, p, static_cast<long long>(power_of_ten(prefix.decimals - decimals)));
      decimals = prefix.decimals;
      largest_decimal = prefix.largest;
    } else {
      binary = true;
      resum_needed = true;
    }
  }
  double max_tick = std::rint(largest_decimal * power_of_ten(decimals));
  if (binary) {
    const int k = largest == 0.0 ? 0 : binary_exponent;
    if (!binary_scale_representable(k)) return false;
    max_tick = std::fmax(max_tick, std::ldexp(largest, k));
  }
  const double bound = exact::window_bound(max_tick, p.max_length);
  bool& narrow = s.at(c.narrow);
  narrow = narrow && bound < exact::kNarrowLimit;
  return bound < exact::kWideLimit;
}

// f(held, o) for each field of the held outputs (BarOutputs::last) and its twin in o: the
// struct spans several units of a tile, so it is read and written a field at a time.
template <class S, class F>
ATC_HD void for_each_held_output(const S& s, BarOutputs& o, F f) {
  BarOutputs& last = s.core->last;
  f(s.at(last.average), o.average);
  for (int k = 0; k < kFamilies; ++k) {
    f(s.at(last.family_signal[k]), o.family_signal[k]);
    f(s.at(last.family_equity[k]), o.family_equity[k]);
  }
  f(s.at(last.trend), o.trend);
  f(s.at(last.state), o.state);
  f(s.at(last.direction), o.direction);
  f(s.at(last.long_entry), o.long_entry);
  f(s.at(last.short_entry), o.short_entry);
}
template <class S>
ATC_HD BarOutputs last_outputs(const S& s) {
  BarOutputs o;
  for_each_held_output(s, o, [](auto& held, auto& mine) { mine = held; });
  return o;
}
template <class S>
ATC_HD void hold_outputs(const S& s, BarOutputs o) {
  for_each_held_output(s, o, [](auto& held, auto& mine) { held = mine; });
}

// The symbol stops at bar t with `code` (the host names it: fatal_message).
template <class S>
ATC_HD void fail(const S& s, StatusCode code, std::int64_t t) {
  s.at(s.core->fatal) = code;
  s.at(s.core->fatal_bar) = t;
  hold_outputs(s, BarOutputs{});
}

// §4's crossover on the sides of close against an MA: formulas::next_signal against 0,
// where a missing side (kNoSide, an MA of NaN) compares false, as NaN would.
ATC_HD std::int8_t next_signal(std::int8_t s, std::int8_t side, std::int8_t side_prev) {
  if (side == kNoSide || side_prev == kNoSide) return s;
  return formulas::next_signal(s, side, side_prev, std::int8_t{0}, std::int8_t{0});
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
  int pos;  // ring slot of bar t
  int ring;
  double x;  // src
  double close;
  double adjusted;
  // Ring slot of bar t − k (0 ≤ k < ring, t − k ≥ 0): no division.
  ATC_HD int back(int k) const { return pos >= k ? pos - k : pos - k + ring; }
};

// The window sums advanced by bar t (its tick in the ring already). I: see times().
template <class I, class S>
ATC_HD void advance_windows(const S& s, const Params& p, const Bar& b) {
  Core& c = *s.core;
  const std::int64_t t = b.t;
  const I v = static_cast<I>(s.tick(b.pos));
  for (int w = 0; w < p.windows; ++w) {
    Wide& sum_y = s.at(c.windows[w].sum_y);
    Wide& sum_w = s.at(c.windows[w].sum_w);
    const int len = p.window_length[w];
    I y = static_cast<I>(sum_y), sw = static_cast<I>(sum_w);
    if (t >= len) exact::slide_window(y, sw, v, static_cast<I>(s.tick(b.back(len))), len, TimesOf<I>{});
    else exact::fill_window(y, sw, v, t + 1, TimesOf<I>{});
    sum_y = y;
    sum_w = sw;
  }
}

// The sides of a window family's MAs (f: SMA, WMA or LSMA) from the window sums.
template <class I, class S>
ATC_HD void window_sides(const S& s, const Params& p, const Bar& b, int f, Wide close_wide, std::int8_t* side) {
  Core& c = *s.core;
  const I close_ticks = static_cast<I>(close_wide);
  for (int i = 0; i < K; ++i) {
    const int len = p.length[f][i];
    if (b.t < len - 1) {
      side[i] = kNoSide;
      continue;
    }
    const Window& win = c.windows[p.window[f][i]];
    side[i] = window_side<I>(f, len, p.denominator[f][i], close_ticks, static_cast<I>(s.at(win.sum_y)),
                             static_cast<I>(s.at(win.sum_w)));
  }
}

// KAMA's noise advanced by bar t (unless summed afresh) and its efficiency ratios.
template <class I, class S>
ATC_HD void kama_ratios(const S& s, const Params& p, const Bar& b, bool resummed, double* er) {
  Core& c = *s.core;
  const std::int64_t t = b.t;
  const I v = static_cast<I>(s.tick(b.pos));
  const I diff = t >= 1 ? magnitude<I>(v - static_cast<I>(s.tick(b.back(1)))) : I(0);
  for (int i = 0; i < K; ++i) {
    const int len = p.length[kKama][i];
    Wide& held = s.at(c.noise[i]);
    I noise = static_cast<I>(held);
    if (!resummed && t >= 1) {
      noise += diff;
      if (t > len)
        noise -= magnitude<I>(static_cast<I>(s.tick(b.back(len))) - static_cast<I>(s.tick(b.back(len + 1))));
      held = noise;
    }
    er[i] = t >= len ? ratio(magnitude<I>(v - static_cast<I>(s.tick(b.back(len)))), noise) : 0.0;
  }
}

// EMA (and DEMA's first EMA) of length L at bar t: seeded at bar L − 1 with the exact
// mean of the first L values, rounded once (§3a.3).
template <class S>
ATC_HD double ema_at(double value, const S& s, const Params& p, const Bar& b, int len, double alpha,
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
  bool narrow;    // Core::narrow after the bar's values were taken
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
template <class S>
ATC_HD bool begin_bar(const S& s, const Params& p, double close, double src, double growth, BarContext& ctx) {
  using namespace step_detail;
  Core& c = *s.core;
  const std::int64_t t = s.at(c.bars);
  const int ti = static_cast<int>(t);
  if (p.la * (static_cast<double>(t) - p.config.cutout) > formulas::kMaxGrowthExponent) {
    fail(s, StatusCode::GrowthOverflow, t);
    return false;
  }
  bool resum_needed = false;
  // src equal to close is the same value: taking it twice changes nothing.
  if (!take_value(s, p, close, t, resum_needed) || (src != close && !take_value(s, p, src, t, resum_needed))) {
    fail(s, StatusCode::TickRange, t);
    return false;
  }
  const int pos = static_cast<int>(t % p.ring);
  s.value(pos) = src;
  ctx.scale = scale_of(s);
  if (resum_needed) {
    refresh_ticks(s, p, t + 1);
    resum(s, p, t);
  } else {
    s.tick(pos) = ticks_of(src, ctx.scale);
  }
  ctx.close_ticks = ticks_of(close, ctx.scale);
  ctx.narrow = s.at(c.narrow);
  ctx.resummed = resum_needed;
  const double close_prev = s.at(c.close_prev);
  const double adjusted = t > 0 ? (close - close_prev) / close_prev * growth : kNaN;
  ctx.b = Bar{t, ti, pos, p.ring, src, close, adjusted};
  if (!resum_needed) {
    if (ctx.narrow) advance_windows<std::int64_t>(s, p, ctx.b);
    else advance_windows<Wide>(s, p, ctx.b);
  }
  return true;
}

// Family f's nine MAs at the bar and where close stands against each (side[0 … 8]).
template <class S>
ATC_HD void family_sides(const S& s, const Params& p, const BarContext& ctx, int f, std::int8_t* side) {
  using namespace step_detail;
  Core& c = *s.core;
  const Bar& b = ctx.b;
  const std::int64_t t = b.t;
  const double close = b.close;
  if (f == kEma) {
    for (int i = 0; i < K; ++i) {
      double& ema = s.at(c.ema[i]);
      ema = ema_at(ema, s, p, b, p.length[kEma][i], p.alpha[kEma][i], ctx.scale);
      side[i] = side_of(close, ema);
    }
  } else if (f == kDema) {
    for (int i = 0; i < K; ++i) {
      // A second EMA over the first one's values from bar len − 1, seeded with their
      // float64 sum in bar order divided by len.
      const int len = p.length[kDema][i];
      const double alpha = p.alpha[kDema][i];
      double& dema1 = s.at(c.dema1[i]);
      double& dema2 = s.at(c.dema2[i]);
      double& seed = s.at(c.dema_seed[i]);
      double ma = kNaN;
      dema1 = ema_at(dema1, s, p, b, len, alpha, ctx.scale);
      if (t >= len - 1) {
        const std::int64_t valid = t - (len - 1);
        if (valid < len) seed += dema1;
        if (valid == len - 1) dema2 = seed / len;
        else if (valid >= len) dema2 = formulas::ema_step(dema2, dema1, alpha);
        if (valid >= len - 1) ma = 2.0 * dema1 - dema2;
      }
      side[i] = side_of(close, ma);
    }
  } else if (f == kKama) {
    double er[K];
    if (ctx.narrow) kama_ratios<std::int64_t>(s, p, b, ctx.resummed, er);
    else kama_ratios<Wide>(s, p, b, ctx.resummed, er);
    for (int i = 0; i < K; ++i) {
      double& kama = s.at(c.kama[i]);
      kama = formulas::kama_step(t == 0 ? 0.0 : kama, formulas::kama_sc(er[i]), b.x);
      side[i] = side_of(close, kama);
    }
  } else if (ctx.narrow) {
    window_sides<std::int64_t>(s, p, b, f, ctx.close_ticks, side);
  } else {
    window_sides<Wide>(s, p, b, f, ctx.close_ticks, side);
  }
}

// Chains [first, first + count) of the 54 (family-major) advanced by the bar: §4's
// signal from the sides, §5's equity. Returns whether every equity is finite (before the
// cutout: true).
template <class S>
ATC_HD bool advance_chains(const S& s, const Params& p, const BarContext& ctx, int first, int count,
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
  if (t > 0 && ti > cutout) {  // past the start: Equity::step_running
    const double r = ctx.b.adjusted, keep = p.keep;
    for (int j = 0; j < count; ++j) {
      std::int8_t& signal_j = s.at(signal[j]);
      std::int8_t& side_j = s.at(side_prev[j]);
      double& equity_j = s.at(equity[j]);
      double& return_j = s.at(equity_return[j]);
      const std::int8_t signal_prev = signal_j;
      formulas::Equity curve{equity_j, return_j};
      equity_j = curve.step_running(r, signal_prev, keep);
      return_j = curve.a;
      finite = finite && std::isfinite(equity_j);
      signal_j = next_signal(signal_prev, side_now[j], side_j);
      side_j = side_now[j];
    }
    return finite;
  }
  for (int j = 0; j < count; ++j) {
    std::int8_t& signal_j = s.at(signal[j]);
    std::int8_t& side_j = s.at(side_prev[j]);
    double& equity_j = s.at(equity[j]);
    double& return_j = s.at(equity_return[j]);
    const std::int8_t signal_prev = signal_j;
    if (t > 0) signal_j = next_signal(signal_prev, side_now[j], side_j);
    side_j = side_now[j];
    formulas::Equity curve;
    curve.e = equity_j;
    curve.a = return_j;
    const double e = curve.step(ti, cutout, 1.0, ctx.b.adjusted, t > 0 ? static_cast<double>(signal_prev) : kNaN,
                                p.keep);
    equity_j = curve.e;
    return_j = curve.a;
    finite = finite && (ti < cutout || std::isfinite(e));
  }
  return finite;
}

// Family f's Layer 1 (its signals weighted by their equities, Σ in chain order) and its
// Layer-2 equity, after its chains advanced.
template <class S>
ATC_HD FamilyBar family_layer(const S& s, const Params& p, const BarContext& ctx, int f) {
  Core& c = *s.core;
  const int ti = ctx.b.ti;
  const int cutout = p.config.cutout;
  formulas::WeightedSumT<double> sum;
  for (int i = 0; i < K; ++i) sum.add(s.at(c.signal[f][i]), s.at(c.equity[f][i]));
  double& signal_prev = s.at(c.family_signal_prev[f]);
  FamilyBar out;
  out.signal = ti < cutout ? kNaN : formulas::round2(sum.ratio());
  out.equity = s.at(c.family_equity[f]).step(ti, cutout, p.config.weight[f], ctx.b.adjusted, signal_prev, p.keep);
  out.finite = ti < cutout || (std::isfinite(out.equity) && !std::isnan(out.signal));
  signal_prev = out.signal;
  return out;
}

// The last stage: Average_Signal over the families in their order, the classification,
// and the bar counted. `finite`: every family's (FamilyBar::finite and its chains').
template <class S>
ATC_HD BarOutputs end_bar(const S& s, const Params& p, const BarContext& ctx, const FamilyBar* families,
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
  double& average_prev = s.at(c.average_prev);
  double& a_prev = s.at(c.a_prev);
  const double a = config.strategy ? average_prev : out.average;
  const auto bar = s.at(c.classifier).step(a, a_prev, config.long_threshold, config.short_threshold);
  out.trend = bar.trend;
  out.state = bar.state;
  out.direction = bar.direction;
  out.long_entry = bar.long_entry;
  out.short_entry = bar.short_entry;
  a_prev = a;
  average_prev = out.average;
  s.at(c.close_prev) = ctx.b.close;
  s.at(c.bars) = ctx.b.t + 1;
  if (!finite) {
    fail(s, StatusCode::EquityOverflow, ctx.b.t);
    return BarOutputs{};
  }
  hold_outputs(s, out);
  return out;
}

// Advances a symbol by one valid bar (close finite and positive, src finite) and returns
// its outputs: the four stages one after the other. `growth` is formulas::growth_factor
// at the bar (t = Core::bars), computed on the host for either side: the device's exp
// may differ from the host's in the last bit. On a fatal error (growth or equity
// overflow, prices outside the tick range) the symbol stops there: Core::fatal and
// fatal_bar say why and where.
template <class S>
ATC_HD BarOutputs step(const S& s, const Params& p, double close, double src, double growth) {
  BarContext ctx;
  if (!begin_bar(s, p, close, src, growth, ctx)) return step_detail::last_outputs(s);
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
