// Parquet and Feather tables read through python3 (src/io/python_tables.cpp), a reader
// of the price file formats table (src/io/price_files.cpp).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "atc/io.hpp"

namespace atc::io::detail {

// Every symbol of a table file (`kind`: "parquet" or "feather"), converted by `python3`
// with pandas and pyarrow to CSV text (every column, exact numbers), then read as a CSV
// file with a comma separator is. Throws InputError "FILE: reason", e.g. when python3,
// pandas or pyarrow is missing (naming what to install).
std::vector<CsvSeries> read_table_through_python(const std::filesystem::path& file, std::string_view kind,
                                                const CsvReadOptions& options);

}  // namespace atc::io::detail
