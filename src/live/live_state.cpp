#include "live_state.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../core/prepared.hpp"
#include "../core/ticks.hpp"

namespace atc::detail::live {
namespace {

constexpr int kEma = static_cast<int>(Family::EMA), kSma = static_cast<int>(Family::HMA),
              kWma = static_cast<int>(Family::WMA), kDema = static_cast<int>(Family::DEMA),
              kLsma = static_cast<int>(Family::LSMA), kKama = static_cast<int>(Family::KAMA);

// The current tick scale as exact.hpp's TickScale (binary from bar 0, or never).
exact::TickScale scale_of(const Core& c) {
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
Wide wide_of(double tick) {
  if (std::fabs(tick) < 0x1p62) return static_cast<Wide>(static_cast<std::int64_t>(tick));
  return exact::to_wide(tick);
}

Wide ticks_of(double v, const exact::TickScale& scale) { return wide_of(scale.tick(v, 0)); }

double src_at(const SymbolState& s, std::int64_t t) {
  return s.ring[static_cast<std::size_t>(t) % s.ring.size()];
}

// The ticks of bar t's src in the current scale (converted once, when it arrived).
Wide tick_at(const SymbolState& s, std::int64_t t) {
  return s.ring_ticks[static_cast<std::size_t>(t) % s.ring_ticks.size()];
}

// Window sums and KAMA noise summed afresh over the ring, in the current scale: after
// the switch to binary ticks, or to a finer binary scale (old values are read anew).
void resum(SymbolState& s, const Params& p, std::int64_t t) {
  for (int w = 0; w < p.windows; ++w) {
    Window& win = s.core.windows[w];
    const int len = p.window_length[w];
    win.sum_y = win.sum_w = 0;
    const std::int64_t first = std::max<std::int64_t>(0, t - len + 1);
    for (std::int64_t u = first; u <= t; ++u) {
      const Wide v = tick_at(s, u);
      win.sum_y += v;
      win.sum_w += exact::times(v, u - first + 1);
    }
  }
  for (int i = 0; i < K; ++i) {
    Wide& noise = s.core.noise[i];
    noise = 0;
    for (std::int64_t u = std::max<std::int64_t>(1, t - p.length[kKama][i] + 1); u <= t; ++u) {
      const Wide diff = tick_at(s, u) - tick_at(s, u - 1);
      noise += diff < 0 ? -diff : diff;
    }
  }
}

// Every held integer times `factor` (a finer scale of the same kind: exact).
void rescale(SymbolState& s, const Params& p, long long factor) {
  for (int w = 0; w < p.windows; ++w) {
    s.core.windows[w].sum_y = exact::times(s.core.windows[w].sum_y, factor);
    s.core.windows[w].sum_w = exact::times(s.core.windows[w].sum_w, factor);
  }
  for (Wide& noise : s.core.noise) noise = exact::times(noise, factor);
  for (Wide& v : s.ring_ticks) v = exact::times(v, factor);
}

// Takes v into the tick scale (§3a.1, as series_ticks decides it over a whole series):
// false when the series leaves the range of exact window arithmetic.
bool take_value(SymbolState& s, const Params& p, double v, std::int64_t t, bool& resum_needed) {
  Core& c = s.core;
  const int exponent = c.binary_exponent;
  if (v != 0.0) c.binary_exponent = std::max(c.binary_exponent, -lowest_set_bit(v));
  c.largest = std::max(c.largest, std::fabs(v));
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
    max_tick = std::max(max_tick, std::ldexp(c.largest, k));
  }
  const double bound = exact::window_bound(max_tick, p.max_length);
  c.narrow = c.narrow && bound < exact::kNarrowLimit;
  return bound < exact::kWideLimit;
}

void fail(SymbolState& s, StatusCode code, std::int64_t bar, std::string message) {
  s.core.fatal = code;
  s.core.fatal_bar = bar;
  s.fatal_message = std::move(message);
  s.core.last = BarOutputs{};
}

// §4's crossover on the sides of close against an MA (formulas::next_signal with y = 0:
// a missing side compares false).
std::int8_t next_signal(std::int8_t s, std::int8_t side, std::int8_t side_prev) {
  if (side == kNoSide || side_prev == kNoSide) return s;
  if (side > 0 && side_prev <= 0) return 1;
  if (side < 0 && side_prev >= 0) return -1;
  return s;
}

std::int8_t side_of(double close, double ma) {
  return close > ma ? 1 : (close < ma ? -1 : (ma == ma ? 0 : kNoSide));
}
template <class I>
std::int8_t side_of(I lhs, I rhs) {
  return lhs > rhs ? 1 : (lhs < rhs ? -1 : 0);
}

// The integer arithmetic of a bar: I = std::int64_t when Core::narrow (every quantity
// below 2^53, so the 128-bit values are 64-bit ones and a ratio is one double
// division, as exact::round_ratio_fast takes it), else Wide.
template <class I>
I times(I x, long long k) {
  if constexpr (std::is_same_v<I, Wide>) return exact::times(x, k);
  else return x * k;
}
template <class I>
I magnitude(I x) {
  return x < 0 ? -x : x;
}
double ratio(std::int64_t signal, std::int64_t noise) {
  return noise != 0 ? static_cast<double>(signal) / static_cast<double>(noise) : 0.0;
}
double ratio(Wide signal, Wide noise) { return exact::efficiency_ratio(signal, noise); }

// Where a window MA of family f (its sums w) stands: c·D against N (§3a.4).
template <class I>
std::int8_t window_side(int f, int len, long long d, I close_ticks, I sum_y, I sum_w) {
  const I lhs = times(close_ticks, d);
  const I rhs = f == kSma ? sum_y : (f == kWma ? sum_w : exact::lsma_numerator(sum_y, sum_w, len, [](I x, long long k) {
    return times(x, k);
  }));
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
  int back(int k) const { return pos >= k ? pos - k : pos - k + ring; }
};

// The window sums and KAMA noise advanced by bar t (its tick in the ring already), then
// the sides of every window MA. I: see times().
template <class I>
void advance_integers(Core& c, const Params& p, const Wide* ticks, const Bar& b, bool resummed, Wide close_wide,
                      std::array<std::array<std::int8_t, K>, kFamilies>& side, std::array<double, K>& er) {
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
  for (int f : {kSma, kWma, kLsma}) {
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
double ema_at(double value, const SymbolState& s, const Bar& b, int len, double alpha, const exact::TickScale& scale) {
  if (b.t == len - 1) {
    Wide sum = 0;
    for (std::int64_t u = 0; u < len; ++u) sum += tick_at(s, u);
    return exact::tick_value(sum, static_cast<exact::UWide>(len), scale, 0);
  }
  if (b.t >= len) return formulas::ema_step(value, b.x, alpha);
  return value;
}

}  // namespace

Params::Params(const Config& c) : config(c) {
  for (Family f : kAllFamilies) length[static_cast<int>(f)] = c.lengths(f);
  for (int f = 0; f < kFamilies; ++f)
    for (int i = 0; i < K; ++i) alpha[f][i] = 2.0 / (length[f][i] + 1.0);
  for (int f : {kSma, kWma, kLsma}) {
    for (int i = 0; i < K; ++i) {
      const int len = length[f][i];
      denominator[f][i] = f == kSma ? exact::sma_denominator(len)
                                    : (f == kWma ? exact::wma_denominator(len) : exact::lsma_denominator(len));
      int w = 0;
      while (w < windows && window_length[w] != len) ++w;
      if (w == windows) window_length[windows++] = len;
      window[f][i] = w;
    }
  }
  max_length = c.max_length();
  // KAMA's noise drops the change from bar t − L − 1 to t − L: L + 2 values back.
  ring = max_length + 2;
  min_bars = c.min_bars();
  la = c.growth_rate();
  keep = 1.0 - c.decay_rate();
}

SymbolState make_state(const Params& p) {
  SymbolState s;
  s.ring.assign(static_cast<std::size_t>(p.ring), 0.0);
  s.ring_ticks.assign(s.ring.size(), 0);
  return s;
}

void refresh_ticks(SymbolState& s) {
  const exact::TickScale scale = scale_of(s.core);
  const auto size = static_cast<std::int64_t>(s.ring.size());
  for (std::int64_t u = std::max<std::int64_t>(0, s.core.bars - size); u < s.core.bars; ++u)
    s.ring_ticks[static_cast<std::size_t>(u % size)] = ticks_of(src_at(s, u), scale);
}

std::string reject_reason(double close, double src) {
  if (!std::isfinite(close)) return "close is not finite";
  if (close <= 0.0) return "close is not positive";
  if (!std::isfinite(src)) return "src is not finite";
  return {};
}

BarOutputs step(SymbolState& s, const Params& p, double close, double src, std::string_view symbol) {
  Core& c = s.core;
  const std::int64_t t = c.bars;
  const int ti = static_cast<int>(t);
  const Config& config = p.config;
  if (p.la * (static_cast<double>(t) - config.cutout) > formulas::kMaxGrowthExponent) {
    fail(s, StatusCode::GrowthOverflow, t,
         symbol_message(symbol, t, "lambda/1000 * (bars - 1 - cutout) > 700 would overflow the growth factor"));
    return c.last;
  }
  bool resum_needed = false;
  // src equal to close is the same value: taking it twice changes nothing.
  if (!take_value(s, p, close, t, resum_needed) || (src != close && !take_value(s, p, src, t, resum_needed))) {
    fail(s, StatusCode::TickRange, t, symbol_message(symbol, t, "prices outside the range of exact window arithmetic"));
    return c.last;
  }
  const int pos = static_cast<int>(t % p.ring);
  s.ring[static_cast<std::size_t>(pos)] = src;
  const exact::TickScale scale = scale_of(c);
  if (resum_needed) {
    c.bars = t + 1;  // refresh_ticks covers bar t too
    refresh_ticks(s);
    c.bars = t;
    resum(s, p, t);
  } else {
    s.ring_ticks[static_cast<std::size_t>(pos)] = ticks_of(src, scale);
  }
  const Wide close_ticks = ticks_of(close, scale);

  const double adjusted = t > 0 ? (close - c.close_prev) / c.close_prev * formulas::growth_factor(p.la, ti, config.cutout)
                                : kNaN;
  const Bar b{t, ti, pos, p.ring, src, close, adjusted};

  // The exact stages first: window sums, their MAs' sides, KAMA's efficiency ratios.
  std::array<std::array<std::int8_t, K>, kFamilies> side;
  std::array<double, K> er;
  if (c.narrow) advance_integers<std::int64_t>(c, p, s.ring_ticks.data(), b, resum_needed, close_ticks, side, er);
  else advance_integers<Wide>(c, p, s.ring_ticks.data(), b, resum_needed, close_ticks, side, er);

  // The float MAs and their sides.
  for (int i = 0; i < K; ++i) {
    const int len = p.length[kEma][i];
    c.ema[i] = ema_at(c.ema[i], s, b, len, p.alpha[kEma][i], scale);
    side[kEma][i] = side_of(close, c.ema[i]);
  }
  for (int i = 0; i < K; ++i) {
    // DEMA: a second EMA over the first one's values from bar len − 1, seeded with their
    // float64 sum in bar order divided by len.
    const int len = p.length[kDema][i];
    const double alpha = p.alpha[kDema][i];
    double ma = kNaN;
    c.dema1[i] = ema_at(c.dema1[i], s, b, len, alpha, scale);
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
  std::array<double, kFamilies> nums{}, dens{};
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
    fail(s, StatusCode::EquityOverflow, t,
         symbol_message(symbol, t, std::string(kEquityOverflowReason)));
    return c.last;
  }
  c.last = out;
  return out;
}

SymbolStatus status_of(const SymbolState& s, const Params& p, std::string_view symbol) {
  const Core& c = s.core;
  if (c.fatal != StatusCode::Ok) return SymbolStatus{c.fatal, c.fatal_bar, s.fatal_message, 0};
  const auto n = static_cast<std::size_t>(c.bars);
  if (n == 0) return SymbolStatus{StatusCode::Empty, -1, symbol_message(symbol, -1, "no bar with a finite close yet"), 0};
  if (n < p.min_bars)
    return SymbolStatus{StatusCode::TooShort, -1,
                        symbol_message(symbol, -1,
                                    std::to_string(n) + " valid bars, the slowest MA needs " +
                                        std::to_string(p.min_bars)),
                        0};
  if (static_cast<std::size_t>(p.config.cutout) >= n)
    return SymbolStatus{StatusCode::TooShort, -1,
                        symbol_message(symbol, -1,
                                    "cutout = " + std::to_string(p.config.cutout) + " leaves none of its " +
                                        std::to_string(n) + " valid bars to compute"),
                        0};
  return SymbolStatus{};
}

}  // namespace atc::detail::live
