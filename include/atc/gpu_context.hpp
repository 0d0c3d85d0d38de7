// GPU resources the cuda backend keeps between calls, owned by an object the caller
// holds (or by the process-wide default one).
#pragma once

#include <cstddef>
#include <memory>

namespace atc {

class GpuContext;
namespace cuda::streaming {
class PipelineCache;
// The context's pipeline cache (the cuda backend's access to it).
PipelineCache& pipelines_of(GpuContext& context);
}  // namespace cuda::streaming

/// What the cuda backend keeps from one compute_batch to the next: per device, the
/// streamed pipeline's CUDA streams, device buffers, pinned staging slots and captured
/// CUDA graphs, so that a scanner re-running the same universe allocates nothing after
/// its first call. ComputeOptions::gpu_context picks the context of a call; without one,
/// calls share default_gpu_context(). A context may serve several threads at once (a
/// call takes the pipelines it uses out of it and puts them back when done). In a build
/// without CUDA it holds nothing.
class GpuContext {
 public:
  GpuContext();
  /// Frees everything the context holds.
  ~GpuContext();
  GpuContext(const GpuContext&) = delete;
  GpuContext& operator=(const GpuContext&) = delete;

  /// Frees every kept resource now (device and pinned memory, streams, graphs); the next
  /// call allocates anew. Calls running meanwhile keep theirs until they return.
  void release();

  /// The resources kept now.
  struct Footprint {
    std::size_t pipelines = 0;     ///< per-device pipelines (a device, a stream count)
    std::size_t device_bytes = 0;  ///< device memory
    std::size_t pinned_bytes = 0;  ///< page-locked host memory
  };
  Footprint footprint() const;

 private:
  friend cuda::streaming::PipelineCache& cuda::streaming::pipelines_of(GpuContext& context);
  std::unique_ptr<cuda::streaming::PipelineCache> pipelines_;
};

/// The context of every call whose ComputeOptions name none.
GpuContext& default_gpu_context();

}  // namespace atc
