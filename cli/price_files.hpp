// The price files the commands read, by extension: CSV, freqtrade's JSON candles, and
// Parquet / Feather tables (converted to CSV by Python's pandas and pyarrow, as no Arrow
// C++ library is at hand).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "atc/io.hpp"

namespace atc::cli {

// The extensions a directory scan reads (lower case): .csv, .json, .feather, .parquet.
bool is_price_file_extension(std::string_view extension);

// Every symbol of one price file. `.json` is a freqtrade candle file
// (io::read_freqtrade_json), `.parquet` and `.feather` a table converted to CSV text by
// `python3` with pandas and pyarrow, then read as a CSV file (any other extension) is.
// Throws InputError "FILE: reason", e.g. when python3, pandas or pyarrow is missing
// (naming what to install).
std::vector<io::CsvSeries> read_price_file(const std::filesystem::path& file, const io::CsvReadOptions& options);

}  // namespace atc::cli
