// `atc plot` and `atc heatmap`: charts are drawn by the Python package (matplotlib), so
// these subcommands hand their arguments to `python3 -m atc plot|heatmap`.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace atc::cli {

class ChartCommand {
 public:
  ChartCommand(CLI::App& app, std::string name, const std::string& description);
  bool selected() const { return command_->parsed(); }
  // Replaces this process with the Python program; returns only if that fails.
  int run() const;

 private:
  CLI::App* command_;
  std::string name_;
};

}  // namespace atc::cli
