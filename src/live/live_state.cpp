#include "live_state.hpp"

#include <algorithm>
#include <cmath>

#include "../core/prepared.hpp"
#include "../core/ticks.hpp"

namespace atc::detail::live {
namespace {

bool is_window(int family) {
  return family == static_cast<int>(Family::HMA) || family == static_cast<int>(Family::WMA) ||
         family == static_cast<int>(Family::LSMA);
}

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

Wide ticks_of(double v, const exact::TickScale& scale) { return exact::to_wide(scale.tick(v, 0)); }

double src_at(const SymbolState& s, std::int64_t t) {
  return s.ring[static_cast<std::size_t>(t) % s.ring.size()];
}

// The ticks of bar t's src in the current scale (converted once, when it arrived).
Wide tick_at(const SymbolState& s, std::int64_t t) {
  return s.ring_ticks[static_cast<std::size_t>(t) % s.ring_ticks.size()];
}

// Window sums and KAMA noise of every chain summed afresh over the ring, in the current
// scale: after the switch to binary ticks (old values are read anew).
void resum(SymbolState& s, const Params& p, std::int64_t t) {
  for (int f = 0; f < kFamilies; ++f) {
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      Chain& chain = s.core.chains[f][i];
      const int len = p.length[f][i];
      if (is_window(f)) {
        chain.sum_y = chain.sum_w = 0;
        const std::int64_t first = std::max<std::int64_t>(0, t - len + 1);
        for (std::int64_t u = first; u <= t; ++u) {
          const Wide v = tick_at(s, u);
          chain.sum_y += v;
          chain.sum_w += exact::times(v, u - first + 1);
        }
      } else if (f == static_cast<int>(Family::KAMA)) {
        chain.sum_y = 0;
        for (std::int64_t u = std::max<std::int64_t>(1, t - len + 1); u <= t; ++u) {
          const Wide diff = tick_at(s, u) - tick_at(s, u - 1);
          chain.sum_y += diff < 0 ? -diff : diff;
        }
      }
    }
  }
}

// Every held integer times `factor` (a finer scale of the same kind: exact).
void rescale(SymbolState& s, long long factor) {
  for (auto& family : s.core.chains)
    for (Chain& chain : family) {
      chain.sum_y = exact::times(chain.sum_y, factor);
      chain.sum_w = exact::times(chain.sum_w, factor);
    }
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
        rescale(s, static_cast<long long>(power_of_ten(prefix.decimals - c.decimals)));
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
  return exact::window_bound(max_tick, p.max_length) < exact::kWideLimit;
}

void fail(SymbolState& s, StatusCode code, std::int64_t bar, std::string message) {
  s.core.fatal = code;
  s.core.fatal_bar = bar;
  s.fatal_message = std::move(message);
  s.core.last = BarOutputs{};
}


// The MA of one chain at bar t, its sums advanced (src x of bar t in the ring already).
double advance_ma(Chain& chain, int family, int len, const SymbolState& s, std::int64_t t,
                  const exact::TickScale& scale, bool resummed) {
  const double x = src_at(s, t);
  const double alpha = 2.0 / (len + 1.0);
  switch (static_cast<Family>(family)) {
    case Family::EMA:
    case Family::DEMA: {
      if (t == len - 1) {  // the exact mean of the first len values, rounded once (§3a.3)
        Wide sum = 0;
        for (std::int64_t u = 0; u < len; ++u) sum += tick_at(s, u);
        chain.value = exact::tick_value(sum, static_cast<exact::UWide>(len), scale, 0);
      } else if (t >= len) {
        chain.value = formulas::ema_step(chain.value, x, alpha);
      }
      if (family == static_cast<int>(Family::EMA)) return chain.value;
      // DEMA: a second EMA over the first one's values from bar len − 1, seeded with their
      // float64 sum in bar order divided by len.
      if (t < len - 1) return kNaN;
      const std::int64_t valid = t - (len - 1);
      if (valid < len) chain.e2_seed += chain.value;
      if (valid == len - 1) chain.e2 = chain.e2_seed / len;
      else if (valid >= len) chain.e2 = formulas::ema_step(chain.e2, chain.value, alpha);
      return valid >= len - 1 ? 2.0 * chain.value - chain.e2 : kNaN;
    }
    case Family::KAMA: {
      double er = 0.0;
      if (!resummed && t >= 1) {
        const Wide diff = tick_at(s, t) - tick_at(s, t - 1);
        chain.sum_y += diff < 0 ? -diff : diff;
        if (t > len) {
          const Wide old = tick_at(s, t - len) - tick_at(s, t - len - 1);
          chain.sum_y -= old < 0 ? -old : old;
        }
      }
      if (t >= len) {
        const Wide signal = tick_at(s, t) - tick_at(s, t - len);
        er = exact::efficiency_ratio(signal < 0 ? -signal : signal, chain.sum_y);
      }
      chain.value = formulas::kama_step(t == 0 ? 0.0 : chain.value, formulas::kama_sc(er), x);
      return chain.value;
    }
    default: {  // SMA ("HMA"), WMA, LSMA: running exact sums
      if (!resummed) {
        const Wide v = tick_at(s, t);
        if (t >= len) {
          chain.sum_w = chain.sum_w - chain.sum_y + exact::times(v, len);
          chain.sum_y += v - tick_at(s, t - len);
        } else {
          chain.sum_y += v;
          chain.sum_w += exact::times(v, t + 1);
        }
      }
      if (t < len - 1) return kNaN;
      return chain.value = exact::tick_value(window_numerator(chain, family, len), window_denominator(family, len),
                                             scale, 0);
    }
  }
}

}  // namespace

Wide window_numerator(const Chain& chain, int family, int len) {
  if (family == static_cast<int>(Family::HMA)) return chain.sum_y;
  if (family == static_cast<int>(Family::WMA)) return chain.sum_w;
  return exact::lsma_numerator(chain.sum_y, chain.sum_w, len);
}

exact::UWide window_denominator(int family, int len) {
  if (family == static_cast<int>(Family::HMA)) return static_cast<exact::UWide>(exact::sma_denominator(len));
  if (family == static_cast<int>(Family::WMA)) return static_cast<exact::UWide>(exact::wma_denominator(len));
  return static_cast<exact::UWide>(exact::lsma_denominator(len));
}

Params::Params(const Config& c) : config(c) {
  for (Family f : kAllFamilies) length[static_cast<int>(f)] = c.lengths(f);
  max_length = c.max_length();
  min_bars = c.min_bars();
  la = c.growth_rate();
  keep = 1.0 - c.decay_rate();
}

SymbolState make_state(const Params& p) {
  SymbolState s;
  // KAMA's noise drops the change from bar t − L − 1 to t − L: L + 2 values back.
  s.ring.assign(static_cast<std::size_t>(p.max_length) + 2, 0.0);
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
  if (!take_value(s, p, close, t, resum_needed) || !take_value(s, p, src, t, resum_needed)) {
    fail(s, StatusCode::TickRange, t, symbol_message(symbol, t, "prices outside the range of exact window arithmetic"));
    return c.last;
  }
  s.ring[static_cast<std::size_t>(t) % s.ring.size()] = src;
  const exact::TickScale scale = scale_of(c);
  if (resum_needed) {
    c.bars = t + 1;  // refresh_ticks covers bar t too
    refresh_ticks(s);
    c.bars = t;
    resum(s, p, t);
  } else {
    s.ring_ticks[static_cast<std::size_t>(t) % s.ring_ticks.size()] = ticks_of(src, scale);
  }
  const Wide close_ticks = ticks_of(close, scale);

  const double adjusted = t > 0 ? (close - c.close_prev) / c.close_prev * formulas::growth_factor(p.la, ti, config.cutout)
                                : kNaN;
  BarOutputs out;
  formulas::AverageSignalT<double> average;
  bool finite = true;
  for (int f = 0; f < kFamilies; ++f) {
    double num = 0.0, den = 0.0;
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      Chain& chain = c.chains[f][i];
      const int len = p.length[f][i];
      const double ma = advance_ma(chain, f, len, s, t, scale, resum_needed);
      double side = kNaN;
      if (!std::isnan(ma)) {
        if (is_window(f)) {  // c·D against N, exactly (§3a.4)
          const Wide lhs = close_ticks * static_cast<Wide>(window_denominator(f, len));
          const Wide rhs = window_numerator(chain, f, len);
          side = lhs > rhs ? 1.0 : (lhs < rhs ? -1.0 : 0.0);
        } else {
          side = close > ma ? 1.0 : (close < ma ? -1.0 : 0.0);
        }
      }
      const std::int8_t signal_prev = chain.signal;
      if (t > 0) chain.signal = formulas::next_signal(chain.signal, side, chain.side, 0.0, 0.0);
      chain.side = side;
      const double e = chain.equity.step(ti, config.cutout, 1.0, adjusted,
                                         t > 0 ? static_cast<double>(signal_prev) : kNaN, p.keep);
      finite = finite && (ti < config.cutout || std::isfinite(e));
      num += chain.signal * e;
      den += e;
    }
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
