// atc: Adaptive Trend Classification signals from the command line.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "atc/error.hpp"
#include "chart_command.hpp"
#include "compute_command.hpp"
#include "live_command.hpp"
#include "scan_command.hpp"
#include "sweep_command.hpp"

namespace {

// A usage error is one line and where to read more: the whole help would scroll the
// error itself out of sight.
std::string usage_error_message(const CLI::App* app, const CLI::Error& error) {
  std::string command = app->get_name();
  for (const CLI::App* sub : app->get_subcommands()) command += " " + sub->get_name();
  return "error: " + std::string(error.what()) + "\nrun '" + command + " --help' for the options\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace atc::cli;
  CLI::App app{
      "atc: Adaptive Trend Classification (ATC) trading signals for one or thousands of "
      "symbols, on the CPU or a CUDA GPU.\n"
      "Start with `atc demo`, then `atc scan DIR` on a directory of CSV files or "
      "`atc compute FILE.csv -o out.csv` for every output of one symbol.",
      "atc"};
  app.set_version_flag("--version", "atc " ATC_VERSION);
  app.require_subcommand(1);
  app.failure_message(usage_error_message);

  const ComputeCommand compute(app);
  const ScanCommand scan(app, false);
  const ScanCommand demo(app, true);
  const LiveCommand live(app);
  const SweepCommand sweep(app);
  const ChartCommand plot(app, "plot",
                          "Draw one symbol's price chart with the ATC colouring, a family's MAs and "
                          "the entries to PNG/SVG (runs `python3 -m atc plot`; needs the Python "
                          "package). `atc plot --help` lists its options.");
  const ChartCommand heatmap(app, "heatmap",
                             "Draw a heat-map of Average_Signal for many symbols over time "
                             "(runs `python3 -m atc heatmap`; needs the Python package).");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, the version or the error
    return code == 0 ? 0 : kExitUsageError;
  }

  try {
    if (compute.selected()) return compute.run();
    if (scan.selected()) return scan.run();
    if (plot.selected()) return plot.run();
    if (heatmap.selected()) return heatmap.run();
    if (live.selected()) return live.run();
    if (sweep.selected()) return sweep.run();
    return demo.run();
  } catch (const atc::ConfigError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitUsageError;
  } catch (const CLI::Error& e) {  // a flag combination found wrong once the input was read
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitUsageError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitFailure;
  }
}
