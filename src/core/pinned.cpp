// PinnedRegion: the public face of the CUDA backend's host-memory registration.
#include "atc/pinned.hpp"

#include <utility>

#include "prepared.hpp"

namespace atc {

PinnedRegion::PinnedRegion(const void* data, std::size_t bytes) {
  if (data != nullptr && bytes > 0 && detail::cuda_host_register(data, bytes)) data_ = data;
}

PinnedRegion::PinnedRegion(PinnedRegion&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}

PinnedRegion& PinnedRegion::operator=(PinnedRegion&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) detail::cuda_host_unregister(data_);
    data_ = std::exchange(other.data_, nullptr);
  }
  return *this;
}

PinnedRegion::~PinnedRegion() {
  if (data_ != nullptr) detail::cuda_host_unregister(data_);
}

std::vector<PinnedRegion> pin_columns(BatchOutputs& outputs) {
  std::vector<PinnedRegion> pins;
  outputs.for_each_column([&](const OutputField&, auto& column) {
    if (!column.empty()) pins.emplace_back(std::span(column.data(), column.size()));
  });
  std::erase_if(pins, [](const PinnedRegion& p) { return !p.active(); });
  return pins;
}

}  // namespace atc
