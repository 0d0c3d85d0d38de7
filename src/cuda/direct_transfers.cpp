#include "direct_transfers.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>

namespace atc::cuda::streaming {

bool pinned_host(const void* data, std::size_t bytes) {
  const auto* first = static_cast<const std::byte*>(data);
  for (const std::byte* p : {first, first + bytes - 1}) {
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
      (void)cudaGetLastError();  // not an error of the run: the range is just not pinned
      return false;
    }
    if (attributes.type != cudaMemoryTypeHost) return false;
  }
  return true;
}

std::vector<bool> pinned_columns(const detail::PreparedBatch& batch, const std::vector<TransferColumn>& columns) {
  std::size_t first_row = batch.series.front().out_offset, end_row = 0;
  for (const PreparedSeries& s : batch.series) {
    first_row = std::min(first_row, s.out_offset);
    end_row = std::max(end_row, s.out_offset + s.n);
  }
  std::vector<bool> pinned(columns.size(), false);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].kind == Kind::Hundredths) continue;
    const std::size_t element = element_bytes(columns[c].kind);
    pinned[c] = pinned_host(static_cast<std::byte*>(columns[c].host) + first_row * element,
                            (end_row - first_row) * element);
  }
  return pinned;
}

bool prices_pinned(const detail::PreparedBatch& batch) {
  if (batch.series.empty()) return false;
  const PreparedSeries& first = batch.series.front();
  const PreparedSeries& last = batch.series.back();
  const auto range_pinned = [](const double* from, const double* to) {
    return reinterpret_cast<std::uintptr_t>(to) > reinterpret_cast<std::uintptr_t>(from) &&
           pinned_host(from, reinterpret_cast<std::uintptr_t>(to) - reinterpret_cast<std::uintptr_t>(from));
  };
  const bool own_src = std::any_of(batch.series.begin(), batch.series.end(),
                                   [](const PreparedSeries& s) { return s.src != s.close; });
  return range_pinned(first.close, last.close + last.n) && (!own_src || range_pinned(first.src, last.src + last.n));
}

Direct direct_of(const detail::PreparedBatch& batch, const std::vector<TransferColumn>& columns,
                 const std::vector<bool>& column_pinned, const Chunk& chunk) {
  Direct d;
  const ChunkLayout& l = chunk.layout;
  const PreparedSeries* series = batch.series.data() + chunk.first;
  // A spanned chunk's series are where its layout has them, by construction.
  bool in_contiguous = true, out_contiguous = true;
  for (std::size_t i = 1; i < l.series && l.ends_at == 0; ++i) {
    in_contiguous = in_contiguous && series[i].close == series[i - 1].close + series[i - 1].n &&
                    series[i].src == series[i - 1].src + series[i - 1].n;
    out_contiguous = out_contiguous && series[i].out_offset == series[i - 1].out_offset + series[i - 1].n;
  }
  if (in_contiguous && pinned_host(series[0].close, l.rows * sizeof(double)) &&
      (l.src_at == 0 || pinned_host(series[0].src, l.rows * sizeof(double)))) {
    d.close = series[0].close;
    d.src = l.src_at != 0 ? series[0].src : nullptr;
  }
  if (!out_contiguous) return d;
  d.all_columns = true;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (!column_pinned[c]) {
      d.all_columns = false;
      continue;
    }
    const std::size_t element = element_bytes(columns[c].kind);
    d.column[c] = static_cast<std::byte*>(columns[c].host) + series[0].out_offset * element;
    d.any_column = true;
  }
  return d;
}

}  // namespace atc::cuda::streaming
