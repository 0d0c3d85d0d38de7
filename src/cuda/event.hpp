// An owned CUDA event (RAII), for stream ordering and timing.
#pragma once

#include <cuda_runtime_api.h>

#include "check.hpp"

namespace atc::cuda {

class Event {
 public:
  explicit Event(bool timing = true) {
    ATC_CUDA_CHECK(cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming));
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { cudaEventDestroy(event_); }
  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream = nullptr) const { ATC_CUDA_CHECK(cudaEventRecord(event_, stream)); }

 private:
  cudaEvent_t event_ = nullptr;
};

// Milliseconds between two recorded timing events (waits for `stop`).
inline float elapsed_ms(const Event& start, const Event& stop) {
  ATC_CUDA_CHECK(cudaEventSynchronize(stop.get()));
  float ms = 0.0f;
  ATC_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  return ms;
}

}  // namespace atc::cuda
