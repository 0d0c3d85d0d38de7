// Kernel-only throughput of the fused kernels for 100 / 1,000 / 10,000 symbols ×
// 100 / 1,000 / 10,000 bars, beside two ceilings measured in the same run:
// device-to-device copy bandwidth and the FP64 FMA rate; and what compute_device
// (atc/device.hpp) adds to the fused kernel on a table already in device memory: its price
// walk alone (`price_walk`: start, bad bars, tick scales) and the whole call with
// pre-allocated outputs and workspace (`device_scan`, next to `fused_scan`: the same
// outputs; it includes the host's share, the statuses and admission of each series).
//
//   bench_cuda [--json PATH] [--repeats N] [--max-symbols N] [--max-bars N]
//              [--size SYMBOLS:BARS]   (one size only, e.g. for a profiler)
//              [--prices walk|grid]    (the inputs, below)
//
// Each time is the median of N runs (CUDA events) after one warm-up run. Inputs are
// geometric random walks: either full doubles (`walk`: binary ticks, the wide path of
// exact window arithmetic) or rounded to a cent (`grid`: decimal ticks, as real prices
// are). "symbol-bars/s" counts one symbol over one bar as one unit (all 54 MAs and
// both layers).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "atc/config.hpp"
#include "atc/device.hpp"
#include "core/prepared.hpp"
#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"
#include "core/ticks.hpp"
#include "cuda/fused.hpp"
#include "cuda/price_walk.cuh"
#include "timing.hpp"

namespace {

using atc::bench::median_ms;
using atc::cuda::DeviceBuffer;

struct Options {
  std::string json;
  int repeats = 7;
  int max_symbols = 10000;
  int max_bars = 10000;
  int only_symbols = 0, only_bars = 0;
  bool grid = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--json" && has_value) o.json = argv[++i];
    else if (arg == "--repeats" && has_value) o.repeats = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--max-symbols" && has_value) o.max_symbols = std::atoi(argv[++i]);
    else if (arg == "--max-bars" && has_value) o.max_bars = std::atoi(argv[++i]);
    else if (arg == "--prices" && has_value) o.grid = std::string(argv[++i]) == "grid";
    else if (arg == "--size" && has_value && std::sscanf(argv[++i], "%d:%d", &o.only_symbols, &o.only_bars) == 2) {}
    else {
      std::fprintf(stderr,
                   "usage: bench_cuda [--json PATH] [--repeats N] [--max-symbols N] [--max-bars N] "
                   "[--size SYMBOLS:BARS] [--prices walk|grid]\n");
      std::exit(2);
    }
  }
  return o;
}

constexpr int kFmaChains = 8;
constexpr int kFmaThreads = 256;

// Independent FMA chains per thread; the result is stored so nothing is optimized away.
__global__ void __launch_bounds__(kFmaThreads) fma_kernel(double* out, int iterations, double a, double b) {
  double acc[kFmaChains];
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) acc[c] = threadIdx.x + c;
  for (int i = 0; i < iterations; ++i) {
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) acc[c] = fma(acc[c], a, b);
  }
  double sum = 0.0;
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) sum += acc[c];
  out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
}

struct Ceilings {
  double copy_bytes_per_s = 0.0;  // bytes read + written
  double fp64_flops = 0.0;        // 2 per FMA
};

Ceilings measure_ceilings(int repeats) {
  Ceilings c;
  constexpr std::size_t kBytes = std::size_t{1} << 30;
  DeviceBuffer<char> a(kBytes), b(kBytes);
  ATC_CUDA_CHECK(cudaMemset(a.data(), 1, kBytes));
  const double copy_ms = median_ms(
      [&] { ATC_CUDA_CHECK(cudaMemcpyAsync(b.data(), a.data(), kBytes, cudaMemcpyDeviceToDevice)); }, repeats);
  c.copy_bytes_per_s = 2.0 * kBytes / (copy_ms * 1e-3);

  int device = 0, sms = 0;
  ATC_CUDA_CHECK(cudaGetDevice(&device));
  ATC_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int blocks = sms * 8, iterations = 4096;
  DeviceBuffer<double> out(static_cast<std::size_t>(blocks) * kFmaThreads);
  const double fma_ms = median_ms(
      [&] {
        fma_kernel<<<blocks, kFmaThreads>>>(out.data(), iterations, 0.999999, 1e-7);
        ATC_CUDA_CHECK_LAUNCH("fma_kernel");
      },
      repeats);
  c.fp64_flops = 2.0 * kFmaChains * iterations * static_cast<double>(blocks) * kFmaThreads / (fma_ms * 1e-3);
  return c;
}

// Geometric random walks, one contiguous series per symbol; on a grid of one cent
// (k / 100.0, as a CSV parser reads "123.45") when `grid`.
std::vector<double> random_walks(int symbols, int bars, std::uint64_t seed, bool grid) {
  std::vector<double> data(static_cast<std::size_t>(symbols) * bars);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> step(-1.0, 1.0), vol(0.002, 0.03);
  for (int s = 0; s < symbols; ++s) {
    const double v = vol(rng);
    double price = 100.0;
    for (int t = 0; t < bars; ++t) {
      data[static_cast<std::size_t>(s) * bars + t] = grid ? std::round(price * 100.0) / 100.0 : price;
      price *= 1.0 + v * step(rng);
    }
  }
  return data;
}

struct Row {
  std::string kernel;
  int symbols, bars;
  double ms;
  double bytes;  // fewest bytes the kernel must move (inputs once, outputs once)
};

void run_size(int symbols, int bars, const Options& opt, std::vector<Row>& rows) {
  const atc::Config config;
  const std::vector<double> per_symbol =
      random_walks(symbols, bars, 42u + static_cast<unsigned>(symbols + bars), opt.grid);
  const std::size_t size = static_cast<std::size_t>(symbols) * bars;
  const double n = static_cast<double>(size);
  const std::vector<double> growth_host = atc::detail::growth_table(config, static_cast<std::size_t>(bars));
  const DeviceBuffer<double> growth = atc::cuda::to_device(std::span<const double>(growth_host));
  DeviceBuffer<double> eq(atc::kLengthsPerFamily * size), fs(atc::kFamilies * size), avg(size);
  DeviceBuffer<std::int8_t> sig(atc::kLengthsPerFamily * size), cls(atc::cuda::kFusedClassOutputs * size);
  auto add = [&](std::string name, double bytes, const std::function<void()>& work) {
    rows.push_back({std::move(name), symbols, bars, median_ms(work, opt.repeats), bytes});
  };

  // The fused kernel on its input contract: the series concatenated, with offsets.
  std::vector<long long> offset_host(static_cast<std::size_t>(symbols) + 1);
  for (int s = 0; s <= symbols; ++s) offset_host[s] = static_cast<long long>(s) * bars;
  const DeviceBuffer<double> concatenated = atc::cuda::to_device(std::span<const double>(per_symbol));
  const DeviceBuffer<long long> offset = atc::cuda::to_device(std::span<const long long>(offset_host));
  std::vector<atc::exact::TickScale> ticks_host(static_cast<std::size_t>(symbols));
  bool wide = false;
  for (int s = 0; s < symbols; ++s) {
    const double* series = per_symbol.data() + static_cast<std::size_t>(s) * bars;
    const atc::detail::SeriesTicks ticks = atc::detail::series_ticks(series, series, static_cast<std::size_t>(bars));
    ticks_host[s] = ticks.scale;
    wide = wide || atc::detail::sum_width(ticks, config.max_length()) == atc::detail::SumWidth::Wide;
  }
  const DeviceBuffer<atc::exact::TickScale> ticks =
      atc::cuda::to_device(std::span<const atc::exact::TickScale>(ticks_host));
  atc::cuda::FusedInput input;
  input.close = concatenated.data();
  input.offset = offset.data();
  input.growth = growth.data();
  input.ticks = ticks.data();
  input.series = symbols;
  input.wide = wide ? 1 : 0;
  const atc::cuda::FusedParams params = atc::cuda::make_fused_params(config, -1);
  // Where the Layer-1 signals wait for Layer 2 when they are not requested as hundredths.
  DeviceBuffer<std::int8_t> workspace(atc::kFamilies * size);
  void* const ws = workspace.data();
  atc::cuda::DeviceColumns average_only;
  average_only.average_signal = avg.data();
  add("fused_average_only", n * 16, [&] { atc::cuda::launch_fused(input, params, average_only, ws); });
  // A scanner's request: Average_Signal and the classification.
  atc::cuda::DeviceColumns scan = average_only;
  scan.classification_in(cls.data(), size);
  add("fused_scan", n * (16 + 5), [&] { atc::cuda::launch_fused(input, params, scan, ws); });
  // compute_device on the same table (column-major, read in place) and outputs.
  DeviceBuffer<atc::cuda::PriceRecord> records(static_cast<std::size_t>(symbols));
  add("price_walk", n * 8, [&] {
    atc::cuda::launch_price_walk(concatenated.data(), nullptr, bars, symbols, records.data(), nullptr);
  });
  const atc::DeviceTable table{concatenated.data(), atc::DeviceDType::Float64, static_cast<std::size_t>(bars),
                               static_cast<std::size_t>(symbols), 1, bars};
  atc::DeviceOutputs device_scan;
  device_scan.average_signal = avg.data();
  std::int8_t** const class_columns[] = {&device_scan.trend, &device_scan.state, &device_scan.direction,
                                         &device_scan.long_entry, &device_scan.short_entry};
  for (int c = 0; c < atc::cuda::kFusedClassOutputs; ++c) *class_columns[c] = cls.data() + c * size;
  DeviceBuffer<std::byte> device_workspace(atc::device_workspace_bytes(table, nullptr, device_scan));
  const std::vector<std::string> names(static_cast<std::size_t>(symbols), "S");
  atc::ComputeOptions device_options;
  device_options.backend = atc::Backend::Cuda;
  add("device_scan", n * (16 + 5), [&] {
    const std::vector<atc::SymbolStatus> status =
        atc::compute_device(table, nullptr, names, config, device_options, device_scan, device_workspace.data(),
                            device_workspace.size(), nullptr);
    if (!std::all_of(status.begin(), status.end(), [](const atc::SymbolStatus& st) { return st.ok(); }))
      throw std::runtime_error("compute_device: a symbol failed");
  });
  atc::cuda::DeviceColumns standard = average_only;
  for (int f = 0; f < atc::kFamilies; ++f) {
    standard.family_signal[f] = fs.data() + f * size;
    standard.family_equity[f] = eq.data() + f * size;
  }
  standard.classification_in(cls.data(), size);
  add("fused_standard", n * (16 + 12 * 8 + 5), [&] { atc::cuda::launch_fused(input, params, standard, ws); });
  // The streamed pipeline's request: Layer-1 signals as int8 hundredths.
  atc::cuda::DeviceColumns hundredths = standard;
  for (int f = 0; f < atc::kFamilies; ++f) {
    hundredths.family_signal[f] = nullptr;
    hundredths.family_signal_hundredths[f] = sig.data() + f * size;
  }
  add("fused_hundredths", n * (16 + 6 * 8 + 6 + 5), [&] { atc::cuda::launch_fused(input, params, hundredths, ws); });
  // Standard outputs through each implementation whatever the batch's size (launch_fused
  // picks one by the series in flight: see fused.hpp).
  for (const auto& [path, name] : {std::pair{atc::cuda::FusedPath::PerSymbol, "per_symbol"},
                                   std::pair{atc::cuda::FusedPath::PerFamily, "per_family"}}) {
    atc::cuda::FusedParams forced = params;
    forced.path = path;
    add(std::string("fused_standard_") + name, n * (16 + 12 * 8 + 5),
        [&, forced] { atc::cuda::launch_fused(input, forced, standard, ws); });
  }

  // The float32 variant: timed, then compared with the float64 kernel on the same data.
  atc::cuda::FusedParams f32 = params;
  f32.float32 = 1;
  add("fused_average_f32", n * 16, [&] { atc::cuda::launch_fused(input, f32, average_only, ws); });
  add("fused_standard_f32", n * (16 + 12 * 8 + 5), [&] { atc::cuda::launch_fused(input, f32, standard, ws); });
  const auto outputs_of = [&](const atc::cuda::FusedParams& p) {
    atc::cuda::launch_fused(input, p, standard, ws);
    ATC_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<double> average(size), family_signal(atc::kFamilies * size);
    std::vector<std::int8_t> classes(atc::cuda::kFusedClassOutputs * size);
    avg.download(average);
    fs.download(family_signal);
    cls.download(classes);
    return std::make_tuple(average, family_signal, classes);
  };
  const auto [avg64, fs64, cls64] = outputs_of(params);
  const auto [avg32, fs32, cls32] = outputs_of(f32);
  double max_diff = 0.0;
  std::size_t nan_mismatch = 0, signal_diff = 0, class_diff = 0;
  for (std::size_t i = 0; i < avg64.size(); ++i) {
    if (std::isnan(avg64[i]) != std::isnan(avg32[i])) ++nan_mismatch;
    else if (!std::isnan(avg64[i])) max_diff = std::max(max_diff, std::fabs(avg64[i] - avg32[i]));
  }
  for (std::size_t i = 0; i < fs64.size(); ++i)
    if (!(fs64[i] == fs32[i] || (std::isnan(fs64[i]) && std::isnan(fs32[i])))) ++signal_diff;
  for (std::size_t i = 0; i < cls64.size(); ++i) class_diff += cls64[i] != cls32[i] ? 1 : 0;
  std::printf("float32 vs float64, %d x %d: max |dAverage_Signal| %.3g, NaN mismatches %zu, X_Signal values "
              "differing %.4f%%, classification outputs differing %.4f%%\n",
              symbols, bars, max_diff, nan_mismatch, 100.0 * static_cast<double>(signal_diff) / fs64.size(),
              100.0 * static_cast<double>(class_diff) / cls64.size());
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  cudaDeviceProp prop{};
  ATC_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  const Ceilings ceil = measure_ceilings(opt.repeats);
  std::vector<Row> rows;
  if (opt.only_symbols > 0 && opt.only_bars > 0) {
    run_size(opt.only_symbols, opt.only_bars, opt, rows);
  } else {
    for (int symbols : {100, 1000, 10000})
      for (int bars : {100, 1000, 10000})
        if (symbols <= opt.max_symbols && bars <= opt.max_bars) run_size(symbols, bars, opt, rows);
  }

  if (!opt.json.empty()) {
    std::ofstream json(opt.json);
    json << "{\n  \"device\": \"" << prop.name << "\",\n  \"copy_bytes_per_s\": " << ceil.copy_bytes_per_s
         << ",\n  \"fp64_fma_flops\": " << ceil.fp64_flops << ",\n  \"repeats\": " << opt.repeats
         << ",\n  \"results\": [\n";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& row = rows[i];
      const double units = static_cast<double>(row.symbols) * row.bars;
      json << "    {\"kernel\": \"" << row.kernel << "\", \"symbols\": " << row.symbols << ", \"bars\": " << row.bars
           << ", \"median_ms\": " << row.ms << ", \"symbol_bars_per_s\": " << units / (row.ms * 1e-3)
           << ", \"min_bytes\": " << row.bytes << ", \"bandwidth_fraction\": "
           << row.bytes / (row.ms * 1e-3) / ceil.copy_bytes_per_s << "}" << (i + 1 < rows.size() ? "," : "") << "\n";
    }
    json << "  ]\n}\n";
  }

  std::printf("device %s: copy %.0f GB/s (read+write), FP64 FMA %.2f TFLOP/s\n", prop.name,
              ceil.copy_bytes_per_s * 1e-9, ceil.fp64_flops * 1e-12);
  std::printf("%-20s %8s %7s %11s %16s %9s\n", "kernel", "symbols", "bars", "median ms", "symbol-bars/s",
              "of copy BW");
  for (const Row& row : rows) {
    const double seconds = row.ms * 1e-3, units = static_cast<double>(row.symbols) * row.bars;
    std::printf("%-20s %8d %7d %11.4f %16.4g %8.2f%%\n", row.kernel.c_str(), row.symbols, row.bars, row.ms,
                units / seconds, 100.0 * row.bytes / seconds / ceil.copy_bytes_per_s);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_cuda: %s\n", e.what());
  return 1;
}
