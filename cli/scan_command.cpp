#include "scan_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "atc/io.hpp"
#include "progress.hpp"
#include "timeframes.hpp"
#include "universe.hpp"

namespace atc::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxErrorsPrinted = 50;


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

// What a ranking row says of a symbol's series: its bars, its last bar and their spacing.
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

// The outputs of the last bar into `r`.
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

// Stale: its last bar is more than one of its bars older than the latest last bar of the
// universe (its data stopped while the others went on).
void mark_stale(std::vector<Ranked>& ranking) {
  std::optional<double> latest;
  for (const Ranked& r : ranking)
    if (r.last_instant && (!latest || *r.last_instant > *latest)) latest = r.last_instant;
  for (Ranked& r : ranking)
    r.stale = r.last_instant && r.bar_spacing && *latest - *r.last_instant > *r.bar_spacing;
}

enum class SortKey { Signal, Consensus, Symbol, Bars, Entry, Timeframes };

const std::map<std::string, SortKey> kSortKeys{{"signal", SortKey::Signal},
                                               {"consensus", SortKey::Consensus},
                                               {"timeframes", SortKey::Timeframes},
                                               {"symbol", SortKey::Symbol},
                                               {"bars", SortKey::Bars},
                                               {"entry", SortKey::Entry}};

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

void sort_ranking(std::vector<Ranked>& ranking, SortKey key, int side) {
  std::sort(ranking.begin(), ranking.end(),
            [&](const Ranked& a, const Ranked& b) { return ranks_before(a, b, key, side); });
}

// The sort keys, most significant first, as the JSON output lists them.
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

std::string state_name(int state) {
  return state > 0 ? "LONG" : (state < 0 ? "SHORT" : "NEUTRAL");
}
std::string direction_name(int direction) {
  return direction > 0 ? "long" : (direction < 0 ? "short" : "none");
}
std::string entry_name(int entry) { return entry > 0 ? "LONG" : (entry < 0 ? "SHORT" : ""); }

std::string signal_text(double signal) {
  if (std::isnan(signal)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%+.4f", signal);
  return text;
}

std::string entry_text(const Ranked& r) {
  if (r.last_entry == 0) return "-";
  if (r.bars_since_entry == 0) return entry_name(r.last_entry) + ", last bar";
  return entry_name(r.last_entry) + ", " + std::to_string(r.bars_since_entry) +
         (r.bars_since_entry == 1 ? " bar ago" : " bars ago");
}

// 1234567 -> "1.23 M"
std::string rate_text(double per_second) {
  constexpr std::array<const char*, 4> kUnits{"", " k", " M", " G"};
  std::size_t unit = 0;
  while (per_second >= 1000.0 && unit + 1 < kUnits.size()) {
    per_second /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f%s" : "%.3g%s", per_second, kUnits[unit]);
  return text;
}

// One table of the human-readable output: `title`, then up to `rows` of `ranked`. With
// `timeframes`, a column of Average_Signal per timeframe and their consensus take the
// place of Average_Signal and the family consensus.
void print_table(const std::string& title, const std::vector<const Ranked*>& ranked, std::size_t rows,
                 const std::vector<Timeframe>& timeframes) {
  if (ranked.empty()) {
    std::printf("%s: none\n\n", title.c_str());
    return;
  }
  std::printf("%s (%s)\n", title.c_str(), count_of(ranked.size(), "symbol").c_str());
  std::vector<std::string> header{"#", "symbol", "last bar"};
  std::vector<bool> right_aligned{true, false, false};
  if (timeframes.empty()) header.insert(header.end(), {"Average_Signal", "consensus"});
  for (const Timeframe& timeframe : timeframes) header.push_back(timeframe.name);
  if (!timeframes.empty()) header.emplace_back("tf consensus");
  right_aligned.resize(header.size(), true);
  header.insert(header.end(), {"direction", "last entry", "bars"});
  right_aligned.insert(right_aligned.end(), {false, false, true});
  std::vector<std::vector<std::string>> cells;
  for (std::size_t i = 0; i < std::min(rows, ranked.size()); ++i) {
    const Ranked& r = *ranked[i];
    const std::string last_bar = (r.last_time.empty() ? "-" : r.last_time) + (r.stale ? " (stale)" : "");
    std::vector<std::string> row{std::to_string(i + 1), r.symbol, last_bar};
    if (timeframes.empty()) row.insert(row.end(), {signal_text(r.signal), signal_text(r.consensus)});
    for (const double signal : r.timeframe_signals) row.push_back(signal_text(signal));
    if (!timeframes.empty()) row.push_back(signal_text(r.timeframe_consensus));
    row.insert(row.end(), {direction_name(r.direction), entry_text(r), std::to_string(r.bars)});
    cells.push_back(std::move(row));
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : cells) width[c] = std::max(width[c], row[c].size());
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      line += (c ? "  " : "") + (right_aligned[c] ? pad + row[c] : row[c] + pad);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  };
  print_row(header);
  for (const auto& row : cells) print_row(row);
  if (ranked.size() > cells.size())
    std::printf("... and %zu more (the whole ranking: --csv or --json)\n", ranked.size() - cells.size());
  std::printf("\n");
}

// "3 neutral symbols: A, B, C", "stale: ..." : symbols named on one line, up to `shown`.
void print_names(const std::string& lead, const std::vector<const Ranked*>& ranked, std::size_t shown,
                 bool with_last_bar) {
  if (ranked.empty()) return;
  std::string line = lead + ": ";
  for (std::size_t i = 0; i < std::min(shown, ranked.size()); ++i) {
    line += (i ? ", " : "") + ranked[i]->symbol;
    if (with_last_bar && !ranked[i]->last_time.empty()) line += " (last bar " + ranked[i]->last_time + ")";
  }
  if (ranked.size() > shown) line += ", ... and " + std::to_string(ranked.size() - shown) + " more";
  std::printf("%s\n", line.c_str());
}

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

// The LONG table (best first), the SHORT table (most negative first), then the neutral
// symbols by name; with --state, only the tables of that state.
void print_tables(const ScanReport& report, const Selection& selection, std::size_t top, std::size_t bottom) {
  std::vector<const Ranked*> longs, neutrals;
  std::vector<Ranked> shorts;
  for (const Ranked& r : report.ranking) {
    if (r.side() > 0) longs.push_back(&r);
    else if (r.side() < 0) shorts.push_back(r);
    else neutrals.push_back(&r);
  }
  sort_ranking(shorts, report.sort, -1);
  std::vector<const Ranked*> short_rows;
  for (const Ranked& r : shorts) short_rows.push_back(&r);
  if (!report.timeframes.empty())
    std::printf("Average_Signal of each timeframe's last bar, tf consensus the mean of their states "
                "(LONG above 0, SHORT below); direction and last entry of %s\n\n",
                report.timeframes.front().name.c_str());
  if (!selection.state || *selection.state > 0) print_table("LONG", longs, top, report.timeframes);
  if (!selection.state || *selection.state < 0) print_table("SHORT", short_rows, bottom, report.timeframes);
  if (selection.state && *selection.state == 0) print_table("NEUTRAL", neutrals, top, report.timeframes);
  else print_names(count_of(neutrals.size(), "neutral symbol"), neutrals, top, false);
  std::vector<const Ranked*> stale;
  for (const Ranked& r : report.stale) stale.push_back(&r);
  print_names(count_of(stale.size(), "stale symbol") +
                  " (data ending more than a bar before the latest; --include-stale ranks them)",
              stale, top, true);
}

// With --timeframes the columns go on with average_signal_<tf>,state_<tf> per timeframe,
// then timeframe_consensus,agree.
void write_ranking_csv(const fs::path& file, const ScanReport& report) {
  const std::vector<Ranked>& ranking = report.ranking;
  io::write_file_atomically(file, [&](std::ostream& out) {
    out << "rank,symbol,last_timestamp,bars,average_signal,consensus,state,direction,last_entry,"
           "bars_since_entry,stale,filled_bars";
    for (const Timeframe& timeframe : report.timeframes)
      out << ",average_signal_" << timeframe.name << ",state_" << timeframe.name;
    out << (report.timeframes.empty() ? "\n" : ",timeframe_consensus,agree\n");
    for (std::size_t i = 0; i < ranking.size(); ++i) {
      const Ranked& r = ranking[i];
      std::string row = std::to_string(i + 1) + ",";
      io::append_csv_field(row, r.symbol);
      row += ",";
      io::append_csv_field(row, r.last_time);
      row += "," + std::to_string(r.bars) + "," + io::format_number(r.signal) + "," +
             io::format_number(r.consensus) + "," + state_name(r.state) + "," + direction_name(r.direction) +
             "," + entry_name(r.last_entry) + "," +
             (r.last_entry ? std::to_string(r.bars_since_entry) : std::string()) + "," +
             (r.stale ? "true" : "false") + "," + std::to_string(r.filled_bars);
      // Appended piece by piece: GCC 12 warns falsely on "," + string&&.
      for (std::size_t k = 0; k < r.timeframe_states.size(); ++k)
        row.append(",").append(io::format_number(r.timeframe_signals[k])).append(",").append(
            state_name(r.timeframe_states[k]));
      if (!report.timeframes.empty())
        row.append(",").append(io::format_number(r.timeframe_consensus)).append(",").append(std::to_string(r.agree));
      out << row << '\n';
    }
  });
}

nlohmann::ordered_json ranked_json(const Ranked& r, const std::vector<Timeframe>& timeframes) {
  nlohmann::ordered_json entry{{"symbol", r.symbol},
                               {"last_timestamp", r.last_time},
                               {"time_format", r.time_format.empty() ? nlohmann::ordered_json()
                                                                     : nlohmann::ordered_json(r.time_format)},
                               {"bars", r.bars},
                               {"average_signal", r.signal},  // NaN is written as null
                               {"consensus", r.consensus},
                               {"state", state_name(r.state)},
                               {"direction", direction_name(r.direction)}};
  entry["last_entry"] = r.last_entry ? nlohmann::ordered_json(entry_name(r.last_entry)) : nullptr;
  entry["bars_since_entry"] = r.last_entry ? nlohmann::ordered_json(r.bars_since_entry) : nullptr;
  entry["stale"] = r.stale;
  entry["filled_bars"] = r.filled_bars;
  if (timeframes.empty()) return entry;
  nlohmann::ordered_json of_timeframes;
  for (std::size_t k = 0; k < timeframes.size(); ++k)
    of_timeframes[timeframes[k].name] = {{"average_signal", r.timeframe_signals[k]},
                                         {"state", state_name(r.timeframe_states[k])}};
  entry["timeframes"] = std::move(of_timeframes);
  entry["timeframe_consensus"] = r.timeframe_consensus;
  entry["agree"] = r.agree;
  return entry;
}

void write_ranking_json(const fs::path& file, const ScanReport& report, const Config& config) {
  nlohmann::ordered_json parameters;
  for (const io::ParameterInfo& info : io::parameters())
    std::visit([&](const auto& v) { parameters[std::string(info.name)] = v; },
               io::get_parameter(config, info.name));
  nlohmann::ordered_json ranking = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < report.ranking.size(); ++i) {
    nlohmann::ordered_json entry{{"rank", i + 1}};
    entry.update(ranked_json(report.ranking[i], report.timeframes));
    ranking.push_back(std::move(entry));
  }
  nlohmann::ordered_json stale = nlohmann::ordered_json::array();
  for (const Ranked& r : report.stale) stale.push_back(ranked_json(r, report.timeframes));
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const SymbolError& e : report.errors)
    errors.push_back({{"symbol", e.symbol}, {"code", e.code}, {"message", e.message}});
  nlohmann::ordered_json document{
      {"backend", backend_name(report.backend)},
      {"symbols", report.computed() + report.errors.size()},
      {"ok", report.computed()},
      {"errors", errors.size()},
      {"ranked", report.ranking.size()},
      {"filtered_out", report.filtered_out},
      {"bars", report.bars},
      {"seconds", report.seconds},
      {"parameters", parameters},
      {"order", order_description(report.sort)},
      {"ranking", ranking},
      {"stale_symbols", stale},
      {"symbol_errors", errors}};
  if (!report.timeframes.empty()) {
    nlohmann::ordered_json names = nlohmann::ordered_json::array();
    for (const Timeframe& timeframe : report.timeframes) names.push_back(timeframe.name);
    document["timeframes"] = std::move(names);
    document["partial"] = report.partial == PartialBucket::Drop ? "drop" : "keep";
  }
  // Invalid UTF-8 (a symbol from a latin-1 file name) is replaced, not a failure after
  // every symbol was computed.
  const std::string text = document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  io::write_file_atomically(file, [&](std::ostream& out) { out << text << '\n'; });
}

// Computes every series of `universe` in batches, handing each symbol's result to
// `on_result(symbol, status, outputs)` (outputs valid during the call only): keeping of
// each only its ranking row, as the family signals the consensus needs would otherwise
// hold 54 bytes a bar for the whole universe. `progress` counts on from `done`. Returns
// the backend that ran.
template <class OnResult>
Backend compute_in_batches(const Universe& universe, const Config& config, ComputeOptions options,
                           ProgressBar& progress, std::size_t done, OnResult&& on_result) {
  options.outputs = OutputRequest::compact();
  Backend backend = resolve_backend(options.backend);
  const std::span<const SeriesView> views = universe.views();
  const std::size_t n = views.size();
  // About 50 steps for the bar when one is shown; at most kBatchBars bars a batch either way.
  constexpr std::size_t kBatchBars = std::size_t{1} << 21;
  const std::size_t batch_symbols = ProgressBar::enabled() ? std::max<std::size_t>(16, (n + 49) / 50) : n;
  for (std::size_t begin = 0; begin < n;) {
    std::size_t count = 0, batch_bars = 0;
    while (begin + count < n && count < batch_symbols && (count == 0 || batch_bars < kBatchBars))
      batch_bars += views[begin + count++].close.size();
    const BatchResult result = compute_batch(views.subspan(begin, count), config, options);
    backend = result.backend;
    for (std::size_t i = 0; i < count; ++i) on_result(begin + i, result.status[i], result.outputs.view(i));
    begin += count;
    progress.update(done + begin);
  }
  return backend;
}

std::size_t bars_of(const Universe& universe) {
  std::size_t bars = 0;
  for (const SeriesView& v : universe.views()) bars += v.close.size();
  return bars;
}

// The status message of a symbol that failed, with the timestamp of its bad bar.
std::string failure_message(const Universe& universe, std::size_t symbol, const SymbolStatus& status) {
  std::string message = status.message;
  if (status.bar >= 0) {
    const std::string time = universe.timestamp(symbol, static_cast<std::size_t>(status.bar));
    if (!time.empty()) message += " (timestamp " + time + ")";
  }
  return message;
}

// The computed rows into the report: marked stale, filtered, in the order of `selection`.
void rank_into(ScanReport& report, std::vector<Ranked> computed, const Selection& selection) {
  mark_stale(computed);
  for (Ranked& r : computed) {
    if (!selection.admits(r)) ++report.filtered_out;
    else if (r.stale && !selection.include_stale) report.stale.push_back(std::move(r));
    else report.ranking.push_back(std::move(r));
  }
  sort_ranking(report.ranking, selection.sort, 1);
  sort_ranking(report.stale, selection.sort, 1);
}

ScanReport compute_ranking(const Universe& universe, const Config& config, const ComputeOptions& options,
                           std::vector<SymbolError> read_errors, const Selection& selection) {
  ScanReport report;
  report.errors = std::move(read_errors);
  report.sort = selection.sort;
  report.bars = bars_of(universe);
  std::vector<Ranked> computed;
  ProgressBar progress(universe.views().size());
  const auto start = std::chrono::steady_clock::now();
  report.backend = compute_in_batches(
      universe, config, options, progress, 0,
      [&](std::size_t symbol, const SymbolStatus& status, const SymbolOutputView& out) {
        if (!status.ok()) {
          report.errors.push_back({std::string(universe.views()[symbol].symbol),
                                   failure_message(universe, symbol, status),
                                   std::string(status_code_name(status.code))});
          return;
        }
        Ranked r = describe(universe, symbol);
        take_last_bar(r, out, status.filled_bars);
        computed.push_back(std::move(r));
      });
  progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rank_into(report, std::move(computed), selection);
  return report;
}

// --timeframes: every series resampled to each timeframe and computed there. A symbol
// is ranked when every timeframe computed; else the first timeframe that failed is its
// error. The row describes the series as read, with the outputs of the first timeframe
// and the signal and state of each.
ScanReport compute_timeframe_ranking(const Universe& base, const std::vector<Timeframe>& timeframes,
                                     PartialBucket partial, const Config& config, const ComputeOptions& options,
                                     std::vector<SymbolError> read_errors, const Selection& selection) {
  ScanReport report;
  report.errors = std::move(read_errors);
  report.sort = selection.sort;
  report.timeframes = timeframes;
  report.partial = partial;
  const std::size_t n = base.views().size();
  std::map<std::string, std::size_t, std::less<>> index_of;  // symbols are unique (Universe::read)
  for (std::size_t s = 0; s < n; ++s) index_of.emplace(std::string(base.views()[s].symbol), s);

  std::vector<std::optional<Ranked>> rows(n);
  for (std::size_t s = 0; s < n; ++s) rows[s] = describe(base, s);
  ProgressBar progress(n * timeframes.size());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < timeframes.size(); ++k) {
    std::vector<SymbolError> unresampled;
    const Universe coarse = base.resampled(timeframes[k], partial, unresampled);
    for (SymbolError& e : unresampled) {
      std::optional<Ranked>& row = rows[index_of.find(e.symbol)->second];
      if (row) report.errors.push_back(std::move(e));  // the same reason on every timeframe: once
      row.reset();
    }
    report.bars += bars_of(coarse);
    report.backend = compute_in_batches(
        coarse, config, options, progress, k * n,
        [&](std::size_t symbol, const SymbolStatus& status, const SymbolOutputView& out) {
          std::optional<Ranked>& row = rows[index_of.find(coarse.views()[symbol].symbol)->second];
          if (!row) return;  // failed on an earlier timeframe
          if (!status.ok()) {
            report.errors.push_back({row->symbol, "timeframe " + timeframes[k].name + ": " +
                                                      failure_message(coarse, symbol, status),
                                     std::string(status_code_name(status.code))});
            row.reset();
            return;
          }
          if (k == 0) take_last_bar(*row, out, status.filled_bars);
          const std::size_t last = out.bars() - 1;
          row->timeframe_signals.push_back(out.average_signal[last]);
          row->timeframe_states.push_back(out.state[last]);
        });
  }
  progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<Ranked> computed;
  for (std::optional<Ranked>& row : rows) {
    if (!row) continue;
    const std::vector<int>& states = row->timeframe_states;
    int sum = 0;
    for (const int state : states) sum += state;
    row->timeframe_consensus = static_cast<double>(sum) / static_cast<double>(states.size());
    const auto all = [&](int state) {
      return std::all_of(states.begin(), states.end(), [&](int s) { return s == state; });
    };
    row->agree = all(1) ? 1 : (all(-1) ? -1 : 0);
    computed.push_back(std::move(*row));
  }
  rank_into(report, std::move(computed), selection);
  return report;
}

// "timestamps read as yyyy-mm-dd (1998 symbols), dd/mm/yyyy (2 symbols)": which formats
// the reader settled on, so that a misread file stands out.
void print_time_formats(const ScanReport& report) {
  std::map<std::string, std::size_t> symbols_of;
  for (const auto* list : {&report.ranking, &report.stale})
    for (const Ranked& r : *list)
      if (!r.time_format.empty()) ++symbols_of[r.time_format];
  if (symbols_of.empty()) return;
  std::vector<std::pair<std::string, std::size_t>> formats(symbols_of.begin(), symbols_of.end());
  std::stable_sort(formats.begin(), formats.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string line = "timestamps read as ";
  for (std::size_t i = 0; i < formats.size(); ++i)
    line += (i ? ", " : "") + formats[i].first + " (" + count_of(formats[i].second, "symbol") + ")";
  std::fprintf(stderr, "%s\n", line.c_str());
}

void print_summary(const ScanReport& report) {
  const std::size_t symbols = report.computed() + report.errors.size();
  // A run too short to time has no meaningful rate.
  std::string rates;
  if (report.seconds > 0.0)
    rates = ": " + rate_text(static_cast<double>(symbols) / report.seconds) + " symbols/s, " +
            rate_text(static_cast<double>(report.bars) / report.seconds) + " symbol-bars/s";
  std::fprintf(stderr, "%s (%zu ok, %s), %s in %.3f s%s, backend %s\n", count_of(symbols, "symbol").c_str(),
               report.computed(), count_of(report.errors.size(), "error").c_str(),
               count_of(report.bars, "bar").c_str(), report.seconds, rates.c_str(),
               std::string(backend_name(report.backend)).c_str());
  if (report.filtered_out > 0)
    std::fprintf(stderr, "%s left out by --state, --min-signal or --min-bars\n",
                 count_of(report.filtered_out, "symbol").c_str());
  std::size_t filled = 0, filled_symbols = 0;
  for (const auto* list : {&report.ranking, &report.stale})
    for (const Ranked& r : *list)
      if (r.filled_bars > 0) {
        filled += r.filled_bars;
        ++filled_symbols;
      }
  if (filled > 0)
    std::fprintf(stderr, "note: %s forward-filled in %s (column filled_bars)\n",
                 (count_of(filled, "missing close") + (filled == 1 ? " was" : " were")).c_str(),
                 count_of(filled_symbols, "symbol").c_str());
  print_time_formats(report);
  if (report.errors.empty()) return;
  std::fprintf(stderr, "errors (%zu):\n", report.errors.size());
  for (std::size_t i = 0; i < std::min(report.errors.size(), kMaxErrorsPrinted); ++i)
    std::fprintf(stderr, "  %s\n", report.errors[i].message.c_str());
  if (report.errors.size() > kMaxErrorsPrinted)
    std::fprintf(stderr, "  ... and %zu more (all of them are in the --json output)\n",
                 report.errors.size() - kMaxErrorsPrinted);
}

}  // namespace

ScanCommand::ScanCommand(CLI::App& app, bool demo) : demo_(demo) {
  if (demo) {
    command_ = app.add_subcommand(
        "demo",
        "Scan the bundled synthetic market (generated in code, no files needed): trending "
        "and ranging regimes, volatility clusters, jumps, a few late listings. Same seed, "
        "same market on every platform.");
    command_->add_option("--symbols", demo_symbols_, "Symbols of the synthetic market")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command_->add_option("--bars", demo_bars_, "Daily bars per symbol")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command_->add_option("--seed", demo_seed_, "Seed of the synthetic market")
        ->capture_default_str();
    top_ = 10;
  } else {
    command_ = app.add_subcommand(
        "scan",
        "Compute many symbols and rank them by their latest Average_Signal, ties broken by "
        "the consensus of the six families, the most recent entry, then the symbol. Prints "
        "a LONG and a SHORT table, the neutral and stale symbols, a summary line and the "
        "symbols that could not be computed; a bad symbol never stops the others.");
    command_
        ->add_option("PATH", paths_,
                     "A directory of per-symbol price files (.csv, freqtrade .json, .parquet, "
                     ".feather; symbol = file stem less a freqtrade -1h suffix), a long-format "
                     "CSV (symbol,timestamp,close,...), or a single-symbol file; several may be "
                     "given. Without PATH: the bundled synthetic market (see `atc demo`)")
        ->check(CLI::ExistingPath);
  }
  command_->add_option("--top", top_, "Rows of each table (LONG, SHORT) to print")->capture_default_str();
  bottom_option_ = command_->add_option("--bottom", bottom_, "Rows of the SHORT table [default: --top]");
  sort_option_ = command_
                     ->add_option("--sort", sort_,
                                  "Order of the ranking: signal, consensus, symbol, bars, entry (most "
                                  "recent first) or timeframes (the timeframe consensus, the default with "
                                  "--timeframes); ties fall back to the default order")
                     ->check(CLI::IsMember({"signal", "consensus", "symbol", "bars", "entry", "timeframes"}))
                     ->capture_default_str();
  command_->add_option("--state", state_,
                       "Rank only the symbols whose last bar is in this state (with --timeframes: the "
                       "sign of the timeframe consensus)")
      ->check(CLI::IsMember({"long", "short", "neutral"}, CLI::ignore_case));
  command_->add_option("--min-signal", min_signal_, "Rank only the symbols with |Average_Signal| >= X")
      ->check(CLI::Range(0.0, 1.0));
  command_->add_option("--min-bars", min_bars_, "Rank only the symbols with at least N bars since listing "
                                                "(counted within --last)");
  command_->add_option("--last", last_bars_, "Compute on the last N bars of each series only, as a chart "
                                             "with a limited history would; 0 = all")
      ->capture_default_str();
  command_->add_flag("--include-stale", include_stale_,
                     "Rank the stale symbols too (last bar more than one of their bars before the "
                     "latest last bar of the scan); they are marked stale");
  command_->add_option("--csv", csv_file_, "Write the full ranking as CSV");
  command_->add_option("--json", json_file_,
                       "Write the full ranking, the stale symbols, the symbol errors and the "
                       "parameters as JSON");
  command_->add_option("-o,--output", output_file_,
                       "Write the full ranking to FILE, as CSV or JSON by its extension")
      ->check(csv_or_json_file());
  if (!demo) {
    CLI::Option* timeframes =
        command_
            ->add_option("--timeframes", timeframes_,
                         "Resample each series to these timeframes (e.g. 1h,4h,1d; units s, m or min, h, "
                         "d: open first, high max, low min, close last, volume summed, buckets from "
                         "midnight UTC) and compute ATC on each; the ranking gets each one's "
                         "Average_Signal and their consensus (the mean of their states)")
            ->delimiter(',');
    command_->add_option("--partial", partial_,
                         "With --timeframes: drop the last bucket while it is still forming (its end "
                         "lies after the last bar plus the bar spacing), or keep it")
        ->check(CLI::IsMember({"drop", "keep"}))
        ->needs(timeframes)
        ->capture_default_str();
  }
  parameters_.add_to(*command_);
  engine_.add_to(*command_);
  if (!demo) input_flags_.add_to(*command_);
}

namespace {

// --timeframes as given, each checked: a known unit, none twice.
std::vector<Timeframe> parse_timeframes(const std::vector<std::string>& names) {
  std::vector<Timeframe> timeframes;
  for (const std::string& name : names) {
    const std::optional<Timeframe> timeframe = parse_timeframe(name);
    if (!timeframe)
      throw CLI::ValidationError("--timeframes: '" + name +
                                 "' is not a timeframe (a count and a unit: 30s, 15m or 15min, 4h, 1d; "
                                 "weeks as 7d, months have no fixed length)");
    for (const Timeframe& earlier : timeframes)
      if (earlier.seconds == timeframe->seconds)
        throw CLI::ValidationError("--timeframes: " + earlier.name + " and " + name + " are the same timeframe");
    timeframes.push_back(*timeframe);
  }
  return timeframes;
}

}  // namespace

int ScanCommand::run() const {
  const Config config = parameters_.config();
  const ComputeOptions options = engine_.options();
  check_can_compute(config, options);

  Selection selection;
  if (!state_.empty()) {
    const char first = static_cast<char>(std::tolower(static_cast<unsigned char>(state_.front())));
    selection.state = first == 'l' ? 1 : (first == 's' ? -1 : 0);
  }
  selection.min_signal = min_signal_;
  selection.min_bars = min_bars_;
  selection.include_stale = include_stale_;
  const std::vector<Timeframe> timeframes = parse_timeframes(timeframes_);
  selection.sort = timeframes.empty() || sort_option_->count() ? kSortKeys.at(sort_) : SortKey::Timeframes;
  if (selection.sort == SortKey::Timeframes && timeframes.empty())
    throw CLI::ValidationError("--sort timeframes orders by the consensus of --timeframes: give them");

  std::vector<SymbolError> read_errors;
  const bool synthetic = demo_ || paths_.empty();
  if (synthetic && input_flags_.source().name != "close")
    throw CLI::ValidationError("--source " + std::string(input_flags_.source().name) +
                               ": the synthetic market has closes only; give a PATH");
  if (synthetic && !timeframes.empty())
    throw CLI::ValidationError("--timeframes: the synthetic market has daily bars only; give a PATH");
  Universe universe =
      synthetic ? Universe::from_market(demo::make_market(demo_symbols_, demo_bars_, demo_seed_))
                : Universe::from_paths(paths_, input_flags_.options(), input_flags_.source(), read_errors);
  if (last_bars_ > 0) universe.keep_last(last_bars_);
  if (demo_)
    std::printf(
        "atc demo: a synthetic market generated in code (seed %llu), not real prices.\n"
        "%zu symbols x %zu daily bars with trending and ranging regimes, volatility clusters,\n"
        "jumps and a few late listings, ranked by the latest Average_Signal.\n"
        "Run `atc scan DIR` on a directory of your own CSV files.\n\n",
        static_cast<unsigned long long>(demo_seed_), demo_symbols_, demo_bars_);
  else if (synthetic)
    std::fprintf(stderr, "no PATH given: scanning the bundled synthetic market (atc demo)\n");

  const PartialBucket partial = partial_ == "keep" ? PartialBucket::Keep : PartialBucket::Drop;
  const ScanReport report =
      timeframes.empty()
          ? compute_ranking(universe, config, options, std::move(read_errors), selection)
          : compute_timeframe_ranking(universe, timeframes, partial, config, options, std::move(read_errors), selection);
  if (report.computed() > 0) print_tables(report, selection, top_, bottom_option_->count() ? bottom_ : top_);
  print_summary(report);

  if (!csv_file_.empty()) write_ranking_csv(csv_file_, report);
  if (!json_file_.empty()) write_ranking_json(json_file_, report, config);
  if (!output_file_.empty()) {
    if (lower_extension(output_file_) == ".json") write_ranking_json(output_file_, report, config);
    else write_ranking_csv(output_file_, report);
  }
  if (report.computed() == 0) {
    std::fprintf(stderr, "error: no symbol could be computed\n");
    return kExitFailure;
  }
  return 0;
}

}  // namespace atc::cli
