// The streamed batch pipeline (see pipeline.hpp for the design): one run, its chunks
// planned, packed, enqueued and scattered by a worker per stream.
#include "pipeline.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "check.hpp"
#include "device_pipeline.hpp"
#include "gap_rows.hpp"

namespace atc::cuda {
namespace streaming {
namespace {

using Clock = std::chrono::steady_clock;

// Chunk sizing. Chunks below kMinChunkRows bars are dominated by per-copy and launch
// overheads (0.5 MB of prices move in ~10 µs). Each series is one block whose bars run
// in sequence (~1 µs a bar on an H100), so a batch too small to fill the device runs in
// rounds: it gets one chunk per worker (one round) unless two still leave each chunk
// kMinChunkSeries series. A slot's pinned bytes are capped so that all slots of a device
// together stay near kPinnedBytesPerDevice.
constexpr std::size_t kMinChunkRows = std::size_t{1} << 16;
constexpr std::size_t kMinChunkSeries = 256;
constexpr std::size_t kPinnedBytesPerDevice = std::size_t{1} << 30;
constexpr std::size_t kMinSlotBytes = std::size_t{8} << 20;
constexpr std::size_t kMaxGraphsPerSlot = 64;

// Seconds the device gets to finish the whole run: ATC_CUDA_TIMEOUT_S, or 60 s plus
// 1 s per 10^6 symbol-bars (two orders of magnitude slower than the fused kernel).
double timeout_seconds(std::size_t rows) {
  if (const char* env = std::getenv("ATC_CUDA_TIMEOUT_S"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const double seconds = std::strtod(env, &end);
    if (*end != '\0' || !(seconds >= 0.0))
      throw Error(std::string("ATC_CUDA_TIMEOUT_S must be a number of seconds >= 0, not '") + env + "'");
    return seconds;
  }
  return 60.0 + static_cast<double>(rows) * 1e-6;
}

struct WorkerStats {
  std::size_t chunks = 0, direct_in = 0, direct_out = 0, upload_bytes = 0, download_bytes = 0;
  double busy_ms = 0.0;
  double first_ms = std::numeric_limits<double>::infinity(), last_ms = 0.0;  // after the reference event
};

struct Run {
  const detail::PreparedBatch& batch;
  const OutputColumns& out;
  const std::vector<TransferColumn>& columns;
  const std::vector<Chunk>& chunks;
  const FusedParams& params;
  Clock::time_point deadline{};
  double timeout_s = 0.0;
  bool graphs = true, timing = false;
  std::vector<Direct> directs{};  // per chunk; empty: every chunk staged
  std::size_t workers = 1;  // lanes over all devices; chunk c goes to worker c mod workers
  std::size_t copy_threads = 1;  // host threads a worker may use for one chunk's copies
  std::stop_token stop{};         // ComputeOptions::stop, polled before each chunk

  std::atomic<bool> failed{false};
  std::mutex mutex{};
  std::exception_ptr error{};
  bool timed_out = false;

  void fail(std::exception_ptr e, bool timeout) {
    const std::lock_guard lock(mutex);
    if (!error) error = std::move(e);
    timed_out = timed_out || timeout;
    failed = true;
  }
};

// Waits for `event`, polling until the run's deadline.
void wait(const Event& event, const Run& run, std::size_t chunk, int device) {
  // Yield for the first 2 ms (a sleep costs ~60 µs of wake-up latency, much of a small
  // chunk; yielding still lets the other workers' host copies have the cores), then
  // sleep.
  const Clock::time_point spin_until = Clock::now() + std::chrono::milliseconds(2);
  for (;;) {
    const cudaError_t status = cudaEventQuery(event.get());
    if (status == cudaSuccess) return;
    if (status != cudaErrorNotReady) throw_cuda_error(status, "cudaEventQuery", __FILE__, __LINE__);
    const Clock::time_point now = Clock::now();
    if (now > run.deadline)
      throw Timeout("CUDA device " + std::to_string(device) + " did not finish chunk " + std::to_string(chunk) +
                    " of " + std::to_string(run.chunks.size()) + " within the " + std::to_string(run.timeout_s) +
                    " s timeout (set ATC_CUDA_TIMEOUT_S to change it); the device may be hung");
    if (now < spin_until) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

// Runs f(first, last) over [0, count) in `parts` pieces, the calling thread taking one.
template <class F>
void in_parts(std::size_t count, std::size_t parts, const F& f) {
  parts = std::clamp<std::size_t>(parts, 1, std::max<std::size_t>(count, 1));
  {
    std::vector<std::jthread> helpers;
    for (std::size_t p = 1; p < parts; ++p) helpers.emplace_back([&, p] { f(count * p / parts, count * (p + 1) / parts); });
    f(0, count / parts);
  }
}

// Host threads for one chunk's copies: a single memcpy thread moves ~5 GB/s, far below
// PCIe, so large chunks share the cores left over by the workers (one piece per 4 MB).
std::size_t copy_parts(const Run& run, std::size_t bytes) {
  return std::min(run.copy_threads, std::max<std::size_t>(bytes >> 22, 1));
}

void pack(const Run& run, const Chunk& chunk, const Slot& slot) {
  const ChunkLayout& l = chunk.layout;
  std::byte* base = slot.input.data();
  auto* offset = reinterpret_cast<long long*>(base);
  auto* close = reinterpret_cast<double*>(base + l.close_at);
  auto* src = l.src_at != 0 ? reinterpret_cast<double*>(base + l.src_at) : nullptr;
  const PreparedSeries* series = run.batch.series.data() + chunk.first;
  offset[0] = 0;
  auto* ticks = reinterpret_cast<exact::TickScale*>(base + l.ticks_at);
  auto* end = l.ends_at != 0 ? reinterpret_cast<long long*>(base + l.ends_at) : nullptr;
  for (std::size_t i = 0; i < l.series; ++i) {
    if (end != nullptr) {  // spanned: where the caller's memory has it
      offset[i] = static_cast<long long>(span_offset(series[0], series[i]));
      end[i] = offset[i] + static_cast<long long>(series[i].n);
      offset[i + 1] = static_cast<long long>(l.rows);
    } else {
      offset[i + 1] = offset[i] + static_cast<long long>(series[i].n);
    }
    ticks[i] = series[i].ticks;
  }
  if (slot.direct.close != nullptr) return;  // the prices go straight from the caller's memory
  in_parts(l.series, copy_parts(run, l.in_bytes), [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      const auto at = static_cast<std::size_t>(offset[i]);
      std::memcpy(close + at, series[i].close, series[i].n * sizeof(double));
      if (src != nullptr) std::memcpy(src + at, series[i].src, series[i].n * sizeof(double));
    }
  });
}

// Series [first, last) of the chunk in `slot` to the output columns. The slot's input
// still holds the chunk's offsets (it is refilled only after this).
void scatter_range(const Run& run, const Chunk& chunk, const Slot& slot, std::size_t first, std::size_t last) {
  const ChunkLayout& l = chunk.layout;
  const PreparedSeries* series = run.batch.series.data() + chunk.first;
  const auto* offset = reinterpret_cast<const long long*>(slot.input.data());
  for (std::size_t c = 0; c < run.columns.size(); ++c) {
    if (slot.direct.column[c] != nullptr) continue;  // already in place
    const TransferColumn& column = run.columns[c];
    const std::byte* from = slot.output.data() + l.column_at[c];
    if (column.kind == Kind::Hundredths) {
      for (std::size_t i = first; i < last; ++i) {
        const auto* k = reinterpret_cast<const std::int8_t*>(from) + offset[i];
        double* to = static_cast<double*>(column.host) + series[i].out_offset;
        for (std::size_t t = 0; t < series[i].n; ++t) to[t] = kFromHundredths[static_cast<std::uint8_t>(k[t])];
      }
      continue;
    }
    // One copy per run of series that are adjacent in the output columns too.
    const std::size_t element = element_bytes(column.kind);
    auto* host = static_cast<std::byte*>(column.host);
    for (std::size_t i = first; i < last;) {
      std::size_t j = i + 1, count = series[i].n;
      while (j < last && series[j].out_offset == series[j - 1].out_offset + series[j - 1].n) count += series[j++].n;
      std::memcpy(host + series[i].out_offset * element, from + static_cast<std::size_t>(offset[i]) * element,
                  count * element);
      i = j;
    }
  }
}

void scatter(const Run& run, const Chunk& chunk, const Slot& slot) {
  in_parts(chunk.layout.series, copy_parts(run, chunk.layout.out_bytes),
           [&](std::size_t first, std::size_t last) { scatter_range(run, chunk, slot, first, last); });
  if (run.out.nonfinite_equity_bar != nullptr) {
    const auto* bars = reinterpret_cast<const long long*>(slot.output.data() + chunk.layout.nonfinite_at);
    std::copy(bars, bars + chunk.layout.series, run.out.nonfinite_equity_bar + chunk.first);
  }
}

// Enqueues upload → fused kernel → download of the chunk in `slot` on the buffers's stream,
// replaying a graph captured for the same layout when graphs are on.
void enqueue(const Run& run, DevicePipeline& pipeline, StreamBuffers& buffers, Slot& slot, const ChunkLayout& l) {
  const cudaStream_t stream = buffers.stream.get();
  const Direct& direct = slot.direct;
  const auto upload = [&](std::size_t at, const void* from, std::size_t bytes) {
    ATC_CUDA_CHECK(cudaMemcpyAsync(buffers.input.data() + at, from, bytes, cudaMemcpyHostToDevice, stream));
  };
  const auto download = [&](std::size_t at, void* to, std::size_t bytes) {
    ATC_CUDA_CHECK(cudaMemcpyAsync(to, buffers.output.data() + at, bytes, cudaMemcpyDeviceToHost, stream));
  };
  const auto work = [&] {
    if (direct.close == nullptr) {
      upload(0, slot.input.data(), l.in_bytes);
    } else {
      upload(0, slot.input.data(), l.close_at);  // offsets and tick scales
      upload(l.close_at, direct.close, l.rows * sizeof(double));
      if (direct.src != nullptr) upload(l.src_at, direct.src, l.rows * sizeof(double));
    }
    const DeviceColumns columns = device_columns(buffers.output.data(), run.out, l);
    launch_fused(fused_input(buffers.input.data(), l, pipeline.growth()), run.params, columns,
                 buffers.workspace.data(), stream);
    if (l.ends_at != 0)  // the gaps of a spanned chunk travel too: their no-value codes
      launch_clear_gaps(columns, reinterpret_cast<const long long*>(buffers.input.data()),
                        reinterpret_cast<const long long*>(buffers.input.data() + l.ends_at),
                        static_cast<int>(l.series), stream);
    if (!direct.any_column) {
      download(0, slot.output.data(), l.out_bytes);
      return;
    }
    for (std::size_t c = 0; c < run.columns.size(); ++c) {
      std::byte* to = direct.column[c] != nullptr ? direct.column[c] : slot.output.data() + l.column_at[c];
      download(l.column_at[c], to, l.rows * element_bytes(run.columns[c].kind));
    }
    download(l.nonfinite_at, slot.output.data() + l.nonfinite_at, l.series * sizeof(long long));
  };
  if (run.timing) slot.start.record(stream);
  // A graph would capture the caller's addresses: direct chunks are enqueued as they come.
  if (run.graphs && !direct.any()) {
    auto it = std::find_if(slot.graphs.begin(), slot.graphs.end(), [&](const auto& g) { return g.first == l; });
    if (it == slot.graphs.end()) {
      if (slot.graphs.size() >= kMaxGraphsPerSlot) slot.graphs.clear();
      ATC_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
      try {
        work();
      } catch (...) {
        cudaGraph_t partial = nullptr;  // leave the stream out of capture mode
        if (cudaStreamEndCapture(stream, &partial) == cudaSuccess && partial != nullptr) cudaGraphDestroy(partial);
        throw;
      }
      slot.graphs.emplace_back(l, GraphExec::end_capture(stream));
      it = std::prev(slot.graphs.end());
    }
    it->second.launch(stream);
  } else {
    work();
  }
  if (run.timing) slot.end.record(stream);
  slot.done.record(stream);
}

// Waits for the slot's chunk, scatters its results and frees the slot.
void finish(Run& run, DevicePipeline& pipeline, Slot& slot, WorkerStats& stats) {
  const auto c = static_cast<std::size_t>(slot.chunk);
  wait(slot.done, run, c, pipeline.device());
  slot.chunk = -1;
  const ChunkLayout& l = run.chunks[c].layout;
  if (!run.failed) scatter(run, run.chunks[c], slot);
  ++stats.chunks;
  stats.direct_in += slot.direct.close != nullptr ? 1 : 0;
  stats.direct_out += slot.direct.any_column ? 1 : 0;
  stats.upload_bytes += l.in_bytes;
  stats.download_bytes += l.out_bytes;
  if (run.timing) {
    float start = 0.0f, end = 0.0f;
    ATC_CUDA_CHECK(cudaEventElapsedTime(&start, pipeline.reference(), slot.start.get()));
    ATC_CUDA_CHECK(cudaEventElapsedTime(&end, pipeline.reference(), slot.end.get()));
    stats.busy_ms += end - start;
    stats.first_ms = std::min(stats.first_ms, static_cast<double>(start));
    stats.last_ms = std::max(stats.last_ms, static_cast<double>(end));
  }
}

// Puts chunk c in `slot` (free) and enqueues it on the buffers's stream.
void start(Run& run, DevicePipeline& pipeline, StreamBuffers& buffers, Slot& slot, std::size_t c) {
  slot.direct = run.directs.empty() ? Direct{} : run.directs[c];
  pack(run, run.chunks[c], slot);
  enqueue(run, pipeline, buffers, slot, run.chunks[c].layout);
  slot.chunk = static_cast<std::ptrdiff_t>(c);
}

// One host thread per buffers: chunks worker, worker + workers, ... alternate between the
// buffers's two slots, so that packing and scattering overlap the device's work.
void work(Run& run, DevicePipeline& pipeline, StreamBuffers& buffers, std::size_t worker, WorkerStats& stats) {
  int next_slot = 0;
  try {
    ATC_CUDA_CHECK(cudaSetDevice(pipeline.device()));
    for (std::size_t c = worker; c < run.chunks.size() && !run.failed; c += run.workers) {
      detail::throw_if_cancelled(run.stop);
      Slot& slot = buffers.slots[next_slot];
      next_slot ^= 1;
      if (slot.chunk >= 0) finish(run, pipeline, slot, stats);
      start(run, pipeline, buffers, slot, c);
    }
    for (int i = 0; i < 2; ++i, next_slot ^= 1)  // the older slot first
      if (buffers.slots[next_slot].chunk >= 0) finish(run, pipeline, buffers.slots[next_slot], stats);
  } catch (const Timeout&) {
    run.fail(std::current_exception(), true);
  } catch (...) {
    run.fail(std::current_exception(), false);
  }
}

// The whole run from the calling thread, for chunks with nothing staged. Chunk c has the
// place work() gives it (worker c mod workers, the buffers's slot (c / workers) mod 2), so
// the slot it needs was last used by chunk c − 2·workers, finished just before.
void enqueue_all(Run& run, std::vector<std::unique_ptr<DevicePipeline>>& pipelines, std::size_t streams,
                 std::vector<WorkerStats>& stats) {
  const auto place = [&](std::size_t c) {
    const std::size_t w = c % run.workers;
    DevicePipeline& pipeline = *pipelines[w / streams];
    StreamBuffers& buffers = pipeline.buffers(static_cast<int>(w % streams));
    return std::tuple<DevicePipeline&, StreamBuffers&, Slot&, std::size_t>{pipeline, buffers, buffers.slots[(c / run.workers) % 2], w};
  };
  const auto finish_chunk = [&](std::size_t c) {
    const auto [pipeline, buffers, slot, w] = place(c);
    const DeviceGuard device(pipeline.device());
    finish(run, pipeline, slot, stats[w]);
  };
  const std::size_t chunks = run.chunks.size(), in_flight = 2 * run.workers;
  try {
    for (std::size_t c = 0; c < chunks; ++c) {
      if (c >= in_flight) finish_chunk(c - in_flight);
      const auto [pipeline, buffers, slot, w] = place(c);
      const DeviceGuard device(pipeline.device());
      start(run, pipeline, buffers, slot, c);
    }
    for (std::size_t c = chunks > in_flight ? chunks - in_flight : 0; c < chunks; ++c) finish_chunk(c);
  } catch (const Timeout&) {
    run.fail(std::current_exception(), true);
  } catch (...) {
    run.fail(std::current_exception(), false);
  }
}

// Device (and staging) bytes per bar of a chunk, at worst: prices, outputs, and what a
// series has once (offset, tick scale, non-finite bar) spread over the bars of the
// shortest one.
std::size_t bytes_per_row(const detail::PreparedBatch& batch, const std::vector<TransferColumn>& columns) {
  bool own_src = false;
  std::size_t shortest = batch.max_bars;
  for (const PreparedSeries& s : batch.series) {
    own_src = own_src || s.src != s.close;
    shortest = std::min(shortest, s.n);
  }
  // Prices, offsets and the fused path's workspace (device only, counted everywhere).
  constexpr std::size_t kPerSeries = 2 * sizeof(long long) + sizeof(exact::TickScale);
  std::size_t bytes = (own_src ? 2 : 1) * sizeof(double) + (kPerSeries + shortest - 1) / shortest + kFamilies;
  for (const TransferColumn& c : columns) bytes += element_bytes(c.kind);
  return bytes;
}

std::vector<int> devices_of(const ComputeOptions& options) {
  int count = 0;
  ATC_CUDA_CHECK(cudaGetDeviceCount(&count));
  std::vector<int> devices = options.devices;
  if (devices.empty())
    for (int d = 0; d < count; ++d) devices.push_back(d);
  for (int d : devices)
    if (d < 0 || d >= count)
      throw Error("CUDA device " + std::to_string(d) + " does not exist (" + std::to_string(count) + " visible)");
  return devices;
}

}  // namespace
}  // namespace streaming

using namespace streaming;


void run_pipeline(const detail::PreparedBatch& batch, const Config& config, const OutputColumns& out,
                  const ComputeOptions& options, const PipelineTuning& tuning) {
  if (tuning.stats != nullptr) *tuning.stats = PipelineStats{};
  if (batch.series.empty()) return;
  if (options.streams < 1) throw ConfigError("ComputeOptions::streams must be at least 1");
  const std::vector<int> devices = devices_of(options);
  PipelineCache& cache = pipelines_of(options.gpu_context != nullptr ? *options.gpu_context : default_gpu_context());
  const std::vector<TransferColumn> columns = requested_columns(out);
  const std::vector<double> growth = detail::growth_table(config, batch.max_bars);
  FusedParams params = make_fused_params(config, out.calibration_family);
  params.float32 = options.precision == Precision::Float32 ? 1 : 0;
  const auto streams = static_cast<std::size_t>(options.streams);
  const std::size_t workers = devices.size() * streams;
  std::size_t total_rows = 0;
  for (const PreparedSeries& s : batch.series) total_rows += s.n;
  const double timeout_s = timeout_seconds(total_rows);

  // Chunk rows: within every device's memory budget (shared by the entries that list
  // it), at most one slot's pinned share, and small enough for two chunks per worker
  // (pipelining) unless that would make chunks tiny (see kMinChunkSeries).
  const std::size_t per_row = bytes_per_row(batch, columns);
  const std::size_t per_worker = batch.series.size() >= 2 * workers * kMinChunkSeries ? 2 : 1;
  std::size_t rows = std::max((total_rows + per_worker * workers - 1) / (per_worker * workers), kMinChunkRows);
  const std::size_t slot_bytes = std::max(kPinnedBytesPerDevice / (2 * streams), kMinSlotBytes);
  rows = std::min(rows, slot_bytes / per_row);
  for (int device : devices) {
    std::size_t free_bytes = tuning.assume_free_bytes, total_bytes = 0;
    if (free_bytes == 0) {
      const DeviceGuard guard(device);
      ATC_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
      free_bytes += cache.device_bytes(device);
    }
    std::size_t budget = options.device_memory_limit > 0 ? std::min(options.device_memory_limit, free_bytes)
                                                          : free_bytes;
    budget /= static_cast<std::size_t>(std::count(devices.begin(), devices.end(), device));
    // A tenth for the runtime; the growth table and each buffers's alignment padding (of
    // every column and the five other regions).
    const std::size_t fixed = growth.size() * sizeof(double) + streams * (kMaxColumns + 5) * kAlign;
    const std::size_t usable = budget / 10 * 9 > fixed ? budget / 10 * 9 - fixed : 0;
    rows = std::min(rows, usable / streams / per_row);
  }
  rows = std::max(rows, batch.max_bars);  // a series is never split
  const std::size_t symbols = options.chunk_symbols > 0 ? options.chunk_symbols : batch.series.size();

  // Spanned chunks (transfer_plan.hpp) where something can move directly: the batch's
  // prices or one of its output columns lie in pinned memory.
  const std::vector<bool> column_pinned =
      tuning.direct ? pinned_columns(batch, columns) : std::vector<bool>(columns.size(), false);
  const bool spanning = tuning.direct && (prices_pinned(batch) || std::find(column_pinned.begin(),
                                                                           column_pinned.end(), true) !=
                                                                     column_pinned.end());

  // Pipelines for every device entry; an allocation that fails halves the chunks.
  std::vector<Chunk> chunks;
  std::vector<std::unique_ptr<DevicePipeline>> pipelines;
  bool all_cached = true;
  int retries = 0;
  for (;;) {
    chunks = plan_chunks(batch.series, columns, rows, symbols, spanning);
    // Each device runs up to `streams` chunks at once: the kernel's shape depends on them all.
    std::size_t largest_chunk = 0;
    for (const Chunk& c : chunks) largest_chunk = std::max(largest_chunk, c.layout.series);
    params.concurrent_series = static_cast<long long>(std::min(
        (batch.series.size() + devices.size() - 1) / devices.size(), largest_chunk * streams));
    PipelineShape need;
    need.streams = options.streams;
    need.pinned = tuning.pinned;
    for (const Chunk& c : chunks) {
      need.in_bytes = std::max(need.in_bytes, c.layout.in_bytes);
      need.out_bytes = std::max(need.out_bytes, c.layout.out_bytes);
      need.workspace_bytes = std::max(need.workspace_bytes, c.layout.workspace_bytes);
    }
    try {
      for (int device : devices) {
        need.device = device;
        bool cached = false;
        pipelines.push_back(cache.acquire(need, cached));
        all_cached = all_cached && cached;
        pipelines.back()->ready_for_run(growth, config, params);
      }
      break;
    } catch (const OutOfMemory& e) {
      pipelines.clear();
      const std::size_t longest = batch.max_bars;
      if (rows <= longest)
        throw Error(std::string(e.what()) + "; chunks cannot shrink below the longest series (" +
                    std::to_string(longest) + " bars)");
      rows = std::max(rows / 2, longest);
      ++retries;
    }
  }

  Run run{batch, out, columns, chunks, params};
  run.stop = options.stop;
  run.timeout_s = timeout_s;
  run.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  run.graphs = tuning.graphs && tuning.pinned;  // pageable copies cannot be captured
  run.timing = tuning.stats != nullptr;
  if (tuning.direct) {
    for (const Chunk& c : chunks) run.directs.push_back(direct_of(batch, columns, column_pinned, c));
  }
  const bool nothing_staged =
      !run.directs.empty() && std::all_of(run.directs.begin(), run.directs.end(), [](const Direct& d) { return d.complete(); });
  run.workers = workers;
  run.copy_threads = std::max<std::size_t>(std::thread::hardware_concurrency() / std::min(workers, chunks.size()), 1);

  std::vector<WorkerStats> stats(workers);
  detail::throw_if_cancelled(run.stop);
  if (nothing_staged) {
    // No host copies to spread over threads: the calling thread enqueues every chunk on
    // its stream at once, then waits for them in order.
    enqueue_all(run, pipelines, streams, stats);
  } else {
    // Worker 0 runs on the calling thread: one thread start fewer on the latency path.
    const std::size_t active = std::min(workers, chunks.size());
    const auto run_worker = [&](std::size_t w) {
      DevicePipeline& p = *pipelines[w / streams];
      work(run, p, p.buffers(static_cast<int>(w % streams)), w, stats[w]);
    };
    std::vector<std::jthread> threads;
    for (std::size_t w = 1; w < active; ++w) threads.emplace_back(run_worker, w);
    const DeviceGuard caller_device(pipelines[0]->device());  // restored for the caller
    run_worker(0);
  }

  if (run.error) {
    // After a timeout the device may still run (or never finish) the work: abandon the
    // pipelines rather than free memory it may write. Other errors free them.
    if (run.timed_out)
      for (auto& p : pipelines) (void)p.release();
    std::rethrow_exception(run.error);
  }
  if (tuning.stats != nullptr) {
    PipelineStats& s = *tuning.stats;
    s.cached = all_cached;
    s.oom_retries = retries;
    for (std::size_t d = 0; d < devices.size(); ++d) {
      double first = std::numeric_limits<double>::infinity(), last = 0.0;
      for (std::size_t w = d * streams; w < (d + 1) * streams; ++w) {
        s.chunks += stats[w].chunks;
        s.direct_input_chunks += stats[w].direct_in;
        s.direct_output_chunks += stats[w].direct_out;
        s.upload_bytes += stats[w].upload_bytes;
        s.download_bytes += stats[w].download_bytes;
        s.busy_ms += stats[w].busy_ms;
        first = std::min(first, stats[w].first_ms);
        last = std::max(last, stats[w].last_ms);
      }
      if (last > first) s.wall_ms = std::max(s.wall_ms, last - first);
    }
  }
  for (auto& p : pipelines) cache.give_back(std::move(p));
}

}  // namespace atc::cuda
