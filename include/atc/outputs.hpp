// What a computation produces: columnar per-bar outputs for a batch of symbols.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "atc/config.hpp"

namespace atc {

// X_Signal is rounded to hundredths in [-1, 1], so it is exactly an int8 count of
// hundredths: from_hundredths(k) == k / 100.0 is the double, kHundredthsNaN stands for
// NaN (bars before the cutout).
inline constexpr std::int8_t kHundredthsNaN = INT8_MIN;
inline double from_hundredths(std::int8_t k) { return k == kHundredthsNaN ? NAN : k / 100.0; }
// The inverse for an exact hundredth x (or NaN).
inline std::int8_t to_hundredths(double x) {
  return std::isnan(x) ? kHundredthsNaN : static_cast<std::int8_t>(std::lround(x * 100.0));
}

// Which outputs to produce. Average_Signal is always produced.
struct OutputRequest {
  bool families = true;        // the six X_Signal (Layer 1) and six X_S (Layer 2)
  bool classification = true;  // trend, state, direction, long_entry, short_entry
  // With `families`: X_Signal as int8 hundredths in family_signal_hundredths instead of
  // doubles in family_signal (one byte a bar instead of eight; the CUDA backend then
  // hands them over as they come off the device, with no widening on the host).
  bool compact_family_signals = false;
  // "Calibration mode": also the 9 MAs, 9 per-MA signals and 9 equities of one family.
  std::optional<Family> calibration;

  static OutputRequest average_only() { return {false, false, false, std::nullopt}; }
  static OutputRequest scan() { return {false, true, false, std::nullopt}; }
  static OutputRequest standard() { return {}; }
  // standard() with X_Signal as int8 hundredths.
  static OutputRequest compact() { return {true, true, true, std::nullopt}; }
  static OutputRequest with_calibration(Family f) { return {true, true, false, f}; }
  bool operator==(const OutputRequest&) const = default;
};

/// How an output column stores its values.
enum class ColumnKind : std::uint8_t {
  Real,        ///< double, NaN where undefined
  Discrete,    ///< int8 code, 0 where undefined
  Hundredths,  ///< X_Signal as int8 hundredths (from_hundredths), kHundredthsNaN where undefined
};

/// The part of an OutputRequest that asks for an output.
enum class OutputGroup : std::uint8_t {
  Always,           ///< Average_Signal
  Families,         ///< X_S (request.families)
  FamilySignals,    ///< X_Signal as doubles (families, not compact)
  CompactSignals,   ///< X_Signal as int8 hundredths (families and compact)
  Classification,   ///< trend, state, direction, long_entry, short_entry
  Calibration,      ///< the calibration family's 9 MAs, signals and equities
};

/// Whether `request` asks for the outputs of `group`.
constexpr bool requested(OutputGroup group, const OutputRequest& request) {
  switch (group) {
    case OutputGroup::Always: return true;
    case OutputGroup::Families: return request.families;
    case OutputGroup::FamilySignals: return request.families && !request.compact_family_signals;
    case OutputGroup::CompactSignals: return request.families && request.compact_family_signals;
    case OutputGroup::Classification: return request.classification;
    case OutputGroup::Calibration: return request.calibration.has_value();
  }
  return false;
}

/// One row of the output table: how the column is named, stored and requested. A
/// per-family row stands for six columns named `<family><stem>` (EMA_Signal), a
/// per-length row for the calibration family's nine, `<family><stem>_<length>`
/// (KAMA_MA_28); `index` is the family or length slot of the column visited.
struct OutputField {
  enum class Scope : std::uint8_t { One, PerFamily, PerLength };
  std::string_view stem;
  ColumnKind kind;
  OutputGroup group;
  Scope scope = Scope::One;
  int index = -1;
  constexpr OutputField at(int slot) const {
    OutputField f = *this;
    f.index = slot;
    return f;
  }
};

/// The rows of the output table, in the order of the columns.
namespace output_fields {
inline constexpr OutputField kAverageSignal{"Average_Signal", ColumnKind::Real, OutputGroup::Always};
inline constexpr OutputField kFamilySignal{"_Signal", ColumnKind::Real, OutputGroup::FamilySignals,
                                           OutputField::Scope::PerFamily};
inline constexpr OutputField kFamilySignalHundredths{"_Signal", ColumnKind::Hundredths, OutputGroup::CompactSignals,
                                                     OutputField::Scope::PerFamily};
inline constexpr OutputField kFamilyEquity{"_S", ColumnKind::Real, OutputGroup::Families, OutputField::Scope::PerFamily};
inline constexpr OutputField kTrend{"trend", ColumnKind::Discrete, OutputGroup::Classification};
inline constexpr OutputField kState{"state", ColumnKind::Discrete, OutputGroup::Classification};
inline constexpr OutputField kDirection{"direction", ColumnKind::Discrete, OutputGroup::Classification};
inline constexpr OutputField kLongEntry{"long_entry", ColumnKind::Discrete, OutputGroup::Classification};
inline constexpr OutputField kShortEntry{"short_entry", ColumnKind::Discrete, OutputGroup::Classification};
inline constexpr OutputField kMa{"_MA", ColumnKind::Real, OutputGroup::Calibration, OutputField::Scope::PerLength};
inline constexpr OutputField kMaSignal{"_Signal", ColumnKind::Discrete, OutputGroup::Calibration,
                                       OutputField::Scope::PerLength};
inline constexpr OutputField kMaEquity{"_S", ColumnKind::Real, OutputGroup::Calibration, OutputField::Scope::PerLength};
}  // namespace output_fields

/// The one list of the output fields, shared by every struct that holds one thing per
/// output (BatchOutputs' columns, SymbolOutputView's spans, the backends' and front
/// ends' column pointers): calls f(field, a.x, b.x) for each field x, in the order of the
/// columns. The family outputs, the compact signals and the calibration fields are
/// visited where both structs have them (a live bar or the device outputs have no
/// calibration fields, a sweep row holds the last bar's scalars). A new output is a
/// row above, a field of those structs and a line here.
template <class A, class B, class F>
void for_each_output_field(A& a, B& b, F&& f) {
  namespace o = output_fields;
  constexpr bool kFamilyOutputs = requires(A& x, B& y) { x.family_signal; y.family_signal; };
  constexpr bool kCompact = requires(A& x, B& y) { x.family_signal_hundredths; y.family_signal_hundredths; };
  constexpr bool kCalibration = requires(A& x, B& y) { x.ma; y.ma; };
  f(o::kAverageSignal, a.average_signal, b.average_signal);
  if constexpr (kFamilyOutputs) {
    for (int k = 0; k < kFamilies; ++k) {
      f(o::kFamilySignal.at(k), a.family_signal[k], b.family_signal[k]);
      if constexpr (kCompact)
        f(o::kFamilySignalHundredths.at(k), a.family_signal_hundredths[k], b.family_signal_hundredths[k]);
    }
    for (int k = 0; k < kFamilies; ++k) f(o::kFamilyEquity.at(k), a.family_equity[k], b.family_equity[k]);
  }
  f(o::kTrend, a.trend, b.trend);
  f(o::kState, a.state, b.state);
  f(o::kDirection, a.direction, b.direction);
  f(o::kLongEntry, a.long_entry, b.long_entry);
  f(o::kShortEntry, a.short_entry, b.short_entry);
  if constexpr (kCalibration) {
    for (int i = 0; i < kLengthsPerFamily; ++i) {
      f(o::kMa.at(i), a.ma[i], b.ma[i]);
      f(o::kMaSignal.at(i), a.ma_signal[i], b.ma_signal[i]);
      f(o::kMaEquity.at(i), a.ma_equity[i], b.ma_equity[i]);
    }
  }
}

/// The column name of `field` (visited by for_each_output_field): Average_Signal,
/// EMA_Signal, KAMA_S, trend, ...; a calibration column needs the calibration family
/// and takes its length from `config` (KAMA_MA_28).
std::string output_name(const OutputField& field, const Config& config, std::optional<Family> calibration);

/// The value a column of `kind` holds where there is none.
template <class T>
constexpr T no_value(ColumnKind kind) {
  if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::quiet_NaN();
  else return kind == ColumnKind::Hundredths ? static_cast<T>(kHundredthsNaN) : T{0};
}

// One symbol's outputs, viewed inside a BatchOutputs. Spans are empty for outputs
// that were not requested. Continuous outputs are NaN where undefined; discrete
// outputs are 0 there.
struct SymbolOutputView {
  std::span<const double> average_signal;
  std::array<std::span<const double>, kFamilies> family_signal;  // EMA_Signal ... KAMA_Signal
  std::array<std::span<const std::int8_t>, kFamilies> family_signal_hundredths;  // the same, compact
  std::array<std::span<const double>, kFamilies> family_equity;  // EMA_S ... KAMA_S
  std::span<const std::int8_t> trend, state, direction, long_entry, short_entry;
  std::array<std::span<const double>, kLengthsPerFamily> ma;
  std::array<std::span<const std::int8_t>, kLengthsPerFamily> ma_signal;
  std::array<std::span<const double>, kLengthsPerFamily> ma_equity;
  std::size_t bars() const { return average_signal.size(); }
  // Bars [begin, begin + count) of every output.
  SymbolOutputView subview(std::size_t begin, std::size_t count) const;
};

// An allocator whose value-initialisation leaves numbers uninitialised: every row of an
// output column is written exactly once (by a backend, or as NaN / 0 where there is no
// value), so zero-filling the columns first would only double the memory traffic.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  using std::allocator<T>::allocator;
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// One output column: a std::vector of doubles or int8 codes.
template <class T>
using Column = std::vector<T, DefaultInitAllocator<T>>;

// Columnar outputs of a batch: symbol i occupies [offsets[i], offsets[i+1]) of every
// column, one row per input bar (same length as its input series).
struct BatchOutputs {
  OutputRequest request;
  std::vector<std::size_t> offsets{0};
  Column<double> average_signal;
  std::array<Column<double>, kFamilies> family_signal, family_equity;
  std::array<Column<std::int8_t>, kFamilies> family_signal_hundredths;  // request.compact_family_signals
  Column<std::int8_t> trend, state, direction, long_entry, short_entry;
  std::array<Column<double>, kLengthsPerFamily> ma, ma_equity;
  std::array<Column<std::int8_t>, kLengthsPerFamily> ma_signal;

  std::size_t symbols() const { return offsets.size() - 1; }
  std::size_t rows() const { return offsets.back(); }
  SymbolOutputView view(std::size_t symbol) const;

  // Sizes every requested column for `offsets` and fills it with NaN / 0.
  void allocate(const OutputRequest& req, std::vector<std::size_t> symbol_offsets);
  // Sizes every requested column for `offsets`, leaving the values unspecified.
  void resize(const OutputRequest& req, std::vector<std::size_t> symbol_offsets);
  // NaN in the continuous and 0 in the discrete columns, rows [begin, end).
  void clear_rows(std::size_t begin, std::size_t end);

  // Calls f(field, column) for every column, requested or not (an unrequested one is empty).
  template <class F>
  void for_each_column(F&& f) {
    for_each_output_field(*this, *this, [&](const OutputField& field, auto& column, auto&) { f(field, column); });
  }
};

/// The one naming and order of the output columns, for every front end (the CSV writer,
/// Python): calls f(name, kind, column) for each requested column of `outputs` (a
/// BatchOutputs or a SymbolOutputView; an empty column is not requested), in the order
/// of for_each_output_field:
///   Average_Signal; EMA_Signal .. KAMA_Signal (kind Hundredths when kept compact);
///   EMA_S .. KAMA_S; trend, state, direction, long_entry, short_entry; and for the
///   `calibration` family X, per length L in Config::lengths order: X_MA_L, X_Signal_L,
///   X_S_L (its MA, per-MA signal and equity).
template <class Outputs, class F>
void for_each_named_column(Outputs& outputs, const Config& config, std::optional<Family> calibration, F&& f) {
  for_each_output_field(outputs, outputs, [&](const OutputField& field, auto& column, auto&) {
    if (column.empty() || (field.scope == OutputField::Scope::PerLength && !calibration)) return;
    f(output_name(field, config, calibration), field.kind, column);
  });
}

}  // namespace atc
