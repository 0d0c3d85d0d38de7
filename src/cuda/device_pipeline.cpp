#include "device_pipeline.hpp"

#include <algorithm>
#include <iterator>
#include <mutex>

#include "pipeline.hpp"

namespace atc::cuda {
namespace streaming {
namespace {

constexpr std::size_t kMaxCachedPipelines = 8;

struct Cache {
  std::mutex mutex{};
  std::vector<std::unique_ptr<DevicePipeline>> pipelines;  // oldest first
};
Cache& cache() {
  static Cache c;
  return c;
}

}  // namespace

std::size_t cached_device_bytes(int device) {
  Cache& c = cache();
  const std::lock_guard lock(c.mutex);
  std::size_t bytes = 0;
  for (const auto& p : c.pipelines)
    if (p->device() == device) bytes += p->device_bytes();
  return bytes;
}

std::unique_ptr<DevicePipeline> acquire(const PipelineShape& need, bool& cached) {
  std::vector<std::unique_ptr<DevicePipeline>> unfit;
  {
    Cache& c = cache();
    const std::lock_guard lock(c.mutex);
    for (auto it = c.pipelines.rbegin(); it != c.pipelines.rend(); ++it) {
      if ((*it)->shape().fits(need)) {
        std::unique_ptr<DevicePipeline> p = std::move(*it);
        c.pipelines.erase(std::next(it).base());
        cached = true;
        return p;
      }
    }
    for (auto it = c.pipelines.begin(); it != c.pipelines.end();) {
      if ((*it)->device() == need.device) {
        unfit.push_back(std::move(*it));
        it = c.pipelines.erase(it);
      } else {
        ++it;
      }
    }
  }
  unfit.clear();  // freed outside the lock
  cached = false;
  return std::make_unique<DevicePipeline>(need);
}

void give_back(std::unique_ptr<DevicePipeline> pipeline) {
  std::unique_ptr<DevicePipeline> dropped;
  Cache& c = cache();
  const std::lock_guard lock(c.mutex);
  c.pipelines.push_back(std::move(pipeline));
  if (c.pipelines.size() > kMaxCachedPipelines) {
    dropped = std::move(c.pipelines.front());
    c.pipelines.erase(c.pipelines.begin());
  }
}

}  // namespace streaming

void clear_pipeline_cache() {
  std::vector<std::unique_ptr<streaming::DevicePipeline>> dropped;
  {
    streaming::Cache& c = streaming::cache();
    const std::lock_guard lock(c.mutex);
    dropped.swap(c.pipelines);
  }
}

CacheFootprint pipeline_cache_footprint() {
  streaming::Cache& c = streaming::cache();
  const std::lock_guard lock(c.mutex);
  CacheFootprint f;
  for (const auto& p : c.pipelines) {
    ++f.pipelines;
    f.device_bytes += p->device_bytes();
    f.pinned_bytes += p->pinned_bytes();
  }
  return f;
}

}  // namespace atc::cuda
