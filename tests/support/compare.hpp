// Backend parity under the accuracy contract of the spec (§9):
//  - continuous outputs within 1e-9 relative or 1e-12 absolute, NaN exactly where NaN;
//  - discrete outputs identical;
//  - except near-ties: where a per-MA signal differs, the bar where the two backends
//    parted must be a tie, |close - ma| < 1e-9·close at that bar or the bar before (the
//    two bars the crossover test reads). Such flips are counted, and the outputs that
//    depend on the flipped signal may differ from that bar on (also counted).
//
// Everything after the moving averages is the same arithmetic in every backend
// (src/core/formulas.hpp), so a tie flip of a per-MA signal is the only legitimate
// source of a discrete difference. Ties are found in the calibration outputs (the 54
// MAs and their signals); where a result lacks them for a family, the symbol is
// re-run alone with calibration of every family to look for the tie.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "atc/atc.hpp"

namespace atc::test {

inline constexpr double kRelativeTolerance = 1e-9;
inline constexpr double kAbsoluteTolerance = 1e-12;
inline constexpr double kTieTolerance = 1e-9;  // |close - ma| < kTieTolerance * close

inline bool within_tolerance(double expected, double actual) {
  if (std::isnan(expected) || std::isnan(actual)) return std::isnan(expected) && std::isnan(actual);
  if (expected == actual) return true;  // also equal infinities
  const double diff = std::fabs(expected - actual);
  return diff <= kAbsoluteTolerance ||
         diff <= kRelativeTolerance * std::max(std::fabs(expected), std::fabs(actual));
}

struct Mismatch {
  std::size_t symbol = 0;
  std::string column;
  std::size_t bar = 0;
  double expected = 0.0;
  double actual = 0.0;
};

// A per-MA signal that differs between the backends from `bar` on, shown to be a tie.
struct TieFlip {
  std::size_t symbol = 0;
  Family family = Family::EMA;
  int length = 0;
  std::size_t bar = 0;       // first bar where the signals differ
  std::size_t tie_bar = 0;   // bar (== bar or bar - 1) where close sits on the MA
  double close = 0.0;
  double ma_expected = 0.0;
  double ma_actual = 0.0;
  double relative_gap() const {
    return std::min(std::fabs(close - ma_expected), std::fabs(close - ma_actual)) / std::fabs(close);
  }
};

struct ParityReport {
  std::size_t symbols = 0;
  std::size_t values_compared = 0;
  std::vector<TieFlip> tie_flips;
  std::size_t tie_affected_values = 0;  // values that differ downstream of a tie flip
  std::vector<Mismatch> unexplained;    // every other difference: a failure

  bool ok() const { return unexplained.empty(); }

  std::string summary(std::size_t max_listed = 10) const {
    std::string out = std::to_string(symbols) + " symbols, " + std::to_string(values_compared) +
                      " values compared; " + std::to_string(tie_flips.size()) +
                      " per-MA signal tie flips, " + std::to_string(tie_affected_values) +
                      " values differing downstream of them; " +
                      std::to_string(unexplained.size()) + " unexplained mismatches";
    char line[320];
    for (std::size_t i = 0; i < std::min(max_listed, tie_flips.size()); ++i) {
      const TieFlip& f = tie_flips[i];
      std::snprintf(line, sizeof line,
                    "\n  tie: symbol %zu %s(%d) signals part at bar %zu; at bar %zu close=%.17g "
                    "ma=%.17g (expected) %.17g (actual), |close-ma|/close=%.3g",
                    f.symbol, std::string(family_name(f.family)).c_str(), f.length, f.bar,
                    f.tie_bar, f.close, f.ma_expected, f.ma_actual, f.relative_gap());
      out += line;
    }
    for (std::size_t i = 0; i < std::min(max_listed, unexplained.size()); ++i) {
      const Mismatch& m = unexplained[i];
      std::snprintf(line, sizeof line, "\n  MISMATCH: symbol %zu %s bar %zu: expected %.17g actual %.17g",
                    m.symbol, m.column.c_str(), m.bar, m.expected, m.actual);
      out += line;
    }
    return out;
  }
};

namespace detail_compare {

inline constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();

// First bar from which a symbol's outputs may legitimately differ, per family and for
// the outputs that combine all families.
struct Taint {
  std::array<std::size_t, kFamilies> family{kNever, kNever, kNever, kNever, kNever, kNever};
  std::array<bool, kFamilies> analysed{};  // calibration outputs of the family were checked
  std::size_t combined() const { return *std::min_element(family.begin(), family.end()); }
};

// A difference found outside the calibration columns, classified once the taint is known.
struct Candidate {
  Mismatch mismatch;
  int family = -1;  // family the column belongs to, -1 for Average_Signal / classification
};

template <class T>
bool same_value(T expected, T actual) {
  if constexpr (std::is_floating_point_v<T>) return within_tolerance(expected, actual);
  else return expected == actual;
}

template <class T>
void compare_column(std::span<const T> expected, std::span<const T> actual, std::size_t symbol,
                    const std::string& column, int family, ParityReport& report,
                    std::vector<Candidate>& candidates) {
  if (expected.size() != actual.size()) {
    report.unexplained.push_back({symbol, column + " (column size)", 0,
                                  static_cast<double>(expected.size()),
                                  static_cast<double>(actual.size())});
    return;
  }
  report.values_compared += expected.size();
  for (std::size_t t = 0; t < expected.size(); ++t)
    if (!same_value(expected[t], actual[t]))
      candidates.push_back({{symbol, column, t, static_cast<double>(expected[t]),
                             static_cast<double>(actual[t])},
                            family});
}

// Checks the calibration columns (MAs, per-MA signals, per-MA equities) of `family`:
// MAs within tolerance, every signal difference a tie, equities equal until their
// MA's first tie flip. Records the family's taint.
inline void analyse_calibration(const SymbolOutputView& expected, const SymbolOutputView& actual,
                                std::span<const double> close, const Config& config, Family family,
                                std::size_t symbol, ParityReport& report, Taint& taint) {
  const std::string prefix = std::string(family_name(family)) + "(";
  const auto lengths = config.lengths(family);
  std::size_t family_taint = kNever;
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    const std::string name = prefix + std::to_string(lengths[i]) + ")";
    const auto ma_e = expected.ma[i], ma_a = actual.ma[i];
    const auto sig_e = expected.ma_signal[i], sig_a = actual.ma_signal[i];
    const auto eq_e = expected.ma_equity[i], eq_a = actual.ma_equity[i];
    if (ma_e.size() != close.size() || ma_a.size() != close.size() ||
        sig_e.size() != close.size() || sig_a.size() != close.size() ||
        eq_e.size() != close.size() || eq_a.size() != close.size()) {
      report.unexplained.push_back({symbol, name + " calibration columns missing", 0,
                                    static_cast<double>(ma_e.size()), static_cast<double>(ma_a.size())});
      continue;
    }
    report.values_compared += 3 * close.size();
    for (std::size_t t = 0; t < close.size(); ++t)
      if (!within_tolerance(ma_e[t], ma_a[t]))
        report.unexplained.push_back({symbol, name + " ma", t, ma_e[t], ma_a[t]});

    auto is_tie = [&](std::size_t t) {
      const double tolerance = kTieTolerance * std::fabs(close[t]);
      return std::fabs(close[t] - ma_e[t]) < tolerance || std::fabs(close[t] - ma_a[t]) < tolerance;
    };
    std::size_t first_flip = kNever;
    for (std::size_t t = 0; t < close.size(); ++t) {
      if (sig_e[t] == sig_a[t]) continue;
      if (t > 0 && sig_e[t - 1] != sig_a[t - 1]) {  // inside a run that started at a tie
        report.tie_affected_values += 1;
        continue;
      }
      // The run starts here: the crossover test read bars t and t-1.
      std::optional<std::size_t> tie_bar;
      if (is_tie(t)) tie_bar = t;
      else if (t > 0 && is_tie(t - 1)) tie_bar = t - 1;
      if (!tie_bar) {
        report.unexplained.push_back({symbol, name + " signal", t, static_cast<double>(sig_e[t]),
                                      static_cast<double>(sig_a[t])});
        continue;
      }
      report.tie_flips.push_back(
          {symbol, family, lengths[i], t, *tie_bar, close[*tie_bar], ma_e[*tie_bar], ma_a[*tie_bar]});
      first_flip = std::min(first_flip, t);
    }
    for (std::size_t t = 0; t < close.size(); ++t) {
      if (within_tolerance(eq_e[t], eq_a[t])) continue;
      if (t >= first_flip) report.tie_affected_values += 1;
      else report.unexplained.push_back({symbol, name + " equity", t, eq_e[t], eq_a[t]});
    }
    family_taint = std::min(family_taint, first_flip);
  }
  const int f = static_cast<int>(family);
  taint.family[f] = std::min(taint.family[f], family_taint);
  taint.analysed[f] = true;
}

inline bool same_status(const SymbolStatus& a, const SymbolStatus& b) {
  return a.code == b.code && a.bar == b.bar && a.message == b.message &&
         a.filled_bars == b.filled_bars;
}

}  // namespace detail_compare

// Compares the results of two backends on the same input and configuration.
class ParityChecker {
 public:
  ParityChecker(Config config, ComputeOptions options)
      : config_(std::move(config)), options_(std::move(options)) {}

  // Runs `input` through both backends and compares the results.
  ParityReport run(std::span<const SeriesView> input, Backend expected_backend = Backend::Reference,
                   Backend actual_backend = Backend::Cpu) const {
    const BatchResult expected = compute_with(input, expected_backend, options_.outputs);
    const BatchResult actual = compute_with(input, actual_backend, options_.outputs);
    ParityReport report;
    compare_into(expected, actual, input, &expected_backend, &actual_backend, report);
    return report;
  }

  // Compares two given results; differences in families without calibration outputs
  // in the results cannot be explained as ties here (no re-runs).
  ParityReport compare(const BatchResult& expected, const BatchResult& actual,
                       std::span<const SeriesView> input) const {
    ParityReport report;
    compare_into(expected, actual, input, nullptr, nullptr, report);
    return report;
  }

 private:
  BatchResult compute_with(std::span<const SeriesView> input, Backend backend,
                           const OutputRequest& outputs) const {
    ComputeOptions options = options_;
    options.backend = backend;
    options.outputs = outputs;
    return compute_batch(input, config_, options);
  }

  void compare_into(const BatchResult& expected, const BatchResult& actual,
                    std::span<const SeriesView> input, const Backend* expected_backend,
                    const Backend* actual_backend, ParityReport& report) const {
    using namespace detail_compare;
    if (expected.status.size() != input.size() || actual.status.size() != input.size() ||
        expected.outputs.offsets != actual.outputs.offsets) {
      report.unexplained.push_back({0, "batch shape", 0, static_cast<double>(expected.status.size()),
                                    static_cast<double>(actual.status.size())});
      return;
    }
    report.symbols += input.size();
    for (std::size_t s = 0; s < input.size(); ++s) {
      if (!same_status(expected.status[s], actual.status[s]))
        report.unexplained.push_back({s, "status: '" + expected.status[s].message + "' vs '" +
                                             actual.status[s].message + "'",
                                      0, static_cast<double>(expected.status[s].code),
                                      static_cast<double>(actual.status[s].code)});
      const SymbolOutputView e = expected.outputs.view(s), a = actual.outputs.view(s);
      Taint taint;
      const std::optional<Family> calibration = expected.outputs.request.calibration;
      if (calibration && actual.outputs.request.calibration == calibration)
        analyse_calibration(e, a, input[s].close, config_, *calibration, s, report, taint);

      std::vector<Candidate> candidates;
      compare_column(e.average_signal, a.average_signal, s, "Average_Signal", -1, report, candidates);
      for (int f = 0; f < kFamilies; ++f) {
        const std::string family(family_name(static_cast<Family>(f)));
        compare_column(e.family_signal[f], a.family_signal[f], s, family + "_Signal", f, report, candidates);
        compare_column(e.family_equity[f], a.family_equity[f], s, family + "_S", f, report, candidates);
      }
      compare_column(e.trend, a.trend, s, "trend", -1, report, candidates);
      compare_column(e.state, a.state, s, "state", -1, report, candidates);
      compare_column(e.direction, a.direction, s, "direction", -1, report, candidates);
      compare_column(e.long_entry, a.long_entry, s, "long_entry", -1, report, candidates);
      compare_column(e.short_entry, a.short_entry, s, "short_entry", -1, report, candidates);
      if (candidates.empty()) continue;

      // Look for the ties behind these differences in every family not analysed yet.
      if (expected_backend && actual_backend) {
        for (Family family : kAllFamilies) {
          if (taint.analysed[static_cast<int>(family)]) continue;
          const OutputRequest with_calibration = OutputRequest::with_calibration(family);
          const std::span<const SeriesView> alone = input.subspan(s, 1);
          const BatchResult re = compute_with(alone, *expected_backend, with_calibration);
          const BatchResult ra = compute_with(alone, *actual_backend, with_calibration);
          ParityReport rerun;
          analyse_calibration(re.outputs.view(0), ra.outputs.view(0), input[s].close, config_,
                              family, s, rerun, taint);
          for (const TieFlip& flip : rerun.tie_flips) report.tie_flips.push_back(flip);
          for (const Mismatch& m : rerun.unexplained)
            report.unexplained.push_back({m.symbol, "(re-run) " + m.column, m.bar, m.expected, m.actual});
        }
      }
      for (const Candidate& c : candidates) {
        const std::size_t from = c.family >= 0 ? taint.family[c.family] : taint.combined();
        if (c.mismatch.bar >= from) report.tie_affected_values += 1;
        else report.unexplained.push_back(c.mismatch);
      }
    }
  }

  Config config_;
  ComputeOptions options_;
};

}  // namespace atc::test
