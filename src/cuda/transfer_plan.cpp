#include "transfer_plan.hpp"

#include <algorithm>
#include <type_traits>

namespace atc::cuda::streaming {

const std::array<double, 256> kFromHundredths = [] {
  std::array<double, 256> table{};
  for (int bits = 0; bits < 256; ++bits) table[static_cast<std::size_t>(bits)] =
      from_hundredths(static_cast<std::int8_t>(static_cast<std::uint8_t>(bits)));
  return table;
}();

std::vector<TransferColumn> requested_columns(const OutputColumns& out) {
  std::vector<TransferColumn> columns;
  DeviceColumns unused;
  for_each_column(out, unused, [&](Kind kind, auto* host, auto*&) {
    if (host != nullptr) columns.push_back({kind, host});
  });
  return columns;
}

ChunkLayout layout_of(std::span<const PreparedSeries> series, const std::vector<TransferColumn>& columns) {
  ChunkLayout l;
  l.series = series.size();
  bool own_src = false;
  for (const PreparedSeries& s : series) {
    l.rows += s.n;
    l.max_bars = std::max(l.max_bars, s.n);
    own_src = own_src || s.src != s.close;
    l.wide = l.wide || s.wide;
  }
  l.ticks_at = align_up((l.series + 1) * sizeof(long long));
  std::size_t at = align_up(l.ticks_at + l.series * sizeof(exact::TickScale));
  l.close_at = at;
  at = align_up(at + l.rows * sizeof(double));
  if (own_src) {  // src travels only when some series of the chunk has its own
    l.src_at = at;
    at = align_up(at + l.rows * sizeof(double));
  }
  l.in_bytes = at;
  at = 0;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    l.column_at[c] = at;
    at = align_up(at + l.rows * element_bytes(columns[c].kind));
  }
  l.nonfinite_at = at;
  l.out_bytes = align_up(at + l.series * sizeof(long long));
  // Room for all six Layer-1 signals whatever is requested: a few bytes a row.
  l.workspace_bytes = align_up(l.rows * kFamilies);
  return l;
}

std::vector<Chunk> plan_chunks(std::span<const PreparedSeries> series, const std::vector<TransferColumn>& columns,
                               std::size_t rows, std::size_t symbols) {
  std::vector<Chunk> chunks;
  for (std::size_t first = 0; first < series.size();) {
    std::size_t end = first + 1, bars = series[first].n;
    while (end < series.size() && end - first < symbols && bars + series[end].n <= rows) bars += series[end++].n;
    chunks.push_back({first, layout_of(series.subspan(first, end - first), columns)});
    first = end;
  }
  return chunks;
}

FusedInput fused_input(const std::byte* device_in, const ChunkLayout& l, const double* growth) {
  FusedInput in;
  in.close = reinterpret_cast<const double*>(device_in + l.close_at);
  in.src = l.src_at != 0 ? reinterpret_cast<const double*>(device_in + l.src_at) : nullptr;
  in.offset = reinterpret_cast<const long long*>(device_in);
  in.ticks = reinterpret_cast<const exact::TickScale*>(device_in + l.ticks_at);
  in.series = static_cast<int>(l.series);
  in.wide = l.wide ? 1 : 0;
  in.growth = growth;
  return in;
}

DeviceColumns device_columns(std::byte* device_out, const OutputColumns& host, const ChunkLayout& l) {
  DeviceColumns d;
  int c = 0;
  for_each_column(host, d, [&](Kind, auto* column, auto*& field) {
    if (column != nullptr)
      field = reinterpret_cast<std::remove_reference_t<decltype(field)>>(device_out + l.column_at[c++]);
  });
  d.nonfinite_equity_bar = reinterpret_cast<long long*>(device_out + l.nonfinite_at);
  return d;
}

}  // namespace atc::cuda::streaming
