// Writing one symbol's outputs as CSV.
#include <charconv>
#include <cmath>
#include <functional>
#include <type_traits>

#include "atc/io.hpp"

namespace atc::io {
namespace {

struct CsvField {
  std::string name;
  std::function<void(std::string&, std::size_t)> append;  // appends the field of one bar
};

void append_number(std::string& row, double value) { row += format_number(value); }

CsvField real_column(std::string name, std::span<const double> values) {
  return {std::move(name), [values](std::string& row, std::size_t t) { append_number(row, values[t]); }};
}

// X_Signal kept compact: the same numbers as its doubles.
CsvField hundredths_column(std::string name, std::span<const std::int8_t> values) {
  return {std::move(name), [values](std::string& row, std::size_t t) { append_number(row, from_hundredths(values[t])); }};
}

CsvField discrete_column(std::string name, std::span<const std::int8_t> values) {
  return {std::move(name),
          [values](std::string& row, std::size_t t) { row += std::to_string(values[t]); }};
}

}  // namespace

std::string format_number(double value) {
  if (std::isnan(value)) return {};
  // Without a precision to_chars writes the shortest text that reads back exactly.
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void append_csv_field(std::string& row, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    row += text;
    return;
  }
  row += '"';
  for (char c : text) {
    if (c == '"') row += '"';
    row += c;
  }
  row += '"';
}

void write_outputs_csv(std::ostream& out, std::span<const std::string> timestamps,
                       std::span<const double> close, const SymbolOutputView& outputs,
                       const Config& config, std::optional<Family> calibration) {
  std::vector<CsvField> columns;
  if (!timestamps.empty())
    columns.push_back({"timestamp", [timestamps](std::string& row, std::size_t t) {
                         append_csv_field(row, timestamps[t]);
                       }});
  columns.push_back(real_column("close", close));
  for_each_named_column(outputs, config, calibration, [&](std::string name, ColumnKind kind, const auto& values) {
    if constexpr (std::is_same_v<std::decay_t<decltype(values)>, std::span<const double>>)
      columns.push_back(real_column(std::move(name), values));
    else if (kind == ColumnKind::Hundredths)
      columns.push_back(hundredths_column(std::move(name), values));
    else
      columns.push_back(discrete_column(std::move(name), values));
  });

  std::string row;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (c > 0) row += ',';
    append_csv_field(row, columns[c].name);
  }
  row += '\n';
  out << row;
  for (std::size_t t = 0; t < close.size(); ++t) {
    row.clear();
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) row += ',';
      columns[c].append(row, t);
    }
    row += '\n';
    out << row;
  }
}

}  // namespace atc::io
