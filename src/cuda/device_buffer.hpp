// Owning, typed device and pinned host allocations (host code only).
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "check.hpp"

namespace atc::cuda {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : size_(count) {
    if (count > 0) ATC_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { release(); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(T); }

  // Synchronous copies of the whole buffer (sizes must match).
  void upload(std::span<const T> host) {
    if (!host.empty())
      ATC_CUDA_CHECK(cudaMemcpy(data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  void download(std::span<T> host) const {
    if (!host.empty())
      ATC_CUDA_CHECK(cudaMemcpy(host.data(), data_, host.size() * sizeof(T), cudaMemcpyDeviceToHost));
  }

 private:
  void release() noexcept {
    if (data_ != nullptr) cudaFree(data_);  // no throwing from a destructor
    data_ = nullptr;
    size_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

template <class T>
DeviceBuffer<T> to_device(std::span<const T> host) {
  DeviceBuffer<T> buffer(host.size());
  buffer.upload(host);
  return buffer;
}

// Page-locked host memory for asynchronous copies.
template <class T>
struct PinnedDeleter {
  void operator()(T* p) const { cudaFreeHost(p); }
};
template <class T>
using PinnedArray = std::unique_ptr<T[], PinnedDeleter<T>>;
template <class T>
PinnedArray<T> pinned(std::size_t count) {
  T* p = nullptr;
  ATC_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&p), std::max<std::size_t>(count, 1) * sizeof(T)));
  return PinnedArray<T>(p);
}

}  // namespace atc::cuda
