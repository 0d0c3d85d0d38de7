// The fused path: one pass over each symbol's bars computes all 54 MA chains, their
// signals and equities, both layers, Average_Signal and the classification, keeping
// every chain on chip and writing only the requested outputs.
//
// Two implementations, chosen by how many series are in flight (FusedParams::path):
// - Per family, the throughput path: two kernels, split where the data is smallest (one
//   int8 hundredth per family and bar).
//   - The chain kernel: a block runs one family for up to 32 series; warp i runs chain i
//     (length L, L+o1..L+o4, L-o1..L-o4) and lane s series s, so that every warp runs one
//     formula with one length: no divergence, warps of equal work between the block's
//     barriers, and look-backs at one offset (conflict-free rows of the block's
//     interleaved shared-memory rings). Per tile of bars (16, its launch policy
//     in launch_policy.hpp) the block stages close, src and R·g, the chain lanes advance
//     MA, signal and equity (tiles past every warm-up on a branch-free steady path) and
//     leave s_i and E_i in shared memory; then Layer 1 per (series, bar) sums them in the
//     reference's order while the next tile is staged. It writes X_Signal as int8
//     hundredths (and as doubles where requested), coalesced.
//   - The Layer-2 kernel: a block of six warps covers 32 series; per 32-bar tile, warp f
//     runs family f's Layer-2 equity for each series (lane s), then per series a warp
//     forms Average_Signal (lane = bar) and the classification (the persistent direction
//     by a ballot over the tile's crossings).
//   Its blocks of 32 series need about 2,100 series in flight to fill an H100.
// - Per symbol, the latency path (one kernel): a block of six warps covers up to three
//   series, warp f running family f for all of them (lane 9·k + i: chain i of series k),
//   and after each 32-bar tile (its launch policy) warp k runs series k's Layer 2,
//   Average_Signal and classification while the other warps stage the next tile. Every
//   series has a whole block's attention, so that a small batch finishes as soon as its
//   sequence of bars allows.
// Both compute the reference's operations in its order: their outputs are the same bits.
//
// Contract (relied on by the streams pipeline):
// - A chunk's inputs are its series concatenated: series i occupies elements
//   [offset[i], offset[i+1]) of `close` and of `src` (null: src = close), bar 0 first
//   (or [offset[i], end[i]) when `end` is given).
// - Outputs are compact rows at the same offsets: bar t of series i is row offset[i] + t
//   of every requested column. A null column is not computed into memory.
// - growth[t] = g[t] = exp(La·(t − cutout)) for t below the longest series.
// - The per-family path passes the Layer-1 signals from one kernel to the other as int8
//   hundredths: in the caller's family_signal_hundredths columns where given, else in a
//   device workspace of fused_workspace_bytes(rows, out) bytes.
// - launch_fused only enqueues kernels on `stream`: no allocation, no synchronisation
//   (it may be captured in a CUDA graph and run on several streams at once).
#pragma once

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../core/exact.hpp"
#include "atc/config.hpp"
#include "atc/outputs.hpp"

namespace atc::cuda {

inline constexpr int kFusedClassOutputs = 5;  // trend, state, direction, long_entry, short_entry
// Longest MA length the fused path supports: the look-back rings live in shared memory
// (blocks of one series beyond the lengths whose rings fit for more).
inline constexpr int kFusedMaxLength = 16384 - 32 - 2;  // a ring of 16384 holds L + 1 + a tile (≤ 32 bars)

enum class FusedPath : int {
  Auto,       // per family when the series in flight fill the device with its blocks, else per symbol
  PerSymbol,  // the latency path
  PerFamily,  // the throughput path
};

// Device pointers of one chunk (see the contract above).
struct FusedInput {
  const double* close = nullptr;
  const double* src = nullptr;          // null: src = close
  const long long* offset = nullptr;    // [series + 1]
  // [series]: where series i ends, for series that are not adjacent (device tables whose
  // symbols list late: atc/device.hpp); null: at offset[i + 1].
  const long long* end = nullptr;
  const double* growth = nullptr;
  const exact::TickScale* ticks = nullptr;  // [series]: each series' tick scale (§3a)
  int series = 0;
  // 1: some series' window sums need 128 bits (exact::kNarrowLimit), and the launch runs
  // the wide variant of the kernels for all (the same bits, slower).
  int wide = 0;
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
  // Series per block (per symbol: 1..3; per family: 1..32); 0: launch_fused chooses
  // by the series in flight.
  int symbols_per_block;
  // Series on the device at once when several launches run concurrently (streams); 0:
  // this launch's alone.
  long long concurrent_series;
  // 1: the float32 variant. It computes every stage in float (inputs rounded to float,
  // outputs widened back) and is about as far from the reference as float allows; the
  // default float64 kernel is the exact one (bench/RESULTS.md has the measured error).
  int float32;
  FusedPath path;
};
FusedParams make_fused_params(const Config& config, int calibration_family);

// The Layer-1 signal travels as int8 hundredths (atc::kHundredthsNaN, from_hundredths in
// atc/outputs.hpp): round2(x)·100 exactly, so that k / 100.0 on the host is the double
// the kernel computed.

// Device output columns over the compact rows; null = not requested. The output fields
// carry the names of atc/outputs.hpp's table, so that for_each_output_field pairs them
// with the host's and the caller's columns.
struct DeviceColumns {
  double* average_signal = nullptr;
  double* family_signal[kFamilies] = {};
  std::int8_t* family_signal_hundredths[kFamilies] = {};  // the same signal, 1 byte a bar
  double* family_equity[kFamilies] = {};
  std::int8_t *trend = nullptr, *state = nullptr, *direction = nullptr, *long_entry = nullptr,
              *short_entry = nullptr;
  // Calibration family (FusedParams::calibration) only: its 9 MAs, signals and equities.
  double* ma[kLengthsPerFamily] = {};
  std::int8_t* ma_signal[kLengthsPerFamily] = {};
  double* ma_equity[kLengthsPerFamily] = {};
  // [series]: the first bar at which an equity of the series is not finite (§10), or −1;
  // written when Layer 2 runs (an Average_Signal, X_S or classification output).
  long long* nonfinite_equity_bar = nullptr;

  // The classification columns as consecutive parts of `block`, `rows` bytes each
  // (kFusedClassOutputs · rows in all).
  void classification_in(std::int8_t* block, std::size_t rows) {
    for (std::int8_t** column : {&trend, &state, &direction, &long_entry, &short_entry}) {
      *column = block;
      block += rows;
    }
  }
};

// Device bytes of the workspace launch_fused needs for `rows` rows and these outputs: the
// Layer-1 signals of the families not requested as hundredths, when a Layer-2 output
// (Average_Signal, X_S, the classification) is requested; else 0.
std::size_t fused_workspace_bytes(std::size_t rows, const DeviceColumns& out);

// Enqueues the fused path on `stream` (asynchronous; the launches are checked).
// `workspace`: fused_workspace_bytes(rows, out) bytes of device memory (may be null when
// that is 0). Throws atc::Error when a length exceeds kFusedMaxLength, or the tick
// scales or the workspace are missing.
void launch_fused(const FusedInput& input, const FusedParams& params, const DeviceColumns& out, void* workspace,
                  cudaStream_t stream = nullptr);

}  // namespace atc::cuda
