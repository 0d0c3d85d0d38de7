// Each stage of the ATC pipeline as its own CUDA kernel, over a dense batch, so that
// stages can be tested and benchmarked one at a time (against the reference, or
// against an equivalent written with CuPy). All pointers are device pointers; launches
// are asynchronous on `stream` and checked.
//
// Dense layout: `symbols` series of `bars` bars each, time-major, so element (t, s) of
// one series array is at [t * symbols + s] (shape (bars, symbols) in NumPy terms).
// Arrays of several chains stack that: chain c at [c * bars * symbols].
#pragma once

#include <cuda_runtime_api.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "../core/formulas.hpp"
#include "atc/config.hpp"

namespace atc::cuda {

struct Dense {
  int symbols = 0;
  int bars = 0;
  ATC_HD std::size_t size() const { return static_cast<std::size_t>(symbols) * static_cast<std::size_t>(bars); }
};

using Lengths = std::array<int, kLengthsPerFamily>;

// §3: the 9 moving averages of `family` with the given lengths: ma[9][bars][symbols].
void moving_averages(Family family, Dense d, const double* src, const Lengths& lengths,
                     double* ma, cudaStream_t stream = nullptr);

// §4: persistent crossover signals of close against each of `chains` MAs.
void crossover_signals(Dense d, int chains, const double* close, const double* ma,
                       std::int8_t* signal, cudaStream_t stream = nullptr);

// §5: R[t] = (close[t] − close[t−1]) / close[t−1], NaN at t = 0.
void returns(Dense d, const double* close, double* r, cudaStream_t stream = nullptr);

// §5: per-MA equity curves eq(1, s, R) of `chains` integral signals. `growth` holds
// g[t] = exp(La·(t − cutout)) for t < bars (detail::growth_table); keep = 1 − De.
void ma_equities(Dense d, int chains, const std::int8_t* signal, const double* r,
                 const double* growth, int cutout, double keep, double* equity,
                 cudaStream_t stream = nullptr);

// §7: Layer-2 equities eq(weight[f], X_Signal, R) of the six family signals.
void family_equities(Dense d, const double* family_signal, const double* r, const double* growth,
                     const std::array<double, kFamilies>& weight, int cutout, double keep,
                     double* equity, cudaStream_t stream = nullptr);

// §6: Layer 1 of one family from its 9 signals and equities (sums in the reference order).
void layer1(Dense d, const std::int8_t* signal, const double* equity, int cutout,
            double* family_signal, cudaStream_t stream = nullptr);

// §7: Average_Signal from the six family signals and equities.
void average_signal(Dense d, const double* family_signal, const double* family_equity,
                    int cutout, double* average, cudaStream_t stream = nullptr);

// §8: trend, state, direction, long_entry, short_entry stacked as out[5][bars][symbols].
inline constexpr int kClassOutputs = 5;
void classify(Dense d, const double* average, double long_threshold, double short_threshold,
              bool strategy, std::int8_t* out, cudaStream_t stream = nullptr);

}  // namespace atc::cuda
