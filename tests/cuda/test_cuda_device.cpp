// compute_device (atc/device.hpp) against compute_batch on the same prices, bit for bit:
// column-major tables read in place, row-major ones, float32, strided views, src, late
// listings, bad symbols, an equity overflow, the tick-scale columns of
// support/tick_columns.hpp; every output set.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "atc/device.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/gpu_support.hpp"
#include "support/batch.hpp"
#include "support/random_walk.hpp"
#include "support/tick_columns.hpp"

namespace atc {
namespace {

using cuda::DeviceBuffer;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A bars × symbols market, column-major: walks with late listings, a tick grid with ties,
// and symbols that fail (an interior NaN, a non-positive close, nothing, too few bars).
struct Market {
  std::size_t bars = 0;
  std::vector<std::string> symbols;
  std::vector<double> close;  // column-major
};

Market market(std::uint64_t seed, std::size_t bars, std::size_t walks) {
  Market m;
  m.bars = bars;
  std::mt19937_64 rng(seed);
  const auto add = [&](std::string name, std::vector<double> values) {
    values.resize(bars, values.empty() ? kNaN : values.back());
    m.symbols.push_back(std::move(name));
    m.close.insert(m.close.end(), values.begin(), values.end());
  };
  for (std::size_t s = 0; s < walks; ++s) {
    const std::size_t late = rng() % 3 == 0 ? rng() % (bars / 3) : 0;
    std::vector<double> v(late, kNaN);
    const std::vector<double> walk = test::random_walk(bars - late, rng(), 10.0 + static_cast<double>(rng() % 1000),
                                                       0.002 + 0.02 * static_cast<double>(rng() % 100) / 100.0);
    v.insert(v.end(), walk.begin(), walk.end());
    std::string name = "W";  // (not "W" + to_string: GCC 12's -Wrestrict false positive)
    name += std::to_string(s);
    add(std::move(name), v);
  }
  add("TIES", test::grid_walk(bars, seed + 1, 0.01, 25.0, 0.35));
  std::vector<double> gap = test::random_walk(bars, seed + 2);
  gap[bars / 2] = kNaN;
  add("GAP", gap);
  std::vector<double> negative = test::random_walk(bars, seed + 3);
  negative[bars / 3] = -1.0;
  add("NEG", negative);
  add("EMPTY", std::vector<double>(bars, kNaN));
  std::vector<double> young(bars, kNaN);
  const std::vector<double> tail = test::random_walk(20, seed + 4);
  std::copy(tail.begin(), tail.end(), young.end() - 20);
  add("YOUNG", young);
  return m;
}

struct DeviceColumnsOwned {
  std::size_t rows;
  DeviceBuffer<double> average, signal, equity;
  DeviceBuffer<std::int8_t> hundredths, classes;
  DeviceOutputs out;
  DeviceColumnsOwned(std::size_t rows_, const OutputRequest& request)
      : rows(rows_),
        average(rows),
        signal(request.families && !request.compact_family_signals ? rows * kFamilies : 0),
        equity(request.families ? rows * kFamilies : 0),
        hundredths(request.families && request.compact_family_signals ? rows * kFamilies : 0),
        classes(request.classification ? rows * 5 : 0) {
    out.average_signal = average.data();
    for (int f = 0; f < kFamilies; ++f) {
      if (signal.size()) out.family_signal[f] = signal.data() + f * rows;
      if (equity.size()) out.family_equity[f] = equity.data() + f * rows;
      if (hundredths.size()) out.family_signal_hundredths[f] = hundredths.data() + f * rows;
    }
    if (classes.size()) {
      std::int8_t* c = classes.data();
      out.trend = c;
      out.state = c + rows;
      out.direction = c + 2 * rows;
      out.long_entry = c + 3 * rows;
      out.short_entry = c + 4 * rows;
    }
  }
  template <class T>
  static std::vector<T> host(const DeviceBuffer<T>& b) {
    std::vector<T> h(b.size());
    b.download(h);
    return h;
  }
};

// Runs compute_device on `close` (and `src`) and checks statuses and every requested
// column against compute_batch (cpu) on `expected_close` (column-major, float64).
void expect_device_matches_batch(const Market& m, const DeviceTable& close, const DeviceTable* src,
                                 const std::vector<double>& expected_close, const std::vector<double>* expected_src,
                                 const Config& config, const OutputRequest& request, cudaStream_t stream = nullptr) {
  const std::size_t rows = m.bars * m.symbols.size();
  DeviceColumnsOwned d(rows, request);
  const std::size_t bytes = device_workspace_bytes(close, src, d.out);
  DeviceBuffer<std::byte> workspace(bytes);
  ComputeOptions options;
  options.backend = Backend::Cuda;
  const std::vector<SymbolStatus> status =
      compute_device(close, src, m.symbols, config, options, d.out, workspace.data(), bytes, stream);

  ComputeOptions cpu;
  cpu.backend = Backend::Cpu;
  cpu.outputs = request;
  const BatchResult expected =
      compute_table(expected_close, m.bars, m.symbols, config, cpu, expected_src ? *expected_src : std::vector<double>{});
  ASSERT_EQ(status.size(), m.symbols.size());
  for (std::size_t s = 0; s < status.size(); ++s) {
    EXPECT_EQ(status[s].code, expected.status[s].code) << m.symbols[s] << ": " << status[s].message;
    EXPECT_EQ(status[s].bar, expected.status[s].bar) << m.symbols[s];
    EXPECT_EQ(status[s].message, expected.status[s].message);
  }
  std::size_t compared = 0;
  const auto same_reals = [&](const std::vector<double>& actual, std::span<const double> want, const char* what) {
    for (std::size_t r = 0; r < want.size(); ++r)
      if (!test::same_bits(want[r], actual[r])) {
        ADD_FAILURE() << what << " row " << r << " (symbol " << m.symbols[r / m.bars] << ", bar " << r % m.bars
                      << "): " << want[r] << " vs " << actual[r];
        return;
      }
    compared += want.size();
  };
  const auto same_codes = [&](const std::vector<std::int8_t>& actual, std::size_t at, std::span<const std::int8_t> want,
                              const char* what) {
    ASSERT_EQ(0, std::memcmp(actual.data() + at, want.data(), want.size())) << what;
    compared += want.size();
  };
  same_reals(DeviceColumnsOwned::host(d.average), expected.outputs.average_signal, "Average_Signal");
  if (request.families) {
    const auto equity = DeviceColumnsOwned::host(d.equity);
    for (int f = 0; f < kFamilies; ++f)
      same_reals(std::vector<double>(equity.begin() + f * rows, equity.begin() + (f + 1) * rows),
                 expected.outputs.family_equity[f], "X_S");
    if (request.compact_family_signals) {
      const auto h = DeviceColumnsOwned::host(d.hundredths);
      for (int f = 0; f < kFamilies; ++f)
        same_codes(h, f * rows, expected.outputs.family_signal_hundredths[f], "X_Signal hundredths");
    } else {
      const auto sig = DeviceColumnsOwned::host(d.signal);
      for (int f = 0; f < kFamilies; ++f)
        same_reals(std::vector<double>(sig.begin() + f * rows, sig.begin() + (f + 1) * rows),
                   expected.outputs.family_signal[f], "X_Signal");
    }
  }
  if (request.classification) {
    const auto c = DeviceColumnsOwned::host(d.classes);
    const std::array<const Column<std::int8_t>*, 5> want{&expected.outputs.trend, &expected.outputs.state,
                                                         &expected.outputs.direction, &expected.outputs.long_entry,
                                                         &expected.outputs.short_entry};
    for (int k = 0; k < 5; ++k) same_codes(c, k * rows, *want[k], "classification");
  }
  EXPECT_GT(compared, rows);
}

TEST(CudaDevice, ColumnMajorTablesAreReadInPlaceWithTheBatchesBits) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const Market m = market(seed, 700, 60);
  const auto d_close = cuda::to_device<double>(m.close);
  const DeviceTable table{d_close.data(), DeviceDType::Float64, m.bars, m.symbols.size(), 1,
                          static_cast<std::int64_t>(m.bars)};
  ASSERT_TRUE(table.in_place());
  for (const OutputRequest& request : {OutputRequest::standard(), OutputRequest::compact(), OutputRequest::scan()})
    expect_device_matches_batch(m, table, nullptr, m.close, nullptr, Config{}, request);
  Config other;
  other.robustness = Robustness::Wide;
  other.cutout = 30;
  other.strategy = true;
  other.lambda = 0.3;
  expect_device_matches_batch(m, table, nullptr, m.close, nullptr, other, OutputRequest::standard());
}

TEST(CudaDevice, RowMajorFloat32StridedAndSrcTablesAreWidenedOnTheDevice) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const Market m = market(seed, 500, 40);
  const std::size_t n = m.symbols.size(), bars = m.bars;
  // Row-major float64 (bar t of symbol s at t·n + s).
  std::vector<double> row_major(bars * n);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t t = 0; t < bars; ++t) row_major[t * n + s] = m.close[s * bars + t];
  const auto d_row = cuda::to_device<double>(row_major);
  const DeviceTable rows{d_row.data(), DeviceDType::Float64, bars, n, static_cast<std::int64_t>(n), 1};
  expect_device_matches_batch(m, rows, nullptr, m.close, nullptr, Config{}, OutputRequest::standard());
  // Float32: the engine sees the floats widened exactly.
  std::vector<float> narrow(m.close.begin(), m.close.end());
  std::vector<double> widened(narrow.begin(), narrow.end());
  const auto d_narrow = cuda::to_device<float>(narrow);
  const DeviceTable floats{d_narrow.data(), DeviceDType::Float32, bars, n, 1, static_cast<std::int64_t>(bars)};
  expect_device_matches_batch(m, floats, nullptr, widened, nullptr, Config{}, OutputRequest::compact());
  // Every other bar of a twice-as-long column-major table (a strided view), with src.
  std::vector<double> wide_table(2 * bars * n, 7.0), src(bars * n);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t t = 0; t < bars; ++t) {
      wide_table[s * 2 * bars + 2 * t] = m.close[s * bars + t];
      src[s * bars + t] = std::isfinite(m.close[s * bars + t]) ? m.close[s * bars + t] * 1.01 : kNaN;
    }
  const auto d_wide = cuda::to_device<double>(wide_table);
  const auto d_src = cuda::to_device<double>(src);
  const DeviceTable strided{d_wide.data(), DeviceDType::Float64, bars, n, 2, static_cast<std::int64_t>(2 * bars)};
  const DeviceTable src_table{d_src.data(), DeviceDType::Float64, bars, n, 1, static_cast<std::int64_t>(bars)};
  ASSERT_FALSE(strided.in_place());
  expect_device_matches_batch(m, strided, &src_table, m.close, &src, Config{}, OutputRequest::standard());
}

TEST(CudaDevice, TickScaleColumnsHaveTheBatchesStatusesAndBits) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = test::fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (const std::size_t bars : {997, 1024}) {
    Market m;
    m.bars = bars;
    std::vector<double> src;
    for (const test::TickColumn& column : test::tick_columns(bars, seed + bars)) {
      m.symbols.push_back(column.name);
      m.close.insert(m.close.end(), column.close.begin(), column.close.end());
      src.insert(src.end(), column.src.begin(), column.src.end());
    }
    const auto d_close = cuda::to_device<double>(m.close);
    const auto d_src = cuda::to_device<double>(src);
    const auto n = static_cast<std::int64_t>(bars);
    const DeviceTable close{d_close.data(), DeviceDType::Float64, bars, m.symbols.size(), 1, n};
    const DeviceTable src_table{d_src.data(), DeviceDType::Float64, bars, m.symbols.size(), 1, n};
    expect_device_matches_batch(m, close, nullptr, m.close, nullptr, Config{}, OutputRequest::standard());
    expect_device_matches_batch(m, close, &src_table, m.close, &src, Config{}, OutputRequest::scan());
  }
}

TEST(CudaDevice, ANonDefaultStreamAndAnEquityOverflow) {
  ATC_REQUIRE_GPU();
  Market m = market(5, 3000, 3);
  Config hot;
  hot.lambda = 50.0;
  const auto d_close = cuda::to_device<double>(m.close);
  const DeviceTable table{d_close.data(), DeviceDType::Float64, m.bars, m.symbols.size(), 1,
                          static_cast<std::int64_t>(m.bars)};
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  expect_device_matches_batch(m, table, nullptr, m.close, nullptr, hot, OutputRequest::standard(), stream);
  cudaStreamDestroy(stream);
}

TEST(CudaDevice, BadArgumentsAreClearErrors) {
  ATC_REQUIRE_GPU();
  const Market m = market(7, 300, 2);
  const auto d_close = cuda::to_device<double>(m.close);
  const DeviceTable table{d_close.data(), DeviceDType::Float64, m.bars, m.symbols.size(), 1,
                          static_cast<std::int64_t>(m.bars)};
  DeviceColumnsOwned d(m.bars * m.symbols.size(), OutputRequest::scan());
  ComputeOptions options;
  EXPECT_THROW(compute_device(table, nullptr, m.symbols, Config{}, options, d.out, nullptr, 0, nullptr), InputError);
  const std::vector<double> host_prices = m.close;
  const DeviceTable on_host{host_prices.data(), DeviceDType::Float64, m.bars, m.symbols.size(), 1,
                            static_cast<std::int64_t>(m.bars)};
  DeviceBuffer<std::byte> workspace(device_workspace_bytes(on_host, nullptr, d.out));
  EXPECT_THROW(compute_device(on_host, nullptr, m.symbols, Config{}, options, d.out, workspace.data(),
                              workspace.size(), nullptr),
               InputError);
  options.gaps = GapPolicy::ForwardFill;
  EXPECT_THROW(compute_device(table, nullptr, m.symbols, Config{}, options, d.out, workspace.data(), workspace.size(),
                              nullptr),
               InputError);
}

}  // namespace
}  // namespace atc
