// The reduction of one (configuration, series) pair of a sweep to what its row needs,
// shared by the host backends and the CUDA sweep kernel (the same operations in the
// same order, so the same bits).
#pragma once

#include <cstdint>

#include "../backtest/backtest_step.hpp"

namespace atc::detail {

struct SweepCell {
  backtest_detail::Accumulator backtest;
  double average_signal = 0.0;  // at the last bar
  std::int8_t trend = 0, state = 0, direction = 0, long_entry = 0, short_entry = 0;
  long long nonfinite_equity_bar = -1;  // §10, as OutputColumns::nonfinite_equity_bar
};

// One computed series' columns (bar 0 first, n bars).
struct SweepSeriesColumns {
  const double* close;
  const double* average_signal;
  const std::int8_t *trend, *state, *direction, *long_entry, *short_entry;
  long long n;
};

// Backtests the series on the position code of `source` (0 state, 1 direction) and
// `side` (PositionSide as an int) and keeps its last bar.
ATC_HD SweepCell reduce_series(const SweepSeriesColumns& c, int source, int side, double fee_rate,
                               long long nonfinite_equity_bar) {
  SweepCell cell;
  const std::int8_t* code = source == 0 ? c.state : c.direction;
  for (long long t = 1; t < c.n; ++t)
    backtest_detail::step(cell.backtest, backtest_detail::side_position(code[t - 1], side), c.close[t] / c.close[t - 1],
                          fee_rate);
  const long long last = c.n - 1;
  cell.average_signal = c.average_signal[last];
  cell.trend = c.trend[last];
  cell.state = c.state[last];
  cell.direction = c.direction[last];
  cell.long_entry = c.long_entry[last];
  cell.short_entry = c.short_entry[last];
  cell.nonfinite_equity_bar = nonfinite_equity_bar;
  return cell;
}

}  // namespace atc::detail
