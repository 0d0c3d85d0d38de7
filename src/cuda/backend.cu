// The CUDA backend entry points: run_cuda cuts the prepared batch into chunks of
// symbols; each chunk is one unit of work (concatenate, upload, fused kernel, download)
// on one stream, so that chunks can later be pipelined over several streams and devices.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "../core/prepared.hpp"
#include "check.hpp"
#include "device_buffer.hpp"
#include "fused.hpp"

namespace atc::detail {
namespace {

using cuda::DeviceBuffer;

class Stream {
 public:
  Stream() { ATC_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { cudaStreamDestroy(stream_); }
  cudaStream_t get() const { return stream_; }
  void synchronize() const { ATC_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

// The requested output columns of one chunk in device memory (compact rows), and where
// each goes in the host columns.
class ChunkColumns {
 public:
  ChunkColumns(const OutputColumns& host, std::size_t rows) {
    columns_.average_signal = add(host.average_signal, rows);
    for (int f = 0; f < kFamilies; ++f) {
      columns_.family_signal[f] = add(host.family_signal[f], rows);
      columns_.family_equity[f] = add(host.family_equity[f], rows);
    }
    std::int8_t* const classification[] = {host.trend, host.state, host.direction, host.long_entry,
                                           host.short_entry};
    for (int c = 0; c < 5; ++c) columns_.classification[c] = add(classification[c], rows);
    if (host.calibration_family >= 0) {
      for (int i = 0; i < kLengthsPerFamily; ++i) {
        columns_.ma[i] = add(host.ma[i], rows);
        columns_.ma_signal[i] = add(host.ma_signal[i], rows);
        columns_.ma_equity[i] = add(host.ma_equity[i], rows);
      }
    }
  }

  const cuda::DeviceColumns& device() const { return columns_; }

  // Copies rows [row, row + count) of every column to host rows [out_row, out_row + count).
  void download(std::size_t row, std::size_t out_row, std::size_t count, cudaStream_t stream) const {
    for (const Transfer& t : transfers_)
      ATC_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(t.host) + out_row * t.element,
                                     static_cast<const char*>(t.device) + row * t.element,
                                     count * t.element, cudaMemcpyDeviceToHost, stream));
  }

 private:
  struct Transfer {
    const void* device;
    void* host;
    std::size_t element;
  };

  template <class T>
  T* add(T* host, std::size_t rows) {
    if (host == nullptr) return nullptr;
    auto& buffers = storage<T>();
    buffers.emplace_back(rows);
    transfers_.push_back({buffers.back().data(), host, sizeof(T)});
    return buffers.back().data();
  }
  template <class T>
  std::vector<DeviceBuffer<T>>& storage() {
    if constexpr (sizeof(T) == sizeof(double)) return doubles_;
    else return bytes_;
  }

  std::vector<DeviceBuffer<double>> doubles_;
  std::vector<DeviceBuffer<std::int8_t>> bytes_;
  std::vector<Transfer> transfers_;
  cuda::DeviceColumns columns_;
};

// Device bytes one bar of one symbol needs: inputs plus the requested outputs.
std::size_t bytes_per_bar(const PreparedBatch& batch, const OutputColumns& out) {
  const bool own_src = std::any_of(batch.series.begin(), batch.series.end(),
                                   [](const PreparedSeries& s) { return s.src != s.close; });
  std::size_t bytes = (own_src ? 2 : 1) * sizeof(double) + sizeof(double);  // inputs, average
  if (out.family_signal[0] != nullptr) bytes += 2 * kFamilies * sizeof(double);
  if (out.trend != nullptr) bytes += 5;
  if (out.calibration_family >= 0) bytes += kLengthsPerFamily * (2 * sizeof(double) + 1);
  return bytes;
}

std::size_t chunk_symbols(const PreparedBatch& batch, const OutputColumns& out,
                          const ComputeOptions& options) {
  if (options.chunk_symbols > 0) return options.chunk_symbols;
  std::size_t free_bytes = 0, total_bytes = 0;
  ATC_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t budget =
      options.device_memory_limit > 0 ? std::min(options.device_memory_limit, free_bytes) : free_bytes;
  const std::size_t per_symbol = std::max<std::size_t>(batch.max_bars, 1) * bytes_per_bar(batch, out);
  // Leave a quarter for the runtime.
  return std::max<std::size_t>(budget / 4 * 3 / per_symbol, 1);
}

void run_chunk(std::span<const PreparedSeries> series, std::span<const double> growth,
               const cuda::FusedParams& params, const OutputColumns& out, const Stream& stream) {
  // The fused kernel's input contract: the series concatenated, with their offsets.
  std::vector<long long> offset(series.size() + 1, 0);
  std::size_t max_bars = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    offset[i + 1] = offset[i] + static_cast<long long>(series[i].n);
    max_bars = std::max(max_bars, series[i].n);
  }
  const auto rows = static_cast<std::size_t>(offset.back());
  const bool own_src = std::any_of(series.begin(), series.end(),
                                   [](const PreparedSeries& s) { return s.src != s.close; });
  std::vector<double> close(rows), src(own_src ? rows : 0);
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::copy_n(series[i].close, series[i].n, close.begin() + offset[i]);
    if (own_src) std::copy_n(series[i].src, series[i].n, src.begin() + offset[i]);
  }
  const DeviceBuffer<double> close_d = cuda::to_device(std::span<const double>(close));
  const DeviceBuffer<double> src_d = cuda::to_device(std::span<const double>(src));
  const DeviceBuffer<double> growth_d = cuda::to_device(growth.first(std::min(growth.size(), max_bars)));
  const DeviceBuffer<long long> offset_d = cuda::to_device(std::span<const long long>(offset));
  cuda::FusedInput input;
  input.close = close_d.data();
  input.src = own_src ? src_d.data() : nullptr;
  input.offset = offset_d.data();
  input.growth = growth_d.data();
  input.series = static_cast<int>(series.size());
  const ChunkColumns columns(out, rows);
  cuda::launch_fused(input, params, columns.device(), stream.get());
  // One copy per column for each run of series that are adjacent in the host columns too.
  for (std::size_t i = 0; i < series.size();) {
    std::size_t j = i + 1, count = series[i].n;
    while (j < series.size() && series[j].out_offset == series[j - 1].out_offset + series[j - 1].n) {
      count += series[j].n;
      ++j;
    }
    columns.download(static_cast<std::size_t>(offset[i]), series[i].out_offset, count, stream.get());
    i = j;
  }
  stream.synchronize();
}

}  // namespace

bool cuda_built() { return true; }

bool cuda_device_usable() {
  static const bool usable = [] {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  }();
  return usable;
}

void run_cuda(const PreparedBatch& batch, const Config& config, OutputColumns out,
              const ComputeOptions& options) {
  if (batch.series.empty()) return;
  const std::vector<double> growth = growth_table(config, batch.max_bars);
  const cuda::FusedParams params = cuda::make_fused_params(config, out.calibration_family);
  const std::size_t per_chunk = chunk_symbols(batch, out, options);
  const Stream stream;
  const std::span<const PreparedSeries> all(batch.series);
  for (std::size_t first = 0; first < all.size(); first += per_chunk)
    run_chunk(all.subspan(first, std::min(per_chunk, all.size() - first)), growth, params, out, stream);
}

}  // namespace atc::detail
