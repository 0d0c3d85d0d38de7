// Parameter sweeps host to host (prices in host memory → one row per configuration and
// symbol in host memory), beside the compute floor measured in the same run.
//
//   bench_sweep [--repeats N] [--quick]
//
// Cases: 1,000 configurations × 500 symbols × 1,000 bars (5·10^8 configuration-symbol-
// bars) and 10,000 × 100 × 1,000, cent-grid random walks, backtest on state with a fee.
// "floor": the fused kernel alone (scan outputs, CUDA events) on 10,000 symbols × 1,000
// bars, a batch that fills the device, scaled to the case's configuration-symbol-bars:
// what the sweep's Average_Signal and classification cost at full occupancy. "loop":
// compute_batch (cuda, scan outputs) and atc::backtest per symbol for each of the first
// configurations, the way a sweep is written without this API, scaled to all of them.
// "cpu": the cpu backend's sweep on a subset of the configurations, scaled. Host times
// are medians of N runs after a warm-up, on the host clock around the whole call.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "atc/atc.hpp"
#include "core/prepared.hpp"
#include "core/ticks.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/fused.hpp"
#include "timing.hpp"
#include "universe.hpp"

namespace {

using atc::bench::median_host_ms;
using atc::bench::universe;
using atc::bench::Universe;
using atc::cuda::DeviceBuffer;

// A product grid of `count` configurations (1,000 or 10,000): base length × robustness ×
// lambda × decay × cutout.
std::vector<atc::Config> grid(int count) {
  std::vector<atc::Config> configs;
  const int decays = count >= 10'000 ? 10 : 5, cutouts = count >= 10'000 ? 10 : 2;
  for (int l = 0; l < 10; ++l)
    for (int r = 0; r < 2; ++r)
      for (double lambda : {0.01, 0.02, 0.05, 0.1, 0.2})
        for (int d = 0; d < decays; ++d)
          for (int k = 0; k < cutouts; ++k) {
            atc::Config c;
            c.length.fill(10 + 4 * l);
            c.robustness = r == 0 ? atc::Robustness::Medium : atc::Robustness::Wide;
            c.lambda = lambda;
            c.decay = 0.01 + 0.02 * d;
            c.cutout = 10 * k;
            configs.push_back(c);
          }
  configs.resize(static_cast<std::size_t>(count));
  return configs;
}

// Milliseconds per symbol-bar of the fused kernel (scan outputs) on 10,000 × 1,000.
double floor_ms_per_symbol_bar(int repeats) {
  constexpr int kSymbols = 10'000, kBars = 1'000;
  const Universe u = universe(kSymbols, kBars, 7);
  const atc::Config config;
  const std::size_t rows = static_cast<std::size_t>(kSymbols) * kBars;
  std::vector<double> close;
  std::vector<long long> offset{0};
  std::vector<atc::exact::TickScale> ticks;
  bool wide = false;
  for (const auto& c : u.close) {
    close.insert(close.end(), c.begin(), c.end());
    offset.push_back(offset.back() + kBars);
    const auto t = atc::detail::series_ticks(c.data(), c.data(), c.size());
    ticks.push_back(t.scale);
    wide = wide || atc::detail::sum_width(t, config.max_length()) == atc::detail::SumWidth::Wide;
  }
  const auto growth_host = atc::detail::growth_table(config, kBars);
  const auto d_close = atc::cuda::to_device(std::span<const double>(close));
  const auto d_offset = atc::cuda::to_device(std::span<const long long>(offset));
  const auto d_ticks = atc::cuda::to_device(std::span<const atc::exact::TickScale>(ticks));
  const auto d_growth = atc::cuda::to_device(std::span<const double>(growth_host));
  DeviceBuffer<double> average(rows);
  DeviceBuffer<std::int8_t> classes(rows * atc::cuda::kFusedClassOutputs), workspace(rows * atc::kFamilies);
  DeviceBuffer<long long> nonfinite(kSymbols);
  atc::cuda::FusedInput in;
  in.close = d_close.data();
  in.offset = d_offset.data();
  in.ticks = d_ticks.data();
  in.growth = d_growth.data();
  in.series = kSymbols;
  in.wide = wide ? 1 : 0;
  atc::cuda::DeviceColumns out;
  out.average_signal = average.data();
  out.classification_in(classes.data(), rows);
  out.nonfinite_equity_bar = nonfinite.data();
  const auto params = atc::cuda::make_fused_params(config, -1);
  const double ms = atc::bench::median_ms([&] { atc::cuda::launch_fused(in, params, out, workspace.data()); }, repeats);
  return ms / static_cast<double>(rows);
}

struct Case {
  int configs, symbols, bars;
};

}  // namespace

int main(int argc, char** argv) {
  const auto arguments = atc::bench::parse_arguments(argc, argv, "bench_sweep", 5);
  if (!arguments) return 2;
  const int repeats = arguments->repeats;
  const bool quick = arguments->quick;
  const double floor = floor_ms_per_symbol_bar(repeats);
  std::printf("floor: fused kernel, scan outputs, 10000 x 1000: %.3f ms (%.2e symbol-bars/s)\n", floor * 1e7,
              1e3 / floor);
  std::printf("%-22s %8s %10s %8s %10s %12s %10s %10s %10s\n", "case", "streams", "sweep ms", "floor", "x floor",
              "cfg-sym-bar/s", "device MB", "loop ms", "speed-up");
  const unsigned threads = std::thread::hardware_concurrency();
  for (const Case c : {Case{1000, 500, 1000}, Case{10'000, 100, 1000}}) {
    const Universe u = universe(c.symbols, c.bars, 11u + static_cast<unsigned>(c.configs));
    const std::vector<atc::Config> configs = grid(c.configs);
    atc::SweepOptions options;
    options.compute.backend = atc::Backend::Cuda;
    options.backtest.fee_bps = 5.0;
    const double work = static_cast<double>(c.configs) * c.symbols * c.bars;
    const double floor_ms = floor * work;
    // The loop a user would write: a batch and a backtest per configuration.
    const int loop_configs = quick ? 10 : 50;
    atc::ComputeOptions batch_options;
    batch_options.backend = atc::Backend::Cuda;
    batch_options.outputs = atc::OutputRequest::scan();
    const double loop_ms = median_host_ms(
                               [&] {
                                 for (int k = 0; k < loop_configs; ++k) {
                                   const auto r = atc::compute_batch(u.views, configs[k], batch_options);
                                   for (std::size_t s = 0; s < u.views.size(); ++s) {
                                     const auto v = r.outputs.view(s);
                                     (void)atc::backtest(u.views[s].close, v.state, options.backtest);
                                   }
                                 }
                               },
                               1) *
                           c.configs / loop_configs;
    for (int streams : {1, 4}) {  // the options' streams: the sweep takes more for a small universe
      options.compute.streams = streams;
      std::size_t device_bytes = 0;
      int used = 0;
      const double ms = median_host_ms(
          [&] {
            const auto r = atc::sweep(u.views, configs, options);
            device_bytes = r.device_bytes;
            used = r.streams;
          },
          quick ? 1 : repeats);
      const std::string name = std::to_string(c.configs) + "x" + std::to_string(c.symbols) + "x" +
                               std::to_string(c.bars);
      std::printf("%-22s %8d %10.1f %8.1f %10.2f %12.2e %10.1f %10.0f %10.1f\n", name.c_str(), used, ms, floor_ms,
                  ms / floor_ms, work / ms * 1e3, static_cast<double>(device_bytes) / 1e6, loop_ms, loop_ms / ms);
    }
    // The cpu backend on a subset of the configurations, with every core and with 2.
    const std::size_t subset = quick ? 4 : (c.configs >= 10'000 ? 100 : 20);
    const std::vector<atc::Config> some(configs.begin(), configs.begin() + static_cast<std::ptrdiff_t>(subset));
    for (unsigned t : {threads, 2u}) {
      atc::SweepOptions cpu = options;
      cpu.compute.backend = atc::Backend::Cpu;
      cpu.compute.threads = static_cast<int>(t);
      const double ms = median_host_ms([&] { (void)atc::sweep(u.views, some, cpu); }, 1) * c.configs /
                        static_cast<double>(subset);
      std::printf("cpu %-18s %5u thr %10.0f  (measured on %zu configurations, scaled)\n",
                  (std::to_string(c.configs) + "x" + std::to_string(c.symbols)).c_str(), t, ms, subset);
    }
  }
  return 0;
}
