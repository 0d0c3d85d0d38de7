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

bool cuda_host_register(const void* data, std::size_t bytes) {
  if (!cuda_device_usable()) return false;
  // cudaHostRegister takes a non-const pointer but only changes the pages' locking.
  const cudaError_t status = cudaHostRegister(const_cast<void*>(data), bytes, cudaHostRegisterDefault);
  if (status == cudaSuccess) return true;
  (void)cudaGetLastError();  // already registered, or the OS refused: stay pageable
  return false;
}

void cuda_host_unregister(const void* data) {
  if (cudaHostUnregister(const_cast<void*>(data)) != cudaSuccess) (void)cudaGetLastError();
}

}  // namespace atc::detail
