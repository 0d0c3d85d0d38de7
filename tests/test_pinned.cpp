// The host side of direct transfers, on any machine: compute_batch into a reused result
// keeps its columns (same storage, same bits as a fresh call), and PinnedRegion is a
// harmless no-op where nothing can be pinned.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "atc/atc.hpp"
#include "support/batch.hpp"

namespace atc::test {
namespace {

bool same_bits(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(ComputeInto, ReusesTheColumnsAndMatchesAFreshCall) {
  const OwnedBatch batch = ragged_batch({.symbols = 40, .min_bars = 200, .max_bars = 400, .max_leading_nans = 20, .seed = 7});
  ComputeOptions options;
  options.backend = Backend::Cpu;
  options.outputs = OutputRequest::standard();
  BatchResult live;
  compute_batch(batch.views(), Config{}, options, live);
  const double* average = live.outputs.average_signal.data();
  const std::int8_t* trend = live.outputs.trend.data();
  for (int run = 0; run < 2; ++run) {
    compute_batch(batch.views(), Config{}, options, live);
    EXPECT_EQ(live.outputs.average_signal.data(), average);
    EXPECT_EQ(live.outputs.trend.data(), trend);
  }
  const BatchResult fresh = compute_batch(batch.views(), Config{}, options);
  ASSERT_EQ(live.symbols, fresh.symbols);
  ASSERT_EQ(live.status.size(), fresh.status.size());
  EXPECT_EQ(live.ok_count(), fresh.ok_count());
  ASSERT_EQ(live.outputs.average_signal.size(), fresh.outputs.average_signal.size());
  for (std::size_t i = 0; i < fresh.outputs.average_signal.size(); ++i)
    ASSERT_TRUE(same_bits(live.outputs.average_signal[i], fresh.outputs.average_signal[i])) << "row " << i;
  EXPECT_EQ(live.outputs.trend, fresh.outputs.trend);
  EXPECT_EQ(live.outputs.short_entry, fresh.outputs.short_entry);

  // A smaller batch into the same result: the columns shrink to it, nothing stale.
  const OwnedBatch small = ragged_batch({.symbols = 3, .min_bars = 200, .max_bars = 210, .seed = 8});
  compute_batch(small.views(), Config{}, options, live);
  EXPECT_EQ(live.symbols.size(), 3u);
  EXPECT_EQ(live.status.size(), 3u);
  EXPECT_EQ(live.outputs.offsets.back(), live.outputs.average_signal.size());
}

TEST(PinnedRegion, NothingToPinIsInactive) {
  std::vector<double> prices(1000, 1.0);
  EXPECT_FALSE(PinnedRegion(prices.data(), 0).active());
  EXPECT_FALSE(PinnedRegion(nullptr, 64).active());
  if (!cuda_available()) {
    EXPECT_FALSE(PinnedRegion(std::span<double>(prices)).active()) << "no CUDA device: nothing can be pinned";
    BatchOutputs outputs;
    outputs.allocate(OutputRequest::scan(), {0, 100});
    EXPECT_TRUE(pin_columns(outputs).empty());
  } else {
    PinnedRegion pinned{std::span<double>(prices)};
    EXPECT_TRUE(pinned.active());
    PinnedRegion moved = std::move(pinned);
    EXPECT_TRUE(moved.active());
    EXPECT_FALSE(pinned.active());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  }
}

}  // namespace
}  // namespace atc::test
