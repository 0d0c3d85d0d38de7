// Reading CSV price files: header matching, malformed files (thrown, with
// FILE:LINE:COLUMN) and per-symbol data problems (collected as issues).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "atc/error.hpp"
#include "atc/io.hpp"

namespace {

namespace fs = std::filesystem;
using atc::io::CsvSeries;

class CsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 (std::string("atc_test_csv_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path path = directory_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The message of the InputError that reading `path` throws.
  static std::string read_error(const fs::path& path) {
    try {
      atc::io::read_series_csv(path);
    } catch (const atc::InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no InputError for " << path;
    return {};
  }

  fs::path directory_;
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
  EXPECT_EQ(s.close.size(), 3u);
}

TEST_F(CsvTest, QuotesCrlfAndByteOrderMarkAreHandled) {
  const CsvSeries s = atc::io::read_series_csv(
      write("q.csv", "\xEF\xBB\xBF\"date\",\"close\"\r\n\"2024-01-02\",\"1.5\"\r\n\r\n2024-01-03,+2e0\r\n"));
  EXPECT_EQ(s.timestamps, (std::vector<std::string>{"2024-01-02", "2024-01-03"}));
  EXPECT_EQ(s.close, (std::vector<double>{1.5, 2.0}));
  EXPECT_TRUE(s.issues.empty());
}

TEST_F(CsvTest, MissingCloseColumnNamesFileLineAndColumn) {
  const fs::path path = write("noclose.csv", "date,open,price\n2024-01-02,1,2\n");
  const std::string message = read_error(path);
  EXPECT_EQ(message.rfind(path.string() + ":1:1: ", 0), 0u) << message;
  EXPECT_NE(message.find("close"), std::string::npos) << message;
  EXPECT_NE(message.find("price"), std::string::npos) << "lists the columns found: " << message;
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
      atc::io::read_series_csv(write("late.csv", "date,close\nd1,\nd2, \nd3,5\nd4,6\n"));
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
