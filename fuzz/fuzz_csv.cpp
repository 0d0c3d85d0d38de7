// The CSV readers (include/atc/io.hpp) on arbitrary bytes. A malformed file is an
// atc::InputError; anything else thrown, or a crash, is a finding. Properties of what
// is read: the columns of a symbol have one value per row, issues are capped and
// located, the three readers agree on a file they all accept, and every number read
// comes back from format_number as the same double.
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

#include "atc/error.hpp"
#include "atc/io.hpp"
#include "check.hpp"
#include "input_file.hpp"

namespace {

using atc::io::CsvSeries;

template <class F>
auto read_or_nullopt(F read) -> std::optional<decltype(read())> {
  try {
    return read();
  } catch (const atc::Error&) {
    return std::nullopt;
  }
}

bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

bool same_series(const CsvSeries& a, const CsvSeries& b) {
  if (a.symbol != b.symbol || a.source != b.source || a.timestamps != b.timestamps ||
      a.issues.size() != b.issues.size())
    return false;
  for (std::size_t i = 0; i < a.issues.size(); ++i)
    if (a.issues[i].line != b.issues[i].line || a.issues[i].column != b.issues[i].column ||
        a.issues[i].message != b.issues[i].message)
      return false;
  return same_values(a.close, b.close) && same_values(a.open, b.open) && same_values(a.high, b.high) &&
         same_values(a.low, b.low) && same_values(a.volume, b.volume);
}

bool same_symbols(const std::vector<CsvSeries>& a, const std::vector<CsvSeries>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_series(a[i], b[i])) return false;
  return true;
}

void check_round_trip(const std::vector<double>& values) {
  for (double x : values) {
    const std::string text = atc::io::format_number(x);
    if (std::isnan(x)) {
      ATC_FUZZ_CHECK(text.empty());
      continue;
    }
    double back = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
    ATC_FUZZ_CHECK(ec == std::errc() && end == text.data() + text.size());
    ATC_FUZZ_CHECK(std::memcmp(&back, &x, sizeof x) == 0);
  }
}

void check_series(const CsvSeries& s, const std::string& path) {
  const std::size_t rows = s.close.size();
  ATC_FUZZ_CHECK(s.source == path);
  ATC_FUZZ_CHECK(!s.symbol.empty());
  ATC_FUZZ_CHECK(s.timestamps.empty() || s.timestamps.size() == rows);
  for (const auto* column : {&s.open, &s.high, &s.low, &s.volume})
    ATC_FUZZ_CHECK(column->empty() || column->size() == rows);
  ATC_FUZZ_CHECK(s.issues.size() <= atc::io::kMaxIssuesPerSeries);
  for (const atc::io::DataIssue& issue : s.issues) {
    ATC_FUZZ_CHECK(issue.line >= 1 && issue.column >= 1);
    const std::string where = path + ":" + std::to_string(issue.line) + ":" + std::to_string(issue.column) + ": ";
    ATC_FUZZ_CHECK(issue.message.starts_with(where));
  }
  for (const auto* column : {&s.close, &s.open, &s.high, &s.low, &s.volume}) check_round_trip(*column);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static atc::fuzz::InputFile file(".csv");
  const std::filesystem::path& path = file.write(data, size);
  const std::string name = path.string();

  const auto symbols = read_or_nullopt([&] { return atc::io::read_symbols_csv(path); });
  const auto long_format = read_or_nullopt([&] { return atc::io::read_long_csv(path); });
  const auto wide = read_or_nullopt([&] { return atc::io::read_series_csv(path); });

  if (symbols) {
    std::set<std::string> names;
    for (const CsvSeries& s : *symbols) {
      check_series(s, name);
      names.insert(s.symbol);
    }
    ATC_FUZZ_CHECK(names.size() == symbols->size());  // one entry per symbol
  }
  // A file that the long or the wide reader accepts, read_symbols_csv reads the same way.
  if (long_format) ATC_FUZZ_CHECK(symbols && same_symbols(*long_format, *symbols));
  if (wide) ATC_FUZZ_CHECK(symbols && symbols->size() == 1 && same_series(*wide, symbols->front()));
  return 0;
}
