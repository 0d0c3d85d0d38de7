// The per-bar step of a backtest (docs/SEMANTICS.md §12), shared by the host (the
// backtest of a batch result and the host sweep) and the CUDA sweep kernel, so that
// both perform the same operations in the same order: their metrics are the same bits.
// Only the step runs on the device; the host finishes the metrics (pow, sqrt).
#pragma once

#include <cstdint>

#include "../core/formulas.hpp"

namespace atc::backtest_detail {

// What a backtest has accumulated after some periods.
struct Accumulator {
  double equity = 1.0;        // Π (1 + net return)
  double peak = 1.0;          // running maximum of equity (1 before the first period)
  double max_drawdown = 0.0;  // max over periods of 1 - equity / peak
  double mean = 0.0;          // Welford's running mean and sum of squared deviations
  double m2 = 0.0;            //   of the net period returns
  double trade_equity = 1.0;  // Π (1 + net return) of the open trade
  std::int64_t periods = 0, in_market = 0, trades = 0, winning = 0;
  std::int8_t position = 0;   // the position held over the last period (0 before the first)
};

// Restricts a state/direction code to the side of options (PositionSide as an int:
// 0 long-short, 1 long-only, 2 short-only).
ATC_HD std::int8_t side_position(std::int8_t code, int side) {
  if (side == 1) return code > 0 ? std::int8_t{1} : std::int8_t{0};
  if (side == 2) return code < 0 ? std::int8_t{-1} : std::int8_t{0};
  return code;
}

// One period, from bar t-1 to bar t: `held` is the position taken at bar t-1, `ratio`
// close[t] / close[t-1]; fee_rate = fee_bps / 10^4. A change of position is charged
// fee_rate · |change| in the period it starts; a trade's return includes its entry fee.
ATC_HD void step(Accumulator& a, std::int8_t held, double ratio, double fee_rate) {
  double cost = 0.0;
  if (held != a.position) {
    if (a.position != 0 && a.trade_equity > 1.0) ++a.winning;  // the open trade closes
    if (held != 0) {
      ++a.trades;
      a.trade_equity = 1.0;
    }
    const int change = held > a.position ? held - a.position : a.position - held;
    cost = fee_rate * static_cast<double>(change);
    a.position = held;
  }
  const double net = static_cast<double>(held) * (ratio - 1.0) - cost;
  a.equity *= 1.0 + net;
  if (a.equity > a.peak) a.peak = a.equity;
  const double drawdown = 1.0 - a.equity / a.peak;
  if (drawdown > a.max_drawdown) a.max_drawdown = drawdown;
  ++a.periods;
  const double delta = net - a.mean;
  a.mean += delta / static_cast<double>(a.periods);
  a.m2 += delta * (net - a.mean);
  if (held != 0) {
    ++a.in_market;
    a.trade_equity *= 1.0 + net;
  }
}

// The trade still open after the last period counts with its return so far.
ATC_HD std::int64_t winning_trades(const Accumulator& a) {
  return a.winning + (a.position != 0 && a.trade_equity > 1.0 ? 1 : 0);
}

}  // namespace atc::backtest_detail
