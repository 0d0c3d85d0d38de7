// The rows between the series of a spanned chunk (transfer_plan.hpp): its outputs are
// laid out as the caller's columns, gaps included, so that one copy moves a column; the
// gaps get each column's no-value code (NaN, 0, kHundredthsNaN), which is what the
// caller's rows there already hold. Host declaration; the kernel is in gap_rows.cu.
#pragma once

#include <cuda_runtime_api.h>

#include "fused.hpp"

namespace atc::cuda {

// Enqueues the clearing of rows [end[i − 1], offset[i]) of every column of `out`, for
// i = 1 … series − 1 (`offset`, `end`: device arrays of the chunk).
void launch_clear_gaps(const DeviceColumns& out, const long long* offset, const long long* end, int series,
                       cudaStream_t stream);

}  // namespace atc::cuda
