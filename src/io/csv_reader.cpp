// Reading wide (one symbol per file) and long (symbol column) CSV price files.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <fast_float/fast_float.h>

#include "atc/error.hpp"
#include "atc/io.hpp"
#include "io/csv_tokenizer.hpp"
#include "io/input_file.hpp"
#include "io/timestamps.hpp"

namespace atc::io {
namespace {

using detail::CsvCell;
using detail::CsvTokenizer;
using detail::Instant;
using detail::TimestampFields;

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


// An empty cell is NaN ("no value"); nullopt when the text is not a number. With
// `decimal_comma` a number may have ',' for its decimal point, read by the same
// algorithm as '.': "1,5" is exactly the double of "1.5".
std::optional<double> parse_number(std::string_view text, bool decimal_comma) {
  text = trim(text);
  if (text.empty()) return kNaN;
  if (text.front() == '+') text.remove_prefix(1);
  for (const char point : {'.', ','}) {
    if (point == ',' && !decimal_comma) break;
    double value = 0.0;
    const auto [end, ec] = fast_float::from_chars_advanced(
        text.data(), text.data() + text.size(), value, fast_float::parse_options(fast_float::chars_format::general, point));
    if (ec == std::errc() && end == text.data() + text.size()) return value;
  }
  return std::nullopt;
}

// Which column holds what; -1 when the file has no such column.
struct Layout {
  std::size_t cells = 0;
  int timestamp = -1, symbol = -1;
  int open = -1, high = -1, low = -1, close = -1, volume = -1;
  int adjusted_close = -1, price = -1;  // stand-ins for close, see choose_close
};

// The header's names for a message, shortened when there are many.
std::string header_names(const std::vector<CsvCell>& header) {
  std::string names;
  for (std::size_t i = 0; i < header.size() && names.size() < 8 * kEchoLimit; ++i)
    names += (names.empty() ? "" : ", ") + echo(header[i].text);
  if (names.size() >= 8 * kEchoLimit) names += ", … (" + std::to_string(header.size()) + " columns)";
  return names;
}

// The column read as close: the one --close-column names, else `close`, else an adjusted
// close, else `price`.
void choose_close(Layout& layout, const std::vector<CsvCell>& header, const CsvTokenizer& tokens,
                  const std::string& close_column) {
  const std::size_t line = header.empty() ? 1 : header[0].line;
  if (!close_column.empty()) {
    const std::string wanted = lower(trim(close_column));
    const auto named = std::find_if(header.begin(), header.end(),
                                    [&](const CsvCell& cell) { return lower(trim(cell.text)) == wanted; });
    if (named == header.end())
      tokens.fail(line, 1, "no column '" + echo(close_column) + "' (--close-column) in the header (found: " +
                               header_names(header) + ")");
    layout.close = static_cast<int>(named - header.begin());
    return;
  }
  if (layout.close < 0) layout.close = layout.adjusted_close >= 0 ? layout.adjusted_close : layout.price;
  if (layout.close >= 0) return;
  std::string reason = "no 'close' column in the header (found: " + header_names(header) + ")";
  // One quoted cell holding a separator: a header quoted whole, e.g. "date;close".
  if (header.size() == 1)
    for (const CsvSeparator& separator : kCsvSeparators)
      if (separator.character != tokens.separator() &&
          header[0].text.find(separator.character) != std::string_view::npos) {
        reason += "; the header is one cell holding a " + std::string(separator.name) +
                  ": is it quoted whole? pass --separator " + std::string(separator.name) +
                  " if the file is separated by it";
        break;
      }
  tokens.fail(line, 1, reason);
}

Layout layout_of(const std::vector<CsvCell>& header, const CsvTokenizer& tokens, const std::string& close_column) {
  Layout layout;
  layout.cells = header.size();
  struct Role {
    std::array<std::string_view, 6> names;
    int Layout::*column;
  };
  static constexpr std::array<Role, 9> kRoles{{
      {{"timestamp", "time", "date", "datetime", "date_time", "open_time"}, &Layout::timestamp},
      {{"symbol", "ticker"}, &Layout::symbol},
      {{"open"}, &Layout::open},
      {{"high"}, &Layout::high},
      {{"low"}, &Layout::low},
      {{"close"}, &Layout::close},
      {{"adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close"}, &Layout::adjusted_close},
      {{"price"}, &Layout::price},
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
  choose_close(layout, header, tokens, close_column);
  return layout;
}

// A timestamp cell, kept until every row of its series is read: the format, and so the
// order, of 03/04/2025 is known only from all the rows.
struct TimeCell {
  std::size_t line = 0, column = 0;
  std::optional<TimestampFields> fields;  // nullopt: empty, or not a timestamp
};

// A series being read: its bars, and its timestamp cells (one per row when the file has a
// timestamp column).
struct PendingSeries {
  CsvSeries series;
  std::vector<TimeCell> times;
};

// Adds "FILE:LINE:COLUMN: reason" (with the symbol in a long-format file) unless `issues`
// is full.
void add_issue(std::vector<DataIssue>& issues, const CsvTokenizer& tokens, bool long_format,
               const CsvSeries& series, std::size_t line, std::size_t column, const std::string& reason) {
  if (issues.size() >= kMaxIssuesPerSeries) return;
  std::string message = detail::location(tokens.source(), line, column);
  if (long_format) message += "symbol '" + series.symbol + "': ";
  issues.push_back({line, column, message + reason});
}

class SeriesBuilder {
 public:
  SeriesBuilder(const Layout& layout, const CsvTokenizer& tokens, bool long_format)
      : layout_(layout), tokens_(tokens), long_format_(long_format) {}

  void add_row(PendingSeries& pending, const std::vector<CsvCell>& row) const {
    CsvSeries& series = pending.series;
    if (layout_.timestamp >= 0) {
      const CsvCell& cell = row[layout_.timestamp];
      const std::string_view time = trim(cell.text);
      pending.times.push_back({cell.line, cell.column, detail::split_timestamp(time)});
      series.timestamps.emplace_back(time);
    }
    series.close.push_back(number(series, row[layout_.close], "close"));
    add_optional(series, series.open, layout_.open, row, "open");
    add_optional(series, series.high, layout_.high, row, "high");
    add_optional(series, series.low, layout_.low, row, "low");
    add_optional(series, series.volume, layout_.volume, row, "volume");
  }

 private:
  double number(CsvSeries& series, const CsvCell& cell, std::string_view column) const {
    if (const std::optional<double> value = parse_number(cell.text, tokens_.separator() == ';'))
      return *value;
    std::string reason = "'";  // built step by step: GCC 12 warns falsely on "..." + string&&
    reason.append(echo(cell.text)).append("' in column '").append(column).append("' is not a number");
    add_issue(series.issues, tokens_, long_format_, series, cell.line, cell.column, reason);
    return kNaN;
  }

  void add_optional(CsvSeries& series, std::vector<double>& values, int column,
                    const std::vector<CsvCell>& row, std::string_view name) const {
    if (column >= 0) values.push_back(number(series, row[column], name));
  }

  const Layout& layout_;
  const CsvTokenizer& tokens_;
  bool long_format_;
};

// Whether a timestamp is of the kind `option` asks for (any kind for Auto).
bool fits(const TimestampFields& fields, TimeFormat option) {
  using enum TimestampFields::Layout;
  switch (option) {
    case TimeFormat::Auto:
      return true;
    case TimeFormat::YearMonthDay:
      return fields.layout == YearFirst;
    case TimeFormat::DayMonthYear:
    case TimeFormat::MonthDayYear:
      return fields.layout == YearLast;
    case TimeFormat::EpochSeconds:
    case TimeFormat::EpochMilliseconds:
      return fields.layout == Epoch;
  }
  return false;
}

// Whether a timestamp has the format of its series' reference timestamp: the same kind,
// date separator and presence of a UTC offset (a date without a time of day is
// midnight, so dates and date-times mix).
bool same_format(const TimestampFields& fields, const TimestampFields& reference, TimeFormat option) {
  if (fields.layout != reference.layout || fields.separator != reference.separator ||
      fields.utc_offset != reference.utc_offset)
    return false;
  // Without --time-format the magnitude of an epoch integer is its unit.
  return fields.layout != TimestampFields::Layout::Epoch || option != TimeFormat::Auto ||
         detail::epoch_unit_of(fields.epoch) == detail::epoch_unit_of(reference.epoch);
}

// The order the first date with one leading field above 12 shows (13/04 is day first,
// 04/13 month first); Auto when every day could be a month.
TimeFormat day_month_order(const std::vector<TimeCell>& times, const TimestampFields& reference) {
  for (const TimeCell& cell : times) {
    if (!cell.fields || !same_format(*cell.fields, reference, TimeFormat::Auto)) continue;
    const bool lead_is_day = cell.fields->lead > 12, middle_is_day = cell.fields->middle > 12;
    if (lead_is_day != middle_is_day)
      return lead_is_day ? TimeFormat::DayMonthYear : TimeFormat::MonthDayYear;
  }
  return TimeFormat::Auto;
}

// The format of one series: that of its first timestamp of the kind the option asks for
// (the reference), and the unit or day/month order its values show.
struct SeriesFormat {
  std::optional<std::size_t> reference;  // index of that timestamp; none when none fits
  TimeFormat format = TimeFormat::Auto;  // Auto with a reference: dd/mm or mm/dd unknown
};

SeriesFormat settle_format(const std::vector<TimeCell>& times, TimeFormat option) {
  const auto fitting = std::find_if(times.begin(), times.end(), [&](const TimeCell& cell) {
    return cell.fields && fits(*cell.fields, option);
  });
  if (fitting == times.end()) return {};
  SeriesFormat settled{static_cast<std::size_t>(fitting - times.begin()), option};
  const TimestampFields& reference = *fitting->fields;
  if (option != TimeFormat::Auto) return settled;
  switch (reference.layout) {
    case TimestampFields::Layout::Epoch:
      settled.format = detail::epoch_unit_of(reference.epoch);
      break;
    case TimestampFields::Layout::YearFirst:
      settled.format = TimeFormat::YearMonthDay;
      break;
    case TimestampFields::Layout::YearLast:
      settled.format = day_month_order(times, reference);
      break;
  }
  return settled;
}

// The day/month order every series of a file that shows one agrees on; Auto when none
// shows one or two differ.
TimeFormat agreed_day_month_order(const std::vector<SeriesFormat>& formats) {
  TimeFormat agreed = TimeFormat::Auto;
  for (const SeriesFormat& settled : formats) {
    if (settled.format != TimeFormat::DayMonthYear && settled.format != TimeFormat::MonthDayYear)
      continue;
    if (agreed != TimeFormat::Auto && agreed != settled.format) return TimeFormat::Auto;
    agreed = settled.format;
  }
  return agreed;
}

// Checks every timestamp of a series against its format and the one before it, names
// the format in series.time_format and adds the problems to series.issues in line order.
class TimestampChecker {
 public:
  TimestampChecker(const CsvTokenizer& tokens, bool long_format, TimeFormat option)
      : tokens_(tokens), long_format_(long_format), option_(option) {}

  void check(PendingSeries& pending, const SeriesFormat& settled) const {
    CsvSeries& series = pending.series;
    const std::vector<TimeCell>& times = pending.times;
    const TimestampFields* reference = settled.reference ? &*times[*settled.reference].fields : nullptr;
    const bool ambiguous = reference && settled.format == TimeFormat::Auto;
    if (reference && !ambiguous) {
      series.time_format = detail::format_name(settled.format, reference->separator, reference->utc_offset);
      series.timestamp_format = settled.format;
    }

    std::vector<DataIssue> issues;
    const auto issue = [&](const TimeCell& cell, const std::string& reason) {
      add_issue(issues, tokens_, long_format_, series, cell.line, cell.column, reason);
    };
    std::optional<std::size_t> previous;  // the last timestamp that gave an instant
    Instant previous_instant;
    for (std::size_t i = 0; i < times.size() && issues.size() < kMaxIssuesPerSeries; ++i) {
      const TimeCell& cell = times[i];
      const std::string& text = series.timestamps[i];
      if (text.empty()) {
        issue(cell, "empty timestamp");
      } else if (!cell.fields) {
        issue(cell, "timestamp '" + echo(text) + "' is not a date, date and time or epoch integer (e.g. " +
                        "2025-10-20, 2025-10-20 09:30:00+02:00, 20/10/2025, 1760950800)");
      } else if (!reference || !fits(*cell.fields, option_)) {
        issue(cell, "timestamp '" + echo(text) + "' does not fit --time-format " +
                        std::string(time_format_key(option_)));
      } else if (!same_format(*cell.fields, *reference, option_)) {
        issue(cell, "timestamp '" + echo(text) + "' is not in the format of '" +
                        echo(series.timestamps[*settled.reference]) + "' (line " +
                        std::to_string(times[*settled.reference].line) +
                        (ambiguous ? "" : ", " + series.time_format) +
                        "): a timestamp column holds one format");
      } else if (ambiguous) {
        if (i == *settled.reference)
          issue(cell, "timestamps like '" + echo(text) + "' may be " +
                          detail::format_name(TimeFormat::DayMonthYear, reference->separator, false) + " or " +
                          detail::format_name(TimeFormat::MonthDayYear, reference->separator, false) +
                          " and no day above 12 tells which: pass --time-format dmy (day first) or "
                          "--time-format mdy (month first)");
      } else if (const std::optional<Instant> instant = detail::instant_of(*cell.fields, settled.format)) {
        if (previous && *instant <= previous_instant) {
          const std::string where = " (line " + std::to_string(times[*previous].line) + ")";
          if (*instant == previous_instant)
            issue(cell, "duplicate timestamp '" + echo(text) + "'" + where);
          else
            issue(cell, "timestamp '" + echo(text) + "' is before the previous one '" +
                            echo(series.timestamps[*previous]) + "'" + where +
                            ": rows must be sorted oldest first");
        }
        previous = i;
        previous_instant = *instant;
      } else {
        issue(cell, "timestamp '" + echo(text) + "' is not a valid date or time of day (read as " +
                        series.time_format + ")");
      }
    }
    // Both lists are in line order and hold the first problems of their kind: merged,
    // their first ones are the first problems of the series.
    std::vector<DataIssue> merged;
    std::merge(issues.begin(), issues.end(), series.issues.begin(), series.issues.end(),
               std::back_inserter(merged),
               [](const DataIssue& a, const DataIssue& b) { return a.line < b.line; });
    if (merged.size() > kMaxIssuesPerSeries) merged.resize(kMaxIssuesPerSeries);
    series.issues = std::move(merged);
  }

 private:
  const CsvTokenizer& tokens_;
  bool long_format_;
  TimeFormat option_;
};

struct Header {
  CsvTokenizer tokens;
  Layout layout;
  std::string close_name;  // the close column's name as written
};

Header read_header(CsvTokenizer tokens, const CsvReadOptions& options) {
  tokens.set_separator(options.separator ? options.separator : tokens.detect_separator());
  std::vector<CsvCell> header;
  if (!tokens.next_row(header))
    tokens.fail(1, 1, "empty file: expected a header row naming the columns (e.g. date,close)");
  const Layout layout = layout_of(header, tokens, options.close_column);
  return {std::move(tokens), layout, std::string(trim(header[layout.close].text))};
}

CsvTokenizer file_tokens(const std::filesystem::path& path) {
  return CsvTokenizer(detail::read_input_file(path), path.string());
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

// `wide_symbol` names the series of a wide file; every series' source is the tokens' source.
std::vector<CsvSeries> read_rows(Header header, const std::string& wide_symbol, const CsvReadOptions& options) {
  CsvTokenizer& tokens = header.tokens;
  const Layout& layout = header.layout;
  const bool long_format = layout.symbol >= 0;
  const SeriesBuilder builder(layout, tokens, long_format);

  CsvSeries blank;  // what every series of the file starts from
  blank.source = tokens.source();
  blank.separator = tokens.separator();
  blank.close_column = header.close_name;
  const auto new_series = [&](std::string symbol) {
    PendingSeries series{blank, {}};
    series.series.symbol = std::move(symbol);
    return series;
  };
  std::vector<PendingSeries> pending;
  std::unordered_map<std::string, std::size_t> index_of;
  if (!long_format) pending.push_back(new_series(wide_symbol));

  std::vector<CsvCell> row;
  while (tokens.next_row(row)) {
    check_cell_count(tokens, layout, row);
    std::size_t index = 0;
    if (long_format) {
      const CsvCell& cell = row[layout.symbol];
      const std::string symbol(trim(cell.text));
      if (symbol.empty()) tokens.fail(cell.line, cell.column, "empty symbol");
      const auto [it, inserted] = index_of.try_emplace(symbol, pending.size());
      if (inserted) pending.push_back(new_series(symbol));
      index = it->second;
    }
    builder.add_row(pending[index], row);
  }

  std::vector<CsvSeries> series;
  series.reserve(pending.size());
  if (layout.timestamp >= 0) {
    std::vector<SeriesFormat> formats;
    for (const PendingSeries& p : pending) formats.push_back(settle_format(p.times, options.time_format));
    // One symbol's dates may all be ambiguous where the file's others are not.
    const TimeFormat file_order = agreed_day_month_order(formats);
    const TimestampChecker checker(tokens, long_format, options.time_format);
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (formats[i].reference && formats[i].format == TimeFormat::Auto) formats[i].format = file_order;
      checker.check(pending[i], formats[i]);
    }
  }
  for (PendingSeries& p : pending) series.push_back(std::move(p.series));
  return series;
}

}  // namespace

std::string_view time_format_key(TimeFormat format) {
  switch (format) {
    case TimeFormat::Auto:
      return "auto";
    case TimeFormat::YearMonthDay:
      return "ymd";
    case TimeFormat::DayMonthYear:
      return "dmy";
    case TimeFormat::MonthDayYear:
      return "mdy";
    case TimeFormat::EpochSeconds:
      return "epoch-s";
    case TimeFormat::EpochMilliseconds:
      return "epoch-ms";
  }
  return {};
}

std::optional<TimeFormat> parse_time_format(std::string_view key) {
  for (TimeFormat format : {TimeFormat::Auto, TimeFormat::YearMonthDay, TimeFormat::DayMonthYear,
                            TimeFormat::MonthDayYear, TimeFormat::EpochSeconds, TimeFormat::EpochMilliseconds})
    if (time_format_key(format) == key) return format;
  return std::nullopt;
}

std::optional<char> parse_separator(std::string_view name) {
  for (const CsvSeparator& separator : kCsvSeparators)
    if (separator.name == name) return separator.character;
  return std::nullopt;
}

CsvSeries read_series_csv(const std::filesystem::path& path, const CsvReadOptions& options) {
  std::vector<CsvSeries> series = read_rows(read_header(file_tokens(path), options), symbol_of_file(path), options);
  if (series.size() > 1)
    throw InputError(path.string() + ": holds " + std::to_string(series.size()) +
                     " symbols (" + series[0].symbol + ", " + series[1].symbol +
                     ", ...); read it as a long-format file");
  if (series.empty()) throw InputError(path.string() + ": has a header but no rows");
  return std::move(series.front());
}

std::vector<CsvSeries> read_long_csv(const std::filesystem::path& path, const CsvReadOptions& options) {
  Header header = read_header(file_tokens(path), options);
  if (header.layout.symbol < 0)
    throw InputError(detail::location(path.string(), header.tokens.row_line(), 1) +
                     "no 'symbol' column in the header of a long-format file");
  return read_rows(std::move(header), symbol_of_file(path), options);
}

std::vector<CsvSeries> read_symbols_csv(const std::filesystem::path& path, const CsvReadOptions& options) {
  return read_rows(read_header(file_tokens(path), options), symbol_of_file(path), options);
}

std::vector<CsvSeries> read_symbols_csv_text(std::string text, std::string source, const std::string& symbol,
                                             const CsvReadOptions& options) {
  return read_rows(read_header(CsvTokenizer(std::move(text), std::move(source)), options), symbol, options);
}

}  // namespace atc::io

namespace atc::io::detail {

std::string read_input_file(const std::filesystem::path& path) {
  // Only regular files: a FIFO would block forever and /dev/zero never end.
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error) throw InputError(path.string() + ": cannot open file: " + error.message());
  if (!std::filesystem::is_regular_file(status))
    throw InputError(path.string() + ": not a regular file (a directory, FIFO, device or socket)");
  const std::uintmax_t bytes = std::filesystem::file_size(path, error);
  if (!error && bytes > kMaxFileBytes)
    throw InputError(path.string() + ": " + std::to_string(bytes) + " bytes, above the limit of " +
                     std::to_string(kMaxFileBytes) + " bytes for one price file; split it");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace atc::io::detail

namespace atc::io {

const PriceSource* find_price_source(std::string_view name) {
  for (const PriceSource& source : kPriceSources)
    if (source.name == name) return &source;
  return nullptr;
}

std::string price_source_formula(const PriceSource& source) {
  std::string sum;
  for (const std::string_view column : source.columns)
    if (!column.empty()) sum += (sum.empty() ? "" : " + ") + std::string(column);
  if (source.divisor == 1.0) return sum;
  return "(" + sum + ") / " + format_number(source.divisor);
}

std::vector<double> price_source_values(const CsvSeries& series, const PriceSource& source) {
  using PriceField = std::vector<double> CsvSeries::*;
  static constexpr std::array<std::pair<std::string_view, PriceField>, 4> kPriceFields{{
      {"open", &CsvSeries::open}, {"high", &CsvSeries::high}, {"low", &CsvSeries::low}, {"close", &CsvSeries::close}}};
  const auto column_values = [&](std::string_view column) -> const std::vector<double>& {
    const auto named = std::find_if(kPriceFields.begin(), kPriceFields.end(), [&](const auto& c) { return c.first == column; });
    const std::vector<double>& values = series.*(named->second);
    if (values.size() != series.close.size())  // an absent column is empty
      throw InputError(series.source + ": no '" + std::string(column) + "' column, which --source " +
                       std::string(source.name) + " needs");
    return values;
  };
  std::vector<double> values = column_values(source.columns[0]);
  for (std::size_t c = 1; c < source.columns.size() && !source.columns[c].empty(); ++c) {
    const std::vector<double>& addend = column_values(source.columns[c]);
    for (std::size_t t = 0; t < values.size(); ++t) values[t] += addend[t];
  }
  if (source.divisor != 1.0)
    for (double& value : values) value /= source.divisor;
  return values;
}

}  // namespace atc::io
