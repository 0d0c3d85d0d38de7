// compute_device (atc/device.hpp): a bars × symbols table already in device memory.
//
// 1. Tables not read in place are widened / transposed into column-major float64 in the
//    workspace (one pass, coalesced on the side that is contiguous).
// 2. One warp per symbol walks its bars as prepare_prices does on the host: where it
//    starts (close and src finite), its first bad bar, and its tick scale (price_walk.cuh:
//    the records of series_ticks_of, the host's code). The records come back to the host
//    (a few dozen bytes a symbol), which makes the statuses and admits each series (admit).
// 3. The fused path runs the admitted series in place: series of symbol s at rows
//    [s·bars + start, (s + 1)·bars), the outputs' own layout; the rows it does not write
//    are filled with the no-value codes.
// 4. The series whose equity stopped being finite (§10) become errors, their rows cleared.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../core/prepared.hpp"
#include "../core/ticks.hpp"
#include "atc/device.hpp"
#include "atc/error.hpp"
#include "check.hpp"
#include "fused.hpp"
#include "no_value.cuh"
#include "price_walk.cuh"

namespace atc {
namespace {

using cuda::DeviceColumns;
using cuda::PriceRecord;

constexpr std::size_t kAlign = 256;
constexpr std::size_t align_up(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
constexpr int kThreads = 256;

struct Layout {
  std::size_t close_at = 0, src_at = 0, records_at = 0, offsets_at = 0, ends_at = 0, ticks_at = 0, growth_at = 0,
              nonfinite_at = 0, clear_at = 0, fused_at = 0, bytes = 0;
};

Layout layout_of(const DeviceTable& close, const DeviceTable* src) {
  const std::size_t rows = close.bars * close.symbols, n = close.symbols;
  Layout l;
  std::size_t at = 0;
  const auto take = [&at](std::size_t bytes) {
    const std::size_t here = at;
    at = align_up(at + bytes);
    return here;
  };
  if (!close.in_place()) l.close_at = take(rows * sizeof(double)) + 1;  // +1: 0 means "in place"
  if (src != nullptr && !src->in_place()) l.src_at = take(rows * sizeof(double)) + 1;
  l.records_at = take(n * sizeof(PriceRecord));
  l.offsets_at = take(n * sizeof(long long));
  l.ends_at = take(n * sizeof(long long));
  l.ticks_at = take(n * sizeof(exact::TickScale));
  l.growth_at = take(close.bars * sizeof(double));
  l.nonfinite_at = take(n * sizeof(long long));
  l.clear_at = take(n * sizeof(long long));
  l.fused_at = take(rows * kFamilies);  // the Layer-1 signals between the two kernels
  l.bytes = at;
  return l;
}

// Column-major float64 copy of a table: thread (t, s) of a 2-D grid, t fastest.
__global__ void widen_kernel(const void* data, int dtype, long long bars, long long symbols, long long bar_stride,
                             long long symbol_stride, double* out) {
  const long long t = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  const long long s = blockIdx.y + static_cast<long long>(blockIdx.z) * gridDim.y;
  if (t >= bars || s >= symbols) return;
  const long long at = t * bar_stride + s * symbol_stride;
  out[s * bars + t] = dtype == 0 ? static_cast<const double*>(data)[at] : static_cast<double>(static_cast<const float*>(data)[at]);
}

// Rows [s·bars, s·bars + count[s]) of every column get their no-value code; block per symbol.
__global__ void clear_kernel(DeviceColumns out, long long bars, const long long* count) {
  const long long s = blockIdx.x;
  for (long long t = threadIdx.x; t < count[s]; t += blockDim.x) cuda::clear_output_row(out, s * bars + t);
}

void check_table(const DeviceTable& t, const char* what) {
  if (t.data == nullptr && t.bars * t.symbols > 0) throw InputError(std::string(what) + ": null device pointer");
}

DeviceColumns fused_columns(const DeviceOutputs& out, long long* nonfinite) {
  DeviceColumns d;
  for_each_output_field(d, out, [](const OutputField&, auto& column, auto* given) { column = given; });
  d.nonfinite_equity_bar = nonfinite;
  return d;
}

}  // namespace

std::size_t device_workspace_bytes(const DeviceTable& close, const DeviceTable* src, const DeviceOutputs&) {
  return layout_of(close, src).bytes;
}

std::vector<SymbolStatus> compute_device(const DeviceTable& close, const DeviceTable* src,
                                         std::span<const std::string> symbols, const Config& config,
                                         const ComputeOptions& options, const DeviceOutputs& out, void* workspace,
                                         std::size_t workspace_bytes, void* stream_handle) {
  config.validate();
  if (options.backend != Backend::Auto && options.backend != Backend::Cuda)
    throw BackendUnavailable("compute_device runs on the cuda backend only (options.backend is '" +
                             std::string(backend_name(options.backend)) + "')");
  if (!detail::cuda_device_usable()) throw BackendUnavailable("compute_device: no usable CUDA device");
  if (options.gaps == GapPolicy::ForwardFill)
    throw InputError("compute_device: gaps = ffill is not supported on device input (copy the prices to the host)");
  if (symbols.size() != close.symbols)
    throw InputError("compute_device: " + std::to_string(symbols.size()) + " symbol names for " +
                     std::to_string(close.symbols) + " symbols");
  if (src != nullptr && (src->bars != close.bars || src->symbols != close.symbols))
    throw InputError("compute_device: src is " + std::to_string(src->bars) + " x " + std::to_string(src->symbols) +
                     ", close " + std::to_string(close.bars) + " x " + std::to_string(close.symbols));
  check_table(close, "close");
  if (src != nullptr) check_table(*src, "src");
  if (out.average_signal == nullptr) throw InputError("compute_device: the Average_Signal column is required");
  const Layout l = layout_of(close, src);
  if (workspace_bytes < l.bytes || (l.bytes > 0 && workspace == nullptr))
    throw InputError("compute_device: the workspace has " + std::to_string(workspace_bytes) + " bytes, " +
                     std::to_string(l.bytes) + " needed (device_workspace_bytes)");
  const std::size_t n = close.symbols, bars = close.bars;
  std::vector<SymbolStatus> status(n);
  if (n == 0 || bars == 0) {
    for (std::size_t s = 0; s < n; ++s) status[s] = detail::empty_status(symbols[s]);
    return status;
  }
  if (bars > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw InputError("compute_device: " + std::to_string(bars) + " bars is more than a series may have");

  // The device that holds the prices runs them.
  cudaPointerAttributes attributes{};
  ATC_CUDA_CHECK(cudaPointerGetAttributes(&attributes, close.data));
  if (attributes.type != cudaMemoryTypeDevice && attributes.type != cudaMemoryTypeManaged)
    throw InputError("compute_device: close is not in device memory");
  int previous = 0;
  ATC_CUDA_CHECK(cudaGetDevice(&previous));
  ATC_CUDA_CHECK(cudaSetDevice(attributes.device));
  struct Restore {
    int device;
    ~Restore() { cudaSetDevice(device); }
  } restore{previous};
  const auto stream = static_cast<cudaStream_t>(stream_handle);
  auto* base = static_cast<std::byte*>(workspace);
  const auto at = [base](std::size_t offset) { return static_cast<void*>(base + offset); };

  // 1. Column-major float64.
  const auto widen = [&](const DeviceTable& t, std::size_t offset) -> const double* {
    if (offset == 0) return static_cast<const double*>(t.data);
    auto* copy = static_cast<double*>(at(offset - 1));
    const dim3 grid(static_cast<unsigned>((bars + kThreads - 1) / kThreads), static_cast<unsigned>(std::min<std::size_t>(n, 65535)),
                    static_cast<unsigned>((n + 65534) / 65535));
    widen_kernel<<<grid, kThreads, 0, stream>>>(t.data, t.dtype == DeviceDType::Float64 ? 0 : 1,
                                                static_cast<long long>(bars), static_cast<long long>(n), t.bar_stride,
                                                t.symbol_stride, copy);
    ATC_CUDA_CHECK_LAUNCH("widen_kernel");
    return copy;
  };
  const double* d_close = widen(close, l.close_at);
  const double* d_src = src != nullptr ? widen(*src, l.src_at) : nullptr;

  // 2. Where each series starts, its first bad bar, its ticks.
  auto* records = static_cast<PriceRecord*>(at(l.records_at));
  cuda::launch_price_walk(d_close, d_src, static_cast<long long>(bars), static_cast<long long>(n), records, stream);
  std::vector<PriceRecord> host(n);
  ATC_CUDA_CHECK(cudaMemcpyAsync(host.data(), records, n * sizeof(PriceRecord), cudaMemcpyDeviceToHost, stream));
  ATC_CUDA_CHECK(cudaStreamSynchronize(stream));

  std::vector<long long> offsets, ends, clear(n, static_cast<long long>(bars));
  std::vector<exact::TickScale> ticks;
  std::vector<std::size_t> symbol_of;  // admitted series -> symbol
  bool wide = false;
  for (std::size_t s = 0; s < n; ++s) {
    const PriceRecord& r = host[s];
    if (r.start == static_cast<long long>(bars)) {
      status[s] = detail::empty_status(symbols[s]);
      continue;
    }
    if (r.bad >= 0) {
      status[s] = detail::bad_bar_status(symbols[s], r.bad, r.close, src != nullptr ? r.src : r.close);
      continue;
    }
    detail::PreparedSeries p;
    p.n = bars - static_cast<std::size_t>(r.start);
    p.ticks = r.ticks.scale;
    p.max_tick = r.ticks.max_tick;
    p.ticks_representable = r.ticks.representable;
    bool series_wide = false;
    status[s] = detail::admit(p, symbols[s], config, series_wide);
    if (!status[s].ok()) continue;
    wide = wide || series_wide;
    offsets.push_back(static_cast<long long>(s * bars) + r.start);
    ends.push_back(static_cast<long long>((s + 1) * bars));
    ticks.push_back(p.ticks);
    symbol_of.push_back(s);
    clear[s] = r.start;
  }
  const std::size_t admitted = symbol_of.size();

  // 3. The fused path over the admitted series in place (series of symbol s at rows
  //    [s·bars + start, (s + 1)·bars): not adjacent when a symbol lists late or fails,
  //    hence the ends), then the rows it leaves unwritten.
  auto* d_offsets = static_cast<long long*>(at(l.offsets_at));
  auto* d_ends = static_cast<long long*>(at(l.ends_at));
  auto* d_ticks = static_cast<exact::TickScale*>(at(l.ticks_at));
  auto* d_growth = static_cast<double*>(at(l.growth_at));
  auto* d_nonfinite = static_cast<long long*>(at(l.nonfinite_at));
  auto* d_clear = static_cast<long long*>(at(l.clear_at));
  const DeviceColumns columns = fused_columns(out, d_nonfinite);
  ATC_CUDA_CHECK(cudaMemcpyAsync(d_clear, clear.data(), n * sizeof(long long), cudaMemcpyHostToDevice, stream));
  clear_kernel<<<static_cast<unsigned>(n), kThreads, 0, stream>>>(columns, static_cast<long long>(bars), d_clear);
  ATC_CUDA_CHECK_LAUNCH("clear_kernel");
  std::vector<long long> nonfinite(admitted, -1);
  // Host vectors handed to cudaMemcpyAsync stay alive until the synchronization below.
  const std::vector<double> growth = admitted > 0 ? detail::growth_table(config, bars) : std::vector<double>();
  if (admitted > 0) {
    ATC_CUDA_CHECK(cudaMemcpyAsync(d_offsets, offsets.data(), admitted * sizeof(long long), cudaMemcpyHostToDevice,
                                   stream));
    ATC_CUDA_CHECK(cudaMemcpyAsync(d_ends, ends.data(), admitted * sizeof(long long), cudaMemcpyHostToDevice, stream));
    ATC_CUDA_CHECK(cudaMemcpyAsync(d_ticks, ticks.data(), admitted * sizeof(exact::TickScale), cudaMemcpyHostToDevice,
                                   stream));
    ATC_CUDA_CHECK(cudaMemcpyAsync(d_growth, growth.data(), bars * sizeof(double), cudaMemcpyHostToDevice, stream));
    cuda::FusedParams params = cuda::make_fused_params(config, -1);
    params.float32 = options.precision == Precision::Float32 ? 1 : 0;
    cuda::FusedInput in;
    in.close = d_close;
    in.src = d_src;
    in.offset = d_offsets;
    in.end = d_ends;
    in.ticks = d_ticks;
    in.growth = d_growth;
    in.series = static_cast<int>(admitted);
    in.wide = wide ? 1 : 0;
    cuda::launch_fused(in, params, columns, at(l.fused_at), stream);
    ATC_CUDA_CHECK(cudaMemcpyAsync(nonfinite.data(), d_nonfinite, admitted * sizeof(long long), cudaMemcpyDeviceToHost,
                                   stream));
  }
  ATC_CUDA_CHECK(cudaStreamSynchronize(stream));

  // 4. Equities that stopped being finite: the symbol's error, its rows cleared.
  bool any = false;
  std::fill(clear.begin(), clear.end(), 0);
  for (std::size_t k = 0; k < admitted; ++k) {
    if (nonfinite[k] < 0) continue;
    const std::size_t s = symbol_of[k];
    const long long bar = offsets[k] - static_cast<long long>(s * bars) + nonfinite[k];
    status[s] = SymbolStatus{StatusCode::EquityOverflow, bar,
                             detail::symbol_message(symbols[s], bar, std::string(detail::kEquityOverflowReason)), 0};
    clear[s] = static_cast<long long>(bars);
    any = true;
  }
  if (any) {
    ATC_CUDA_CHECK(cudaMemcpyAsync(d_clear, clear.data(), n * sizeof(long long), cudaMemcpyHostToDevice, stream));
    clear_kernel<<<static_cast<unsigned>(n), kThreads, 0, stream>>>(columns, static_cast<long long>(bars), d_clear);
    ATC_CUDA_CHECK_LAUNCH("clear_kernel");
    ATC_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  return status;
}

void* device_allocate(std::size_t bytes) {
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, std::max<std::size_t>(bytes, 1));
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    throw Error("cannot allocate " + std::to_string(bytes) + " bytes of device memory: out of memory");
  }
  ATC_CUDA_CHECK(status);
  return p;
}

void device_free(void* pointer) noexcept {
  if (pointer != nullptr) cudaFree(pointer);
}

void device_to_host(void* host, const void* device, std::size_t bytes) {
  if (bytes > 0) ATC_CUDA_CHECK(cudaMemcpy(host, device, bytes, cudaMemcpyDeviceToHost));
}

int device_of(const void* pointer) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess) {
    (void)cudaGetLastError();
    return -1;
  }
  return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged ? attributes.device : -1;
}

}  // namespace atc
