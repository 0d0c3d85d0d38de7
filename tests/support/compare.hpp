// Backend parity under the accuracy contract of the spec (§9, §3a): every output of every
// backend has the same bits as the reference's, continuous and discrete, ties included
// (NaN matches NaN whatever its payload). Exact ties (a close equal to its MA) are
// counted from the calibration columns, so that a test can show it met them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "atc/atc.hpp"

namespace atc::test {

// The same bits, or both NaN.
inline bool same_bits(double expected, double actual) {
  if (std::isnan(expected) || std::isnan(actual)) return std::isnan(expected) && std::isnan(actual);
  return std::memcmp(&expected, &actual, sizeof(double)) == 0;
}

struct Mismatch {
  std::size_t symbol = 0;
  std::string column;
  std::size_t bar = 0;
  double expected = 0.0;
  double actual = 0.0;
};

struct ParityReport {
  std::size_t symbols = 0;
  std::size_t values_compared = 0;
  std::size_t ties = 0;  // bars where close equals a calibrated MA exactly (reference values)
  std::vector<Mismatch> mismatches;

  bool ok() const { return mismatches.empty(); }

  std::string summary(std::size_t max_listed = 10) const {
    std::string out = std::to_string(symbols) + " symbols, " + std::to_string(values_compared) +
                      " values compared, " + std::to_string(ties) + " exact ties met; " +
                      std::to_string(mismatches.size()) + " mismatches";
    char line[320];
    for (std::size_t i = 0; i < std::min(max_listed, mismatches.size()); ++i) {
      const Mismatch& m = mismatches[i];
      std::snprintf(line, sizeof line, "\n  MISMATCH: symbol %zu %s bar %zu: expected %.17g actual %.17g",
                    m.symbol, m.column.c_str(), m.bar, m.expected, m.actual);
      out += line;
    }
    return out;
  }
};

namespace detail_compare {

template <class T>
void compare_column(std::span<const T> expected, std::span<const T> actual, std::size_t symbol,
                    const std::string& column, ParityReport& report) {
  if (expected.size() != actual.size()) {
    report.mismatches.push_back({symbol, column + " (column size)", 0, static_cast<double>(expected.size()),
                                 static_cast<double>(actual.size())});
    return;
  }
  report.values_compared += expected.size();
  for (std::size_t t = 0; t < expected.size(); ++t) {
    bool same;
    if constexpr (std::is_floating_point_v<T>) same = same_bits(expected[t], actual[t]);
    else same = expected[t] == actual[t];
    if (!same)
      report.mismatches.push_back(
          {symbol, column, t, static_cast<double>(expected[t]), static_cast<double>(actual[t])});
  }
}

inline bool same_status(const SymbolStatus& a, const SymbolStatus& b) {
  return a.code == b.code && a.bar == b.bar && a.message == b.message && a.filled_bars == b.filled_bars;
}

}  // namespace detail_compare

// Every column of two results on the same input, bit for bit.
inline ParityReport compare_results(const BatchResult& expected, const BatchResult& actual,
                                    std::span<const SeriesView> input) {
  using namespace detail_compare;
  ParityReport report;
  if (expected.status.size() != input.size() || actual.status.size() != input.size() ||
      expected.outputs.offsets != actual.outputs.offsets) {
    report.mismatches.push_back({0, "batch shape", 0, static_cast<double>(expected.status.size()),
                                 static_cast<double>(actual.status.size())});
    return report;
  }
  report.symbols = input.size();
  for (std::size_t s = 0; s < input.size(); ++s) {
    if (!same_status(expected.status[s], actual.status[s]))
      report.mismatches.push_back(
          {s, "status: '" + expected.status[s].message + "' vs '" + actual.status[s].message + "'", 0,
           static_cast<double>(expected.status[s].code), static_cast<double>(actual.status[s].code)});
    const SymbolOutputView e = expected.outputs.view(s), a = actual.outputs.view(s);
    compare_column(e.average_signal, a.average_signal, s, "Average_Signal", report);
    for (int f = 0; f < kFamilies; ++f) {
      const std::string family(family_name(static_cast<Family>(f)));
      compare_column(e.family_signal[f], a.family_signal[f], s, family + "_Signal", report);
      compare_column(e.family_signal_hundredths[f], a.family_signal_hundredths[f], s,
                     family + "_Signal_hundredths", report);
      compare_column(e.family_equity[f], a.family_equity[f], s, family + "_S", report);
    }
    compare_column(e.trend, a.trend, s, "trend", report);
    compare_column(e.state, a.state, s, "state", report);
    compare_column(e.direction, a.direction, s, "direction", report);
    compare_column(e.long_entry, a.long_entry, s, "long_entry", report);
    compare_column(e.short_entry, a.short_entry, s, "short_entry", report);
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      const std::string chain = "MA " + std::to_string(i);
      compare_column(e.ma[i], a.ma[i], s, chain + " value", report);
      compare_column(e.ma_signal[i], a.ma_signal[i], s, chain + " signal", report);
      compare_column(e.ma_equity[i], a.ma_equity[i], s, chain + " equity", report);
      const std::span<const double> close = input[s].close;
      if (e.ma[i].size() == close.size())
        for (std::size_t t = 0; t < close.size(); ++t) report.ties += close[t] == e.ma[i][t];
    }
  }
  return report;
}

// Runs an input through two backends and compares the results bit for bit.
class ParityChecker {
 public:
  ParityChecker(Config config, ComputeOptions options) : config_(std::move(config)), options_(std::move(options)) {}

  ParityReport run(std::span<const SeriesView> input, Backend expected_backend = Backend::Reference,
                   Backend actual_backend = Backend::Cpu) const {
    return compare_results(compute_with(input, expected_backend), compute_with(input, actual_backend), input);
  }

  ParityReport compare(const BatchResult& expected, const BatchResult& actual,
                       std::span<const SeriesView> input) const {
    return compare_results(expected, actual, input);
  }

 private:
  BatchResult compute_with(std::span<const SeriesView> input, Backend backend) const {
    ComputeOptions options = options_;
    options.backend = backend;
    return compute_batch(input, config_, options);
  }

  Config config_;
  ComputeOptions options_;
};

}  // namespace atc::test
