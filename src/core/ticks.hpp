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

// The decimal prefix of §3a.1, one value at a time (series_ticks, and the live engine,
// which meets the values as they come): the smallest d ≤ 12 fitting every value so far.
// A larger d stands for the same decimals while the largest magnitude still fits 2^50,
// so d only grows.
struct DecimalPrefix {
  int decimals = 0;
  double largest = 0.0;  // of the values taken
  // Takes v, widening d if needed; false (and nothing changed) when v fits no d ≤ 12:
  // the series turns to binary ticks at v's bar.
  bool take(double v);
};
double power_of_ten(int d);  // 10^d, 0 ≤ d ≤ 12, exact
// The exponent of the lowest set bit of v ≠ 0 (v = odd · 2^result).
int lowest_set_bit(double v);
// Whether the binary scale 2^k is a normal double (else the series is a tick-range error).
inline bool binary_scale_representable(int k) { return k >= -1022 && k <= 1023; }

// How a series' window sums are held, for MAs of at most `max_length` bars: as
// integer-valued doubles (every quantity below 2^53), as 128-bit integers, or not at all
// (the series is a tick-range error).
enum class SumWidth { Narrow, Wide, OutOfRange };
SumWidth sum_width(const SeriesTicks& ticks, int max_length);

}  // namespace atc::detail
