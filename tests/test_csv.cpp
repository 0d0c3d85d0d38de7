// Reading CSV price files: header matching, malformed files (thrown, with
// FILE:LINE:COLUMN) and per-symbol data problems (collected as issues).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "atc/error.hpp"
#include "atc/io.hpp"
#include "support/temp_dir.hpp"
#include "io/timestamps.hpp"

namespace atc::io::detail {
void PrintTo(const Instant& instant, std::ostream* out) {
  *out << instant.seconds << " s + " << instant.nanoseconds << " ns";
}
}  // namespace atc::io::detail

namespace {

namespace fs = std::filesystem;
using atc::io::CsvSeries;
using atc::io::TimeFormat;

class CsvTest : public atc::test::TempDirTest {
 protected:
  // The message of the InputError that reading `path` throws.
  static std::string read_error(const fs::path& path) {
    return input_error(path, [](const fs::path& p) { atc::io::read_series_csv(p); });
  }
};

TEST_F(CsvTest, HeaderNamesAreCaseInsensitive) {
  const fs::path path = write("AAPL.csv",
                              "Date,OPEN,High,low,Close,VOLUME\n"
                              "2024-01-02,1.5,2,1,1.75,100\n"
                              "2024-01-03,1.75,2.5,1.5,2.25,200\n");
  const CsvSeries s = atc::io::read_series_csv(path);
  EXPECT_EQ(s.symbol, "AAPL");
  EXPECT_EQ(s.source, path.string());
  EXPECT_EQ(s.timestamps, (std::vector<std::string>{"2024-01-02", "2024-01-03"}));
  EXPECT_EQ(s.close, (std::vector<double>{1.75, 2.25}));
  EXPECT_EQ(s.open, (std::vector<double>{1.5, 1.75}));
  EXPECT_EQ(s.high, (std::vector<double>{2.0, 2.5}));
  EXPECT_EQ(s.low, (std::vector<double>{1.0, 1.5}));
  EXPECT_EQ(s.volume, (std::vector<double>{100.0, 200.0}));
  EXPECT_TRUE(s.issues.empty());
}

TEST_F(CsvTest, ColumnsTheFileLacksStayEmpty) {
  const CsvSeries s = atc::io::read_series_csv(write("x.csv", "TIME,close\n1,10\n2,11\n"));
  EXPECT_EQ(s.timestamps, (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(s.open.empty());
  EXPECT_TRUE(s.volume.empty());
}

TEST_F(CsvTest, UnnamedFirstColumnIsTheTimestamp) {
  const CsvSeries s = atc::io::read_series_csv(
      write("pandas.csv", ",Open,Close\n2024-01-02,1,2\n2024-01-03,2,3\n"));
  EXPECT_EQ(s.timestamps, (std::vector<std::string>{"2024-01-02", "2024-01-03"}));
  EXPECT_EQ(s.close, (std::vector<double>{2.0, 3.0}));
}

TEST_F(CsvTest, NoTimestampColumnLeavesTimestampsEmpty) {
  const CsvSeries s = atc::io::read_series_csv(write("bare.csv", "close\n1\n2\n3\n"));
  EXPECT_TRUE(s.timestamps.empty());
  EXPECT_EQ(s.time_format, "");
  EXPECT_TRUE(s.issues.empty());
  EXPECT_EQ(s.close.size(), 3u);
}

TEST_F(CsvTest, QuotesCrlfAndByteOrderMarkAreHandled) {
  const CsvSeries s = atc::io::read_series_csv(
      write("q.csv", "\xEF\xBB\xBF\"date\",\"close\"\r\n\"2024-01-02\",\"1.5\"\r\n\r\n2024-01-03,+2e0\r\n"));
  EXPECT_EQ(s.timestamps, (std::vector<std::string>{"2024-01-02", "2024-01-03"}));
  EXPECT_EQ(s.close, (std::vector<double>{1.5, 2.0}));
  EXPECT_TRUE(s.issues.empty());
}

TEST_F(CsvTest, SemicolonTabAndPipeSeparatorsAreDetectedFromTheHeader) {
  const std::vector<double> close{1.75, 2.25};
  for (const auto& [separator, name] : atc::io::kCsvSeparators) {
    const std::string s(1, separator);
    const CsvSeries series = atc::io::read_series_csv(
        write(std::string(name) + ".csv", "date" + s + "open" + s + "close\n2024-01-02" + s + "1.5" + s +
                                              "1.75\n2024-01-03" + s + "\"1.75\"" + s + "2.25\n"));
    EXPECT_EQ(series.separator, separator) << name;
    EXPECT_EQ(series.close, close) << name;
    EXPECT_EQ(series.open, (std::vector<double>{1.5, 1.75})) << name;
    EXPECT_EQ(series.timestamps, (std::vector<std::string>{"2024-01-02", "2024-01-03"})) << name;
    EXPECT_TRUE(series.issues.empty()) << name;
  }
}

TEST_F(CsvTest, ASeparatorInsideQuotesDoesNotCount) {
  const CsvSeries s = atc::io::read_series_csv(write("q.csv", "\"date, UTC\";close\n2024-01-02;1,5\n"));
  EXPECT_EQ(s.separator, ';');
  EXPECT_EQ(s.close, (std::vector<double>{1.5}));
}

TEST_F(CsvTest, DecimalCommasOfSemicolonFilesReadAsTheSameDoublesAsPoints) {
  // Values whose nearest double takes correct rounding: 0.1, 2.675, 9007199254740993,
  // the smallest normal double; and exponents.
  const std::vector<std::string> texts{"0.1", "2.675", "9007199254740993", "2.2250738585072014e-308",
                                       "1.5e3", "123456.789012345678"};
  std::string points = "close\n", commas = "close\n";
  for (const std::string& text : texts) {
    points += text + "\n";
    std::string comma = text;
    std::replace(comma.begin(), comma.end(), '.', ',');
    commas += "\"" + comma + "\";\n";  // the ';' after the cell makes the file semicolon separated
  }
  commas.replace(0, 6, "close;x\n");
  const CsvSeries expected = atc::io::read_series_csv(write("points.csv", points));
  const CsvSeries decimal_comma = atc::io::read_series_csv(write("commas.csv", commas));
  EXPECT_TRUE(decimal_comma.issues.empty()) << decimal_comma.issues.front().message;
  ASSERT_EQ(decimal_comma.close.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(decimal_comma.close[i]), std::bit_cast<std::uint64_t>(expected.close[i]))
        << texts[i];
    EXPECT_EQ(decimal_comma.close[i], std::stod(texts[i])) << texts[i];
  }
}

TEST_F(CsvTest, DecimalCommasAreNumbersOnlyInSemicolonFiles) {
  const CsvSeries tab = atc::io::read_series_csv(write("tab.csv", "date\tclose\n2024-01-02\t1,5\n"));
  ASSERT_EQ(tab.issues.size(), 1u);
  EXPECT_NE(tab.issues[0].message.find("'1,5' in column 'close' is not a number"), std::string::npos)
      << tab.issues[0].message;
  // A thousands separator is not a decimal point: two of them make no number.
  const CsvSeries semicolon = atc::io::read_series_csv(write("sc.csv", "date;close\n2024-01-02;1,234,5\n"));
  EXPECT_EQ(semicolon.issues.size(), 1u);
}

TEST_F(CsvTest, AHeaderThatTwoSeparatorsSplitAlikeIsAnErrorNamingThem) {
  const fs::path path = write("tie.csv", "date,x;close\n2024-01-02;1,5\n");
  const std::string message = read_error(path);
  EXPECT_EQ(message.rfind(path.string() + ":1:1: ", 0), 0u) << message;
  EXPECT_NE(message.find("comma and semicolon"), std::string::npos) << message;
  atc::io::CsvReadOptions options;
  options.separator = *atc::io::parse_separator("semicolon");
  const CsvSeries s = atc::io::read_series_csv(path, options);
  EXPECT_EQ(s.close, (std::vector<double>{1.5})) << "a given separator settles it";
}

TEST_F(CsvTest, AHeaderQuotedWholeNamesTheSeparatorItHolds) {
  const std::string message = read_error(write("whole.csv", "\"date;close\"\n\"2024-01-02;1\"\n"));
  EXPECT_NE(message.find("no 'close' column"), std::string::npos) << message;
  EXPECT_NE(message.find("one cell holding a semicolon"), std::string::npos) << message;
  EXPECT_NE(message.find("--separator semicolon"), std::string::npos) << message;
  const std::string tab = read_error(write("tab.csv", "\"date\tclose\"\n"));
  EXPECT_NE(tab.find("one cell holding a tab"), std::string::npos) << tab;
}

TEST_F(CsvTest, CloseIsTheDefaultThenAnAdjustedCloseThenPrice) {
  const std::string yahoo = "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,3,1,2,1.5,100\n";
  const CsvSeries close = atc::io::read_series_csv(write("yahoo.csv", yahoo));
  EXPECT_EQ(close.close, (std::vector<double>{2.0}));
  EXPECT_EQ(close.close_column, "Close");
  atc::io::CsvReadOptions adjusted;
  adjusted.close_column = "ADJ CLOSE";
  const CsvSeries chosen = atc::io::read_series_csv(write("yahoo.csv", yahoo), adjusted);
  EXPECT_EQ(chosen.close, (std::vector<double>{1.5}));
  EXPECT_EQ(chosen.close_column, "Adj Close");
  for (const char* name : {"adj close", "Adj_Close", "adjclose", "Adjusted Close"}) {
    const CsvSeries alone = atc::io::read_series_csv(write("adj.csv", std::string("date,") + name + "\n2024-01-02,7\n"));
    EXPECT_EQ(alone.close, (std::vector<double>{7.0})) << name;
  }
  const CsvSeries price = atc::io::read_series_csv(write("p.csv", "time,price\n1,3\n"));
  EXPECT_EQ(price.close, (std::vector<double>{3.0}));
  const CsvSeries close_over_price = atc::io::read_series_csv(write("cp.csv", "time,price,close\n1,3,4\n"));
  EXPECT_EQ(close_over_price.close, (std::vector<double>{4.0}));
  const CsvSeries adjusted_over_price = atc::io::read_series_csv(write("ap.csv", "time,price,adj_close\n1,3,5\n"));
  EXPECT_EQ(adjusted_over_price.close, (std::vector<double>{5.0}));
}

TEST_F(CsvTest, AMissingCloseColumnGivenByNameIsAnErrorNamingIt) {
  atc::io::CsvReadOptions options;
  options.close_column = "Adj Close";
  const fs::path path = write("x.csv", "date,close\n2024-01-02,1\n");
  try {
    atc::io::read_series_csv(path, options);
    ADD_FAILURE() << "no InputError";
  } catch (const atc::InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path.string() + ":1:1: no column 'Adj Close' (--close-column)", 0), 0u) << message;
  }
}

TEST_F(CsvTest, TimestampColumnsHaveTheirCommonNames) {
  for (const char* name : {"timestamp", "Time", "DATE", "datetime", "date_time", "open_time"}) {
    const CsvSeries s = atc::io::read_series_csv(write("t.csv", std::string(name) + ",close\n1700000000,1\n"));
    EXPECT_EQ(s.timestamps, (std::vector<std::string>{"1700000000"})) << name;
  }
}

TEST_F(CsvTest, MissingCloseColumnNamesFileLineAndColumn) {
  const fs::path path = write("noclose.csv", "date,open,last\n2024-01-02,1,2\n");
  const std::string message = read_error(path);
  EXPECT_EQ(message.rfind(path.string() + ":1:1: ", 0), 0u) << message;
  EXPECT_NE(message.find("close"), std::string::npos) << message;
  EXPECT_NE(message.find("last"), std::string::npos) << "lists the columns found: " << message;
}

TEST_F(CsvTest, HugeCellsAndHeadersAreEchoedShortened) {
  // A header of 100,000 columns without close, and a 1 MB cell: the messages stay short.
  std::string header = "date";
  for (int i = 0; i < 100'000; ++i) header += ",c" + std::to_string(i);
  const std::string no_close = read_error(write("wide.csv", header + "\n"));
  EXPECT_LT(no_close.size(), 1'000u) << no_close.substr(0, 200);
  EXPECT_NE(no_close.find("100001 columns"), std::string::npos) << no_close;

  const std::string big(1'000'000, 'x');
  const auto series = atc::io::read_series_csv(write("bigcell.csv", "date,close\n2024-01-02," + big + "\n"));
  ASSERT_EQ(series.issues.size(), 1u);
  EXPECT_LT(series.issues[0].message.size(), 300u);
  EXPECT_NE(series.issues[0].message.find("(1000000 bytes)"), std::string::npos) << series.issues[0].message;
}

TEST_F(CsvTest, AFileAboveTheSizeLimitIsRefusedUnread) {
  const fs::path path = write("huge.csv", "date,close\n");
  fs::resize_file(path, atc::io::kMaxFileBytes + 1);  // sparse: no disk used
  const std::string message = read_error(path);
  EXPECT_NE(message.find("huge.csv: " + std::to_string(atc::io::kMaxFileBytes + 1) + " bytes, above the limit"),
            std::string::npos)
      << message;
}

TEST_F(CsvTest, ExtraCellNamesItsLineAndColumn) {
  const fs::path path = write("extra.csv", "date,close\n2024-01-02,1\n2024-01-03,2,3\n");
  const std::string message = read_error(path);
  // "2024-01-03,2," is 13 characters: the extra cell starts in column 14.
  EXPECT_EQ(message.rfind(path.string() + ":3:14: ", 0), 0u) << message;
  EXPECT_NE(message.find("expected 2 cells"), std::string::npos) << message;
}

TEST_F(CsvTest, MissingCellNamesTheEndOfTheLine) {
  const fs::path path = write("short.csv", "date,close\n2024-01-02,1\n2024-01-03\n");
  const std::string message = read_error(path);
  EXPECT_EQ(message.rfind(path.string() + ":3:11: ", 0), 0u) << message;
  EXPECT_NE(message.find("found 1"), std::string::npos) << message;
}

TEST_F(CsvTest, UnterminatedQuoteNamesWhereItOpened) {
  const fs::path path = write("quote.csv", "date,close\n2024-01-02,\"1\n2024-01-03,2\n");
  const std::string message = read_error(path);
  EXPECT_EQ(message.rfind(path.string() + ":2:12: ", 0), 0u) << message;
  EXPECT_NE(message.find("never closed"), std::string::npos) << message;
}

TEST_F(CsvTest, EmptyFileAndDuplicateColumnsAreMalformed) {
  EXPECT_NE(read_error(write("empty.csv", "")).find("empty file"), std::string::npos);
  const std::string message = read_error(write("twice.csv", "date,close,Close\n1,2,3\n"));
  EXPECT_NE(message.find(":1:12: "), std::string::npos) << message;
  EXPECT_NE(message.find("appears twice"), std::string::npos) << message;
}

TEST_F(CsvTest, UnreadableFileThrows) {
  EXPECT_THROW(atc::io::read_series_csv(directory_ / "missing.csv"), atc::InputError);
}

TEST_F(CsvTest, NonNumericCellIsAnIssueOfTheSymbolNotAnException) {
  const fs::path path = write("bad.csv", "date,close\n2024-01-02,1\n2024-01-03,abc\n2024-01-04,3\n");
  const CsvSeries s = atc::io::read_series_csv(path);
  ASSERT_EQ(s.close.size(), 3u);
  EXPECT_TRUE(std::isnan(s.close[1]));
  EXPECT_EQ(s.close[2], 3.0);
  ASSERT_EQ(s.issues.size(), 1u);
  EXPECT_EQ(s.issues[0].line, 3u);
  EXPECT_EQ(s.issues[0].column, 12u);
  EXPECT_EQ(s.issues[0].message.rfind(path.string() + ":3:12: ", 0), 0u) << s.issues[0].message;
  EXPECT_NE(s.issues[0].message.find("'abc'"), std::string::npos);
}

TEST_F(CsvTest, EmptyCloseCellsAreNaNWithoutIssues) {
  const CsvSeries s =
      atc::io::read_series_csv(write("late.csv", "date,close\n2024-01-01,\n2024-01-02, \n2024-01-03,5\n2024-01-04,6\n"));
  ASSERT_EQ(s.close.size(), 4u);
  EXPECT_TRUE(std::isnan(s.close[0]));
  EXPECT_TRUE(std::isnan(s.close[1]));
  EXPECT_EQ(s.close[2], 5.0);
  EXPECT_TRUE(s.issues.empty());
}

TEST_F(CsvTest, UnsortedAndDuplicateIsoTimestampsAreIssues) {
  const CsvSeries s = atc::io::read_series_csv(write("order.csv",
                                                     "date,close\n"
                                                     "2024-01-02,1\n"
                                                     "2024-01-03,2\n"
                                                     "2024-01-03,3\n"
                                                     "2024-01-01,4\n"));
  ASSERT_EQ(s.issues.size(), 2u);
  EXPECT_EQ(s.issues[0].line, 4u);
  EXPECT_NE(s.issues[0].message.find("duplicate timestamp '2024-01-03'"), std::string::npos)
      << s.issues[0].message;
  EXPECT_EQ(s.issues[1].line, 5u);
  EXPECT_NE(s.issues[1].message.find("before the previous one"), std::string::npos)
      << s.issues[1].message;
  EXPECT_EQ(s.close.size(), 4u) << "rows are kept; the caller decides";
}

TEST_F(CsvTest, NumericTimestampsCompareAsNumbers) {
  // As text "1000" < "999"; as Unix seconds they are in order.
  const CsvSeries sorted = atc::io::read_series_csv(write("num.csv", "time,close\n999,1\n1000,2\n"));
  EXPECT_TRUE(sorted.issues.empty());
  EXPECT_EQ(sorted.time_format, "epoch seconds");
  const CsvSeries unsorted =
      atc::io::read_series_csv(write("num2.csv", "time,close\n1000,1\n999,2\n"));
  EXPECT_EQ(unsorted.issues.size(), 1u);
}

TEST_F(CsvTest, LongFormatGroupsBySymbolInFirstAppearanceOrder) {
  const fs::path path = write("long.csv",
                              "date,Symbol,close\n"
                              "2024-01-02,BBB,10\n"
                              "2024-01-02,AAA,1\n"
                              "2024-01-03,BBB,11\n"
                              "2024-01-03,AAA,oops\n"
                              "2024-01-04,BBB,12\n");
  const std::vector<CsvSeries> series = atc::io::read_long_csv(path);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].symbol, "BBB");
  EXPECT_EQ(series[0].close, (std::vector<double>{10.0, 11.0, 12.0}));
  EXPECT_EQ(series[0].timestamps.size(), 3u);
  EXPECT_TRUE(series[0].issues.empty()) << "a bad cell of AAA is not BBB's problem";
  EXPECT_EQ(series[1].symbol, "AAA");
  ASSERT_EQ(series[1].issues.size(), 1u);
  EXPECT_EQ(series[1].issues[0].line, 5u);
  EXPECT_NE(series[1].issues[0].message.find("symbol 'AAA'"), std::string::npos);
}

TEST_F(CsvTest, LongFormatChecksOrderPerSymbol) {
  const std::vector<CsvSeries> series = atc::io::read_long_csv(write("long.csv",
                                                                     "symbol,date,close\n"
                                                                     "A,2024-01-03,1\n"
                                                                     "B,2024-01-02,1\n"
                                                                     "A,2024-01-04,2\n"
                                                                     "B,2024-01-02,2\n"));
  ASSERT_EQ(series.size(), 2u);
  EXPECT_TRUE(series[0].issues.empty()) << "A's previous row is line 2, not B's line 3";
  ASSERT_EQ(series[1].issues.size(), 1u);
  EXPECT_NE(series[1].issues[0].message.find("duplicate"), std::string::npos);
}

TEST_F(CsvTest, LongFormatNeedsASymbolColumn) {
  EXPECT_THROW(atc::io::read_long_csv(write("wide.csv", "date,close\n1,2\n")), atc::InputError);
  const fs::path two = write("two.csv", "ticker,close\nA,1\nB,2\n");
  EXPECT_NE(read_error(two).find("long-format"), std::string::npos);
  EXPECT_EQ(atc::io::read_symbols_csv(two).size(), 2u);
}

TEST_F(CsvTest, IssuesPerSymbolAreCapped) {
  std::string text = "close\n";
  for (int i = 0; i < 50; ++i) text += "x\n";
  const CsvSeries s = atc::io::read_series_csv(write("many.csv", text));
  EXPECT_EQ(s.close.size(), 50u);
  EXPECT_EQ(s.issues.size(), atc::io::kMaxIssuesPerSeries);
}

// The timestamps of `series` and the reasons of its issues, for short expectations.
std::string reasons(const CsvSeries& series) {
  std::string text;
  for (const atc::io::DataIssue& issue : series.issues) text += issue.message + "\n";
  return text;
}

bool mentions(const CsvSeries& series, const std::string& part) {
  return reasons(series).find(part) != std::string::npos;
}

TEST(Timestamps, OffsetsAndFormsNameTheSameInstant) {
  using atc::io::detail::instant_of;
  using atc::io::detail::split_timestamp;
  const auto instant = [](std::string_view text, TimeFormat format) {
    const auto fields = split_timestamp(text);
    EXPECT_TRUE(fields.has_value()) << text;
    const auto value = fields ? instant_of(*fields, format) : std::nullopt;
    EXPECT_TRUE(value.has_value()) << text;
    return value.value_or(atc::io::detail::Instant{});
  };
  const atc::io::detail::Instant midnight{1761436800, 0};  // 2025-10-26 00:00 UTC
  for (const char* text : {"2025-10-26T00:00:00Z", "2025-10-26T02:00:00+02:00", "2025-10-26 01:00+0100",
                           "2025-10-25T19:00-05", "2025/10/26 0:00:00.000Z"})
    EXPECT_EQ(instant(text, TimeFormat::YearMonthDay), midnight) << text;
  EXPECT_EQ(instant("2025-10-26", TimeFormat::YearMonthDay), midnight) << "a date is its midnight";
  EXPECT_EQ(instant("26.10.2025", TimeFormat::DayMonthYear), midnight);
  EXPECT_EQ(instant("10/26/2025 0:00", TimeFormat::MonthDayYear), midnight);
  EXPECT_EQ(instant("1761436800", TimeFormat::EpochSeconds), midnight);
  EXPECT_EQ(instant("1761436800000", TimeFormat::EpochMilliseconds), midnight);
  EXPECT_EQ(instant("-1", TimeFormat::EpochMilliseconds), (atc::io::detail::Instant{-1, 999'000'000}));
  EXPECT_EQ(instant("2025-10-26T00:00:00.1234567891Z", TimeFormat::YearMonthDay),
            (atc::io::detail::Instant{1761436800, 123'456'789}));
  for (const char* text : {"", "yesterday", "2025-10", "2025-10-26T", "2025-10-26 9", "2025-10-26 9:5",
                           "2025-10-26 09:00:", "2025-10-26 09:00+1", "2025-10-26 09:00 +01:00",
                           "2025-10-26/", "2025-10/26", "202-10-26", "26/10/25", "1.5", "1e9", "+5",
                           "99999999999999999999"})
    EXPECT_FALSE(split_timestamp(text).has_value()) << text;
}

TEST_F(CsvTest, DstChangeWithOffsetsIsInOrder) {
  // The clocks of Europe/Paris go back at 03:00 +02:00: 02:00 comes twice, an hour apart.
  const CsvSeries s = atc::io::read_series_csv(write("dst.csv",
                                                     "timestamp,close\n"
                                                     "2025-10-26T01:00:00+02:00,1\n"
                                                     "2025-10-26T02:00:00+02:00,2\n"
                                                     "2025-10-26T02:00:00+01:00,3\n"
                                                     "2025-10-26T03:00:00+01:00,4\n"));
  EXPECT_TRUE(s.issues.empty()) << reasons(s);
  EXPECT_EQ(s.time_format, "yyyy-mm-dd with UTC offsets");
  EXPECT_EQ(s.timestamps[2], "2025-10-26T02:00:00+01:00") << "kept as written";

  const CsvSeries same = atc::io::read_series_csv(
      write("same.csv", "timestamp,close\n2025-10-26T00:00:00Z,1\n2025-10-26T02:00:00+0200,2\n"));
  ASSERT_EQ(same.issues.size(), 1u);
  EXPECT_TRUE(mentions(same, "duplicate timestamp '2025-10-26T02:00:00+0200' (line 2)")) << reasons(same);
}

TEST_F(CsvTest, TimesOfDayCompareAsTimesNotText) {
  const CsvSeries s = atc::io::read_series_csv(write("hours.csv",
                                                     "date,close\n"
                                                     "2025-10-20,1\n"
                                                     "2025-10-20 9:00,2\n"
                                                     "2025-10-20 10:00,3\n"
                                                     "2025-10-20T10:00:00.5,4\n"
                                                     "2025-10-20 10:00:01,5\n"));
  EXPECT_TRUE(s.issues.empty()) << reasons(s);
  EXPECT_EQ(s.time_format, "yyyy-mm-dd");
  EXPECT_EQ(s.timestamps[1], "2025-10-20 9:00");
}

TEST_F(CsvTest, DayFirstDatesAreDetectedAndTheirOrderChecked) {
  const CsvSeries sorted = atc::io::read_series_csv(
      write("dmy.csv", "date,close\n12/10/2025,1\n13/10/2025,2\n1/11/2025,3\n"));
  EXPECT_TRUE(sorted.issues.empty()) << reasons(sorted);
  EXPECT_EQ(sorted.time_format, "dd/mm/yyyy");

  // As text, 20/10 < 21/09: as dates, 21 September comes first.
  const CsvSeries unsorted = atc::io::read_series_csv(
      write("dots.csv", "date,close\n19.10.2025,1\n20.10.2025,2\n21.09.2025,3\n"));
  EXPECT_EQ(unsorted.time_format, "dd.mm.yyyy");
  ASSERT_EQ(unsorted.issues.size(), 1u) << reasons(unsorted);
  EXPECT_EQ(unsorted.issues[0].line, 4u);
  EXPECT_TRUE(mentions(unsorted, "'21.09.2025' is before the previous one '20.10.2025' (line 3)"))
      << reasons(unsorted);

  const CsvSeries month_first = atc::io::read_series_csv(
      write("mdy.csv", "date,close\n10/12/2025,1\n10/13/2025 16:00,2\n"));
  EXPECT_TRUE(month_first.issues.empty()) << reasons(month_first);
  EXPECT_EQ(month_first.time_format, "mm/dd/yyyy");
}

TEST_F(CsvTest, AmbiguousDayMonthDatesNeedTheTimeFormat) {
  const fs::path path = write("ambiguous.csv", "date,close\n02/01/2025,1\n01/02/2025,2\n");
  const CsvSeries s = atc::io::read_series_csv(path);
  ASSERT_EQ(s.issues.size(), 1u) << reasons(s);
  EXPECT_EQ(s.issues[0].message.rfind(path.string() + ":2:1: ", 0), 0u) << s.issues[0].message;
  EXPECT_TRUE(mentions(s, "--time-format dmy")) << reasons(s);
  EXPECT_TRUE(mentions(s, "--time-format mdy")) << reasons(s);
  EXPECT_EQ(s.time_format, "");

  // 2 January then 1 February; or 1 February then 2 January.
  const CsvSeries day_first = atc::io::read_series_csv(path, {TimeFormat::DayMonthYear});
  EXPECT_TRUE(day_first.issues.empty()) << reasons(day_first);
  EXPECT_EQ(day_first.time_format, "dd/mm/yyyy");
  const CsvSeries month_first = atc::io::read_series_csv(path, {TimeFormat::MonthDayYear});
  EXPECT_EQ(month_first.time_format, "mm/dd/yyyy");
  EXPECT_TRUE(mentions(month_first, "before the previous one")) << reasons(month_first);
}

TEST_F(CsvTest, AGivenTimeFormatIsRequiredOfEveryTimestamp) {
  const CsvSeries s = atc::io::read_series_csv(
      write("forced.csv", "date,close\n2025-10-20,1\n21/10/2025,2\n10/22/2025,3\n"),
      {TimeFormat::DayMonthYear});
  ASSERT_EQ(s.issues.size(), 2u) << reasons(s);
  EXPECT_EQ(s.issues[0].line, 2u);
  EXPECT_TRUE(mentions(s, "timestamp '2025-10-20' does not fit --time-format dmy")) << reasons(s);
  EXPECT_EQ(s.issues[1].line, 4u);
  EXPECT_TRUE(mentions(s, "'10/22/2025' is not a valid date or time of day (read as dd/mm/yyyy)"))
      << reasons(s);
}

TEST_F(CsvTest, EpochSecondsAndMillisecondsAreToldApartByMagnitude) {
  const CsvSeries seconds = atc::io::read_series_csv(
      write("s.csv", "time,close\n1760950800,1\n1760954400,2\n"));
  EXPECT_TRUE(seconds.issues.empty()) << reasons(seconds);
  EXPECT_EQ(seconds.time_format, "epoch seconds");
  const CsvSeries milliseconds = atc::io::read_series_csv(
      write("ms.csv", "time,close\n1760950800000,1\n1760950800001,2\n"));
  EXPECT_TRUE(milliseconds.issues.empty()) << reasons(milliseconds);
  EXPECT_EQ(milliseconds.time_format, "epoch milliseconds");

  const CsvSeries unsorted = atc::io::read_series_csv(
      write("back.csv", "time,close\n1760954400000,1\n1760950800000,2\n"));
  ASSERT_EQ(unsorted.issues.size(), 1u);
  EXPECT_TRUE(mentions(unsorted, "before the previous one")) << reasons(unsorted);

  const CsvSeries mixed = atc::io::read_series_csv(
      write("mixed.csv", "time,close\n1760950800,1\n1760954400000,2\n"));
  ASSERT_EQ(mixed.issues.size(), 1u);
  EXPECT_TRUE(mentions(mixed, "is not in the format of '1760950800' (line 2, epoch seconds)"))
      << reasons(mixed);

  // Milliseconds of early 1970 are small: only the option tells.
  const CsvSeries given = atc::io::read_series_csv(write("early.csv", "time,close\n1000,1\n2000,2\n"),
                                                   {TimeFormat::EpochMilliseconds});
  EXPECT_TRUE(given.issues.empty()) << reasons(given);
  EXPECT_EQ(given.time_format, "epoch milliseconds");
}

TEST_F(CsvTest, AColumnOfMixedFormatsIsAnIssue) {
  const CsvSeries s = atc::io::read_series_csv(write("mixed.csv",
                                                     "date,close\n"
                                                     "2025-10-20,1\n"
                                                     "21/10/2025,2\n"
                                                     "2025/10/22,3\n"
                                                     "2025-10-23T10:00Z,4\n"
                                                     "2025-10-24 10:00,5\n"));
  EXPECT_EQ(s.time_format, "yyyy-mm-dd");
  ASSERT_EQ(s.issues.size(), 3u) << reasons(s);
  EXPECT_EQ(s.issues[0].line, 3u);
  EXPECT_TRUE(mentions(s, "timestamp '21/10/2025' is not in the format of '2025-10-20' (line 2, "
                          "yyyy-mm-dd): a timestamp column holds one format"))
      << reasons(s);
  EXPECT_EQ(s.issues[1].line, 4u);
  EXPECT_EQ(s.issues[2].line, 5u) << "a UTC offset among times without one";
}

TEST_F(CsvTest, DatesAndTimesThatDoNotExistAreIssues) {
  const CsvSeries s = atc::io::read_series_csv(write("invalid.csv",
                                                     "date,close\n"
                                                     "2024-02-29,1\n"
                                                     "2025-02-30,2\n"
                                                     "2025-13-01,3\n"
                                                     "2025-10-20 24:00,4\n"
                                                     "2025-10-21 10:60,5\n"
                                                     "2025-10-22T10:00+24:00,6\n"
                                                     "2025-10-23,7\n"));
  ASSERT_EQ(s.issues.size(), 5u) << reasons(s);
  EXPECT_TRUE(mentions(s, "timestamp '2025-02-30' is not a valid date or time of day (read as yyyy-mm-dd)"))
      << reasons(s);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(s.issues[i].line, i + 3) << reasons(s);
}

TEST_F(CsvTest, UnreadableTimestampsNameFileLineAndCellShortened) {
  const fs::path path = write("words.csv", "date,close\n2025-10-20,1\nyesterday,2\n" +
                                               std::string(100'000, '7') + "x,3\n,4\n");
  const CsvSeries s = atc::io::read_series_csv(path);
  ASSERT_EQ(s.issues.size(), 3u) << reasons(s);
  EXPECT_EQ(s.issues[0].message.rfind(path.string() + ":3:1: timestamp 'yesterday' is not a date", 0), 0u)
      << s.issues[0].message;
  EXPECT_LT(s.issues[1].message.size(), 400u);
  EXPECT_TRUE(mentions(s, "(100001 bytes)")) << reasons(s).substr(0, 400);
  EXPECT_TRUE(mentions(s, ":5:1: empty timestamp")) << reasons(s);
}

TEST_F(CsvTest, TimestampAndCellIssuesComeInLineOrder) {
  const CsvSeries s = atc::io::read_series_csv(
      write("order.csv", "date,close\n2025-10-20,1\n2025-10-22,x\n2025-10-21,2\n2025-10-23,y\n"));
  ASSERT_EQ(s.issues.size(), 3u) << reasons(s);
  EXPECT_EQ(s.issues[0].line, 3u);
  EXPECT_EQ(s.issues[1].line, 4u);
  EXPECT_TRUE(mentions(s, "before the previous one")) << reasons(s);
  EXPECT_EQ(s.issues[2].line, 5u);
}

TEST_F(CsvTest, LongFormatTimestampProblemsCostOnlyTheirSymbol) {
  const std::vector<CsvSeries> series = atc::io::read_long_csv(write("long.csv",
                                                                     "symbol,date,close\n"
                                                                     "GOOD,2025-10-20 9:00,1\n"
                                                                     "BAD,2025-10-20,1\n"
                                                                     "MIXED,2025-10-20,1\n"
                                                                     "GOOD,2025-10-20 10:00,2\n"
                                                                     "BAD,2025-02-30,2\n"
                                                                     "MIXED,1760950800,2\n"));
  ASSERT_EQ(series.size(), 3u);
  EXPECT_TRUE(series[0].issues.empty()) << reasons(series[0]);
  EXPECT_EQ(series[0].time_format, "yyyy-mm-dd");
  ASSERT_EQ(series[1].issues.size(), 1u);
  EXPECT_TRUE(mentions(series[1], "symbol 'BAD': timestamp '2025-02-30'")) << reasons(series[1]);
  ASSERT_EQ(series[2].issues.size(), 1u);
  EXPECT_EQ(series[2].issues[0].line, 7u);
}

TEST_F(CsvTest, LongFormatSymbolsWithAmbiguousDatesFollowTheFile) {
  const fs::path path = write("long.csv",
                              "symbol,date,close\n"
                              "EARLY,12/01/2025,1\n"
                              "EARLY,13/01/2025,2\n"
                              "LATE,02/02/2025,1\n"
                              "LATE,03/02/2025,2\n");
  const std::vector<CsvSeries> series = atc::io::read_long_csv(path);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_TRUE(series[1].issues.empty()) << reasons(series[1]);
  EXPECT_EQ(series[1].time_format, "dd/mm/yyyy") << "13/01 of EARLY says day first";

  // Alone in its file, LATE is ambiguous.
  const CsvSeries alone = atc::io::read_series_csv(write("LATE.csv", "date,close\n02/02/2025,1\n03/02/2025,2\n"));
  EXPECT_TRUE(mentions(alone, "--time-format")) << reasons(alone);
}

TEST(PriceSources, EverySourceIsItsFormulaAddedLeftToRight) {
  CsvSeries series;
  series.open = {1.1, 3.0};
  series.high = {1.3, 3.7};
  series.low = {0.9, 2.9};
  series.close = {1.2, 3.3};
  const auto expected_of = [&](std::string_view name, std::size_t t) {
    const double o = series.open[t], h = series.high[t], l = series.low[t], c = series.close[t];
    if (name == "open") return o;
    if (name == "high") return h;
    if (name == "low") return l;
    if (name == "close") return c;
    if (name == "hl2") return (h + l) / 2;
    if (name == "hlc3") return (h + l + c) / 3;
    return (o + h + l + c) / 4;  // ohlc4
  };
  for (const atc::io::PriceSource& source : atc::io::kPriceSources) {
    const std::vector<double> values = atc::io::price_source_values(series, source);
    ASSERT_EQ(values.size(), 2u) << source.name;
    for (std::size_t t = 0; t < values.size(); ++t)
      EXPECT_EQ(std::bit_cast<std::uint64_t>(values[t]), std::bit_cast<std::uint64_t>(expected_of(source.name, t)))
          << source.name << " bar " << t;
  }
  EXPECT_EQ(atc::io::price_source_formula(*atc::io::find_price_source("ohlc4")), "(open + high + low + close) / 4");
  EXPECT_EQ(atc::io::price_source_formula(*atc::io::find_price_source("low")), "low");
  EXPECT_EQ(atc::io::find_price_source("hl3"), nullptr);
}

TEST(PriceSources, AColumnTheFileLacksIsAnErrorNamingIt) {
  CsvSeries series;
  series.source = "x.csv";
  series.close = {1.0, 2.0};
  series.high = {1.5, 2.5};
  try {
    atc::io::price_source_values(series, *atc::io::find_price_source("hl2"));
    ADD_FAILURE() << "no InputError";
  } catch (const atc::InputError& e) {
    EXPECT_STREQ(e.what(), "x.csv: no 'low' column, which --source hl2 needs");
  }
}

TEST(CsvFormat, TimeFormatKeysReadBack) {
  for (TimeFormat format : {TimeFormat::Auto, TimeFormat::YearMonthDay, TimeFormat::DayMonthYear,
                            TimeFormat::MonthDayYear, TimeFormat::EpochSeconds, TimeFormat::EpochMilliseconds})
    EXPECT_EQ(atc::io::parse_time_format(atc::io::time_format_key(format)), format);
  EXPECT_EQ(atc::io::time_format_key(TimeFormat::EpochMilliseconds), "epoch-ms");
  EXPECT_FALSE(atc::io::parse_time_format("iso").has_value());
}

TEST(CsvFormat, NumbersRoundTripAndNaNIsEmpty) {
  EXPECT_EQ(atc::io::format_number(std::nan("")), "");
  for (double x : {0.1, -1.0 / 3.0, 123456789.125, 1e-300, 0.0}) {
    const std::string text = atc::io::format_number(x);
    EXPECT_EQ(std::stod(text), x) << text;
    EXPECT_LE(text.size(), 24u) << text;
  }
}

TEST(CsvFormat, FieldsAreQuotedOnlyWhenNeeded) {
  std::string row;
  atc::io::append_csv_field(row, "plain");
  row += ',';
  atc::io::append_csv_field(row, "a,\"b\"");
  EXPECT_EQ(row, "plain,\"a,\"\"b\"\"\"");
}

}  // namespace
