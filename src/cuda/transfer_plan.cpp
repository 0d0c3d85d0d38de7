#include "transfer_plan.hpp"

#include <algorithm>
#include <cstdint>
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

bool continues_span(const PreparedSeries& a, const PreparedSeries& b) {
  const auto address = [](const double* p) { return reinterpret_cast<std::uintptr_t>(p); };
  if (address(b.close) < address(a.close + a.n) || b.out_offset < a.out_offset + a.n) return false;
  const std::uintptr_t step = address(b.close) - address(a.close);
  if (step != (b.out_offset - a.out_offset) * sizeof(double)) return false;
  const bool own_src = a.src != a.close || b.src != b.close;
  return !own_src || (address(b.src) >= address(a.src) && address(b.src) - address(a.src) == step);
}

std::size_t span_offset(const PreparedSeries& first, const PreparedSeries& s) { return s.out_offset - first.out_offset; }

ChunkLayout layout_of(std::span<const PreparedSeries> series, const std::vector<TransferColumn>& columns,
                      bool spanned) {
  ChunkLayout l;
  l.series = series.size();
  bool own_src = false;
  for (const PreparedSeries& s : series) {
    l.rows += s.n;
    l.max_bars = std::max(l.max_bars, s.n);
    own_src = own_src || s.src != s.close;
    l.wide = l.wide || s.wide;
  }
  std::size_t at = align_up((l.series + 1) * sizeof(long long));
  if (spanned) {
    l.rows = span_offset(series.front(), series.back()) + series.back().n;
    l.ends_at = at;
    at = align_up(at + l.series * sizeof(long long));
  }
  l.ticks_at = at;
  at = align_up(l.ticks_at + l.series * sizeof(exact::TickScale));
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
                               std::size_t rows, std::size_t symbols, bool spanning) {
  std::vector<Chunk> chunks;
  for (std::size_t first = 0; first < series.size();) {
    std::size_t end = first + 1, packed = series[first].n;
    bool spanned = spanning;  // every series so far continues the span
    std::size_t span = series[first].n;
    while (end < series.size() && end - first < symbols) {
      const PreparedSeries& next = series[end];
      if (spanned) {
        const bool continues = continues_span(series[end - 1], next);
        const std::size_t next_span = continues ? span_offset(series[first], next) + next.n : 0;
        if (continues && next_span <= rows && next_span <= 2 * (packed + next.n)) {
          packed += next.n;
          span = next_span;
          ++end;
          continue;
        }
        if (span > packed) break;  // the chunk has gaps: it stays spanned, `next` starts the next one
        spanned = false;           // no gaps so far: packed from here on
      }
      if (packed + next.n > rows) break;
      packed += next.n;
      ++end;
    }
    const bool gaps = spanned && span > packed;
    chunks.push_back({first, layout_of(series.subspan(first, end - first), columns, gaps)});
    first = end;
  }
  return chunks;
}

FusedInput fused_input(const std::byte* device_in, const ChunkLayout& l, const double* growth) {
  FusedInput in;
  in.close = reinterpret_cast<const double*>(device_in + l.close_at);
  in.src = l.src_at != 0 ? reinterpret_cast<const double*>(device_in + l.src_at) : nullptr;
  in.offset = reinterpret_cast<const long long*>(device_in);
  in.end = l.ends_at != 0 ? reinterpret_cast<const long long*>(device_in + l.ends_at) : nullptr;
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
