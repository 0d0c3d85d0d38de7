// The fused kernel: one pass over each symbol's bars computes all 54 MA chains, their
// signals and equities, both layers, Average_Signal and the classification, keeping
// every chain on chip and writing only the requested outputs.
//
// Design (chain per lane): one block of two warps per series. Lane l < 27 of a warp
// owns one MA chain: warp 0 the windowed families (HMA = SMA, WMA, LSMA), warp 1 the
// recursive ones (EMA, DEMA, KAMA), chain l % 9 of the third l / 9, so that the lanes of
// a warp mostly run the same code. Per tile of kTile bars the block stages close, src
// and R·g in shared memory (src in a ring of the last bars, for the windows' look-back),
// the chain lanes advance their MA, signal and equity and leave s_i·E_i and E_i in shared
// memory, then the block forms Layer 1 per (family, bar) with the reference's sums in
// the order L, L+o1..L+o4, L−o1..L−o4, one lane per family runs Layer 2, and lane k of
// warp 0 forms bar k's Average_Signal and classification (the persistent direction by a
// ballot over the tile's crossings); outputs leave as runs of consecutive bars.
//
// Contract (relied on by the streams pipeline):
// - A chunk's inputs are its series concatenated: series i occupies elements
//   [offset[i], offset[i+1]) of `close` and of `src` (null: src = close), bar 0 first.
// - Outputs are compact rows at the same offsets: bar t of series i is row offset[i] + t
//   of every requested column. A null column is not computed into memory.
// - growth[t] = g[t] = exp(La·(t − cutout)) for t below the longest series.
// - launch_fused only enqueues one kernel on `stream`: no allocation, no synchronisation
//   (it may be captured in a CUDA graph and run on several streams at once).
#pragma once

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>

#include "atc/config.hpp"

namespace atc::cuda {

inline constexpr int kTile = 16;            // bars per tile (one block barrier round)
inline constexpr int kFusedThreads = 64;    // two warps per series
inline constexpr int kFusedClassOutputs = 5;
// Longest MA length the fused kernel supports: its look-back ring lives in shared memory.
inline constexpr int kFusedMaxLength = 16384 - kTile - 2;

// Device pointers of one chunk (see the contract above).
struct FusedInput {
  const double* close = nullptr;
  const double* src = nullptr;          // null: src = close
  const long long* offset = nullptr;    // [series + 1]
  const double* growth = nullptr;
  int series = 0;
};

// Scalar parameters, read by the kernel from its constant bank.
struct FusedParams {
  int length[kFamilies][kLengthsPerFamily];
  double coefficient[kFamilies][kLengthsPerFamily];  // EMA/DEMA alpha, WMA weight sum
  double weight[kFamilies];
  double keep;  // 1 − De
  double long_threshold, short_threshold;
  int cutout;
  int strategy;
  int calibration;  // family index, or −1
};
FusedParams make_fused_params(const Config& config, int calibration_family);

// The Layer-1 signal as int8 hundredths: round2(x)·100 exactly, so that k / 100.0 on the
// host is the double the kernel computed; kHundredthsNaN stands for NaN (before cutout).
inline constexpr std::int8_t kHundredthsNaN = INT8_MIN;
inline double from_hundredths(std::int8_t k) { return k == kHundredthsNaN ? NAN : k / 100.0; }

// Device output columns over the compact rows; null = not requested.
struct DeviceColumns {
  double* average_signal = nullptr;
  double* family_signal[kFamilies] = {};
  std::int8_t* family_signal_hundredths[kFamilies] = {};  // the same signal, 1 byte a bar
  double* family_equity[kFamilies] = {};
  std::int8_t* classification[kFusedClassOutputs] = {};  // trend, state, direction, long_entry, short_entry
  // Calibration family (FusedParams::calibration) only: its 9 MAs, signals and equities.
  double* ma[kLengthsPerFamily] = {};
  std::int8_t* ma_signal[kLengthsPerFamily] = {};
  double* ma_equity[kLengthsPerFamily] = {};
};

// Enqueues the fused kernel on `stream` (asynchronous; the launch is checked). Throws
// atc::Error when a length exceeds kFusedMaxLength.
void launch_fused(const FusedInput& input, const FusedParams& params, const DeviceColumns& out,
                  cudaStream_t stream = nullptr);

}  // namespace atc::cuda
