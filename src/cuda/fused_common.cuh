// What the fused path's two implementations share in device code (fused.hpp has the
// design): the chain step on a shared-memory look-back ring, the per-lane chain state,
// the classification and hundredths of a tile. Their launchers: fused_launch.hpp.
#pragma once

#include <cuda_runtime_api.h>

#include <type_traits>

#include "../core/family_dispatch.hpp"
#include "chains.cuh"
#include "check.hpp"
#include "fused.hpp"
#include "fused_launch.hpp"
#include "launch_policy.hpp"

namespace atc::cuda::fused_detail {

constexpr int kWarp = 32;

// The instantiations of a fused kernel: calibration outputs or not, float32 or float64
// arithmetic, window sums as integer-valued doubles (narrow) or 128-bit integers (wide).
// f(std::bool_constant<kCalibration>{}, Real{}, Acc{}) picks kernel<kCalibration, Real, Acc>.
template <class F>
void for_each_variant(F&& f) {
  const auto with_acc = [&](auto calibration, auto real) {
    f(calibration, real, 0.0);
    f(calibration, real, Wide{});
  };
  const auto with_real = [&](auto calibration) {
    with_acc(calibration, 0.0);
    with_acc(calibration, 0.0f);
  };
  with_real(std::false_type{});
  with_real(std::true_type{});
}

// Calls f as for_each_variant does, once, with the variant a launch needs.
template <class F>
void dispatch_variant(const FusedParams& p, bool wide, F&& f) {
  const auto with_acc = [&](auto calibration, auto real) {
    if (wide) f(calibration, real, Wide{});
    else f(calibration, real, 0.0);
  };
  const auto with_real = [&](auto calibration) {
    if (p.float32 != 0) with_acc(calibration, 0.0f);
    else with_acc(calibration, 0.0);
  };
  if (p.calibration >= 0) with_real(std::true_type{});
  else with_real(std::false_type{});
}

// True when series' change of tick scale (a bar of exact::TickScale::binary_from > 0)
// lies in [t0, t0 + kTile): that tile runs the general step.
template <int kTile>
__device__ __forceinline__ bool rebase_in_tile(const exact::TickScale& scale, int t0) {
  return scale.binary_from > 0 && scale.binary_from >= t0 && scale.binary_from < t0 + kTile;
}

// One series' look-back ring of src in shared memory (a power of two of bars, float64 in
// either precision: the ticks come from it): bar t at p[(t & mask) · pitch], the pitch
// interleaving the rings of several series (kStrided) or 1.
template <bool kStrided>
struct Ring {
  const double* p;
  int mask, pitch;
  __device__ __forceinline__ double operator[](int t) const { return kStrided ? p[(t & mask) * pitch] : p[t & mask]; }
};

// Rows [row0, row0 + bars) of the batch's series i; returns bars (0, row0 untouched, for
// an i past the batch's end).
__device__ __forceinline__ int series_rows(const FusedInput& in, int i, long long& row0) {
  if (i >= in.series) return 0;
  row0 = in.offset[i];
  return static_cast<int>((in.end != nullptr ? in.end[i] : in.offset[i + 1]) - row0);
}

// The per-lane state of one chain across tiles.
template <class Real, class Acc>
struct LaneState {
  ChainState<Real, Acc> chain;
  MaTracker<Real> tracker;
};

// Bars per iteration of a steady tile's loop.
constexpr int kSteadyUnroll = FusedPolicy::kSteadyUnroll;

// Bar t of one MA chain of family F: the MA, then its signal and Layer-1 equity (the
// tracker's); with kCalibration, family p.calibration also writes the chain's MA, signal
// and equity. Returns the equity. `r` (the bar's return, in shared memory) is read only
// where the tracker needs it, not held in a register across the MA step.
// `tile_multiplier` is the ticks multiplier of a steady tile's bars (it holds no change of
// scale), read from `scale` on the other tiles.
template <int F, bool kCalibration, bool kSteady, class Real, class Acc, bool kStrided>
__device__ __forceinline__ Real chain_bar(LaneState<Real, Acc>& st, const Ring<kStrided>& ring, int t, double close,
                                          const Real& r, const exact::TickScale& scale, double tile_multiplier,
                                          const ChainConstants<Real>& constants, Real keep, const FusedParams& p,
                                          const DeviceColumns& out, int chain, long long row0, bool calibrating) {
  const BarOf<Ring<kStrided>> bar{t, ring[t], close, kSteady ? tile_multiplier : scale.multiplier(t), &scale, ring};
  const Crossing<Real> crossing = FamilyChainT<F>::template step<kSteady>(st.chain, bar, constants);
  const Real e = st.tracker.template step<kSteady>(t, p.cutout, crossing, r, keep);
  if (kCalibration && calibrating) {
    double ma = static_cast<double>(crossing.ma);
    if constexpr (kWindowFamily<F>) ma = crossing.rhs != crossing.rhs ? NAN : FamilyChainT<F>::value(st.chain, bar, constants);
    out.ma[chain][row0 + t] = ma;
    out.ma_signal[chain][row0 + t] = st.tracker.signal;
    out.ma_equity[chain][row0 + t] = e;
  }
  return e;
}

// step(k) for a tile's bars k = 0 … bars − 1; a steady tile always has kTile of them,
// its loop unrolled by kSteadyUnroll.
template <int kTile, bool kSteady, class Step>
__device__ __forceinline__ void for_each_bar(int bars, Step&& step) {
  if constexpr (kSteady) {
#pragma unroll kSteadyUnroll
    for (int k = 0; k < kTile; ++k) step(k);
  } else {
    for (int k = 0; k < bars; ++k) step(k);
  }
}

// The classification of one tile of one series from its Average_Signal, run by a whole
// warp, lane j = bar t0 + j (`average` is that bar's, `bars` ≤ 32 of them valid), the
// rows from `row0`. Only the persistent direction is sequential, and it is the last
// crossing before the bar (or the carried state), found with a ballot. `direction`,
// `average_prev` and `a_prev` carry the series' state from tile to tile.
template <class Real>
__device__ __forceinline__ void classify_tile(Real average, int bars, int lane, long long row0, const FusedParams& p,
                                              const DeviceColumns& out, std::int8_t& direction, Real& average_prev,
                                              Real& a_prev) {
  const bool valid = lane < bars;
  const Real long_threshold = static_cast<Real>(p.long_threshold);
  const Real short_threshold = static_cast<Real>(p.short_threshold);
  const Real average_before = __shfl_up_sync(~0u, average, 1);
  const Real a = !p.strategy ? average : (lane == 0 ? average_prev : average_before);
  const Real a_before = __shfl_up_sync(~0u, a, 1);
  const Real a_previous = lane == 0 ? a_prev : a_before;
  formulas::Classifier crossing;  // from "none": its direction is this bar's crossing
  crossing.step(a, a_previous, long_threshold, short_threshold);
  const int event = valid ? crossing.dir : 0;
  const unsigned earlier = __ballot_sync(~0u, event != 0) & ((1u << lane) - 1u);
  const int last = earlier != 0 ? 31 - __clz(earlier) : 0;
  const int last_event = __shfl_sync(~0u, event, last);
  formulas::Classifier classifier;
  classifier.dir = static_cast<std::int8_t>(earlier != 0 ? last_event : direction);
  const auto b = classifier.step(a, a_previous, long_threshold, short_threshold);
  const int end = bars - 1;
  const int direction_after = __shfl_sync(~0u, static_cast<int>(classifier.dir), end);
  const Real average_last = __shfl_sync(~0u, average, end), a_last = __shfl_sync(~0u, a, end);
  __syncwarp();  // every lane has read the carried state
  if (valid) {
    const long long row = row0 + lane;
    out.trend[row] = b.trend;
    out.state[row] = b.state;
    out.direction[row] = b.direction;
    out.long_entry[row] = b.long_entry;
    out.short_entry[row] = b.short_entry;
  }
  if (lane == 0) {
    direction = static_cast<std::int8_t>(direction_after);
    average_prev = average_last;
    a_prev = a_last;
  }
}

// X_Signal as int8 hundredths from h = floor(100·x + 0.5): kHundredthsNaN before the
// cutout and where Layer 1 is NaN (a non-finite equity, §10), which a cast would make 0.
template <class Real>
__device__ __forceinline__ std::int8_t hundredths_of(Real h, bool before_cutout) {
  return before_cutout || h != h ? kHundredthsNaN : static_cast<std::int8_t>(h);
}

// §10 per tile, run by a whole warp, lane j = bar t0 + j: the first bar whose equity probe
// (formulas::equity_probe; 0 where a bar has none) is NaN goes to `first` (−1 until
// found), written by lane 0.
template <class Real>
__device__ __forceinline__ void track_nonfinite(Real probe, int t0, int lane, long long& first) {
  const unsigned hit = __ballot_sync(~0u, probe != probe);
  if (lane == 0 && hit != 0 && first < 0) first = t0 + __ffs(static_cast<int>(hit)) - 1;
}

}  // namespace atc::cuda::fused_detail
