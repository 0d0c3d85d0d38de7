// What a computation produces: columnar per-bar outputs for a batch of symbols.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "atc/config.hpp"

namespace atc {

// Which outputs to produce. Average_Signal is always produced.
struct OutputRequest {
  bool families = true;        // the six X_Signal (Layer 1) and six X_S (Layer 2)
  bool classification = true;  // trend, state, direction, long_entry, short_entry
  // "Calibration mode": also the 9 MAs, 9 per-MA signals and 9 equities of one family.
  std::optional<Family> calibration;

  static OutputRequest average_only() { return {false, false, std::nullopt}; }
  static OutputRequest scan() { return {false, true, std::nullopt}; }
  static OutputRequest standard() { return {}; }
  static OutputRequest with_calibration(Family f) { return {true, true, f}; }
};

// One symbol's outputs, viewed inside a BatchOutputs. Spans are empty for outputs
// that were not requested. Continuous outputs are NaN where undefined; discrete
// outputs are 0 there.
struct SymbolOutputView {
  std::span<const double> average_signal;
  std::array<std::span<const double>, kFamilies> family_signal;  // EMA_Signal ... KAMA_Signal
  std::array<std::span<const double>, kFamilies> family_equity;  // EMA_S ... KAMA_S
  std::span<const std::int8_t> trend, state, direction, long_entry, short_entry;
  std::array<std::span<const double>, kLengthsPerFamily> ma;
  std::array<std::span<const std::int8_t>, kLengthsPerFamily> ma_signal;
  std::array<std::span<const double>, kLengthsPerFamily> ma_equity;
  std::size_t bars() const { return average_signal.size(); }
};

// Columnar outputs of a batch: symbol i occupies [offsets[i], offsets[i+1]) of every
// column, one row per input bar (same length as its input series).
struct BatchOutputs {
  OutputRequest request;
  std::vector<std::size_t> offsets{0};
  std::vector<double> average_signal;
  std::array<std::vector<double>, kFamilies> family_signal, family_equity;
  std::vector<std::int8_t> trend, state, direction, long_entry, short_entry;
  std::array<std::vector<double>, kLengthsPerFamily> ma, ma_equity;
  std::array<std::vector<std::int8_t>, kLengthsPerFamily> ma_signal;

  std::size_t symbols() const { return offsets.size() - 1; }
  std::size_t rows() const { return offsets.back(); }
  SymbolOutputView view(std::size_t symbol) const;

  // Sizes every requested column for `offsets` and fills it with NaN / 0.
  void allocate(const OutputRequest& req, std::vector<std::size_t> symbol_offsets);
};

}  // namespace atc
