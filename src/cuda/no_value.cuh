// Device code: one row of every output column set to that column's no-value code (NaN,
// 0, kHundredthsNaN), the device's twin of BatchOutputs::clear_rows.
#pragma once

#include "fused.hpp"

namespace atc::cuda {

__device__ inline void clear_output_row(const DeviceColumns& out, long long row) {
  const double nan = __longlong_as_double(0x7ff8000000000000LL);
  if (out.average_signal != nullptr) out.average_signal[row] = nan;
  for (int f = 0; f < kFamilies; ++f) {
    if (out.family_signal[f] != nullptr) out.family_signal[f][row] = nan;
    if (out.family_signal_hundredths[f] != nullptr) out.family_signal_hundredths[f][row] = kHundredthsNaN;
    if (out.family_equity[f] != nullptr) out.family_equity[f][row] = nan;
  }
  std::int8_t* const classification[] = {out.trend, out.state, out.direction, out.long_entry, out.short_entry};
  for (std::int8_t* c : classification)
    if (c != nullptr) c[row] = 0;
  for (int k = 0; k < kLengthsPerFamily; ++k) {
    if (out.ma[k] != nullptr) out.ma[k][row] = nan;
    if (out.ma_signal[k] != nullptr) out.ma_signal[k][row] = 0;
    if (out.ma_equity[k] != nullptr) out.ma_equity[k][row] = nan;
  }
}

}  // namespace atc::cuda
