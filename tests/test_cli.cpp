// The `atc` program end to end: run it on small CSV files and check what it writes and
// how it exits. The reference backend keeps these tests independent of the fast paths.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "atc/atc.hpp"
#include "atc/io.hpp"
#include "support/random_walk.hpp"
#include "support/temp_dir.hpp"

extern char** environ;  // the spawned program's environment: ours

namespace {

namespace fs = std::filesystem;

struct ProgramRun {
  int exit_code = -1;
  std::string out, err;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = line.find(',', begin);
    cells.push_back(line.substr(begin, comma - begin));
    if (comma == std::string::npos) return cells;
    begin = comma + 1;
  }
}

// The date `days` after 2000-01-01, as yyyy-mm-dd.
std::string date_after(std::size_t days) {
  using namespace std::chrono;
  const year_month_day date{sys_days{year{2000} / January / 1} + std::chrono::days{static_cast<int>(days)}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class CliTest : public atc::test::TempDirTest {
 protected:
  void SetUp() override {
#ifndef ATC_CLI_PATH
    GTEST_SKIP() << "the atc program is not built (ATC_BUILD_CLI=OFF)";
#endif
    TempDirTest::SetUp();
  }

  ProgramRun atc(const std::string& arguments) const {
#ifdef ATC_CLI_PATH
    const fs::path out = directory_ / "stdout.txt", err = directory_ / "stderr.txt";
    const std::string command = std::string("'") + ATC_CLI_PATH + "' " + arguments + " >'" +
                                out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    ProgramRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = read_text(out);
    run.err = read_text(err);
    return run;
#else
    (void)arguments;
    return {};
#endif
  }

  // `atc` with `assignments` (NAME=VALUE ...) in its environment.
  ProgramRun run_with_environment(const std::string& assignments, const std::string& arguments) const {
#ifdef ATC_CLI_PATH
    const fs::path out = directory_ / "stdout.txt", err = directory_ / "stderr.txt";
    const std::string command = assignments + " '" + ATC_CLI_PATH + "' " + arguments + " >'" + out.string() +
                                "' 2>'" + err.string() + "'";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(out), read_text(err)};
#else
    (void)assignments;
    (void)arguments;
    return {};
#endif
  }

  fs::path path(const std::string& name) const { return directory_ / name; }

  // A daily series with a date column; `edit` may spoil a close before it is written.
  fs::path write_series(const fs::path& file, std::size_t bars, std::uint64_t seed,
                        const std::function<void(std::vector<std::string>&)>& edit = {}) const {
    const std::vector<double> close = atc::test::random_walk(bars, seed);
    std::vector<std::string> cells;
    for (double c : close) cells.push_back(std::to_string(c));
    if (edit) edit(cells);
    std::ofstream out(file);
    out << "Date,Close\n";
    for (std::size_t t = 0; t < bars; ++t) out << date_after(t) << "," << cells[t] << "\n";
    return file;
  }
};

const std::vector<std::string> kStandardColumns{
    "timestamp",   "close",       "Average_Signal", "EMA_Signal", "HMA_Signal", "WMA_Signal",
    "DEMA_Signal", "LSMA_Signal", "KAMA_Signal",    "EMA_S",      "HMA_S",      "WMA_S",
    "DEMA_S",      "LSMA_S",      "KAMA_S",         "trend",      "state",      "direction",
    "long_entry",  "short_entry"};

TEST_F(CliTest, ComputeWritesTheDocumentedColumnsOneRowPerBar) {
  const fs::path input = write_series(path("SPY.csv"), 300, 1);
  const ProgramRun run = atc("compute '" + input.string() + "' -o '" + path("out.csv").string() +
                      "' --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = lines_of(read_text(path("out.csv")));
  ASSERT_EQ(lines.size(), 301u);
  EXPECT_EQ(split(lines[0]), kStandardColumns);
  const std::vector<std::string> last = split(lines.back());
  ASSERT_EQ(last.size(), kStandardColumns.size());
  EXPECT_EQ(last[0], date_after(299));
  const double average = std::stod(last[2]);
  EXPECT_GE(average, -1.0);
  EXPECT_LE(average, 1.0);
  EXPECT_TRUE(last[16] == "-1" || last[16] == "0" || last[16] == "1") << last[16];
}

// Every family of the engine's table has its flags in --help, its keys in a config
// file and its columns in the output: a family added to kFamilyTraits reaches them all.
TEST_F(CliTest, EveryFamilyOfTheTableHasItsFlagsKeysAndColumns) {
  const ProgramRun help = atc("compute --help");
  ASSERT_EQ(help.exit_code, 0) << help.err;
  const fs::path input = write_series(path("FAM.csv"), 200, 4);
  std::ofstream config(path("lengths.toml"));
  for (const atc::FamilyTraits& f : atc::kFamilyTraits) {
    std::string key(f.name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(contains(help.out, "--" + key + "-len")) << f.name;
    EXPECT_TRUE(contains(help.out, "--" + key + "-w")) << f.name;
    config << key << "_len = 20\n";
  }
  config.close();
  const ProgramRun run = atc("compute '" + input.string() + "' --config '" + path("lengths.toml").string() +
                             "' -o '" + path("fam.csv").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> header = split(lines_of(read_text(path("fam.csv")))[0]);
  for (const atc::FamilyTraits& f : atc::kFamilyTraits)
    for (const char* suffix : {"_Signal", "_S"})
      EXPECT_NE(std::find(header.begin(), header.end(), std::string(f.name) + suffix), header.end()) << f.name << suffix;
}

// The output table (atc::for_each_output_field, atc::output_name) names the columns of
// every front end: compute's CSV header with calibration outputs, in the table's order,
// and the last-bar outputs of a sweep's rows.
TEST_F(CliTest, EveryOutputOfTheTableIsAColumnOfComputeAndSweep) {
  const fs::path input = write_series(path("OUT.csv"), 300, 6);
  const ProgramRun run = atc("compute '" + input.string() + "' --calibration KAMA -o '" + path("out.csv").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> header = split(lines_of(read_text(path("out.csv")))[0]);
  const atc::OutputRequest request = atc::OutputRequest::with_calibration(atc::Family::KAMA);
  std::vector<std::string> expected{"timestamp", "close"};  // write_series' input columns
  const atc::BatchOutputs table;
  atc::for_each_output_field(table, table, [&](const atc::OutputField& field, const auto&, const auto&) {
    if (atc::requested(field.group, request))
      expected.push_back(atc::output_name(field, atc::Config{}, atc::Family::KAMA));
  });
  EXPECT_EQ(header, expected);
  EXPECT_EQ(expected.size(), 2u + 1 + 2 * atc::kFamilies + 5 + 3 * atc::kLengthsPerFamily);

  ASSERT_EQ(atc("sweep '" + input.string() + "' --grid len=14,20 --bars-per-year 252 -o '" +
                path("rows.csv").string() + "'")
                .exit_code,
            0);
  const std::vector<std::string> row_header = split(lines_of(read_text(path("rows.csv")))[0]);
  const atc::SweepRow row;
  std::vector<std::string> scalars;
  atc::for_each_output_field(row, row, [&](const atc::OutputField& field, const auto&, const auto&) {
    scalars.push_back(atc::output_name(field, atc::Config{}, std::nullopt));
  });
  ASSERT_EQ(scalars, (std::vector<std::string>{"Average_Signal", "trend", "state", "direction", "long_entry",
                                               "short_entry"}));
  const auto first = std::find(row_header.begin(), row_header.end(), scalars.front());
  ASSERT_NE(first, row_header.end());
  EXPECT_TRUE(std::equal(scalars.begin(), scalars.end(), first)) << "the sweep rows' outputs in the table's order";
}

TEST_F(CliTest, ComputeMatchesTheLibraryToTheLastBit) {
  const fs::path input = write_series(path("x.csv"), 200, 2);
  const ProgramRun run = atc("compute '" + input.string() + "' --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 201u) << "without -o the CSV goes to stdout";

  std::vector<double> close;
  for (std::size_t t = 1; t < lines.size(); ++t) close.push_back(std::stod(split(lines[t])[1]));
  atc::ComputeOptions options;
  options.backend = atc::Backend::Reference;
  const atc::BatchResult expected = atc::compute(close, atc::Config{}, options);
  const auto view = expected.outputs.view(0);
  for (std::size_t t = 0; t < close.size(); ++t)
    ASSERT_EQ(std::stod(split(lines[t + 1])[2]), view.average_signal[t]) << "bar " << t;
}

TEST_F(CliTest, NaNIsAnEmptyFieldAndTimestampIsOmittedWhenAbsent) {
  std::ofstream input(path("late.csv"));
  input << "close,volume\n";
  const std::vector<double> close = atc::test::random_walk(150, 3);
  for (std::size_t t = 0; t < close.size(); ++t)
    input << (t < 5 ? "" : std::to_string(close[t])) << ",100\n";
  input.close();
  const ProgramRun run = atc("compute '" + path("late.csv").string() + "' --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 151u);
  EXPECT_EQ(split(lines[0]).front(), "close");
  const std::vector<std::string> before_listing = split(lines[1]);
  EXPECT_EQ(before_listing[0], "");  // close
  EXPECT_EQ(before_listing[1], "");  // Average_Signal
  EXPECT_NE(split(lines[6])[1], "") << "listed from the sixth bar";
}

TEST_F(CliTest, CalibrationAddsTheColumnsOfOneFamilyNamedByLength) {
  const fs::path input = write_series(path("x.csv"), 120, 4);
  const ProgramRun run = atc("compute '" + input.string() + "' --calibration dema --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> header = split(lines_of(run.out).front());
  EXPECT_EQ(header.size(), kStandardColumns.size() + 27);
  for (const char* name : {"DEMA_MA_28", "DEMA_Signal_28", "DEMA_S_28", "DEMA_MA_34", "DEMA_S_22"})
    EXPECT_NE(std::find(header.begin(), header.end(), name), header.end()) << name;
}

TEST_F(CliTest, ComputeReportsABadCellByFileLineAndColumn) {
  const fs::path input = write_series(path("bad.csv"), 100, 5,
                                      [](std::vector<std::string>& c) { c[9] = "n/a"; });
  const ProgramRun run = atc("compute '" + input.string() + "' --backend reference");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(contains(run.err, input.string() + ":11:12: ")) << run.err;
}

// `bars` rows of a random walk as "date<sep>close<sep>adjusted", the adjusted close 0.9 of it.
std::string price_rows(std::size_t bars, std::uint64_t seed, char separator, bool decimal_comma) {
  std::string text;
  const std::vector<double> close = atc::test::random_walk(bars, seed);
  for (std::size_t t = 0; t < bars; ++t) {
    std::string cells[2] = {atc::io::format_number(close[t]), atc::io::format_number(close[t] * 0.9)};
    if (decimal_comma)
      for (std::string& cell : cells) std::replace(cell.begin(), cell.end(), '.', ',');
    text += date_after(t) + separator + cells[0] + separator + cells[1] + "\n";
  }
  return text;
}

TEST_F(CliTest, ComputeReadsSemicolonDecimalCommaAndTabFilesLikeTheirCommaTwins) {
  std::ofstream(path("comma.csv")) << "date,close,adj close\n" << price_rows(150, 21, ',', false);
  std::ofstream(path("semicolon.csv")) << "date;close;adj close\n" << price_rows(150, 21, ';', true);
  std::ofstream(path("tab.csv")) << "date\tclose\tadj close\n" << price_rows(150, 21, '\t', false);
  const ProgramRun comma = atc("compute '" + path("comma.csv").string() + "' --backend reference");
  ASSERT_EQ(comma.exit_code, 0) << comma.err;
  for (const char* twin : {"semicolon.csv", "tab.csv"}) {
    const ProgramRun run = atc("compute '" + path(twin).string() + "' --backend reference");
    ASSERT_EQ(run.exit_code, 0) << twin << ": " << run.err;
    EXPECT_EQ(run.out, comma.out) << twin;
  }
}

TEST_F(CliTest, CloseColumnChoosesTheAdjustedClose) {
  std::ofstream(path("both.csv")) << "Date,Close,Adj Close\n" << price_rows(150, 22, ',', false);
  std::ofstream adjusted_only(path("adjusted.csv"));
  adjusted_only << "Date,Close\n";
  const std::vector<double> close = atc::test::random_walk(150, 22);
  for (std::size_t t = 0; t < close.size(); ++t)
    adjusted_only << date_after(t) << "," << atc::io::format_number(close[t] * 0.9) << "\n";
  adjusted_only.close();
  const ProgramRun expected = atc("compute '" + path("adjusted.csv").string() + "' --backend reference");
  const ProgramRun run =
      atc("compute '" + path("both.csv").string() + "' --close-column 'adj close' --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, expected.out);
  EXPECT_TRUE(contains(run.err, "close read from column 'Adj Close'")) << run.err;
  const ProgramRun missing = atc("scan '" + path("adjusted.csv").string() + "' --close-column adj_close");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.out + missing.err, "no column 'adj_close' (--close-column)")) << missing.err;
}

TEST_F(CliTest, EverySourceGivesTheLibrarysResultForThatSrc) {
  const std::size_t bars = 160;
  const std::vector<double> close = atc::test::random_walk(bars, 23), drift = atc::test::random_walk(bars, 24);
  std::vector<double> open(bars), high(bars), low(bars);
  std::ofstream file(path("ohlc.csv"));
  file << "date,open,high,low,close\n";
  for (std::size_t t = 0; t < bars; ++t) {
    // Parsed back from their shortest text, so the file and the test hold the same doubles.
    open[t] = std::stod(atc::io::format_number(close[t] * (1 + (drift[t] - drift[0]) * 1e-3)));
    high[t] = std::stod(atc::io::format_number(std::max(open[t], close[t]) * 1.01));
    low[t] = std::stod(atc::io::format_number(std::min(open[t], close[t]) * 0.985));
    file << date_after(t) << "," << atc::io::format_number(open[t]) << "," << atc::io::format_number(high[t]) << ","
         << atc::io::format_number(low[t]) << "," << atc::io::format_number(close[t]) << "\n";
  }
  file.close();
  const std::vector<std::pair<std::string, std::function<double(std::size_t)>>> sources{
      {"open", [&](std::size_t t) { return open[t]; }},
      {"high", [&](std::size_t t) { return high[t]; }},
      {"low", [&](std::size_t t) { return low[t]; }},
      {"close", [&](std::size_t t) { return close[t]; }},
      {"hl2", [&](std::size_t t) { return (high[t] + low[t]) / 2; }},
      {"hlc3", [&](std::size_t t) { return (high[t] + low[t] + close[t]) / 3; }},
      {"ohlc4", [&](std::size_t t) { return (open[t] + high[t] + low[t] + close[t]) / 4; }},
  };
  ASSERT_EQ(sources.size(), atc::io::kPriceSources.size());
  atc::ComputeOptions options;
  options.backend = atc::Backend::Reference;
  std::string close_output;
  for (const auto& [name, src_at] : sources) {
    const ProgramRun run = atc("compute '" + path("ohlc.csv").string() + "' --source " + name + " --backend reference");
    ASSERT_EQ(run.exit_code, 0) << name << ": " << run.err;
    if (name == "close") close_output = run.out;
    std::vector<double> src(bars);
    for (std::size_t t = 0; t < bars; ++t) src[t] = src_at(t);
    const atc::SeriesView view{"ohlc", close, src};
    const atc::BatchResult expected = atc::compute_batch(std::span(&view, 1), atc::Config{}, options);
    ASSERT_TRUE(expected.status[0].ok()) << expected.status[0].message;
    const std::vector<std::string> lines = lines_of(run.out);
    ASSERT_EQ(lines.size(), bars + 1) << name;
    const auto average = expected.outputs.view(0).average_signal;
    for (std::size_t t = 0; t < bars; ++t) {
      const std::string cell = split(lines[t + 1])[2];
      if (std::isnan(average[t])) {
        ASSERT_EQ(cell, "") << name << " bar " << t;
      } else {
        ASSERT_EQ(std::stod(cell), average[t]) << name << " bar " << t;
        ASSERT_EQ(std::stod(split(lines[t + 1])[1]), close[t]) << "the close column stays close";
      }
    }
  }
  const ProgramRun plain = atc("compute '" + path("ohlc.csv").string() + "' --backend reference");
  EXPECT_EQ(plain.out, close_output) << "close is the default source";
  const ProgramRun hl2 = atc("compute '" + path("ohlc.csv").string() + "' --source hl2 --backend reference");
  EXPECT_NE(hl2.out, close_output) << "the test data tell the sources apart";
}

TEST_F(CliTest, ASourceColumnAFileLacksCostsOnlyThatSymbol) {
  fs::create_directories(path("prices"));
  write_series(path("prices") / "CLOSEONLY.csv", 200, 25);
  std::ofstream full(path("prices") / "FULL.csv");
  full << "date,high,low,close\n";
  const std::vector<double> close = atc::test::random_walk(200, 26);
  for (std::size_t t = 0; t < close.size(); ++t)
    full << date_after(t) << "," << close[t] * 1.01 << "," << close[t] * 0.99 << "," << close[t] << "\n";
  full.close();
  const ProgramRun run = atc("scan '" + path("prices").string() + "' --source hl2 --backend reference");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "FULL")) << run.out;
  EXPECT_TRUE(contains(run.out + run.err, "CLOSEONLY.csv: no 'high' column, which --source hl2 needs"))
      << run.out << run.err;
  const ProgramRun compute = atc("compute '" + (path("prices") / "CLOSEONLY.csv").string() + "' --source ohlc4");
  EXPECT_EQ(compute.exit_code, 1);
  EXPECT_TRUE(contains(compute.err, "no 'open' column, which --source ohlc4 needs")) << compute.err;
  const ProgramRun synthetic = atc("scan --source hl2");
  EXPECT_EQ(synthetic.exit_code, 2);
  EXPECT_TRUE(contains(synthetic.err, "the synthetic market has closes only")) << synthetic.err;
}

TEST_F(CliTest, ScanWritesJsonOfANonUtf8SymbolAndNamesTheReasonWhenItCannotWrite) {
  fs::create_directories(path("latin1"));
  write_series(path("latin1") / "latin1_\xe9.csv", 200, 11);
  write_series(path("latin1") / "PLAIN.csv", 200, 12);
  const ProgramRun run = atc("scan '" + path("latin1").string() + "' --backend cpu -o '" + path("rank.json").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string json = read_text(path("rank.json"));
  EXPECT_TRUE(contains(json, "PLAIN")) << json;
  EXPECT_TRUE(contains(json, "latin1_\xef\xbf\xbd")) << "the invalid byte is replaced by U+FFFD";

  // A target in a directory that does not exist: the reason is named, nothing is left.
  const ProgramRun missing = atc("scan '" + path("latin1").string() + "' --backend cpu -o '" +
                                 (path("nowhere") / "rank.json").string() + "'");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(contains(missing.err, "No such file or directory")) << missing.err;
  EXPECT_FALSE(fs::exists(path("nowhere")));
}

TEST_F(CliTest, ScanReportsEveryUnreadablePathAloneAndRanksTheRest) {
  fs::create_directories(path("mixed"));
  write_series(path("mixed") / "GOOD.csv", 200, 13);
  fs::create_symlink("LOOP.csv", path("mixed") / "LOOP.csv");  // a symlink to itself
  fs::create_symlink("loop", path("mixed") / "loop");          // a loop not named .csv
  fs::create_directories(path("mixed") / "FOLDER.csv");
  ASSERT_EQ(::mkfifo((path("mixed") / "PIPE.csv").c_str(), 0600), 0);  // would block a reader forever
  fs::create_directories(path("empty"));  // a second path that fails alone
  const ProgramRun run = atc("scan '" + path("mixed").string() + "' '" + path("empty").string() + "' --backend cpu");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "GOOD")) << run.out;
  for (const char* bad : {"LOOP.csv", "FOLDER.csv", "PIPE.csv", "no price file (.csv, .json, .feather, .parquet) in directory"})
    EXPECT_TRUE(contains(run.err, bad)) << bad << " not reported:\n" << run.err;
  EXPECT_TRUE(contains(run.err, "not a regular file")) << run.err;
}

TEST_F(CliTest, ScanReadsASymbolGivenTwiceOnceAndSaysSo) {
  fs::create_directories(path("a"));
  fs::create_directories(path("b"));
  write_series(path("a") / "TWICE.csv", 200, 14);
  write_series(path("b") / "TWICE.csv", 200, 15);
  write_series(path("b") / "ONCE.csv", 200, 16);
  const ProgramRun run = atc("scan '" + path("a").string() + "' '" + path("b").string() + "' --backend cpu");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "3 symbols (2 ok, 1 error)")) << run.err;
  EXPECT_TRUE(contains(run.err, "is already read from")) << run.err;
}

TEST_F(CliTest, ScanRanksTheGoodSymbolsAndListsTheBadOne) {
  fs::create_directories(path("data"));
  for (int i = 0; i < 3; ++i) write_series(path("data") / ("GOOD" + std::to_string(i) + ".csv"), 200, 10 + i);
  write_series(path("data") / "BAD.csv", 200, 20, [](std::vector<std::string>& c) { c[50] = "-3"; });
  const ProgramRun run = atc("scan '" + path("data").string() + "' --backend reference --csv '" +
                      path("rank.csv").string() + "' -o '" + path("rank.json").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* symbol : {"GOOD0", "GOOD1", "GOOD2"}) EXPECT_TRUE(contains(run.out, symbol)) << run.out;
  EXPECT_FALSE(contains(run.out, "BAD"));
  EXPECT_TRUE(contains(run.err, "4 symbols (3 ok, 1 error), 800 bars in ")) << run.err;
  EXPECT_TRUE(contains(run.err, "symbol 'BAD', bar 50")) << run.err;
  EXPECT_TRUE(contains(run.err, "timestamp 2000-02-20")) << run.err;

  const std::vector<std::string> csv = lines_of(read_text(path("rank.csv")));
  ASSERT_EQ(csv.size(), 4u);
  EXPECT_EQ(split(csv[0])[1], "symbol");
  double previous = 2.0;
  for (std::size_t i = 1; i < csv.size(); ++i) {
    const double signal = std::stod(split(csv[i])[4]);
    EXPECT_LE(signal, previous) << "ranked by Average_Signal, highest first";
    previous = signal;
  }
  const auto json = nlohmann::json::parse(read_text(path("rank.json")));
  EXPECT_EQ(json["ok"], 3);
  EXPECT_EQ(json["ranking"].size(), 3u);
  EXPECT_EQ(json["ranking"][0]["time_format"], "yyyy-mm-dd");
  ASSERT_EQ(json["symbol_errors"].size(), 1u);
  EXPECT_EQ(json["symbol_errors"][0]["symbol"], "BAD");
  EXPECT_EQ(json["parameters"]["ema_len"], 28);
}

TEST_F(CliTest, ScanReportsAnEquityThatOverflowsAsAnErrorOfItsSymbol) {
  // lambda 50 compounds the growth-weighted returns of 3,000 bars past 1e308; 200 bars stay finite.
  fs::create_directories(path("data"));
  write_series(path("data") / "CALM.csv", 200, 10);
  write_series(path("data") / "HOT.csv", 3000, 11);
  const ProgramRun run = atc("scan '" + path("data").string() + "' --lambda 50 -o '" + path("rank.json").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "2 symbols (1 ok, 1 error)")) << run.err;
  EXPECT_TRUE(contains(run.err, "symbol 'HOT', bar ")) << run.err;
  EXPECT_TRUE(contains(run.err, "no longer finite")) << run.err;
  const auto json = nlohmann::json::parse(read_text(path("rank.json")));
  ASSERT_EQ(json["ranking"].size(), 1u);
  EXPECT_EQ(json["ranking"][0]["symbol"], "CALM");
  ASSERT_EQ(json["symbol_errors"].size(), 1u);
  EXPECT_EQ(json["symbol_errors"][0]["code"], "equity-overflow") << json["symbol_errors"][0].dump();
}

TEST_F(CliTest, ScanReadsALongFormatFileAndReportsMalformedFilesPerSymbol) {
  std::ofstream long_file(path("long.csv"));
  long_file << "symbol,date,close\n";
  const std::vector<double> a = atc::test::random_walk(150, 30), b = atc::test::random_walk(150, 31);
  for (std::size_t t = 0; t < 150; ++t)
    long_file << "AAA," << 1000 + t << "," << a[t] << "\nBBB," << 1000 + t << "," << b[t] << "\n";
  long_file.close();
  std::ofstream(path("broken.csv")) << "date,open\n1,2\n";
  const ProgramRun run = atc("scan '" + path("long.csv").string() + "' '" + path("broken.csv").string() +
                      "' --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "AAA"));
  EXPECT_TRUE(contains(run.out, "BBB"));
  EXPECT_TRUE(contains(run.err, "3 symbols (2 ok, 1 error)")) << run.err;
  EXPECT_TRUE(contains(run.err, path("broken.csv").string() + ":1:1: ")) << run.err;
}

TEST_F(CliTest, TimeFormatSettlesAmbiguousDatesAndIsReported) {
  // Day first, every day 12 or less: 01/01/2000 .. 12/12/2000, a bar on each day of that kind.
  const std::vector<double> close = atc::test::random_walk(144, 40);
  std::ofstream input(path("EU.csv"));
  input << "date,close\n";
  for (std::size_t t = 0; t < close.size(); ++t)
    input << (t % 12 + 1 < 10 ? "0" : "") << t % 12 + 1 << "/" << (t / 12 + 1 < 10 ? "0" : "")
          << t / 12 + 1 << "/2000," << close[t] << "\n";
  input.close();
  const std::string file = "'" + path("EU.csv").string() + "' --backend reference";

  const ProgramRun ambiguous = atc("compute " + file);
  EXPECT_EQ(ambiguous.exit_code, 1);
  EXPECT_TRUE(contains(ambiguous.err, path("EU.csv").string() + ":2:1: ")) << ambiguous.err;
  EXPECT_TRUE(contains(ambiguous.err, "--time-format dmy")) << ambiguous.err;

  const ProgramRun day_first = atc("compute " + file + " --time-format dmy");
  ASSERT_EQ(day_first.exit_code, 0) << day_first.err;
  EXPECT_TRUE(contains(day_first.err, "note: timestamps read as dd/mm/yyyy")) << day_first.err;
  EXPECT_EQ(split(lines_of(day_first.out).back())[0], "12/12/2000") << "written as read";

  // Month first, the same rows are out of order: 02/01 (February 1) comes before 01/02.
  const ProgramRun month_first = atc("compute " + file + " --time-format mdy");
  EXPECT_EQ(month_first.exit_code, 1);
  EXPECT_TRUE(contains(month_first.err, "before the previous one")) << month_first.err;

  fs::create_directories(path("dir"));
  fs::copy_file(path("EU.csv"), path("dir") / "EU.csv");
  write_series(path("dir") / "ISO.csv", 200, 41);
  const ProgramRun scan = atc("scan '" + path("dir").string() + "' --backend reference --time-format dmy");
  EXPECT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_TRUE(contains(scan.out, "EU")) << scan.out;
  EXPECT_TRUE(contains(scan.err, "2 symbols (1 ok, 1 error)")) << scan.err;
  EXPECT_TRUE(contains(scan.err, "timestamps read as dd/mm/yyyy (1 symbol)")) << scan.err;
  EXPECT_TRUE(contains(scan.err, "does not fit --time-format dmy")) << "a given format holds for every file";

  const ProgramRun bad = atc("compute " + file + " --time-format iso");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "--time-format")) << bad.err;
}

TEST_F(CliTest, ScanFailsWhenNoSymbolCanBeComputed) {
  fs::create_directories(path("data"));
  write_series(path("data") / "SHORT.csv", 20, 1);  // fewer bars than DEMA(34) needs
  write_series(path("data") / "ZERO.csv", 200, 2, [](std::vector<std::string>& c) { c[0] = "0.00"; });
  const ProgramRun run = atc("scan '" + path("data").string() + "' --backend reference");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(contains(run.err, "2 symbols (0 ok, 2 errors)")) << run.err;
  EXPECT_TRUE(contains(run.err, "no symbol could be computed")) << run.err;
}

TEST_F(CliTest, ScanOfADirectoryWithoutPriceFilesSaysSo) {
  fs::create_directories(path("empty"));
  const ProgramRun run = atc("scan '" + path("empty").string() + "'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(contains(run.err, "no price file (.csv, .json, .feather, .parquet) in directory")) << run.err;
}

TEST_F(CliTest, DemoRunsOnTheSyntheticMarket) {
  const ProgramRun run = atc("demo --symbols 12 --bars 400 --top 3 --bottom 2 --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "synthetic")) << run.out;
  EXPECT_TRUE(contains(run.out, "SYM0001") || contains(run.out, "SYM0012") || contains(run.out, "..."));
  EXPECT_TRUE(contains(run.err, "12 symbols (")) << run.err;
  EXPECT_TRUE(contains(run.err, "backend reference")) << run.err;
}

// --precision chooses the cuda kernel's float type; the other backends compute in float64
// whatever it says, so the reference run is the same bits either way.
TEST_F(CliTest, PrecisionIsAcceptedAndCheckedAndLeavesOtherBackendsExact) {
  const fs::path input = write_series(path("p.csv"), 300, 11);
  const ProgramRun f64 = atc("compute '" + input.string() + "' --backend reference");
  const ProgramRun f32 = atc("compute '" + input.string() + "' --backend reference --precision float32");
  ASSERT_EQ(f64.exit_code, 0) << f64.err;
  ASSERT_EQ(f32.exit_code, 0) << f32.err;
  EXPECT_EQ(f64.out, f32.out);
  const ProgramRun half = atc("compute '" + input.string() + "' --precision float16");
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_TRUE(contains(half.err, "--precision")) << half.err;
}

TEST_F(CliTest, BadFlagValuesExitWithTwo) {
  const fs::path input = write_series(path("x.csv"), 100, 6);
  const ProgramRun not_a_number = atc("compute '" + input.string() + "' --ema-len abc");
  EXPECT_EQ(not_a_number.exit_code, 2);
  EXPECT_TRUE(contains(not_a_number.err, "--ema-len")) << not_a_number.err;

  const ProgramRun too_short = atc("compute '" + input.string() + "' --ema-len 3");
  EXPECT_EQ(too_short.exit_code, 2);
  EXPECT_TRUE(contains(too_short.err, "error: ema_len = 3")) << too_short.err;

  const ProgramRun thresholds = atc("scan '" + input.string() + "' --long-threshold=-0.5");
  EXPECT_EQ(thresholds.exit_code, 2);
  EXPECT_TRUE(contains(thresholds.err, "error: long_threshold")) << thresholds.err;

  EXPECT_EQ(atc("compute '" + input.string() + "' --backend gpu").exit_code, 2);
  EXPECT_EQ(atc("scan --frobnicate").exit_code, 2);
  EXPECT_EQ(atc("").exit_code, 2) << "a subcommand is required";
}

TEST_F(CliTest, ConfigFilesInJsonAndTomlWithFlagsOverriding) {
  const fs::path input = write_series(path("x.csv"), 150, 7);
  std::ofstream(path("p.json")) << R"({"dema_len": 20, "robustness": "wide", "strategy": true})";
  const ProgramRun json = atc("compute '" + input.string() + "' --config '" + path("p.json").string() +
                       "' --calibration DEMA --backend reference");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::string json_header = lines_of(json.out).front();
  EXPECT_TRUE(contains(json_header, "DEMA_MA_27,")) << "20 + 7 (Wide): " << json_header;

  std::ofstream(path("p.toml")) << "dema_len = 20\nlambda = 0.5\n";
  const ProgramRun toml = atc("compute '" + input.string() + "' --config '" + path("p.toml").string() +
                       "' --dema-len 30 --calibration dema --backend reference");
  ASSERT_EQ(toml.exit_code, 0) << toml.err;
  EXPECT_TRUE(contains(lines_of(toml.out).front(), "DEMA_MA_36,")) << "the flag wins: 30 + 6";
}

TEST_F(CliTest, ConfigFileErrorsNameTheKey) {
  const fs::path input = write_series(path("x.csv"), 100, 8);
  std::ofstream(path("typo.toml")) << "ema_len = 20\nema_lenght = 21\n";
  const ProgramRun unknown = atc("compute '" + input.string() + "' --config '" + path("typo.toml").string() + "'");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "unknown parameter 'ema_lenght'")) << unknown.err;
  EXPECT_TRUE(contains(unknown.err, "typo.toml:2")) << unknown.err;

  std::ofstream(path("type.json")) << R"({"cutout": "ten"})";
  const ProgramRun wrong_type = atc("compute '" + input.string() + "' --config '" + path("type.json").string() + "'");
  EXPECT_EQ(wrong_type.exit_code, 2);
  EXPECT_TRUE(contains(wrong_type.err, "cutout: expected an integer")) << wrong_type.err;

  std::ofstream(path("p.yaml")) << "ema_len: 20\n";
  EXPECT_EQ(atc("compute '" + input.string() + "' --config '" + path("p.yaml").string() + "'").exit_code, 2);
}

TEST_F(CliTest, LiveFollowsStdinWithTheBatchBitsAndResumesFromItsState) {
  // Full files of 400 bars; the live run starts from their first 300 and reads the rest
  // as timestamp,symbol,close lines (one bar per timestamp, both symbols).
  fs::create_directories(path("full"));
  fs::create_directories(path("history"));
  std::ofstream ticks(path("ticks.csv"));
  std::vector<std::vector<std::string>> rows;
  for (const char* symbol : {"AAA", "BBB"}) {
    const fs::path full = write_series(path("full") / (std::string(symbol) + ".csv"), 400, symbol[0]);
    const std::vector<std::string> lines = lines_of(read_text(full));
    std::ofstream history(path("history") / (std::string(symbol) + ".csv"));
    for (std::size_t i = 0; i <= 300; ++i) history << lines[i] << "\n";  // header + 300 bars
    rows.emplace_back(lines.begin() + 301, lines.end());
  }
  for (std::size_t t = 0; t < 100; ++t)
    for (std::size_t s = 0; s < 2; ++s) {
      const std::vector<std::string> cells = split(rows[s][t]);
      ticks << cells[0] << "," << (s == 0 ? "AAA" : "BBB") << "," << cells[1] << "\n";
    }
  ticks.close();
  const ProgramRun run = atc("live '" + path("history").string() + "' --every-bar --json --save '" +
                             path("live.state").string() + "' < '" + path("ticks.csv").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "100 bars taken")) << run.err;
  std::map<std::string, double> last_average;
  std::size_t lines = 0;
  for (const std::string& line : lines_of(run.out)) {
    const auto json = nlohmann::json::parse(line);
    last_average[json["symbol"].get<std::string>()] = json["Average_Signal"].get<double>();
    ++lines;
  }
  EXPECT_EQ(lines, 200u);
  for (const char* symbol : {"AAA", "BBB"}) {
    const ProgramRun full = atc("compute '" + (path("full") / (std::string(symbol) + ".csv")).string() + "'");
    ASSERT_EQ(full.exit_code, 0) << full.err;
    const std::vector<std::string> out = lines_of(full.out);
    EXPECT_EQ(std::stod(split(out.back())[2]), last_average[symbol]) << symbol << ": live equals compute's last bar";
  }
  // The backend picked by auto (cuda where a GPU is usable) prints the same lines.
  const ProgramRun automatic = atc("live '" + path("history").string() + "' --every-bar --json --backend auto < '" +
                                   path("ticks.csv").string() + "'");
  ASSERT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_EQ(automatic.out, run.out);
  EXPECT_EQ(atc("live '" + path("history").string() + "' --backend reference < /dev/null").exit_code, 2);
  const ProgramRun resumed = atc("live --resume '" + path("live.state").string() + "' < /dev/null");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(contains(resumed.err, "live: 2 symbols")) << resumed.err;
  EXPECT_EQ(atc("live < /dev/null").exit_code, 2);  // neither PATHs nor --resume
}

// `atc` running in the background (stdin /dev/null, stdout and stderr into files) while a
// test writes to the files it follows. Killed if still running at the end.
class BackgroundAtc {
 public:
  BackgroundAtc(const std::vector<std::string>& arguments, const fs::path& out, const fs::path& err)
      : out_(out), err_(err) {
#ifdef ATC_CLI_PATH
    std::vector<std::string> args{ATC_CLI_PATH};
    args.insert(args.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
#else
    (void)arguments;
#endif
  }
  ~BackgroundAtc() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  BackgroundAtc(const BackgroundAtc&) = delete;
  BackgroundAtc& operator=(const BackgroundAtc&) = delete;

  std::string out() const { return read_text(out_); }
  std::string err() const { return read_text(err_); }

  // Waits until `ready` holds, or the program exits, or a minute passes (a machine busy
  // with other builds is slow, never that slow); whether `ready` held.
  bool wait_until(const std::function<bool()>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ready()) return true;
      if (exited()) return ready();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  void signal(int number) const { ::kill(pid_, number); }

  // The exit code once it ends (within a minute); -1 if it did not or was killed.
  int exit_code() {
    wait_until([] { return false; });
    return exited() && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

 private:
  bool exited() {
    if (pid_ <= 0) return true;
    if (::waitpid(pid_, &status_, WNOHANG) != pid_) return false;
    pid_ = 0;
    return true;
  }

  fs::path out_, err_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// Appends `text` to a file, flushed at once as a writer's appended row is.
void append(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << text;
}

// The Average_Signal, state and direction that a reference batch gives bar `bar` of a
// JSON line's symbol, read from `series` (as the program reads it).
void expect_batch_bits(const nlohmann::json& line, const atc::io::CsvSeries& series) {
  atc::ComputeOptions options;
  options.backend = atc::Backend::Reference;
  const atc::SeriesView view{series.symbol, series.close, {}};
  const atc::BatchResult batch = atc::compute_batch(std::span(&view, 1), atc::Config{}, options);
  ASSERT_TRUE(batch.status[0].ok()) << batch.status[0].message;
  const auto out = batch.outputs.view(0);
  const auto bar = line["bar"].get<std::size_t>();
  ASSERT_LT(bar, out.bars()) << line;
  EXPECT_EQ(line["timestamp"].get<std::string>(), series.timestamps[bar]) << line;
  EXPECT_EQ(line["Average_Signal"].get<double>(), out.average_signal[bar]) << line;
  EXPECT_EQ(line["state"].get<int>(), out.state[bar]) << line;
  EXPECT_EQ(line["direction"].get<int>(), out.direction[bar]) << line;
}

TEST_F(CliTest, LiveFollowsAppendedRowsAsStdinGivesThemWithTheBatchBits) {
  // Three symbols of 330 bars: the followed files start with their first 300 and grow by
  // the rest, AAA and BBB to the end, CCC to bar 309 and then truncated. The same bars as
  // stdin lines give the same output, and each bar's outputs are the batch's bits.
  const std::vector<std::string> symbols{"AAA", "BBB", "CCC"};
  constexpr std::size_t kHistory = 300, kBars = 330, kTruncatedAt = 310;
  fs::create_directories(path("full"));
  fs::create_directories(path("history"));
  fs::create_directories(path("followed"));
  std::map<std::string, std::vector<std::string>> rows;  // per symbol: its appended rows
  std::map<std::string, std::size_t> lines;               // per followed file: its lines
  for (const std::string& symbol : symbols) {
    const std::vector<std::string> all = lines_of(read_text(write_series(path("full") / (symbol + ".csv"), kBars, symbol[0])));
    std::ofstream history(path("history") / (symbol + ".csv"));
    for (std::size_t i = 0; i <= kHistory; ++i) history << all[i] << "\n";  // header + the history
    history.close();
    fs::copy_file(path("history") / (symbol + ".csv"), path("followed") / (symbol + ".csv"));
    rows[symbol].assign(all.begin() + 1 + kHistory, all.end());
    lines[symbol] = kHistory + 1;
  }
  const auto followed = [&](const std::string& symbol) { return path("followed") / (symbol + ".csv"); };
  const auto append_line = [&](const std::string& symbol, const std::string& line) {
    append(followed(symbol), line + "\n");
    return ++lines[symbol];
  };
  const std::size_t updates = kBars - kHistory;  // one per timestamp: CCC's are among the first ones
  BackgroundAtc run({"live", path("followed").string(), "--follow", "--json", "--every-bar", "--poll-ms", "20",
                     "--bar-wait-ms", "600000", "--max-bars", std::to_string(updates)},
                    path("follow.out"), path("follow.err"));
  ASSERT_TRUE(run.wait_until([&] { return contains(run.err(), "following 3 files"); })) << run.err();

  std::size_t malformed_line = 0, out_of_order_line = 0;
  for (std::size_t t = 0; t < kTruncatedAt - kHistory; ++t) {
    for (const std::string& symbol : symbols) {
      const std::string& row = rows[symbol][t];
      if (symbol == "AAA" && t == 3) {  // written in two parts: the first waits for its newline
        append(followed(symbol), row.substr(0, 7));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        append_line(symbol, row.substr(7));
      } else if (symbol == "AAA" && t == 5) {
        malformed_line = append_line(symbol, split(row)[0] + ",not a close");
        append_line(symbol, row);
      } else if (symbol == "BBB" && t == 7) {
        append_line(symbol, row);
        out_of_order_line = append_line(symbol, rows[symbol][t - 1]);
      } else {
        append_line(symbol, row);
      }
    }
  }
  const std::size_t lines_before_truncation = symbols.size() * (kTruncatedAt - kHistory);
  ASSERT_TRUE(run.wait_until([&] { return lines_of(run.out()).size() == lines_before_truncation; }))
      << run.out() << run.err();
  fs::resize_file(followed("CCC"), 100);
  for (std::size_t t = kTruncatedAt - kHistory; t < kBars - kHistory; ++t)
    for (const std::string symbol : {"AAA", "BBB"}) append_line(symbol, rows[symbol][t]);
  ASSERT_EQ(run.exit_code(), 0) << run.err();
  const std::string err = run.err();
  EXPECT_TRUE(contains(err, followed("AAA").string() + ":" + std::to_string(malformed_line) + ":")) << err;
  EXPECT_TRUE(contains(err, "'not a close' in column 'close' is not a number; skipped")) << err;
  EXPECT_TRUE(contains(err, followed("BBB").string() + ":" + std::to_string(out_of_order_line) +
                                ": timestamp '" + split(rows["BBB"][6])[0] + "' of BBB is not after its last one '" +
                                split(rows["BBB"][7])[0] + "'; skipped"))
      << err;
  EXPECT_TRUE(contains(err, "error: " + followed("CCC").string() + " was truncated")) << err;
  EXPECT_TRUE(contains(err, "CCC no longer followed")) << err;
  EXPECT_TRUE(contains(err, "live: " + std::to_string(updates) + " bars taken")) << err;

  std::ofstream ticks(path("ticks.csv"));
  for (std::size_t t = 0; t < kBars - kHistory; ++t)
    for (const std::string& symbol : symbols)
      if (symbol != "CCC" || t < kTruncatedAt - kHistory) {
        const std::vector<std::string> cells = split(rows[symbol][t]);
        ticks << cells[0] << "," << symbol << "," << cells[1] << "\n";
      }
  ticks.close();
  const ProgramRun stdin_run =
      atc("live '" + path("history").string() + "' --json --every-bar < '" + path("ticks.csv").string() + "'");
  ASSERT_EQ(stdin_run.exit_code, 0) << stdin_run.err;
  const std::string out = run.out();
  EXPECT_EQ(out, stdin_run.out);
  EXPECT_EQ(lines_of(out).size(), lines_before_truncation + 2 * (kBars - kTruncatedAt));

  std::map<std::string, atc::io::CsvSeries> full;
  for (const std::string& symbol : symbols) full[symbol] = atc::io::read_series_csv(path("full") / (symbol + ".csv"));
  for (const std::string& text : lines_of(out)) {
    const nlohmann::json line = nlohmann::json::parse(text);
    expect_batch_bits(line, full.at(line["symbol"].get<std::string>()));
  }
}

TEST_F(CliTest, LiveFollowTakesABarWithoutTheFilesThatLagAndSavesOnSigterm) {
  fs::create_directories(path("followed"));
  const fs::path a = write_series(path("followed") / "AAA.csv", 200, 1);
  const fs::path b = write_series(path("followed") / "BBB.csv", 200, 2);
  fs::copy(path("followed"), path("history"));
  const std::string next = date_after(200);
  BackgroundAtc run({"live", path("followed").string(), "--follow", "--json", "--every-bar", "--poll-ms", "20",
                     "--bar-wait-ms", "50", "--save", path("live.state").string()},
                    path("follow.out"), path("follow.err"));
  ASSERT_TRUE(run.wait_until([&] { return contains(run.err(), "following 2 files"); })) << run.err();
  // BBB's row comes after the bar of its timestamp was taken without it: it is a bar of
  // its own, with the outputs one bar of both would give.
  append(a, next + ",101.5\n");
  ASSERT_TRUE(run.wait_until([&] { return lines_of(run.out()).size() == 1; })) << run.err();
  append(b, next + ",99.25\n");
  ASSERT_TRUE(run.wait_until([&] { return lines_of(run.out()).size() == 2; })) << run.err();
  run.signal(SIGTERM);
  ASSERT_EQ(run.exit_code(), 0) << run.err();
  EXPECT_TRUE(contains(run.err(), "live: 2 bars taken (interrupted)")) << run.err();
  EXPECT_TRUE(contains(run.err(), "state saved to")) << run.err();

  std::ofstream(path("ticks.csv")) << next << ",AAA,101.5\n" << next << ",BBB,99.25\n";
  const ProgramRun stdin_run =
      atc("live '" + path("history").string() + "' --json --every-bar < '" + path("ticks.csv").string() + "'");
  ASSERT_EQ(stdin_run.exit_code, 0) << stdin_run.err;
  EXPECT_EQ(run.out(), stdin_run.out);
  const ProgramRun resumed = atc("live --resume '" + path("live.state").string() + "' < /dev/null");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_TRUE(contains(resumed.err, "live: 2 symbols")) << resumed.err;
  EXPECT_EQ(atc("live --resume '" + path("live.state").string() + "' --follow").exit_code, 2);
}

TEST_F(CliTest, CudaWithoutAGpuIsAClearError) {
  if (atc::cuda_available()) GTEST_SKIP() << "a usable GPU is present";
  const fs::path input = write_series(path("x.csv"), 100, 9);
  const ProgramRun run = atc("compute '" + input.string() + "' --backend cuda");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(contains(run.err, "error: ")) << run.err;
  EXPECT_TRUE(contains(run.err, "cuda")) << run.err;
  EXPECT_TRUE(run.out.empty()) << "nothing is computed";
}

TEST_F(CliTest, VersionAndHelp) {
  const ProgramRun version = atc("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(contains(version.out, "atc ")) << version.out;
  const ProgramRun help = atc("scan --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--top", "--sort", "--state", "--min-signal", "--min-bars", "--last", "--include-stale", "--json", "--kama-w", "--short-threshold", "--config", "--devices", "--gaps",
                           "--time-format"})
    EXPECT_TRUE(contains(help.out, flag)) << flag;
}

namespace ranking_tests {

using nlohmann::json;

// -1 when row a must come first by the default order of README "Ranking", 1 when b must,
// 0 when the keys tie (then the symbol decides).
int default_order(const json& a, const json& b) {
  const auto number = [](const json& v) { return v.is_null() ? -2.0 : v.get<double>(); };
  for (const char* key : {"average_signal", "consensus"}) {
    if (number(a[key]) != number(b[key])) return number(a[key]) > number(b[key]) ? -1 : 1;
  }
  const auto since = [](const json& r) {
    return r["bars_since_entry"].is_null() ? SIZE_MAX : r["bars_since_entry"].get<std::size_t>();
  };
  if (since(a) != since(b)) return since(a) < since(b) ? -1 : 1;
  return 0;
}

}  // namespace ranking_tests

TEST_F(CliTest, ScanBreaksTiesByConsensusThenLatestEntryThenSymbol) {
  const ProgramRun run = atc("demo --symbols 80 --bars 400 --backend reference -o '" + path("rank.json").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto document = nlohmann::json::parse(read_text(path("rank.json")));
  EXPECT_EQ(document["order"], nlohmann::json({"average_signal descending", "consensus descending",
                                               "bars_since_entry ascending (none last)", "symbol"}));
  const auto& ranking = document["ranking"];
  ASSERT_EQ(ranking.size(), 80u);
  std::size_t signal_ties = 0, consensus_ties = 0;
  for (std::size_t i = 1; i < ranking.size(); ++i) {
    const auto &a = ranking[i - 1], &b = ranking[i];
    const int order = ranking_tests::default_order(a, b);
    EXPECT_LE(order, 0) << a.dump() << "\nbefore\n" << b.dump();
    if (order == 0) {
      EXPECT_LT(a["symbol"].get<std::string>(), b["symbol"].get<std::string>());
    }
    if (a["average_signal"] == b["average_signal"]) {
      ++signal_ties;
      if (a["consensus"] == b["consensus"]) ++consensus_ties;
    }
  }
  EXPECT_GT(signal_ties, 0u) << "the market must hold ties for this test to mean something";
  EXPECT_GT(consensus_ties, 0u);
  for (const auto& r : ranking) {
    ASSERT_TRUE(r["consensus"].is_number()) << r.dump();
    EXPECT_LE(std::abs(r["consensus"].get<double>()), 1.0);
  }
}

TEST_F(CliTest, ScanPrintsLongAndShortTablesAndTheNeutralCount) {
  const ProgramRun run = atc("demo --symbols 40 --bars 400 --top 3 --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "LONG (")) << run.out;
  EXPECT_TRUE(contains(run.out, "SHORT (")) << run.out;
  EXPECT_TRUE(contains(run.out, "neutral symbol")) << run.out;
  EXPECT_TRUE(contains(run.out, "... and ")) << "tables hold --top rows: " << run.out;
  const ProgramRun longs = atc("demo --symbols 40 --bars 400 --state long --backend reference");
  ASSERT_EQ(longs.exit_code, 0) << longs.err;
  EXPECT_TRUE(contains(longs.out, "LONG (")) << longs.out;
  EXPECT_FALSE(contains(longs.out, "SHORT")) << longs.out;
}

TEST_F(CliTest, ScanMarksASymbolWhoseDataEndedEarlierStaleAndRanksItOnlyOnRequest) {
  fs::create_directories(path("data"));
  write_series(path("data") / "FRESH.csv", 300, 1);
  write_series(path("data") / "DAYLATE.csv", 299, 2);  // one bar behind: not stale
  write_series(path("data") / "OLD.csv", 295, 3);      // five bars behind
  std::ofstream untimed(path("data") / "UNTIMED.csv");  // no timestamps: never stale
  untimed << "close\n";
  for (double c : atc::test::random_walk(250, 4)) untimed << c << "\n";
  untimed.close();

  const ProgramRun run = atc("scan '" + path("data").string() + "' --backend reference -o '" + path("rank.json").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto document = nlohmann::json::parse(read_text(path("rank.json")));
  std::vector<std::string> ranked;
  for (const auto& r : document["ranking"]) {
    ranked.push_back(r["symbol"]);
    EXPECT_FALSE(r["stale"].get<bool>()) << r.dump();
  }
  std::sort(ranked.begin(), ranked.end());
  EXPECT_EQ(ranked, (std::vector<std::string>{"DAYLATE", "FRESH", "UNTIMED"}));
  ASSERT_EQ(document["stale_symbols"].size(), 1u);
  EXPECT_EQ(document["stale_symbols"][0]["symbol"], "OLD");
  EXPECT_TRUE(contains(run.out, "1 stale symbol")) << run.out;
  EXPECT_TRUE(contains(run.out, "OLD (last bar " + date_after(294) + ")")) << run.out;

  const ProgramRun included = atc("scan '" + path("data").string() + "' --include-stale --backend reference --csv '" +
                                  path("rank.csv").string() + "'");
  ASSERT_EQ(included.exit_code, 0) << included.err;
  const std::vector<std::string> csv = lines_of(read_text(path("rank.csv")));
  ASSERT_EQ(csv.size(), 5u);
  const std::vector<std::string> header = split(csv[0]);
  const auto stale_column = std::find(header.begin(), header.end(), "stale") - header.begin();
  ASSERT_LT(static_cast<std::size_t>(stale_column), header.size());
  for (std::size_t i = 1; i < csv.size(); ++i) {
    const std::vector<std::string> row = split(csv[i]);
    EXPECT_EQ(row[static_cast<std::size_t>(stale_column)], row[1] == "OLD" ? "true" : "false") << csv[i];
  }
}

TEST_F(CliTest, ScanFiltersByStateSignalAndBars) {
  const std::string demo = "demo --symbols 60 --bars 400 --backend reference -o '" + path("rank.json").string() + "'";
  const auto ranking_of = [&](const std::string& flags) {
    const ProgramRun run = atc(demo + " " + flags);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return nlohmann::json::parse(read_text(path("rank.json")));
  };
  const auto all = ranking_of("");
  ASSERT_EQ(all["ranking"].size(), 60u);

  for (const char* state : {"long", "short", "neutral"}) {
    const auto only = ranking_of(std::string("--state ") + state);
    std::size_t expected = 0;
    for (const auto& r : all["ranking"]) expected += r["state"] == std::string(state == std::string("long") ? "LONG" : state == std::string("short") ? "SHORT" : "NEUTRAL");
    EXPECT_EQ(only["ranking"].size(), expected) << state;
    EXPECT_EQ(only["filtered_out"].get<std::size_t>(), 60u - expected) << state;
  }

  const auto strong = ranking_of("--min-signal 0.9");
  EXPECT_LT(strong["ranking"].size(), 60u);
  EXPECT_GT(strong["ranking"].size(), 0u);
  for (const auto& r : strong["ranking"]) EXPECT_GE(std::abs(r["average_signal"].get<double>()), 0.9) << r.dump();

  const auto listed_long = ranking_of("--min-bars 400");
  EXPECT_LT(listed_long["ranking"].size(), 60u) << "the demo lists a few symbols late";
  for (const auto& r : listed_long["ranking"]) EXPECT_EQ(r["bars"], 400) << r.dump();
}

TEST_F(CliTest, ScanSortsBySymbolBarsEntryOrConsensus) {
  const std::string demo = "demo --symbols 40 --bars 400 --backend reference -o '" + path("rank.json").string() + "'";
  const auto ranking_of = [&](const std::string& key) {
    const ProgramRun run = atc(demo + " --sort " + key);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return nlohmann::json::parse(read_text(path("rank.json")))["ranking"];
  };
  const auto by_symbol = ranking_of("symbol");
  for (std::size_t i = 1; i < by_symbol.size(); ++i)
    EXPECT_LT(by_symbol[i - 1]["symbol"].get<std::string>(), by_symbol[i]["symbol"].get<std::string>());
  const auto by_bars = ranking_of("bars");
  for (std::size_t i = 1; i < by_bars.size(); ++i) EXPECT_GE(by_bars[i - 1]["bars"], by_bars[i]["bars"]);
  const auto by_entry = ranking_of("entry");
  for (std::size_t i = 1; i < by_entry.size(); ++i) {
    const auto &a = by_entry[i - 1]["bars_since_entry"], &b = by_entry[i]["bars_since_entry"];
    if (!a.is_null() && !b.is_null()) {
      EXPECT_LE(a.get<std::size_t>(), b.get<std::size_t>());
    }
    EXPECT_FALSE(a.is_null() && !b.is_null()) << "symbols without an entry come last";
  }
  const auto by_consensus = ranking_of("consensus");
  for (std::size_t i = 1; i < by_consensus.size(); ++i)
    EXPECT_GE(by_consensus[i - 1]["consensus"].get<double>(), by_consensus[i]["consensus"].get<double>());
  EXPECT_EQ(atc("demo --sort volume").exit_code, 2);
}

TEST_F(CliTest, ScanLastComputesOnTheLastBarsAsIfTheFileHeldOnlyThose) {
  fs::create_directories(path("full"));
  fs::create_directories(path("sliced"));
  const fs::path full = write_series(path("full") / "X.csv", 400, 21);
  const std::vector<std::string> lines = lines_of(read_text(full));
  std::ofstream sliced(path("sliced") / "X.csv");
  sliced << lines[0] << "\n";
  for (std::size_t t = lines.size() - 150; t < lines.size(); ++t) sliced << lines[t] << "\n";
  sliced.close();

  const auto row_of = [&](const std::string& arguments) {
    const ProgramRun run = atc("scan " + arguments + " --backend reference -o '" + path("rank.json").string() + "'");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return nlohmann::json::parse(read_text(path("rank.json")))["ranking"].at(0);
  };
  const auto last = row_of("'" + path("full").string() + "' --last 150");
  const auto expected = row_of("'" + path("sliced").string() + "'");
  EXPECT_EQ(last, expected);
  EXPECT_EQ(last["bars"], 150);
  EXPECT_NE(row_of("'" + path("full").string() + "'")["bars"], 150);
}

TEST_F(CliTest, AUsageErrorIsShortAndPointsToTheHelp) {
  const ProgramRun run = atc("scan --frobnicate");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "--frobnicate")) << run.err;
  EXPECT_TRUE(contains(run.err, "run 'atc scan --help'")) << run.err;
  EXPECT_LT(lines_of(run.err).size(), 10u) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST_F(CliTest, NumbersAreWrittenInTheirShortestExactForm) {
  const fs::path input = write_series(path("BTC.csv"), 200, 22,
                                      [](std::vector<std::string>& c) { c.back() = "120461.6"; });
  const ProgramRun run = atc("compute '" + input.string() + "' --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(split(lines_of(run.out).back())[1], "120461.6") << "not 120461.60000000001";
}

TEST_F(CliTest, CountsAreWrittenWithTheirSingularOrPlural) {
  const fs::path input = write_series(path("ONE.csv"), 200, 23, [](std::vector<std::string>& c) { c[100] = ""; });
  const ProgramRun run = atc("scan '" + input.string() + "' --gaps ffill --backend reference");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "1 symbol (1 ok, 0 errors), 200 bars in ")) << run.err;
  EXPECT_TRUE(contains(run.err, "1 missing close was forward-filled in 1 symbol")) << run.err;
  EXPECT_TRUE(contains(run.err, "timestamps read as yyyy-mm-dd (1 symbol)")) << run.err;
  // A count of 1 with a plural noun; a rate such as "301 symbols/s" is fine.
  EXPECT_FALSE(std::regex_search(run.err, std::regex("(^|[^0-9.,])1 symbols"))) << run.err;
  const ProgramRun compute = atc("compute '" + input.string() + "' --gaps ffill --backend reference");
  ASSERT_EQ(compute.exit_code, 0) << compute.err;
  EXPECT_TRUE(contains(compute.err, "note: 1 missing close was forward-filled")) << compute.err;
}

TEST_F(CliTest, SweepRowsAreTheLibrarysSweepToTheLastBit) {
  using namespace atc;
  fs::create_directories(path("data"));
  for (int i = 0; i < 3; ++i) write_series(path("data") / ("S" + std::to_string(i) + ".csv"), 400, 30 + i);
  write_series(path("data") / "YOUNG.csv", 60, 40);  // too short for len 40
  const ProgramRun run = atc("sweep '" + path("data").string() +
                             "' --grid len=14,40 --grid lambda=0.01:0.03:0.01 --grid robustness=Narrow,Wide "
                             "--fee-bps 5 --position direction --bars-per-year 365 --backend cpu -o '" +
                             path("rows.csv").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "12 configurations x 4 symbols = 48 rows on cpu")) << run.out;
  EXPECT_TRUE(contains(run.out, "too-short: 6 rows")) << run.out;

  std::vector<io::CsvSeries> files;
  std::vector<SeriesView> views;
  for (const char* name : {"S0", "S1", "S2", "YOUNG"})
    files.push_back(io::read_series_csv(path("data") / (std::string(name) + ".csv")));
  for (const io::CsvSeries& f : files) views.push_back({f.symbol, f.close, {}});
  std::vector<Config> configs;
  for (int len : {14, 40})
    for (double lambda : {0.01, 0.02, 0.03})
      for (Robustness r : {Robustness::Narrow, Robustness::Wide}) {
        Config c;
        c.length.fill(len);
        c.lambda = lambda;
        c.robustness = r;
        configs.push_back(c);
      }
  SweepOptions options;
  options.compute.backend = Backend::Cpu;
  options.backtest = {PositionSource::Direction, PositionSide::LongShort, 5.0, 365.0};
  const SweepResult expected = sweep(views, configs, options);

  const std::vector<std::string> csv = lines_of(read_text(path("rows.csv")));
  ASSERT_EQ(csv.size(), 49u);
  const std::vector<std::string> header = split(csv[0]);
  ASSERT_EQ(header[1], "len");
  ASSERT_EQ(header[4], "symbol");
  const auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (std::size_t i = 1; i < csv.size(); ++i) {
    const std::vector<std::string> cells = split(csv[i]);
    const SweepRow& row = expected.rows[i - 1];
    ASSERT_EQ(cells[column("symbol")], expected.symbols[row.symbol]);
    EXPECT_EQ(cells[column("code")], status_code_name(row.status.code)) << csv[i];
    if (!row.status.ok()) continue;
    for (const MetricInfo& m : metrics())
      EXPECT_EQ(cells[column(std::string(m.name))], io::format_number(metric_value(row.metrics, m.metric)))
          << m.name << " of row " << i;
    EXPECT_EQ(cells[column("Average_Signal")], io::format_number(row.average_signal));
  }
}

TEST_F(CliTest, SweepInfersBarsPerYearFromTheDatesOrAsksForIt) {
  write_series(path("daily.csv"), 300, 3);
  const ProgramRun daily = atc("sweep '" + path("daily.csv").string() + "' --grid len=14,20");
  ASSERT_EQ(daily.exit_code, 0) << daily.err;
  EXPECT_TRUE(contains(daily.out, "bars per year 365.25 (inferred from each symbol's timestamps)")) << daily.out;
  std::ofstream(path("plain.csv")) << "Close\n" << [] {
    std::string rows;
    for (double c : atc::test::random_walk(300, 4)) rows += std::to_string(c) + "\n";
    return rows;
  }();
  const ProgramRun plain = atc("sweep '" + path("plain.csv").string() + "' --grid len=14,20");
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_TRUE(contains(plain.err, "--bars-per-year")) << plain.err;
}

TEST_F(CliTest, SweepGridErrorsNameTheParameterAndValue) {
  write_series(path("a.csv"), 300, 5);
  const std::string file = "'" + path("a.csv").string() + "'";
  for (const auto& [grid, message] : std::vector<std::pair<std::string, std::string>>{
           {"ema_len=14,3", "grid value ema_len=3"},
           {"foo=1,2", "unknown parameter 'foo'"},
           {"len=10:20:2.5", "not an integer"},
           {"lambda=0.1:0.01:0.01", "STOP >= START"},
           {"robustness=Narrow,Huge", "grid value robustness=Huge"},
           {"ema_len", "expected NAME=VALUE"}}) {
    const ProgramRun run = atc("sweep " + file + " --grid " + grid);
    EXPECT_EQ(run.exit_code, 2) << grid;
    EXPECT_TRUE(contains(run.err, message)) << grid << ": " << run.err;
  }
}

// Hourly OHLC bars from 2024-01-01 03:00 UTC, as freqtrade stores them.
struct HourlyBars {
  std::vector<std::int64_t> seconds;
  std::vector<double> open, high, low, close;
};

HourlyBars hourly_bars(std::size_t bars, std::uint64_t seed) {
  HourlyBars b;
  b.close = atc::test::random_walk(bars, seed);
  for (std::size_t t = 0; t < bars; ++t) {
    b.seconds.push_back(1704067200 + 3 * 3600 + static_cast<std::int64_t>(t) * 3600);
    b.open.push_back(t ? b.close[t - 1] : b.close[t]);
    b.high.push_back(std::max(b.open[t], b.close[t]) * (1.0 + 0.001 * static_cast<double>(t % 7)));
    b.low.push_back(std::min(b.open[t], b.close[t]) * (1.0 - 0.001 * static_cast<double>(t % 5)));
  }
  return b;
}

// freqtrade's JSON data format: [timestamp_ms, open, high, low, close, volume] per candle.
void write_freqtrade_json(const fs::path& file, const HourlyBars& b) {
  std::ofstream out(file);
  out << "[";
  for (std::size_t t = 0; t < b.close.size(); ++t)
    out << (t ? "," : "") << "[" << b.seconds[t] * 1000 << "," << atc::io::format_number(b.open[t]) << ","
        << atc::io::format_number(b.high[t]) << "," << atc::io::format_number(b.low[t]) << ","
        << atc::io::format_number(b.close[t]) << ",1.5]";
  out << "]";
}

void write_ohlc_csv(const fs::path& file, const HourlyBars& b) {
  std::ofstream out(file);
  out << "timestamp,open,high,low,close\n";
  for (std::size_t t = 0; t < b.close.size(); ++t)
    out << b.seconds[t] << "," << atc::io::format_number(b.open[t]) << "," << atc::io::format_number(b.high[t])
        << "," << atc::io::format_number(b.low[t]) << "," << atc::io::format_number(b.close[t]) << "\n";
}

// The last bar of the library's reference computation of `close` (and `src`).
std::pair<double, int> last_bar_of(const std::vector<double>& close, const std::vector<double>& src = {}) {
  atc::ComputeOptions options;
  options.backend = atc::Backend::Reference;
  const atc::SeriesView view{"x", close, src};
  const atc::BatchResult result = atc::compute_batch(std::span(&view, 1), atc::Config{}, options);
  EXPECT_TRUE(result.status[0].ok()) << result.status[0].message;
  const auto out = result.outputs.view(0);
  return {out.average_signal[out.bars() - 1], out.state[out.bars() - 1]};
}

const nlohmann::json& row_of_symbol(const nlohmann::json& ranking, const std::string& symbol) {
  for (const nlohmann::json& row : ranking)
    if (row["symbol"] == symbol) return row;
  ADD_FAILURE() << symbol << " not ranked";
  static const nlohmann::json none;
  return none;
}

TEST_F(CliTest, ScanRanksAFreqtradeDataDirectoryOfJsonAndCsvFiles) {
  fs::create_directories(path("binance"));
  const HourlyBars btc = hourly_bars(300, 31), eth = hourly_bars(300, 32);
  write_freqtrade_json(path("binance") / "BTC_USDT-1h.json", btc);
  write_ohlc_csv(path("binance") / "ETH_USDT-1h.csv", eth);
  // The same pair in two formats: the file read first (in name order, .csv before .json) counts.
  write_ohlc_csv(path("binance") / "SOL_USDT-1h.csv", hourly_bars(300, 33));
  write_freqtrade_json(path("binance") / "SOL_USDT-1h.json", hourly_bars(300, 34));
  std::ofstream(path("binance") / "XRP_USDT-1h.json") << "[[1704067200000, 1, 2, 0.5, \"1.5\", 10]]";
  std::ofstream(path("binance") / "notes.txt") << "not a price file";

  const ProgramRun run = atc("scan '" + path("binance").string() + "' --backend reference -o '" +
                             path("rank.json").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "5 symbols (3 ok, 2 errors)")) << run.err;
  EXPECT_TRUE(contains(run.err, "SOL_USDT-1h.json is already read from")) << run.err;
  EXPECT_TRUE(contains(run.err, "XRP_USDT-1h.json: candle [0]: close \"1.5\" is not a number")) << run.err;
  EXPECT_TRUE(contains(run.err, "epoch milliseconds (1 symbol)")) << run.err;
  const nlohmann::json document = nlohmann::json::parse(read_text(path("rank.json")));
  for (const auto& [symbol, bars] : {std::pair{"BTC_USDT", &btc}, std::pair{"ETH_USDT", &eth}}) {
    const nlohmann::json& row = row_of_symbol(document["ranking"], symbol);
    EXPECT_EQ(row["average_signal"].get<double>(), last_bar_of(bars->close).first) << symbol;
    EXPECT_EQ(row["last_timestamp"], std::string(symbol) == "BTC_USDT" ? std::to_string(bars->seconds.back() * 1000)
                                                                       : std::to_string(bars->seconds.back()));
  }
  row_of_symbol(document["ranking"], "SOL_USDT");
}

TEST_F(CliTest, ParquetAndFeatherWithoutPythonOrPyarrowAreErrorsNamingWhatToInstall) {
  fs::create_directories(path("data"));
  fs::create_directories(path("no_pyarrow"));
  write_ohlc_csv(path("data") / "ETH_USDT-1h.csv", hourly_bars(300, 35));
  std::ofstream(path("data") / "BTC_USDT-1h.feather") << "never read";
  std::ofstream(path("data") / "ADA_USDT-1h.parquet") << "never read";
  // A pyarrow that cannot be imported, first on Python's path.
  std::ofstream(path("no_pyarrow") / "pyarrow.py") << "raise ImportError('no pyarrow here')\n";
  const std::string scan = "scan '" + path("data").string() + "' --backend cpu";
  const ProgramRun shadowed =
      run_with_environment("PYTHONPATH='" + path("no_pyarrow").string() + "'", scan);
  ASSERT_EQ(shadowed.exit_code, 0) << shadowed.err;
  EXPECT_TRUE(contains(shadowed.err, "3 symbols (1 ok, 2 errors)")) << shadowed.err;
  for (const char* file : {"BTC_USDT-1h.feather: reading it needs ", "ADA_USDT-1h.parquet: reading it needs "})
    EXPECT_TRUE(contains(shadowed.err, file)) << shadowed.err;
  EXPECT_TRUE(contains(shadowed.err, "pip install ")) << shadowed.err;
  EXPECT_TRUE(contains(shadowed.err, "pyarrow")) << shadowed.err;

  const ProgramRun no_python = run_with_environment("PATH=/nonexistent", scan);
  ASSERT_EQ(no_python.exit_code, 0) << no_python.err;
  EXPECT_TRUE(contains(no_python.err, "BTC_USDT-1h.feather: cannot run python3")) << no_python.err;
  EXPECT_TRUE(contains(no_python.err, "pip install pandas pyarrow")) << no_python.err;
}

// The closes and hl2 of `b` in buckets of `seconds` from the first bar's midnight, as
// --timeframes makes them; the last bucket dropped unless `keep_partial` when it ends
// after the last bar plus an hour (the bar spacing).
std::pair<std::vector<double>, std::vector<double>> resampled(const HourlyBars& b, std::int64_t seconds,
                                                              bool keep_partial) {
  const std::int64_t origin = b.seconds.front() / 86400 * 86400;
  std::vector<double> close, hl2;
  std::int64_t bucket = -1;
  double high = 0, low = 0;
  for (std::size_t t = 0; t < b.close.size(); ++t) {
    const std::int64_t k = (b.seconds[t] - origin) / seconds;
    if (k != bucket) {
      if (bucket >= 0) hl2.push_back((high + low) / 2);
      close.push_back(b.close[t]);
      high = b.high[t];
      low = b.low[t];
      bucket = k;
    }
    close.back() = b.close[t];
    high = std::max(high, b.high[t]);
    low = std::min(low, b.low[t]);
  }
  hl2.push_back((high + low) / 2);
  if (!keep_partial && b.seconds.back() + 3600 < origin + (bucket + 1) * seconds) {
    close.pop_back();
    hl2.pop_back();
  }
  return {close, hl2};
}

TEST_F(CliTest, ScanTimeframesComputesEachResampledSeriesAndTheirConsensus) {
  // 75 days and 10 hours from 03:00: a first day of 21 bars and a last one still forming.
  const HourlyBars bars = hourly_bars(24 * 75 + 10, 36);
  write_ohlc_csv(path("X.csv"), bars);
  const std::vector<std::pair<std::string, std::int64_t>> timeframes{{"1h", 3600}, {"5h", 5 * 3600}, {"1d", 86400}};
  for (const bool keep : {false, true})
    for (const std::string source : {"close", "hl2"}) {
      const std::string arguments = "scan '" + path("X.csv").string() + "' --timeframes 1h,5h,1d --source " +
                                    source + (keep ? " --partial keep" : "") + " --backend reference";
      const ProgramRun run = atc(arguments + " --csv '" + path("rank.csv").string() + "' --json '" +
                                 path("rank.json").string() + "'");
      ASSERT_EQ(run.exit_code, 0) << arguments << ": " << run.err;
      EXPECT_TRUE(contains(run.out, "tf consensus")) << run.out;
      const std::vector<std::string> csv = lines_of(read_text(path("rank.csv")));
      ASSERT_EQ(csv.size(), 2u);
      EXPECT_TRUE(csv[0].ends_with(",filled_bars,average_signal_1h,state_1h,average_signal_5h,state_5h,"
                                   "average_signal_1d,state_1d,timeframe_consensus,agree"))
          << csv[0];
      const nlohmann::json row = nlohmann::json::parse(read_text(path("rank.json")))["ranking"].at(0);
      int state_sum = 0;
      bool all_long = true, all_short = true;
      for (const auto& [name, seconds] : timeframes) {
        const auto [close, hl2] = resampled(bars, seconds, keep);
        const auto [signal, state] = last_bar_of(close, source == "hl2" ? hl2 : std::vector<double>());
        EXPECT_EQ(row["timeframes"][name]["average_signal"].get<double>(), signal) << arguments << " " << name;
        EXPECT_EQ(row["timeframes"][name]["state"], state > 0 ? "LONG" : (state < 0 ? "SHORT" : "NEUTRAL"));
        state_sum += state;
        all_long = all_long && state == 1;
        all_short = all_short && state == -1;
      }
      EXPECT_EQ(row["timeframe_consensus"].get<double>(), state_sum / 3.0) << arguments;
      EXPECT_EQ(row["agree"], all_long ? 1 : (all_short ? -1 : 0));
      // The row describes the series as read, with the first timeframe's outputs.
      EXPECT_EQ(row["bars"], bars.close.size());
      EXPECT_EQ(row["average_signal"], row["timeframes"]["1h"]["average_signal"]);
    }
  // The forming day changes the 1d bars: dropped, there is one day fewer.
  EXPECT_EQ(resampled(bars, 86400, true).first.size(), resampled(bars, 86400, false).first.size() + 1);
}

TEST_F(CliTest, ScanTimeframesNeedsTimestampsAndValidTimeframes) {
  fs::create_directories(path("data"));
  write_ohlc_csv(path("data") / "TIMED.csv", hourly_bars(24 * 80, 37));
  std::ofstream untimed(path("data") / "UNTIMED.csv");
  untimed << "close\n";
  for (double c : atc::test::random_walk(24 * 80, 38)) untimed << c << "\n";
  untimed.close();
  const ProgramRun run = atc("scan '" + path("data").string() + "' --timeframes 4h,1d --backend cpu");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.err, "2 symbols (1 ok, 1 error)")) << run.err;
  EXPECT_TRUE(contains(run.err, "UNTIMED: " + (path("data") / "UNTIMED.csv").string() +
                                    " has no timestamp column, and --timeframes needs the time of every bar"))
      << run.err;
  const ProgramRun too_short = atc("scan '" + path("data").string() + "' --timeframes 1h,30d --backend cpu");
  EXPECT_EQ(too_short.exit_code, 1);
  EXPECT_TRUE(contains(too_short.err, "timeframe 30d: symbol 'TIMED'")) << too_short.err;

  for (const auto& [flags, message] : std::vector<std::pair<std::string, std::string>>{
           {"--timeframes 1M", "'1M' is not a timeframe"},
           {"--timeframes 1h,60m", "1h and 60m are the same timeframe"},
           {"--partial keep", "--partial requires --timeframes"},
           {"--sort timeframes", "--sort timeframes orders by the consensus of --timeframes"}}) {
    const ProgramRun usage = atc("scan '" + path("data").string() + "' " + flags);
    EXPECT_EQ(usage.exit_code, 2) << flags;
    EXPECT_TRUE(contains(usage.err, message)) << flags << ": " << usage.err;
  }
}

}  // namespace
