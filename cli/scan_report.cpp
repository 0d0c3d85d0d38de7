#include "scan_report.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "atc/config_io.hpp"
#include "atc/io.hpp"
#include "command_options.hpp"

namespace atc::cli {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

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

}  // namespace atc::cli
