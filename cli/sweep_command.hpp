// `atc sweep [PATH...] --grid NAME=VALUES...`: every configuration of a parameter grid on
// every symbol, backtested (docs/SEMANTICS.md §12), configurations ranked by a metric.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command_options.hpp"

namespace atc::cli {

class SweepCommand {
 public:
  explicit SweepCommand(CLI::App& app);
  bool selected() const { return command_->parsed(); }
  int run() const;  // the process exit code

 private:
  CLI::App* command_;
  ParameterFlags parameters_;
  EngineFlags engine_;
  InputFlags input_flags_;
  std::vector<std::string> paths_;
  std::vector<std::string> grid_;
  std::string position_ = "state";
  std::string side_ = "long-short";
  double fee_bps_ = 0.0;
  double bars_per_year_ = 0.0;  // 0: inferred from the timestamps
  std::string metric_ = "sharpe";
  std::string aggregate_ = "mean";
  std::size_t top_ = 10;
  std::string output_file_;
};

}  // namespace atc::cli
