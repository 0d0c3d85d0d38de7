// Checks shared by the CPU and GPU tests of OutputRequest::compact_family_signals: a
// compact result holds exactly the standard result's numbers, X_Signal as hundredths.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>

#include "atc/atc.hpp"

namespace atc::test {

// `compact` (OutputRequest::compact()) against `standard` (OutputRequest::standard())
// of the same batch: statuses equal, from_hundredths(k) bit-identical to every X_Signal
// double (NaN where it is NaN), the double X_Signal columns left empty, and every other
// column identical.
inline void expect_compact_matches_standard(const BatchResult& standard, const BatchResult& compact) {
  const BatchOutputs& s = standard.outputs;
  const BatchOutputs& c = compact.outputs;
  ASSERT_EQ(standard.status.size(), compact.status.size());
  for (std::size_t i = 0; i < standard.status.size(); ++i)
    EXPECT_EQ(standard.status[i].code, compact.status[i].code) << "symbol " << i;
  ASSERT_EQ(s.offsets, c.offsets);
  const auto same_bits = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b); };
  for (int f = 0; f < kFamilies; ++f) {
    EXPECT_TRUE(c.family_signal[f].empty()) << "family " << f;
    ASSERT_EQ(c.family_signal_hundredths[f].size(), s.family_signal[f].size()) << "family " << f;
    for (std::size_t row = 0; row < s.family_signal[f].size(); ++row)
      ASSERT_TRUE(same_bits(from_hundredths(c.family_signal_hundredths[f][row]), s.family_signal[f][row]))
          << "family " << f << " row " << row << ": " << int(c.family_signal_hundredths[f][row]) << " vs "
          << s.family_signal[f][row];
    ASSERT_EQ(c.family_equity[f].size(), s.family_equity[f].size());
    for (std::size_t row = 0; row < s.family_equity[f].size(); ++row)
      ASSERT_TRUE(same_bits(c.family_equity[f][row], s.family_equity[f][row])) << "family " << f << " row " << row;
  }
  ASSERT_EQ(c.average_signal.size(), s.average_signal.size());
  for (std::size_t row = 0; row < s.average_signal.size(); ++row)
    ASSERT_TRUE(same_bits(c.average_signal[row], s.average_signal[row])) << "row " << row;
  EXPECT_EQ(c.trend, s.trend);
  EXPECT_EQ(c.state, s.state);
  EXPECT_EQ(c.direction, s.direction);
  EXPECT_EQ(c.long_entry, s.long_entry);
  EXPECT_EQ(c.short_entry, s.short_entry);
}

}  // namespace atc::test
