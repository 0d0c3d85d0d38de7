// Throughput of the cpu backend against the scalar reference: the full standard output
// set (Average_Signal, the 12 family columns, classification) for batches of
// deterministic random walks. The counter symbol_bars/s is the figure to compare.
//
//   bench_cpu --benchmark_filter=cpu/symbols:1000/bars:10000
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "atc/atc.hpp"

namespace {

// The reference costs about 1-2 microseconds per symbol-bar with the default lengths
// (O(L) windows for 36 of the 54 MAs); above this many symbol-bars an iteration would
// take longer than about 10 seconds, so the reference is not run there.
constexpr std::int64_t kReferenceSymbolBarLimit = 5'000'000;

// Geometric random walks, column after column, fixed seed: the same data every run;
// full doubles (binary ticks) or rounded to a cent (`grid`: decimal ticks, as real prices).
struct Market {
  std::vector<std::string> names;
  std::vector<double> close;
  std::vector<atc::SeriesView> views;
};

Market make_walks(std::size_t symbols, std::size_t bars, bool grid) {
  Market m;
  m.names.reserve(symbols);
  m.close.resize(symbols * bars);
  std::mt19937_64 rng(20240607);
  std::normal_distribution<double> step(0.0, 0.015);
  std::uniform_real_distribution<double> start(5.0, 500.0);
  for (std::size_t s = 0; s < symbols; ++s) {
    std::string name = "S";
    name += std::to_string(s);
    m.names.push_back(std::move(name));
    double price = start(rng);
    for (std::size_t t = 0; t < bars; ++t) {
      price *= std::exp(step(rng));
      m.close[s * bars + t] = grid ? std::round(price * 100.0) / 100.0 : price;
    }
  }
  m.views.resize(symbols);
  for (std::size_t s = 0; s < symbols; ++s)
    m.views[s] = atc::SeriesView{m.names[s], std::span<const double>(m.close).subspan(s * bars, bars), {}};
  return m;
}

void compute_standard(benchmark::State& state, atc::Backend backend, bool grid = false) {
  const auto symbols = static_cast<std::size_t>(state.range(0));
  const auto bars = static_cast<std::size_t>(state.range(1));
  const Market market = make_walks(symbols, bars, grid);
  atc::ComputeOptions options;
  options.backend = backend;
  options.outputs = atc::OutputRequest::standard();
  const atc::Config config;
  for (auto _ : state) {
    atc::BatchResult result = atc::compute_batch(market.views, config, options);
    if (result.ok_count() != symbols) {
      state.SkipWithError("some symbols were rejected");
      break;
    }
    benchmark::DoNotOptimize(result.outputs.average_signal.data());
    benchmark::ClobberMemory();
  }
  state.counters["symbol_bars/s"] = benchmark::Counter(
      static_cast<double>(symbols * bars) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  if (backend == atc::Backend::Cpu &&
      static_cast<std::int64_t>(symbols * bars) > kReferenceSymbolBarLimit)
    state.SetLabel("reference skipped at this size (over ~10 s per iteration)");
}

void BM_Reference(benchmark::State& state) { compute_standard(state, atc::Backend::Reference); }
void BM_Cpu(benchmark::State& state) { compute_standard(state, atc::Backend::Cpu); }
void BM_CpuGrid(benchmark::State& state) { compute_standard(state, atc::Backend::Cpu, true); }

void sizes(benchmark::internal::Benchmark* b, bool reference) {
  for (std::int64_t symbols : {1, 100, 1'000, 10'000})
    for (std::int64_t bars : {1'000, 10'000})
      if (!reference || symbols * bars <= kReferenceSymbolBarLimit) b->Args({symbols, bars});
  b->ArgNames({"symbols", "bars"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

// One live update (or peek: range 2 = 1) of every symbol (atc::LiveEngine, after a
// history of `bars` bars) on 2 threads: the counter symbol_updates/s, and the state per
// symbol. The batch rows above at the same size give the speed-up over recomputing the
// history every bar.
void BM_LiveUpdate(benchmark::State& state) {
  const bool peek = state.range(2) != 0;
  const auto symbols = static_cast<std::size_t>(state.range(0));
  const auto bars = static_cast<std::size_t>(state.range(1));
  const Market market = make_walks(symbols, bars + 64, true);
  std::vector<atc::SeriesView> history(market.views);
  for (auto& v : history) v.close = v.close.first(bars);
  atc::LiveEngine live(atc::Config{}, 2);
  live.add(history);
  std::vector<double> closes(symbols);
  std::size_t t = bars;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::size_t s = 0; s < symbols; ++s) closes[s] = market.views[s].close[t];
    t = t + 1 < bars + 64 ? t + 1 : bars;  // prices repeat after 64 bars: the cost does not depend on them
    state.ResumeTiming();
    benchmark::DoNotOptimize((peek ? live.peek(closes) : live.update(closes)).average_signal.data());
  }
  state.counters["symbol_updates/s"] = benchmark::Counter(
      static_cast<double>(symbols) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["state_bytes/symbol"] = static_cast<double>(live.state_bytes_per_symbol());
}

BENCHMARK(BM_Reference)->Name("reference")->Apply([](benchmark::internal::Benchmark* b) { sizes(b, true); });
BENCHMARK(BM_Cpu)->Name("cpu")->Apply([](benchmark::internal::Benchmark* b) { sizes(b, false); });
BENCHMARK(BM_CpuGrid)->Name("cpu_grid")->Apply([](benchmark::internal::Benchmark* b) { sizes(b, false); });
BENCHMARK(BM_LiveUpdate)
    ->Name("live_update")
    ->ArgNames({"symbols", "bars", "peek"})
    ->Args({1'000, 1'000, 0})
    ->Args({10'000, 1'000, 0})
    ->Args({10'000, 10'000, 0})
    ->Args({100'000, 1'000, 0})
    ->Args({10'000, 1'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
