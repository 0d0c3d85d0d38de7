#include "atc/outputs.hpp"

#include <algorithm>
#include <limits>

#include "prepared.hpp"

namespace atc {
namespace {

template <class T>
std::span<const T> slice(const Column<T>& column, std::size_t begin, std::size_t end) {
  if (column.empty()) return {};
  return std::span<const T>(column.data() + begin, end - begin);
}

}  // namespace

SymbolOutputView BatchOutputs::view(std::size_t symbol) const {
  const std::size_t b = offsets.at(symbol), e = offsets.at(symbol + 1);
  SymbolOutputView v;
  v.average_signal = slice(average_signal, b, e);
  for (int f = 0; f < kFamilies; ++f) {
    v.family_signal[f] = slice(family_signal[f], b, e);
    v.family_equity[f] = slice(family_equity[f], b, e);
  }
  v.trend = slice(trend, b, e);
  v.state = slice(state, b, e);
  v.direction = slice(direction, b, e);
  v.long_entry = slice(long_entry, b, e);
  v.short_entry = slice(short_entry, b, e);
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    v.ma[i] = slice(ma[i], b, e);
    v.ma_signal[i] = slice(ma_signal[i], b, e);
    v.ma_equity[i] = slice(ma_equity[i], b, e);
  }
  return v;
}

void BatchOutputs::resize(const OutputRequest& req, std::vector<std::size_t> symbol_offsets) {
  request = req;
  offsets = std::move(symbol_offsets);
  const std::size_t n = offsets.back();
  average_signal.resize(n);
  for (int f = 0; f < kFamilies; ++f) {
    family_signal[f].resize(req.families ? n : 0);
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
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  auto fill = [&](auto& column, auto value) {
    if (!column.empty()) std::fill(column.begin() + begin, column.begin() + end, value);
  };
  fill(average_signal, nan);
  for (int f = 0; f < kFamilies; ++f) {
    fill(family_signal[f], nan);
    fill(family_equity[f], nan);
  }
  for (auto* col : {&trend, &state, &direction, &long_entry, &short_entry})
    fill(*col, std::int8_t{0});
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    fill(ma[i], nan);
    fill(ma_equity[i], nan);
    fill(ma_signal[i], std::int8_t{0});
  }
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
