// Reading price series from files: CSV (comma, semicolon, tab or pipe separated),
// freqtrade's JSON candles, Parquet and Feather tables, picked by extension
// (read_symbols). Malformed files throw atc::InputError with "FILE:LINE:COLUMN: reason";
// per-symbol data problems (unsorted or duplicate timestamps, bad cells in one symbol of
// a long-format file) are collected instead.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atc/atomic_write.hpp"
#include "atc/config.hpp"
#include "atc/outputs.hpp"

namespace atc::io {

// How a timestamp column is read (docs/SEMANTICS.md §10 lists the accepted forms). Every
// date form may carry a time of day (h:mm, h:mm:ss, h:mm:ss.fff, after 'T' or a space)
// and a UTC offset (Z, +hh, +hhmm, +hh:mm); the date separator may be '-', '/' or '.'.
enum class TimeFormat {
  Auto,               // settled per series from its values
  YearMonthDay,       // 2025-10-20, 2025/10/20
  DayMonthYear,       // 20/10/2025, 20.10.2025
  MonthDayYear,       // 10/20/2025
  EpochSeconds,       // an integer: seconds since 1970-01-01 00:00 UTC
  EpochMilliseconds,  // an integer: milliseconds since then
};

// The names of --time-format: auto, ymd, dmy, mdy, epoch-s, epoch-ms.
std::string_view time_format_key(TimeFormat format);
std::optional<TimeFormat> parse_time_format(std::string_view key);

// The cell separators a CSV file may use, with their names for --separator.
struct CsvSeparator {
  char character;
  std::string_view name;
};
inline constexpr std::array<CsvSeparator, 4> kCsvSeparators{
    {{',', "comma"}, {';', "semicolon"}, {'\t', "tab"}, {'|', "pipe"}}};
// The separator of that name, or nullopt.
std::optional<char> parse_separator(std::string_view name);

struct CsvReadOptions {
  // Auto settles the format of each series from its values; anything else is required of
  // every timestamp (and decides dd/mm against mm/dd when no day is above 12).
  TimeFormat time_format = TimeFormat::Auto;
  // One of kCsvSeparators, or 0: the one that splits the header into the most cells.
  char separator = 0;
  // The column read as close (case-insensitive), e.g. "Adj Close". Empty: `close`, else
  // an adjusted close (`adj close`, `adj_close`, `adjclose`, `adjusted close`,
  // `adjusted_close`), else `price`.
  std::string close_column{};
};

// A problem in one symbol's data that leaves the rest of the file readable: a cell that
// is not a number; an empty, unreadable, impossible, unsorted or duplicate timestamp; a
// timestamp column of mixed or ambiguous formats.
struct DataIssue {
  std::size_t line = 0;    // 1-based line of the file (of a JSON file: 1-based candle)
  std::size_t column = 0;  // 1-based character column of the cell (0 in a JSON file)
  std::string message;     // "FILE:LINE:COLUMN: reason"
};

// One symbol's bars as read from a file. Column names are matched case-insensitively:
// timestamp/time/date/datetime/date_time/open_time (or an unnamed first column), open,
// high, low, close (see CsvReadOptions::close_column), volume.
struct CsvSeries {
  std::string symbol;                   // file stem, or the `symbol` column
  std::string source;                   // file it came from
  // The cell separator the file was read with. With ';' a number may also have a decimal
  // comma: "1,5" reads as the same double as "1.5".
  char separator = ',';
  std::string close_column;  // the header name of the column read as close
  std::vector<std::string> timestamps;  // as written in the file; empty if no such column
  // The format the timestamps were read in ("yyyy-mm-dd", "dd/mm/yyyy with UTC offsets",
  // "epoch milliseconds"): their order is that of the instants it gives. Empty without a
  // timestamp column or when no format could be settled (see issues).
  std::string time_format;
  TimeFormat timestamp_format = TimeFormat::Auto;  // the format named by time_format; Auto when none
  std::vector<double> close;
  std::vector<double> open, high, low, volume;  // empty when the file has no such column
  // The first few data problems of this symbol (a bad cell reads as NaN). A symbol with
  // issues should be reported, not computed.
  std::vector<DataIssue> issues;
};

// At most this many issues are kept per symbol; the first ones locate the problem.
inline constexpr std::size_t kMaxIssuesPerSeries = 10;
// A larger price file is refused before it is read (its reading would need several times
// its size in memory): 4 GiB holds some 100 million bars.
inline constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{4} << 30;

// A single-symbol file (wide format: one row per bar).
CsvSeries read_series_csv(const std::filesystem::path& path, const CsvReadOptions& options = {});

// A long-format file: one row per (symbol, bar) with a `symbol` (or `ticker`) column and
// the columns of read_series_csv. Symbols come back in order of first appearance, each
// with its rows in file order. A symbol whose dates could be dd/mm or mm/dd takes the
// order the file's other symbols show, when they agree.
std::vector<CsvSeries> read_long_csv(const std::filesystem::path& path, const CsvReadOptions& options = {});

// Every symbol of a file: those of a long-format file when the header has a `symbol` (or
// `ticker`) column, else the one symbol of a wide file (named by symbol_of_file).
std::vector<CsvSeries> read_symbols_csv(const std::filesystem::path& path, const CsvReadOptions& options = {});

/// Every symbol of CSV text already in memory (a table another program converted), read
/// as read_symbols_csv reads a file. `source` names the text in messages and in
/// CsvSeries::source; `symbol` names the series of a wide table.
std::vector<CsvSeries> read_symbols_csv_text(std::string text, std::string source, const std::string& symbol,
                                             const CsvReadOptions& options = {});

/// The symbol a one-symbol file holds: its stem, less a trailing freqtrade timeframe
/// (`-1h`, `-5m`, `-1d`: digits and one of s m h d w M y) and, after it, a freqtrade
/// candle type (`-futures`, `-mark`, `-index`, `-premiumIndex`, `-funding_rate`,
/// `-spot`). `BTC_USDT-1h.feather` holds BTC_USDT, `BTC_USDT_USDT-1h-futures.json`
/// BTC_USDT_USDT, `SPY.csv` SPY.
std::string symbol_of_file(const std::filesystem::path& path);

/// A freqtrade candle file (`freqtrade download-data --data-format-ohlcv json`): a JSON
/// array of `[timestamp_ms, open, high, low, close, volume]` arrays, oldest first. The
/// symbol is symbol_of_file(path); the timestamps are kept as their integer text (read as
/// epoch milliseconds, CsvSeries::time_format "epoch milliseconds"). A `null` value is no
/// value (NaN), as an empty CSV cell is. Throws InputError "FILE: reason" for text that
/// is not JSON, not an array of candles or no candle at all, and "FILE: candle [i]:
/// reason" for a candle that is not an array of six values; a value that is not a number,
/// a timestamp that is not an integer, unsorted or duplicate timestamps are issues of the
/// series ("FILE: candle [i]: reason", i counted from 0), as a bad CSV cell is.
CsvSeries read_freqtrade_json(const std::filesystem::path& path);

/// A price file format, told by the file's extension. The table of them is
/// price_file_formats() (src/io/price_files.cpp): adding a format is its reader plus one
/// row there.
struct PriceFileFormat {
  std::string_view extension;  // lower case, with the dot: ".csv"
  std::string_view name;       // for messages: "CSV"
  // Its new bars are rows appended to the file (the live command follows such files).
  bool grows_by_appended_rows;
  // Every symbol of a file of this format; the options a format has no use for are ignored.
  std::vector<CsvSeries> (*read)(const std::filesystem::path& path, const CsvReadOptions& options);
};

/// The formats read_symbols reads, in the order messages list them: `.csv`
/// (read_symbols_csv), `.json` (read_freqtrade_json), `.feather` and `.parquet` (any
/// table, converted by `python3` with pandas and pyarrow to CSV text with exact numbers,
/// then read as a CSV file with a comma separator; without them the read throws
/// InputError naming what to install).
std::span<const PriceFileFormat> price_file_formats();

/// The format of `path` by its extension, compared case-insensitively (`.CSV` is CSV);
/// nullptr when it has none of them.
const PriceFileFormat* find_price_file_format(const std::filesystem::path& path);

/// The extensions of price_file_formats() for messages: ".csv, .json, .feather, .parquet".
std::string price_file_extensions();

/// Every symbol of one price file, read by the reader of its format
/// (find_price_file_format). Throws InputError "FILE: ..." for an extension that names no
/// format, and whatever that reader throws.
std::vector<CsvSeries> read_symbols(const std::filesystem::path& path, const CsvReadOptions& options = {});

// The instant of series.timestamps[row] in seconds since 1970-01-01 00:00 (UTC when the
// timestamps carry an offset, the wall clock as written otherwise); nullopt when the
// series has no settled format or that cell gives no instant (it then has an issue).
std::optional<double> timestamp_seconds(const CsvSeries& series, std::size_t row);

// A source of the moving averages (the indicator's `src`) from a series' columns: their
// sum, added left to right in double as listed, divided by `divisor` (Pine's hl2, hlc3,
// ohlc4). Close stays the series of the returns and crossovers whatever the source.
struct PriceSource {
  std::string_view name;                    // as --source takes it
  std::array<std::string_view, 4> columns;  // unused slots are empty
  double divisor;
};
inline constexpr std::array<PriceSource, 7> kPriceSources{{
    {"open", {"open"}, 1.0},
    {"high", {"high"}, 1.0},
    {"low", {"low"}, 1.0},
    {"close", {"close"}, 1.0},
    {"hl2", {"high", "low"}, 2.0},
    {"hlc3", {"high", "low", "close"}, 3.0},
    {"ohlc4", {"open", "high", "low", "close"}, 4.0},
}};
// The source of that name, or nullptr.
const PriceSource* find_price_source(std::string_view name);
// The formula as text, e.g. "(high + low) / 2".
std::string price_source_formula(const PriceSource& source);

// The bars of `source` for `series`: ((open + high) + low) + close, then / 4 for ohlc4.
// Throws InputError "FILE: no 'high' column, which --source hl2 needs" when the file
// has no such column.
std::vector<double> price_source_values(const CsvSeries& series, const PriceSource& source);

// Shortest text that reads back as the same double (120461.6, not 120461.60000000001);
// empty for NaN (how the CSV outputs write "no value").
std::string format_number(double value);

// Writes one symbol's outputs as CSV, one row per bar: `timestamp` (when `timestamps` is
// not empty), close, Average_Signal, EMA_Signal..KAMA_Signal, EMA_S..KAMA_S, trend,
// state, direction, long_entry, short_entry, then for `calibration` (when set and
// computed) the MA, its signal and its equity per length: EMA_28, EMA_28_signal,
// EMA_28_equity, ... Outputs that were not computed are left out.
void write_outputs_csv(std::ostream& out, std::span<const std::string> timestamps,
                       std::span<const double> close, const SymbolOutputView& outputs,
                       const Config& config, std::optional<Family> calibration = std::nullopt);

// Appends `text` to `row` as one CSV field, quoted when it holds a comma, quote or newline.
void append_csv_field(std::string& row, std::string_view text);

}  // namespace atc::io
