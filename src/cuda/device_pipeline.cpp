#include "device_pipeline.hpp"

#include <algorithm>
#include <iterator>

namespace atc {
namespace cuda::streaming {

PipelineCache::~PipelineCache() { clear(); }

std::size_t PipelineCache::device_bytes(int device) const {
  const std::lock_guard lock(mutex_);
  std::size_t bytes = 0;
  for (const auto& p : pipelines_)
    if (p->device() == device) bytes += p->device_bytes();
  return bytes;
}

std::unique_ptr<DevicePipeline> PipelineCache::acquire(const PipelineShape& need, bool& cached) {
  std::vector<std::unique_ptr<DevicePipeline>> unfit;
  {
    const std::lock_guard lock(mutex_);
    for (auto it = pipelines_.rbegin(); it != pipelines_.rend(); ++it) {
      if ((*it)->shape().fits(need)) {
        std::unique_ptr<DevicePipeline> p = std::move(*it);
        pipelines_.erase(std::next(it).base());
        cached = true;
        return p;
      }
    }
    for (auto it = pipelines_.begin(); it != pipelines_.end();) {
      if ((*it)->device() == need.device) {
        unfit.push_back(std::move(*it));
        it = pipelines_.erase(it);
      } else {
        ++it;
      }
    }
  }
  unfit.clear();  // freed outside the lock
  cached = false;
  return std::make_unique<DevicePipeline>(need);
}

void PipelineCache::give_back(std::unique_ptr<DevicePipeline> pipeline) {
  std::unique_ptr<DevicePipeline> dropped;  // freed after the lock is released
  const std::lock_guard lock(mutex_);
  pipelines_.push_back(std::move(pipeline));
  if (pipelines_.size() > kMaxPipelines) {
    dropped = std::move(pipelines_.front());
    pipelines_.erase(pipelines_.begin());
  }
}

void PipelineCache::clear() {
  std::vector<std::unique_ptr<DevicePipeline>> dropped;
  {
    const std::lock_guard lock(mutex_);
    dropped.swap(pipelines_);
  }
}

GpuContext::Footprint PipelineCache::footprint() const {
  const std::lock_guard lock(mutex_);
  GpuContext::Footprint f;
  for (const auto& p : pipelines_) {
    ++f.pipelines;
    f.device_bytes += p->device_bytes();
    f.pinned_bytes += p->pinned_bytes();
  }
  return f;
}

PipelineCache& pipelines_of(GpuContext& context) { return *context.pipelines_; }

}  // namespace cuda::streaming

GpuContext::GpuContext() : pipelines_(std::make_unique<cuda::streaming::PipelineCache>()) {}
GpuContext::~GpuContext() = default;
void GpuContext::release() { pipelines_->clear(); }
GpuContext::Footprint GpuContext::footprint() const { return pipelines_->footprint(); }

GpuContext& default_gpu_context() {
  static GpuContext context;
  return context;
}

}  // namespace atc
