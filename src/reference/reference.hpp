// The scalar float64 reference: each stage of docs/SEMANTICS.md written literally,
// one full series at a time. It is the oracle the fast backends are tested against.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "atc/config.hpp"

namespace atc::reference {

using Series = std::vector<double>;
using Signal = std::vector<std::int8_t>;

// §3 moving averages, by their O(L) definitions; NaN during warm-up.
Series ema(std::span<const double> src, int len);
Series sma(std::span<const double> src, int len);
Series wma(std::span<const double> src, int len);
Series dema(std::span<const double> src, int len);
Series lsma(std::span<const double> src, int len);
Series kama(std::span<const double> src, int len);
Series moving_average(Family family, std::span<const double> src, int len);

// §4 persistent crossover state of close against ma.
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
