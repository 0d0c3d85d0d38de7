// The warp-per-symbol price walk of compute_device (cuda/price_walk.cuh) against the
// sequential walk it replaces, one thread per symbol calling series_ticks_of (the host's
// code, the oracle here): every field of every record, bit for bit, on the columns of
// support/tick_columns.hpp, for bar counts around multiples of a warp, with and without
// a src table.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/gpu_support.hpp"
#include "cuda/price_walk.cuh"
#include "support/tick_columns.hpp"

namespace atc {
namespace {

using cuda::DeviceBuffer;
using cuda::PriceRecord;

// The sequential walk: start, first bad bar, then series_ticks_of over [start, bars).
__global__ void sequential_walk(const double* close, const double* src, long long bars, long long symbols,
                                PriceRecord* records) {
  const long long s = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= symbols) return;
  const double* c = close + s * bars;
  const double* x = src != nullptr ? src + s * bars : c;
  PriceRecord r{};
  r.bad = -1;
  long long start = 0;
  while (start < bars && !(isfinite(c[start]) && isfinite(x[start]))) ++start;
  r.start = start;
  for (long long t = start; t < bars && r.bad < 0; ++t)
    if (!isfinite(c[t]) || !isfinite(x[t]) || c[t] <= 0.0) {
      r.bad = t;
      r.close = c[t];
      r.src = x[t];
    }
  if (start < bars && r.bad < 0) {
    const auto value = [c, x, start](std::size_t t, int k) { return k == 0 ? c[start + t] : x[start + t]; };
    r.ticks = detail::series_ticks_of(value, static_cast<std::size_t>(bars - start), src != nullptr);
  }
  records[s] = r;
}

std::uint64_t bits(double v) {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Both walks over a column-major table; returns the sequential walk's records.
std::vector<PriceRecord> expect_same_records(const std::vector<test::TickColumn>& columns, std::size_t bars, bool with_src) {
  const std::size_t n = columns.size();
  std::vector<double> close, src;
  for (const test::TickColumn& column : columns) {
    close.insert(close.end(), column.close.begin(), column.close.end());
    src.insert(src.end(), column.src.begin(), column.src.end());
  }
  const DeviceBuffer<double> d_close = cuda::to_device(std::span<const double>(close));
  const DeviceBuffer<double> d_src = cuda::to_device(std::span<const double>(src));
  const double* src_table = with_src ? d_src.data() : nullptr;
  DeviceBuffer<PriceRecord> want(n), got(n);
  sequential_walk<<<static_cast<unsigned>((n + 127) / 128), 128>>>(d_close.data(), src_table,
                                                                    static_cast<long long>(bars),
                                                                    static_cast<long long>(n), want.data());
  ATC_CUDA_CHECK_LAUNCH("sequential_walk");
  cuda::launch_price_walk(d_close.data(), src_table, static_cast<long long>(bars), static_cast<long long>(n),
                          got.data(), nullptr);
  ATC_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<PriceRecord> w(n), g(n);
  want.download(w);
  got.download(g);
  for (std::size_t s = 0; s < n; ++s) {
    SCOPED_TRACE(columns[s].name + ", " + std::to_string(bars) + " bars" + (with_src ? ", src" : ""));
    EXPECT_EQ(w[s].start, g[s].start);
    EXPECT_EQ(w[s].bad, g[s].bad);
    EXPECT_EQ(bits(w[s].close), bits(g[s].close));
    EXPECT_EQ(bits(w[s].src), bits(g[s].src));
    EXPECT_EQ(bits(w[s].ticks.scale.decimal), bits(g[s].ticks.scale.decimal));
    EXPECT_EQ(bits(w[s].ticks.scale.binary), bits(g[s].ticks.scale.binary));
    EXPECT_EQ(w[s].ticks.scale.binary_from, g[s].ticks.scale.binary_from);
    EXPECT_EQ(bits(w[s].ticks.max_tick), bits(g[s].ticks.max_tick));
    EXPECT_EQ(w[s].ticks.representable, g[s].ticks.representable);
  }
  return w;
}

TEST(CudaPriceWalk, WarpWalkGivesTheSequentialRecordsBitForBit) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::size_t compared = 0, binary = 0, bad = 0, twelve_decimals = 0, out_of_range = 0;
  for (const std::size_t bars : {1, 5, 31, 32, 33, 63, 64, 65, 97, 480, 1000, 1029}) {
    const std::vector<test::TickColumn> columns = test::tick_columns(bars, seed + bars);
    for (const bool with_src : {false, true}) {
      const std::vector<PriceRecord> records = expect_same_records(columns, bars, with_src);
      compared += records.size();
      if (bars < 1000) continue;
      // The columns reach what they are meant to.
      for (const PriceRecord& r : records) {
        const bool ticks = r.start < static_cast<long long>(bars) && r.bad < 0;
        binary += ticks && r.ticks.scale.binary_from < (1 << 30) ? 1 : 0;
        bad += r.bad >= 0 ? 1 : 0;
        twelve_decimals += ticks && r.ticks.scale.decimal == 1e12 ? 1 : 0;
        out_of_range += ticks && !r.ticks.representable ? 1 : 0;
      }
    }
  }
  EXPECT_GT(compared, 2000u);
  EXPECT_GT(binary, 20u);
  EXPECT_GT(bad, 100u);
  EXPECT_GT(twelve_decimals, 10u);
  EXPECT_GT(out_of_range, 0u);
}

TEST(CudaPriceWalk, LongSeriesOfManySymbols) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  // Every column many times over: a few blocks of warps, 5,000 bars (157 warp steps).
  std::vector<test::TickColumn> columns;
  for (int copy = 0; copy < 4; ++copy) {
    const std::vector<test::TickColumn> more = test::tick_columns(5000, seed + copy);
    columns.insert(columns.end(), more.begin(), more.end());
  }
  for (const bool with_src : {false, true}) expect_same_records(columns, 5000, with_src);
}

}  // namespace
}  // namespace atc
