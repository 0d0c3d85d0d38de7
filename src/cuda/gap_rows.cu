#include "gap_rows.hpp"

#include "check.hpp"

namespace atc::cuda {
namespace {

constexpr int kThreads = 256;

// Block i clears the gap before series i.
__global__ void clear_gaps_kernel(DeviceColumns out, const long long* offset, const long long* end) {
  const int i = static_cast<int>(blockIdx.x) + 1;
  const double nan = __longlong_as_double(0x7ff8000000000000LL);
  for (long long row = end[i - 1] + threadIdx.x; row < offset[i]; row += blockDim.x) {
    if (out.average_signal != nullptr) out.average_signal[row] = nan;
    for (int f = 0; f < kFamilies; ++f) {
      if (out.family_signal[f] != nullptr) out.family_signal[f][row] = nan;
      if (out.family_signal_hundredths[f] != nullptr) out.family_signal_hundredths[f][row] = kHundredthsNaN;
      if (out.family_equity[f] != nullptr) out.family_equity[f][row] = nan;
    }
    for (std::int8_t* c : out.classification)
      if (c != nullptr) c[row] = 0;
    for (int k = 0; k < kLengthsPerFamily; ++k) {
      if (out.ma[k] != nullptr) out.ma[k][row] = nan;
      if (out.ma_signal[k] != nullptr) out.ma_signal[k][row] = 0;
      if (out.ma_equity[k] != nullptr) out.ma_equity[k][row] = nan;
    }
  }
}

}  // namespace

void launch_clear_gaps(const DeviceColumns& out, const long long* offset, const long long* end, int series,
                       cudaStream_t stream) {
  if (series < 2) return;
  clear_gaps_kernel<<<static_cast<unsigned>(series - 1), kThreads, 0, stream>>>(out, offset, end);
  ATC_CUDA_CHECK_LAUNCH("clear_gaps_kernel");
}

}  // namespace atc::cuda
