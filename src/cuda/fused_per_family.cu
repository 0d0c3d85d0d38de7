// The per-family fused kernels: the throughput path of launch_fused (fused.hpp has the
// design): a chain kernel whose block runs one family for up to 32 series (warp = length,
// lane = series), then a Layer-2 kernel.
#include <algorithm>
#include <cmath>

#include "check.hpp"
#include "fused_common.cuh"

namespace atc::cuda::fused_detail {
namespace {

// --- the chain kernel --------------------------------------------------------------------

// Bars per tile of the chain kernel (one round of two block barriers).
constexpr int kTile = FusedPolicy::kPerFamily.tile;
static_assert(kTile >= 1 && kTile <= 32, "a ring holds L + 1 + a tile of at most 32 bars");

constexpr int kLanes = 32;  // lane s: series s of the block
static_assert(kLanes == kWarp);
constexpr int kChainThreads = kLengthsPerFamily * kWarp;  // warp i: chain i of the family
// Rows of the staged tile, one per bar, padded to an odd number of values: the staging
// lanes (16 bars of one series per half-warp) hit distinct banks, as do the chain lanes
// (one bar, consecutive series).
constexpr int kSeriesPitch = kLanes + 1;
// Per bar, the 9 chains' results of the 32 series, then one value of padding so that the
// Layer-1 lanes (16 bars of one series) hit distinct banks; the int8 signals likewise
// with one word (73 words a bar).
constexpr int kEquityRow = kLengthsPerFamily * kLanes + 1;
constexpr int kSignalRow = kLengthsPerFamily * kLanes + 4;

// The chain block's shared memory: one tile's inputs and per-chain results, then the
// src rings (ring_size rows of ring_pitch values: bar t of series s at
// [(t & mask) · pitch + s]).
template <class Real>
struct ChainShared {
  Real equity[kTile][kEquityRow];         // E_i of (bar j, chain i, series s) at [j][i·32 + s]
  std::int8_t signal[kTile][kSignalRow];  // s_i, likewise
  double close[kTile][kSeriesPitch];
  Real r[kTile][kSeriesPitch];            // R[t]·g[t] (NaN at t = 0)
  long long row0[kLanes];
  int bars[kLanes];
  exact::TickScale ticks[kLanes];
};
// Where the rings (of doubles) start, in doubles.
template <class Real>
constexpr int kRingOffsetOf = static_cast<int>((sizeof(ChainShared<Real>) + sizeof(double) - 1) / sizeof(double));

using InterleavedRing = Ring<true>;  // the block's rings interleaved by series

// One tile of chain `chain` of series `lane`: bars t0 .. t0 + bars − 1. kSteady: a whole
// tile past the chain's warm-up and the cutout, and with no change of tick scale, run
// without those branches.
template <int F, bool kCalibration, bool kSteady, class Real, class Acc>
__device__ __forceinline__ void chain_tile(LaneState<Real, Acc>& st, ChainShared<Real>& sh, const InterleavedRing& ring,
                                           const exact::TickScale& scale, int t0, int bars, int chain, int lane,
                                           int len, const FusedParams& p, const DeviceColumns& out, long long row0,
                                           bool calibrating) {
  const ChainConstants<Real> constants = FamilyChainT<F>::template constants<Real>(len);
  const Real keep = static_cast<Real>(p.keep);
  const double tile_multiplier = scale.multiplier(t0);
  const int at = chain * kLanes + lane;
  for_each_bar<kTile, kSteady>(bars, [&](int k) {
    sh.equity[k][at] = chain_bar<F, kCalibration, kSteady>(st, ring, t0 + k, sh.close[k][lane], sh.r[k][lane], scale,
                                                           tile_multiplier, constants, keep, p, out, chain, row0, calibrating);
    sh.signal[k][at] = st.tracker.signal;
  });
}

// Where each family's Layer-1 hundredths go (and the Layer-2 kernel reads them): the
// caller's column (stride 1) or the workspace (rows × kFamilies, stride kFamilies).
struct HundredthsColumns {
  std::int8_t* p[kFamilies] = {};
  int stride[kFamilies] = {};
};

// Blocks per multiprocessor the chain kernel is compiled for, from its policy's
// resident-warp goal.
constexpr int kChainWarps = kChainThreads / kWarp;
constexpr int kMinBlocks = FusedPolicy::kPerFamily.min_warps / kChainWarps > 0 ? FusedPolicy::kPerFamily.min_warps / kChainWarps : 1;

// The families from the costliest chain to the cheapest (FamilyTraits::cost): blocks
// start in this order, so that the cheap ones fill the end of the grid.
__constant__ FamilyOrder kFamilyByCost = families_by_cost();
static_assert(families_by_cost().family[0] == static_cast<int>(Family::KAMA));

// Block (x, y) covers series [x·per_block, x·per_block + per_block) of family kFamilyByCost.family[y].
// kCalibration: family p.calibration also writes its 9 MAs, signals and equities.
template <bool kCalibration, class Real, class Acc>
__global__ void __launch_bounds__(kChainThreads, kMinBlocks)
    chain_kernel(FusedInput in, FusedParams p, DeviceColumns out, HundredthsColumns hundredths, int ring_mask,
                 int ring_pitch, int per_block) {
  extern __shared__ double shared_storage[];
  ChainShared<Real>& sh = *reinterpret_cast<ChainShared<Real>*>(shared_storage);
  double* const rings = shared_storage + kRingOffsetOf<Real>;

  const int tid = static_cast<int>(threadIdx.x), chain = tid / kWarp, lane = tid % kWarp;
  const int family = kFamilyByCost.family[blockIdx.y];
  const int first = static_cast<int>(blockIdx.x) * per_block;
  if (tid < kLanes) {
    long long row0 = 0;
    sh.bars[tid] = tid < per_block ? series_rows(in, first + tid, row0) : 0;
    sh.row0[tid] = row0;
    sh.ticks[tid] = sh.bars[tid] > 0 ? in.ticks[first + tid] : exact::TickScale{};
  }
  __syncthreads();
  int longest = 0;
  for (int s = 0; s < per_block; ++s) longest = max(longest, sh.bars[s]);

  const int len = p.length[family][chain];
  const int lane_bars = sh.bars[lane];
  const long long lane_row0 = sh.row0[lane];
  const bool calibrating = kCalibration && family == p.calibration;
  const InterleavedRing ring{rings + (lane < per_block ? lane : 0), ring_mask, ring_pitch};
  const exact::TickScale& scale = sh.ticks[lane];
  LaneState<Real, Acc> state;
  if (lane < per_block && lane_bars > 0 && (family == static_cast<int>(Family::EMA) || family == static_cast<int>(Family::DEMA)))
    prime_chain<static_cast<int>(Family::EMA)>(state.chain, (in.src != nullptr ? in.src : in.close) + lane_row0,
                                               lane_bars, len, scale);

  // Staging and Layer 1 share one map of a tile's (series, bar) items onto the lanes:
  // item q·32 + lane is bar j = item % kTile of series s = item / kTile, so that a
  // half-warp reads and writes runs of consecutive rows.
  const int units = (per_block * kTile + kWarp - 1) / kWarp;
  const auto item_of = [&](int unit, int& s, int& j) {
    const int item = unit * kWarp + lane;
    s = item / kTile;
    j = item % kTile;
    return s < per_block;
  };
  const auto stage = [&](int unit, int t0) {
    int s = 0, j = 0;
    if (!item_of(unit, s, j)) return;
    const int t = t0 + j;
    if (t >= sh.bars[s]) return;
    const long long row = sh.row0[s] + t;
    const double close = in.close[row];
    sh.close[j][s] = close;
    rings[(t & ring_mask) * ring_pitch + s] = in.src != nullptr ? in.src[row] : close;
    const Real c = static_cast<Real>(close);
    const Real c_prev = t > 0 ? static_cast<Real>(in.close[row - 1]) : Real(NAN);
    sh.r[j][s] = t > 0 ? (c - c_prev) / c_prev * static_cast<Real>(in.growth[t]) : Real(NAN);
  };
  // Layer 1 of (series, bar), summed in the order L, L+o1..L+o4, L−o1..L−o4.
  const auto layer1 = [&](int unit, int t0) {
    int s = 0, j = 0;
    if (!item_of(unit, s, j)) return;
    const int t = t0 + j;
    if (t >= sh.bars[s]) return;
    formulas::WeightedSumT<Real> sum;
#pragma unroll
    for (int i = 0; i < kLengthsPerFamily; ++i)
      sum.add(sh.signal[j][i * kLanes + s], sh.equity[j][i * kLanes + s]);
    const long long row = sh.row0[s] + t;
    const bool before_cutout = t < p.cutout;
    // h / 100 is formulas::round2 of the ratio. The double column holds it divided in
    // double: exact hundredths in either precision.
    const Real h = formulas::hundredths(sum.ratio());
    if (out.family_signal[family] != nullptr)
      out.family_signal[family][row] = before_cutout ? NAN : static_cast<double>(h) / 100.0;
    if (hundredths.p[family] != nullptr)
      hundredths.p[family][row * hundredths.stride[family]] = hundredths_of(h, before_cutout);
  };

  for (int unit = chain; unit < units; unit += kChainWarps) stage(unit, 0);
  __syncthreads();
  for (int t0 = 0; t0 < longest; t0 += kTile) {
    // The previous tile's Layer 1 finished reading the chain results before the last
    // barrier; this tile's inputs were staged before it.
    const int bars = min(kTile, lane_bars - t0);
    if (lane < per_block && bars > 0) {
      const bool steady = bars == kTile && t0 >= p.steady_from[family] && !rebase_in_tile<kTile>(scale, t0);
      dispatch_family(family, [&](auto f) {  // block-uniform
        constexpr int F = decltype(f)::value;
        if (steady)
          chain_tile<F, kCalibration, true>(state, sh, ring, scale, t0, bars, chain, lane, len, p, out, lane_row0,
                                            calibrating);
        else
          chain_tile<F, kCalibration, false>(state, sh, ring, scale, t0, bars, chain, lane, len, p, out, lane_row0,
                                             calibrating);
      });
    }
    __syncthreads();
    // Layer 1 of this tile and the next tile's inputs: the chains are done with this
    // tile's close, R·g and the ring slots the next tile overwrites (a ring holds
    // L + 1 + a tile of bars).
    const int next = t0 + kTile;
    for (int unit = chain; unit < 2 * units; unit += kChainWarps) {
      if (unit < units) layer1(unit, t0);
      else if (next < longest) stage(unit - units, next);
    }
    __syncthreads();
  }
}

// --- the Layer-2 kernel ------------------------------------------------------------------

constexpr int kLayer2Tile = 32;    // bars per tile: a warp's lanes in the classification
constexpr int kLayer2Series = 32;  // series per block: a warp's lanes in Layer 2
constexpr int kLayer2Threads = kFamilies * kWarp;  // warp f: family f's Layer 2
constexpr int kHundredthsRow = kLayer2Series + 4;  // 9 words: the staging lanes (32 bars) hit distinct banks
constexpr int kLayer2Pitch = kLayer2Series + 1;

template <class Real>
struct Layer2Shared {
  Real signal_of[256];  // X_Signal of each int8 bit pattern (NaN for kHundredthsNaN)
  std::int8_t hundredths[kFamilies][kLayer2Tile][kHundredthsRow];
  Real r[kLayer2Tile][kLayer2Pitch];
  Real equity[kFamilies][kLayer2Tile][kLayer2Pitch];  // X_S
  long long row0[kLayer2Series];
  int bars[kLayer2Series];
  Real average_prev[kLayer2Series], a_prev[kLayer2Series];  // A and a of the last bar
  std::int8_t direction[kLayer2Series];                     // classification state after the last bar
  long long nonfinite[kLayer2Series];                       // track_nonfinite's first bar, −1 until found
};

// Block b covers series [32·b, 32·b + 32).
template <class Real>
__global__ void __launch_bounds__(kLayer2Threads, 3)
    layer2_kernel(FusedInput in, FusedParams p, DeviceColumns out, HundredthsColumns hundredths) {
  extern __shared__ double shared_storage[];
  Layer2Shared<Real>& sh = *reinterpret_cast<Layer2Shared<Real>*>(shared_storage);
  const int tid = static_cast<int>(threadIdx.x), warp = tid / kWarp, lane = tid % kWarp;
  const int first = static_cast<int>(blockIdx.x) * kLayer2Series;
  for (int bits = tid; bits < 256; bits += kLayer2Threads) {
    const auto k = static_cast<std::int8_t>(static_cast<std::uint8_t>(bits));
    sh.signal_of[bits] = k == kHundredthsNaN ? Real(NAN) : static_cast<Real>(k) / Real(100);
  }
  if (tid < kLayer2Series) {
    long long row0 = 0;
    sh.bars[tid] = series_rows(in, first + tid, row0);
    sh.row0[tid] = row0;
    sh.direction[tid] = 0;
    sh.average_prev[tid] = Real(NAN);
    sh.a_prev[tid] = Real(NAN);
    sh.nonfinite[tid] = -1;
  }
  __syncthreads();
  int longest = 0;
  for (int s = 0; s < kLayer2Series; ++s) longest = max(longest, sh.bars[s]);

  // Thread (family f = warp, series s = lane): its Layer-2 curve.
  const int f = warp, s = lane;
  formulas::EquityT<Real> layer2;
  Real signal_prev = Real(NAN);
  const Real keep = static_cast<Real>(p.keep);
  const Real weight = static_cast<Real>(p.weight[f]);

  for (int t0 = 0; t0 < longest; t0 += kLayer2Tile) {
    // Stage the tile (lane = bar): the hundredths of (family, series) pairs, then R·g.
    // Every load of a thread is issued before the first store, so that the tile waits on
    // one global-memory latency rather than one per load.
    const int t = t0 + lane;
    constexpr int kPairsPerWarp = kFamilies * kLayer2Series / kFamilies;
    constexpr int kPairsInFlight = kPairsPerWarp / 2;  // in two rounds: registers for three blocks an SM
#pragma unroll 1
    for (int first = 0; first < kPairsPerWarp; first += kPairsInFlight) {
      std::int8_t staged[kPairsInFlight];
#pragma unroll
      for (int k = 0; k < kPairsInFlight; ++k) {
        const int pair = warp + kFamilies * (first + k), pf = pair / kLayer2Series, ps = pair % kLayer2Series;
        staged[k] = t < sh.bars[ps] ? hundredths.p[pf][(sh.row0[ps] + t) * hundredths.stride[pf]] : std::int8_t{0};
      }
#pragma unroll
      for (int k = 0; k < kPairsInFlight; ++k) {
        const int pair = warp + kFamilies * (first + k);
        sh.hundredths[pair / kLayer2Series][lane][pair % kLayer2Series] = staged[k];
      }
    }
    constexpr int kSeriesPerWarp = (kLayer2Series + kFamilies - 1) / kFamilies;
    double close[kSeriesPerWarp], close_prev[kSeriesPerWarp];
    const double growth = t < longest ? in.growth[t] : 0.0;
#pragma unroll
    for (int k = 0; k < kSeriesPerWarp; ++k) {
      const int ps = warp + kFamilies * k;
      const bool valid = ps < kLayer2Series && t < sh.bars[ps];
      const long long row = valid ? sh.row0[ps] + t : 0;
      close[k] = valid ? in.close[row] : 0.0;
      close_prev[k] = valid && t > 0 ? in.close[row - 1] : NAN;
    }
#pragma unroll
    for (int k = 0; k < kSeriesPerWarp; ++k) {
      const int ps = warp + kFamilies * k;
      if (ps >= kLayer2Series || t >= sh.bars[ps]) continue;
      const Real c = static_cast<Real>(close[k]), c_prev = static_cast<Real>(close_prev[k]);
      sh.r[lane][ps] = t > 0 ? (c - c_prev) / c_prev * static_cast<Real>(growth) : Real(NAN);
    }
    __syncthreads();

    // Layer 2: X_S of family f of series s from the family signals of the previous bars.
    // A whole tile past the cutout runs without its branches.
    const int bars = min(kLayer2Tile, sh.bars[s] - t0);
    if (bars == kLayer2Tile && t0 > p.cutout) {
      for (int j = 0; j < kLayer2Tile; ++j) {
        sh.equity[f][j][s] = layer2.step_running(sh.r[j][s], signal_prev, keep);
        signal_prev = sh.signal_of[static_cast<std::uint8_t>(sh.hundredths[f][j][s])];
      }
    } else {
      for (int j = 0; j < bars; ++j) {
        sh.equity[f][j][s] = layer2.step(t0 + j, p.cutout, weight, sh.r[j][s], signal_prev, keep);
        signal_prev = sh.signal_of[static_cast<std::uint8_t>(sh.hundredths[f][j][s])];
      }
    }
    __syncthreads();

    // Lane = bar: X_S out, then per series Average_Signal and the classification.
    for (int pair = warp; pair < kFamilies * kLayer2Series; pair += kFamilies) {
      const int pf = pair / kLayer2Series, ps = pair % kLayer2Series;
      if (out.family_equity[pf] != nullptr && t < sh.bars[ps]) out.family_equity[pf][sh.row0[ps] + t] = sh.equity[pf][lane][ps];
    }
    for (int ps = warp; ps < kLayer2Series; ps += kFamilies) {
      const int sym_bars = min(kLayer2Tile, sh.bars[ps] - t0);
      if (sym_bars <= 0) continue;  // warp-uniform
      const long long row0 = sh.row0[ps] + t0;
      Real average = Real(NAN), probe = Real(0);  // of bar t0 + lane
      if (lane < sym_bars) {
        Real x_signal[kFamilies];
        formulas::AverageSignalT<Real> sum;
#pragma unroll
        for (int pf = 0; pf < kFamilies; ++pf) {
          x_signal[pf] = sh.signal_of[static_cast<std::uint8_t>(sh.hundredths[pf][lane][ps])];
          sum.add(x_signal[pf], sh.equity[pf][lane][ps]);
        }
        const bool defined = t0 + lane >= p.cutout;
        average = defined ? sum.value() : Real(NAN);
        if (defined) probe = formulas::equity_probe(average, x_signal);
        if (out.average_signal != nullptr) out.average_signal[row0 + lane] = average;
      }
      track_nonfinite(probe, t0, lane, sh.nonfinite[ps]);
      if (out.trend != nullptr)
        classify_tile(average, sym_bars, lane, row0, p, out, sh.direction[ps], sh.average_prev[ps], sh.a_prev[ps]);
    }
    __syncthreads();  // the tile's readers are done before the next one is staged
  }
  if (out.nonfinite_equity_bar != nullptr && tid < kLayer2Series && first + tid < in.series)
    out.nonfinite_equity_bar[first + tid] = sh.nonfinite[tid];
}

// A ring holds the oldest bar a tile looks back to (t0 − L − 1) through its last bar.
int chain_ring(const FusedParams& params) { return ring_bars(max_length(params) + 1 + kTile); }
// The block's rings are interleaved with an odd pitch (see kSeriesPitch).
int ring_pitch(int per_block) { return per_block | 1; }
int chain_shared_bytes(int ring, int per_block, bool float32) {
  const int values = ring * ring_pitch(per_block);
  return static_cast<int>(((float32 ? kRingOffsetOf<float> : kRingOffsetOf<double>) + values) * sizeof(double));
}

}  // namespace

void launch_per_family(const FusedInput& input, const FusedParams& params, const DeviceColumns& out, void* workspace,
                       cudaStream_t stream) {
  const bool layer2 = wants_layer2(out);
  HundredthsColumns hundredths;
  for (int f = 0; f < kFamilies; ++f) {
    if (out.family_signal_hundredths[f] != nullptr) {
      hundredths.p[f] = out.family_signal_hundredths[f];
      hundredths.stride[f] = 1;
    } else if (layer2) {
      hundredths.p[f] = static_cast<std::int8_t*>(workspace) + f;
      hundredths.stride[f] = kFamilies;
    }
  }

  const int ring = chain_ring(params);
  const bool float32 = params.float32 != 0;
  const int max_shared = device_limits().max_shared;
  // Series per block: 32 (full warps) when the batch fills the device with them; fewer
  // when a batch in flight is too small to, so that its blocks spread over more
  // multiprocessors (each series' sequence of bars bounds the kernel then). Fewer still
  // when the rings do not fit.
  const long long in_flight = std::max<long long>(input.series, params.concurrent_series);
  int per_block = kLanes;
  if (params.symbols_per_block > 0) {
    per_block = std::min(params.symbols_per_block, kLanes);
  } else {
    const long long fill = per_family_series_to_fill(params);
    per_block = static_cast<int>(std::clamp<long long>((in_flight * kLanes + fill - 1) / fill, 1, kLanes));
  }
  const auto shared_bytes_for = [&](int per_block) { return chain_shared_bytes(ring, per_block, float32); };
  while (per_block > 1 && shared_bytes_for(per_block) > max_shared) --per_block;
  const int shared_bytes = shared_bytes_for(per_block);
  const dim3 chain_grid(static_cast<unsigned>((input.series + per_block - 1) / per_block), kFamilies);
  dispatch_variant(params, input.wide != 0, [&](auto calibration, auto real, auto acc) {
    using Real = decltype(real);
    constexpr bool kCalibration = decltype(calibration)::value;
    chain_kernel<kCalibration, Real, decltype(acc)><<<chain_grid, kChainThreads, shared_bytes, stream>>>(
        input, params, out, hundredths, ring - 1, ring_pitch(per_block), per_block);
    ATC_CUDA_CHECK_LAUNCH(kCalibration ? "chain_kernel<calibration>" : "chain_kernel");
    if (!layer2) return;
    const auto blocks = static_cast<unsigned>((input.series + kLayer2Series - 1) / kLayer2Series);
    layer2_kernel<Real><<<blocks, kLayer2Threads, sizeof(Layer2Shared<Real>), stream>>>(input, params, out, hundredths);
    ATC_CUDA_CHECK_LAUNCH("layer2_kernel");
  });
}

void allow_shared_per_family(int bytes) {
  for_each_variant([bytes](auto calibration, auto real, auto acc) {
    allow_shared(bytes, chain_kernel<decltype(calibration)::value, decltype(real), decltype(acc)>);
  });
  allow_shared(bytes, layer2_kernel<double>, layer2_kernel<float>);
}

long long per_family_series_to_fill(const FusedParams& params) {
  const DeviceLimits& limits = device_limits();
  const int resident = resident_blocks(reinterpret_cast<const void*>(chain_kernel<false, double, double>), kChainThreads,
                                       chain_shared_bytes(chain_ring(params), kLanes, false));
  const long long slots = static_cast<long long>(std::max(resident, 1)) * limits.multiprocessors;
  return (slots * kLanes + kFamilies - 1) / kFamilies;
}

}  // namespace atc::cuda::fused_detail
