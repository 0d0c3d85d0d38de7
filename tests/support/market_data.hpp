// The real market data of the tests: the Close columns of GOOG, EURUSD and BTCUSD in the
// CSV files of $ATC_TEST_DATA_DIR.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "atc/io.hpp"
#include "support/batch.hpp"

namespace atc::test {

// The three series, or nullopt when ATC_TEST_DATA_DIR is not set (a test then skips). A
// missing or unreadable file throws InputError naming it.
inline std::optional<OwnedBatch> market_batch() {
  const char* dir = std::getenv("ATC_TEST_DATA_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  OwnedBatch batch;
  for (const char* name : {"GOOG", "EURUSD", "BTCUSD"})
    batch.add(name, io::read_series_csv(std::filesystem::path(dir) / (std::string(name) + ".csv")).close);
  return batch;
}

}  // namespace atc::test
