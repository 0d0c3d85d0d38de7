#include "compute_command.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "atc/io.hpp"

namespace atc::cli {
namespace {

// The series to compute: the only one of the file, or the one named by --symbol.
io::CsvSeries select_series(std::vector<io::CsvSeries> series, const std::string& input,
                            const std::string& symbol) {
  if (symbol.empty()) {
    if (series.size() == 1) return std::move(series.front());
    throw CLI::ValidationError(input + " holds " + std::to_string(series.size()) +
                               " symbols: choose one with --symbol");
  }
  for (io::CsvSeries& s : series)
    if (s.symbol == symbol) return std::move(s);
  throw CLI::ValidationError("--symbol: no symbol '" + symbol + "' in " + input);
}

}  // namespace

ComputeCommand::ComputeCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "compute",
      "Compute every ATC output of one symbol and write one CSV row per bar: timestamp (when "
      "the input has one), close, Average_Signal, EMA_Signal..KAMA_Signal, EMA_S..KAMA_S, "
      "trend, state, direction, long_entry, short_entry. Numbers are written in the fewest digits "
      "that read back exactly; NaN (no value yet) is an empty field.");
  command_->add_option("INPUT", input_,
                       "CSV (comma, semicolon, tab or pipe separated) with a close column "
                       "(timestamp/date, open, high, low, volume optional), or a long-format "
                       "CSV with a symbol column (see --symbol); also a freqtrade .json candle "
                       "file, or a .parquet or .feather table (read through python3 with pandas "
                       "and pyarrow)")
      ->required()
      ->check(CLI::ExistingFile);
  command_->add_option("-o,--output", output_, "Write the CSV here instead of to stdout");
  command_->add_option("--symbol", symbol_, "The symbol to compute from a long-format INPUT");
  command_
      ->add_option("--calibration", calibration_,
                   "Also write the 9 moving averages, signals and equities of one family "
                   "(columns named by length: EMA_28, EMA_28_signal, EMA_28_equity, ...)")
      ->check(CLI::IsMember({"EMA", "HMA", "WMA", "DEMA", "LSMA", "KAMA"}, CLI::ignore_case));
  parameters_.add_to(*command_);
  engine_.add_to(*command_);
  input_flags_.add_to(*command_);
}

int ComputeCommand::run() const {
  const Config config = parameters_.config();
  ComputeOptions options = engine_.options();
  std::optional<Family> calibration;
  if (!calibration_.empty()) calibration = parse_family(calibration_);
  options.outputs = calibration ? OutputRequest::with_calibration(*calibration)
                                : OutputRequest::standard();
  check_can_compute(config, options);

  const io::CsvSeries series =
      select_series(io::read_symbols(input_, input_flags_.options()), input_, symbol_);
  if (!series.issues.empty()) {
    for (const io::DataIssue& issue : series.issues)
      std::fprintf(stderr, "error: %s\n", issue.message.c_str());
    return kExitFailure;
  }

  if (!series.time_format.empty())
    std::fprintf(stderr, "note: timestamps read as %s\n", series.time_format.c_str());
  if (series.close_column != "close")
    std::fprintf(stderr, "note: close read from column '%s'\n", series.close_column.c_str());

  // Close as the source is the library's default (an empty src).
  const io::PriceSource& source = input_flags_.source();
  const std::vector<double> src = source.name == "close" ? std::vector<double>() : io::price_source_values(series, source);
  const SeriesView view{series.symbol, series.close, src};
  const BatchResult result = compute_batch(std::span(&view, 1), config, options);
  const SymbolStatus& status = result.status.front();
  if (!status.ok()) {
    std::string where;
    if (status.bar >= 0 && !series.timestamps.empty())
      where = " (timestamp " + series.timestamps[static_cast<std::size_t>(status.bar)] + ")";
    std::fprintf(stderr, "error: %s%s\n", status.message.c_str(), where.c_str());
    return kExitFailure;
  }
  if (status.filled_bars > 0)
    std::fprintf(stderr, "note: %s forward-filled\n",
                 (count_of(status.filled_bars, "missing close") + (status.filled_bars == 1 ? " was" : " were")).c_str());

  const SymbolOutputView outputs = result.outputs.view(0);
  if (output_.empty()) {
    io::write_outputs_csv(std::cout, series.timestamps, series.close, outputs, config, calibration);
    std::cout.flush();
    return std::cout ? 0 : kExitFailure;
  }
  try {
    io::write_file_atomically(output_, [&](std::ostream& out) {
      io::write_outputs_csv(out, series.timestamps, series.close, outputs, config, calibration);
    });
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kExitFailure;
  }
  return 0;
}

}  // namespace atc::cli
