// Step 2 of compute_device (atc/device.hpp): each symbol's walk over its bars, as
// prepare_prices does on the host: where it starts, its first bad bar, and its tick scale
// (docs/SEMANTICS.md §3a.1). One warp per symbol reads 32 consecutive bars at a time.
#pragma once

#include <cuda_runtime_api.h>

#include "../core/ticks.hpp"

namespace atc::cuda {

/// What a symbol's walk over its bars found. Fields not described here are zero (or, for
/// `ticks`, default).
struct PriceRecord {
  long long start;    ///< first bar with finite close (and src); bars when none
  long long bad;      ///< first bar from start on with a non-finite close or src or close ≤ 0; -1 when none
  double close, src;  ///< their values at `bad` (src: the close when there is no src table)
  detail::SeriesTicks ticks;  ///< of bars [start, bars), when start < bars and bad < 0
};

/// Walks every symbol s of the column-major bars × symbols tables `close` and `src`
/// (null: no src; symbol s at [s·bars, (s + 1)·bars)) into records[s], in `stream`. The
/// records are those of series_ticks_of and a sequential scan, bit for bit: values are
/// taken bar by bar, close before src.
void launch_price_walk(const double* close, const double* src, long long bars, long long symbols,
                       PriceRecord* records, cudaStream_t stream);

}  // namespace atc::cuda
