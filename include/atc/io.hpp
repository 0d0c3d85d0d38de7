// Reading price series from CSV files. Malformed files throw atc::InputError with
// "FILE:LINE:COLUMN: reason"; per-symbol data problems (unsorted or duplicate
// timestamps, bad cells in one symbol of a long-format file) are collected instead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atc/config.hpp"
#include "atc/outputs.hpp"

namespace atc::io {

// A problem in one symbol's data that leaves the rest of the file readable: a cell that
// is not a number, an empty, unsorted or duplicate timestamp.
struct DataIssue {
  std::size_t line = 0;    // 1-based line of the file
  std::size_t column = 0;  // 1-based character column of the cell
  std::string message;     // "FILE:LINE:COLUMN: reason"
};

// One symbol's bars as read from a file. Column names are matched case-insensitively:
// timestamp/time/date (or an unnamed first column), open, high, low, close, volume.
struct CsvSeries {
  std::string symbol;                   // file stem, or the `symbol` column
  std::string source;                   // file it came from
  std::vector<std::string> timestamps;  // as written in the file; empty if no such column
  std::vector<double> close;
  std::vector<double> open, high, low, volume;  // empty when the file has no such column
  // The first few data problems of this symbol (a bad cell reads as NaN). A symbol with
  // issues should be reported, not computed.
  std::vector<DataIssue> issues;
};

// At most this many issues are kept per symbol; the first ones locate the problem.
inline constexpr std::size_t kMaxIssuesPerSeries = 10;

// A single-symbol file (wide format: one row per bar).
CsvSeries read_series_csv(const std::filesystem::path& path);

// A long-format file: one row per (symbol, bar) with a `symbol` (or `ticker`) column and
// the columns of read_series_csv. Symbols come back in order of first appearance, each
// with its rows in file order.
std::vector<CsvSeries> read_long_csv(const std::filesystem::path& path);

// Every symbol of a file: those of a long-format file when the header has a `symbol` (or
// `ticker`) column, else the one symbol of a wide file (named by the file stem).
std::vector<CsvSeries> read_symbols_csv(const std::filesystem::path& path);

// 17 significant digits (like %.17g), which read back as the same double; empty for
// NaN (how the CSV outputs write "no value").
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

// Writes a file through `write` into a temporary file beside `path`, then renames it over
// `path`: a reader never sees a partial file, and a failure (full disk, an exception
// from `write`) leaves the previous file at `path` as it was. Throws atc::Error naming
// the file and the reason (strerror).
void write_file_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

}  // namespace atc::io
