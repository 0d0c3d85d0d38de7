// `atc live PATH...`: initialise an atc::LiveEngine from price files (or a saved state),
// then read new bars from stdin or, with --follow, from the rows appended to the files,
// and print every new state or entry as it happens.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command_options.hpp"

namespace atc::cli {

class LiveCommand {
 public:
  explicit LiveCommand(CLI::App& app);
  bool selected() const { return command_->parsed(); }
  int run() const;  // the process exit code

 private:
  CLI::App* command_;
  ParameterFlags parameters_;
  InputFlags input_flags_;
  std::vector<std::string> paths_;
  std::string resume_;
  std::string save_;
  int threads_ = 0;
  std::string backend_ = "cpu";
  bool json_ = false;
  bool every_bar_ = false;
  std::size_t max_bars_ = 0;
  bool follow_ = false;
  int poll_ms_ = 250;
  int bar_wait_ms_ = 3000;
};

}  // namespace atc::cli
