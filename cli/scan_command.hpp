// `atc scan [PATH...]` and `atc demo`: compute many symbols and rank them by their
// latest Average_Signal (the order of README "Ranking").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "atc/demo.hpp"
#include "command_options.hpp"

namespace atc::cli {

class ScanCommand {
 public:
  // `demo` builds `atc demo` (the synthetic market, with a header saying so); otherwise
  // `atc scan`, which falls back to the synthetic market when given no PATH.
  ScanCommand(CLI::App& app, bool demo);
  bool selected() const { return command_->parsed(); }
  int run() const;  // the process exit code

 private:
  CLI::App* command_;
  bool demo_;
  ParameterFlags parameters_;
  EngineFlags engine_;
  InputFlags input_flags_;
  std::vector<std::string> paths_;
  std::size_t top_ = 20;
  std::size_t bottom_ = 0;
  CLI::Option* bottom_option_ = nullptr;  // unset: the SHORT table has --top rows
  std::string sort_ = "signal";
  CLI::Option* sort_option_ = nullptr;  // unset with --timeframes: the timeframe consensus orders
  std::vector<std::string> timeframes_;  // --timeframes 1h,4h,1d
  std::string partial_ = "drop";
  std::string state_;
  double min_signal_ = 0.0;
  std::size_t min_bars_ = 0;
  std::size_t last_bars_ = 0;  // 0: every bar
  bool include_stale_ = false;
  std::string csv_file_;
  std::string json_file_;
  std::string output_file_;
  std::size_t demo_symbols_ = demo::kDefaultSymbols;
  std::size_t demo_bars_ = demo::kDefaultBars;
  std::uint64_t demo_seed_ = demo::kDefaultSeed;
};

}  // namespace atc::cli
