// The CUDA sweep: the priced series go to the device once, sorted by length, and each
// configuration runs the fused path on the contiguous range of them it admits (the
// length checks of admission are monotone in the number of bars), then one thread per
// series reduces its columns to a SweepCell (src/sweep/sweep_cell.hpp) in the device.
// Only the cells (and the kept series) come back. Configurations take turns on a few
// stream slots (a stream with its own columns), so that one configuration's small
// launch overlaps the next ones' (slots enough for kSeriesInFlight series). When the
// universe's columns do not fit the device's memory for one slot, the series are cut into
// chunks that each run every configuration.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "../sweep/sweep_plan.hpp"
#include "check.hpp"
#include "device_buffer.hpp"
#include "fused.hpp"
#include "stream.hpp"

namespace atc::cuda {
namespace {

using detail::PreparedBatch;
using detail::SweepCell;
using detail::SweepConfig;

constexpr int kReduceThreads = 128;
constexpr std::size_t kSeriesInFlight = 4096;
constexpr int kMaxSlots = 32;

__global__ void reduce_kernel(const double* close, const long long* offset, const DeviceColumns out, int series,
                              int source, int side, double fee_rate, SweepCell* cells) {
  const int i = static_cast<int>(blockIdx.x) * blockDim.x + static_cast<int>(threadIdx.x);
  if (i >= series) return;
  const long long row = offset[i];
  const detail::SweepSeriesColumns columns{close + row,
                                           out.average_signal + row,
                                           out.trend + row,
                                           out.state + row,
                                           out.direction + row,
                                           out.long_entry + row,
                                           out.short_entry + row,
                                           offset[i + 1] - row};
  cells[i] = detail::reduce_series(columns, source, side, fee_rate, out.nonfinite_equity_bar[i]);
}

// The series of one chunk on the device, in the order of `order` (longest first).
struct DeviceSeries {
  std::vector<std::uint32_t> order;  // position -> priced series
  std::vector<long long> offset;     // [series + 1], rows of the chunk
  DeviceBuffer<long long> d_offset;
  DeviceBuffer<exact::TickScale> d_ticks;
  DeviceBuffer<double> d_close, d_src;  // d_src empty: src = close
  std::size_t rows = 0, max_bars = 0;
};

DeviceSeries upload(const PreparedBatch& priced, std::span<const std::uint32_t> order) {
  DeviceSeries d;
  d.order.assign(order.begin(), order.end());
  d.offset.assign(1, 0);
  bool own_src = false;
  for (std::uint32_t k : order) {
    const detail::PreparedSeries& p = priced.series[k];
    d.offset.push_back(d.offset.back() + static_cast<long long>(p.n));
    d.max_bars = std::max(d.max_bars, p.n);
    own_src = own_src || p.src != p.close;
  }
  d.rows = static_cast<std::size_t>(d.offset.back());
  std::vector<double> close(d.rows), src(own_src ? d.rows : 0);
  std::vector<exact::TickScale> ticks;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const detail::PreparedSeries& p = priced.series[order[i]];
    std::copy(p.close, p.close + p.n, close.begin() + d.offset[i]);
    if (own_src) std::copy(p.src, p.src + p.n, src.begin() + d.offset[i]);
    ticks.push_back(p.ticks);
  }
  d.d_offset = to_device<long long>(d.offset);
  d.d_ticks = to_device<exact::TickScale>(ticks);
  d.d_close = to_device<double>(close);
  if (own_src) d.d_src = to_device<double>(src);
  return d;
}

// One stream with the columns of the configuration in flight on it.
struct StreamSlot {
  Stream stream;
  DeviceBuffer<double> growth, average;
  DeviceBuffer<std::int8_t> classification, workspace;
  DeviceBuffer<long long> nonfinite;
  DeviceBuffer<SweepCell> cells;
  PinnedArray<double> growth_host;
  PinnedArray<SweepCell> cells_host;
  // The configuration in flight, delivered when the slot is next needed.
  std::size_t config = 0;
  int first = 0, count = 0;  // the range of positions it runs
  bool busy = false;

  StreamSlot(std::size_t rows, std::size_t series, std::size_t max_bars)
      : growth(max_bars),
        average(rows),
        classification(rows * kFusedClassOutputs),
        workspace(rows * kFamilies),
        nonfinite(series),
        cells(series),
        growth_host(pinned<double>(max_bars)),
        cells_host(pinned<SweepCell>(series)) {}

  DeviceColumns columns(std::size_t rows) {
    DeviceColumns out;
    out.average_signal = average.data();
    out.classification_in(classification.data(), rows);
    out.nonfinite_equity_bar = nonfinite.data();
    return out;
  }
};

// Bytes of device memory the inputs of `rows` rows of `series` series take (close and
// src at most, offsets, tick scales).
std::size_t input_bytes(std::size_t rows, std::size_t series) {
  return rows * 2 * sizeof(double) + series * (sizeof(long long) + sizeof(exact::TickScale)) + sizeof(long long);
}

// Bytes of device memory a stream slot needs for `rows` rows of `series` series.
std::size_t slot_bytes(std::size_t rows, std::size_t series, std::size_t max_bars) {
  return rows * (sizeof(double) + kFusedClassOutputs + kFamilies) + series * (sizeof(long long) + sizeof(SweepCell)) +
         max_bars * sizeof(double);
}

class ChunkRun {
 public:
  ChunkRun(const PreparedBatch& priced, std::span<const std::uint32_t> order, std::span<const SweepConfig> configs,
           const SweepOptions& options, const detail::SweepSink& sink, int slots)
      : priced_(priced), configs_(configs), options_(options), sink_(sink), series_(upload(priced, order)) {
    position_of_.assign(priced.series.size(), -1);
    for (std::size_t i = 0; i < series_.order.size(); ++i) position_of_[series_.order[i]] = static_cast<int>(i);
    for (int l = 0; l < slots; ++l)
      slots_.push_back(std::make_unique<StreamSlot>(series_.rows, series_.order.size(), series_.max_bars));
  }

  void run() {
    for (std::size_t c = 0; c < configs_.size(); ++c) {
      detail::throw_if_cancelled(options_.compute.stop);
      StreamSlot& slot = *slots_[c % slots_.size()];
      finish(slot);
      launch(slot, c);
    }
    for (const auto& slot : slots_) finish(*slot);
  }

 private:
  void launch(StreamSlot& slot, std::size_t c) {
    const SweepConfig& sc = configs_[c];
    int first = -1, last = -1;
    bool wide = false;
    for (std::size_t a = 0; a < sc.admitted.size(); ++a) {
      const int position = position_of_[sc.admitted[a]];
      if (position < 0) continue;  // in another chunk
      first = first < 0 ? position : std::min(first, position);
      last = std::max(last, position);
      wide = wide || sc.wide[a] != 0;
    }
    slot.config = c;
    slot.busy = true;
    slot.first = first;
    slot.count = first < 0 ? 0 : last - first + 1;
    if (slot.count == 0) return;
    // The longest series of the range comes first: the growth table covers it.
    const std::size_t bars = series_.offset[first + 1] - series_.offset[first];
    const std::vector<double> growth = detail::growth_table(*sc.config, bars);
    std::copy(growth.begin(), growth.end(), slot.growth_host.get());
    const cudaStream_t stream = slot.stream.get();
    ATC_CUDA_CHECK(cudaMemcpyAsync(slot.growth.data(), slot.growth_host.get(), bars * sizeof(double),
                                   cudaMemcpyHostToDevice, stream));
    FusedInput in;
    in.close = series_.d_close.data();
    in.src = series_.d_src.size() > 0 ? series_.d_src.data() : nullptr;
    in.offset = series_.d_offset.data() + first;
    in.ticks = series_.d_ticks.data() + first;
    in.growth = slot.growth.data();
    in.series = slot.count;
    in.wide = wide ? 1 : 0;
    FusedParams params = make_fused_params(*sc.config, -1);
    params.concurrent_series = static_cast<long long>(slot.count) * static_cast<long long>(slots_.size());
    const DeviceColumns out = slot.columns(series_.rows);
    launch_fused(in, params, out, slot.workspace.data(), stream);
    const int blocks = (slot.count + kReduceThreads - 1) / kReduceThreads;
    reduce_kernel<<<blocks, kReduceThreads, 0, stream>>>(
        series_.d_close.data(), in.offset, out, slot.count, static_cast<int>(options_.backtest.source),
        static_cast<int>(options_.backtest.side), options_.backtest.fee_bps / 10'000.0, slot.cells.data());
    ATC_CUDA_CHECK_LAUNCH("reduce_kernel");
    ATC_CUDA_CHECK(cudaMemcpyAsync(slot.cells_host.get(), slot.cells.data(), slot.count * sizeof(SweepCell),
                                   cudaMemcpyDeviceToHost, stream));
  }

  // Waits for the slot's configuration and hands its cells and kept series to the sink.
  void finish(StreamSlot& slot) {
    if (!slot.busy) return;
    slot.busy = false;
    ATC_CUDA_CHECK(cudaStreamSynchronize(slot.stream.get()));
    const SweepConfig& sc = configs_[slot.config];
    series_k_.clear();
    cells_.clear();
    for (std::uint32_t k : sc.admitted) {
      const int position = position_of_[k];
      if (position < 0) continue;
      series_k_.push_back(k);
      cells_.push_back(slot.cells_host[position - slot.first]);
    }
    if (!cells_.empty()) sink_.cells(slot.config, series_k_, cells_);
    for (std::uint32_t k : sc.keep) {
      const int position = position_of_[k];
      if (position < 0) continue;
      const auto row = static_cast<std::size_t>(series_.offset[position]);
      const std::size_t n = priced_.series[k].n;
      average_.resize(n);
      code_.resize(n);
      const int code_column = options_.backtest.source == PositionSource::State ? 1 : 2;
      ATC_CUDA_CHECK(cudaMemcpy(average_.data(), slot.average.data() + row, n * sizeof(double), cudaMemcpyDeviceToHost));
      ATC_CUDA_CHECK(cudaMemcpy(code_.data(), slot.classification.data() + code_column * series_.rows + row, n,
                                cudaMemcpyDeviceToHost));
      sink_.kept(slot.config, k, average_, code_);
    }
  }

  const PreparedBatch& priced_;
  std::span<const SweepConfig> configs_;
  const SweepOptions& options_;
  const detail::SweepSink& sink_;
  DeviceSeries series_;
  std::vector<int> position_of_;  // priced series -> position in this chunk, or -1
  std::vector<std::unique_ptr<StreamSlot>> slots_;
  std::vector<std::uint32_t> series_k_;
  std::vector<SweepCell> cells_;
  std::vector<double> average_;
  std::vector<std::int8_t> code_;
};

}  // namespace
}  // namespace atc::cuda

namespace atc::detail {

std::size_t run_cuda_sweep(const PreparedBatch& priced, std::span<const SweepConfig> configs,
                           const SweepOptions& options, const SweepSink& sink, int& streams) {
  if (priced.series.empty() || configs.empty()) return 0;
  const int device = options.compute.devices.empty() ? 0 : options.compute.devices.front();
  int previous = 0;
  ATC_CUDA_CHECK(cudaGetDevice(&previous));
  ATC_CUDA_CHECK(cudaSetDevice(device));
  struct Restore {
    int device;
    ~Restore() { cudaSetDevice(device); }
  } restore{previous};

  // Longest first, so that every configuration's admitted series are one range.
  std::vector<std::uint32_t> order(priced.series.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return priced.series[a].n > priced.series[b].n; });

  // Chunks of the sorted series whose inputs and stream slots fit the memory the options allow.
  std::size_t free_bytes = 0, total_bytes = 0;
  ATC_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  std::size_t budget = free_bytes / 10 * 8;
  if (options.compute.device_memory_limit > 0) budget = std::min(budget, options.compute.device_memory_limit);
  // Each configuration's launch runs its bars in sequence (~1 µs a bar), so a sweep of
  // small universes is latency-bound: enough stream slots keep kSeriesInFlight series on
  // the device (at least the options' streams, at most kMaxSlots; their columns are small).
  const auto wanted = static_cast<int>((cuda::kSeriesInFlight + priced.series.size() - 1) / priced.series.size());
  const int slots = std::max(std::max(1, options.compute.streams), std::min(wanted, cuda::kMaxSlots));
  streams = slots;
  const std::size_t max_bars = priced.series[order.front()].n;
  std::size_t peak = 0;
  for (std::size_t first = 0; first < order.size();) {
    std::size_t end = first, bytes = 0;
    for (std::size_t rows = 0; end < order.size(); ++end) {
      const std::size_t more = rows + priced.series[order[end]].n, series = end + 1 - first;
      const std::size_t need = cuda::input_bytes(more, series) +
                               static_cast<std::size_t>(slots) * cuda::slot_bytes(more, series, max_bars);
      if (need > budget && end > first) break;
      rows = more;
      bytes = need;
    }
    cuda::ChunkRun(priced, std::span(order).subspan(first, end - first), configs, options, sink, slots).run();
    peak = std::max(peak, bytes);
    first = end;
  }
  return peak;
}

}  // namespace atc::detail
