// The streamed batch pipeline of the CUDA backend.
//
// The prepared series are cut into chunks of consecutive symbols (sized from free device
// memory). Every device of the run gets a worker per stream (a host thread, a CUDA
// stream, one set of device buffers and two pinned staging slots); chunk c goes to worker
// c mod workers, so that a repeated run puts the same chunk in the same slot and replays
// its captured graph (no balancing between devices of unequal speed). A worker packs its
// chunk into a free slot, enqueues upload → fused kernel → download on its stream (one
// copy each way: the slot's layout is the device layout), and while the device works it
// scatters the slot it filled before into the output columns; large chunks' copies are
// split over the cores the workers leave. A chunk whose prices (or an output column's
// rows) form one contiguous range of page-locked caller memory skips the staging copy
// in that direction: the DMA reads or writes the caller's memory itself (a live scanner
// that pins its price table and result columns once, see atc/pinned.hpp). Where some of
// that memory is pinned, a chunk whose series have gaps between them (late listings,
// symbols that failed validation) keeps the gaps (a spanned chunk, transfer_plan.hpp), so
// that it moves directly too. Each chunk's results depend only on its own
// series, so every chunking, stream count and device list gives the same bits.
//
// Pipelines (streams, buffers, pinned slots, captured graphs) are kept after a run in
// the call's GpuContext (ComputeOptions::gpu_context, else default_gpu_context()) and
// reused by the next run that fits, so a scanner re-running the same universe allocates
// nothing.
#pragma once

#include <cstddef>
#include <vector>

#include "../core/prepared.hpp"
#include "atc/batch.hpp"
#include "atc/config.hpp"

namespace atc::cuda {

// What one run did, for the benchmark and the tests (all devices together).
struct PipelineStats {
  std::size_t chunks = 0;
  // Chunks whose prices went straight from pinned caller memory, and chunks with at
  // least one output column written straight into pinned caller memory.
  std::size_t direct_input_chunks = 0, direct_output_chunks = 0;
  std::size_t upload_bytes = 0, download_bytes = 0;  // over PCIe, both directions
  double busy_ms = 0.0;  // Σ over streams of the time a chunk of theirs was in flight
  double wall_ms = 0.0;  // first upload start to last download end (device events; max over devices)
  bool cached = false;   // every device reused a cached pipeline
  int oom_retries = 0;   // chunk halvings after cudaErrorMemoryAllocation
};

// Knobs beyond ComputeOptions, for the benchmark and the tests.
struct PipelineTuning {
  bool pinned = true;  // pinned staging (false: pageable, copies go through the driver)
  bool graphs = true;  // replay a captured upload → kernel → download graph per slot
  // Move chunks whose host ranges are contiguous and pinned straight between those
  // ranges and the device (false: always through the staging slots).
  bool direct = true;
  // Plan chunks as if this many bytes were free on each device (0: ask cudaMemGetInfo).
  // Tests use it to make allocations fail and exercise the halving.
  std::size_t assume_free_bytes = 0;
  PipelineStats* stats = nullptr;  // filled when set (adds timing events)
};

// Computes `batch` into `out` with the options' streams, chunk size, memory limit and
// devices. Throws atc::Error on a CUDA error or when the device does not finish within
// the timeout (ATC_CUDA_TIMEOUT_S seconds, default 60 s + 1 s per 10^6 symbol-bars).
void run_pipeline(const detail::PreparedBatch& batch, const Config& config, const detail::OutputColumns& out,
                  const ComputeOptions& options, const PipelineTuning& tuning = {});

}  // namespace atc::cuda
