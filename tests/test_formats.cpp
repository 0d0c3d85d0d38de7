// Price files other than CSV files: freqtrade's JSON candles, freqtrade's file names,
// CSV text read from memory (as the Parquet and Feather conversion hands it over), and
// the reader picked by extension (io::read_symbols).
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "atc/error.hpp"
#include "atc/io.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

class FormatsTest : public atc::test::TempDirTest {
 protected:
  // The message of the InputError that reading `path` as freqtrade JSON throws.
  static std::string json_error(const fs::path& path) {
    return input_error(path, [](const fs::path& p) { atc::io::read_freqtrade_json(p); });
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(SymbolOfFile, DropsFreqtradesTimeframeAndCandleTypeSuffixes) {
  using atc::io::symbol_of_file;
  EXPECT_EQ(symbol_of_file("data/BTC_USDT-1h.feather"), "BTC_USDT");
  EXPECT_EQ(symbol_of_file("BTC_USDT-5m.json"), "BTC_USDT");
  EXPECT_EQ(symbol_of_file("ETH_BTC-1d.parquet"), "ETH_BTC");
  EXPECT_EQ(symbol_of_file("BTC_USDT-1M.json"), "BTC_USDT");
  EXPECT_EQ(symbol_of_file("BTC_USDT_USDT-1h-futures.feather"), "BTC_USDT_USDT");
  EXPECT_EQ(symbol_of_file("BTC_USDT_USDT-8h-funding_rate.feather"), "BTC_USDT_USDT");
  // Not a timeframe, or nothing before it: the stem as it is.
  EXPECT_EQ(symbol_of_file("SPY.csv"), "SPY");
  EXPECT_EQ(symbol_of_file("BRK-B.csv"), "BRK-B");
  EXPECT_EQ(symbol_of_file("ES-2024.csv"), "ES-2024");
  EXPECT_EQ(symbol_of_file("X-spot.csv"), "X-spot");
  EXPECT_EQ(symbol_of_file("-1h.csv"), "-1h");
}

TEST_F(FormatsTest, FreqtradeJsonReadsEveryCandleExactly) {
  const fs::path file = write("BTC_USDT-1h.json",
                              "[[1704067200000, 42283.58, 42554.57, 42261.02, 42475.23, 1271.68108],\n"
                              " [1704070800000, 42475.23, 42775.0, 42431.65, 42613.56, 1196.37856],\n"
                              " [1704074400000, 42613.57, 42638.41, 42500.0, 42581.1, 685.21004]]");
  const atc::io::CsvSeries series = atc::io::read_freqtrade_json(file);
  EXPECT_EQ(series.symbol, "BTC_USDT");
  EXPECT_EQ(series.source, file.string());
  EXPECT_TRUE(series.issues.empty());
  EXPECT_EQ(series.timestamps, (std::vector<std::string>{"1704067200000", "1704070800000", "1704074400000"}));
  EXPECT_EQ(series.time_format, "epoch milliseconds");
  EXPECT_EQ(series.timestamp_format, atc::io::TimeFormat::EpochMilliseconds);
  // The doubles the decimal texts name, bit for bit.
  EXPECT_EQ(std::bit_cast<std::uint64_t>(series.open[0]), std::bit_cast<std::uint64_t>(42283.58));
  EXPECT_EQ(series.high, (std::vector<double>{42554.57, 42775.0, 42638.41}));
  EXPECT_EQ(series.low, (std::vector<double>{42261.02, 42431.65, 42500.0}));
  EXPECT_EQ(series.close, (std::vector<double>{42475.23, 42613.56, 42581.1}));
  EXPECT_EQ(series.volume, (std::vector<double>{1271.68108, 1196.37856, 685.21004}));
  EXPECT_EQ(atc::io::timestamp_seconds(series, 1), 1704070800.0);
}

TEST_F(FormatsTest, FreqtradeJsonReadsNullAsNoValueAndCollectsBadCandlesAsIssues) {
  const atc::io::CsvSeries series = atc::io::read_freqtrade_json(
      write("X-1d.json",
            "[[1000000000000, 1, 2, 0.5, 1.5, 10], [1000086400000, 1, 2, 0.5, null, 10],"
            " [1000172800000, 1, \"2\", 0.5, 1.5, 10], [1000172800000, 1, 2, 0.5, 1.5, 10],"
            " [1000000000000, 1, 2, 0.5, 1.5, 10], [1.5e12, 1, 2, 0.5, 1.5, 10], [\"noon\", 1, 2, 0.5, 1.5, 10]]"));
  EXPECT_TRUE(std::isnan(series.close[1]));
  ASSERT_EQ(series.issues.size(), 4u);  // the null close is no issue
  const std::string file = (directory_ / "X-1d.json").string();
  EXPECT_EQ(series.issues[0].message, file + ": candle [2]: high \"2\" is not a number");
  EXPECT_EQ(series.issues[0].line, 3u);
  EXPECT_EQ(series.issues[1].message, file + ": candle [3]: duplicate timestamp 1000172800000");
  EXPECT_TRUE(contains(series.issues[2].message, "candle [4]: timestamp 1000000000000 is before the previous one"))
      << series.issues[2].message;
  // 1.5e12 is a whole number of milliseconds, later than the one before: no issue.
  EXPECT_EQ(series.timestamps[5], "1500000000000");
  EXPECT_EQ(series.issues[3].message,
            file + ": candle [6]: timestamp \"noon\" is not an integer of epoch milliseconds");
}

TEST_F(FormatsTest, FreqtradeJsonThatIsNotAnArrayOfCandlesIsAnErrorOfTheFile) {
  EXPECT_TRUE(contains(json_error(write("a.json", "[[1, 2, 3")), "a.json: not valid JSON: "));
  EXPECT_TRUE(contains(json_error(write("b.json", "{\"close\": [1, 2]}")),
                       "b.json: expected a JSON array of candles [timestamp_ms, open, high, low, close, volume]"));
  EXPECT_TRUE(contains(json_error(write("c.json", "[]")), "c.json: no candles"));
  EXPECT_TRUE(contains(json_error(write("d.json", "[[1000000000000, 1, 2, 0.5, 1.5, 10], [1000086400000, 1, 2]]")),
                       "d.json: candle [1]: expected an array of 6 values [timestamp_ms, open, high, low, close, "
                       "volume], found 3 values"));
  EXPECT_TRUE(contains(json_error(write("e.json", "[[1000000000000, 1, 2, 0.5, 1.5, 10], 7]")),
                       "e.json: candle [1]: expected an array of 6 values"));
  EXPECT_TRUE(contains(json_error(directory_ / "missing.json"), "missing.json: cannot open file"));
}

TEST_F(FormatsTest, CsvTextReadsAsTheSameFileWould) {
  const std::string text = "date,open,high,low,close\n2025-01-02,1,2,0.5,1.25\n2025-01-03,1.25,2,1,1.5\n";
  const atc::io::CsvSeries from_file = atc::io::read_series_csv(write("AAPL-1d.csv", text));
  const std::vector<atc::io::CsvSeries> from_text =
      atc::io::read_symbols_csv_text(text, "AAPL-1d.parquet (as CSV)", "AAPL");
  ASSERT_EQ(from_text.size(), 1u);
  EXPECT_EQ(from_file.symbol, "AAPL");  // a CSV file is named by symbol_of_file too
  EXPECT_EQ(from_text[0].symbol, "AAPL");
  EXPECT_EQ(from_text[0].source, "AAPL-1d.parquet (as CSV)");
  EXPECT_EQ(from_text[0].close, from_file.close);
  EXPECT_EQ(from_text[0].open, from_file.open);
  EXPECT_EQ(from_text[0].timestamps, from_file.timestamps);
  EXPECT_EQ(from_text[0].time_format, from_file.time_format);

  // Long format, and a bad cell located in the text.
  const std::vector<atc::io::CsvSeries> long_format = atc::io::read_symbols_csv_text(
      "symbol,date,close\nA,2025-01-02,1\nB,2025-01-02,x\n", "table (as CSV)", "unused");
  ASSERT_EQ(long_format.size(), 2u);
  EXPECT_EQ(long_format[1].symbol, "B");
  ASSERT_EQ(long_format[1].issues.size(), 1u);
  EXPECT_TRUE(contains(long_format[1].issues[0].message, "table (as CSV):3:14: symbol 'B': 'x'"))
      << long_format[1].issues[0].message;
}

TEST(PriceFileFormats, EachExtensionNamesOneFormatWithAReader) {
  std::set<std::string_view> extensions;
  for (const atc::io::PriceFileFormat& format : atc::io::price_file_formats()) {
    EXPECT_TRUE(extensions.insert(format.extension).second) << format.extension;
    ASSERT_GE(format.extension.size(), 2u);
    EXPECT_EQ(format.extension.front(), '.');
    for (const char c : format.extension) EXPECT_FALSE(std::isupper(static_cast<unsigned char>(c))) << format.extension;
    EXPECT_FALSE(format.name.empty());
    EXPECT_NE(format.read, nullptr) << format.extension;
    // Found by its extension in any case.
    std::string upper(format.extension);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(atc::io::find_price_file_format("dir/X-1h" + std::string(format.extension)), &format);
    EXPECT_EQ(atc::io::find_price_file_format("X" + upper), &format);
  }
  EXPECT_EQ(atc::io::price_file_extensions(), ".csv, .json, .feather, .parquet");
  EXPECT_EQ(atc::io::find_price_file_format("notes.txt"), nullptr);
  EXPECT_EQ(atc::io::find_price_file_format("README"), nullptr);
  EXPECT_EQ(atc::io::find_price_file_format(".csv"), nullptr);  // a hidden file's name, no extension
  // Only CSV files grow by appended rows (the live command follows them alone).
  EXPECT_TRUE(atc::io::find_price_file_format("a.csv")->grows_by_appended_rows);
  EXPECT_FALSE(atc::io::find_price_file_format("a.json")->grows_by_appended_rows);
}

TEST_F(FormatsTest, ReadSymbolsReadsEachFileWithTheReaderOfItsExtension) {
  const std::string csv = "date,close\n2025-01-02,1.5\n2025-01-03,2.5\n";
  const std::vector<atc::io::CsvSeries> wide = atc::io::read_symbols(write("SPY.CSV", csv));
  ASSERT_EQ(wide.size(), 1u);
  EXPECT_EQ(wide[0].symbol, "SPY");
  EXPECT_EQ(wide[0].close, (std::vector<double>{1.5, 2.5}));

  // The options reach the CSV reader.
  atc::io::CsvReadOptions semicolons;
  semicolons.separator = ';';
  const std::vector<atc::io::CsvSeries> decimal_commas =
      atc::io::read_symbols(write("EU.csv", "date;close\n2025-01-02;1,5\n"), semicolons);
  ASSERT_EQ(decimal_commas.size(), 1u);
  EXPECT_EQ(decimal_commas[0].close, (std::vector<double>{1.5}));

  const std::vector<atc::io::CsvSeries> long_format =
      atc::io::read_symbols(write("universe.csv", "symbol,date,close\nA,2025-01-02,1\nB,2025-01-02,2\n"));
  ASSERT_EQ(long_format.size(), 2u);
  EXPECT_EQ(long_format[1].symbol, "B");

  const fs::path json = write("BTC_USDT-1h.json", "[[1704067200000, 1, 2, 0.5, 1.5, 10]]");
  const std::vector<atc::io::CsvSeries> candles = atc::io::read_symbols(json);
  ASSERT_EQ(candles.size(), 1u);
  EXPECT_EQ(candles[0].symbol, "BTC_USDT");
  EXPECT_EQ(candles[0].close, atc::io::read_freqtrade_json(json).close);
  EXPECT_EQ(candles[0].time_format, "epoch milliseconds");

  // A table is refused before python3 runs when it is no regular file.
  fs::create_directory(directory_ / "ETH_USDT-1h.parquet");
  EXPECT_TRUE(contains(input_error(directory_ / "ETH_USDT-1h.parquet", [](const fs::path& p) { atc::io::read_symbols(p); }),
                       "ETH_USDT-1h.parquet: not a regular file"));
}

TEST_F(FormatsTest, ReadSymbolsOfAnUnknownExtensionIsAnErrorNamingTheFile) {
  const auto read = [](const fs::path& p) { atc::io::read_symbols(p); };
  const fs::path text = write("prices.txt", "date,close\n2025-01-02,1\n");
  EXPECT_EQ(input_error(text, read),
            text.string() + ": cannot tell the format of a price file with the extension '.txt'; "
                            "price files are .csv, .json, .feather, .parquet");
  const fs::path bare = write("prices", "date,close\n2025-01-02,1\n");
  EXPECT_EQ(input_error(bare, read),
            bare.string() + ": cannot tell the format of a price file without an extension; "
                            "price files are .csv, .json, .feather, .parquet");
}

}  // namespace
