// The live engine on the cuda backend: every bar of every symbol has the bits of the
// cpu batch over the same bars (ties, tick-scale changes, refused and missing bars, an
// equity overflow), peek changes nothing, a state saved on one backend continues on the
// other, and a universe that changes between updates gives the cpu engine's bars,
// statuses included.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <random>

#include "atc/atc.hpp"
#include "atc/io.hpp"
#include "atc/live.hpp"
#include "gpu_support.hpp"
#include "support/batch.hpp"
#include "support/market_data.hpp"
#include "support/live_check.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

namespace fs = std::filesystem;
using test::check_live_against_batch;
using test::numbered;
using test::Simulation;

constexpr LiveOptions kCuda{Backend::Cuda, 2};
constexpr LiveOptions kCpu{Backend::Cpu, 2};

Simulation on_cuda(Simulation sim = {}) {
  sim.options = kCuda;
  sim.restore_options = kCuda;
  return sim;
}

TEST(CudaLive, RaggedRandomWalksWithMissingAndRefusedBars) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE(numbered("seed ", seed));
  const test::OwnedBatch batch =
      test::ragged_batch({.symbols = 300, .min_bars = 60, .max_bars = 700, .max_leading_nans = 80, .seed = seed});
  Simulation sim = on_cuda({.history = 50});
  sim.schedule = test::missing_and_refused_bars;
  EXPECT_GT(check_live_against_batch(batch, Config{}, sim), 50000u);
}

TEST(CudaLive, TickGridsWithTiesAndScaleChanges) {
  ATC_REQUIRE_GPU();
  const test::LiveCase c = test::tick_grids_with_scale_changes();
  EXPECT_GT(check_live_against_batch(c.batch, c.config, on_cuda({.history = 30})), 5000u);
}

TEST(CudaLive, CutoutStrategyWeightsAndAnOwnSource) {
  ATC_REQUIRE_GPU();
  const test::LiveCase c = test::cutout_strategy_weights_and_own_src();
  EXPECT_GT(check_live_against_batch(c.batch, c.config, on_cuda({.history = 100})), 2000u);
}

TEST(CudaLive, PeekAndSaveRestoreAcrossBackends) {
  ATC_REQUIRE_GPU();
  const test::OwnedBatch batch = test::ragged_batch({.symbols = 40, .min_bars = 200, .max_bars = 500, .seed = 12});
  for (const auto& [from, to] : {std::pair{kCuda, kCpu}, std::pair{kCpu, kCuda}}) {
    Simulation sim{.history = 120, .peek_every = 3, .save_at = 90};
    sim.options = from;
    sim.restore_options = to;
    EXPECT_GT(check_live_against_batch(batch, Config{}, sim), 5000u);
  }
}

TEST(CudaLive, MarketData) {
  ATC_REQUIRE_GPU();
  const std::optional<test::OwnedBatch> market = test::market_batch();
  if (!market) GTEST_SKIP() << "ATC_TEST_DATA_DIR is not set";
  EXPECT_GT(check_live_against_batch(*market, Config{}, on_cuda({.history = 200})), 3000u);
}

TEST(CudaLive, EquityOverflowEndsTheSymbolAtTheBatchesBar) {
  ATC_REQUIRE_GPU();
  test::check_equity_overflow_ends_the_symbol(kCuda);
}

void expect_same_bars(const LiveBar& a, const LiveBar& b, const std::string& where) {
  ASSERT_EQ(a.average_signal.size(), b.average_signal.size()) << where;
  for (std::size_t i = 0; i < a.average_signal.size(); ++i) {
    ASSERT_TRUE(test::same_row(test::row_of(a, i), test::row_of(b, i))) << where << ", symbol " << i;
    ASSERT_EQ(a.bar[i], b.bar[i]) << where << ", symbol " << i;
    ASSERT_EQ(a.updated[i], b.updated[i]) << where << ", symbol " << i;
    ASSERT_EQ(a.status[i].code, b.status[i].code) << where << ", symbol " << i << ": " << b.status[i].message;
    ASSERT_EQ(a.status[i].bar, b.status[i].bar) << where << ", symbol " << i;
    ASSERT_EQ(a.status[i].message, b.status[i].message) << where << ", symbol " << i;
  }
}

// A universe that changes between updates (symbols added with their own history, others
// removed), with bars missing, refused and NaN: the cuda engine's every bar equals the
// cpu engine's, statuses and messages included, and so does the state it saves.
TEST(CudaLive, AChangingUniverseGivesTheCpuEnginesBars) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE(numbered("seed ", seed));
  const test::OwnedBatch batch =
      test::ragged_batch({.symbols = 2400, .min_bars = 80, .max_bars = 400, .max_leading_nans = 30, .seed = seed});
  Config config;
  config.lambda = 5.0;
  LiveEngine cpu(config, kCpu), gpu(config, kCuda);
  const std::vector<SeriesView> views = batch.views();
  std::vector<SeriesView> first(views.begin(), views.begin() + 1600);
  for (auto& v : first) v.close = v.close.first(std::min<std::size_t>(v.close.size(), 60));
  ASSERT_EQ(cpu.add(first).size(), gpu.add(first).size());
  expect_same_bars(cpu.last(), gpu.last(), "after the first histories");
  std::mt19937_64 rng(seed);
  for (int u = 0; u < 120; ++u) {
    if (u == 40) {  // 800 more, each with its whole history but the last 20 bars
      std::vector<SeriesView> more(views.begin() + 1600, views.end());
      for (auto& v : more) v.close = v.close.first(v.close.size() > 20 ? v.close.size() - 20 : 0);
      const auto a = cpu.add(more), b = gpu.add(more);
      for (std::size_t k = 0; k < a.size(); ++k) ASSERT_EQ(a[k].message, b[k].message);
    }
    if (u == 70)
      for (std::size_t k = 0; k < 2400; k += 5) {
        cpu.remove(batch.names[k]);
        gpu.remove(batch.names[k]);
      }
    const std::size_t n = cpu.size();
    std::vector<double> closes(n);
    std::vector<std::uint8_t> has_bar(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t r = rng() % 100;
      has_bar[i] = r >= 8;
      closes[i] = r == 8 ? std::numeric_limits<double>::quiet_NaN() : (r == 9 ? -2.0 : 50.0 + static_cast<double>(rng() % 4000) / 100.0);
    }
    if (u % 9 == 0) expect_same_bars(cpu.peek(closes, {}, has_bar), gpu.peek(closes, {}, has_bar), numbered("peek ", u));
    expect_same_bars(cpu.update(closes, {}, has_bar), gpu.update(closes, {}, has_bar), numbered("update ", u));
  }
  // The state saved from the device continues on the host as the host's own.
  const fs::path file = fs::temp_directory_path() / (numbered("atc_cuda_live_", seed) += ".state");
  gpu.save(file);
  LiveEngine restored = LiveEngine::restore(file, kCpu);
  fs::remove(file);
  const std::vector<double> closes(cpu.size(), 61.25);
  expect_same_bars(cpu.update(closes), restored.update(closes), "after the restore");
}

}  // namespace
}  // namespace atc
