#include "ranking.hpp"

#include <algorithm>
#include <cmath>

namespace atc::cli {
namespace {

// The median spacing of the last bars of a symbol, a bar's length for the stale test;
// the last kSpacingBars are enough and keep it cheap on long histories.
std::optional<double> median_spacing(const Universe& universe, std::size_t symbol, std::size_t bars) {
  constexpr std::size_t kSpacingBars = 1000;
  std::vector<double> spacing;
  std::optional<double> previous;
  for (std::size_t t = bars - std::min(bars, kSpacingBars + 1); t < bars; ++t) {
    const std::optional<double> instant = universe.instant(symbol, t);
    if (!instant) return std::nullopt;
    if (previous) spacing.push_back(*instant - *previous);
    previous = instant;
  }
  if (spacing.empty()) return std::nullopt;
  const auto middle = spacing.begin() + static_cast<std::ptrdiff_t>(spacing.size() / 2);
  std::nth_element(spacing.begin(), middle, spacing.end());
  return *middle;
}


// Negative when a comes first: the larger first, NaN (no value) last.
int compare_descending(double a, double b) {
  const bool a_nan = std::isnan(a), b_nan = std::isnan(b);
  if (a_nan || b_nan) return a_nan == b_nan ? 0 : (a_nan ? 1 : -1);
  return a > b ? -1 : (a < b ? 1 : 0);
}

// The most recent entry first, symbols without one last.
int compare_entry(const Ranked& a, const Ranked& b) {
  if ((a.last_entry != 0) != (b.last_entry != 0)) return a.last_entry != 0 ? -1 : 1;
  if (a.bars_since_entry == b.bars_since_entry) return 0;
  return a.bars_since_entry < b.bars_since_entry ? -1 : 1;
}

// The order of README "Ranking": `key` first, then Average_Signal, consensus, the most
// recent entry and the symbol. `side` -1 reverses the first two (the SHORT table shows the
// most negative first).
bool ranks_before(const Ranked& a, const Ranked& b, SortKey key, int side) {
  if (key == SortKey::Symbol) return a.symbol < b.symbol;
  int first = 0;
  if (key == SortKey::Consensus) first = compare_descending(side * a.consensus, side * b.consensus);
  if (key == SortKey::Timeframes)
    first = compare_descending(side * a.timeframe_consensus, side * b.timeframe_consensus);
  if (key == SortKey::Bars) first = a.bars == b.bars ? 0 : (a.bars > b.bars ? -1 : 1);
  if (key == SortKey::Entry) first = compare_entry(a, b);
  for (const int order : {first, compare_descending(side * a.signal, side * b.signal),
                          compare_descending(side * a.consensus, side * b.consensus), compare_entry(a, b)})
    if (order != 0) return order < 0;
  return a.symbol < b.symbol;
}

}  // namespace

Ranked describe(const Universe& universe, std::size_t symbol) {
  Ranked r;
  r.symbol = std::string(universe.views()[symbol].symbol);
  const std::span<const double> close = universe.views()[symbol].close;
  const std::size_t last = close.size() - 1;  // computed symbols have at least min_bars() bars
  // Bars since listing: leading NaNs are a symbol not listed yet.
  r.bars = static_cast<std::size_t>(
      close.end() - std::find_if(close.begin(), close.end(), [](double c) { return !std::isnan(c); }));
  r.last_time = universe.timestamp(symbol, last);
  r.time_format = universe.time_format(symbol);
  r.last_instant = universe.instant(symbol, last);
  r.bar_spacing = median_spacing(universe, symbol, close.size());
  return r;
}

void take_last_bar(Ranked& r, const SymbolOutputView& out, std::size_t filled_bars) {
  const std::size_t last = out.bars() - 1;
  r.signal = out.average_signal[last];
  double family_sum = 0.0;
  for (const auto& family : out.family_signal_hundredths) family_sum += from_hundredths(family[last]);
  r.consensus = family_sum / kFamilies;  // NaN when any family has no value
  r.state = out.state[last];
  r.direction = out.direction[last];
  for (std::size_t t = last + 1; t-- > 0;) {
    if (out.long_entry[t] || out.short_entry[t]) {
      r.last_entry = out.long_entry[t] ? 1 : -1;
      r.bars_since_entry = last - t;
      break;
    }
  }
  r.filled_bars = filled_bars;
}

void mark_stale(std::vector<Ranked>& ranking) {
  std::optional<double> latest;
  for (const Ranked& r : ranking)
    if (r.last_instant && (!latest || *r.last_instant > *latest)) latest = r.last_instant;
  for (Ranked& r : ranking)
    r.stale = r.last_instant && r.bar_spacing && *latest - *r.last_instant > *r.bar_spacing;
}

void sort_ranking(std::vector<Ranked>& ranking, SortKey key, int side) {
  std::sort(ranking.begin(), ranking.end(),
            [&](const Ranked& a, const Ranked& b) { return ranks_before(a, b, key, side); });
}

std::vector<std::string> order_description(SortKey key) {
  std::vector<std::string> order;
  if (key == SortKey::Symbol) return {"symbol"};
  if (key == SortKey::Consensus) order.push_back("consensus descending");
  if (key == SortKey::Timeframes) order.push_back("timeframe_consensus descending");
  if (key == SortKey::Bars) order.push_back("bars descending");
  if (key == SortKey::Entry) order.push_back("bars_since_entry ascending (none last)");
  for (const char* next : {"average_signal descending", "consensus descending",
                           "bars_since_entry ascending (none last)", "symbol"})
    if (std::find(order.begin(), order.end(), next) == order.end()) order.push_back(next);
  return order;
}

}  // namespace atc::cli
