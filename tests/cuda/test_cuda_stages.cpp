// Each CUDA stage kernel against the scalar reference, on fresh random walks. The MA
// kernels with recurrences (EMA, DEMA) and every later stage (fed the reference's own
// inputs) must match bit for bit; the running-sum MAs within 1e-9 relative.
#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "cuda/device_buffer.hpp"
#include "cuda/stages.hpp"
#include "gpu_support.hpp"
#include "reference/reference.hpp"
#include "support/random_walk.hpp"

namespace atc::test {
namespace {

using cuda::Dense;
using cuda::DeviceBuffer;

// `symbols` random walks of `bars` bars, kept per symbol and time-major for the device.
struct DenseBatch {
  Dense dims;
  std::vector<std::vector<double>> series;
  std::vector<double> time_major;

  DenseBatch(int symbols, int bars, std::uint64_t seed) : dims{symbols, bars} {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> volatility(0.002, 0.05), log_price(-1.0, 4.0);
    for (int s = 0; s < symbols; ++s)
      series.push_back(random_walk(static_cast<std::size_t>(bars), rng(), std::pow(10.0, log_price(rng)),
                                   volatility(rng)));
    time_major = stack(std::vector<std::vector<std::vector<double>>>{series});
  }
  // [chain][t][s] from per-symbol, per-chain host series.
  template <class T>
  std::vector<T> stack(const std::vector<std::vector<std::vector<T>>>& chains) const {
    std::vector<T> out;
    out.reserve(chains.size() * dims.size());
    for (const auto& per_symbol : chains)
      for (int t = 0; t < dims.bars; ++t)
        for (int s = 0; s < dims.symbols; ++s) out.push_back(per_symbol[s][t]);
    return out;
  }
  // Series of symbol s, chain c, from a downloaded [chain][t][s] array.
  template <class T>
  std::vector<T> series_of(const std::vector<T>& stacked, int c, int s) const {
    std::vector<T> out(static_cast<std::size_t>(dims.bars));
    for (int t = 0; t < dims.bars; ++t)
      out[t] = stacked[c * dims.size() + static_cast<std::size_t>(t) * dims.symbols + s];
    return out;
  }
};

template <class T>
std::vector<T> download(const DeviceBuffer<T>& buffer) {
  std::vector<T> host(buffer.size());
  buffer.download(host);
  return host;
}

template <class T>
DeviceBuffer<T> upload(const std::vector<T>& host) {
  return cuda::to_device(std::span<const T>(host));
}

// Per-symbol reference results of one stage, reused by the later stages' tests.
struct FamilyReference {
  std::vector<std::vector<reference::Series>> ma;       // [chain][symbol]
  std::vector<std::vector<reference::Signal>> signal;   // [chain][symbol]
  std::vector<std::vector<reference::Series>> equity;   // [chain][symbol]
  std::vector<reference::Series> r;                      // [symbol]
};

void check_moving_averages(const DenseBatch& batch, Family family, const Config& config) {
  const auto lengths = config.lengths(family);
  DeviceBuffer<double> src = upload(batch.time_major);
  DeviceBuffer<double> ma(kLengthsPerFamily * batch.dims.size());
  cuda::moving_averages(family, batch.dims, src.data(), lengths, ma.data());
  ATC_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<double> got = download(ma);
  const bool exact = family == Family::EMA || family == Family::DEMA;
  double worst = 0.0;
  for (int c = 0; c < kLengthsPerFamily; ++c) {
    for (int s = 0; s < batch.dims.symbols; ++s) {
      const auto want = reference::moving_average(family, batch.series[s], lengths[c]);
      const auto have = batch.series_of(got, c, s);
      for (int t = 0; t < batch.dims.bars; ++t) {
        ASSERT_TRUE(exact ? same_bits(have[t], want[t]) : close_enough(have[t], want[t]))
            << family_name(family) << "(" << lengths[c] << ") symbol " << s << " bar " << t << ": "
            << have[t] << " vs " << want[t];
        if (!std::isnan(want[t])) worst = std::max(worst, std::fabs(have[t] - want[t]) / std::fabs(want[t]));
      }
    }
  }
  std::cout << family_name(family) << ": max relative error " << worst << " over " << batch.dims.bars
            << " bars\n";
}

class CudaStages : public ::testing::Test {
 protected:
  void SetUp() override { ATC_REQUIRE_GPU(); }
};

TEST_F(CudaStages, MovingAveragesMatchReferenceForEveryRobustness) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const DenseBatch batch(37, 700, seed);  // not a multiple of the block size
  for (Robustness robustness : {Robustness::Narrow, Robustness::Medium, Robustness::Wide}) {
    Config config;
    config.robustness = robustness;
    config.length = {12, 28, 9, 20, 31, 15};
    for (Family family : kAllFamilies) check_moving_averages(batch, family, config);
  }
}

TEST_F(CudaStages, RunningSumsStayAccurateOver100000Bars) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const DenseBatch batch(3, 100000, seed);
  const Config config;
  for (Family family : {Family::HMA, Family::WMA, Family::LSMA, Family::KAMA})
    check_moving_averages(batch, family, config);
}

TEST_F(CudaStages, LaterStagesMatchReferenceBitForBit) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const DenseBatch batch(45, 1500, seed);
  Config config;
  config.cutout = 17;
  config.lambda = 0.5;
  config.decay = 0.7;
  config.weight = {1.0, 0.5, 2.0, 0.2, 1.5, 1.0};
  const double la = config.growth_rate(), de = config.decay_rate(), keep = 1.0 - de;
  const Dense d = batch.dims;
  const int S = d.symbols;

  DeviceBuffer<double> close = upload(batch.time_major);
  const std::vector<double> growth_host = detail::growth_table(config, static_cast<std::size_t>(d.bars));
  DeviceBuffer<double> growth = upload(growth_host);
  DeviceBuffer<double> r(d.size());
  cuda::returns(d, close.data(), r.data());
  const std::vector<double> r_got = download(r);
  std::vector<reference::Series> r_ref;
  for (int s = 0; s < S; ++s) {
    r_ref.push_back(reference::returns(batch.series[s]));
    const auto have = batch.series_of(r_got, 0, s);
    for (int t = 0; t < d.bars; ++t) ASSERT_TRUE(same_bits(have[t], r_ref[s][t])) << "R, bar " << t;
  }

  std::vector<std::vector<reference::Series>> family_signal(kFamilies), family_equity(kFamilies);
  for (Family family : kAllFamilies) {
    const int f = static_cast<int>(family);
    SCOPED_TRACE(std::string(family_name(family)));
    const auto lengths = config.lengths(family);
    // Reference MAs, signals and equities of every chain, [chain][symbol].
    std::vector<std::vector<reference::Series>> ma(kLengthsPerFamily), eq(kLengthsPerFamily);
    std::vector<std::vector<reference::Signal>> sig(kLengthsPerFamily);
    for (int c = 0; c < kLengthsPerFamily; ++c) {
      for (int s = 0; s < S; ++s) {
        ma[c].push_back(reference::moving_average(family, batch.series[s], lengths[c]));
        sig[c].push_back(reference::crossover_signal(batch.series[s], ma[c][s]));
        const reference::Series sig_d(sig[c][s].begin(), sig[c][s].end());
        eq[c].push_back(reference::equity(1.0, sig_d, r_ref[s], la, de, config.cutout));
      }
    }
    DeviceBuffer<double> ma_dev = upload(batch.stack(ma));
    DeviceBuffer<std::int8_t> sig_dev(kLengthsPerFamily * d.size());
    cuda::crossover_signals(d, kLengthsPerFamily, close.data(), ma_dev.data(), sig_dev.data());
    const std::vector<std::int8_t> sig_got = download(sig_dev);
    ASSERT_EQ(sig_got, batch.stack(sig)) << "crossover signals";

    DeviceBuffer<double> eq_dev(kLengthsPerFamily * d.size());
    cuda::ma_equities(d, kLengthsPerFamily, sig_dev.data(), r.data(), growth.data(), config.cutout, keep,
                      eq_dev.data());
    const std::vector<double> eq_got = download(eq_dev), eq_want = batch.stack(eq);
    for (std::size_t i = 0; i < eq_got.size(); ++i)
      ASSERT_TRUE(same_bits(eq_got[i], eq_want[i])) << "per-MA equity, element " << i;

    DeviceBuffer<double> l1(d.size());
    cuda::layer1(d, sig_dev.data(), eq_dev.data(), config.cutout, l1.data());
    const std::vector<double> l1_got = download(l1);
    for (int s = 0; s < S; ++s) {
      std::vector<reference::Signal> sig_s;
      std::vector<reference::Series> eq_s;
      for (int c = 0; c < kLengthsPerFamily; ++c) {
        sig_s.push_back(sig[c][s]);
        eq_s.push_back(eq[c][s]);
      }
      family_signal[f].push_back(reference::layer1(sig_s, eq_s, config.cutout));
      family_equity[f].push_back(reference::equity(config.weight[f], family_signal[f][s], r_ref[s], la, de,
                                                   config.cutout));
      const auto have = batch.series_of(l1_got, 0, s);
      for (int t = 0; t < d.bars; ++t)
        ASSERT_TRUE(same_bits(have[t], family_signal[f][s][t])) << "Layer 1, symbol " << s << " bar " << t;
    }
  }

  DeviceBuffer<double> fs = upload(batch.stack(family_signal));
  DeviceBuffer<double> fe(kFamilies * d.size());
  cuda::family_equities(d, fs.data(), r.data(), growth.data(), config.weight, config.cutout, keep, fe.data());
  const std::vector<double> fe_got = download(fe), fe_want = batch.stack(family_equity);
  for (std::size_t i = 0; i < fe_got.size(); ++i)
    ASSERT_TRUE(same_bits(fe_got[i], fe_want[i])) << "family equity, element " << i;

  DeviceBuffer<double> avg(d.size());
  cuda::average_signal(d, fs.data(), fe.data(), config.cutout, avg.data());
  const std::vector<double> avg_got = download(avg);
  std::vector<reference::Series> avg_ref;
  for (int s = 0; s < S; ++s) {
    std::vector<reference::Series> sig_s, eq_s;
    for (int f = 0; f < kFamilies; ++f) {
      sig_s.push_back(family_signal[f][s]);
      eq_s.push_back(family_equity[f][s]);
    }
    avg_ref.push_back(reference::average_signal(sig_s, eq_s, config.cutout));
    const auto have = batch.series_of(avg_got, 0, s);
    for (int t = 0; t < d.bars; ++t) ASSERT_TRUE(same_bits(have[t], avg_ref[s][t])) << "Average_Signal";
  }

  for (bool strategy : {false, true}) {
    DeviceBuffer<std::int8_t> cls(cuda::kClassOutputs * d.size());
    cuda::classify(d, avg.data(), config.long_threshold, config.short_threshold, strategy, cls.data());
    const std::vector<std::int8_t> got = download(cls);
    std::vector<std::vector<std::vector<std::int8_t>>> want(cuda::kClassOutputs);
    for (int s = 0; s < S; ++s) {
      const auto c = reference::classify(avg_ref[s], config.long_threshold, config.short_threshold, strategy);
      for (int k = 0; const auto* column : {&c.trend, &c.state, &c.direction, &c.long_entry, &c.short_entry})
        want[k++].push_back(*column);
    }
    ASSERT_EQ(got, batch.stack(want)) << "classification, strategy " << strategy;
  }
}

}  // namespace
}  // namespace atc::test
