#include "atc/outputs.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "prepared.hpp"

namespace atc {
namespace {

// Every output span of `v` passed through `cut` (empty spans stay empty).
template <class Cut>
SymbolOutputView transform(const SymbolOutputView& v, Cut cut) {
  SymbolOutputView out;
  out.average_signal = cut(v.average_signal);
  for (int f = 0; f < kFamilies; ++f) {
    out.family_signal[f] = cut(v.family_signal[f]);
    out.family_signal_hundredths[f] = cut(v.family_signal_hundredths[f]);
    out.family_equity[f] = cut(v.family_equity[f]);
  }
  out.trend = cut(v.trend);
  out.state = cut(v.state);
  out.direction = cut(v.direction);
  out.long_entry = cut(v.long_entry);
  out.short_entry = cut(v.short_entry);
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    out.ma[i] = cut(v.ma[i]);
    out.ma_signal[i] = cut(v.ma_signal[i]);
    out.ma_equity[i] = cut(v.ma_equity[i]);
  }
  return out;
}

}  // namespace

SymbolOutputView SymbolOutputView::subview(std::size_t begin, std::size_t count) const {
  return transform(*this, [&](auto span) { return span.empty() ? span : span.subspan(begin, count); });
}

SymbolOutputView BatchOutputs::view(std::size_t symbol) const {
  const std::size_t b = offsets.at(symbol), e = offsets.at(symbol + 1);
  SymbolOutputView all;  // every column over all rows, then cut to the symbol's rows
  all.average_signal = average_signal;
  for (int f = 0; f < kFamilies; ++f) {
    all.family_signal[f] = family_signal[f];
    all.family_signal_hundredths[f] = family_signal_hundredths[f];
    all.family_equity[f] = family_equity[f];
  }
  all.trend = trend;
  all.state = state;
  all.direction = direction;
  all.long_entry = long_entry;
  all.short_entry = short_entry;
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    all.ma[i] = ma[i];
    all.ma_signal[i] = ma_signal[i];
    all.ma_equity[i] = ma_equity[i];
  }
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
  auto ptr = [](auto& v) { return v.empty() ? nullptr : v.data(); };
  OutputColumns c;
  c.average_signal = ptr(o.average_signal);
  for (int f = 0; f < kFamilies; ++f) {
    c.family_signal[f] = ptr(o.family_signal[f]);
    c.family_signal_hundredths[f] = ptr(o.family_signal_hundredths[f]);
    c.family_equity[f] = ptr(o.family_equity[f]);
  }
  c.trend = ptr(o.trend);
  c.state = ptr(o.state);
  c.direction = ptr(o.direction);
  c.long_entry = ptr(o.long_entry);
  c.short_entry = ptr(o.short_entry);
  c.calibration_family = o.request.calibration ? static_cast<int>(*o.request.calibration) : -1;
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    c.ma[i] = ptr(o.ma[i]);
    c.ma_equity[i] = ptr(o.ma_equity[i]);
    c.ma_signal[i] = ptr(o.ma_signal[i]);
  }
  return c;
}

}  // namespace detail
}  // namespace atc
