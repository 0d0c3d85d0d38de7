// Checked CUDA runtime calls: every call and every kernel launch goes through
// ATC_CUDA_CHECK / ATC_CUDA_CHECK_LAUNCH, which throw atc::Error naming the call.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "atc/error.hpp"

namespace atc::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* what, const char* file,
                                          int line) {
  throw Error(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
              "): " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

// After a <<<...>>> launch of `kernel`: reports a launch-configuration error naming it.
inline void check_launch(const char* kernel, const char* file, int line) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw_cuda_error(status, (std::string("launch of ") + kernel).c_str(), file, line);
}

}  // namespace atc::cuda

#define ATC_CUDA_CHECK(call)                                                    \
  do {                                                                          \
    const cudaError_t atc_cuda_status_ = (call);                                \
    if (atc_cuda_status_ != cudaSuccess)                                        \
      ::atc::cuda::throw_cuda_error(atc_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)

// After a <<<...>>> launch: reports launch-configuration errors naming the kernel (a
// string, known at run time for the launchers that choose among instantiations).
#define ATC_CUDA_CHECK_LAUNCH(kernel_name) ::atc::cuda::check_launch((kernel_name), __FILE__, __LINE__)
