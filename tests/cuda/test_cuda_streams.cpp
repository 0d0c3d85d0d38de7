// The streamed pipeline of the CUDA backend: every way of cutting and scheduling a batch
// (chunk sizes, streams, devices, graphs, pinned or pageable staging, cached or fresh
// pipelines, allocation failures) gives the same bits as one chunk on one stream; a
// memory cap forces many chunks; a timeout becomes atc::Error; repeated scans leak
// neither device nor pinned memory.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <span>
#include <string>

#include "atc/atc.hpp"
#include "cuda/pipeline.hpp"
#include "gpu_support.hpp"
#include "support/batch.hpp"
#include "support/compact.hpp"

namespace atc::test {
namespace {

// A ragged batch with late listings where every fourth symbol has its own src.
OwnedBatch streams_batch(std::size_t symbols, std::size_t min_bars, std::size_t max_bars, std::uint64_t seed) {
  OwnedBatch batch = ragged_batch(
      {.symbols = symbols, .min_bars = min_bars, .max_bars = max_bars, .max_leading_nans = 30, .seed = seed});
  for (std::size_t s = 0; s < batch.size(); s += 4) {
    std::vector<double> src(batch.close[s]);
    for (std::size_t t = 1; t < src.size(); ++t) src[t] = 0.5 * (batch.close[s][t] + batch.close[s][t - 1]);
    batch.src[s] = std::move(src);
  }
  return batch;
}

// Runs the pipeline directly (as compute_batch does), with tuning and statistics.
BatchOutputs run_direct(const OwnedBatch& owned, const Config& config, const ComputeOptions& options,
                        cuda::PipelineTuning tuning = {}, cuda::PipelineStats* stats = nullptr) {
  const std::vector<SeriesView> views = owned.views();
  std::vector<std::size_t> offsets{0};
  for (const SeriesView& v : views) offsets.push_back(offsets.back() + v.close.size());
  BatchOutputs outputs;
  outputs.allocate(options.outputs, offsets);
  std::vector<SymbolStatus> status;
  const detail::PreparedBatch prepared = detail::prepare(views, config, options.gaps, offsets, status);
  tuning.stats = stats;
  cuda::run_pipeline(prepared, config, detail::columns_of(outputs), options, tuning);
  return outputs;
}

bool same(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same_bits);
}

void expect_same(const BatchOutputs& a, const BatchOutputs& b, const std::string& what) {
  EXPECT_TRUE(same(a.average_signal, b.average_signal)) << what << ": Average_Signal";
  for (int f = 0; f < kFamilies; ++f) {
    EXPECT_TRUE(same(a.family_signal[f], b.family_signal[f])) << what << ": X_Signal " << f;
    EXPECT_EQ(a.family_signal_hundredths[f], b.family_signal_hundredths[f]) << what << ": X_Signal " << f;
    EXPECT_TRUE(same(a.family_equity[f], b.family_equity[f])) << what << ": X_S " << f;
  }
  EXPECT_EQ(a.trend, b.trend) << what;
  EXPECT_EQ(a.state, b.state) << what;
  EXPECT_EQ(a.direction, b.direction) << what;
  EXPECT_EQ(a.long_entry, b.long_entry) << what;
  EXPECT_EQ(a.short_entry, b.short_entry) << what;
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    EXPECT_TRUE(same(a.ma[i], b.ma[i])) << what << ": MA " << i;
    EXPECT_TRUE(same(a.ma_equity[i], b.ma_equity[i])) << what << ": MA equity " << i;
    EXPECT_EQ(a.ma_signal[i], b.ma_signal[i]) << what << ": MA signal " << i;
  }
}

ComputeOptions cuda_options(OutputRequest outputs = OutputRequest::standard()) {
  ComputeOptions o;
  o.backend = Backend::Cuda;
  o.outputs = outputs;
  return o;
}

// The baseline every other run must match: one stream (one worker: its one or two
// chunks run in turn), no graph, no cache.
BatchOutputs single_stream(const OwnedBatch& batch, const Config& config, OutputRequest outputs) {
  default_gpu_context().release();
  ComputeOptions o = cuda_options(outputs);
  o.streams = 1;
  cuda::PipelineTuning tuning;
  tuning.graphs = false;
  return run_direct(batch, config, o, tuning);
}

std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

std::size_t free_device_bytes() {
  std::size_t free_bytes = 0, total = 0;
  EXPECT_EQ(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
  return free_bytes;
}

class CudaStreams : public ::testing::Test {
 protected:
  void SetUp() override { ATC_REQUIRE_GPU(); }
  void TearDown() override { default_gpu_context().release(); }
};

// Small enough for compute-sanitizer: every path on 40 symbols.
TEST_F(CudaStreams, SmallBatchAllPaths) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = streams_batch(40, 80, 300, seed);
  const BatchOutputs want = single_stream(batch, Config{}, OutputRequest::standard());
  for (bool graphs : {true, false}) {
    for (bool pinned : {true, false}) {
      ComputeOptions o = cuda_options();
      o.streams = 3;
      o.chunk_symbols = 7;
      o.devices = {0, 0};
      cuda::PipelineTuning tuning;
      tuning.graphs = graphs;
      tuning.pinned = pinned;
      for (int repeat = 0; repeat < 2; ++repeat)
        expect_same(run_direct(batch, Config{}, o, tuning), want,
                    "graphs " + std::to_string(graphs) + ", pinned " + std::to_string(pinned));
    }
  }
}

TEST_F(CudaStreams, EverySizeMatchesTheSingleStreamPath) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (std::size_t symbols : {0, 1, 10, 100, 1000, 10240}) {
    const OwnedBatch batch = streams_batch(symbols, 80, symbols > 1000 ? 500 : 1500, seed + symbols);
    const BatchOutputs want = single_stream(batch, Config{}, OutputRequest::standard());
    ComputeOptions o = cuda_options();
    o.chunk_symbols = std::max<std::size_t>(symbols / 9, 1);  // ~10 chunks over 4 streams
    const std::string what = std::to_string(symbols) + " symbols";
    expect_same(run_direct(batch, Config{}, o), want, what + ", first call");
    cuda::PipelineStats stats;
    expect_same(run_direct(batch, Config{}, o, {}, &stats), want, what + ", cached repeat");
    if (symbols > 0) {
      EXPECT_TRUE(stats.cached) << what;
    }
    // The public entry point too (its own output allocation and validation).
    const BatchResult result = compute_batch(batch.views(), Config{}, o);
    expect_same(result.outputs, want, what + ", compute_batch");
  }
}

TEST_F(CudaStreams, StreamCountsGraphsAndStagingGiveTheSameBits) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = streams_batch(700, 100, 1200, seed);
  Config config;
  config.cutout = 40;
  config.strategy = true;
  for (OutputRequest request : {OutputRequest::scan(), OutputRequest::standard(),
                                OutputRequest::with_calibration(Family::KAMA)}) {
    const BatchOutputs want = single_stream(batch, config, request);
    for (int streams : {1, 2, 4, 8}) {
      for (bool graphs : {true, false}) {
        for (bool pinned : {true, false}) {
          ComputeOptions o = cuda_options(request);
          o.streams = streams;
          o.chunk_symbols = 37;
          cuda::PipelineTuning tuning;
          tuning.graphs = graphs;
          tuning.pinned = pinned;
          cuda::PipelineStats stats;
          expect_same(run_direct(batch, config, o, tuning, &stats), want,
                      std::to_string(streams) + " streams, graphs " + std::to_string(graphs) + ", pinned " +
                          std::to_string(pinned));
          EXPECT_EQ(stats.chunks, (batch.size() + 36) / 37);
          EXPECT_GT(stats.busy_ms, 0.0);
          EXPECT_GT(stats.wall_ms, 0.0);
        }
      }
    }
  }
}

TEST_F(CudaStreams, MemoryCapForcesManyChunks) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = streams_batch(1000, 800, 1200, seed);
  const BatchOutputs want = single_stream(batch, Config{}, OutputRequest::standard());
  ComputeOptions o = cuda_options();
  o.device_memory_limit = std::size_t{16} << 20;  // the batch's columns alone take ~75 MB
  cuda::PipelineStats stats;
  expect_same(run_direct(batch, Config{}, o, {}, &stats), want, "16 MB cap");
  EXPECT_GE(stats.chunks, 8u);
  EXPECT_LE(default_gpu_context().footprint().device_bytes, o.device_memory_limit);
  std::cout << "16 MB cap: " << stats.chunks << " chunks\n";
}

TEST_F(CudaStreams, OutOfMemoryHalvesTheChunks) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = streams_batch(2000, 1800, 2200, seed);
  const BatchOutputs want = single_stream(batch, Config{}, OutputRequest::standard());
  default_gpu_context().release();
  // Leave 64 MB free (the plan wants ~170 MB), but let the pipeline plan as if the
  // whole card were.
  void* blocker = nullptr;
  ASSERT_EQ(cudaMalloc(&blocker, free_device_bytes() - (std::size_t{64} << 20)), cudaSuccess);
  ComputeOptions o = cuda_options();
  cuda::PipelineTuning tuning;
  tuning.assume_free_bytes = std::size_t{64} << 30;
  cuda::PipelineStats stats;
  BatchOutputs got;
  EXPECT_NO_THROW(got = run_direct(batch, Config{}, o, tuning, &stats));
  default_gpu_context().release();
  ASSERT_EQ(cudaFree(blocker), cudaSuccess);
  expect_same(got, want, "after halving");
  EXPECT_GT(stats.oom_retries, 0);
  std::cout << "out of memory: " << stats.oom_retries << " halvings, " << stats.chunks << " chunks\n";
}

TEST_F(CudaStreams, TimeoutBecomesAnError) {
  const OwnedBatch batch = streams_batch(2000, 1500, 2000, fresh_seed());
  ASSERT_EQ(setenv("ATC_CUDA_TIMEOUT_S", "0", 1), 0);
  try {
    (void)run_direct(batch, Config{}, cuda_options());
    ADD_FAILURE() << "no timeout";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ATC_CUDA_TIMEOUT_S"), std::string::npos) << e.what();
  }
  ASSERT_EQ(setenv("ATC_CUDA_TIMEOUT_S", "soon", 1), 0);
  EXPECT_THROW((void)run_direct(batch, Config{}, cuda_options()), Error);
  ASSERT_EQ(unsetenv("ATC_CUDA_TIMEOUT_S"), 0);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);  // the abandoned work completes
  const OwnedBatch small = streams_batch(50, 100, 300, fresh_seed());
  expect_same(run_direct(small, Config{}, cuda_options()), single_stream(small, Config{}, OutputRequest::standard()),
              "after a timeout");
}

TEST_F(CudaStreams, DeviceLists) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = streams_batch(600, 100, 900, seed);
  const BatchOutputs want = single_stream(batch, Config{}, OutputRequest::standard());
  for (const std::vector<int>& devices : {std::vector<int>{0}, std::vector<int>{0, 0}, std::vector<int>{}}) {
    ComputeOptions o = cuda_options();
    o.devices = devices;
    o.chunk_symbols = 50;
    cuda::PipelineStats stats;
    expect_same(run_direct(batch, Config{}, o, {}, &stats), want, std::to_string(devices.size()) + " devices");
    EXPECT_EQ(stats.chunks, 12u);
  }
  EXPECT_GE(default_gpu_context().footprint().pipelines, 2u);  // {0, 0}: two pipelines on device 0
  ComputeOptions bad = cuda_options();
  bad.devices = {99};
  EXPECT_THROW((void)run_direct(batch, Config{}, bad), Error);
  bad = cuda_options();
  bad.streams = 0;
  EXPECT_THROW((void)run_direct(batch, Config{}, bad), ConfigError);
}

// Direct transfers (pipeline.hpp): a ragged batch in one pinned buffer with pinned result
// columns moves without the staging copies and gives the bits of the staged path; a
// late-listed symbol breaks the contiguity of its chunk, which then goes staged; the
// int8 hundredths columns are always staged. Also through the public API
// (PinnedRegion, pin_columns, compute_batch into a reused result).
TEST_F(CudaStreams, DirectTransfersGiveTheSameBits) {
  const OwnedBatch source =
      ragged_batch({.symbols = 600, .min_bars = 300, .max_bars = 900, .max_leading_nans = 0, .seed = fresh_seed()});
  std::vector<double> flat;
  for (const auto& c : source.close) flat.insert(flat.end(), c.begin(), c.end());
  // Symbol 1 listed late: its computed bars no longer follow symbol 0's in the buffer;
  // symbol 100 fails validation (a price of -1): its rows lie between its neighbours'.
  for (std::size_t t = 0; t < 40; ++t) flat[source.close[0].size() + t] = NAN;
  std::size_t symbol_100 = 0;
  for (std::size_t i = 0; i < 100; ++i) symbol_100 += source.close[i].size();
  flat[symbol_100 + 50] = -1.0;
  std::vector<SeriesView> views(source.size());
  for (std::size_t i = 0, at = 0; i < source.size(); at += source.close[i++].size())
    views[i] = SeriesView{source.names[i], std::span<const double>(flat).subspan(at, source.close[i].size()), {}};
  std::vector<std::size_t> offsets{0};
  for (const SeriesView& v : views) offsets.push_back(offsets.back() + v.close.size());

  // The batch of `batch_views` through the staged path and, into pinned columns, through
  // the direct one: both results and the direct run's statistics.
  struct Runs {
    BatchOutputs staged, direct;
    cuda::PipelineStats stats;
  };
  const auto staged_and_direct = [&](const std::vector<SeriesView>& batch_views, const OutputRequest& request) {
    ComputeOptions o = cuda_options(request);
    o.chunk_symbols = 64;  // 10 chunks
    std::vector<SymbolStatus> status;
    const detail::PreparedBatch prepared = detail::prepare(batch_views, Config{}, o.gaps, offsets, status);
    Runs runs;
    runs.staged.allocate(request, offsets);
    runs.direct.allocate(request, offsets);
    const std::vector<PinnedRegion> pins = pin_columns(runs.direct);
    EXPECT_FALSE(pins.empty());
    cuda::PipelineTuning tuning;
    tuning.direct = false;
    cuda::run_pipeline(prepared, Config{}, detail::columns_of(runs.staged), o, tuning);
    tuning.direct = true;
    tuning.stats = &runs.stats;
    cuda::run_pipeline(prepared, Config{}, detail::columns_of(runs.direct), o, tuning);
    return runs;
  };

  const PinnedRegion pinned_prices{std::span<const double>(flat)};
  ASSERT_TRUE(pinned_prices.active());
  // The chunks with the late listing and the failed symbol are spanned (their gaps travel
  // too, with each column's no-value code): every chunk moves directly.
  for (const OutputRequest request : {OutputRequest::scan(), OutputRequest::standard(), OutputRequest::compact()}) {
    const Runs runs = staged_and_direct(views, request);
    const std::string what = request.compact_family_signals ? "compact" : (request.families ? "standard" : "scan");
    expect_same(runs.staged, runs.direct, what + ", direct vs staged");
    EXPECT_EQ(runs.stats.chunks, 10u) << what;
    EXPECT_EQ(runs.stats.direct_input_chunks, 10u) << what;
    EXPECT_EQ(runs.stats.direct_output_chunks, 10u) << what;
  }

  // Without the late listing every chunk is direct both ways (scan outputs): the calling
  // thread then enqueues every chunk itself, with the same bits.
  {
    std::vector<double> clean;
    for (const auto& c : source.close) clean.insert(clean.end(), c.begin(), c.end());
    const PinnedRegion pinned_clean{std::span<const double>(clean)};
    std::vector<SeriesView> clean_views(views);
    for (std::size_t i = 0, at = 0; i < source.size(); at += source.close[i++].size())
      clean_views[i].close = std::span<const double>(clean).subspan(at, source.close[i].size());
    const Runs runs = staged_and_direct(clean_views, OutputRequest::scan());
    expect_same(runs.staged, runs.direct, "scan, every chunk direct");
    EXPECT_EQ(runs.stats.chunks, 10u);
    EXPECT_EQ(runs.stats.direct_input_chunks, 10u);
    EXPECT_EQ(runs.stats.direct_output_chunks, 10u);
  }

  // The public API: prices pinned above, results pinned after a first call, the same
  // columns reused (and still pinned) by the next calls.
  ComputeOptions o = cuda_options(OutputRequest::scan());
  const BatchResult expected = compute_batch(views, Config{}, o);
  BatchResult live;
  compute_batch(views, Config{}, o, live);
  const std::vector<PinnedRegion> pins = pin_columns(live.outputs);
  const double* column = live.outputs.average_signal.data();
  for (int scan = 0; scan < 3; ++scan) {
    compute_batch(views, Config{}, o, live);
    EXPECT_EQ(live.outputs.average_signal.data(), column) << "the result columns were reallocated";
    expect_same(expected.outputs, live.outputs, "compute_batch into a pinned result, scan " + std::to_string(scan));
    EXPECT_EQ(live.ok_count(), views.size() - 1);  // all but symbol 100
  }
}

// OutputRequest::compact() on the cuda backend: the int8 hundredths leave the device
// into the caller's columns as they are (with no widening, and directly when the
// columns are pinned) and hold exactly the standard request's numbers, a symbol with
// bad input included.
TEST_F(CudaStreams, CompactOutputsHoldTheStandardNumbers) {
  OwnedBatch batch = streams_batch(500, 300, 900, fresh_seed());
  std::vector<double> bad = batch.close[7];
  bad[bad.size() - 5] = 0.0;
  batch.add("BAD", std::move(bad));
  ComputeOptions o = cuda_options(OutputRequest::standard());
  o.chunk_symbols = 64;
  const BatchResult standard = compute_batch(batch.views(), Config{}, o);
  EXPECT_EQ(standard.error_count(), 1u);
  o.outputs = OutputRequest::compact();
  const BatchResult staged = compute_batch(batch.views(), Config{}, o);
  expect_compact_matches_standard(standard, staged);

  // Pinned prices and pinned compact columns: every chunk direct both ways.
  const OwnedBatch source = ragged_batch({.symbols = 300, .min_bars = 300, .max_bars = 900, .seed = fresh_seed()});
  std::vector<double> flat;
  for (const auto& c : source.close) flat.insert(flat.end(), c.begin(), c.end());
  const PinnedRegion pinned_prices{std::span<const double>(flat)};
  std::vector<SeriesView> views(source.size());
  std::vector<std::size_t> offsets{0};
  for (std::size_t i = 0, at = 0; i < source.size(); at += source.close[i++].size()) {
    views[i] = SeriesView{source.names[i], std::span<const double>(flat).subspan(at, source.close[i].size()), {}};
    offsets.push_back(offsets.back() + source.close[i].size());
  }
  o.outputs = OutputRequest::standard();
  const BatchResult expected = compute_batch(views, Config{}, o);
  std::vector<SymbolStatus> status;
  const detail::PreparedBatch prepared = detail::prepare(views, Config{}, o.gaps, offsets, status);
  BatchResult direct;
  direct.status = expected.status;
  direct.outputs.allocate(OutputRequest::compact(), offsets);
  const std::vector<PinnedRegion> pins = pin_columns(direct.outputs);
  cuda::PipelineTuning tuning;
  cuda::PipelineStats stats;
  tuning.stats = &stats;
  o.outputs = OutputRequest::compact();
  cuda::run_pipeline(prepared, Config{}, detail::columns_of(direct.outputs), o, tuning);
  EXPECT_EQ(stats.direct_input_chunks, stats.chunks);
  EXPECT_EQ(stats.direct_output_chunks, stats.chunks);
  expect_compact_matches_standard(expected, direct);
}

// ComputeOptions::precision through the cached pipeline: float32 results differ from
// float64 ones (not exact) but float64 comes back bit-identical after float32 ran on the
// same layout (a graph captured for one precision is never replayed for the other), and
// each precision repeats its own bits.
TEST_F(CudaStreams, PrecisionSwitchesKeepEachPrecisionsBits) {
  const OwnedBatch batch = streams_batch(300, 800, 1200, fresh_seed());
  ComputeOptions o = cuda_options(OutputRequest::scan());
  const BatchResult f64 = compute_batch(batch.views(), Config{}, o);
  o.precision = Precision::Float32;
  const BatchResult f32 = compute_batch(batch.views(), Config{}, o);
  const BatchResult f32_again = compute_batch(batch.views(), Config{}, o);
  o.precision = Precision::Float64;
  const BatchResult f64_again = compute_batch(batch.views(), Config{}, o);
  expect_same(f64.outputs, f64_again.outputs, "float64 after float32");
  expect_same(f32.outputs, f32_again.outputs, "float32 repeated");
  EXPECT_FALSE(same(f64.outputs.average_signal, f32.outputs.average_signal))
      << "float32 gave the float64 bits: the float32 kernel did not run";
  std::size_t differing = 0;
  for (std::size_t i = 0; i < f64.outputs.trend.size(); ++i)
    differing += f64.outputs.state[i] != f32.outputs.state[i] ? 1 : 0;
  EXPECT_LT(static_cast<double>(differing), 0.01 * static_cast<double>(f64.outputs.state.size()));
}

TEST_F(CudaStreams, NoLeakAcross100Scans) {
  const OwnedBatch batch = streams_batch(1000, 900, 1100, fresh_seed());
  ComputeOptions o = cuda_options(OutputRequest::scan());
  (void)compute_batch(batch.views(), Config{}, o);  // context, modules, allocator pools
  default_gpu_context().release();
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const std::size_t device_before = free_device_bytes(), resident_before = resident_bytes();
  GpuContext::Footprint first;
  std::size_t device_during = 0;
  for (int scan = 0; scan < 100; ++scan) {
    const BatchResult r = compute_batch(batch.views(), Config{}, o);
    ASSERT_EQ(r.ok_count(), batch.size());
    const GpuContext::Footprint now = default_gpu_context().footprint();
    if (scan == 0) {
      first = now;
      device_during = free_device_bytes();
    }
    ASSERT_EQ(now.pipelines, 1u) << "scan " << scan;
    ASSERT_EQ(now.device_bytes, first.device_bytes) << "scan " << scan;
    ASSERT_EQ(now.pinned_bytes, first.pinned_bytes) << "scan " << scan;
  }
  EXPECT_EQ(free_device_bytes(), device_during) << "device memory grew during the scans";
  EXPECT_GT(first.pinned_bytes, 0u);
  default_gpu_context().release();
  EXPECT_EQ(default_gpu_context().footprint().pipelines, 0u);
  EXPECT_LE(device_before, free_device_bytes() + (std::size_t{2} << 20))  // one 2 MB page of slack
      << "device memory not back after the clear";
  // Pinned slots are resident; after the clear the process is back near where it was
  // (a few MB of allocator slack; the slots alone are pinned_bytes).
  const std::size_t resident_after = resident_bytes();
  EXPECT_LT(resident_after, resident_before + first.pinned_bytes / 4 + (std::size_t{8} << 20))
      << "resident " << resident_before << " -> " << resident_after << ", pinned slots " << first.pinned_bytes;
  std::cout << "cache: " << first.device_bytes << " device bytes, " << first.pinned_bytes << " pinned bytes; resident "
            << resident_before << " -> " << resident_after << "\n";
}

// A caller's own context keeps its pipelines apart from the default one's, gives the same
// bits, and frees them on release() and when destroyed.
TEST_F(CudaStreams, AnOwnGpuContextKeepsItsPipelinesUntilReleased) {
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OwnedBatch batch = streams_batch(300, 200, 900, seed);
  ComputeOptions o = cuda_options(OutputRequest::standard());
  default_gpu_context().release();
  const BatchResult want = compute_batch(batch.views(), Config{}, o);
  const GpuContext::Footprint shared = default_gpu_context().footprint();
  ASSERT_GE(shared.pipelines, 1u);
  {
    GpuContext own;
    o.gpu_context = &own;
    for (int repeat = 0; repeat < 2; ++repeat) {
      const BatchResult got = compute_batch(batch.views(), Config{}, o);
      expect_same(got.outputs, want.outputs, "own context, call " + std::to_string(repeat));
      EXPECT_EQ(own.footprint().pipelines, shared.pipelines);
      EXPECT_EQ(own.footprint().device_bytes, shared.device_bytes);
    }
    EXPECT_EQ(default_gpu_context().footprint().device_bytes, shared.device_bytes) << "the default context grew";
    own.release();
    EXPECT_EQ(own.footprint().pipelines, 0u);
    EXPECT_EQ(own.footprint().device_bytes, 0u);
    const BatchResult again = compute_batch(batch.views(), Config{}, o);  // allocates anew
    expect_same(again.outputs, want.outputs, "own context after release()");
    EXPECT_GE(own.footprint().pipelines, 1u);
  }  // destroyed: its pipelines freed
  const std::size_t free_after = free_device_bytes();
  default_gpu_context().release();
  EXPECT_GT(free_device_bytes(), free_after) << "the default context's pipelines were not freed";
}

}  // namespace
}  // namespace atc::test
