// Reading wide (one symbol per file) and long (symbol column) CSV price files.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <fast_float/fast_float.h>

#include "atc/error.hpp"
#include "atc/io.hpp"
#include "io/csv_tokenizer.hpp"

namespace atc::io {
namespace {

using detail::CsvCell;
using detail::CsvTokenizer;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A cell or header as quoted in a message: at most kEchoLimit bytes, so that a 10 MB
// cell does not become a 10 MB error line.
constexpr std::size_t kEchoLimit = 60;
std::string echo(std::string_view text) {
  text = trim(text);
  if (text.size() <= kEchoLimit) return std::string(text);
  return std::string(text.substr(0, kEchoLimit)) + "… (" + std::to_string(text.size()) + " bytes)";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  // Only regular files: a FIFO would block forever and /dev/zero never end.
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error) throw InputError(path.string() + ": cannot open file: " + error.message());
  if (!std::filesystem::is_regular_file(status))
    throw InputError(path.string() + ": not a regular file (a directory, FIFO, device or socket)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// An empty cell is NaN ("no value"); nullopt when the text is not a number.
std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return kNaN;
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0.0;
  const auto [end, ec] = fast_float::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Which column holds what; -1 when the file has no such column.
struct Layout {
  std::size_t cells = 0;
  int timestamp = -1, symbol = -1;
  int open = -1, high = -1, low = -1, close = -1, volume = -1;
};

Layout layout_of(const std::vector<CsvCell>& header, const CsvTokenizer& tokens) {
  Layout layout;
  layout.cells = header.size();
  struct Role {
    std::array<std::string_view, 4> names;
    int Layout::*column;
  };
  static constexpr std::array<Role, 7> kRoles{{
      {{"timestamp", "time", "date", "datetime"}, &Layout::timestamp},
      {{"symbol", "ticker"}, &Layout::symbol},
      {{"open"}, &Layout::open},
      {{"high"}, &Layout::high},
      {{"low"}, &Layout::low},
      {{"close"}, &Layout::close},
      {{"volume"}, &Layout::volume},
  }};
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string name = lower(trim(header[i].text));
    for (const Role& role : kRoles) {
      // An empty name never matches: unused alias slots of a role are empty too.
      if (name.empty() || std::find(role.names.begin(), role.names.end(), name) == role.names.end())
        continue;
      int& column = layout.*role.column;
      // Several timestamp-like columns (e.g. date and time): the first one wins.
      if (column >= 0 && role.column != &Layout::timestamp)
        tokens.fail(header[i].line, header[i].column,
                    "column '" + echo(header[i].text) + "' appears twice (also column " +
                        std::to_string(column + 1) + ")");
      if (column < 0) column = static_cast<int>(i);
    }
  }
  if (layout.timestamp < 0 && !header.empty() && trim(header[0].text).empty())
    layout.timestamp = 0;  // an unnamed first column, as pandas writes its index
  if (layout.close < 0) {
    std::string names;
    for (std::size_t i = 0; i < header.size() && names.size() < 8 * kEchoLimit; ++i)
      names += (names.empty() ? "" : ", ") + echo(header[i].text);
    if (names.size() >= 8 * kEchoLimit) names += ", … (" + std::to_string(header.size()) + " columns)";
    tokens.fail(header.empty() ? 1 : header[0].line, 1,
                "no 'close' column in the header (found: " + names + ")");
  }
  return layout;
}

// How two consecutive timestamps can be ordered.
enum class TimeFormat { Numeric, Iso, Unknown };

TimeFormat time_format(std::string_view t) {
  auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(t[i])) != 0; };
  if (t.size() >= 10 && digit(0) && digit(1) && digit(2) && digit(3) && t[4] == '-' &&
      digit(5) && digit(6) && t[7] == '-' && digit(8) && digit(9))
    return TimeFormat::Iso;
  if (parse_number(t).has_value()) return TimeFormat::Numeric;
  return TimeFormat::Unknown;
}

// <0, 0, >0 like strcmp; nullopt when the two formats give no order (only equality).
std::optional<int> compare_times(std::string_view a, std::string_view b) {
  const TimeFormat fa = time_format(a), fb = time_format(b);
  if (fa != fb || fa == TimeFormat::Unknown) {
    if (a == b) return 0;
    return std::nullopt;
  }
  if (fa == TimeFormat::Iso) return a.compare(b);  // ISO 8601 sorts lexicographically
  const double x = *parse_number(a), y = *parse_number(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

class SeriesBuilder {
 public:
  SeriesBuilder(const Layout& layout, const CsvTokenizer& tokens, bool long_format)
      : layout_(layout), tokens_(tokens), long_format_(long_format) {}

  void add_row(CsvSeries& series, std::size_t& previous_line, const std::vector<CsvCell>& row) {
    if (layout_.timestamp >= 0) add_timestamp(series, previous_line, row[layout_.timestamp]);
    previous_line = row.front().line;
    series.close.push_back(number(series, row[layout_.close], "close"));
    add_optional(series, series.open, layout_.open, row, "open");
    add_optional(series, series.high, layout_.high, row, "high");
    add_optional(series, series.low, layout_.low, row, "low");
    add_optional(series, series.volume, layout_.volume, row, "volume");
  }

 private:
  void issue(CsvSeries& series, const CsvCell& cell, const std::string& reason) const {
    if (series.issues.size() >= kMaxIssuesPerSeries) return;
    std::string message = detail::location(tokens_.source(), cell.line, cell.column);
    if (long_format_) message += "symbol '" + series.symbol + "': ";
    series.issues.push_back({cell.line, cell.column, message + reason});
  }

  double number(CsvSeries& series, const CsvCell& cell, std::string_view column) const {
    if (const std::optional<double> value = parse_number(cell.text)) return *value;
    std::string reason = "'";  // built step by step: GCC 12 warns falsely on "..." + string&&
    reason.append(echo(cell.text)).append("' in column '").append(column).append("' is not a number");
    issue(series, cell, reason);
    return kNaN;
  }

  void add_optional(CsvSeries& series, std::vector<double>& values, int column,
                    const std::vector<CsvCell>& row, std::string_view name) const {
    if (column >= 0) values.push_back(number(series, row[column], name));
  }

  void add_timestamp(CsvSeries& series, std::size_t previous_line, const CsvCell& cell) const {
    const std::string_view time = trim(cell.text);
    if (time.empty()) {
      issue(series, cell, "empty timestamp");
    } else if (!series.timestamps.empty()) {
      const std::string& previous = series.timestamps.back();
      const std::optional<int> order = compare_times(previous, time);
      const std::string where = " (line " + std::to_string(previous_line) + ")";
      if (order == 0)
        issue(series, cell, "duplicate timestamp '" + echo(time) + "'" + where);
      else if (order && *order > 0)
        issue(series, cell,
              "timestamp '" + echo(time) + "' is before the previous one '" + echo(previous) +
                  "'" + where + ": rows must be sorted oldest first");
    }
    series.timestamps.emplace_back(time);
  }

  const Layout& layout_;
  const CsvTokenizer& tokens_;
  bool long_format_;
};

CsvSeries empty_series(std::string symbol, const std::filesystem::path& path) {
  CsvSeries series;
  series.symbol = std::move(symbol);
  series.source = path.string();
  return series;
}

struct Header {
  CsvTokenizer tokens;
  Layout layout;
};

Header read_header(const std::filesystem::path& path) {
  CsvTokenizer tokens(read_file(path), path.string());
  std::vector<CsvCell> header;
  if (!tokens.next_row(header))
    tokens.fail(1, 1, "empty file: expected a header row naming the columns (e.g. date,close)");
  const Layout layout = layout_of(header, tokens);
  return {std::move(tokens), layout};
}

void check_cell_count(const CsvTokenizer& tokens, const Layout& layout,
                      const std::vector<CsvCell>& row) {
  if (row.size() == layout.cells) return;
  const std::string reason = "expected " + std::to_string(layout.cells) +
                             " cells as in the header, found " + std::to_string(row.size());
  if (row.size() > layout.cells) {
    const CsvCell& extra = row[layout.cells];
    tokens.fail(extra.line, extra.column, reason);
  }
  tokens.fail(tokens.row_end_line(), tokens.row_end_column(), reason);
}

std::vector<CsvSeries> read_rows(const std::filesystem::path& path, Header header) {
  CsvTokenizer& tokens = header.tokens;
  const Layout& layout = header.layout;
  const bool long_format = layout.symbol >= 0;
  SeriesBuilder builder(layout, tokens, long_format);

  std::vector<CsvSeries> series;
  std::vector<std::size_t> previous_line;  // per series: line of its previous row
  std::unordered_map<std::string, std::size_t> index_of;
  if (!long_format) {
    series.push_back(empty_series(path.stem().string(), path));
    previous_line.push_back(0);
  }

  std::vector<CsvCell> row;
  while (tokens.next_row(row)) {
    check_cell_count(tokens, layout, row);
    std::size_t index = 0;
    if (long_format) {
      const CsvCell& cell = row[layout.symbol];
      const std::string symbol(trim(cell.text));
      if (symbol.empty()) tokens.fail(cell.line, cell.column, "empty symbol");
      const auto [it, inserted] = index_of.try_emplace(symbol, series.size());
      if (inserted) {
        series.push_back(empty_series(symbol, path));
        previous_line.push_back(0);
      }
      index = it->second;
    }
    builder.add_row(series[index], previous_line[index], row);
  }
  return series;
}

}  // namespace

CsvSeries read_series_csv(const std::filesystem::path& path) {
  std::vector<CsvSeries> series = read_rows(path, read_header(path));
  if (series.size() > 1)
    throw InputError(path.string() + ": holds " + std::to_string(series.size()) +
                     " symbols (" + series[0].symbol + ", " + series[1].symbol +
                     ", ...); read it as a long-format file");
  if (series.empty()) throw InputError(path.string() + ": has a header but no rows");
  return std::move(series.front());
}

std::vector<CsvSeries> read_long_csv(const std::filesystem::path& path) {
  Header header = read_header(path);
  if (header.layout.symbol < 0)
    throw InputError(detail::location(path.string(), header.tokens.row_line(), 1) +
                     "no 'symbol' column in the header of a long-format file");
  return read_rows(path, std::move(header));
}

std::vector<CsvSeries> read_symbols_csv(const std::filesystem::path& path) {
  return read_rows(path, read_header(path));
}

}  // namespace atc::io
