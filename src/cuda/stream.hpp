// An owned, non-blocking CUDA stream (RAII) of the highest priority: the engine's work
// goes ahead of other kernels of the process.
#pragma once

#include <cuda_runtime_api.h>

#include "check.hpp"

namespace atc::cuda {

class Stream {
 public:
  Stream() {
    int least = 0, greatest = 0;
    ATC_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    ATC_CUDA_CHECK(cudaStreamCreateWithPriority(&stream_, cudaStreamNonBlocking, greatest));
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { cudaStreamDestroy(stream_); }
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

}  // namespace atc::cuda
