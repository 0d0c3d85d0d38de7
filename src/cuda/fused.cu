// The fused kernel (see fused.hpp for the design) and the host-side packing.
#include <algorithm>
#include <numeric>

#include "chains.cuh"
#include "check.hpp"
#include "fused.hpp"

namespace atc::cuda {
namespace {

constexpr int kClassOutputs = 5;
constexpr int kRow = kLanes + 1;  // shared-memory row pitch: one pad element against bank conflicts

// Classification state of one symbol, kept in shared memory for warp 0.
struct ClassifyState {
  formulas::Classifier classifier;
  double average_prev;
  double a_prev;
};

struct SharedTile {
  double signal[kFamilies][kTile][kRow];  // X_Signal
  double equity[kFamilies][kTile][kRow];  // X_S
  double average[kTile][kRow];
  std::int8_t classification[kClassOutputs][kTile][kRow];
  ClassifyState classify[kLanes];
  int lane_bars[kLanes];
  long long lane_row[kLanes];
};

// A block-wide barrier that warps may reach from different (warp-uniform) code paths:
// each warp runs its own family's instantiation of the tile loop. This is the
// non-".aligned" form of barrier.sync (PTX ISA 6.0, sm_70 and later).
__device__ __forceinline__ void block_barrier() { asm volatile("barrier.sync 0;" ::: "memory"); }

// Copies one kTile × kLanes tile of shared memory to the output column, using threads
// [first, first + count) of the block: each symbol's bars of the tile are consecutive
// in the column, so consecutive threads store consecutive addresses.
template <class T>
__device__ __forceinline__ void store_tile(T* column, const T (&tile)[kTile][kRow], const SharedTile& sh,
                                           int t0, int tile_bars, int first = 0,
                                           int count = kFusedThreads) {
  for (int idx = static_cast<int>(threadIdx.x) - first; idx < kTile * kLanes; idx += count) {
    const int lane = idx / kTile, k = idx % kTile, t = t0 + k;
    if (k < tile_bars && t < sh.lane_bars[lane]) column[sh.lane_row[lane] + t] = tile[k][lane];
  }
}

// Everything after the families' bars of one tile: Average_Signal, classification and
// the coalesced stores. Called by every warp, the same number of times.
__device__ void finish_tile(const FusedParams& p, const DeviceColumns& out, SharedTile& sh, int t0,
                            int tile_bars) {
  block_barrier();  // the families' X_Signal / X_S of the tile are in shared memory
  for (int idx = static_cast<int>(threadIdx.x); idx < kTile * kLanes; idx += kFusedThreads) {
    const int k = idx / kLanes, lane = idx % kLanes;
    double num = 0.0, den = 0.0;
#pragma unroll
    for (int f = 0; f < kFamilies; ++f) {  // order EMA, HMA, WMA, DEMA, LSMA, KAMA
      const double e = sh.equity[f][k][lane];
      num += formulas::cut(sh.signal[f][k][lane]) * e;
      den += e;
    }
    sh.average[k][lane] = t0 + k < p.cutout ? NAN : num / den;
  }
#pragma unroll
  for (int f = 0; f < kFamilies; ++f) {
    if (out.family_signal[f] != nullptr) {
      store_tile(out.family_signal[f], sh.signal[f], sh, t0, tile_bars);
      store_tile(out.family_equity[f], sh.equity[f], sh, t0, tile_bars);
    }
  }
  block_barrier();  // Average_Signal of the tile is complete
  const bool classify = out.classification[0] != nullptr;
  if (threadIdx.x < kLanes) {
    if (classify) {
      const int lane = static_cast<int>(threadIdx.x);
      ClassifyState cls = sh.classify[lane];
      for (int k = 0; k < tile_bars; ++k) {
        const double average = sh.average[k][lane];
        const double a = p.strategy ? cls.average_prev : average;
        const auto bar = cls.classifier.step(a, cls.a_prev, p.long_threshold, p.short_threshold);
        sh.classification[0][k][lane] = bar.trend;
        sh.classification[1][k][lane] = bar.state;
        sh.classification[2][k][lane] = bar.direction;
        sh.classification[3][k][lane] = bar.long_entry;
        sh.classification[4][k][lane] = bar.short_entry;
        cls.average_prev = average;
        cls.a_prev = a;
      }
      sh.classify[lane] = cls;
    }
  } else {
    store_tile(out.average_signal, sh.average, sh, t0, tile_bars, kLanes, kFusedThreads - kLanes);
  }
  if (!classify) return;
  block_barrier();  // the classification of the tile is complete
#pragma unroll
  for (int c = 0; c < kClassOutputs; ++c)
    store_tile(out.classification[c], sh.classification[c], sh, t0, tile_bars);
  // No barrier needed here: the next tile writes classification[] only after two more.
}

// Warp F's whole run: the 9 chains of family F for symbol `lane` of group g. With
// kCalibration, family p.calibration also stores its 9 MAs, signals and equities
// (per-lane stores: calibration is a diagnostic mode; the other kernel keeps no
// registers for it).
template <int F, bool kCalibration>
__device__ void family_warp(const FusedInput& in, const FusedParams& p, const DeviceColumns& out,
                            SharedTile& sh, int g, int lane) {
  using Chain = FamilyChainT<F>;
  Chain chain[kLengthsPerFamily];
  MaTracker tracker[kLengthsPerFamily];
  formulas::Equity family_equity;
  double signal_prev = NAN, close_prev = NAN, x_prev = NAN;

  const long long base = in.group_base[g];
  const int group_bars = in.group_bars[g];
  const double* close = in.close + base + lane;
  const Column src{in.src + base + lane, kLanes};
  const int lane_bars = sh.lane_bars[lane];
  const long long row0 = sh.lane_row[lane];
  const bool calibration = kCalibration && p.calibration == F;

  for (int t0 = 0; t0 < group_bars; t0 += kTile) {
    const int tile_bars = min(kTile, group_bars - t0);
    for (int k = 0; k < tile_bars; ++k) {
      const int t = t0 + k;
      const double c = __ldg(close + static_cast<long long>(t) * kLanes);
      const double x = src[t];
      const double r = t > 0 ? (c - close_prev) / close_prev * __ldg(in.growth + t) : NAN;
      const Bar bar{t, x, x_prev, src};
      double num = 0.0, den = 0.0;
#pragma unroll
      for (int i = 0; i < kLengthsPerFamily; ++i) {  // order L, L+o1..L+o4, L-o1..L-o4
        const double ma = chain[i].step(bar, p.length[F][i], p.coefficient[F][i]);
        const double e = tracker[i].step(t, p.cutout, ma, c, close_prev, r, p.keep);
        num += tracker[i].signal * e;
        den += e;
        if (calibration && t < lane_bars) {
          out.ma[i][row0 + t] = ma;
          out.ma_signal[i][row0 + t] = tracker[i].signal;
          out.ma_equity[i][row0 + t] = e;
        }
      }
      const double signal = t < p.cutout ? NAN : formulas::round2(num / den);
      sh.signal[F][k][lane] = signal;
      sh.equity[F][k][lane] = family_equity.step(t, p.cutout, p.weight[F], r, signal_prev, p.keep);
      signal_prev = signal;
      close_prev = c;
      x_prev = x;
    }
    finish_tile(p, out, sh, t0, tile_bars);
  }
}

// Blocks per multiprocessor the kernel is compiled for (CMake ATC_CUDA_FUSED_MIN_BLOCKS):
// 1 lets each thread keep its 9 chains in up to 255 registers; 2 (the default) caps them
// at 168, with some spilling, for twice the warps in flight: measured on an H100, 1.3x
// faster from 10,000 symbols, 10-20% slower below 1,000 (bench/RESULTS.md).
#ifndef ATC_CUDA_FUSED_MIN_BLOCKS
#error "ATC_CUDA_FUSED_MIN_BLOCKS is set by src/cuda/CMakeLists.txt"
#endif
template <bool kCalibration>
__global__ void __launch_bounds__(kFusedThreads, ATC_CUDA_FUSED_MIN_BLOCKS) fused_kernel(FusedInput in, FusedParams p,
                                                                DeviceColumns out) {
  extern __shared__ double shared_storage[];
  SharedTile& sh = *reinterpret_cast<SharedTile*>(shared_storage);
  const int g = static_cast<int>(blockIdx.x);
  const int warp = static_cast<int>(threadIdx.x) / kLanes, lane = static_cast<int>(threadIdx.x) % kLanes;
  if (warp == 0) {
    sh.lane_bars[lane] = in.lane_bars[g * kLanes + lane];
    sh.lane_row[lane] = in.lane_row[g * kLanes + lane];
    sh.classify[lane] = ClassifyState{formulas::Classifier{}, NAN, NAN};
  }
  __syncthreads();
  switch (warp) {
    case 0: family_warp<0, kCalibration>(in, p, out, sh, g, lane); break;
    case 1: family_warp<1, kCalibration>(in, p, out, sh, g, lane); break;
    case 2: family_warp<2, kCalibration>(in, p, out, sh, g, lane); break;
    case 3: family_warp<3, kCalibration>(in, p, out, sh, g, lane); break;
    case 4: family_warp<4, kCalibration>(in, p, out, sh, g, lane); break;
    default: family_warp<5, kCalibration>(in, p, out, sh, g, lane); break;
  }
}

template <class T>
DeviceBuffer<T> device_copy(const std::vector<T>& host) {
  return to_device(std::span<const T>(host));
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

PackedChunk pack(std::span<const detail::PreparedSeries> series) {
  PackedChunk chunk;
  const std::size_t count = series.size();
  chunk.row.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    chunk.row[i] = chunk.rows;
    chunk.rows += series[i].n;
    chunk.max_bars = std::max(chunk.max_bars, series[i].n);
  }
  // Longest first, so that the lanes of a group have similar lengths.
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return series[a].n > series[b].n; });
  const bool own_src = std::any_of(series.begin(), series.end(),
                                   [](const detail::PreparedSeries& s) { return s.src != s.close; });

  const std::size_t groups = (count + kLanes - 1) / kLanes;
  chunk.group_base.resize(groups);
  chunk.group_bars.resize(groups);
  chunk.lane_bars.assign(groups * kLanes, 0);
  chunk.lane_row.assign(groups * kLanes, 0);
  std::size_t total = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    chunk.group_base[g] = static_cast<long long>(total);
    chunk.group_bars[g] = static_cast<int>(series[order[g * kLanes]].n);
    total += series[order[g * kLanes]].n * kLanes;
  }
  chunk.close.assign(total, 1.0);
  if (own_src) chunk.src.assign(total, 1.0);
  for (std::size_t g = 0; g < groups; ++g) {
    const auto bars = static_cast<std::size_t>(chunk.group_bars[g]);
    for (std::size_t j = 0; j < kLanes && g * kLanes + j < count; ++j) {
      const std::size_t i = order[g * kLanes + j];
      const detail::PreparedSeries& s = series[i];
      chunk.lane_bars[g * kLanes + j] = static_cast<int>(s.n);
      chunk.lane_row[g * kLanes + j] = static_cast<long long>(chunk.row[i]);
      double* close = chunk.close.data() + chunk.group_base[g] + j;
      double* src = own_src ? chunk.src.data() + chunk.group_base[g] + j : nullptr;
      for (std::size_t t = 0; t < bars; ++t) {
        const std::size_t from = std::min(t, s.n - 1);  // pad with the last bar
        close[t * kLanes] = s.close[from];
        if (src != nullptr) src[t * kLanes] = s.src[from];
      }
    }
  }
  return chunk;
}

FusedInput DeviceChunk::input() const {
  FusedInput in;
  in.close = close.data();
  in.src = src.size() > 0 ? src.data() : close.data();
  in.group_base = group_base.data();
  in.group_bars = group_bars.data();
  in.lane_bars = lane_bars.data();
  in.lane_row = lane_row.data();
  in.growth = growth.data();
  in.groups = static_cast<int>(group_bars.size());
  return in;
}

DeviceChunk upload(const PackedChunk& chunk, std::span<const double> growth) {
  DeviceChunk d;
  d.close = device_copy(chunk.close);
  d.src = device_copy(chunk.src);
  d.growth = to_device(growth.first(std::min(growth.size(), chunk.max_bars)));
  d.group_base = device_copy(chunk.group_base);
  d.group_bars = device_copy(chunk.group_bars);
  d.lane_bars = device_copy(chunk.lane_bars);
  d.lane_row = device_copy(chunk.lane_row);
  return d;
}

void launch_fused(const FusedInput& input, const FusedParams& params, const DeviceColumns& out,
                  cudaStream_t stream) {
  if (input.groups == 0) return;
  constexpr auto shared_bytes = static_cast<int>(sizeof(SharedTile));
  const auto blocks = static_cast<unsigned>(input.groups);
  if (params.calibration >= 0) {
    ATC_CUDA_CHECK(cudaFuncSetAttribute(fused_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        shared_bytes));
    fused_kernel<true><<<blocks, kFusedThreads, shared_bytes, stream>>>(input, params, out);
    ATC_CUDA_CHECK_LAUNCH("fused_kernel<calibration>");
  } else {
    ATC_CUDA_CHECK(cudaFuncSetAttribute(fused_kernel<false>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        shared_bytes));
    fused_kernel<false><<<blocks, kFusedThreads, shared_bytes, stream>>>(input, params, out);
    ATC_CUDA_CHECK_LAUNCH("fused_kernel");
  }
}

}  // namespace atc::cuda
