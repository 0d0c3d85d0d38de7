// The symbols a command computes: read from price files and directories (each path and
// each file failing alone, with its reason), or the synthetic demo market.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "atc/demo.hpp"
#include "atc/io.hpp"
#include "progress.hpp"
#include "timeframes.hpp"

namespace atc::cli {

namespace fs = std::filesystem;

struct SymbolError {
  std::string symbol;
  std::string message;
  // A status code name (atc::status_code_name) for a symbol that failed to compute;
  // "read" for one that could not be read, "duplicate" for a second copy.
  std::string code = "read";
};

// The symbols a scan computes: read from price files, or the synthetic demo market.
class Universe {
 public:
  static Universe from_paths(const std::vector<std::string>& paths, const io::CsvReadOptions& options,
                             const io::PriceSource& source, std::vector<SymbolError>& errors) {
    return from_files(price_files(paths, errors), options, source, errors);
  }

  // The files of `paths`: each file as given, each directory's price files in name order.
  // A directory that cannot be listed or holds none is an error of its own.
  static std::vector<fs::path> price_files(const std::vector<std::string>& paths, std::vector<SymbolError>& errors) {
    std::vector<fs::path> files;
    for (const std::string& path : paths) {  // each path fails alone, with its reason
      std::error_code error;
      if (!fs::is_directory(path, error)) {
        files.emplace_back(path);
        continue;
      }
      try {
        for (fs::path& file : price_files_in(path)) files.push_back(std::move(file));
      } catch (const Error& e) {
        errors.push_back({path, e.what()});
      }
    }
    return files;
  }

  static Universe from_files(const std::vector<fs::path>& files, const io::CsvReadOptions& options,
                             const io::PriceSource& source, std::vector<SymbolError>& errors) {
    Universe universe;
    universe.source_ = &source;
    // A few files read in a blink; thousands take long enough to wonder.
    constexpr std::size_t kFilesForProgress = 200;
    ProgressBar progress(files.size() > kFilesForProgress ? files.size() : 0, "files read");
    for (std::size_t i = 0; i < files.size(); ++i) {
      universe.read(files[i], options, errors);
      progress.update(i + 1);
    }
    progress.finish();
    universe.make_views();
    return universe;
  }

  static Universe from_market(demo::Market market) {
    Universe universe;
    universe.market_ = std::move(market);
    const demo::Market& m = universe.market_;
    for (std::size_t s = 0; s < m.symbols.size(); ++s)
      universe.views_.push_back(
          {m.symbols[s], std::span(m.close).subspan(s * m.bars, m.bars), {}});
    universe.first_bar_.assign(universe.views_.size(), 0);
    return universe;
  }

  // --last: only the last `bars` bars of each series are computed, as a chart with a
  // limited history would.
  void keep_last(std::size_t bars) {
    for (std::size_t s = 0; s < views_.size(); ++s) {
      const std::size_t size = views_[s].close.size();
      if (size <= bars) continue;
      views_[s].close = views_[s].close.subspan(size - bars);
      if (!views_[s].src.empty()) views_[s].src = views_[s].src.subspan(size - bars);
      first_bar_[s] += size - bars;
    }
  }

  // Each series of the files resampled to `timeframe` from the first bar of its view on,
  // its source computed from the resampled columns; a series that cannot be (without
  // timestamps) is left out, its reason added to `errors`.
  Universe resampled(const Timeframe& timeframe, PartialBucket partial, std::vector<SymbolError>& errors) const {
    Universe coarse;
    coarse.source_ = source_;
    for (std::size_t s = 0; s < files_.size(); ++s) {
      try {
        io::CsvSeries bars = resample(files_[s], first_bar_[s], timeframe, partial);
        std::vector<double> src;
        if (source_->name != "close") src = io::price_source_values(bars, *source_);
        coarse.files_.push_back(std::move(bars));
        coarse.src_of_files_.push_back(std::move(src));
      } catch (const InputError& e) {
        errors.push_back({files_[s].symbol, e.what()});
      }
    }
    coarse.make_views();
    return coarse;
  }

  std::span<const SeriesView> views() const { return views_; }

  // A symbol's series as read from its file (CsvSeries::source names the file); not for
  // the demo market.
  const io::CsvSeries& series(std::size_t symbol) const { return files_[symbol]; }

  // The format a symbol's timestamps were read in; empty for the demo or without timestamps.
  std::string time_format(std::size_t symbol) const {
    return files_.empty() ? std::string() : files_[symbol].time_format;
  }

  // The instant of a bar in seconds (docs/SEMANTICS.md §10); nullopt without timestamps.
  std::optional<double> instant(std::size_t symbol, std::size_t bar) const {
    bar += first_bar_[symbol];
    if (files_.empty()) return static_cast<double>(market_.timestamps[bar]);
    return io::timestamp_seconds(files_[symbol], bar);
  }

  // The time of a bar as the input wrote it (a date for the demo); empty when unknown.
  std::string timestamp(std::size_t symbol, std::size_t bar) const {
    bar += first_bar_[symbol];
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
  // The price files of a directory (those of io::price_file_formats: a freqtrade data
  // directory as it is on disk), in name order. Non-throwing filesystem calls: an entry
  // that cannot be examined (a symlink loop) is skipped here and, if named like a price
  // file, reported by read().
  static std::vector<fs::path> price_files_in(const fs::path& directory) {
    std::vector<fs::path> files;
    std::error_code error;
    fs::directory_iterator it(directory, error), end;
    if (error) throw Error("cannot list directory " + directory.string() + ": " + error.message());
    for (; it != end; it.increment(error)) {
      if (error) throw Error("cannot list directory " + directory.string() + ": " + error.message());
      if (io::find_price_file_format(it->path()) != nullptr) files.push_back(it->path());
    }
    if (files.empty())
      throw Error("no price file (" + io::price_file_extensions() + ") in directory " + directory.string());
    std::sort(files.begin(), files.end());
    return files;
  }

  void make_views() {
    for (std::size_t i = 0; i < files_.size(); ++i)
      views_.push_back({files_[i].symbol, files_[i].close, src_of_files_[i]});
    first_bar_.assign(views_.size(), 0);
  }

  // A malformed file or a symbol with bad cells is that symbol's error, not the scan's.
  // The same symbol from two files (BTC_USDT-1h.json and BTC_USDT-1h.feather, or two
  // directories) counts once: the first file read, in the order of the paths and, in a
  // directory, of the file names.
  void read(const fs::path& file, const io::CsvReadOptions& options, std::vector<SymbolError>& errors) {
    std::vector<io::CsvSeries> series;
    try {
      series = io::read_symbols(file, options);
    } catch (const InputError& e) {
      errors.push_back({io::symbol_of_file(file), e.what()});
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
  std::vector<std::size_t> first_bar_;  // per symbol: the first bar of the file in its view
};

}  // namespace atc::cli
