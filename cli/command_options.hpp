// Options every computing subcommand shares: the ATC parameters (spec §1, as kebab-case
// flags and through --config), the engine settings (backend, threads, CUDA, gaps) and,
// for those that read CSV files, how their timestamps are read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "atc/atc.hpp"
#include "atc/config_io.hpp"
#include "atc/io.hpp"

namespace atc::cli {

inline constexpr int kExitFailure = 1;     // nothing could be computed, or unreadable input
inline constexpr int kExitUsageError = 2;  // bad flags, bad config

class ParameterFlags {
 public:
  void add_to(CLI::App& command);

  // Defaults, then --config FILE, then the flags given on the command line.
  // Throws ConfigError when the file or a value is invalid (not yet validated).
  Config config() const;

 private:
  struct Flag {
    const io::ParameterInfo* info = nullptr;
    CLI::Option* option = nullptr;
    std::int64_t integer = 0;
    double number = 0.0;
    std::string text;
    bool boolean = false;
  };
  std::deque<Flag> flags_;  // CLI11 keeps pointers to the values: they must not move
  std::string config_file_;
};

class EngineFlags {
 public:
  void add_to(CLI::App& command);
  ComputeOptions options() const;

 private:
  std::string backend_ = "auto";
  int threads_ = 0;
  int streams_ = ComputeOptions{}.streams;
  std::size_t chunk_symbols_ = 0;
  std::string precision_ = "float64";
  std::vector<int> devices_;
  std::string gaps_ = "error";
};

class InputFlags {
 public:
  void add_to(CLI::App& command);
  io::CsvReadOptions options() const;
  // The moving averages' source (--source); close by default.
  const io::PriceSource& source() const;

 private:
  std::string time_format_ = "auto";
  std::string source_ = "close";
  std::string separator_ = "auto";
  std::string close_column_;
};

// A file's extension in lower case (".csv").
std::string lower_extension(const std::filesystem::path& file);

// Checks an -o FILE whose extension picks its format: .csv or .json.
CLI::Validator csv_or_json_file();

// "1 symbol", "3 symbols": a count and its noun, plural unless the count is 1.
std::string count_of(std::size_t count, const std::string& noun);

// Validates `config` and checks that the backend of `options` can run here, before any
// data is read. Throws ConfigError or BackendUnavailable.
void check_can_compute(const Config& config, const ComputeOptions& options);

}  // namespace atc::cli
