#include "gap_rows.hpp"

#include "check.hpp"
#include "no_value.cuh"

namespace atc::cuda {
namespace {

constexpr int kThreads = 256;

// Block i clears the gap before series i.
__global__ void clear_gaps_kernel(DeviceColumns out, const long long* offset, const long long* end) {
  const int i = static_cast<int>(blockIdx.x) + 1;
  for (long long row = end[i - 1] + threadIdx.x; row < offset[i]; row += blockDim.x) clear_output_row(out, row);
}

}  // namespace

void launch_clear_gaps(const DeviceColumns& out, const long long* offset, const long long* end, int series,
                       cudaStream_t stream) {
  if (series < 2) return;
  clear_gaps_kernel<<<static_cast<unsigned>(series - 1), kThreads, 0, stream>>>(out, offset, end);
  ATC_CUDA_CHECK_LAUNCH("clear_gaps_kernel");
}

}  // namespace atc::cuda
