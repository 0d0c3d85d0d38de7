// The real-market test data: the Close column of a CSV file whose header names its
// columns (",Open,High,Low,Close,Volume"). Minimal on purpose: atc::io is tested on its own.
#pragma once

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace atc::test {

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream stream(line);
  std::string cell;
  while (std::getline(stream, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

inline std::vector<double> read_close_column(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_csv_line(line);
  std::size_t column = header.size();
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::string name = header[i];
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!name.empty() && name.back() == '\r') name.pop_back();
    if (name == "close") column = i;
  }
  if (column == header.size()) throw std::runtime_error(path.string() + ": no Close column");
  std::vector<double> close;
  std::size_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = split_csv_line(line);
    if (column >= cells.size())
      throw std::runtime_error(path.string() + ":" + std::to_string(line_number) + ": no Close cell");
    char* end = nullptr;
    const double value = std::strtod(cells[column].c_str(), &end);
    if (end == cells[column].c_str())
      throw std::runtime_error(path.string() + ":" + std::to_string(line_number) +
                               ": Close is not a number: '" + cells[column] + "'");
    close.push_back(value);
  }
  return close;
}

}  // namespace atc::test
