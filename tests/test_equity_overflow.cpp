// §10: an equity that overflows is an error of its symbol naming the first bar, never
// NaN or ∞ reported as "ok". The reference finds the bar by reading every equity; the
// fast backends by the NaN it leaves in Layer 1 or Average_Signal (formulas::
// equity_probe). Both must name the same bar, and a symbol reported ok must be finite.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "support/batch.hpp"
#include "support/compare.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

// A 1%-a-bar uptrend with a 10% dip every 25 bars (so that the MAs cross and signals go
// long): long signals earn most bars, and an equity started near the top of the double
// range overflows within some dozens of bars.
std::vector<double> uptrend(std::size_t bars) {
  std::vector<double> close(bars);
  for (std::size_t t = 0; t < bars; ++t)
    close[t] = 100.0 * std::pow(1.01, static_cast<double>(t)) * (t % 25 < 3 ? 0.9 : 1.0);
  return close;
}

BatchResult run(const test::OwnedBatch& batch, const Config& config, Backend backend) {
  ComputeOptions options;
  options.backend = backend;
  options.threads = 2;
  return compute_batch(batch.views(), config, options);
}

// Every defined output of every ok symbol is finite; every failed symbol holds NaN / 0.
void expect_finite_or_cleared(const BatchResult& result) {
  for (std::size_t i = 0; i < result.symbols.size(); ++i) {
    const SymbolOutputView v = result.outputs.view(i);
    const bool ok = result.status[i].ok();
    std::size_t first = 0;  // the computed series' bar 0: the first bar with a value after the cutout
    while (first < v.bars() && std::isnan(v.average_signal[first])) ++first;
    for (std::size_t t = 0; t < v.bars(); ++t) {
      const bool defined = ok && t >= first;
      ASSERT_EQ(std::isfinite(v.average_signal[t]), defined) << result.symbols[i] << " bar " << t;
      for (int f = 0; f < kFamilies; ++f) {
        ASSERT_EQ(std::isfinite(v.family_signal[f][t]), defined) << result.symbols[i] << " bar " << t;
        ASSERT_EQ(std::isfinite(v.family_equity[f][t]), defined) << result.symbols[i] << " bar " << t;
      }
      if (!ok) {
        ASSERT_EQ(v.state[t], 0) << result.symbols[i];
      }
    }
  }
}

TEST(EquityOverflow, FamilyWeightNearTheTopOfTheDoubleRangeIsAnErrorNamingTheBar) {
  Config config;
  config.weight_of(Family::WMA) = 1e308;  // WMA_S grows 18-fold on this input at weight 1
  test::OwnedBatch batch;
  batch.add("UP", uptrend(400));
  batch.add("WALK", test::random_walk(400, 7));
  for (Backend backend : {Backend::Reference, Backend::Cpu}) {
    const BatchResult result = run(batch, config, backend);
    const SymbolStatus& up = result.status[0];
    ASSERT_EQ(up.code, StatusCode::EquityOverflow) << backend_name(backend) << ": " << up.message;
    EXPECT_GE(up.bar, config.cutout);
    EXPECT_NE(up.message.find("symbol 'UP', bar " + std::to_string(up.bar)), std::string::npos) << up.message;
    EXPECT_EQ(status_code_name(up.code), "equity-overflow");
    expect_finite_or_cleared(result);
  }
  EXPECT_EQ(run(batch, config, Backend::Reference).status[0].bar, run(batch, config, Backend::Cpu).status[0].bar);
}

// Found by fuzz_compute: six family equities near 1e308 are each finite, but Σ X_S is
// not, and Average_Signal becomes ∞/∞. That is the same error, at the same bar in every
// backend (and in the live engine).
TEST(EquityOverflow, FiniteEquitiesWhoseSumOverflowsAreTheSameError) {
  Config config;
  config.weight = {1e308, 1e308, 1e308, 1e308, 1e308, 1e308};
  test::OwnedBatch batch;
  batch.add("WALK", test::random_walk(400, 3));
  const BatchResult reference = run(batch, config, Backend::Reference);
  ASSERT_EQ(reference.status[0].code, StatusCode::EquityOverflow) << reference.status[0].message;
  const BatchResult cpu = run(batch, config, Backend::Cpu);
  EXPECT_EQ(cpu.status[0].code, StatusCode::EquityOverflow);
  EXPECT_EQ(cpu.status[0].bar, reference.status[0].bar);
  expect_finite_or_cleared(reference);

  LiveEngine live(config);
  live.add(std::vector<SeriesView>{{"WALK", std::span<const double>(batch.close[0]).first(1), {}}});
  for (std::size_t t = 1; t < 400 && live.last().status[0].code != StatusCode::EquityOverflow; ++t)
    live.update(std::vector<double>{batch.close[0][t]});
  EXPECT_EQ(live.last().status[0].code, StatusCode::EquityOverflow);
  EXPECT_EQ(live.last().status[0].bar, reference.status[0].bar);
}

TEST(EquityOverflow, TheReportedBarIsTheFirstOneWithANonFiniteEquity) {
  Config config;
  config.lambda = 50.0;  // La = 0.05: growth-weighted returns compound past 1e308 within a few hundred bars
  test::OwnedBatch batch;
  batch.add("WALK", test::random_walk(3000, 11));
  const BatchResult full = run(batch, config, Backend::Reference);
  ASSERT_EQ(full.status[0].code, StatusCode::EquityOverflow) << full.status[0].message;
  const auto bar = static_cast<std::size_t>(full.status[0].bar);

  // Computed only up to the bar before, the same symbol is ok; up to that bar, not.
  for (const std::size_t bars : {bar, bar + 1}) {
    test::OwnedBatch prefix;
    prefix.add("WALK", std::vector<double>(batch.close[0].begin(), batch.close[0].begin() + static_cast<long>(bars)));
    for (Backend backend : {Backend::Reference, Backend::Cpu}) {
      const BatchResult result = run(prefix, config, backend);
      if (bars == bar) {
        EXPECT_TRUE(result.status[0].ok()) << backend_name(backend) << ": " << result.status[0].message;
      } else {
        EXPECT_EQ(result.status[0].code, StatusCode::EquityOverflow) << backend_name(backend);
        EXPECT_EQ(result.status[0].bar, static_cast<std::int64_t>(bar)) << backend_name(backend);
      }
      expect_finite_or_cleared(result);
    }
  }
}

TEST(EquityOverflow, EveryBackendNamesTheSameBarAndTheOtherSymbolsAreUntouched) {
  Config config;
  config.lambda = 30.0;
  test::RaggedBatchSpec spec;
  spec.symbols = 40;
  spec.min_bars = 200;
  spec.max_bars = 3000;
  spec.max_leading_nans = 50;
  spec.seed = 5;
  const test::OwnedBatch batch = test::ragged_batch(spec);
  const BatchResult reference = run(batch, config, Backend::Reference);
  const BatchResult cpu = run(batch, config, Backend::Cpu);
  std::size_t overflowed = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(reference.status[i].code, cpu.status[i].code) << batch.names[i] << ": " << cpu.status[i].message;
    EXPECT_EQ(reference.status[i].bar, cpu.status[i].bar) << batch.names[i];
    overflowed += reference.status[i].code == StatusCode::EquityOverflow ? 1 : 0;
  }
  EXPECT_GT(overflowed, 0u);
  EXPECT_LT(overflowed, batch.size());  // both kinds present
  const test::ParityReport parity = test::compare_results(reference, cpu, batch.views());
  EXPECT_TRUE(parity.ok()) << parity.summary();
  expect_finite_or_cleared(cpu);
  // An ok symbol comes out as if computed alone.
  ComputeOptions cpu_options;
  cpu_options.backend = Backend::Cpu;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!cpu.status[i].ok()) continue;
    const BatchResult alone = test::compute_alone(batch.view(i), config, cpu_options);
    const auto expected = alone.outputs.view(0).average_signal, actual = cpu.outputs.view(i).average_signal;
    for (std::size_t t = 0; t < expected.size(); ++t)
      ASSERT_TRUE(test::same_bits(expected[t], actual[t])) << batch.names[i] << " bar " << t;
  }
}

}  // namespace
}  // namespace atc
