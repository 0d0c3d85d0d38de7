#include "scan_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "atc/io.hpp"
#include "progress.hpp"

namespace atc::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxErrorsPrinted = 50;

struct SymbolError {
  std::string symbol;
  std::string message;
  // A status code name (atc::status_code_name) for a symbol that failed to compute;
  // "read" for one that could not be read, "duplicate" for a second copy.
  std::string code = "read";
};

// The symbols a scan computes: read from CSV files, or the synthetic demo market.
class Universe {
 public:
  static Universe from_paths(const std::vector<std::string>& paths, const io::CsvReadOptions& options,
                             const io::PriceSource& source, std::vector<SymbolError>& errors) {
    Universe universe;
    universe.source_ = &source;
    for (const std::string& path : paths) {  // each path fails alone, with its reason
      std::error_code error;
      if (fs::is_directory(path, error)) {
        try {
          for (const fs::path& file : csv_files_in(path)) universe.read(file, options, errors);
        } catch (const Error& e) {
          errors.push_back({path, e.what()});
        }
      } else {
        universe.read(path, options, errors);
      }
    }
    for (std::size_t i = 0; i < universe.files_.size(); ++i)
      universe.views_.push_back({universe.files_[i].symbol, universe.files_[i].close, universe.src_of_files_[i]});
    return universe;
  }

  static Universe from_market(demo::Market market) {
    Universe universe;
    universe.market_ = std::move(market);
    const demo::Market& m = universe.market_;
    for (std::size_t s = 0; s < m.symbols.size(); ++s)
      universe.views_.push_back(
          {m.symbols[s], std::span(m.close).subspan(s * m.bars, m.bars), {}});
    return universe;
  }

  std::span<const SeriesView> views() const { return views_; }

  // The format a symbol's timestamps were read in; empty for the demo or without timestamps.
  std::string time_format(std::size_t symbol) const {
    return files_.empty() ? std::string() : files_[symbol].time_format;
  }

  // The time of a bar as the input wrote it (a date for the demo); empty when unknown.
  std::string timestamp(std::size_t symbol, std::size_t bar) const {
    if (!files_.empty()) {
      const std::vector<std::string>& times = files_[symbol].timestamps;
      return bar < times.size() ? times[bar] : std::string();
    }
    using namespace std::chrono;
    const year_month_day date{sys_days{days{market_.timestamps[bar] / 86400}}};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return text;
  }

 private:
  // The .csv entries of a directory. Non-throwing filesystem calls: an entry that cannot be
  // examined (a symlink loop) is skipped here and, if named .csv, reported by read().
  static std::vector<fs::path> csv_files_in(const fs::path& directory) {
    std::vector<fs::path> files;
    std::error_code error;
    fs::directory_iterator it(directory, error), end;
    if (error) throw Error("cannot list directory " + directory.string() + ": " + error.message());
    for (; it != end; it.increment(error)) {
      if (error) throw Error("cannot list directory " + directory.string() + ": " + error.message());
      std::string extension = it->path().extension().string();
      std::transform(extension.begin(), extension.end(), extension.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (extension == ".csv") files.push_back(it->path());
    }
    if (files.empty()) throw Error("no .csv file in directory " + directory.string());
    std::sort(files.begin(), files.end());
    return files;
  }

  // A malformed file or a symbol with bad cells is that symbol's error, not the scan's.
  void read(const fs::path& file, const io::CsvReadOptions& options, std::vector<SymbolError>& errors) {
    std::vector<io::CsvSeries> series;
    try {
      series = io::read_symbols_csv(file, options);
    } catch (const InputError& e) {
      errors.push_back({file.stem().string(), e.what()});
      return;
    }
    for (io::CsvSeries& s : series) {
      if (s.issues.empty()) {
        // The same symbol from two paths would be ranked twice: the first one read counts.
        const auto [first, inserted] = sources_.emplace(s.symbol, file.string());
        if (!inserted) {
          errors.push_back({s.symbol, "symbol '" + s.symbol + "' in " + file.string() + " is already read from " +
                                          first->second + "; this copy is skipped",
                            "duplicate"});
          continue;
        }
        // Close as the source is the library's default (an empty src).
        std::vector<double> src;
        if (source_->name != "close") {
          try {
            src = io::price_source_values(s, *source_);
          } catch (const InputError& e) {
            errors.push_back({s.symbol, e.what()});
            continue;
          }
        }
        files_.push_back(std::move(s));
        src_of_files_.push_back(std::move(src));
        continue;
      }
      std::string message = s.issues.front().message;
      if (s.issues.size() > 1)
        message += " (and " + std::to_string(s.issues.size() - 1) + " more problems)";
      errors.push_back({s.symbol, message});
    }
  }

  std::vector<io::CsvSeries> files_;
  std::vector<std::vector<double>> src_of_files_;  // src of each of files_, empty for close
  const io::PriceSource* source_ = nullptr;
  std::map<std::string, std::string> sources_;  // symbol -> the file it was read from
  demo::Market market_;
  std::vector<SeriesView> views_;
};

// One computed symbol, as the ranking shows it.
struct Ranked {
  std::string symbol;
  std::size_t bars = 0;
  std::string last_time;
  std::string time_format;  // how the input's timestamps were read; empty when unknown
  double signal = 0.0;  // Average_Signal of the last bar
  int state = 0;
  int direction = 0;
  int last_entry = 0;  // +1 long entry, -1 short entry, 0 none
  std::size_t bars_since_entry = 0;
};

Ranked summarize(const Universe& universe, std::size_t symbol, const SymbolOutputView& out) {
  Ranked r;
  r.symbol = std::string(universe.views()[symbol].symbol);
  const std::span<const double> close = universe.views()[symbol].close;
  const std::size_t last = out.bars() - 1;  // computed symbols have at least min_bars() bars
  // Bars since listing: leading NaNs are a symbol not listed yet.
  r.bars = static_cast<std::size_t>(
      close.end() - std::find_if(close.begin(), close.end(), [](double c) { return !std::isnan(c); }));
  r.last_time = universe.timestamp(symbol, last);
  r.time_format = universe.time_format(symbol);
  r.signal = out.average_signal[last];
  r.state = out.state[last];
  r.direction = out.direction[last];
  for (std::size_t t = last + 1; t-- > 0;) {
    if (out.long_entry[t] || out.short_entry[t]) {
      r.last_entry = out.long_entry[t] ? 1 : -1;
      r.bars_since_entry = last - t;
      break;
    }
  }
  return r;
}

// Strongest long first; symbols without a value (NaN) last.
void rank(std::vector<Ranked>& ranking) {
  std::stable_sort(ranking.begin(), ranking.end(), [](const Ranked& a, const Ranked& b) {
    const bool a_nan = std::isnan(a.signal), b_nan = std::isnan(b.signal);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a.signal != b.signal) return a.signal > b.signal;
    return a.symbol < b.symbol;
  });
}

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

void print_table(const std::vector<Ranked>& ranking, std::size_t top, std::size_t bottom) {
  const std::vector<std::string> header{"rank",      "symbol",     "last bar", "Average_Signal",
                                        "state",     "direction",  "last entry", "bars"};
  const std::vector<bool> right_aligned{true, false, false, true, false, false, false, true};
  std::vector<std::vector<std::string>> rows;
  const auto add = [&](std::size_t i) {
    const Ranked& r = ranking[i];
    rows.push_back({std::to_string(i + 1), r.symbol, r.last_time.empty() ? "-" : r.last_time,
                    signal_text(r.signal), state_name(r.state), direction_name(r.direction),
                    entry_text(r), std::to_string(r.bars)});
  };
  const std::size_t n = ranking.size();
  const bool all = top + bottom >= n;
  for (std::size_t i = 0; i < (all ? n : top); ++i) add(i);
  const std::size_t gap_row = rows.size();
  if (!all)
    for (std::size_t i = n - bottom; i < n; ++i) add(i);

  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
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
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == gap_row && !all && top > 0) std::printf("%*s\n", static_cast<int>(width[0]), "...");
    print_row(rows[i]);
  }
}

void write_ranking_csv(const fs::path& file, const std::vector<Ranked>& ranking) {
  io::write_file_atomically(file, [&](std::ostream& out) {
    out << "rank,symbol,last_timestamp,bars,average_signal,state,direction,last_entry,"
           "bars_since_entry\n";
    for (std::size_t i = 0; i < ranking.size(); ++i) {
      const Ranked& r = ranking[i];
      std::string row = std::to_string(i + 1) + ",";
      io::append_csv_field(row, r.symbol);
      row += ",";
      io::append_csv_field(row, r.last_time);
      row += "," + std::to_string(r.bars) + "," + io::format_number(r.signal) + "," + state_name(r.state) + "," +
             direction_name(r.direction) + "," + entry_name(r.last_entry) + "," +
             (r.last_entry ? std::to_string(r.bars_since_entry) : std::string()) + "\n";
      out << row;
    }
  });
}

struct ScanReport {
  std::vector<Ranked> ranking;
  std::vector<SymbolError> errors;
  std::size_t bars = 0;
  double seconds = 0.0;
  Backend backend = Backend::Auto;
};

void write_ranking_json(const fs::path& file, const ScanReport& report, const Config& config) {
  nlohmann::ordered_json parameters;
  for (const io::ParameterInfo& info : io::parameters())
    std::visit([&](const auto& v) { parameters[std::string(info.name)] = v; },
               io::get_parameter(config, info.name));
  nlohmann::ordered_json ranking = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < report.ranking.size(); ++i) {
    const Ranked& r = report.ranking[i];
    nlohmann::ordered_json entry{{"rank", i + 1},
                                 {"symbol", r.symbol},
                                 {"last_timestamp", r.last_time},
                                 {"time_format", r.time_format.empty() ? nlohmann::ordered_json()
                                                                       : nlohmann::ordered_json(r.time_format)},
                                 {"bars", r.bars},
                                 {"average_signal", r.signal},  // NaN is written as null
                                 {"state", state_name(r.state)},
                                 {"direction", direction_name(r.direction)}};
    entry["last_entry"] = r.last_entry ? nlohmann::ordered_json(entry_name(r.last_entry)) : nullptr;
    entry["bars_since_entry"] =
        r.last_entry ? nlohmann::ordered_json(r.bars_since_entry) : nullptr;
    ranking.push_back(std::move(entry));
  }
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const SymbolError& e : report.errors)
    errors.push_back({{"symbol", e.symbol}, {"code", e.code}, {"message", e.message}});
  const nlohmann::ordered_json document{
      {"backend", backend_name(report.backend)},
      {"symbols", report.ranking.size() + report.errors.size()},
      {"ok", report.ranking.size()},
      {"errors", errors.size()},
      {"bars", report.bars},
      {"seconds", report.seconds},
      {"parameters", parameters},
      {"ranking", ranking},
      {"symbol_errors", errors}};
  // Invalid UTF-8 (a symbol from a latin-1 file name) is replaced, not a failure after
  // every symbol was computed.
  const std::string text = document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  io::write_file_atomically(file, [&](std::ostream& out) { out << text << '\n'; });
}

// Computes every symbol, in batches when a progress bar is shown.
ScanReport compute_ranking(const Universe& universe, const Config& config,
                           ComputeOptions options, std::vector<SymbolError> read_errors) {
  options.outputs = OutputRequest::scan();
  ScanReport report;
  report.errors = std::move(read_errors);
  report.backend = resolve_backend(options.backend);
  const std::span<const SeriesView> views = universe.views();
  const std::size_t n = views.size();
  for (const SeriesView& v : views) report.bars += v.close.size();

  // About 50 steps for the bar; one batch (the fastest) when nobody watches.
  const std::size_t batch = ProgressBar::enabled() ? std::max<std::size_t>(16, (n + 49) / 50)
                                                   : std::max<std::size_t>(n, 1);
  ProgressBar progress(n);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t begin = 0; begin < n; begin += batch) {
    const std::size_t count = std::min(batch, n - begin);
    const BatchResult result = compute_batch(views.subspan(begin, count), config, options);
    report.backend = result.backend;
    for (std::size_t i = 0; i < count; ++i) {
      const SymbolStatus& status = result.status[i];
      if (status.ok()) {
        report.ranking.push_back(summarize(universe, begin + i, result.outputs.view(i)));
        continue;
      }
      std::string message = status.message;
      if (status.bar >= 0) {
        const std::string time = universe.timestamp(begin + i, static_cast<std::size_t>(status.bar));
        if (!time.empty()) message += " (timestamp " + time + ")";
      }
      report.errors.push_back({result.symbols[i], message, std::string(status_code_name(status.code))});
    }
    progress.update(begin + count);
  }
  progress.finish();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rank(report.ranking);
  return report;
}

// "timestamps read as yyyy-mm-dd (1998 symbols), dd/mm/yyyy (2 symbols)": which formats
// the reader settled on, so that a misread file stands out.
void print_time_formats(const std::vector<Ranked>& ranking) {
  std::map<std::string, std::size_t> symbols_of;
  for (const Ranked& r : ranking)
    if (!r.time_format.empty()) ++symbols_of[r.time_format];
  if (symbols_of.empty()) return;
  std::vector<std::pair<std::string, std::size_t>> formats(symbols_of.begin(), symbols_of.end());
  std::stable_sort(formats.begin(), formats.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string line = "timestamps read as ";
  for (std::size_t i = 0; i < formats.size(); ++i)
    line += (i ? ", " : "") + formats[i].first + " (" + std::to_string(formats[i].second) +
            (formats[i].second == 1 ? " symbol)" : " symbols)");
  std::fprintf(stderr, "%s\n", line.c_str());
}

void print_summary(const ScanReport& report) {
  const std::size_t symbols = report.ranking.size() + report.errors.size();
  const double seconds = std::max(report.seconds, 1e-9);
  std::fprintf(stderr,
               "%zu symbols (%zu ok, %zu errors), %zu bars in %.3f s: %s symbols/s, %s "
               "symbol-bars/s, backend %s\n",
               symbols, report.ranking.size(), report.errors.size(), report.bars,
               report.seconds, rate_text(static_cast<double>(symbols) / seconds).c_str(),
               rate_text(static_cast<double>(report.bars) / seconds).c_str(),
               std::string(backend_name(report.backend)).c_str());
  print_time_formats(report.ranking);
  if (report.errors.empty()) return;
  std::fprintf(stderr, "errors (%zu):\n", report.errors.size());
  for (std::size_t i = 0; i < std::min(report.errors.size(), kMaxErrorsPrinted); ++i)
    std::fprintf(stderr, "  %s\n", report.errors[i].message.c_str());
  if (report.errors.size() > kMaxErrorsPrinted)
    std::fprintf(stderr, "  ... and %zu more (all of them are in the --json output)\n",
                 report.errors.size() - kMaxErrorsPrinted);
}

std::string lower_extension(const std::string& file) {
  std::string extension = fs::path(file).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
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
    bottom_ = 10;
  } else {
    command_ = app.add_subcommand(
        "scan",
        "Compute many symbols and rank them by their latest Average_Signal (strongest long "
        "first). Prints the top of the ranking, a summary line and the symbols that could not "
        "be computed; a bad symbol never stops the others.");
    command_
        ->add_option("PATH", paths_,
                     "A directory of per-symbol CSV files (symbol = file stem), a long-format "
                     "CSV (symbol,timestamp,close,...), or a single-symbol CSV; several may be "
                     "given. Without PATH: the bundled synthetic market (see `atc demo`)")
        ->check(CLI::ExistingPath);
  }
  command_->add_option("--top", top_, "Rows of the ranking to print from the top")
      ->capture_default_str();
  command_->add_option("--bottom", bottom_, "Rows to print from the bottom (strongest shorts)")
      ->capture_default_str();
  command_->add_option("--csv", csv_file_, "Write the full ranking as CSV");
  command_->add_option("--json", json_file_,
                       "Write the full ranking, the symbol errors and the parameters as JSON");
  command_->add_option("-o,--output", output_file_,
                       "Write the full ranking to FILE, as CSV or JSON by its extension")
      ->check([](const std::string& file) {
        const std::string extension = lower_extension(file);
        return extension == ".csv" || extension == ".json"
                   ? std::string()
                   : "cannot tell the format of '" + file + "': use a .csv or .json name";
      });
  parameters_.add_to(*command_);
  engine_.add_to(*command_);
  if (!demo) input_flags_.add_to(*command_);
}

int ScanCommand::run() const {
  const Config config = parameters_.config();
  const ComputeOptions options = engine_.options();
  check_can_compute(config, options);

  std::vector<SymbolError> read_errors;
  const bool synthetic = demo_ || paths_.empty();
  if (synthetic && input_flags_.source().name != "close")
    throw CLI::ValidationError("--source " + std::string(input_flags_.source().name) +
                               ": the synthetic market has closes only; give a PATH");
  const Universe universe =
      synthetic ? Universe::from_market(demo::make_market(demo_symbols_, demo_bars_, demo_seed_))
                : Universe::from_paths(paths_, input_flags_.options(), input_flags_.source(), read_errors);
  if (demo_)
    std::printf(
        "atc demo: a synthetic market generated in code (seed %llu), not real prices.\n"
        "%zu symbols x %zu daily bars with trending and ranging regimes, volatility clusters,\n"
        "jumps and a few late listings, ranked by the latest Average_Signal.\n"
        "Run `atc scan DIR` on a directory of your own CSV files.\n\n",
        static_cast<unsigned long long>(demo_seed_), demo_symbols_, demo_bars_);
  else if (synthetic)
    std::fprintf(stderr, "no PATH given: scanning the bundled synthetic market (atc demo)\n");

  const ScanReport report = compute_ranking(universe, config, options, std::move(read_errors));
  if (!report.ranking.empty()) print_table(report.ranking, top_, bottom_);
  print_summary(report);

  if (!csv_file_.empty()) write_ranking_csv(csv_file_, report.ranking);
  if (!json_file_.empty()) write_ranking_json(json_file_, report, config);
  if (!output_file_.empty()) {
    if (lower_extension(output_file_) == ".json") write_ranking_json(output_file_, report, config);
    else write_ranking_csv(output_file_, report.ranking);
  }
  if (report.ranking.empty()) {
    std::fprintf(stderr, "error: no symbol could be computed\n");
    return kExitFailure;
  }
  return 0;
}

}  // namespace atc::cli
