// Direct transfers (host code): the parts of a chunk that move straight between the
// caller's page-locked memory and the device, skipping the staging slots.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "../core/prepared.hpp"
#include "transfer_plan.hpp"

namespace atc::cuda::streaming {

// True when [data, data + bytes) lies in page-locked host memory (cudaMallocHost, or a
// range the caller registered, e.g. with atc::PinnedRegion).
bool pinned_host(const void* data, std::size_t bytes);

// The parts of a chunk that move straight between the caller's memory and the device:
// its prices when the chunk's series are one contiguous pinned range, and each output
// column (but the int8 hundredths, widened on the host) whose rows are. The rest goes
// through the staging slot. Either way the same bytes reach the same places.
struct Direct {
  const double* close = nullptr;  // the chunk's first close, or null (staged)
  const double* src = nullptr;    // likewise, when the chunk carries src
  std::array<std::byte*, kMaxColumns> column{};  // the chunk's first row, or null (staged)
  bool any_column = false, all_columns = false;
  bool any() const { return close != nullptr || any_column; }
  bool complete() const { return close != nullptr && all_columns; }  // nothing staged
};

// Which output columns lie in pinned memory over all the rows of the batch (so over
// every chunk's rows): two cudaPointerGetAttributes a column per run, not per chunk.
std::vector<bool> pinned_columns(const detail::PreparedBatch& batch, const std::vector<TransferColumn>& columns);

// Whether the prices of the whole batch (from its first series' first bar to its last
// series' last bar, src too) lie in pinned memory.
bool prices_pinned(const detail::PreparedBatch& batch);

// What of `chunk` moves directly.
Direct direct_of(const detail::PreparedBatch& batch, const std::vector<TransferColumn>& columns,
                 const std::vector<bool>& column_pinned, const Chunk& chunk);

}  // namespace atc::cuda::streaming
