#include "live_state.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../core/prepared.hpp"
#include "../core/ticks.hpp"
#include "live_step.hpp"

namespace atc::detail::live {

using step_detail::kSma;
using step_detail::kWma;

Params::Params(const Config& c) : config(c) {
  for (Family f : kAllFamilies) length[static_cast<int>(f)] = c.lengths(f);
  for (int f = 0; f < kFamilies; ++f)
    for (int i = 0; i < K; ++i) alpha[f][i] = 2.0 / (length[f][i] + 1.0);
  for (int k = 0; k < 3; ++k) {
    const int f = step_detail::window_family(k);
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

StateRef ref_of(SymbolState& s) { return StateRef{&s.core, s.ring.data(), s.ring_ticks.data(), {}}; }

void refresh_ticks(SymbolState& s, const Params& p) { refresh_ticks(ref_of(s), p, s.core.bars); }

std::string reject_reason(double close, double src) {
  if (!std::isfinite(close)) return "close is not finite";
  if (close <= 0.0) return "close is not positive";
  if (!std::isfinite(src)) return "src is not finite";
  return {};
}

std::string fatal_message(StatusCode code, std::string_view symbol, std::int64_t bar) {
  switch (code) {
    case StatusCode::GrowthOverflow:
      return symbol_message(symbol, bar, "lambda/1000 * (bars - 1 - cutout) > 700 would overflow the growth factor");
    case StatusCode::TickRange:
      return symbol_message(symbol, bar, "prices outside the range of exact window arithmetic");
    case StatusCode::EquityOverflow:
      return symbol_message(symbol, bar, std::string(kEquityOverflowReason));
    default:
      return symbol_message(symbol, bar, "stopped");
  }
}

BarOutputs step(SymbolState& s, const Params& p, double close, double src, std::string_view symbol) {
  const int t = static_cast<int>(s.core.bars);
  const BarOutputs out = step(ref_of(s), p, close, src, formulas::growth_factor(p.la, t, p.config.cutout));
  if (s.core.fatal != StatusCode::Ok) s.fatal_message = fatal_message(s.core.fatal, symbol, s.core.fatal_bar);
  return out;
}

SymbolStatus status_of(const SymbolState& s, const Params& p, std::string_view symbol) {
  return status_of(s.core.fatal, s.core.fatal_bar, s.fatal_message, s.core.bars, p, symbol);
}

SymbolStatus status_of(StatusCode fatal, std::int64_t fatal_bar, const std::string& fatal_message, std::int64_t bars,
                       const Params& p, std::string_view symbol) {
  if (fatal != StatusCode::Ok) return SymbolStatus{fatal, fatal_bar, fatal_message, 0};
  const auto n = static_cast<std::size_t>(bars);
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
