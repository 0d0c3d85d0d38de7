#include "chart_command.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "command_options.hpp"

namespace atc::cli {

ChartCommand::ChartCommand(CLI::App& app, std::string name, const std::string& description)
    : command_(app.add_subcommand(name, description)), name_(std::move(name)) {
  // Every argument after the subcommand belongs to the Python program (its own --help).
  command_->prefix_command();
  command_->set_help_flag();
}

int ChartCommand::run() const {
  std::vector<std::string> args{"python3", "-m", "atc", name_};
  for (const std::string& extra : command_->remaining()) args.push_back(extra);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::fprintf(stderr,
               "error: `atc %s` draws through the Python package and could not start python3 "
               "(%s); install the package with `pip install .` from the source tree\n",
               name_.c_str(), std::strerror(errno));
  return kExitFailure;
}

}  // namespace atc::cli
