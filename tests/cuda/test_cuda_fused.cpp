// The fused kernel through its own contract (launch_fused on concatenated series with
// offsets, outputs at the same offsets): every requested row is written, and the int8
// hundredths columns carry exactly the double Layer-1 signal (k / 100.0 == X_Signal).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "atc/atc.hpp"
#include "core/ticks.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/fused.hpp"
#include "gpu_support.hpp"
#include "support/batch.hpp"
#include "support/random_walk.hpp"

namespace atc::test {
namespace {

using cuda::DeviceBuffer;

template <class T>
std::vector<T> download(const DeviceBuffer<T>& buffer) {
  std::vector<T> host(buffer.size());
  buffer.download(host);
  return host;
}

// A batch in the kernel's input layout on the device: its series concatenated with
// offsets, their tick scales, and the growth table.
struct DeviceInput {
  std::size_t rows = 0;
  std::vector<long long> offsets{0};  // host copy
  DeviceBuffer<double> close, src, growth;  // src empty when every series' src is its close
  DeviceBuffer<long long> offset;
  DeviceBuffer<exact::TickScale> ticks;
  bool wide = false;

  DeviceInput(const OwnedBatch& batch, const Config& config) {
    std::vector<double> concatenated, sources;
    std::vector<exact::TickScale> scales;
    std::size_t max_bars = 0;
    bool own_src = false;
    for (std::size_t s = 0; s < batch.size(); ++s) {
      const std::vector<double>& series = batch.close[s];
      concatenated.insert(concatenated.end(), series.begin(), series.end());
      const std::vector<double>& source = batch.src[s].empty() ? series : batch.src[s];
      const detail::SeriesTicks t = detail::series_ticks(series.data(), source.data(), series.size());
      scales.push_back(t.scale);
      wide = wide || detail::sum_width(t, config.max_length()) == detail::SumWidth::Wide;
      sources.insert(sources.end(), source.begin(), source.end());
      own_src = own_src || !batch.src[s].empty();
      offsets.push_back(static_cast<long long>(concatenated.size()));
      max_bars = std::max(max_bars, series.size());
    }
    rows = concatenated.size();
    close = cuda::to_device(std::span<const double>(concatenated));
    if (own_src) src = cuda::to_device(std::span<const double>(sources));
    offset = cuda::to_device(std::span<const long long>(offsets));
    ticks = cuda::to_device(std::span<const exact::TickScale>(scales));
    growth = cuda::to_device(std::span<const double>(detail::growth_table(config, max_bars)));
  }
  cuda::FusedInput input() const {
    cuda::FusedInput in;
    in.close = close.data();
    in.src = src.size() > 0 ? src.data() : nullptr;
    in.offset = offset.data();
    in.growth = growth.data();
    in.ticks = ticks.data();
    in.wide = wide ? 1 : 0;
    return in;
  }
};

TEST(FusedKernel, HundredthsCarryTheDoubleSignalAndEveryRowIsWritten) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = ragged_batch({.symbols = 70, .min_bars = 100, .max_bars = 1500, .seed = seed});
  Config config;
  config.cutout = 37;
  config.lambda = 0.5;

  const DeviceInput device(batch, config);
  const std::size_t rows = device.rows;

  // Poison: 0x7F bytes are neither a hundredth in [-100, 100], the NaN marker, nor NaN.
  std::vector<DeviceBuffer<double>> signal, average(1);
  std::vector<DeviceBuffer<std::int8_t>> hundredths;
  cuda::DeviceColumns out;
  average[0] = DeviceBuffer<double>(rows);
  out.average_signal = average[0].data();
  for (int f = 0; f < kFamilies; ++f) {
    signal.emplace_back(rows);
    hundredths.emplace_back(rows);
    out.family_signal[f] = signal.back().data();
    out.family_signal_hundredths[f] = hundredths.back().data();
    ATC_CUDA_CHECK(cudaMemset(signal.back().data(), 0x7F, rows * sizeof(double)));
    ATC_CUDA_CHECK(cudaMemset(hundredths.back().data(), 0x7F, rows));
  }
  ATC_CUDA_CHECK(cudaMemset(average[0].data(), 0x7F, rows * sizeof(double)));

  cuda::FusedInput input = device.input();
  input.series = static_cast<int>(batch.close.size());
  ASSERT_EQ(cuda::fused_workspace_bytes(rows, out), 0u) << "every Layer-1 signal has its hundredths column";
  cuda::launch_fused(input, cuda::make_fused_params(config, -1), out, nullptr);
  ATC_CUDA_CHECK(cudaDeviceSynchronize());

  double poison = 0.0;
  std::memset(&poison, 0x7F, sizeof(poison));
  const std::vector<double> avg = download(average[0]);
  std::size_t checked = 0;
  for (int f = 0; f < kFamilies; ++f) {
    const std::vector<double> x = download(signal[f]);
    const std::vector<std::int8_t> k = download(hundredths[f]);
    for (std::size_t s = 0; s + 1 < device.offsets.size(); ++s) {
      for (long long row = device.offsets[s]; row < device.offsets[s + 1]; ++row) {
        const auto t = static_cast<int>(row - device.offsets[s]);
        ASSERT_FALSE(avg[row] == poison) << "Average_Signal not written, symbol " << s << " bar " << t;
        ASSERT_FALSE(x[row] == poison) << "X_Signal not written, family " << f << " symbol " << s << " bar " << t;
        if (t < config.cutout) {
          ASSERT_EQ(k[row], kHundredthsNaN) << "family " << f << " symbol " << s << " bar " << t;
          ASSERT_TRUE(std::isnan(x[row]));
        } else {
          ASSERT_TRUE(k[row] >= -100 && k[row] <= 100) << int(k[row]) << ", family " << f << " bar " << t;
          ASSERT_TRUE(same_bits(from_hundredths(k[row]), x[row]))
              << int(k[row]) << " vs " << x[row] << ", family " << f << " symbol " << s << " bar " << t;
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, kFamilies * rows);
}

// Every output column of one launch, calibration family included, on the host.
struct FusedRun {
  static constexpr int kDoubles = 1 + 2 * kFamilies + 2 * kLengthsPerFamily;
  static constexpr int kBytes = kFamilies + cuda::kFusedClassOutputs + kLengthsPerFamily;
  std::vector<std::vector<double>> doubles;      // Average, X_Signal, X_S, MA, MA equity
  std::vector<std::vector<std::int8_t>> bytes;   // X_Signal hundredths, classification, MA signals
  std::vector<long long> nonfinite_equity_bar;   // per series
};

FusedRun run_fused(const cuda::FusedInput& input, std::size_t rows, const Config& config, Family calibration,
                   cuda::FusedPath path, int per_block, bool through_workspace) {
  std::vector<DeviceBuffer<double>> d;
  std::vector<DeviceBuffer<std::int8_t>> b;
  for (int i = 0; i < FusedRun::kDoubles; ++i) d.emplace_back(rows);
  for (int i = 0; i < FusedRun::kBytes; ++i) b.emplace_back(rows);
  cuda::DeviceColumns out;
  out.average_signal = d[0].data();
  for (int f = 0; f < kFamilies; ++f) {
    out.family_signal[f] = d[1 + f].data();
    out.family_equity[f] = d[1 + kFamilies + f].data();
    out.family_signal_hundredths[f] = through_workspace ? nullptr : b[f].data();
  }
  out.trend = b[kFamilies].data();
  out.state = b[kFamilies + 1].data();
  out.direction = b[kFamilies + 2].data();
  out.long_entry = b[kFamilies + 3].data();
  out.short_entry = b[kFamilies + 4].data();
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    out.ma[i] = d[1 + 2 * kFamilies + i].data();
    out.ma_equity[i] = d[1 + 2 * kFamilies + kLengthsPerFamily + i].data();
    out.ma_signal[i] = b[kFamilies + cuda::kFusedClassOutputs + i].data();
  }
  DeviceBuffer<long long> nonfinite(static_cast<std::size_t>(input.series));
  out.nonfinite_equity_bar = nonfinite.data();
  DeviceBuffer<std::int8_t> workspace(cuda::fused_workspace_bytes(rows, out));
  EXPECT_EQ(workspace.size(), through_workspace ? kFamilies * rows : 0u);
  cuda::FusedParams params = cuda::make_fused_params(config, static_cast<int>(calibration));
  params.symbols_per_block = per_block;
  params.path = path;
  cuda::launch_fused(input, params, out, workspace.data());
  ATC_CUDA_CHECK(cudaDeviceSynchronize());
  FusedRun run;
  for (const auto& x : d) run.doubles.push_back(download(x));
  for (const auto& x : b) run.bytes.push_back(download(x));
  run.nonfinite_equity_bar = download(nonfinite);
  if (through_workspace)  // the hundredths columns were not requested
    for (int f = 0; f < kFamilies; ++f) run.bytes[f].clear();
  return run;
}

void expect_same_bits(const FusedRun& expected, const FusedRun& actual) {
  for (int i = 0; i < FusedRun::kDoubles; ++i)
    for (std::size_t row = 0; row < expected.doubles[i].size(); ++row)
      ASSERT_TRUE(same_bits(expected.doubles[i][row], actual.doubles[i][row])) << "column " << i << " row " << row;
  for (int i = 0; i < FusedRun::kBytes; ++i)
    if (!actual.bytes[i].empty()) {
      ASSERT_TRUE(expected.bytes[i] == actual.bytes[i]) << "byte column " << i;
    }
  ASSERT_EQ(expected.nonfinite_equity_bar, actual.nonfinite_equity_bar);
}

// Both implementations, with blocks of 1 or 3 series (per symbol) and 5 or 32 series
// (per family; ragged, the last block partial), compute the same bits in every column,
// the calibration family's per-MA columns included; so do the Layer-2 outputs when the
// Layer-1 signals reach them through the workspace instead of the hundredths columns.
TEST(FusedKernel, PathsAndSeriesPerBlockGiveTheSameBits) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = ragged_batch({.symbols = 41, .min_bars = 20, .max_bars = 900, .seed = seed});
  Config config;
  config.cutout = 11;
  config.strategy = true;

  const DeviceInput device(batch, config);
  cuda::FusedInput input = device.input();
  input.series = static_cast<int>(batch.close.size());
  using cuda::FusedPath;
  const FusedRun one = run_fused(input, device.rows, config, Family::KAMA, FusedPath::PerSymbol, 1, false);
  struct Variant {
    FusedPath path;
    int per_block;
    bool through_workspace;
  };
  for (const Variant& v : {Variant{FusedPath::PerSymbol, 3, false}, Variant{FusedPath::PerFamily, 5, false},
                           Variant{FusedPath::PerFamily, 32, false}, Variant{FusedPath::PerFamily, 32, true}}) {
    SCOPED_TRACE(std::string(v.path == FusedPath::PerSymbol ? "per symbol, " : "per family, ") +
                 std::to_string(v.per_block) + " series per block" + (v.through_workspace ? ", workspace" : ""));
    expect_same_bits(one, run_fused(input, device.rows, config, Family::KAMA, v.path, v.per_block, v.through_workspace));
  }
}

// §10: both implementations, in float64, name the reference's first bar with a non-finite
// equity for every series (−1 where there is none), whatever the series per block.
TEST(FusedKernel, PathsNameTheReferencesFirstNonFiniteEquityBar) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = ragged_batch({.symbols = 41, .min_bars = 200, .max_bars = 3000, .seed = seed});
  Config config;
  config.lambda = 30.0;  // La = 0.03: the longer series overflow, the shorter ones do not
  ComputeOptions options;
  options.backend = Backend::Reference;
  const BatchResult reference = compute_batch(batch.views(), config, options);
  std::vector<long long> expected;
  for (const SymbolStatus& s : reference.status) {
    ASSERT_TRUE(s.ok() || s.code == StatusCode::EquityOverflow) << s.message;
    expected.push_back(s.ok() ? -1 : s.bar);
  }
  ASSERT_NE(std::count(expected.begin(), expected.end(), -1), 0);
  ASSERT_NE(std::count(expected.begin(), expected.end(), -1), static_cast<long>(expected.size()));

  const DeviceInput device(batch, config);
  cuda::FusedInput input = device.input();
  input.series = static_cast<int>(batch.close.size());
  using cuda::FusedPath;
  for (const auto& [path, per_block] : {std::pair{FusedPath::PerSymbol, 1}, std::pair{FusedPath::PerSymbol, 3},
                                         std::pair{FusedPath::PerFamily, 5}, std::pair{FusedPath::PerFamily, 32}}) {
    SCOPED_TRACE(std::string(path == FusedPath::PerSymbol ? "per symbol, " : "per family, ") +
                 std::to_string(per_block) + " series per block");
    EXPECT_EQ(run_fused(input, device.rows, config, Family::EMA, path, per_block, false).nonfinite_equity_bar,
              expected);
  }
}

// Decimal ticks (the narrow path) through the wide kernels give the narrow kernels' bits,
// on both implementations: the path changes the speed, never the result.
TEST(FusedKernel, WideKernelsGiveTheNarrowBitsOnDecimalTicks) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  OwnedBatch batch;
  for (int s = 0; s < 40; ++s) batch.add("G", grid_walk(300 + 37 * s, seed + s, s % 2 ? 0.01 : 0.001, 5.0 + s, 0.3));
  Config config;
  config.cutout = 7;
  const DeviceInput device(batch, config);
  cuda::FusedInput input = device.input();
  input.series = static_cast<int>(batch.size());
  ASSERT_EQ(input.wide, 0) << "cent and tenth-of-a-cent walks fit the narrow path";
  for (Family calibration : {Family::HMA, Family::WMA, Family::LSMA, Family::KAMA}) {
    SCOPED_TRACE(std::string(family_name(calibration)));
    const FusedRun narrow = run_fused(input, device.rows, config, calibration, cuda::FusedPath::PerSymbol, 0, false);
    cuda::FusedInput wide = input;
    wide.wide = 1;
    for (cuda::FusedPath path : {cuda::FusedPath::PerSymbol, cuda::FusedPath::PerFamily}) {
      expect_same_bits(narrow, run_fused(wide, device.rows, config, calibration, path, 0, false));
      expect_same_bits(narrow, run_fused(input, device.rows, config, calibration, path, 0, true));
    }
  }
}

// The two implementations on what stresses the per-family one: series up to 100,000
// bars, a src distinct from close for some series, long
// lengths (rings of 512 bars; and of 8,192, where a block holds fewer series) and a
// cutout.
TEST(FusedKernel, PathsAgreeOnLongSeriesLongLengthsAndOwnSrc) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  OwnedBatch batch = ragged_batch({.symbols = 37, .min_bars = 3000, .max_bars = 100000, .seed = seed});
  for (std::size_t s = 1; s < batch.size(); s += 2) {  // src: hl2-like, near close
    batch.src[s] = batch.close[s];
    for (std::size_t t = 0; t < batch.src[s].size(); ++t) batch.src[s][t] *= 1.0 + 0.001 * std::sin(0.1 * static_cast<double>(t));
  }
  Config config;
  config.length = {200, 28, 57, 13, 300, 90};
  config.robustness = Robustness::Wide;
  config.cutout = 500;
  config.lambda = 0.5;
  for (const int kama_length : {90, 5000}) {
    config.length[static_cast<int>(Family::KAMA)] = kama_length;
    SCOPED_TRACE("KAMA length " + std::to_string(kama_length));
    const DeviceInput device(batch, config);
    cuda::FusedInput input = device.input();
    input.series = static_cast<int>(batch.size());
    const FusedRun per_symbol = run_fused(input, device.rows, config, Family::LSMA, cuda::FusedPath::PerSymbol, 0, false);
    expect_same_bits(per_symbol, run_fused(input, device.rows, config, Family::LSMA, cuda::FusedPath::PerFamily, 0, true));
  }
}

// The float32 variant (FusedParams::float32) against the float64 kernel on the same
// ragged batch: NaN exactly where float64 has it (before the cutout), Average_Signal in
// [-1, 1], and most discrete outputs equal. It makes no exactness promise: the measured
// distances are printed (and tabulated by bench_cuda in bench/RESULTS.md).
TEST(FusedKernel, Float32VariantStaysNearTheFloat64Kernel) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = ragged_batch({.symbols = 200, .min_bars = 500, .max_bars = 3000, .seed = seed});
  Config config;
  config.cutout = 20;
  const DeviceInput device(batch, config);
  cuda::FusedInput input = device.input();
  input.series = static_cast<int>(batch.close.size());

  const auto run = [&](bool float32) {
    DeviceBuffer<double> average(device.rows);
    DeviceBuffer<std::int8_t> classes(cuda::kFusedClassOutputs * device.rows);
    cuda::DeviceColumns out;
    out.average_signal = average.data();
    out.classification_in(classes.data(), device.rows);
    cuda::FusedParams params = cuda::make_fused_params(config, -1);
    params.float32 = float32 ? 1 : 0;
    DeviceBuffer<std::int8_t> workspace(cuda::fused_workspace_bytes(device.rows, out));
    cuda::launch_fused(input, params, out, workspace.data());
    ATC_CUDA_CHECK(cudaDeviceSynchronize());
    return std::make_pair(download(average), download(classes));
  };
  const auto [avg64, cls64] = run(false);
  const auto [avg32, cls32] = run(true);
  double max_diff = 0.0;
  for (std::size_t i = 0; i < device.rows; ++i) {
    ASSERT_EQ(std::isnan(avg64[i]), std::isnan(avg32[i])) << "row " << i;
    if (std::isnan(avg32[i])) continue;
    ASSERT_LE(std::fabs(avg32[i]), 1.0) << "row " << i;
    max_diff = std::max(max_diff, std::fabs(avg64[i] - avg32[i]));
  }
  std::size_t differing = 0;
  for (std::size_t i = 0; i < cls64.size(); ++i) differing += cls64[i] != cls32[i] ? 1 : 0;
  const double share = static_cast<double>(differing) / static_cast<double>(cls64.size());
  std::printf("float32 vs float64: %zu rows, max |dAverage_Signal| %.3g, classification outputs differing %.4f%%\n",
              device.rows, max_diff, 100.0 * share);
  EXPECT_LT(share, 0.10) << "more than a tenth of the classification outputs differ";
}

TEST(FusedKernel, RejectsLengthsBeyondItsRing) {
  ATC_REQUIRE_GPU();
  Config config;
  config.length.fill(cuda::kFusedMaxLength + 1);
  const exact::TickScale scale;  // never read: the launch is refused first
  cuda::FusedInput input;
  input.series = 1;
  input.ticks = &scale;
  EXPECT_THROW(cuda::launch_fused(input, cuda::make_fused_params(config, -1), cuda::DeviceColumns{}, nullptr), Error);
}

TEST(FusedKernel, RejectsMissingTickScales) {
  ATC_REQUIRE_GPU();
  cuda::FusedInput input;
  input.series = 1;
  EXPECT_THROW(cuda::launch_fused(input, cuda::make_fused_params(Config{}, -1), cuda::DeviceColumns{}, nullptr), Error);
}

TEST(FusedKernel, RejectsAMissingWorkspace) {
  ATC_REQUIRE_GPU();
  const exact::TickScale scale;  // never read: the launch is refused first
  cuda::FusedInput input;
  input.series = 1;
  input.ticks = &scale;
  cuda::DeviceColumns out;
  double average = 0.0;  // never written: the launch is refused first
  out.average_signal = &average;
  EXPECT_THROW(cuda::launch_fused(input, cuda::make_fused_params(Config{}, -1), out, nullptr), Error);
}

}  // namespace
}  // namespace atc::test
