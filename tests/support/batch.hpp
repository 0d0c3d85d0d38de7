// Batches of symbols that own their data, for feeding atc::compute_batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "support/random_walk.hpp"

namespace atc::test {

// Owns the names and series that the SeriesViews of a batch point into.
struct OwnedBatch {
  std::vector<std::string> names;
  std::vector<std::vector<double>> close;
  std::vector<std::vector<double>> src;  // empty vector: src = close for that symbol

  void add(std::string name, std::vector<double> close_series, std::vector<double> src_series = {}) {
    names.push_back(std::move(name));
    close.push_back(std::move(close_series));
    src.push_back(std::move(src_series));
  }

  std::size_t size() const { return names.size(); }

  // Views into this batch; valid while the batch is alive and not modified.
  std::vector<SeriesView> views() const {
    std::vector<SeriesView> out(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) out[i] = SeriesView{names[i], close[i], src[i]};
    return out;
  }

  SeriesView view(std::size_t i) const { return SeriesView{names[i], close[i], src[i]}; }
};

struct RaggedBatchSpec {
  std::size_t symbols = 1000;
  std::size_t min_bars = 100;
  std::size_t max_bars = 400;
  // Each symbol gets 0..max_leading_nans NaNs before its first bar (a late listing).
  std::size_t max_leading_nans = 0;
  std::uint64_t seed = 1;
};

// Symbols "S0", "S1", ... with random-walk closes of random lengths (uniform in
// [min_bars, max_bars], counted without the leading NaNs), start prices spread over
// several orders of magnitude and volatilities from 0.2% to 5% per bar.
inline OwnedBatch ragged_batch(const RaggedBatchSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  std::uniform_int_distribution<std::size_t> length(spec.min_bars, spec.max_bars);
  std::uniform_int_distribution<std::size_t> leading(0, spec.max_leading_nans);
  std::uniform_real_distribution<double> log10_price(-1.0, 4.0), volatility(0.002, 0.05);
  OwnedBatch batch;
  for (std::size_t s = 0; s < spec.symbols; ++s) {
    const std::size_t bars = length(rng);
    const std::size_t nans = leading(rng);
    const double start = std::pow(10.0, log10_price(rng));
    std::vector<double> walk = random_walk(bars, rng(), start, volatility(rng));
    std::vector<double> close(nans, std::numeric_limits<double>::quiet_NaN());
    close.insert(close.end(), walk.begin(), walk.end());
    std::string name = "S";
    name += std::to_string(s);
    batch.add(std::move(name), std::move(close));
  }
  return batch;
}

// Computes one symbol on its own (a batch of one), for "bit-identical to alone" checks.
inline BatchResult compute_alone(const SeriesView& series, const Config& config,
                                 const ComputeOptions& options) {
  return compute_batch(std::span<const SeriesView>(&series, 1), config, options);
}

}  // namespace atc::test
