#include "sweep_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "atc/atomic_write.hpp"
#include "atc/io.hpp"
#include "universe.hpp"

namespace atc::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const MetricInfo& m : metrics()) names.emplace_back(m.name);
  return names;
}

// A symbol's (bars - 1) / years spanned by its timestamps (docs/SEMANTICS.md §12): each
// symbol its own, so that a universe of daily and hourly files annualises each right.
std::optional<double> infer_bars_per_year(const Universe& universe, std::size_t symbol) {
  const std::size_t bars = universe.views()[symbol].close.size();
  if (bars < 2) return std::nullopt;
  const std::optional<double> first = universe.instant(symbol, 0), last = universe.instant(symbol, bars - 1);
  if (!first || !last || !(*last > *first)) return std::nullopt;
  constexpr double kSecondsPerYear = 365.25 * 86400.0;
  return static_cast<double>(bars - 1) / ((*last - *first) / kSecondsPerYear);
}

// The grid's value of each axis for configuration c (the last axis fastest).
std::vector<std::string> axis_values(const std::vector<io::GridAxis>& axes, std::size_t c) {
  std::vector<std::string> values(axes.size());
  for (std::size_t a = axes.size(); a-- > 0;) {
    values[a] = io::format_parameter_value(axes[a].values[c % axes[a].values.size()]);
    c /= axes[a].values.size();
  }
  return values;
}

void write_rows_csv(const fs::path& file, const SweepResult& result, const std::vector<io::GridAxis>& axes) {
  io::write_file_atomically(file, [&](std::ostream& out) {
    std::string header = "config";
    for (const io::GridAxis& axis : axes) header += "," + axis.name;
    header += ",symbol,code,message";
    const SweepRow outputs;  // the outputs a row holds, named as in every front end
    for_each_output_field(outputs, outputs, [&](const OutputField& field, const auto&, const auto&) {
      header += ',';
      header += output_name(field, Config{}, std::nullopt);
    });
    for (const MetricInfo& m : metrics()) header += "," + std::string(m.name);
    out << header << '\n';
    for (const SweepRow& row : result.rows) {
      std::string line = std::to_string(row.config);
      for (const std::string& v : axis_values(axes, row.config)) {
        line += ",";
        io::append_csv_field(line, v);
      }
      line += ",";
      io::append_csv_field(line, result.symbols[row.symbol]);
      line += ",";
      line += status_code_name(row.status.code);
      line += ",";
      io::append_csv_field(line, row.status.message);
      const bool ok = row.status.ok();
      // (+= piece by piece, not "," + string: GCC 12's -Wrestrict false positive)
      for_each_output_field(row, row, [&](const OutputField&, const auto& value, const auto&) {
        line += ',';
        if constexpr (std::is_floating_point_v<std::decay_t<decltype(value)>>) {
          if (ok) line += io::format_number(value);
        } else {
          line += std::to_string(static_cast<int>(value));
        }
      });
      for (const MetricInfo& m : metrics()) {
        line += ',';
        if (ok) line += io::format_number(metric_value(row.metrics, m.metric));
      }
      out << line << '\n';
    }
  });
}

nlohmann::ordered_json parameters_json(const std::vector<io::GridAxis>& axes, std::size_t c) {
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  const std::vector<std::string> values = axis_values(axes, c);
  for (std::size_t a = 0; a < axes.size(); ++a) parameters[axes[a].name] = values[a];
  return parameters;
}

void write_json(const fs::path& file, const SweepResult& result, const std::vector<io::GridAxis>& axes,
                const std::vector<ConfigScore>& ranking, const std::string& metric, const std::string& aggregate) {
  nlohmann::ordered_json ranked = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < ranking.size(); ++i)
    ranked.push_back({{"rank", i + 1},
                      {"config", ranking[i].config},
                      {"parameters", parameters_json(axes, ranking[i].config)},
                      {"score", ranking[i].rows ? nlohmann::ordered_json(ranking[i].value) : nullptr},
                      {"rows", ranking[i].rows}});
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const SweepRow& row : result.rows) {
    nlohmann::ordered_json entry{{"config", row.config},
                                 {"symbol", result.symbols[row.symbol]},
                                 {"code", status_code_name(row.status.code)},
                                 {"message", row.status.message}};
    if (row.status.ok()) {
      entry["Average_Signal"] = row.average_signal;
      entry["state"] = row.state;
      entry["direction"] = row.direction;
      for (const MetricInfo& m : metrics()) entry[std::string(m.name)] = metric_value(row.metrics, m.metric);
    }
    rows.push_back(std::move(entry));
  }
  const nlohmann::ordered_json document{{"metric", metric}, {"aggregate", aggregate}, {"ranking", ranked},
                                        {"rows", rows}};
  const std::string text = document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  io::write_file_atomically(file, [&](std::ostream& out) { out << text << '\n'; });
}

void print_ranking(const SweepResult& result, const std::vector<io::GridAxis>& axes,
                   const std::vector<ConfigScore>& ranking, const std::string& metric, const std::string& aggregate,
                   std::size_t top) {
  std::vector<std::size_t> widths;
  for (const io::GridAxis& axis : axes) {
    std::size_t width = axis.name.size();
    for (const auto& v : axis.values) width = std::max(width, io::format_parameter_value(v).size());
    widths.push_back(width);
  }
  const std::string score = aggregate + " " + metric;
  std::printf("%5s %7s", "rank", "config");
  for (std::size_t a = 0; a < axes.size(); ++a) std::printf("  %-*s", static_cast<int>(widths[a]), axes[a].name.c_str());
  std::printf("  %16s  %7s  %12s  %12s  %8s\n", score.c_str(), "symbols", "mean return", "mean max dd", "trades");
  for (std::size_t i = 0; i < std::min(top, ranking.size()); ++i) {
    const ConfigScore& s = ranking[i];
    double total = 0.0, drawdown = 0.0, trades = 0.0;
    for (std::size_t sym = 0; sym < result.symbols.size(); ++sym) {
      const SweepRow& row = result.row(s.config, sym);
      if (!row.status.ok()) continue;
      total += row.metrics.total_return;
      drawdown += row.metrics.max_drawdown;
      trades += static_cast<double>(row.metrics.trades);
    }
    const double n = static_cast<double>(std::max<std::size_t>(s.rows, 1));
    std::printf("%5zu %7zu", i + 1, s.config);
    const std::vector<std::string> values = axis_values(axes, s.config);
    for (std::size_t a = 0; a < axes.size(); ++a) std::printf("  %-*s", static_cast<int>(widths[a]), values[a].c_str());
    if (s.rows == 0) std::printf("  %16s  %7zu\n", "-", s.rows);
    else
      std::printf("  %16.4f  %7zu  %11.2f%%  %11.2f%%  %8.1f\n", s.value, s.rows, 100.0 * total / n,
                  100.0 * drawdown / n, trades / n);
  }
  if (ranking.size() > top) std::printf("... and %zu more (all rows: -o FILE.csv or .json)\n", ranking.size() - top);
}

}  // namespace

SweepCommand::SweepCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "sweep",
      "Run every configuration of a parameter grid on every symbol, backtest each pair's "
      "positions (long/short from the state or direction, held over the next bar, a fee per "
      "change) and rank the configurations by a metric aggregated over the symbols. Without "
      "PATH, the bundled synthetic market.");
  command_->add_option("PATH", paths_, "Price files or directories of them, as for `atc scan`");
  command_
      ->add_option("--grid", grid_,
                   "NAME=V1,V2,... or NAME=START:STOP:STEP (STOP included), repeatable: a parameter of "
                   "the config file (ema_len, robustness, lambda, ...) or len (the six base lengths "
                   "together); every combination runs, over the other flags' values")
      ->take_all();
  command_->add_option("--position", position_, "The position a backtest takes: the state or the direction")
      ->check(CLI::IsMember({"state", "direction"}))
      ->capture_default_str();
  command_->add_option("--side", side_, "Sides of the position taken")
      ->check(CLI::IsMember({"long-short", "long-only", "short-only"}))
      ->capture_default_str();
  command_->add_option("--fee-bps", fee_bps_, "Cost of a change of position, in basis points (a flip costs twice)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command_->add_option("--bars-per-year", bars_per_year_,
                       "Bars in a year for the annualised metrics (252 daily equities, 365 daily crypto); "
                       "default: inferred from the timestamps")
      ->check(CLI::PositiveNumber);
  command_->add_option("--metric", metric_, "The metric configurations are ranked by")
      ->check(CLI::IsMember(metric_names()))
      ->capture_default_str();
  command_->add_option("--aggregate", aggregate_, "How a configuration's metric is aggregated over its symbols")
      ->check(CLI::IsMember({"mean", "median"}))
      ->capture_default_str();
  command_->add_option("--top", top_, "Configurations shown")->capture_default_str();
  command_->add_option("-o,--output", output_file_,
                       "Write every (configuration, symbol) row to FILE.csv, or the ranking and the rows to "
                       "FILE.json")
      ->check(csv_or_json_file());
  parameters_.add_to(*command_);
  engine_.add_to(*command_);
  input_flags_.add_to(*command_);
}

int SweepCommand::run() const {
  const Config base = parameters_.config();
  const ComputeOptions options = engine_.options();
  check_can_compute(base, options);
  std::vector<io::GridAxis> axes;
  for (const std::string& text : grid_) axes.push_back(io::parse_grid_axis(text));
  const std::vector<Config> configs = io::expand_grid(base, axes);

  std::vector<SymbolError> read_errors;
  const Universe universe =
      paths_.empty() ? Universe::from_market(demo::make_market(demo::kDefaultSymbols, demo::kDefaultBars,
                                                               demo::kDefaultSeed))
                     : Universe::from_paths(paths_, input_flags_.options(), input_flags_.source(), read_errors);
  if (paths_.empty()) std::fprintf(stderr, "no PATH given: sweeping the bundled synthetic market (atc demo)\n");
  for (const SymbolError& e : read_errors) std::fprintf(stderr, "error: %s\n", e.message.c_str());
  if (universe.views().empty()) {
    std::fprintf(stderr, "error: no symbol could be read\n");
    return kExitFailure;
  }

  SweepOptions sweep_options;
  sweep_options.compute = options;
  sweep_options.backtest.source = *parse_position_source(position_);
  sweep_options.backtest.side = *parse_position_side(side_);
  sweep_options.backtest.fee_bps = fee_bps_;
  std::string bars_note;
  if (bars_per_year_ > 0.0) {
    sweep_options.backtest.bars_per_year = bars_per_year_;
    bars_note = "bars per year " + io::format_number(bars_per_year_) + " (given)";
  } else {
    for (std::size_t s = 0; s < universe.views().size(); ++s) {
      const std::optional<double> inferred = infer_bars_per_year(universe, s);
      if (!inferred)
        throw CLI::ValidationError("--bars-per-year: symbol '" + std::string(universe.views()[s].symbol) +
                                   "' has no timestamps to infer it from; give it");
      sweep_options.bars_per_year.push_back(*inferred);
    }
    const auto [low, high] =
        std::minmax_element(sweep_options.bars_per_year.begin(), sweep_options.bars_per_year.end());
    char text[96];
    std::snprintf(text, sizeof text, *low == *high ? "bars per year %.6g" : "bars per year %.6g to %.6g", *low,
                  *high);
    bars_note = std::string(text) + " (inferred from each symbol's timestamps)";
  }

  const auto t0 = std::chrono::steady_clock::now();
  const SweepResult result = sweep(universe.views(), configs, sweep_options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string metric = metric_, aggregate = aggregate_;
  const std::vector<ConfigScore> ranking = rank_configs(result, *parse_metric(metric), *parse_aggregate(aggregate));

  std::map<std::string, std::size_t> failed;  // code -> rows
  std::size_t ok = 0;
  for (const SweepRow& row : result.rows) {
    if (row.status.ok()) ++ok;
    else ++failed[std::string(status_code_name(row.status.code))];
  }
  std::printf("%s x %s = %s on %s in %.2f s; %s ok; %s\n", count_of(configs.size(), "configuration").c_str(),
              count_of(result.symbols.size(), "symbol").c_str(), count_of(result.rows.size(), "row").c_str(),
              std::string(backend_name(result.backend)).c_str(), seconds, count_of(ok, "row").c_str(),
              bars_note.c_str());
  for (const auto& [code, rows] : failed) std::printf("  %s: %s\n", code.c_str(), count_of(rows, "row").c_str());
  std::printf("\n");
  print_ranking(result, axes, ranking, metric, aggregate, top_);

  if (!output_file_.empty()) {
    if (lower_extension(output_file_) == ".json") write_json(output_file_, result, axes, ranking, metric, aggregate);
    else write_rows_csv(output_file_, result, axes);
  }
  if (ok == 0) {
    std::fprintf(stderr, "error: no (configuration, symbol) pair could be computed\n");
    return kExitFailure;
  }
  return 0;
}

}  // namespace atc::cli
