// Helpers of the GPU tests: the skip when no device is usable, fresh random seeds, and the Close column of the market-data CSV files.
#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/prepared.hpp"
#include "support/compare.hpp"

// Skips the current test, with the reason, unless a CUDA device is usable.
#define ATC_REQUIRE_GPU()                                                              \
  do {                                                                                 \
    int atc_device_count_ = 0;                                                         \
    const cudaError_t atc_status_ = cudaGetDeviceCount(&atc_device_count_);            \
    if (atc_status_ != cudaSuccess)                                                    \
      GTEST_SKIP() << "no CUDA device: " << cudaGetErrorString(atc_status_);           \
    if (atc_device_count_ == 0) GTEST_SKIP() << "no CUDA device: none visible";        \
    ASSERT_TRUE(atc::detail::cuda_device_usable());                                    \
  } while (0)

namespace atc::test {

// A fresh seed for every run (printed through SCOPED_TRACE so a failure can be replayed).
inline std::uint64_t fresh_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

// The Close column of a CSV file with a header such as ",Open,High,Low,Close,Volume".
inline std::vector<double> read_close_column(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<double> close;
  if (!std::getline(in, line)) return close;
  int column = -1, index = 0;
  std::stringstream header(line);
  for (std::string name; std::getline(header, name, ','); ++index) {
    if (!name.empty() && name.back() == '\r') name.pop_back();
    if (name == "Close" || name == "close") column = index;
  }
  if (column < 0) return close;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string cell;
    for (int i = 0; i <= column && std::getline(row, cell, ','); ++i) {}
    close.push_back(std::strtod(cell.c_str(), nullptr));
  }
  return close;
}

// The market-data files of ATC_TEST_DATA_DIR that exist (empty when it is unset).
inline std::vector<std::filesystem::path> market_files() {
  std::vector<std::filesystem::path> files;
  const char* dir = std::getenv("ATC_TEST_DATA_DIR");
  if (dir == nullptr || *dir == '\0') return files;
  for (const char* name : {"GOOG.csv", "EURUSD.csv", "BTCUSD.csv"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / name;
    if (std::filesystem::exists(p)) files.push_back(p);
  }
  return files;
}

}  // namespace atc::test
