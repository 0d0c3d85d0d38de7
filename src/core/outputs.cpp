#include "atc/outputs.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>

#include "atc/error.hpp"
#include "prepared.hpp"

namespace atc {

std::string output_name(const OutputField& field, const Config& config, std::optional<Family> calibration) {
  switch (field.scope) {
    case OutputField::Scope::One: return std::string(field.stem);
    case OutputField::Scope::PerFamily: return std::string(family_name(static_cast<Family>(field.index))) += field.stem;
    case OutputField::Scope::PerLength: {
      if (!calibration) throw ConfigError("the name of a calibration output needs the calibration family");
      std::string name(family_name(*calibration));
      name += field.stem;
      name += '_';
      return name += std::to_string(config.lengths(*calibration)[static_cast<std::size_t>(field.index)]);
    }
  }
  return {};
}

SymbolOutputView SymbolOutputView::subview(std::size_t begin, std::size_t count) const {
  SymbolOutputView out;
  for_each_output_field(out, *this, [&](const OutputField&, auto& to, const auto& from) {
    to = from.empty() ? from : from.subspan(begin, count);
  });
  return out;
}

SymbolOutputView BatchOutputs::view(std::size_t symbol) const {
  const std::size_t b = offsets.at(symbol), e = offsets.at(symbol + 1);
  SymbolOutputView all;  // every column over all rows, then cut to the symbol's rows
  for_each_output_field(all, *this, [](const OutputField&, auto& span, const auto& column) { span = column; });
  return all.subview(b, e - b);
}

void BatchOutputs::resize(const OutputRequest& req, std::vector<std::size_t> symbol_offsets) {
  request = req;
  offsets = std::move(symbol_offsets);
  const std::size_t n = offsets.back();
  for_each_column([&](const OutputField& field, auto& column) { column.resize(requested(field.group, req) ? n : 0); });
}

void BatchOutputs::clear_rows(std::size_t begin, std::size_t end) {
  for_each_column([&](const OutputField& field, auto& column) {
    using T = typename std::decay_t<decltype(column)>::value_type;
    if (!column.empty()) std::fill(column.begin() + begin, column.begin() + end, no_value<T>(field.kind));
  });
}

void BatchOutputs::allocate(const OutputRequest& req, std::vector<std::size_t> symbol_offsets) {
  resize(req, std::move(symbol_offsets));
  clear_rows(0, rows());
}

namespace detail {

OutputColumns columns_of(BatchOutputs& o) {
  OutputColumns c;
  for_each_output_field(c, o, [](const OutputField&, auto& pointer, auto& column) {
    pointer = column.empty() ? nullptr : column.data();
  });
  c.calibration_family = o.request.calibration ? static_cast<int>(*o.request.calibration) : -1;
  return c;
}

}  // namespace detail
}  // namespace atc
