// The fused kernel: one pass over each symbol's bars computes all 54 MA chains, their
// signals and equities, both layers, Average_Signal and the classification, keeping
// every chain on chip and writing only the requested outputs.
//
// Block shape: kFamilies warps × kLanes lanes. Lane j of every warp works on the same
// symbol (one of the block's "group" of 32), warp f on family f: each thread advances
// the 9 chains of one family of one symbol, its Layer-1 signal and its Layer-2 equity.
// Per tile of kTile bars the warps leave X_Signal and X_S in shared memory; the block
// then forms Average_Signal, warp 0 runs the classification, and every output leaves
// shared memory as runs of kTile consecutive bars per symbol (coalesced stores).
//
// Input layout ("group-interleaved"): symbols are sorted by length, longest first, and
// cut into groups of kLanes; group g stores bar t of lane j at group_base[g] + t·kLanes + j,
// so each warp load of one bar is 256 contiguous bytes. Lanes shorter than their group
// are padded with their last price (computed, never written); empty lanes with 1.0.
// Outputs are compact rows: series i of the chunk at rows [row[i], row[i] + n_i).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../core/prepared.hpp"
#include "atc/config.hpp"
#include "device_buffer.hpp"

namespace atc::cuda {

inline constexpr int kLanes = 32;
inline constexpr int kTile = 16;
inline constexpr int kFusedThreads = kFamilies * kLanes;

// Device pointers of the packed input (see above).
struct FusedInput {
  const double* close = nullptr;
  const double* src = nullptr;  // equals close when no series has its own src
  const long long* group_base = nullptr;
  const int* group_bars = nullptr;     // bars of the group's longest series
  const int* lane_bars = nullptr;      // [g * kLanes + j]: bars of that series, 0 if none
  const long long* lane_row = nullptr; // [g * kLanes + j]: output row of its bar 0
  const double* growth = nullptr;      // g[t], t < the longest series
  int groups = 0;
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

// Device output columns over the compact rows; null = not requested.
struct DeviceColumns {
  double* average_signal = nullptr;
  double* family_signal[kFamilies] = {};
  double* family_equity[kFamilies] = {};
  std::int8_t* classification[5] = {};  // trend, state, direction, long_entry, short_entry
  double* ma[kLengthsPerFamily] = {};
  std::int8_t* ma_signal[kLengthsPerFamily] = {};
  double* ma_equity[kLengthsPerFamily] = {};
};

// A chunk of prepared series packed on the host.
struct PackedChunk {
  std::vector<double> close, src;  // src empty: src = close for every series
  std::vector<long long> group_base;
  std::vector<int> group_bars;
  std::vector<int> lane_bars;
  std::vector<long long> lane_row;
  std::vector<std::size_t> row;  // compact output row of each series, in input order
  std::size_t rows = 0;          // Σ n
  std::size_t max_bars = 0;
};
PackedChunk pack(std::span<const detail::PreparedSeries> series);

// The packed chunk in device memory, with the growth table.
struct DeviceChunk {
  DeviceBuffer<double> close, src, growth;
  DeviceBuffer<long long> group_base, lane_row;
  DeviceBuffer<int> group_bars, lane_bars;
  FusedInput input() const;
};
DeviceChunk upload(const PackedChunk& chunk, std::span<const double> growth);

// Launches the fused kernel (asynchronous, checked).
void launch_fused(const FusedInput& input, const FusedParams& params, const DeviceColumns& out,
                  cudaStream_t stream = nullptr);

}  // namespace atc::cuda
