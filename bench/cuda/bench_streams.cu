// Host-to-host throughput of the streamed CUDA pipeline (prices in pageable host memory
// to output columns in host memory), beside the PCIe bandwidth measured in the same run.
//
//   bench_streams [--json PATH] [--repeats N] [--quick]
//
// For 10 … 10,000 symbols × 1,000 bars and 1,000 × 10,000 bars, the scan outputs
// (Average_Signal + classification), the standard outputs and the compact ones (the
// standard set with X_Signal kept as int8 hundredths on the host), with 1/2/4/8/16 streams;
// then pinned vs pageable staging, graphs on vs off, the first call (empty cache) vs the
// cached repeat, and "direct": the prices and result columns themselves pinned
// (atc::PinnedRegion, as a live scanner would keep them), so that the pipeline moves
// them without staging copies. All other cases stage (PipelineTuning::direct = false).
// Each time is the median of N runs after one warm-up, taken on the host clock around
// the whole call (it returns when the outputs are written).
// Per run the pipeline reports the bytes it moved and, from per-chunk CUDA events, the
// sum of per-stream busy time over the device wall time ("overlap").
// "of bound": the transfer bound max(bytes up / H2D bandwidth, bytes down / D2H
// bandwidth) (both directions at once, pinned) over the measured time. "kernel ms": the
// fused kernel alone over the whole workload already on the device (the compute floor).
// "ceiling": the most that streams can gain over one stream that runs at its own floor.
// One stream orders every upload, kernel and download, so it takes at least up + kernel
// + down; any number of streams at least max(up, kernel, down).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "core/prepared.hpp"
#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/fused.hpp"
#include "cuda/pipeline.hpp"
#include "timing.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string json;
  int repeats = 7;
  bool quick = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json" && i + 1 < argc) o.json = argv[++i];
    else if (arg == "--repeats" && i + 1 < argc) o.repeats = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--quick") o.quick = true;
    else {
      std::fprintf(stderr, "usage: bench_streams [--json PATH] [--repeats N] [--quick]\n");
      std::exit(2);
    }
  }
  return o;
}

// Pinned host ↔ device bandwidth (bytes/s): median of 5 copies of 256 MiB, CUDA events.
double copy_bandwidth(cudaMemcpyKind kind) {
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  void *host = nullptr, *device = nullptr;
  ATC_CUDA_CHECK(cudaMallocHost(&host, kBytes));
  ATC_CUDA_CHECK(cudaMalloc(&device, kBytes));
  std::memset(host, 1, kBytes);
  const double ms = atc::bench::median_ms(
      [&] {
        if (kind == cudaMemcpyHostToDevice) ATC_CUDA_CHECK(cudaMemcpyAsync(device, host, kBytes, kind));
        else ATC_CUDA_CHECK(cudaMemcpyAsync(host, device, kBytes, kind));
      },
      5);
  ATC_CUDA_CHECK(cudaFree(device));
  ATC_CUDA_CHECK(cudaFreeHost(host));
  return kBytes / (ms * 1e-3);
}

// Geometric random walks, one contiguous series per symbol.
struct Market {
  int symbols = 0, bars = 0;
  std::vector<double> close;
  std::vector<std::string> names;
  Market(int s, int b, std::uint64_t seed) : symbols(s), bars(b), close(static_cast<std::size_t>(s) * b) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> step(0.0, 0.01);
    for (int i = 0; i < s; ++i) {
      double price = 100.0;
      for (int t = 0; t < b; ++t) {  // rounded to a cent: decimal ticks, as real prices
        price *= std::exp(step(rng));
        close[static_cast<std::size_t>(i) * b + t] = std::round(price * 100.0) / 100.0;
      }
      names.emplace_back("S");
      names.back() += std::to_string(i);
    }
  }
};

// One prepared batch (the first `symbols` of a market) with its output columns.
struct Workload {
  std::vector<atc::SeriesView> views;
  std::vector<atc::SymbolStatus> status;
  atc::detail::PreparedBatch batch;
  atc::BatchOutputs outputs;
  Workload(const Market& m, int symbols, const atc::OutputRequest& request) {
    std::vector<std::size_t> offsets{0};
    for (int i = 0; i < symbols; ++i) {
      views.push_back({m.names[i], std::span<const double>(m.close).subspan(static_cast<std::size_t>(i) * m.bars, m.bars), {}});
      offsets.push_back(offsets.back() + static_cast<std::size_t>(m.bars));
    }
    outputs.allocate(request, offsets);
    batch = atc::detail::prepare(views, atc::Config{}, atc::GapPolicy::Error, offsets, status);
  }
};

// The fused kernel alone over the whole workload, inputs and outputs on the device
// (one launch; median of 3 after a warm-up, CUDA events): the compute floor.
double kernel_ms(const Workload& w, bool standard) {
  using atc::cuda::DeviceBuffer;
  std::vector<double> close;
  std::vector<long long> offset{0};
  std::vector<atc::exact::TickScale> ticks;
  for (const atc::detail::PreparedSeries& s : w.batch.series) {
    close.insert(close.end(), s.close, s.close + s.n);
    offset.push_back(offset.back() + static_cast<long long>(s.n));
    ticks.push_back(s.ticks);
  }
  const std::size_t rows = close.size();
  const DeviceBuffer<double> d_close = atc::cuda::to_device<double>(close);
  const DeviceBuffer<long long> d_offset = atc::cuda::to_device<long long>(offset);
  const DeviceBuffer<atc::exact::TickScale> d_ticks = atc::cuda::to_device<atc::exact::TickScale>(ticks);
  const std::vector<double> growth = atc::detail::growth_table(atc::Config{}, w.batch.max_bars);
  const DeviceBuffer<double> d_growth = atc::cuda::to_device<double>(growth);
  std::vector<DeviceBuffer<double>> reals;
  std::vector<DeviceBuffer<std::int8_t>> bytes;
  atc::cuda::DeviceColumns out;
  out.average_signal = reals.emplace_back(rows).data();
  out.classification_in(bytes.emplace_back(atc::cuda::kFusedClassOutputs * rows).data(), rows);
  if (standard) {
    for (auto& c : out.family_signal_hundredths) c = bytes.emplace_back(rows).data();
    for (auto& c : out.family_equity) c = reals.emplace_back(rows).data();
  }
  atc::cuda::FusedInput in;
  in.close = d_close.data();
  in.offset = d_offset.data();
  in.growth = d_growth.data();
  in.ticks = d_ticks.data();
  in.series = static_cast<int>(w.batch.series.size());
  in.wide = w.batch.any_wide ? 1 : 0;
  const atc::cuda::FusedParams params = atc::cuda::make_fused_params(atc::Config{}, -1);
  DeviceBuffer<std::int8_t> workspace(atc::cuda::fused_workspace_bytes(rows, out));
  return atc::bench::median_ms([&] { atc::cuda::launch_fused(in, params, out, workspace.data()); }, 3);
}

struct Case {
  int symbols = 0, bars = 0, streams = 4;
  std::string outputs;
  bool pinned = true, graphs = true, direct = false;
  // "repeat" (median of cached runs), "first" (empty cache), "entry" (the whole public
  // compute_batch: price checks, output allocation and the pipeline) or "prepare" (its
  // price checks and tick scales alone).
  std::string call = "repeat";
  double ms = 0.0;
  double kernel_ms = 0.0;  // the fused kernel alone on this workload
  atc::cuda::PipelineStats stats;
};

double run_once(Workload& w, const atc::ComputeOptions& options, atc::cuda::PipelineTuning tuning,
                atc::cuda::PipelineStats& stats) {
  tuning.stats = &stats;
  const auto t0 = Clock::now();
  atc::cuda::run_pipeline(w.batch, atc::Config{}, atc::detail::columns_of(w.outputs), options, tuning);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// compute_batch as a user calls it, into reused result columns (pinned when `direct`).
double run_entry(Workload& w, const atc::ComputeOptions& options, atc::BatchResult& result) {
  const auto t0 = Clock::now();
  atc::compute_batch(w.views, atc::Config{}, options, result);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double run_prepare(Workload& w) {
  std::vector<std::size_t> offsets{0};
  for (const atc::SeriesView& v : w.views) offsets.push_back(offsets.back() + v.close.size());
  std::vector<atc::SymbolStatus> status;
  const auto t0 = Clock::now();
  const atc::detail::PreparedBatch batch = atc::detail::prepare(w.views, atc::Config{}, atc::GapPolicy::Error, offsets, status);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (batch.series.size() != w.views.size()) std::abort();
  return ms;
}

double median_of(std::vector<double> ms) {
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

Case measure(Workload& w, Case c, int repeats) {
  atc::ComputeOptions options;
  options.backend = atc::Backend::Cuda;
  options.streams = c.streams;
  atc::cuda::PipelineTuning tuning;
  tuning.pinned = c.pinned;
  tuning.graphs = c.graphs;
  tuning.direct = c.direct;
  std::vector<atc::PinnedRegion> pinned_columns;
  if (c.direct) pinned_columns = atc::pin_columns(w.outputs);
  if (c.call == "entry" || c.call == "prepare") {
    atc::BatchResult result;
    options.outputs = w.outputs.request;
    std::vector<atc::PinnedRegion> pinned_result;
    const auto once = [&] { return c.call == "entry" ? run_entry(w, options, result) : run_prepare(w); };
    once();  // warm-up; the result's columns are allocated (and pinned) once
    if (c.direct && c.call == "entry") pinned_result = atc::pin_columns(result.outputs);
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) ms.push_back(once());
    c.ms = median_of(ms);
    return c;
  }
  if (c.call == "first") {
    atc::default_gpu_context().release();
    c.ms = run_once(w, options, tuning, c.stats);
    return c;
  }
  run_once(w, options, tuning, c.stats);  // warm-up: allocations, graph captures
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) ms.push_back(run_once(w, options, tuning, c.stats));
  c.ms = median_of(ms);
  return c;
}

double bound_ms(const Case& c, double h2d, double d2h) {
  return std::max(c.stats.upload_bytes / h2d, c.stats.download_bytes / d2h) * 1e3;
}

double stream_ceiling(const Case& c, double h2d, double d2h) {
  const double up = c.stats.upload_bytes / h2d * 1e3, down = c.stats.download_bytes / d2h * 1e3;
  return (up + c.kernel_ms + down) / std::max({up, c.kernel_ms, down});
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  if (!atc::cuda_available()) {
    std::fprintf(stderr, "bench_streams: no usable CUDA device\n");
    return 1;
  }
  cudaDeviceProp prop{};
  ATC_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  const double h2d = copy_bandwidth(cudaMemcpyHostToDevice), d2h = copy_bandwidth(cudaMemcpyDeviceToHost);
  std::printf("%s: pinned H2D %.1f GB/s, D2H %.1f GB/s (256 MiB copies)\n", prop.name, h2d / 1e9, d2h / 1e9);

  const Market wide(10000, 1000, 7), deep(1000, 10000, 8);
  // Pinned for the whole run; only the "direct" cases let the pipeline use it.
  const atc::PinnedRegion pinned_wide{std::span<const double>(wide.close)},
      pinned_deep{std::span<const double>(deep.close)};
  struct Size {
    const Market* market;
    int symbols;
  };
  std::vector<Size> sizes{{&wide, 10}, {&wide, 100}, {&wide, 500}, {&wide, 1000}, {&wide, 5000}, {&wide, 10000},
                          {&deep, 1000}};
  std::vector<int> stream_counts{1, 2, 4, 8, 16};
  if (options.quick) {
    sizes = {{&wide, 100}, {&wide, 1000}};
    stream_counts = {1, 4};
  }
  // "compact": the standard outputs with X_Signal as int8 hundredths on the host too.
  const std::pair<const char*, atc::OutputRequest> requests[] = {{"scan", atc::OutputRequest::scan()},
                                                                 {"standard", atc::OutputRequest::standard()},
                                                                 {"compact", atc::OutputRequest::compact()}};
  std::vector<Case> cases;
  for (const Size& size : sizes) {
    for (const auto& [name, request] : requests) {
      Workload w(*size.market, size.symbols, request);
      Case base;
      base.kernel_ms = kernel_ms(w, std::string(name) != "scan");
      base.symbols = size.symbols;
      base.bars = size.market->bars;
      base.outputs = name;
      for (int streams : stream_counts) {
        base.streams = streams;
        cases.push_back(measure(w, base, options.repeats));
      }
      for (int streams : {1, 2, 4, 8}) {
        Case c = base;
        c.streams = streams;
        c.direct = true;
        cases.push_back(measure(w, c, options.repeats));
      }
      if (size.symbols == 1000 || size.symbols == 10000) {
        for (const char* call : {"entry", "prepare"}) {
          Case c = base;
          c.streams = 4;
          c.direct = true;
          c.call = call;
          cases.push_back(measure(w, c, options.repeats));
        }
      }
      if (size.symbols == 10 || size.symbols == 1000 || size.symbols == 10000) {
        base.streams = 4;
        Case c = base;
        c.graphs = false;
        cases.push_back(measure(w, c, options.repeats));
        c = base;
        c.pinned = false;
        cases.push_back(measure(w, c, options.repeats));
        for (bool graphs : {true, false}) {
          c = base;
          c.graphs = graphs;
          c.call = "first";
          cases.push_back(measure(w, c, options.repeats));
        }
      }
    }
  }
  atc::default_gpu_context().release();

  std::printf("\n%-12s %-8s %3s %-8s %-6s %-6s %9s %11s %8s %8s %8s %7s %9s %7s %8s %8s\n", "symbols×bars", "outputs",
              "str", "staging", "graphs", "call", "ms", "symbols/s", "MB up", "MB down", "bound ms", "ofbound",
              "kernel ms", "overlap", "vs 1 str", "ceiling");
  for (const Case& c : cases) {
    double one_stream = 0.0;
    for (const Case& o : cases)
      if (o.symbols == c.symbols && o.bars == c.bars && o.outputs == c.outputs && o.streams == 1 && o.pinned &&
          o.graphs && o.direct == c.direct && o.call == "repeat")
        one_stream = o.ms;
    const double bound = bound_ms(c, h2d, d2h);
    std::printf("%6d×%-5d %-8s %3d %-8s %-6s %-6s %9.3f %11.3g %8.1f %8.1f %8.3f %6.0f%% %9.3f %7.2f %7.2fx %7.2fx\n",
                c.symbols, c.bars, c.outputs.c_str(), c.streams, c.direct ? "direct" : c.pinned ? "pinned" : "pageable",
                c.graphs ? "on" : "off", c.call.c_str(), c.ms, c.symbols / (c.ms * 1e-3), c.stats.upload_bytes / 1e6,
                c.stats.download_bytes / 1e6, bound, 100.0 * bound / c.ms, c.kernel_ms,
                c.stats.wall_ms > 0 ? c.stats.busy_ms / c.stats.wall_ms : 0.0,
                one_stream > 0 ? one_stream / c.ms : 0.0, stream_ceiling(c, h2d, d2h));
  }

  if (!options.json.empty()) {
    std::ofstream out(options.json);
    out << "{\n  \"gpu\": \"" << prop.name << "\",\n  \"h2d_bytes_per_s\": " << h2d << ",\n  \"d2h_bytes_per_s\": " << d2h
        << ",\n  \"repeats\": " << options.repeats << ",\n  \"cases\": [\n";
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      out << "    {\"symbols\": " << c.symbols << ", \"bars\": " << c.bars << ", \"outputs\": \"" << c.outputs
          << "\", \"streams\": " << c.streams << ", \"pinned\": " << (c.pinned ? "true" : "false")
          << ", \"direct\": " << (c.direct ? "true" : "false") << ", \"direct_input_chunks\": " << c.stats.direct_input_chunks
          << ", \"direct_output_chunks\": " << c.stats.direct_output_chunks
          << ", \"graphs\": " << (c.graphs ? "true" : "false") << ", \"call\": \"" << c.call << "\", \"ms\": " << c.ms
          << ", \"chunks\": " << c.stats.chunks << ", \"upload_bytes\": " << c.stats.upload_bytes
          << ", \"download_bytes\": " << c.stats.download_bytes << ", \"busy_ms\": " << c.stats.busy_ms
          << ", \"wall_ms\": " << c.stats.wall_ms << ", \"cached\": " << (c.stats.cached ? "true" : "false")
          << ", \"bound_ms\": " << bound_ms(c, h2d, d2h) << ", \"kernel_ms\": " << c.kernel_ms
          << ", \"stream_ceiling\": " << stream_ceiling(c, h2d, d2h) << "}" << (i + 1 < cases.size() ? "," : "") << "\n";
    }
    out << "  ]\n}\n";
  }
  return 0;
}
