// Reading price series from CSV files. Malformed files throw atc::InputError with
// "FILE:LINE:COLUMN: reason"; per-symbol data problems (unsorted or duplicate
// timestamps, bad cells in one symbol of a long-format file) are collected instead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace atc::io {

// One symbol's bars as read from a file. Column names are matched case-insensitively:
// timestamp/time/date (or an unnamed first column), open, high, low, close, volume.
struct CsvSeries {
  std::string symbol;                   // file stem, or the `symbol` column
  std::string source;                   // file it came from
  std::vector<std::string> timestamps;  // as written in the file; empty if no such column
  std::vector<double> close;
  std::vector<double> open, high, low, volume;  // empty when the file has no such column
};

// A single-symbol file (wide format: one row per bar).
CsvSeries read_series_csv(const std::filesystem::path& path);

}  // namespace atc::io
