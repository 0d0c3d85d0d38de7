// `atc scan`'s ranking: one row per computed symbol from its last bar, the stale test,
// the filters and the order of README "Ranking".
#pragma once

#include <cmath>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "atc/outputs.hpp"
#include "universe.hpp"

namespace atc::cli {

// One computed symbol, as the ranking shows it.
struct Ranked {
  std::string symbol;
  std::size_t bars = 0;
  std::string last_time;
  std::string time_format;  // how the input's timestamps were read; empty when unknown
  double signal = 0.0;      // Average_Signal of the last bar
  // The mean of the six X_Signal of the last bar: Average_Signal counts each family as
  // -1, 0 or +1 (Cut), so many symbols tie at +-1; how far past the cut the families
  // are tells them apart.
  double consensus = 0.0;
  int state = 0;
  int direction = 0;
  int last_entry = 0;  // +1 long entry, -1 short entry, 0 none
  std::size_t bars_since_entry = 0;
  std::size_t filled_bars = 0;  // --gaps ffill: the closes carried forward
  std::optional<double> last_instant;  // seconds; none without timestamps
  std::optional<double> bar_spacing;   // the median spacing of its last bars, seconds
  bool stale = false;
  // --timeframes: the Average_Signal and state of each timeframe's last bar, in the
  // order given (signal, consensus, state, direction and the entry above are those of
  // the first timeframe; bars, last_time and stale those of the series as read);
  // timeframe_consensus is the mean of the states, as atc.compute_multi_timeframe's
  // consensus at the last bar; agree is +1 / -1 when every state is LONG / SHORT.
  std::vector<double> timeframe_signals;
  std::vector<int> timeframe_states;
  double timeframe_consensus = 0.0;
  int agree = 0;

  // The table a symbol is listed in (+1 LONG, -1 SHORT, 0 neutral) and what --state
  // selects: its state, or with --timeframes the sign of the timeframe consensus.
  int side() const {
    if (timeframe_states.empty()) return state;
    return timeframe_consensus > 0.0 ? 1 : (timeframe_consensus < 0.0 ? -1 : 0);
  }
};

enum class SortKey { Signal, Consensus, Symbol, Bars, Entry, Timeframes };

inline const std::map<std::string, SortKey> kSortKeys{{"signal", SortKey::Signal},
                                               {"consensus", SortKey::Consensus},
                                               {"timeframes", SortKey::Timeframes},
                                               {"symbol", SortKey::Symbol},
                                               {"bars", SortKey::Bars},
                                               {"entry", SortKey::Entry}};

// Which computed symbols are ranked: every filter must hold.
struct Selection {
  std::optional<int> state;  // --state: +1, -1 or 0
  double min_signal = 0.0;   // --min-signal: |Average_Signal| at least this
  std::size_t min_bars = 0;  // --min-bars
  bool include_stale = false;
  SortKey sort = SortKey::Signal;

  bool admits(const Ranked& r) const {
    if (state && r.side() != *state) return false;
    if (min_signal > 0.0 && !(std::abs(r.signal) >= min_signal)) return false;  // NaN fails
    return r.bars >= min_bars;
  }
};

// A ranking row for `symbol` of `universe`: its bars, its last bar and their spacing.
Ranked describe(const Universe& universe, std::size_t symbol);
// The outputs of the last bar into `r`.
void take_last_bar(Ranked& r, const SymbolOutputView& out, std::size_t filled_bars);
// Stale: its last bar is more than one of its bars older than the latest last bar of the
// universe (its data stopped while the others went on).
void mark_stale(std::vector<Ranked>& ranking);
// The order of README "Ranking" by `key`; `side` -1 reverses the first two keys (the
// SHORT table shows the most negative first).
void sort_ranking(std::vector<Ranked>& ranking, SortKey key, int side);
// The sort keys, most significant first, as the JSON output lists them.
std::vector<std::string> order_description(SortKey key);

}  // namespace atc::cli
