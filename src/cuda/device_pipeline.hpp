// The per-device part of the streamed pipeline (host code): a device's streams, each
// with its device buffers and two staging slots, the captured graphs, and the cache that
// keeps pipelines from one run to the next (in a GpuContext).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "atc/config.hpp"
#include "atc/gpu_context.hpp"
#include "direct_transfers.hpp"
#include "event.hpp"
#include "fused.hpp"
#include "runtime.hpp"
#include "stream.hpp"
#include "transfer_plan.hpp"

namespace atc::cuda::streaming {

// A pinned staging slot: a chunk's packed input and its results.
struct Slot {
  Slot(std::size_t in_bytes, std::size_t out_bytes, Where where)
      : input(in_bytes, where), output(out_bytes, where) {}
  Memory input, output;
  Event done{false}, start{true}, end{true};
  std::vector<std::pair<ChunkLayout, GraphExec>> graphs;
  std::ptrdiff_t chunk = -1;  // in flight, -1 when free
  Direct direct;              // of the chunk in flight
};

// One stream with its device buffers and two slots: while the device works on one
// slot's chunk, the host scatters and refills the other.
struct StreamBuffers {
  StreamBuffers(std::size_t in_bytes, std::size_t out_bytes, std::size_t workspace_bytes, Where staging)
      : input(in_bytes, Where::Device), output(out_bytes, Where::Device), workspace(workspace_bytes, Where::Device),
        slots{{in_bytes, out_bytes, staging}, {in_bytes, out_bytes, staging}} {}
  Stream stream;
  Memory input, output, workspace;
  Slot slots[2];
};

struct PipelineShape {
  int device = 0, streams = 1;
  bool pinned = true;
  std::size_t in_bytes = 0, out_bytes = 0;  // per slot
  std::size_t workspace_bytes = 0;          // per stream, device only
  bool fits(const PipelineShape& need) const {
    return device == need.device && streams == need.streams && pinned == need.pinned &&
           in_bytes >= need.in_bytes && out_bytes >= need.out_bytes && workspace_bytes >= need.workspace_bytes;
  }
};

class DevicePipeline {
 public:
  explicit DevicePipeline(const PipelineShape& shape) : shape_(shape) {
    const DeviceGuard guard(shape.device);
    const Where staging = shape.pinned ? Where::Pinned : Where::Pageable;
    for (int i = 0; i < shape.streams; ++i)
      buffers_.push_back(std::make_unique<StreamBuffers>(shape.in_bytes, shape.out_bytes, shape.workspace_bytes, staging));
    reference_ = std::make_unique<Event>(true);  // on the pipeline's device, like its streams
  }
  DevicePipeline(const DevicePipeline&) = delete;
  DevicePipeline& operator=(const DevicePipeline&) = delete;
  ~DevicePipeline() {
    // Free on the pipeline's device, after anything still queued there.
    int previous = 0;
    if (cudaGetDevice(&previous) != cudaSuccess || cudaSetDevice(shape_.device) != cudaSuccess) return;
    for (const auto& buffers : buffers_) cudaStreamSynchronize(buffers->stream.get());
    buffers_.clear();
    growth_.reset();
    reference_.reset();
    cudaSetDevice(previous);
  }

  const PipelineShape& shape() const { return shape_; }
  int device() const { return shape_.device; }
  StreamBuffers& buffers(int i) { return *buffers_[static_cast<std::size_t>(i)]; }
  const double* growth() const { return reinterpret_cast<const double*>(growth_->data()); }
  cudaEvent_t reference() const { return reference_->get(); }

  std::size_t device_bytes() const {
    return growth_->bytes() + buffers_.size() * (shape_.in_bytes + shape_.out_bytes + shape_.workspace_bytes);
  }
  std::size_t pinned_bytes() const {
    return shape_.pinned ? buffers_.size() * 2 * (shape_.in_bytes + shape_.out_bytes) : 0;
  }

  // Readies the pipeline for a run: the growth table on the device (uploaded only when
  // it changed) and the captured graphs dropped when the kernel's parameters changed.
  void ready_for_run(std::span<const double> growth, const Config& config, const FusedParams& params) {
    const int calibration = params.calibration;
    const DeviceGuard guard(shape_.device);
    if (growth_->bytes() < growth.size_bytes()) {
      growth_.reset();
      growth_ = std::make_unique<Memory>(growth.size_bytes(), Where::Device);
      growth_host_.clear();
      drop_graphs();  // they hold the old growth pointer
    }
    if (!std::equal(growth.begin(), growth.end(), growth_host_.begin(), growth_host_.end())) {
      ATC_CUDA_CHECK(cudaMemcpy(growth_->data(), growth.data(), growth.size_bytes(), cudaMemcpyHostToDevice));
      growth_host_.assign(growth.begin(), growth.end());
    }
    // A captured graph holds the launch as it was: its config, its calibration family,
    // its precision and block shape (which follows the series in flight).
    const std::pair<int, long long> launch{params.float32, params.concurrent_series};
    if (!config_ || *config_ != config || calibration_ != calibration || launch_ != launch) drop_graphs();
    config_ = config;
    calibration_ = calibration;
    launch_ = launch;
    reference_->record(buffers_[0]->stream.get());
  }

 private:
  void drop_graphs() {
    for (const auto& buffers : buffers_)
      for (Slot& slot : buffers->slots) slot.graphs.clear();
  }

  PipelineShape shape_;
  std::vector<std::unique_ptr<StreamBuffers>> buffers_;
  std::unique_ptr<Memory> growth_ = std::make_unique<Memory>();
  std::vector<double> growth_host_;
  std::optional<Config> config_;
  int calibration_ = -1;
  std::pair<int, long long> launch_{0, 0};  // float32, concurrent_series of the graphs' launches
  std::unique_ptr<Event> reference_;  // recorded at the start of each run, for the timing stats
};

// The pipelines a GpuContext keeps between runs, most recently used last; safe from
// several threads.
class PipelineCache {
 public:
  ~PipelineCache();
  // Device bytes the pipelines of `device` hold (free for a run that takes them).
  std::size_t device_bytes(int device) const;
  // A pipeline that fits, taken out of the cache; else a new one (the cached pipelines of
  // that device that do not fit are freed first: their memory is counted as free).
  std::unique_ptr<DevicePipeline> acquire(const PipelineShape& need, bool& cached);
  // Back into the cache after a run (the oldest dropped beyond kMaxPipelines).
  void give_back(std::unique_ptr<DevicePipeline> pipeline);
  // Frees every pipeline.
  void clear();
  GpuContext::Footprint footprint() const;

 private:
  static constexpr std::size_t kMaxPipelines = 8;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<DevicePipeline>> pipelines_;  // oldest first
};

}  // namespace atc::cuda::streaming
