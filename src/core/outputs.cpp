#include "atc/outputs.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "prepared.hpp"

namespace atc {

SymbolOutputView SymbolOutputView::subview(std::size_t begin, std::size_t count) const {
  SymbolOutputView out;
  for_each_output_field(out, *this, [&](auto& to, const auto& from) {
    to = from.empty() ? from : from.subspan(begin, count);
  });
  return out;
}

SymbolOutputView BatchOutputs::view(std::size_t symbol) const {
  const std::size_t b = offsets.at(symbol), e = offsets.at(symbol + 1);
  SymbolOutputView all;  // every column over all rows, then cut to the symbol's rows
  for_each_output_field(all, *this, [](auto& span, const auto& column) { span = column; });
  return all.subview(b, e - b);
}

void BatchOutputs::resize(const OutputRequest& req, std::vector<std::size_t> symbol_offsets) {
  request = req;
  offsets = std::move(symbol_offsets);
  const std::size_t n = offsets.back();
  average_signal.resize(n);
  for (int f = 0; f < kFamilies; ++f) {
    family_signal[f].resize(req.families && !req.compact_family_signals ? n : 0);
    family_signal_hundredths[f].resize(req.families && req.compact_family_signals ? n : 0);
    family_equity[f].resize(req.families ? n : 0);
  }
  for (auto* col : {&trend, &state, &direction, &long_entry, &short_entry})
    col->resize(req.classification ? n : 0);
  const std::size_t calib = req.calibration ? n : 0;
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    ma[i].resize(calib);
    ma_equity[i].resize(calib);
    ma_signal[i].resize(calib);
  }
}

void BatchOutputs::clear_rows(std::size_t begin, std::size_t end) {
  const auto is_hundredths = [&](const void* column) {
    return std::any_of(family_signal_hundredths.begin(), family_signal_hundredths.end(),
                       [&](const auto& h) { return column == &h; });
  };
  for_each_column([&](auto& column) {
    using T = typename std::decay_t<decltype(column)>::value_type;
    T value = std::is_floating_point_v<T> ? std::numeric_limits<T>::quiet_NaN() : T{0};
    if constexpr (std::is_same_v<T, std::int8_t>)
      if (is_hundredths(&column)) value = kHundredthsNaN;  // X_Signal's NaN
    if (!column.empty()) std::fill(column.begin() + begin, column.begin() + end, value);
  });
}

void BatchOutputs::allocate(const OutputRequest& req, std::vector<std::size_t> symbol_offsets) {
  resize(req, std::move(symbol_offsets));
  clear_rows(0, rows());
}

namespace detail {

OutputColumns columns_of(BatchOutputs& o) {
  OutputColumns c;
  for_each_output_field(c, o, [](auto& pointer, auto& column) { pointer = column.empty() ? nullptr : column.data(); });
  c.calibration_family = o.request.calibration ? static_cast<int>(*o.request.calibration) : -1;
  return c;
}

}  // namespace detail
}  // namespace atc
