// atc::LiveEngine against the batch: initialised on the first bars of each symbol and
// updated bar by bar, every output of every bar has the bits of compute_batch over the
// bars the symbol was given, ties, tick-scale changes, missing and refused bars included;
// peek changes nothing; save → restore → continue equals never stopping.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "atc/atc.hpp"
#include "atc/io.hpp"
#include "atc/live.hpp"
#include "core/prepared.hpp"
#include "support/batch.hpp"
#include "support/market_data.hpp"
#include "support/compare.hpp"
#include "support/live_check.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

namespace fs = std::filesystem;

using test::check_live_against_batch;
using test::Simulation;

TEST(LiveEngine, RaggedRandomWalksWithLateListingsMatchTheBatchAtEveryBar) {
  const test::OwnedBatch batch = test::ragged_batch(
      {.symbols = 40, .min_bars = 60, .max_bars = 900, .max_leading_nans = 80, .seed = 3});
  const std::size_t compared = check_live_against_batch(batch, Config{}, Simulation{});
  EXPECT_GT(compared, 10000u);
}

// Enough symbols for the updates to be split over the engine's worker threads (and a
// number of them that changes as symbols come and go).
TEST(LiveEngine, ManySymbolsOnTheWorkerThreadsMatchTheBatch) {
  const test::OwnedBatch batch = test::ragged_batch(
      {.symbols = 1500, .min_bars = 60, .max_bars = 130, .max_leading_nans = 20, .seed = 21});
  const std::size_t compared = check_live_against_batch(batch, Config{}, Simulation{.history = 40});
  EXPECT_GT(compared, 50000u);
  for (int threads : {3, 1}) {
    LiveEngine live(Config{}, threads);
    std::vector<SeriesView> views = batch.views();
    for (int round = 0; round < 3; ++round) {  // 1500, then 1000 symbols: 2 workers, then 1
      live.add(std::vector<SeriesView>(views.begin() + static_cast<long>(live.size()),
                                       views.begin() + static_cast<long>(live.size()) + (round < 2 ? 750 : 0)));
      for (int u = 0; u < 5; ++u) live.update(std::vector<double>(live.size(), 100.0 + u));
      if (round == 1)
        for (int k = 0; k < 500; ++k) live.remove(batch.names[static_cast<std::size_t>(k)]);
    }
    EXPECT_EQ(live.size(), 1000u);
  }
}

TEST(LiveEngine, TickGridsWithTiesAndScaleChangesMatchTheBatch) {
  const test::LiveCase c = test::tick_grids_with_scale_changes();
  EXPECT_GT(check_live_against_batch(c.batch, c.config, Simulation{.history = 30}), 5000u);
}

TEST(LiveEngine, CutoutStrategyWeightsAndAnOwnSource) {
  const test::LiveCase c = test::cutout_strategy_weights_and_own_src();
  EXPECT_GT(check_live_against_batch(c.batch, c.config, Simulation{.history = 100}), 2000u);
}

TEST(LiveEngine, MissingAndRefusedBarsHoldTheState) {
  const test::OwnedBatch batch = test::ragged_batch({.symbols = 12, .min_bars = 300, .max_bars = 600, .seed = 9});
  Simulation sim{.history = 70};
  sim.schedule = test::missing_and_refused_bars;
  EXPECT_GT(check_live_against_batch(batch, Config{}, sim), 2000u);
}

TEST(LiveEngine, PeekChangesNothingAndSaveRestoreContinuesWithTheSameBits) {
  const test::OwnedBatch batch = test::ragged_batch({.symbols = 10, .min_bars = 200, .max_bars = 500, .seed = 12});
  Simulation sim;
  sim.history = 120;
  sim.peek_every = 3;
  sim.save_at = 90;
  EXPECT_GT(check_live_against_batch(batch, Config{}, sim), 1000u);
}

TEST(LiveEngine, MarketData) {
  const std::optional<test::OwnedBatch> market = test::market_batch();
  if (!market) GTEST_SKIP() << "ATC_TEST_DATA_DIR is not set";
  EXPECT_GT(check_live_against_batch(*market, Config{}, Simulation{.history = 200}), 3000u);
}

TEST(LiveEngine, EquityOverflowEndsTheSymbolAtTheBatchesBar) {
  test::check_equity_overflow_ends_the_symbol(LiveOptions{Backend::Cpu, 2});
}

TEST(LiveEngine, AddRemoveAndBadCallsAreClearErrors) {
  LiveEngine live(Config{});
  const std::vector<double> a = test::random_walk(200, 1), b = test::random_walk(50, 2);
  const std::vector<SeriesView> two{{"A", a, {}}, {"B", b, {}}};
  const std::vector<SymbolStatus> status = live.add(two);
  EXPECT_TRUE(status[0].ok()) << status[0].message;
  EXPECT_EQ(status[1].code, StatusCode::TooShort);  // warming up, not an error of the state
  EXPECT_THROW(live.add(two), InputError);
  EXPECT_THROW(live.update(std::vector<double>{1.0}), InputError);  // 1 value for 2 symbols
  live.remove("A");
  EXPECT_EQ(live.symbols(), std::vector<std::string>{"B"});
  EXPECT_THROW(live.remove("A"), InputError);
  // The remaining symbol continues as if A had never been there.
  for (int t = 0; t < 40; ++t) live.update(std::vector<double>{b.back() * (1.0 + 0.01 * (t % 3))});
  EXPECT_TRUE(live.last().status[0].ok()) << live.last().status[0].message;
  EXPECT_GT(live.state_bytes_per_symbol(), 1000u);
  EXPECT_THROW(LiveEngine(Config{.cutout = -1}), ConfigError);
}

TEST(LiveEngine, BackendChoice) {
  EXPECT_EQ(LiveEngine(Config{}).backend(), Backend::Cpu);
  EXPECT_THROW(LiveEngine(Config{}, LiveOptions{Backend::Reference}), ConfigError);
  const LiveEngine automatic(Config{}, LiveOptions{Backend::Auto});
  if (detail::cuda_device_usable()) {
    EXPECT_EQ(automatic.backend(), Backend::Cuda);
  } else {
    EXPECT_EQ(automatic.backend(), Backend::Cpu);
    EXPECT_THROW(LiveEngine(Config{}, LiveOptions{Backend::Cuda}), BackendUnavailable);
  }
}

TEST(LiveEngine, ACorruptOrForeignStateFileIsAClearError) {
  LiveEngine live(Config{});
  const std::vector<double> a = test::random_walk(200, 1);
  live.add(std::vector<SeriesView>{{"A", a, {}}});
  const fs::path file = fs::temp_directory_path() / ("atc_test_live_bad_" + std::to_string(::getpid()));
  live.save(file);
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto expect_refused = [&](const std::string& content, const std::string& why) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
    try {
      (void)LiveEngine::restore(file);
      ADD_FAILURE() << "accepted: " << why;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  expect_refused(flipped, "a flipped bit");
  expect_refused(bytes.substr(0, bytes.size() - 9), "truncated");
  expect_refused("symbol,close\nA,1\n", "a CSV file");
  expect_refused("", "an empty file");
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_EQ(LiveEngine::restore(file).symbols(), std::vector<std::string>{"A"});
  fs::remove(file);
}

}  // namespace
}  // namespace atc
