// The fused kernel: one pass over each symbol's bars computes all 54 MA chains, their
// signals and equities, both layers, Average_Signal and the classification, keeping
// every chain on chip and writing only the requested outputs.
//
// Design (warp per family): a block of six warps covers up to kFusedSymbols series;
// warp f runs family f (Family order), and its lane 9·k + i owns chain i of the block's
// series k, so that every warp runs one family's code without divergence. Per tile of
// bars (32 by default, CMake ATC_CUDA_FUSED_TILE) the last warps stage close, src and
// R·g of the block's series in shared memory (src in one ring per series, for the
// windows' look-back; R·g double-buffered), the chain lanes advance MA, signal and
// equity (tiles past every warm-up on a branch-free steady path), and each family warp
// forms its own Layer 1 per (series, bar) from the s_i and E_i its lanes left in shared
// memory, summed in the reference's order L, L+o1..L+o4, L−o1..L−o4. After one block
// barrier warp k runs series k's Layer 2 (lane f: family f), Average_Signal (lane = bar)
// and the classification (the persistent direction by a ballot over the tile's
// crossings), while the other warps stage the next tile. Outputs leave as runs of
// consecutive bars. Blocks hold one, two or three series by how many are in flight
// (launch_fused).
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
#include "atc/outputs.hpp"

namespace atc::cuda {

inline constexpr int kFusedSymbols = 3;     // series per block at most (27 chain lanes a warp)
inline constexpr int kFusedThreads = 192;   // one warp per family
inline constexpr int kFusedClassOutputs = 5;
// Longest MA length the fused kernel supports: its look-back rings live in shared memory
// (blocks of one series beyond the lengths whose kFusedSymbols rings fit).
inline constexpr int kFusedMaxLength = 16384 - 32 - 2;  // a ring of 16384 holds L + 1 + a tile (≤ 32 bars)

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
  // Per family, the first bar from which its chains and curves run in their steady
  // state (past every warm-up and the cutout).
  int steady_from[kFamilies];
  double weight[kFamilies];
  double keep;  // 1 − De
  double long_threshold, short_threshold;
  int cutout;
  int strategy;
  int calibration;  // family index, or −1
  // Series per block, 1..kFusedSymbols; 0: launch_fused chooses by the series in flight.
  int symbols_per_block;
  // Series on the device at once when several launches run concurrently (streams); 0:
  // this launch's alone.
  long long concurrent_series;
  // 1: the float32 variant. It computes every stage in float (inputs rounded to float,
  // outputs widened back) and is about as far from the reference as float allows; the
  // default float64 kernel is the exact one (bench/RESULTS.md has the measured error).
  int float32;
};
FusedParams make_fused_params(const Config& config, int calibration_family);

// The Layer-1 signal travels as int8 hundredths (atc::kHundredthsNaN, from_hundredths in
// atc/outputs.hpp): round2(x)·100 exactly, so that k / 100.0 on the host is the double
// the kernel computed.

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
