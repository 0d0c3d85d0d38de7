// Live updates host to host: one LiveEngine::update (and peek) of a whole universe on the
// cpu and cuda backends, beside recomputing the batch for the bar, and the ceilings the
// cuda update is bounded by, measured in the same run.
//
//   bench_live [--repeats N] [--quick]
//
// Universe: cent-grid random walks; the engine is initialised on the first `history`
// bars, each timed update gives every symbol its next bar. Host times are medians on
// the host clock around the whole call (its outputs complete in host memory). "hold":
// an update in which no symbol has a bar (the step skipped: what the transfers, the
// outputs and the statuses cost). "floor": the bytes of state an update reads and
// writes (every symbol's Core and rings, twice) at the device's copy bandwidth.
// "kernel": the step kernel alone, CUDA events around its launch (kernel_us).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "atc/atc.hpp"
#include "atc/live.hpp"
#include "cuda/device_buffer.hpp"
#include "live/live_device.hpp"
#include "live/live_state.hpp"
#include "timing.hpp"
#include "universe.hpp"

namespace {

using atc::bench::median_host_ms;
using atc::bench::median_ms;

// Device-to-device copy bandwidth, GB/s (read + write counted).
double copy_bandwidth_gbs(int repeats) {
  constexpr std::size_t kBytes = std::size_t{1} << 30;
  atc::cuda::DeviceBuffer<std::uint8_t> a(kBytes), b(kBytes);
  const double ms = median_ms([&] { ATC_CUDA_CHECK(cudaMemcpy(b.data(), a.data(), kBytes, cudaMemcpyDeviceToDevice)); },
                              repeats);
  return 2.0 * kBytes / (ms * 1e6);
}

// Pinned host-to-device bandwidth, GB/s.
double pcie_bandwidth_gbs(int repeats) {
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  atc::cuda::DeviceBuffer<std::uint8_t> d(kBytes);
  auto h = atc::cuda::pinned<std::uint8_t>(kBytes);
  const double ms = median_ms(
      [&] { ATC_CUDA_CHECK(cudaMemcpy(d.data(), h.get(), kBytes, cudaMemcpyHostToDevice)); }, repeats);
  return kBytes / (ms * 1e6);
}

// The step kernel alone (CUDA events around its launch), median µs: states made on the
// host from `history` bars (detail::live, as LiveEngine::add makes them), then updates
// of every symbol. Returns {kernel µs, peek kernel µs}.
std::pair<double, double> kernel_us(const atc::bench::Universe& u, int history, int repeats) {
  namespace live = atc::detail::live;
  const live::Params params{atc::Config{}};
  const std::size_t n = u.views.size();
  std::vector<live::SymbolState> states(n, live::make_state(params));
  std::vector<std::jthread> threads;
  const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      for (std::size_t i = n * w / workers; i < n * (w + 1) / workers; ++i)
        for (int t = 0; t < history; ++t) {
          const double close = u.close[i][static_cast<std::size_t>(t)];
          live::step(states[i], params, close, close, u.names[i]);
        }
    });
  threads.clear();  // joins
  live::DeviceStates device(params);
  device.upload(states);
  device.time_kernel(true);
  std::fill(device.take_input(), device.take_input() + n, std::uint8_t{1});
  const auto median_of = [&](bool commit) {
    std::vector<double> times;
    for (int r = 0; r <= repeats; ++r) {
      const auto t = static_cast<std::size_t>(history + r);
      for (std::size_t i = 0; i < n; ++i) device.close_input()[i] = u.close[i][t];
      device.step(false, commit);
      if (r > 0) times.push_back(device.last_kernel_ms() * 1e3);  // the first: warm-up
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    return times[times.size() / 2];
  };
  const double update = median_of(true);
  return {update, median_of(false)};
}

struct Case {
  int symbols, history;
};

}  // namespace

int main(int argc, char** argv) {
  const auto arguments = atc::bench::parse_arguments(argc, argv, "bench_live", 21);
  if (!arguments) return 2;
  const int repeats = arguments->repeats;
  const bool quick = arguments->quick;
  const double copy_gbs = copy_bandwidth_gbs(5), pcie_gbs = pcie_bandwidth_gbs(5);
  std::printf("ceilings: device copy %.0f GB/s, pinned host-to-device %.1f GB/s; %u host threads\n", copy_gbs,
              pcie_gbs, std::thread::hardware_concurrency());
  std::printf("%-8s %8s %8s %7s %12s %11s %10s %10s %10s %10s %12s %12s %9s\n", "backend", "symbols", "history",
              "bytes", "update us", "peek us", "hold us", "kernel us", "peek k us", "floor us", "add ms", "batch ms",
              "speed-up");
  std::vector<Case> cases{{10'000, 1000}, {10'000, 10'000}, {100'000, 1000}};
  if (quick) cases = {{10'000, 1000}};
  for (const Case c : cases) {
    const int updates = 2 * repeats + 4;
    const atc::bench::Universe u = atc::bench::universe(c.symbols, c.history + updates, 7u + c.symbols);
    std::vector<atc::SeriesView> histories = u.views;
    for (auto& v : histories) v.close = v.close.first(static_cast<std::size_t>(c.history));
    // Recomputing the batch for the bar: every symbol's whole history on the GPU.
    atc::ComputeOptions batch_options;
    batch_options.backend = atc::Backend::Cuda;
    batch_options.outputs = atc::OutputRequest::scan();
    const double batch_ms = median_host_ms([&] { (void)atc::compute_batch(histories, atc::Config{}, batch_options); },
                                           quick ? 1 : 3);
    // Every update's closes, gathered before the timing.
    std::vector<std::vector<double>> bars(static_cast<std::size_t>(updates), std::vector<double>(c.symbols));
    for (int k = 0; k < updates; ++k)
      for (int s = 0; s < c.symbols; ++s) bars[k][s] = u.close[s][static_cast<std::size_t>(c.history + k)];
    const std::vector<std::uint8_t> no_bar(static_cast<std::size_t>(c.symbols), 0);
    const auto [kernel, peek_kernel] = kernel_us(u, c.history, repeats);
    for (const atc::Backend backend : {atc::Backend::Cpu, atc::Backend::Cuda}) {
      atc::LiveEngine live(atc::Config{}, atc::LiveOptions{backend, 0});
      const auto t0 = std::chrono::steady_clock::now();  // once: adding is not repeatable
      live.add(histories);
      const double add_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      int k = 0;
      const double update_ms = median_host_ms([&] { (void)live.update(bars[static_cast<std::size_t>(k++)]); }, repeats);
      const double peek_ms = median_host_ms([&] { (void)live.peek(bars[static_cast<std::size_t>(k)]); }, repeats);
      // No symbol takes a bar: the update's fixed costs (transfers, outputs, statuses).
      const double hold_ms = median_host_ms([&] { (void)live.update(bars[static_cast<std::size_t>(k)], {}, no_bar); },
                                            repeats);
      const double state_bytes = static_cast<double>(live.state_bytes_per_symbol());
      const double floor_us = 2.0 * state_bytes * c.symbols / (copy_gbs * 1e3);
      const bool cuda = backend == atc::Backend::Cuda;
      std::printf("%-8s %8d %8d %7.0f %12.1f %11.1f %10.1f %10.1f %10.1f %10.1f %12.1f %12.2f %9.0f\n",
                  std::string(atc::backend_name(backend)).c_str(), c.symbols, c.history, state_bytes, update_ms * 1e3,
                  peek_ms * 1e3, hold_ms * 1e3, cuda ? kernel : 0.0, cuda ? peek_kernel : 0.0, floor_us, add_ms,
                  batch_ms, batch_ms / update_ms);
    }
  }
  return 0;
}
