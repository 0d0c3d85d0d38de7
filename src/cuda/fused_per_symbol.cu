// The per-symbol fused kernel: the latency path of launch_fused (fused.hpp has the
// design). A block of six warps covers up to three series; warp f runs family f, and
// its lane 9·k + i owns chain i of the block's series k. Per 32-bar tile the last warps
// stage close, src and R·g of the block's series in shared memory (src in one ring per
// series; R·g double-buffered), the chain lanes advance MA, signal and equity, each
// family warp forms its own Layer 1 per (series, bar); after a block barrier warp k runs
// series k's Layer 2 (lane f: family f), Average_Signal (lane = bar) and the
// classification, while the other warps stage the next tile. Every series has the whole
// block's attention, so that few series finish as soon as their bars allow.
#include <algorithm>
#include <cmath>

#include "check.hpp"
#include "fused_common.cuh"

namespace atc::cuda::fused_detail {
namespace {

// Bars per tile (one round of two block barriers).
constexpr int kTile = FusedPolicy::kPerSymbol.tile;
static_assert(kTile >= 1 && kTile <= 32, "a tile's bars are a warp's lanes in the classification");

constexpr int kBlockSeries = 3;    // series per block at most (27 chain lanes a warp)
constexpr int kFusedThreads = 192;  // one warp per family
constexpr int kWarps = kFusedThreads / kWarp;                  // one per family
constexpr int kChainLanes = kBlockSeries * kLengthsPerFamily;  // 27 chain lanes per warp
constexpr int kChainPitch = kChainLanes;  // odd: a half-warp's Layer-1 reads hit distinct banks
constexpr int kStaged = kBlockSeries * kTile;  // (series, bar) items staged per tile
static_assert(kWarps == kFamilies && kChainLanes <= kWarp && kTile <= kWarp && kStaged <= kFusedThreads);
static_assert(kBlockSeries <= kWarps);  // warp k runs series k's Layer 2 and classification

// The block's shared memory: one tile's per-chain results and family rows, then one src
// ring per series (ring_size values each, a power of two) holding bar t at [t & mask].
template <class Real>
struct SharedTile {
  struct Chains {
    Real equity[kTile][kChainPitch];         // E_i by lane (9·series + chain)
    std::int8_t signal[kTile][kChainPitch];  // s_i
  } chains[kFamilies];                       // written and summed by family f's warp alone
  double close[kBlockSeries][kTile];
  Real r[2][kBlockSeries][kTile];           // R[t]·g[t] (NaN at t = 0), by tile parity
  // X_Signal and X_S; rows padded to an odd number of values so that Layer 2's lanes
  // (one per family, same bar) hit distinct banks.
  Real family_signal[kBlockSeries][kFamilies][kTile + 1];
  Real family_equity[kBlockSeries][kFamilies][kTile + 1];
  // Per series: its rows, then warp k's state across tiles (kept here rather than in
  // every thread's registers).
  long long row0[kBlockSeries];
  int bars[kBlockSeries];
  exact::TickScale ticks[kBlockSeries];
  formulas::EquityT<Real> layer2[kBlockSeries][kFamilies];  // X_S of each family
  Real family_signal_prev[kBlockSeries][kFamilies];
  Real average_prev[kBlockSeries], a_prev[kBlockSeries];  // A and a of the last bar
  std::int8_t direction[kBlockSeries];  // classification state after the last bar
  long long nonfinite[kBlockSeries];    // track_nonfinite's first bar, −1 until found
};
// Where the rings (of doubles) start, in doubles.
template <class Real>
constexpr int kRingOffsetOf = static_cast<int>((sizeof(SharedTile<Real>) + sizeof(double) - 1) / sizeof(double));

using SeriesRing = Ring<false>;  // one ring per series, contiguous

// One tile of a family warp's chain lane: bars t0 .. t0 + bars − 1 of its series.
// kSteady: a whole tile (bars = kTile) past every chain's warm-up and the cutout
// (FusedParams::steady_from), with no change of tick scale, run without those branches.
template <int F, bool kCalibration, bool kSteady, class Real, class Acc>
__device__ __forceinline__ void chain_tile(LaneState<Real, Acc>& st, typename SharedTile<Real>::Chains& res,
                                           const double* close, const Real* r, const SeriesRing& ring,
                                           const exact::TickScale& scale, int t0, int bars, int lane, int len,
                                           const FusedParams& p, const DeviceColumns& out, int chain, long long row0,
                                           bool calibrating) {
  const ChainConstants<Real> constants = FamilyChainT<F>::template constants<Real>(len);
  const Real keep = static_cast<Real>(p.keep);
  const double tile_multiplier = scale.multiplier(t0);
  for_each_bar<kTile, kSteady>(bars, [&](int k) {
    res.equity[k][lane] = chain_bar<F, kCalibration, kSteady>(st, ring, t0 + k, close[k], r[k], scale, tile_multiplier, constants,
                                                              keep, p, out, chain, row0, calibrating);
    res.signal[k][lane] = st.tracker.signal;
  });
}

// Layer 2 of family f of the block's series k over the tile's bars: X_S from the family
// signals of the previous bars. A whole tile past the cutout runs without its branches.
template <class Real>
__device__ __forceinline__ void layer2_tile(SharedTile<Real>& sh, int k, int f, int t0, int bars, int parity,
                                            const FusedParams& p) {
  formulas::EquityT<Real> layer2 = sh.layer2[k][f];
  Real signal_prev = sh.family_signal_prev[k][f];
  const Real* r = sh.r[parity][k];
  const Real* signal = sh.family_signal[k][f];
  Real* equity = sh.family_equity[k][f];
  const Real keep = static_cast<Real>(p.keep);
  if (bars == kTile && t0 > p.cutout) {
    for (int j = 0; j < kTile; ++j) {
      equity[j] = layer2.step_running(r[j], signal_prev, keep);
      signal_prev = signal[j];
    }
  } else {
    for (int j = 0; j < bars; ++j) {
      equity[j] = layer2.step(t0 + j, p.cutout, static_cast<Real>(p.weight[f]), r[j], signal_prev, keep);
      signal_prev = signal[j];
    }
  }
  sh.layer2[k][f] = layer2;
  sh.family_signal_prev[k][f] = signal_prev;
}

// Blocks per multiprocessor the kernel is compiled for, from its policy's resident-warp goal.
constexpr int kMinBlocks = FusedPolicy::kPerSymbol.min_warps / kWarps > 0 ? FusedPolicy::kPerSymbol.min_warps / kWarps : 1;

// Block b covers series [b·per_block, b·per_block + per_block). kCalibration: family
// p.calibration also writes its 9 MAs, signals and equities from the chain lanes.
template <bool kCalibration, class Real, class Acc>
__global__ void __launch_bounds__(kFusedThreads, kMinBlocks)
    fused_kernel(FusedInput in, FusedParams p, DeviceColumns out, int ring_mask, int per_block) {
  extern __shared__ double shared_storage[];
  SharedTile<Real>& sh = *reinterpret_cast<SharedTile<Real>*>(shared_storage);
  double* const rings = shared_storage + kRingOffsetOf<Real>;
  const int ring_size = ring_mask + 1;

  const int tid = static_cast<int>(threadIdx.x), warp = tid / kWarp, lane = tid % kWarp;
  const int family = warp;
  const int first = static_cast<int>(blockIdx.x) * per_block;
  // Series k of the block: rows [row0, row0 + bars) (bars 0 past the block or the batch).
  const auto rows_of = [&](int k, long long& row0) {
    row0 = 0;
    return k < per_block ? series_rows(in, first + k, row0) : 0;
  };
  int longest = 0;
  for (int k = 0; k < per_block; ++k) {
    long long row0 = 0;
    longest = max(longest, rows_of(k, row0));
  }

  // Chain lane: series `sym`, chain `chain` of the warp's family.
  const int sym = lane / kLengthsPerFamily, chain = lane % kLengthsPerFamily;
  long long chain_row0 = 0;
  const int chain_bars = lane < kChainLanes ? rows_of(sym, chain_row0) : 0;
  const int len = p.length[family][chain];
  const bool calibrating = kCalibration && family == p.calibration;
  const SeriesRing ring{rings + (sym < kBlockSeries ? sym : 0) * ring_size, ring_mask, 1};
  LaneState<Real, Acc> state;

  if (tid < kBlockSeries) {
    long long row0 = 0;
    sh.bars[tid] = rows_of(tid, row0);
    sh.row0[tid] = row0;
    sh.ticks[tid] = sh.bars[tid] > 0 ? in.ticks[first + tid] : exact::TickScale{};
    sh.direction[tid] = 0;
    sh.average_prev[tid] = Real(NAN);
    sh.a_prev[tid] = Real(NAN);
    sh.nonfinite[tid] = -1;
  }
  if (chain_bars > 0 && (family == static_cast<int>(Family::EMA) || family == static_cast<int>(Family::DEMA)))
    prime_chain<static_cast<int>(Family::EMA)>(state.chain, (in.src != nullptr ? in.src : in.close) + chain_row0,
                                               chain_bars, len, in.ticks[first + sym]);
  if (tid < kBlockSeries * kFamilies) {
    sh.layer2[tid / kFamilies][tid % kFamilies] = formulas::EquityT<Real>{};
    sh.family_signal_prev[tid / kFamilies][tid % kFamilies] = Real(NAN);
  }

  // The last kStaged threads stage (series, bar) = (stage / kTile, stage % kTile), and load
  // that bar of the next tile one tile ahead (coalesced), so that the global-memory
  // latency overlaps the chain work; warps 0..per_block−1 are then busy with Layer 2.
  const int stage = tid - (kFusedThreads - kStaged);
  const int stage_sym = stage / kTile, stage_bar = stage % kTile;
  long long stage_row0 = 0;
  const int stage_bars = stage >= 0 ? rows_of(stage_sym, stage_row0) : 0;
  double next_close = NAN, next_close_prev = NAN, next_src = NAN, next_growth = NAN;
  const auto prefetch = [&](int t) {
    if (t >= stage_bars) return;
    const long long row = stage_row0 + t;
    next_close = in.close[row];
    next_close_prev = t > 0 ? in.close[row - 1] : NAN;
    next_src = in.src != nullptr ? in.src[row] : next_close;
    next_growth = in.growth[t];
  };
  if (stage >= 0) prefetch(stage_bar);

  for (int t0 = 0, parity = 0; t0 < longest; t0 += kTile, parity ^= 1) {
    // Stage the tile's inputs. The previous tile's readers of the ring slots and close
    // finished before its second barrier; r alternates, its readers of two tiles ago
    // (Layer 2) finished before the last tile's first barrier.
    if (stage >= 0 && t0 + stage_bar < stage_bars) {
      const int t = t0 + stage_bar;
      const Real close = static_cast<Real>(next_close), close_prev = static_cast<Real>(next_close_prev);
      sh.close[stage_sym][stage_bar] = next_close;
      rings[stage_sym * ring_size + (t & ring_mask)] = next_src;
      sh.r[parity][stage_sym][stage_bar] =
          t > 0 ? (close - close_prev) / close_prev * static_cast<Real>(next_growth) : Real(NAN);
    }
    if (stage >= 0) prefetch(t0 + kTile + stage_bar);
    __syncthreads();

    typename SharedTile<Real>::Chains& res = sh.chains[family];
    const int bars = min(kTile, chain_bars - t0);
    // Warp-uniform but for the last tile of a series.
    const exact::TickScale& scale = sh.ticks[sym < kBlockSeries ? sym : 0];
    const bool steady = bars == kTile && t0 >= p.steady_from[family] && !rebase_in_tile<kTile>(scale, t0);
    if (bars > 0) {
      const double* close = sh.close[sym];
      const Real* r = sh.r[parity][sym];
      dispatch_family(family, [&](auto f) {  // warp-uniform
        constexpr int F = decltype(f)::value;
        if (steady)
          chain_tile<F, kCalibration, true>(state, res, close, r, ring, scale, t0, bars, lane, len, p, out, chain,
                                            chain_row0, calibrating);
        else
          chain_tile<F, kCalibration, false>(state, res, close, r, ring, scale, t0, bars, lane, len, p, out, chain,
                                             chain_row0, calibrating);
      });
    }
    __syncwarp();

    // Layer 1 of this warp's family per (series, bar), summed in the order L, L+o1..L+o4,
    // L−o1..L−o4.
    for (int item = lane; item < per_block * kTile; item += kWarp) {
      const int k = item / kTile, j = item % kTile;
      if (t0 + j >= sh.bars[k]) continue;
      formulas::WeightedSumT<Real> sum;
#pragma unroll
      for (int i = 0; i < kLengthsPerFamily; ++i)
        sum.add(res.signal[j][k * kLengthsPerFamily + i], res.equity[j][k * kLengthsPerFamily + i]);
      const long long row = sh.row0[k] + t0 + j;
      const bool before_cutout = t0 + j < p.cutout;
      // hundredths / 100 is formulas::round2 of the ratio. The output column holds it
      // divided in double: exact hundredths in either precision.
      const Real hundredths = formulas::hundredths(sum.ratio());
      sh.family_signal[k][family][j] = before_cutout ? Real(NAN) : hundredths / Real(100);
      if (out.family_signal[family] != nullptr)
        out.family_signal[family][row] = before_cutout ? NAN : static_cast<double>(hundredths) / 100.0;
      if (out.family_signal_hundredths[family] != nullptr)
        out.family_signal_hundredths[family][row] =
            hundredths_of(hundredths, before_cutout);
    }
    __syncthreads();

    // Series k = warp: Layer 2 (lane f: family f), Average_Signal and the
    // classification, short sequential work while the other warps stage the next tile
    // and wait at its first barrier.
    if (warp >= per_block) continue;
    const int k = warp;
    const int sym_bars = min(kTile, sh.bars[k] - t0);
    if (sym_bars <= 0) continue;  // warp-uniform
    const long long row0 = sh.row0[k] + t0;
    if (lane < kFamilies) layer2_tile(sh, k, lane, t0, sym_bars, parity, p);
    __syncwarp();
    for (int item = lane; item < kFamilies * kTile; item += kWarp) {
      const int f = item / kTile, j = item % kTile;
      if (j < sym_bars && out.family_equity[f] != nullptr) out.family_equity[f][row0 + j] = sh.family_equity[k][f][j];
    }
    Real average = Real(NAN), probe = Real(0);  // of bar t0 + lane
    if (lane < sym_bars) {
      Real x_signal[kFamilies];
      formulas::AverageSignalT<Real> sum;
#pragma unroll
      for (int f = 0; f < kFamilies; ++f) {
        x_signal[f] = sh.family_signal[k][f][lane];
        sum.add(x_signal[f], sh.family_equity[k][f][lane]);
      }
      const bool defined = t0 + lane >= p.cutout;
      average = defined ? sum.value() : Real(NAN);
      if (defined) probe = formulas::equity_probe(average, x_signal);
      if (out.average_signal != nullptr) out.average_signal[row0 + lane] = average;
    }
    track_nonfinite(probe, t0, lane, sh.nonfinite[k]);
    if (out.trend != nullptr)
      classify_tile(average, sym_bars, lane, row0, p, out, sh.direction[k], sh.average_prev[k], sh.a_prev[k]);
  }
  __syncthreads();  // warp k's lane 0 wrote sh.nonfinite[k]
  if (out.nonfinite_equity_bar != nullptr && tid < per_block && first + tid < in.series)
    out.nonfinite_equity_bar[first + tid] = sh.nonfinite[tid];
}


}  // namespace

// Tiles of 32 bars take more than the default 48 KB of shared memory.
void allow_shared_per_symbol(int bytes) {
  for_each_variant([bytes](auto calibration, auto real, auto acc) {
    allow_shared(bytes, fused_kernel<decltype(calibration)::value, decltype(real), decltype(acc)>);
  });
}

void launch_per_symbol(const FusedInput& input, const FusedParams& params, const DeviceColumns& out,
                       cudaStream_t stream) {
  // A ring holds the oldest bar a tile looks back to (t0 − L − 1) through its last bar.
  const int ring = ring_bars(max_length(params) + 1 + kTile);
  const bool float32 = params.float32 != 0;
  const auto shared_bytes_for = [&](int per_block) {
    return static_cast<int>(((float32 ? kRingOffsetOf<float> : kRingOffsetOf<double>) + per_block * ring) *
                            sizeof(double));
  };
  // Series per block: one while every series in flight can have a multiprocessor of its
  // own (each series' sequence of bars bounds the kernel); else two while blocks of two
  // fill at most half of the device's resident block slots (still latency-bound, and a
  // block of two finishes a tile sooner than one of three); else three (issue-bound:
  // fuller warps); the measurements behind the thresholds are in bench/RESULTS.md. Fewer
  // when the rings do not fit.
  const DeviceLimits& limits = device_limits();
  const int max_shared = limits.max_shared, multiprocessors = limits.multiprocessors;
  const long long in_flight = std::max<long long>(input.series, params.concurrent_series);
  int per_block = kBlockSeries;
  if (params.symbols_per_block > 0) {
    per_block = std::min(params.symbols_per_block, kBlockSeries);
  } else if (in_flight <= multiprocessors) {
    per_block = 1;
  } else {
    const int resident =  // blocks of two per multiprocessor
        resident_blocks(reinterpret_cast<const void*>(fused_kernel<false, double, double>), kFusedThreads,
                        shared_bytes_for(2));
    if ((in_flight + 1) / 2 <= static_cast<long long>(resident) * multiprocessors / 2) per_block = 2;
  }
  while (per_block > 1 && shared_bytes_for(per_block) > max_shared) --per_block;
  const int shared_bytes = shared_bytes_for(per_block);
  const auto blocks = static_cast<unsigned>((input.series + per_block - 1) / per_block);
  dispatch_variant(params, input.wide != 0, [&](auto calibration, auto real, auto acc) {
    constexpr bool kCalibration = decltype(calibration)::value;
    fused_kernel<kCalibration, decltype(real), decltype(acc)>
        <<<blocks, kFusedThreads, shared_bytes, stream>>>(input, params, out, ring - 1, per_block);
    ATC_CUDA_CHECK_LAUNCH(kCalibration ? "fused_kernel<calibration>" : "fused_kernel");
  });
}

}  // namespace atc::cuda::fused_detail
