// The scalar float64 reference: each stage of docs/SEMANTICS.md written literally,
// one full series at a time. It is the oracle the fast backends are tested against.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "../core/exact.hpp"
#include "atc/config.hpp"

namespace atc::reference {

using Series = std::vector<double>;
using Signal = std::vector<std::int8_t>;

// Tick scale of §3a for a series whose close is `src` (what the MA functions below use
// when no scale is given).
using Ticks = exact::TickScale;
Ticks ticks_of(std::span<const double> src);

// §3 moving averages, by their O(L) definitions with exact window sums; NaN during
// warm-up. `ticks`: the series' tick scale (of close and src together).
Series ema(std::span<const double> src, int len, const Ticks& ticks);
Series sma(std::span<const double> src, int len, const Ticks& ticks);
Series wma(std::span<const double> src, int len, const Ticks& ticks);
Series dema(std::span<const double> src, int len, const Ticks& ticks);
Series lsma(std::span<const double> src, int len, const Ticks& ticks);
Series kama(std::span<const double> src, int len, const Ticks& ticks);
Series moving_average(Family family, std::span<const double> src, int len, const Ticks& ticks);
inline Series ema(std::span<const double> src, int len) { return ema(src, len, ticks_of(src)); }
inline Series sma(std::span<const double> src, int len) { return sma(src, len, ticks_of(src)); }
inline Series wma(std::span<const double> src, int len) { return wma(src, len, ticks_of(src)); }
inline Series dema(std::span<const double> src, int len) { return dema(src, len, ticks_of(src)); }
inline Series lsma(std::span<const double> src, int len) { return lsma(src, len, ticks_of(src)); }
inline Series kama(std::span<const double> src, int len) { return kama(src, len, ticks_of(src)); }
inline Series moving_average(Family family, std::span<const double> src, int len) {
  return moving_average(family, src, len, ticks_of(src));
}

// Where close stands against the MA `ma` of `family` at each bar: +1 above, −1 below,
// 0 on it, NaN while the MA is undefined. Against SMA, WMA and LSMA decided exactly on
// ticks (§3a.4: c·D against N), against the others by comparing the float64 values.
Series crossing_side(Family family, std::span<const double> close, std::span<const double> src, int len,
                     const Ticks& ticks, std::span<const double> ma);

// §4 persistent crossover state from the sides of close against an MA.
Signal crossover_signal(std::span<const double> side);
// §4 persistent crossover state of close against ma, compared as float64 values.
Signal crossover_signal(std::span<const double> close, std::span<const double> ma);

// §5 R[t] = (close[t] - close[t-1]) / close[t-1], NaN at t = 0.
Series returns(std::span<const double> close);

// §5 equity curve; `sig` may be integral (per-MA) or real (Layer-1, NaN before cutout).
Series equity(double start, std::span<const double> sig, std::span<const double> r,
              double la, double de, int cutout);

// §6 Layer 1: round2(Σ s_i·E_i / Σ E_i), NaN before cutout.
Series layer1(const std::vector<Signal>& signals, const std::vector<Series>& equities,
              int cutout);

// §7 Average_Signal from the six family signals and equities.
Series average_signal(const std::vector<Series>& family_signal,
                      const std::vector<Series>& family_equity, int cutout);

struct Classification {
  Signal trend, state, direction, long_entry, short_entry;
};
// §8, with the strategy shift applied to a copy of A.
Classification classify(std::span<const double> average, double long_threshold,
                        double short_threshold, bool strategy);

}  // namespace atc::reference
