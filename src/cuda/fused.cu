// The fused kernel (see fused.hpp for the design and the contract).
#include <cmath>
#include <string>

#include "atc/error.hpp"
#include "chains.cuh"
#include "check.hpp"
#include "fused.hpp"

namespace atc::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kGroups = 3;                                  // families per warp
constexpr int kChainLanes = kGroups * kLengthsPerFamily;    // 27 chain lanes per warp
constexpr int kChainPitch = 2 * kChainLanes + 1;            // 55: odd, so Layer-1 reads hit distinct banks
static_assert(kFusedThreads == 2 * kWarp && kTile <= kWarp);

// Chain group g = warp·3 + lane/9 runs one family: warp 0 the windowed families (one
// shared window step), warp 1 the recursive ones.
__host__ __device__ constexpr int group_family(int g) {  // HMA WMA LSMA | EMA DEMA KAMA
  return g == 0 ? 1 : g == 1 ? 2 : g == 2 ? 4 : g == 3 ? 0 : g == 4 ? 3 : 5;
}
__host__ __device__ constexpr int family_group(int f) {
  return f == 0 ? 3 : f == 1 ? 0 : f == 2 ? 1 : f == 3 ? 4 : f == 4 ? 2 : 5;
}
static_assert(family_group(group_family(0)) == 0 && family_group(group_family(1)) == 1 &&
              family_group(group_family(2)) == 2 && family_group(group_family(3)) == 3 &&
              family_group(group_family(4)) == 4 && family_group(group_family(5)) == 5);
constexpr int kHma = static_cast<int>(Family::HMA), kLsma = static_cast<int>(Family::LSMA),
              kDema = static_cast<int>(Family::DEMA), kKama = static_cast<int>(Family::KAMA);

// The block's shared memory: one tile's per-chain results and family rows, then the
// src ring (ring_size doubles, a power of two) holding bar t at [t & mask].
struct SharedTile {
  double equity[kTile][kChainPitch];         // E_i by chain slot (warp·27 + lane)
  std::int8_t signal[kTile][kChainPitch];    // s_i
  double close[kTile];
  double r[kTile];                           // R[t]·g[t], NaN at t = 0
  double family_signal[kFamilies][kTile];    // X_Signal
  double family_equity[kFamilies][kTile];    // X_S
  // Warp 0's state across tiles, kept here rather than in every thread's registers.
  formulas::Equity layer2[kFamilies];  // X_S of each family
  double family_signal_prev[kFamilies];
  std::int8_t direction;       // classification state after the last bar
  double average_prev, a_prev;  // A and a of the last bar
};
constexpr int kRingOffset = (static_cast<int>(sizeof(SharedTile)) + 7) / 8;  // in doubles

struct Ring {
  const double* p;
  int mask;
  __device__ __forceinline__ double operator[](int t) const { return p[t & mask]; }
};
using RingBar = BarOf<Ring>;

// One MA chain's state: two doubles cover every family (window sums; EMA; DEMA's e1, e2;
// KAMA's k and noise). The chain structs of chains.cuh are rebuilt around them each bar
// so that the device performs exactly their operations.
struct LaneChain {
  double a = 0.0, b = 0.0;

  // Warp 0: SMA, WMA and LSMA run one window step together, then their own value.
  __device__ __forceinline__ double windowed(const RingBar& bar, int family, int len, double coef) {
    WindowSums w{a, b};
    const bool ready = w.step(bar, len);
    a = w.sum_y;
    b = w.sum_w;
    if (!ready) return NAN;
    if (family == kLsma) return LsmaChain::value(w, len, coef);
    // SmaChain::value or WmaChain::value, as one division for both groups of lanes.
    return (family == kHma ? w.sum_y : w.sum_w) / coef;
  }

  // Warp 1: EMA is DEMA's first stage, so those lanes share it.
  __device__ __forceinline__ double recursive(const RingBar& bar, int family, int len, double coef) {
    if (family == kKama) {
      KamaChain k{a, b};
      const double ma = k.step(bar, len, coef);
      a = k.k;
      b = k.noise;
      return ma;
    }
    if (family == kDema) {
      DemaChain d{a, b};
      const double ma = d.step(bar, len, coef);
      a = d.e1;
      b = d.e2;
      return ma;
    }
    EmaChain e{a};
    const double ma = e.step(bar, len, coef);
    a = e.state;
    return ma;
  }
};

// Blocks per multiprocessor the kernel is compiled for (CMake ATC_CUDA_FUSED_MIN_BLOCKS).
#ifndef ATC_CUDA_FUSED_MIN_BLOCKS
#error "ATC_CUDA_FUSED_MIN_BLOCKS is set by src/cuda/CMakeLists.txt"
#endif

// One block per series. kCalibration: family p.calibration also writes its 9 MAs,
// signals and equities from the chain lanes.
template <bool kCalibration>
__global__ void __launch_bounds__(kFusedThreads, ATC_CUDA_FUSED_MIN_BLOCKS)
    fused_kernel(FusedInput in, FusedParams p, DeviceColumns out, int ring_mask) {
  extern __shared__ double shared_storage[];
  SharedTile& sh = *reinterpret_cast<SharedTile*>(shared_storage);
  const Ring ring{shared_storage + kRingOffset, ring_mask};

  const long long row0 = in.offset[blockIdx.x];
  const int n = static_cast<int>(in.offset[blockIdx.x + 1] - row0);
  const double* close = in.close + row0;
  const double* src = (in.src != nullptr ? in.src : in.close) + row0;

  const int tid = static_cast<int>(threadIdx.x), warp = tid / kWarp, lane = tid % kWarp;
  const bool chain_lane = lane < kChainLanes;
  const int slot = warp * kChainLanes + lane;
  const int group = warp * kGroups + min(lane, kChainLanes - 1) / kLengthsPerFamily;
  const int family = group_family(group), chain = lane % kLengthsPerFamily;
  const int len = p.length[family][chain];
  const double coef = p.coefficient[family][chain];
  const bool calibrating = kCalibration && chain_lane && family == p.calibration;

  LaneChain ma_chain;
  MaTracker tracker;
  double close_prev = NAN, x_prev = NAN;
  if (tid < kFamilies) {
    sh.layer2[tid] = formulas::Equity{};
    sh.family_signal_prev[tid] = NAN;
  }
  if (tid == 0) {
    sh.direction = 0;
    sh.average_prev = NAN;
    sh.a_prev = NAN;
  }

  // Thread k < kTile loads bar k of the next tile one tile ahead (coalesced), so that the
  // global-memory latency overlaps the chain work.
  double next_close = NAN, next_close_prev = NAN, next_src = NAN, next_growth = NAN;
  const auto prefetch = [&](int t) {
    if (t >= n) return;
    next_close = close[t];
    next_close_prev = t > 0 ? close[t - 1] : NAN;
    next_src = src[t];
    next_growth = in.growth[t];
  };
  if (tid < kTile) prefetch(tid);

  for (int t0 = 0; t0 < n; t0 += kTile) {
    const int bars = min(kTile, n - t0);
    // Stage the tile's inputs. The previous tile's readers of the ring slots, close and r
    // all finished before its last barrier, or are this warp (Layer 2 below).
    if (tid < bars) {
      const int t = t0 + tid;
      sh.close[tid] = next_close;
      shared_storage[kRingOffset + (t & ring_mask)] = next_src;
      sh.r[tid] = t > 0 ? (next_close - next_close_prev) / next_close_prev * next_growth : NAN;
    }
    if (tid < kTile) prefetch(t0 + kTile + tid);
    __syncthreads();

    if (chain_lane) {
      for (int k = 0; k < bars; ++k) {
        const int t = t0 + k;
        const double c = sh.close[k], x = ring[t];
        const RingBar bar{t, x, x_prev, ring};
        const double ma = warp == 0 ? ma_chain.windowed(bar, family, len, coef)
                                    : ma_chain.recursive(bar, family, len, coef);
        const double e = tracker.step(t, p.cutout, ma, c, close_prev, sh.r[k], p.keep);
        sh.equity[k][slot] = e;
        sh.signal[k][slot] = tracker.signal;
        if (calibrating) {
          out.ma[chain][row0 + t] = ma;
          out.ma_signal[chain][row0 + t] = tracker.signal;
          out.ma_equity[chain][row0 + t] = e;
        }
        close_prev = c;
        x_prev = x;
      }
    }
    __syncthreads();

    // Layer 1 per (family, bar), summed in the order L, L+o1..L+o4, L−o1..L−o4.
    for (int item = tid; item < kFamilies * kTile; item += kFusedThreads) {
      const int f = item / kTile, k = item % kTile;
      if (k >= bars) continue;
      const int g = family_group(f);
      const int first = (g / kGroups) * kChainLanes + (g % kGroups) * kLengthsPerFamily;  // slot of chain 0
      double num = 0.0, den = 0.0;
#pragma unroll
      for (int i = 0; i < kLengthsPerFamily; ++i) {
        const double e = sh.equity[k][first + i];
        num += sh.signal[k][first + i] * e;
        den += e;
      }
      const long long row = row0 + t0 + k;
      const bool before_cutout = t0 + k < p.cutout;
      // hundredths / 100.0 is formulas::round2(num / den), operation for operation.
      const double hundredths = floor(100.0 * (num / den) + 0.5);
      const double signal = before_cutout ? NAN : hundredths / 100.0;
      sh.family_signal[f][k] = signal;
      if (out.family_signal[f] != nullptr) out.family_signal[f][row] = signal;
      if (out.family_signal_hundredths[f] != nullptr)
        out.family_signal_hundredths[f][row] =
            before_cutout ? kHundredthsNaN : static_cast<std::int8_t>(hundredths);
    }
    __syncthreads();

    // Layer 2, Average_Signal and the classification: short sequential work for warp 0,
    // while warp 1 waits at the next tile's barrier.
    if (warp == 0) {
      if (lane < kFamilies) {
        formulas::Equity layer2 = sh.layer2[lane];
        double signal_prev = sh.family_signal_prev[lane];
        for (int k = 0; k < bars; ++k) {
          const double signal = sh.family_signal[lane][k];
          sh.family_equity[lane][k] = layer2.step(t0 + k, p.cutout, p.weight[lane], sh.r[k], signal_prev, p.keep);
          signal_prev = signal;
        }
        sh.layer2[lane] = layer2;
        sh.family_signal_prev[lane] = signal_prev;
      }
      __syncwarp();
      for (int item = lane; item < kFamilies * kTile; item += kWarp) {
        const int f = item / kTile, k = item % kTile;
        if (k < bars && out.family_equity[f] != nullptr) out.family_equity[f][row0 + t0 + k] = sh.family_equity[f][k];
      }
      double average = NAN;  // of bar t0 + lane
      if (lane < bars) {
        double num = 0.0, den = 0.0;
#pragma unroll
        for (int f = 0; f < kFamilies; ++f) {  // order EMA, HMA, WMA, DEMA, LSMA, KAMA
          const double e = sh.family_equity[f][lane];
          num += formulas::cut(sh.family_signal[f][lane]) * e;
          den += e;
        }
        average = t0 + lane < p.cutout ? NAN : num / den;
        if (out.average_signal != nullptr) out.average_signal[row0 + t0 + lane] = average;
      }
      if (out.classification[0] != nullptr) {
        // The classification of the tile's bars in parallel, lane k = bar t0 + k: only the
        // persistent direction is sequential, and it is the last crossing before the bar
        // (or the carried state), found with a ballot.
        const bool valid = lane < bars;
        const double average_before = __shfl_up_sync(~0u, average, 1);
        const double a = !p.strategy ? average : (lane == 0 ? sh.average_prev : average_before);
        const double a_before = __shfl_up_sync(~0u, a, 1);
        const double a_prev = lane == 0 ? sh.a_prev : a_before;
        formulas::Classifier crossing;  // from "none": its direction is this bar's crossing
        crossing.step(a, a_prev, p.long_threshold, p.short_threshold);
        const int event = valid ? crossing.dir : 0;
        const unsigned earlier = __ballot_sync(~0u, event != 0) & ((1u << lane) - 1u);
        const int last = earlier != 0 ? 31 - __clz(earlier) : 0;
        const int last_event = __shfl_sync(~0u, event, last);
        formulas::Classifier classifier;
        classifier.dir = static_cast<std::int8_t>(earlier != 0 ? last_event : sh.direction);
        const auto b = classifier.step(a, a_prev, p.long_threshold, p.short_threshold);
        const int end = bars - 1;
        const int direction_after = __shfl_sync(~0u, static_cast<int>(classifier.dir), end);
        const double average_last = __shfl_sync(~0u, average, end), a_last = __shfl_sync(~0u, a, end);
        __syncwarp();  // every lane has read the carried state
        if (valid) {
          const std::int8_t values[kFusedClassOutputs] = {b.trend, b.state, b.direction, b.long_entry, b.short_entry};
          const long long row = row0 + t0 + lane;
#pragma unroll
          for (int c = 0; c < kFusedClassOutputs; ++c) out.classification[c][row] = values[c];
        }
        if (lane == 0) {
          sh.direction = static_cast<std::int8_t>(direction_after);
          sh.average_prev = average_last;
          sh.a_prev = a_last;
        }
      }
      __syncwarp();  // the next tile's staging overwrites close and r
    }
  }
}

int max_length(const FusedParams& p) {
  int longest = 1;
  for (const auto& family : p.length)
    for (int len : family) longest = len > longest ? len : longest;
  return longest;
}

}  // namespace

FusedParams make_fused_params(const Config& config, int calibration_family) {
  FusedParams p{};
  for (Family family : kAllFamilies) {
    const int f = static_cast<int>(family);
    const auto lengths = config.lengths(family);
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      p.length[f][i] = lengths[i];
      switch (family) {
        case Family::EMA: p.coefficient[f][i] = EmaChain::coefficient(lengths[i]); break;
        case Family::HMA: p.coefficient[f][i] = SmaChain::coefficient(lengths[i]); break;
        case Family::WMA: p.coefficient[f][i] = WmaChain::coefficient(lengths[i]); break;
        case Family::DEMA: p.coefficient[f][i] = DemaChain::coefficient(lengths[i]); break;
        case Family::LSMA: p.coefficient[f][i] = LsmaChain::coefficient(lengths[i]); break;
        case Family::KAMA: p.coefficient[f][i] = KamaChain::coefficient(lengths[i]); break;
      }
    }
    p.weight[f] = config.weight[f];
  }
  p.keep = 1.0 - config.decay_rate();
  p.long_threshold = config.long_threshold;
  p.short_threshold = config.short_threshold;
  p.cutout = config.cutout;
  p.strategy = config.strategy ? 1 : 0;
  p.calibration = calibration_family;
  return p;
}

void launch_fused(const FusedInput& input, const FusedParams& params, const DeviceColumns& out,
                  cudaStream_t stream) {
  if (input.series == 0) return;
  const int longest = max_length(params);
  if (longest > kFusedMaxLength)
    throw Error("CUDA backend: MA length " + std::to_string(longest) + " exceeds the fused kernel's limit of " +
                std::to_string(kFusedMaxLength));
  // The ring holds the oldest bar a tile looks back to (t0 − L − 1) through its last bar.
  int ring = 1;
  while (ring < longest + 1 + kTile) ring *= 2;
  const auto shared_bytes = static_cast<int>((kRingOffset + ring) * sizeof(double));
  const auto blocks = static_cast<unsigned>(input.series);
  const auto launch = [&](auto kernel, const char* name) {
    // Above the default 48 KB only (lengths in the thousands); a host-side attribute,
    // no stream work.
    if (shared_bytes > 48 * 1024)
      ATC_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, shared_bytes));
    kernel<<<blocks, kFusedThreads, shared_bytes, stream>>>(input, params, out, ring - 1);
    const cudaError_t status = cudaGetLastError();
    if (status != cudaSuccess) throw_cuda_error(status, name, __FILE__, __LINE__);
  };
  if (params.calibration >= 0) launch(fused_kernel<true>, "launch of fused_kernel<calibration>");
  else launch(fused_kernel<false>, "launch of fused_kernel");
}

}  // namespace atc::cuda
