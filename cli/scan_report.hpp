// What `atc scan` reports: the ranking tables on stdout and the ranking as CSV or JSON.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "atc/batch.hpp"
#include "ranking.hpp"
#include "timeframes.hpp"
#include "universe.hpp"

namespace atc::cli {

struct ScanReport {
  std::vector<Ranked> ranking;  // the ranked symbols, in order
  std::vector<Ranked> stale;    // left out of the ranking as stale
  std::size_t filtered_out = 0;  // computed, but left out by --state, --min-signal, --min-bars
  std::vector<SymbolError> errors;
  std::size_t bars = 0;
  double seconds = 0.0;
  Backend backend = Backend::Auto;
  SortKey sort = SortKey::Signal;
  std::vector<Timeframe> timeframes;  // --timeframes; empty without
  PartialBucket partial = PartialBucket::Drop;

  std::size_t computed() const { return ranking.size() + stale.size() + filtered_out; }
};

// 1234567 -> "1.23 M"
std::string rate_text(double per_second);
// The LONG table (best first), the SHORT table (most negative first), then the neutral
// symbols by name; with --state, only the tables of that state.
void print_tables(const ScanReport& report, const Selection& selection, std::size_t top, std::size_t bottom);
// The ranking as CSV; with --timeframes the columns go on with
// average_signal_<tf>,state_<tf> per timeframe, then timeframe_consensus,agree.
void write_ranking_csv(const std::filesystem::path& file, const ScanReport& report);
// The ranking as JSON, with the parameters and the order it was sorted by.
void write_ranking_json(const std::filesystem::path& file, const ScanReport& report, const Config& config);

}  // namespace atc::cli
