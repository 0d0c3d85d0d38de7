// The tick scale of a series (docs/SEMANTICS.md §3a.1), found on the host while a
// series is prepared: one pass over its values, usually one multiplication, one
// rounding and one division per value.
#pragma once

#include <cstddef>

#include "exact.hpp"

namespace atc::detail {

struct SeriesTicks {
  exact::TickScale scale;
  double max_tick = 0.0;     // largest |tick| of any value in the scale of its bars
  bool representable = true;  // false: the binary scale 2^k is out of double range
};

// close[0..n) and src[0..n) (src may equal close), all finite.
SeriesTicks series_ticks(const double* close, const double* src, std::size_t n);

// How a series' window sums are held, for MAs of at most `max_length` bars: as
// integer-valued doubles (every quantity below 2^53), as 128-bit integers, or not at all
// (the series is a tick-range error).
enum class SumWidth { Narrow, Wide, OutOfRange };
SumWidth sum_width(const SeriesTicks& ticks, int max_length);

}  // namespace atc::detail
