// Host side of the backtest (docs/SEMANTICS.md §12), for the batch backtest and the sweep.
#pragma once

#include <optional>
#include <string_view>

#include "atc/backtest.hpp"
#include "backtest_step.hpp"

namespace atc::backtest_detail {

double fee_rate(const BacktestOptions& options);

// The metrics of an accumulated backtest; nullopt when one is not finite (kOverflowReason).
std::optional<BacktestMetrics> finish(const Accumulator& a, double bars_per_year);

inline constexpr std::string_view kOverflowReason =
    "the backtest's equity is no longer finite (the returns of its trades compound beyond the range of doubles)";

}  // namespace atc::backtest_detail
