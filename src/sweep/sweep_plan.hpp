// What the sweep driver (sweep.cpp) hands to a backend and gets back from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "../core/prepared.hpp"
#include "sweep_cell.hpp"
#include "atc/sweep.hpp"

namespace atc::detail {

// One configuration: the priced series (indices into the PreparedBatch of
// prepare_prices) it admits, in increasing order, with their sum widths.
struct SweepConfig {
  const Config* config = nullptr;
  std::vector<std::uint32_t> admitted;
  std::vector<std::uint8_t> wide;  // per admitted series
  std::vector<std::uint32_t> keep;  // priced series of this configuration whose whole series are kept
};

// Where a backend delivers its results (from one host thread at a time).
struct SweepSink {
  // Cells of configuration `config`: cells[j] is priced series series[j] (admitted by
  // it). A configuration's cells may come in several calls (the CUDA sweep's chunks).
  std::function<void(std::size_t config, std::span<const std::uint32_t> series, std::span<const SweepCell> cells)>
      cells;
  // A kept series of `config`: priced series `series`, its n bars of Average_Signal and
  // of the position code (state or direction as the backtest's source names it).
  std::function<void(std::size_t config, std::uint32_t series, std::span<const double> average,
                     std::span<const std::int8_t> code)>
      kept;
};

// The CUDA sweep (src/cuda/sweep.cu; src/core/no_cuda.cpp without CUDA). Returns the
// device bytes it held at its peak, and the streams it ran on in `streams`.
std::size_t run_cuda_sweep(const PreparedBatch& priced, std::span<const SweepConfig> configs, const SweepOptions& options,
                    const SweepSink& sink, int& streams);

}  // namespace atc::detail
