// Timing for the CUDA benchmarks: CUDA events for device work, the host clock around
// whole calls; medians after a warm-up.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <functional>
#include <vector>

#include "atc/atc.hpp"
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

// The benchmarks' command line, `NAME [--repeats N] [--quick]`; nullopt (after saying
// why) for a bad one or without a usable CUDA device.
struct Arguments {
  int repeats;
  bool quick = false;
};
inline std::optional<Arguments> parse_arguments(int argc, char** argv, const char* name, int repeats) {
  Arguments a{repeats};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeats" && i + 1 < argc) a.repeats = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--quick") a.quick = true;
    else {
      std::fprintf(stderr, "usage: %s [--repeats N] [--quick]\n", name);
      return std::nullopt;
    }
  }
  if (!cuda_available()) {
    std::fprintf(stderr, "%s: no usable CUDA device\n", name);
    return std::nullopt;
  }
  return a;
}

}  // namespace atc::bench
