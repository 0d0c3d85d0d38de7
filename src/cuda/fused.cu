// The fused path (see fused.hpp for the design and the contract).
#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "atc/error.hpp"
#include "chains.cuh"
#include "check.hpp"
#include "fused.hpp"

namespace atc::cuda {
namespace {

constexpr int kWarp = 32;

// --- the chain kernel --------------------------------------------------------------------

// Bars per tile of the chain kernel (one round of two block barriers), CMake's
// ATC_CUDA_FUSED_TILE.
#ifndef ATC_CUDA_FUSED_TILE
#error "ATC_CUDA_FUSED_TILE is set by src/cuda/CMakeLists.txt"
#endif
constexpr int kTile = ATC_CUDA_FUSED_TILE;
static_assert(kTile >= 1 && kTile <= 32, "a ring holds L + 1 + a tile of at most 32 bars");

constexpr int kLanes = kFusedSymbols;  // lane s: series s of the block
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

// True when a re-summation bar (a multiple of kResumPeriod) lies in [t0, t0 + kTile).
__device__ __forceinline__ bool resum_in_tile(int t0) {
  const int next = (t0 + kResumPeriod - 1) & ~(kResumPeriod - 1);
  return next < t0 + kTile;
}

// The chain block's shared memory: one tile's inputs and per-chain results, then the
// src rings (ring_size rows of ring_pitch values: bar t of series s at
// [(t & mask) · pitch + s]).
template <class Real>
struct ChainShared {
  Real equity[kTile][kEquityRow];         // E_i of (bar j, chain i, series s) at [j][i·32 + s]
  std::int8_t signal[kTile][kSignalRow];  // s_i, likewise
  Real close[kTile][kSeriesPitch];
  Real r[kTile][kSeriesPitch];            // R[t]·g[t] (NaN at t = 0)
  long long row0[kLanes];
  int bars[kLanes];
};
// Where the rings start, in Reals.
template <class Real>
constexpr int kRingOffsetOf = static_cast<int>((sizeof(ChainShared<Real>) + sizeof(Real) - 1) / sizeof(Real));

// One series' ring (a lane's view of the block's rings).
template <class Real>
struct Ring {
  const Real* p;
  int mask, pitch;
  __device__ __forceinline__ Real operator[](int t) const { return p[(t & mask) * pitch]; }
};
template <class Real>
using RingBar = BarOf<Ring<Real>, Real>;

// One MA chain of family F advanced by one bar. Two values hold every family's state
// (window sums; EMA; DEMA's e1, e2; KAMA's k and noise); the chain structs of chains.cuh
// are rebuilt around them so that the device performs exactly their operations.
template <int F, bool kSteady, class Real>
__device__ __forceinline__ Real advance(Real& a, Real& b, const RingBar<Real>& bar, const ChainConstants<Real>& c) {
  if constexpr (F == static_cast<int>(Family::EMA)) {
    EmaChain<Real> e{a};
    const Real ma = e.template step<kSteady>(bar, c);
    a = e.state;
    return ma;
  } else if constexpr (F == static_cast<int>(Family::DEMA)) {
    DemaChain<Real> d{a, b};
    const Real ma = d.template step<kSteady>(bar, c);
    a = d.e1;
    b = d.e2;
    return ma;
  } else if constexpr (F == static_cast<int>(Family::KAMA)) {
    KamaChain<Real> k{a, b};
    const Real ma = k.template step<kSteady>(bar, c);
    a = k.k;
    b = k.noise;
    return ma;
  } else {  // SMA ("HMA"), WMA, LSMA: the window sums, then the family's value
    WindowSums<Real> w{a, b};
    const bool ready = w.template step<kSteady>(bar, c.len);
    a = w.sum_y;
    b = w.sum_w;
    return ready ? FamilyChainT<F, Real>::value(w, c) : Real(NAN);
  }
}

// The per-lane state of one chain across tiles.
template <class Real>
struct LaneState {
  Real a = Real(0), b = Real(0);  // the MA chain (see advance)
  MaTracker<Real> tracker;
  Real close_prev = Real(NAN), x_prev = Real(NAN);
};

// Bars per iteration of a steady tile's loop (CMake's ATC_CUDA_STEADY_UNROLL).
#ifndef ATC_CUDA_STEADY_UNROLL
#error "ATC_CUDA_STEADY_UNROLL is set by src/cuda/CMakeLists.txt"
#endif
constexpr int kSteadyUnroll = ATC_CUDA_STEADY_UNROLL;

// One tile of chain `chain` of series `lane`: bars t0 .. t0 + bars − 1. kSteady: a whole
// tile past the chain's warm-up and the cutout, and not a re-summation tile, run
// without those branches.
template <int F, bool kCalibration, bool kSteady, class Real>
__device__ __forceinline__ void chain_tile(LaneState<Real>& st, ChainShared<Real>& sh, const Ring<Real>& ring,
                                           int t0, int bars, int chain, int lane, int len, const FusedParams& p,
                                           const DeviceColumns& out, long long row0, bool calibrating) {
  const ChainConstants<Real> constants = FamilyChainT<F, Real>::constants(len);
  const Real keep = static_cast<Real>(p.keep);
  const int at = chain * kLanes + lane;
  const auto bar_step = [&](int k) {
    const int t = t0 + k;
    const Real c = sh.close[k][lane], x = ring[t];
    const RingBar<Real> bar{t, x, st.x_prev, ring};
    const Real ma = advance<F, kSteady>(st.a, st.b, bar, constants);
    const Real e = st.tracker.template step<kSteady>(t, p.cutout, ma, c, st.close_prev, sh.r[k][lane], keep);
    sh.equity[k][at] = e;
    sh.signal[k][at] = st.tracker.signal;
    if (kCalibration && calibrating) {
      out.ma[chain][row0 + t] = ma;
      out.ma_signal[chain][row0 + t] = st.tracker.signal;
      out.ma_equity[chain][row0 + t] = e;
    }
    st.close_prev = c;
    st.x_prev = x;
  };
  if constexpr (kSteady) {
#pragma unroll kSteadyUnroll
    for (int k = 0; k < kTile; ++k) bar_step(k);
  } else {
    for (int k = 0; k < bars; ++k) bar_step(k);
  }
}

// Where each family's Layer-1 hundredths go (and the Layer-2 kernel reads them): the
// caller's column (stride 1) or the workspace (rows × kFamilies, stride kFamilies).
struct HundredthsColumns {
  std::int8_t* p[kFamilies] = {};
  int stride[kFamilies] = {};
};

// Blocks per multiprocessor the chain kernel is compiled for, from CMake's resident-warp
// goal ATC_CUDA_FUSED_MIN_WARPS.
#ifndef ATC_CUDA_FUSED_MIN_WARPS
#error "ATC_CUDA_FUSED_MIN_WARPS is set by src/cuda/CMakeLists.txt"
#endif
constexpr int kChainWarps = kChainThreads / kWarp;
constexpr int kMinBlocks = ATC_CUDA_FUSED_MIN_WARPS / kChainWarps > 0 ? ATC_CUDA_FUSED_MIN_WARPS / kChainWarps : 1;

// The families from the costliest chain to the cheapest (per-bar instructions: KAMA 111,
// LSMA 103, WMA and SMA 76, DEMA 51, EMA 46): blocks start in this order, so that the
// cheap ones fill the end of the grid.
__constant__ int kFamilyByCost[kFamilies] = {5, 4, 2, 1, 3, 0};

// Block (x, y) covers series [x·per_block, x·per_block + per_block) of family kFamilyByCost[y].
// kCalibration: family p.calibration also writes its 9 MAs, signals and equities.
template <bool kCalibration, class Real>
__global__ void __launch_bounds__(kChainThreads, kMinBlocks)
    chain_kernel(FusedInput in, FusedParams p, DeviceColumns out, HundredthsColumns hundredths, int ring_mask,
                 int ring_pitch, int per_block) {
  extern __shared__ double shared_storage[];
  ChainShared<Real>& sh = *reinterpret_cast<ChainShared<Real>*>(shared_storage);
  Real* const rings = reinterpret_cast<Real*>(shared_storage) + kRingOffsetOf<Real>;

  const int tid = static_cast<int>(threadIdx.x), chain = tid / kWarp, lane = tid % kWarp;
  const int family = kFamilyByCost[blockIdx.y];
  const int first = static_cast<int>(blockIdx.x) * per_block;
  if (tid < kLanes) {
    long long row0 = 0;
    int bars = 0;
    if (tid < per_block && first + tid < in.series) {
      row0 = in.offset[first + tid];
      bars = static_cast<int>(in.offset[first + tid + 1] - row0);
    }
    sh.row0[tid] = row0;
    sh.bars[tid] = bars;
  }
  __syncthreads();
  int longest = 0;
  for (int s = 0; s < per_block; ++s) longest = max(longest, sh.bars[s]);

  const int len = p.length[family][chain];
  const int lane_bars = sh.bars[lane];
  const long long lane_row0 = sh.row0[lane];
  const bool calibrating = kCalibration && family == p.calibration;
  const Ring<Real> ring{rings + (lane < per_block ? lane : 0), ring_mask, ring_pitch};
  LaneState<Real> state;

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
    const Real close = static_cast<Real>(in.close[row]);
    const Real close_prev = t > 0 ? static_cast<Real>(in.close[row - 1]) : Real(NAN);
    const Real src = in.src != nullptr ? static_cast<Real>(in.src[row]) : close;
    sh.close[j][s] = close;
    rings[(t & ring_mask) * ring_pitch + s] = src;
    sh.r[j][s] = t > 0 ? (close - close_prev) / close_prev * static_cast<Real>(in.growth[t]) : Real(NAN);
  };
  // Layer 1 of (series, bar), summed in the order L, L+o1..L+o4, L−o1..L−o4.
  const auto layer1 = [&](int unit, int t0) {
    int s = 0, j = 0;
    if (!item_of(unit, s, j)) return;
    const int t = t0 + j;
    if (t >= sh.bars[s]) return;
    Real num = Real(0), den = Real(0);
#pragma unroll
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      const Real e = sh.equity[j][i * kLanes + s];
      num += sh.signal[j][i * kLanes + s] * e;
      den += e;
    }
    const long long row = sh.row0[s] + t;
    const bool before_cutout = t < p.cutout;
    // hundredths / 100 is formulas::round2(num / den), operation for operation. The
    // double column holds it divided in double: exact hundredths in either precision.
    const Real h = floor(Real(100) * (num / den) + Real(0.5));
    if (out.family_signal[family] != nullptr)
      out.family_signal[family][row] = before_cutout ? NAN : static_cast<double>(h) / 100.0;
    if (hundredths.p[family] != nullptr)
      hundredths.p[family][row * hundredths.stride[family]] = before_cutout ? kHundredthsNaN : static_cast<std::int8_t>(h);
  };

  for (int unit = chain; unit < units; unit += kChainWarps) stage(unit, 0);
  __syncthreads();
  for (int t0 = 0; t0 < longest; t0 += kTile) {
    // The previous tile's Layer 1 finished reading the chain results before the last
    // barrier; this tile's inputs were staged before it.
    const int bars = min(kTile, lane_bars - t0);
    if (lane < per_block && bars > 0) {
      const bool steady = bars == kTile && t0 >= p.steady_from[family] && !resum_in_tile(t0);
#define ATC_CHAIN_FAMILY(F)                                                                                  \
  case F:                                                                                                    \
    if (steady)                                                                                              \
      chain_tile<F, kCalibration, true>(state, sh, ring, t0, bars, chain, lane, len, p, out, lane_row0,      \
                                        calibrating);                                                        \
    else                                                                                                     \
      chain_tile<F, kCalibration, false>(state, sh, ring, t0, bars, chain, lane, len, p, out, lane_row0,     \
                                         calibrating);                                                       \
    break;
      switch (family) {  // block-uniform
        ATC_CHAIN_FAMILY(0)
        ATC_CHAIN_FAMILY(1)
        ATC_CHAIN_FAMILY(2)
        ATC_CHAIN_FAMILY(3)
        ATC_CHAIN_FAMILY(4)
        ATC_CHAIN_FAMILY(5)
      }
#undef ATC_CHAIN_FAMILY
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
};

// Block b covers series [32·b, 32·b + 32).
template <class Real>
__global__ void __launch_bounds__(kLayer2Threads)
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
    int bars = 0;
    if (first + tid < in.series) {
      row0 = in.offset[first + tid];
      bars = static_cast<int>(in.offset[first + tid + 1] - row0);
    }
    sh.row0[tid] = row0;
    sh.bars[tid] = bars;
    sh.direction[tid] = 0;
    sh.average_prev[tid] = Real(NAN);
    sh.a_prev[tid] = Real(NAN);
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
    const int t = t0 + lane;
    for (int pair = warp; pair < kFamilies * kLayer2Series; pair += kFamilies) {
      const int pf = pair / kLayer2Series, ps = pair % kLayer2Series;
      if (t < sh.bars[ps])
        sh.hundredths[pf][lane][ps] = hundredths.p[pf][(sh.row0[ps] + t) * hundredths.stride[pf]];
    }
    for (int ps = warp; ps < kLayer2Series; ps += kFamilies) {
      if (t >= sh.bars[ps]) continue;
      const long long row = sh.row0[ps] + t;
      const Real close = static_cast<Real>(in.close[row]);
      const Real close_prev = t > 0 ? static_cast<Real>(in.close[row - 1]) : Real(NAN);
      sh.r[lane][ps] = t > 0 ? (close - close_prev) / close_prev * static_cast<Real>(in.growth[t]) : Real(NAN);
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
      Real average = Real(NAN);  // of bar t0 + lane
      if (lane < sym_bars) {
        Real num = Real(0), den = Real(0);
#pragma unroll
        for (int pf = 0; pf < kFamilies; ++pf) {  // order EMA, HMA, WMA, DEMA, LSMA, KAMA
          const Real e = sh.equity[pf][lane][ps];
          num += formulas::cut(sh.signal_of[static_cast<std::uint8_t>(sh.hundredths[pf][lane][ps])]) * e;
          den += e;
        }
        average = t0 + lane < p.cutout ? Real(NAN) : num / den;
        if (out.average_signal != nullptr) out.average_signal[row0 + lane] = average;
      }
      if (out.classification[0] == nullptr) continue;
      // The classification of the tile's bars in parallel, lane j = bar t0 + j: only the
      // persistent direction is sequential, and it is the last crossing before the bar
      // (or the carried state), found with a ballot.
      const bool valid = lane < sym_bars;
      const Real long_threshold = static_cast<Real>(p.long_threshold);
      const Real short_threshold = static_cast<Real>(p.short_threshold);
      const Real average_before = __shfl_up_sync(~0u, average, 1);
      const Real a = !p.strategy ? average : (lane == 0 ? sh.average_prev[ps] : average_before);
      const Real a_before = __shfl_up_sync(~0u, a, 1);
      const Real a_prev = lane == 0 ? sh.a_prev[ps] : a_before;
      formulas::Classifier crossing;  // from "none": its direction is this bar's crossing
      crossing.step(a, a_prev, long_threshold, short_threshold);
      const int event = valid ? crossing.dir : 0;
      const unsigned earlier = __ballot_sync(~0u, event != 0) & ((1u << lane) - 1u);
      const int last = earlier != 0 ? 31 - __clz(earlier) : 0;
      const int last_event = __shfl_sync(~0u, event, last);
      formulas::Classifier classifier;
      classifier.dir = static_cast<std::int8_t>(earlier != 0 ? last_event : sh.direction[ps]);
      const auto b = classifier.step(a, a_prev, long_threshold, short_threshold);
      const int end = sym_bars - 1;
      const int direction_after = __shfl_sync(~0u, static_cast<int>(classifier.dir), end);
      const Real average_last = __shfl_sync(~0u, average, end), a_last = __shfl_sync(~0u, a, end);
      __syncwarp();  // every lane has read the carried state
      if (valid) {
        const std::int8_t values[kFusedClassOutputs] = {b.trend, b.state, b.direction, b.long_entry, b.short_entry};
#pragma unroll
        for (int c = 0; c < kFusedClassOutputs; ++c) out.classification[c][row0 + lane] = values[c];
      }
      if (lane == 0) {
        sh.direction[ps] = static_cast<std::int8_t>(direction_after);
        sh.average_prev[ps] = average_last;
        sh.a_prev[ps] = a_last;
      }
    }
    __syncthreads();  // the tile's readers are done before the next one is staged
  }
}

// --- launch ------------------------------------------------------------------------------

int max_length(const FusedParams& p) {
  int longest = 1;
  for (const auto& family : p.length)
    for (int len : family) longest = len > longest ? len : longest;
  return longest;
}

bool wants_layer2(const DeviceColumns& out) {
  if (out.average_signal != nullptr || out.classification[0] != nullptr) return true;
  return std::any_of(std::begin(out.family_equity), std::end(out.family_equity), [](double* c) { return c != nullptr; });
}

int families_without_hundredths(const DeviceColumns& out) {
  return static_cast<int>(std::count(std::begin(out.family_signal_hundredths), std::end(out.family_signal_hundredths),
                                     nullptr));
}

}  // namespace

FusedParams make_fused_params(const Config& config, int calibration_family) {
  FusedParams p{};
  for (Family family : kAllFamilies) {
    const int f = static_cast<int>(family);
    const auto lengths = config.lengths(family);
    // The first tile start from which every chain of the family is past its warm-up,
    // and every curve past the cutout (and bar 0).
    int steady_from = std::max(config.cutout + 1, 1);
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      p.length[f][i] = lengths[i];
      steady_from = std::max(steady_from, cuda::steady_from(family, lengths[i]));
    }
    p.steady_from[f] = steady_from;
    p.weight[f] = config.weight[f];
  }
  p.keep = 1.0 - config.decay_rate();
  p.long_threshold = config.long_threshold;
  p.short_threshold = config.short_threshold;
  p.cutout = config.cutout;
  p.strategy = config.strategy ? 1 : 0;
  p.calibration = calibration_family;
  p.symbols_per_block = 0;
  p.concurrent_series = 0;
  p.float32 = 0;
  return p;
}

std::size_t fused_workspace_bytes(std::size_t rows, const DeviceColumns& out) {
  return wants_layer2(out) && families_without_hundredths(out) > 0 ? rows * kFamilies : 0;
}

void launch_fused(const FusedInput& input, const FusedParams& params, const DeviceColumns& out, void* workspace,
                  cudaStream_t stream) {
  if (input.series == 0) return;
  const int longest = max_length(params);
  if (longest > kFusedMaxLength)
    throw Error("CUDA backend: MA length " + std::to_string(longest) + " exceeds the fused kernel's limit of " +
                std::to_string(kFusedMaxLength));
  const bool layer2 = wants_layer2(out);
  if (layer2 && families_without_hundredths(out) > 0 && workspace == nullptr)
    throw Error("CUDA backend: the fused path needs a workspace of fused_workspace_bytes() bytes");
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

  // A ring holds the oldest bar a tile looks back to (t0 − L − 1) through its last bar.
  int ring = 1;
  while (ring < longest + 1 + kTile) ring *= 2;
  const bool float32 = params.float32 != 0;
  const auto pitch_for = [](int per_block) { return per_block | 1; };  // odd: see kSeriesPitch
  const auto shared_bytes_for = [&](int per_block) {
    const int values = ring * pitch_for(per_block);
    return float32 ? static_cast<int>((kRingOffsetOf<float> + values) * sizeof(float))
                   : static_cast<int>((kRingOffsetOf<double> + values) * sizeof(double));
  };
  int device = 0, max_shared = 0, multiprocessors = 0;
  ATC_CUDA_CHECK(cudaGetDevice(&device));
  ATC_CUDA_CHECK(cudaDeviceGetAttribute(&max_shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  ATC_CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
  // The limit is set to the device's maximum, always the same value: a launch captured in
  // a CUDA graph keeps its own size, and a smaller limit set for a later launch would make
  // the graph's replay fail (cudaErrorLaunchOutOfResources). A host-side attribute, no
  // stream work.
  const auto allow_shared = [&](auto kernel) {
    ATC_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, max_shared));
  };
  allow_shared(chain_kernel<false, double>);
  allow_shared(chain_kernel<true, double>);
  allow_shared(chain_kernel<false, float>);
  allow_shared(chain_kernel<true, float>);
  allow_shared(layer2_kernel<double>);
  allow_shared(layer2_kernel<float>);

  // Series per block: 32 (full warps) when the batch fills the device with them; fewer
  // when a batch in flight is too small to, so that its blocks spread over more
  // multiprocessors (each series' sequence of bars bounds the kernel then). Fewer still
  // when the rings do not fit.
  const long long in_flight = std::max<long long>(input.series, params.concurrent_series);
  int per_block = kFusedSymbols;
  if (params.symbols_per_block > 0) {
    per_block = std::min(params.symbols_per_block, kFusedSymbols);
  } else {
    int resident = 0;
    ATC_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, chain_kernel<false, double>, kChainThreads,
                                                                 shared_bytes_for(kFusedSymbols)));
    const long long slots = static_cast<long long>(std::max(resident, 1)) * multiprocessors;
    const long long wanted = (in_flight * kFamilies + slots - 1) / slots;
    per_block = static_cast<int>(std::clamp<long long>(wanted, 1, kFusedSymbols));
  }
  while (per_block > 1 && shared_bytes_for(per_block) > max_shared) --per_block;
  const int shared_bytes = shared_bytes_for(per_block);
  const dim3 chain_grid(static_cast<unsigned>((input.series + per_block - 1) / per_block), kFamilies);
  const auto check_launch = [](const char* name) {
    const cudaError_t status = cudaGetLastError();
    if (status != cudaSuccess) throw_cuda_error(status, name, __FILE__, __LINE__);
  };
  const auto launch_chains = [&](auto kernel, const char* name) {
    kernel<<<chain_grid, kChainThreads, shared_bytes, stream>>>(input, params, out, hundredths, ring - 1,
                                                                pitch_for(per_block), per_block);
    check_launch(name);
  };
  const auto launch_layer2 = [&](auto kernel, int bytes, const char* name) {
    const auto blocks = static_cast<unsigned>((input.series + kLayer2Series - 1) / kLayer2Series);
    kernel<<<blocks, kLayer2Threads, bytes, stream>>>(input, params, out, hundredths);
    check_launch(name);
  };
  if (float32) {
    if (params.calibration >= 0) launch_chains(chain_kernel<true, float>, "launch of chain_kernel<calibration, float>");
    else launch_chains(chain_kernel<false, float>, "launch of chain_kernel<float>");
    if (layer2) launch_layer2(layer2_kernel<float>, sizeof(Layer2Shared<float>), "launch of layer2_kernel<float>");
  } else {
    if (params.calibration >= 0) launch_chains(chain_kernel<true, double>, "launch of chain_kernel<calibration>");
    else launch_chains(chain_kernel<false, double>, "launch of chain_kernel");
    if (layer2) launch_layer2(layer2_kernel<double>, sizeof(Layer2Shared<double>), "launch of layer2_kernel");
  }
}

}  // namespace atc::cuda
