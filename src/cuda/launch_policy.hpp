// The fused kernels' launch policies: tuning kept apart from the problem, as types (CUB's
// agent policies). Per kernel: the bars a block stages per tile (one round of two block
// barriers) and the resident warps per multiprocessor its __launch_bounds__ asks the
// compiler for, which caps its registers; for both, the steady loop's unroll. The
// numbers were tuned on Hopper (H100/H200; the runs are in bench/RESULTS.md). The host
// sizes blocks and shared memory by the same policy the device code is compiled with, so
// one policy serves every architecture of a build; a new tuning is another struct and the
// alias below. Header for host and device code.
#pragma once

namespace atc::cuda {

struct KernelPolicy {
  int tile;       // bars per tile (1..32)
  int min_warps;  // resident warps per multiprocessor to compile for
};

struct FusedPolicySm90 {
  // 3 blocks of 9 warps, as many as the shared memory of 16-bar tiles allows: at most 72
  // registers a thread.
  static constexpr KernelPolicy kPerFamily{16, 27};
  // 3 blocks of 6 warps, as many as the shared memory of 32-bar tiles allows: at most 96
  // registers, next to no spills (24 warps would leave 80 and spill).
  static constexpr KernelPolicy kPerSymbol{32, 18};
  // More gives the shared-memory loads immediate offsets, fewer keeps the six families'
  // loops small in the instruction cache.
  static constexpr int kSteadyUnroll = 1;
};

using FusedPolicy = FusedPolicySm90;

}  // namespace atc::cuda
