// Page-locked ("pinned") host memory for the CUDA backend's direct transfers.
//
// The cuda backend copies prices to the device and results back through pinned staging
// buffers of its own. When the caller's price buffer (compute_ragged, compute_table) or
// result columns are themselves pinned, the copies to and from the staging buffers are
// skipped: the device reads and writes the caller's memory directly. That pays for
// buffers used many times, such as a live scanner's price table and the BatchResult it
// passes back to compute_batch every bar; pinning itself costs about as much as a
// copy. Without a usable CUDA device every function here does nothing.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "atc/batch.hpp"

namespace atc {

// Pins [data, data + bytes) for the object's lifetime (cudaHostRegister). The memory must
// stay allocated, and must not be resized, until the object is destroyed. active() is
// false when nothing was pinned: no CUDA device, an empty range, or memory the CUDA
// runtime already knows as pinned (then it stays as it is).
class PinnedRegion {
 public:
  PinnedRegion() = default;
  PinnedRegion(const void* data, std::size_t bytes);
  template <class T>
  explicit PinnedRegion(std::span<T> range) : PinnedRegion(range.data(), range.size_bytes()) {}
  PinnedRegion(PinnedRegion&& other) noexcept;
  PinnedRegion& operator=(PinnedRegion&& other) noexcept;
  PinnedRegion(const PinnedRegion&) = delete;
  PinnedRegion& operator=(const PinnedRegion&) = delete;
  ~PinnedRegion();

  bool active() const { return data_ != nullptr; }

 private:
  const void* data_ = nullptr;
};

// Pins every allocated column of `outputs` (as they are now: resizing them, e.g. by a
// later call with another batch shape, invalidates the pins).
std::vector<PinnedRegion> pin_columns(BatchOutputs& outputs);

}  // namespace atc
