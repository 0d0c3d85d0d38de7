#include "ticks.hpp"

namespace atc::detail {

SeriesTicks series_ticks(const double* close, const double* src, std::size_t n) {
  const auto value = [close, src](std::size_t t, int k) { return k == 0 ? close[t] : src[t]; };
  return series_ticks_of(value, n, src != close);
}

SumWidth sum_width(const SeriesTicks& ticks, int max_length) {
  const double bound = exact::window_bound(ticks.max_tick, max_length);
  if (!ticks.representable || !(bound < exact::kWideLimit)) return SumWidth::OutOfRange;
  return bound < exact::kNarrowLimit ? SumWidth::Narrow : SumWidth::Wide;
}

}  // namespace atc::detail
