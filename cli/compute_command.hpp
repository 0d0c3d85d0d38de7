// `atc compute INPUT.csv`: every output of one symbol, one CSV row per bar.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "command_options.hpp"

namespace atc::cli {

class ComputeCommand {
 public:
  explicit ComputeCommand(CLI::App& app);
  bool selected() const { return command_->parsed(); }
  int run() const;  // the process exit code

 private:
  CLI::App* command_;
  ParameterFlags parameters_;
  EngineFlags engine_;
  InputFlags input_flags_;
  std::string input_;
  std::string output_;
  std::string symbol_;
  std::string calibration_;
};

}  // namespace atc::cli
