// `atc live --follow`: the CSV price files of a live universe followed as rows are
// appended to them, the new rows read as the history was and grouped into bars by time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "atc/io.hpp"
#include "universe.hpp"

namespace atc::cli {

// One appended row of a symbol.
struct AppendedRow {
  std::string symbol;
  std::string timestamp;      // as written in the file
  double close = 0.0;
  std::optional<double> src;  // the --source value, when the source is not close
};

class FollowedFiles {
 public:
  using Clock = std::chrono::steady_clock;

  // Marks where each of `files` ends now, before the history is read from them: what is
  // appended from here on is new, and no row is lost between the reading and the
  // following. JSON, Parquet and Feather files do not grow by rows and are not followed.
  // `bar_wait`: how long a bar waits for the files that have no row of it yet.
  FollowedFiles(const std::vector<std::filesystem::path>& files, Clock::duration bar_wait);

  // Follows the symbols `universe` read from the marked files, from their last bars on.
  // `options` and `source`: those the universe was read with.
  void attach(const Universe& universe, const io::CsvReadOptions& options, const io::PriceSource& source);

  // The files followed (not stopped). With none, every bar read is whole.
  std::size_t size() const;

  // Reads the complete lines appended to every followed file since the last call; a
  // partly written last line waits for its newline. A malformed line, or a row not after
  // its symbol's last one, is reported on stderr ("FILE:LINE: reason") and skipped; a file
  // that shrinks, is replaced or disappears is reported and no longer followed.
  void read_appended(Clock::time_point now);

  // The rows of the oldest timestamp read once they form a whole bar: every followed file
  // has a row at or after that time, or its first row was read `bar_wait` ago (a file
  // without a row then has no bar). nullopt while there is none.
  std::optional<std::vector<AppendedRow>> next_bar(Clock::time_point now);

 private:
  struct File {
    std::filesystem::path path;
    dev_t device = 0;
    ino_t inode = 0;
    std::uintmax_t offset = 0;  // bytes read: the history, then complete lines
    std::size_t lines = 0;      // the lines before `offset`
    std::string header;         // the header line, which every appended line is read under
    io::CsvReadOptions options;
    std::vector<std::string> symbols;
    double reached = 0.0;       // the instant of its last row taken (history or appended)
    bool followed = false;
  };
  struct SymbolEnd {
    double instant = 0.0;
    std::string timestamp;
  };
  struct PendingBar {
    Clock::time_point first_read;
    std::vector<AppendedRow> rows;
  };

  void read_line(File& file, const std::string& line, std::size_t number, Clock::time_point now);
  void stop_following(File& file, const std::string& reason);

  Clock::duration bar_wait_;
  const io::PriceSource* source_ = nullptr;
  std::vector<File> files_;
  std::map<std::string, SymbolEnd> ends_;   // per followed symbol: its last row
  std::map<double, PendingBar> pending_;    // by instant (docs/SEMANTICS.md §10)
};

}  // namespace atc::cli
