#include "followed_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "atc/error.hpp"

namespace atc::cli {
namespace {

namespace fs = std::filesystem;

// Bytes [offset, offset + count) of an open file; fewer when it ends sooner.
std::string read_bytes(int fd, std::uintmax_t offset, std::uintmax_t count) {
  std::string bytes(count, '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(offset + got));
    if (n > 0) got += static_cast<std::size_t>(n);
    else if (n == 0 || errno != EINTR) break;
  }
  bytes.resize(got);
  return bytes;
}

// The reader numbers the lines of the text it is given (the header, then the row on line
// 2); a message names the line of the file instead.
std::string at_file_line(const std::string& message, const std::string& source, std::size_t line) {
  const std::string reader_prefix = source + ":2:";
  const std::string prefix = source + ":" + std::to_string(line) + ":";
  if (message.starts_with(reader_prefix)) return prefix + message.substr(reader_prefix.size());
  return prefix + " " + message;
}

}  // namespace

FollowedFiles::FollowedFiles(const std::vector<fs::path>& files, Clock::duration bar_wait) : bar_wait_(bar_wait) {
  for (const fs::path& path : files) {
    const io::PriceFileFormat* format = io::find_price_file_format(path);
    if (format != nullptr && !format->grows_by_appended_rows) {
      std::fprintf(stderr, "live: %s is not followed: only CSV files grow by appended rows\n", path.c_str());
      continue;
    }
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) continue;  // the reading reports it
    File file;
    file.path = path;
    file.device = status.st_dev;
    file.inode = status.st_ino;
    file.offset = static_cast<std::uintmax_t>(status.st_size);
    files_.push_back(std::move(file));
  }
}

void FollowedFiles::attach(const Universe& universe, const io::CsvReadOptions& options,
                           const io::PriceSource& source) {
  source_ = &source;
  std::map<std::string, File*> by_path;
  for (File& file : files_) by_path.emplace(file.path.string(), &file);
  std::map<File*, std::string> unfollowable;  // a file's reason not to be followed
  for (std::size_t s = 0; s < universe.views().size(); ++s) {
    const io::CsvSeries& series = universe.series(s);
    const auto it = by_path.find(series.source);
    if (it == by_path.end()) continue;
    File& file = *it->second;
    if (series.timestamps.empty()) {
      unfollowable.emplace(&file, "without timestamps (no timestamp column, or no row) its new rows cannot be "
                                  "grouped into bars");
      continue;
    }
    if (file.symbols.empty()) {
      file.options = options;
      file.options.separator = series.separator;
      file.options.close_column = series.close_column;
      // One appended row could not settle an ambiguous dd/mm order: it is read in the
      // format the history settled (that of the file's first symbol).
      if (file.options.time_format == io::TimeFormat::Auto) file.options.time_format = series.timestamp_format;
      file.reached = -std::numeric_limits<double>::infinity();
    }
    // A series in the universe has no issues: each of its timestamps gives an instant.
    const double instant = io::timestamp_seconds(series, series.timestamps.size() - 1).value();
    file.symbols.push_back(series.symbol);
    file.reached = std::max(file.reached, instant);
    ends_[series.symbol] = {instant, series.timestamps.back()};
  }
  for (const auto& [file, reason] : unfollowable) {
    std::fprintf(stderr, "live: %s is not followed: %s\n", file->path.c_str(), reason.c_str());
    for (const std::string& symbol : file->symbols) ends_.erase(symbol);
    file->symbols.clear();
  }
  for (File& file : files_) {
    if (file.symbols.empty()) continue;
    const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    const std::string history = fd < 0 ? std::string() : read_bytes(fd, 0, file.offset);
    if (fd >= 0) ::close(fd);
    file.lines = static_cast<std::size_t>(std::count(history.begin(), history.end(), '\n'));
    // The first line that is not empty, as the reader takes it.
    for (std::size_t begin = 0; begin < history.size() && file.header.empty();) {
      const std::size_t end = std::min(history.find('\n', begin), history.size());
      file.header = history.substr(begin, end - begin);
      if (file.header == "\r") file.header.clear();
      begin = end + 1;
    }
    file.followed = true;
  }
}

std::size_t FollowedFiles::size() const {
  return static_cast<std::size_t>(std::count_if(files_.begin(), files_.end(), [](const File& f) { return f.followed; }));
}

void FollowedFiles::stop_following(File& file, const std::string& reason) {
  std::string symbols;
  for (const std::string& symbol : file.symbols) symbols += (symbols.empty() ? "" : ", ") + symbol;
  std::fprintf(stderr, "error: %s %s; %s no longer followed\n", file.path.c_str(), reason.c_str(),
               symbols.c_str());
  file.followed = false;
}

void FollowedFiles::read_appended(Clock::time_point now) {
  for (File& file : files_) {
    if (!file.followed) continue;
    const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      stop_following(file, std::string("cannot be opened any more (") + std::strerror(errno) + ")");
      continue;
    }
    struct stat status {};
    std::string appended;
    const bool examined = ::fstat(fd, &status) == 0;
    const auto size = static_cast<std::uintmax_t>(status.st_size);
    if (examined && status.st_dev == file.device && status.st_ino == file.inode && size > file.offset)
      appended = read_bytes(fd, file.offset, size - file.offset);
    ::close(fd);
    if (!examined) {
      stop_following(file, std::string("cannot be examined any more (") + std::strerror(errno) + ")");
      continue;
    }
    if (status.st_dev != file.device || status.st_ino != file.inode) {
      stop_following(file, "was replaced by another file");
      continue;
    }
    if (size < file.offset) {
      stop_following(file, "was truncated (" + std::to_string(size) + " bytes, " + std::to_string(file.offset) +
                               " read)");
      continue;
    }
    const std::size_t complete = appended.rfind('\n');
    if (complete == std::string::npos) continue;  // a partly written line waits for its end
    for (std::size_t begin = 0; begin <= complete;) {
      const std::size_t end = appended.find('\n', begin);
      read_line(file, appended.substr(begin, end - begin), ++file.lines, now);
      begin = end + 1;
    }
    file.offset += complete + 1;
  }
}

void FollowedFiles::read_line(File& file, const std::string& line, std::size_t number, Clock::time_point now) {
  const std::string source = file.path.string();
  const auto skip = [&](const std::string& message) {
    std::fprintf(stderr, "%s; skipped\n", at_file_line(message, source, number).c_str());
  };
  std::vector<io::CsvSeries> rows;
  try {
    rows = io::read_symbols_csv_text(file.header + "\n" + line + "\n", source, io::symbol_of_file(file.path),
                                     file.options);
  } catch (const InputError& e) {
    skip(e.what());
    return;
  }
  if (rows.empty() || rows.front().close.empty()) return;  // an empty line
  const io::CsvSeries& row = rows.front();
  if (!row.issues.empty()) {
    skip(row.issues.front().message);
    return;
  }
  if (std::find(file.symbols.begin(), file.symbols.end(), row.symbol) == file.symbols.end()) {
    skip("symbol '" + row.symbol + "' was not in the file when live started");
    return;
  }
  const std::optional<double> instant = io::timestamp_seconds(row, 0);
  SymbolEnd& end = ends_.at(row.symbol);
  if (!instant || *instant <= end.instant) {
    skip("timestamp '" + row.timestamps.front() + "' of " + row.symbol + " is not after its last one '" +
         end.timestamp + "'");
    return;
  }
  AppendedRow appended{row.symbol, row.timestamps.front(), row.close.front(), std::nullopt};
  if (source_->name != "close") {
    try {
      appended.src = io::price_source_values(row, *source_).front();
    } catch (const InputError& e) {
      skip(e.what());
      return;
    }
  }
  end = {*instant, appended.timestamp};
  file.reached = std::max(file.reached, *instant);
  const auto [bar, inserted] = pending_.try_emplace(*instant);
  if (inserted) bar->second.first_read = now;
  bar->second.rows.push_back(std::move(appended));
}

std::optional<std::vector<AppendedRow>> FollowedFiles::next_bar(Clock::time_point now) {
  if (pending_.empty()) return std::nullopt;
  const auto oldest = pending_.begin();
  const bool every_file_reached = std::all_of(files_.begin(), files_.end(), [&](const File& file) {
    return !file.followed || file.reached >= oldest->first;
  });
  if (!every_file_reached && now - oldest->second.first_read < bar_wait_) return std::nullopt;
  std::vector<AppendedRow> rows = std::move(oldest->second.rows);
  pending_.erase(oldest);
  return rows;
}

}  // namespace atc::cli
