// The CUDA backend entry points; run_cuda hands the batch to the streamed pipeline
// (pipeline.hpp), which chunks it over the devices and streams of the options.
#include <cuda_runtime_api.h>

#include "../core/prepared.hpp"
#include "pipeline.hpp"

namespace atc::detail {

bool cuda_built() { return true; }

bool cuda_device_usable() {
  static const bool usable = [] {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  }();
  return usable;
}

void run_cuda(const PreparedBatch& batch, const Config& config, OutputColumns out,
              const ComputeOptions& options) {
  cuda::run_pipeline(batch, config, out, options);
}

}  // namespace atc::detail
