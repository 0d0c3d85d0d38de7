// Timing for the CUDA benchmarks: CUDA events for device work, the host clock around
// whole calls; medians after a warm-up.
#pragma once

#include <algorithm>
#include <chrono>
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

// Median milliseconds of `repeats` runs of `work` on the host clock (the whole call,
// which returns with its results complete), after one untimed warm-up run.
inline double median_host_ms(const std::function<void()>& work, int repeats) {
  using Clock = std::chrono::steady_clock;
  work();
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    work();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

}  // namespace atc::bench
