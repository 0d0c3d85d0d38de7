// How the streamed pipeline moves a batch (host code): the output columns that travel,
// the chunks of consecutive series and where each part of a chunk lies in a staging slot
// and on the device.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../core/prepared.hpp"
#include "fused.hpp"
#include "runtime.hpp"

namespace atc::cuda::streaming {

using detail::OutputColumns;
using detail::PreparedSeries;

enum class Kind : std::uint8_t { Real, Discrete, Hundredths };  // double, int8, int8 ×100 → double
constexpr int kMaxColumns = 1 + 2 * kFamilies + 5 + 3 * kLengthsPerFamily;

constexpr std::size_t element_bytes(Kind kind) { return kind == Kind::Real ? sizeof(double) : 1; }

// Calls f(kind, host column, device field) for every output column, in the order of the
// output table (atc/outputs.hpp); the host column is null when not requested. Layer-1
// signals travel as the device's int8 hundredths: as they are for a compact request,
// widened to doubles on the host (Kind::Hundredths) for a standard one.
template <class F>
void for_each_column(const OutputColumns& h, DeviceColumns& d, F&& f) {
  for_each_output_field(h, d, [&](const OutputField& field, auto* host, auto*& device) {
    if (field.group == OutputGroup::FamilySignals)
      f(Kind::Hundredths, host, d.family_signal_hundredths[field.index]);
    else
      f(field.kind == ColumnKind::Real ? Kind::Real : Kind::Discrete, host, device);
  });
}

struct TransferColumn {
  Kind kind;
  void* host;
};

// The requested columns of `out`, in for_each_column's order.
std::vector<TransferColumn> requested_columns(const OutputColumns& out);

// from_hundredths of every int8 (indexed by its bit pattern): a load instead of a
// division in the host's scatter.
extern const std::array<double, 256> kFromHundredths;

// Where everything of one chunk lies in a slot (byte offsets; the pinned slot and the
// device buffers share the layout, so each direction is one copy). Input: offsets
// (series + 1 long longs), tick scales (one per series), close, src (0 = none); output:
// one region per column, then each series' first non-finite equity bar.
// Equal layouts give equal launches, which is what a slot's captured graphs are keyed by.
//
// A spanned chunk (ends_at ≠ 0) keeps its series where the caller's memory has them: its
// rows run from its first series' first bar to its last series' last bar, gaps included
// (the bars before a late listing, the rows of a symbol that failed validation), and
// series i lies at [offset[i], end[i]). One copy then moves its prices and each output
// column between the caller's memory and the device (direct transfers).
struct ChunkLayout {
  std::size_t series = 0, rows = 0, max_bars = 0;
  std::size_t ends_at = 0;  // the ends (series long longs); 0: packed, series i ends at offset[i + 1]
  std::size_t ticks_at = 0, close_at = 0, src_at = 0, in_bytes = 0;
  bool wide = false;  // the wide kernels (some series' window sums need 128 bits)
  std::size_t column_at[kMaxColumns] = {};
  std::size_t nonfinite_at = 0;
  std::size_t out_bytes = 0;
  std::size_t workspace_bytes = 0;  // the fused path's, on the device only
  bool operator==(const ChunkLayout&) const = default;
};

struct Chunk {
  std::size_t first = 0;  // index of its first series in the batch
  ChunkLayout layout;
};

// Whether series b follows series a in one caller range with the same spacing in the
// prices and in the output columns (and in src when they have one): a spanned chunk may
// hold both.
bool continues_span(const PreparedSeries& a, const PreparedSeries& b);
// A series' rows in a spanned chunk that starts with `first`: [its offset, its end).
std::size_t span_offset(const PreparedSeries& first, const PreparedSeries& s);

ChunkLayout layout_of(std::span<const PreparedSeries> series, const std::vector<TransferColumn>& columns,
                      bool spanned);
// Consecutive series, at most `rows` rows (or one series) and `symbols` series a chunk.
// With `spanning`, series that continue a span (gaps at most half of its rows) form a
// spanned chunk.
std::vector<Chunk> plan_chunks(std::span<const PreparedSeries> series, const std::vector<TransferColumn>& columns,
                               std::size_t rows, std::size_t symbols, bool spanning);
// The fused kernel's input and output columns in a chunk's device buffers.
FusedInput fused_input(const std::byte* device_in, const ChunkLayout& l, const double* growth);
DeviceColumns device_columns(std::byte* device_out, const OutputColumns& host, const ChunkLayout& l);

}  // namespace atc::cuda::streaming
