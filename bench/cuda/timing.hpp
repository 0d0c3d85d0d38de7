// Timing of device work for the CUDA benchmarks: CUDA events, median after a warm-up.
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

#include "cuda/event.hpp"

namespace atc::bench {

// Median milliseconds of `repeats` runs of `work` on the default stream, after one
// untimed warm-up run.
inline double median_ms(const std::function<void()>& work, int repeats) {
  work();
  ATC_CUDA_CHECK(cudaDeviceSynchronize());
  const cuda::Event start, stop;
  std::vector<float> times;
  for (int r = 0; r < repeats; ++r) {
    start.record();
    work();
    stop.record();
    times.push_back(cuda::elapsed_ms(start, stop));
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

}  // namespace atc::bench
