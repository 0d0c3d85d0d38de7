// launch_fused: the checks, then one of the two implementations (fused.hpp).
#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "atc/error.hpp"
#include "fused_launch.hpp"

namespace atc::cuda {
namespace {

int families_without_hundredths(const DeviceColumns& out) {
  return static_cast<int>(std::count(std::begin(out.family_signal_hundredths), std::end(out.family_signal_hundredths),
                                     nullptr));
}

std::mutex limits_mutex;

}  // namespace

namespace fused_detail {

const DeviceLimits& device_limits() {
  static std::map<int, DeviceLimits> limits;  // nodes stay put: references remain valid
  int device = 0;
  ATC_CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard lock(limits_mutex);
  const auto found = limits.find(device);
  if (found != limits.end()) return found->second;
  DeviceLimits l;
  ATC_CUDA_CHECK(cudaDeviceGetAttribute(&l.max_shared, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  ATC_CUDA_CHECK(cudaDeviceGetAttribute(&l.multiprocessors, cudaDevAttrMultiProcessorCount, device));
  allow_shared_per_symbol(l.max_shared);
  allow_shared_per_family(l.max_shared);
  return limits.emplace(device, l).first->second;
}

int resident_blocks(const void* kernel, int threads, int shared_bytes) {
  static std::map<std::tuple<int, const void*, int, int>, int> resident;
  int device = 0;
  ATC_CUDA_CHECK(cudaGetDevice(&device));
  const auto key = std::make_tuple(device, kernel, threads, shared_bytes);
  const std::lock_guard lock(limits_mutex);
  const auto found = resident.find(key);
  if (found != resident.end()) return found->second;
  int blocks = 0;
  ATC_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, threads, shared_bytes));
  resident.emplace(key, blocks);
  return blocks;
}

}  // namespace fused_detail

FusedParams make_fused_params(const Config& config, int calibration_family) {
  FusedParams p{};
  for (Family family : kAllFamilies) {
    const int f = static_cast<int>(family);
    const auto lengths = config.lengths(family);
    // The first tile start from which every chain of the family is past its warm-up,
    // and every curve past the cutout (and bar 0).
    int steady_from = std::max(config.cutout + 1, 1);
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      p.length[f][i] = lengths[i];
      steady_from = std::max(steady_from, atc::steady_from(family, lengths[i]));
    }
    p.steady_from[f] = steady_from;
    p.weight[f] = config.weight[f];
  }
  p.keep = 1.0 - config.decay_rate();
  p.long_threshold = config.long_threshold;
  p.short_threshold = config.short_threshold;
  p.cutout = config.cutout;
  p.strategy = config.strategy ? 1 : 0;
  p.calibration = calibration_family;
  p.symbols_per_block = 0;
  p.concurrent_series = 0;
  p.float32 = 0;
  p.path = FusedPath::Auto;
  return p;
}

std::size_t fused_workspace_bytes(std::size_t rows, const DeviceColumns& out) {
  return fused_detail::wants_layer2(out) && families_without_hundredths(out) > 0 ? rows * kFamilies : 0;
}

void launch_fused(const FusedInput& input, const FusedParams& params, const DeviceColumns& out, void* workspace,
                  cudaStream_t stream) {
  if (input.series == 0) return;
  const int longest = fused_detail::max_length(params);
  if (longest > kFusedMaxLength)
    throw Error("CUDA backend: MA length " + std::to_string(longest) + " exceeds the fused kernel's limit of " +
                std::to_string(kFusedMaxLength));
  if (input.ticks == nullptr)
    throw Error("CUDA backend: the fused path needs every series' tick scale (FusedInput::ticks)");
  // Checked whichever path runs: the caller cannot know which one will.
  if (fused_workspace_bytes(1, out) > 0 && workspace == nullptr)
    throw Error("CUDA backend: the fused path needs a workspace of fused_workspace_bytes() bytes");
  FusedPath path = params.path;
  if (path == FusedPath::Auto) {
    const long long in_flight = std::max<long long>(input.series, params.concurrent_series);
    path = in_flight >= fused_detail::per_family_series_to_fill(params) ? FusedPath::PerFamily : FusedPath::PerSymbol;
  }
  if (path == FusedPath::PerSymbol) {
    fused_detail::launch_per_symbol(input, params, out, stream);
    return;
  }
  fused_detail::launch_per_family(input, params, out, workspace, stream);
}

}  // namespace atc::cuda
