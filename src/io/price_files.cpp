// Price files by extension: the one table of formats and their readers. A new format is
// its reader (a file of src/io/) and a row of kPriceFileFormats.
#include <algorithm>
#include <array>
#include <cctype>

#include "atc/error.hpp"
#include "atc/io.hpp"
#include "io/python_tables.hpp"

namespace atc::io {
namespace {

namespace fs = std::filesystem;

std::vector<CsvSeries> read_csv(const fs::path& path, const CsvReadOptions& options) {
  return read_symbols_csv(path, options);
}

std::vector<CsvSeries> read_freqtrade(const fs::path& path, const CsvReadOptions&) {
  return {read_freqtrade_json(path)};
}

std::vector<CsvSeries> read_feather(const fs::path& path, const CsvReadOptions& options) {
  return detail::read_table_through_python(path, "feather", options);
}

std::vector<CsvSeries> read_parquet(const fs::path& path, const CsvReadOptions& options) {
  return detail::read_table_through_python(path, "parquet", options);
}

// In the order messages list them (a directory is read in file-name order whatever it is).
constexpr std::array<PriceFileFormat, 4> kPriceFileFormats{{
    {".csv", "CSV", true, read_csv},
    {".json", "freqtrade JSON candles", false, read_freqtrade},
    {".feather", "Feather table", false, read_feather},
    {".parquet", "Parquet table", false, read_parquet},
}};

}  // namespace

std::span<const PriceFileFormat> price_file_formats() { return kPriceFileFormats; }

const PriceFileFormat* find_price_file_format(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const PriceFileFormat& format : kPriceFileFormats)
    if (format.extension == extension) return &format;
  return nullptr;
}

std::string price_file_extensions() {
  std::string list;
  for (const PriceFileFormat& format : kPriceFileFormats) {
    if (!list.empty()) list += ", ";
    list += format.extension;
  }
  return list;
}

std::vector<CsvSeries> read_symbols(const fs::path& path, const CsvReadOptions& options) {
  const PriceFileFormat* format = find_price_file_format(path);
  if (format == nullptr) {
    const std::string extension = path.extension().string();
    throw InputError(path.string() + ": cannot tell the format of a price file " +
                     (extension.empty() ? std::string("without an extension")
                                        : "with the extension '" + extension + "'") +
                     "; price files are " + price_file_extensions());
  }
  return format->read(path, options);
}

}  // namespace atc::io
