// The host side of the fused path's two implementations (fused_per_symbol.cu,
// fused_per_family.cu): their launchers, between which launch_fused (fused.cpp)
// chooses, and the device limits they size their blocks by. Host code.
#pragma once

#include <cuda_runtime_api.h>

#include "check.hpp"
#include "fused.hpp"

namespace atc::cuda::fused_detail {

// The longest MA length of the parameters.
inline int max_length(const FusedParams& p) {
  int longest = 1;
  for (const auto& family : p.length)
    for (int len : family) longest = len > longest ? len : longest;
  return longest;
}

// A ring of at least `bars` bars (a power of two).
inline int ring_bars(int bars) {
  int ring = 1;
  while (ring < bars) ring *= 2;
  return ring;
}

// The current device's limits that the launchers size their blocks by. A device's first
// call also lets every fused kernel use its largest shared memory per block, always the
// same value: a launch captured in a CUDA graph keeps its own size, and a smaller limit
// set for a later launch would make the graph's replay fail
// (cudaErrorLaunchOutOfResources). Cached per device, so that launches repeat no host
// queries; safe from several threads.
struct DeviceLimits {
  int max_shared = 0;       // bytes of shared memory a block may opt in to
  int multiprocessors = 0;
};
const DeviceLimits& device_limits();
// Resident blocks per multiprocessor of `kernel` on the current device (the occupancy
// query, cached per device and arguments).
int resident_blocks(const void* kernel, int threads, int shared_bytes);
// Each implementation's part of device_limits(): the attribute on its own kernels.
void allow_shared_per_symbol(int bytes);
void allow_shared_per_family(int bytes);
template <class... Kernel>
void allow_shared(int bytes, Kernel*... kernels) {
  for (const void* kernel : {reinterpret_cast<const void*>(kernels)...})
    ATC_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
}

// The per-symbol kernel (fused_per_symbol.cu): the latency path. Blocks of up to 3 series.
void launch_per_symbol(const FusedInput& input, const FusedParams& params, const DeviceColumns& out,
                       cudaStream_t stream);
// Whether launch_fused runs Layer 2 (one of its outputs is requested).
inline bool wants_layer2(const DeviceColumns& out) {
  if (out.average_signal != nullptr || out.trend != nullptr) return true;
  for (const double* c : out.family_equity)
    if (c != nullptr) return true;
  return false;
}

// The per-family kernels (fused_per_family.cu): the throughput path. Blocks of up to 32
// series; `workspace` as in launch_fused.
void launch_per_family(const FusedInput& input, const FusedParams& params, const DeviceColumns& out,
                       void* workspace, cudaStream_t stream);
// Series in flight from which the per-family path's blocks of 32 fill every block slot
// of the current device (below that, its warps would run part-empty).
long long per_family_series_to_fill(const FusedParams& params);

}  // namespace atc::cuda::fused_detail
