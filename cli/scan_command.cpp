#include "scan_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "atc/io.hpp"
#include "progress.hpp"
#include "ranking.hpp"
#include "scan_report.hpp"
#include "timeframes.hpp"
#include "universe.hpp"

namespace atc::cli {
namespace {

constexpr std::size_t kMaxErrorsPrinted = 50;

// Computes every series of `universe` in batches, handing each symbol's result to
// `on_result(symbol, status, outputs)` (outputs valid during the call only): keeping of
// each only its ranking row, as the family signals the consensus needs would otherwise
// hold 54 bytes a bar for the whole universe. `progress` counts on from `done`. Returns
// the backend that ran.
template <class OnResult>
Backend compute_in_batches(const Universe& universe, const Config& config, ComputeOptions options,
                           ProgressBar& progress, std::size_t done, OnResult&& on_result) {
  options.outputs = OutputRequest::compact();
  Backend backend = resolve_backend(options.backend);
  const std::span<const SeriesView> views = universe.views();
  const std::size_t n = views.size();
  // About 50 steps for the bar when one is shown; at most kBatchBars bars a batch either way.
  constexpr std::size_t kBatchBars = std::size_t{1} << 21;
  const std::size_t batch_symbols = ProgressBar::enabled() ? std::max<std::size_t>(16, (n + 49) / 50) : n;
  for (std::size_t begin = 0; begin < n;) {
    std::size_t count = 0, batch_bars = 0;
    while (begin + count < n && count < batch_symbols && (count == 0 || batch_bars < kBatchBars))
      batch_bars += views[begin + count++].close.size();
    const BatchResult result = compute_batch(views.subspan(begin, count), config, options);
    backend = result.backend;
    for (std::size_t i = 0; i < count; ++i) on_result(begin + i, result.status[i], result.outputs.view(i));
    begin += count;
    progress.update(done + begin);
  }
  return backend;
}

std::size_t bars_of(const Universe& universe) {
  std::size_t bars = 0;
  for (const SeriesView& v : universe.views()) bars += v.close.size();
  return bars;
}

// The status message of a symbol that failed, with the timestamp of its bad bar.
std::string failure_message(const Universe& universe, std::size_t symbol, const SymbolStatus& status) {
  std::string message = status.message;
  if (status.bar >= 0) {
    const std::string time = universe.timestamp(symbol, static_cast<std::size_t>(status.bar));
    if (!time.empty()) message += " (timestamp " + time + ")";
  }
  return message;
}

// The computed rows into the report: marked stale, filtered, in the order of `selection`.
void rank_into(ScanReport& report, std::vector<Ranked> computed, const Selection& selection) {
  mark_stale(computed);
  for (Ranked& r : computed) {
    if (!selection.admits(r)) ++report.filtered_out;
    else if (r.stale && !selection.include_stale) report.stale.push_back(std::move(r));
    else report.ranking.push_back(std::move(r));
  }
  sort_ranking(report.ranking, selection.sort, 1);
  sort_ranking(report.stale, selection.sort, 1);
}

ScanReport compute_ranking(const Universe& universe, const Config& config, const ComputeOptions& options,
                           std::vector<SymbolError> read_errors, const Selection& selection) {
  ScanReport report;
  report.errors = std::move(read_errors);
  report.sort = selection.sort;
  report.bars = bars_of(universe);
  std::vector<Ranked> computed;
  ProgressBar progress(universe.views().size());
  const auto start = std::chrono::steady_clock::now();
  report.backend = compute_in_batches(
      universe, config, options, progress, 0,
      [&](std::size_t symbol, const SymbolStatus& status, const SymbolOutputView& out) {
        if (!status.ok()) {
          report.errors.push_back({std::string(universe.views()[symbol].symbol),
                                   failure_message(universe, symbol, status),
                                   std::string(status_code_name(status.code))});
          return;
        }
        Ranked r = describe(universe, symbol);
        take_last_bar(r, out, status.filled_bars);
        computed.push_back(std::move(r));
      });
  progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rank_into(report, std::move(computed), selection);
  return report;
}

// --timeframes: every series resampled to each timeframe and computed there. A symbol
// is ranked when every timeframe computed; else the first timeframe that failed is its
// error. The row describes the series as read, with the outputs of the first timeframe
// and the signal and state of each.
ScanReport compute_timeframe_ranking(const Universe& base, const std::vector<Timeframe>& timeframes,
                                     PartialBucket partial, const Config& config, const ComputeOptions& options,
                                     std::vector<SymbolError> read_errors, const Selection& selection) {
  ScanReport report;
  report.errors = std::move(read_errors);
  report.sort = selection.sort;
  report.timeframes = timeframes;
  report.partial = partial;
  const std::size_t n = base.views().size();
  std::map<std::string, std::size_t, std::less<>> index_of;  // symbols are unique (Universe::read)
  for (std::size_t s = 0; s < n; ++s) index_of.emplace(std::string(base.views()[s].symbol), s);

  std::vector<std::optional<Ranked>> rows(n);
  for (std::size_t s = 0; s < n; ++s) rows[s] = describe(base, s);
  ProgressBar progress(n * timeframes.size());
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < timeframes.size(); ++k) {
    std::vector<SymbolError> unresampled;
    const Universe coarse = base.resampled(timeframes[k], partial, unresampled);
    for (SymbolError& e : unresampled) {
      std::optional<Ranked>& row = rows[index_of.find(e.symbol)->second];
      if (row) report.errors.push_back(std::move(e));  // the same reason on every timeframe: once
      row.reset();
    }
    report.bars += bars_of(coarse);
    report.backend = compute_in_batches(
        coarse, config, options, progress, k * n,
        [&](std::size_t symbol, const SymbolStatus& status, const SymbolOutputView& out) {
          std::optional<Ranked>& row = rows[index_of.find(coarse.views()[symbol].symbol)->second];
          if (!row) return;  // failed on an earlier timeframe
          if (!status.ok()) {
            report.errors.push_back({row->symbol, "timeframe " + timeframes[k].name + ": " +
                                                      failure_message(coarse, symbol, status),
                                     std::string(status_code_name(status.code))});
            row.reset();
            return;
          }
          if (k == 0) take_last_bar(*row, out, status.filled_bars);
          const std::size_t last = out.bars() - 1;
          row->timeframe_signals.push_back(out.average_signal[last]);
          row->timeframe_states.push_back(out.state[last]);
        });
  }
  progress.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<Ranked> computed;
  for (std::optional<Ranked>& row : rows) {
    if (!row) continue;
    const std::vector<int>& states = row->timeframe_states;
    int sum = 0;
    for (const int state : states) sum += state;
    row->timeframe_consensus = static_cast<double>(sum) / static_cast<double>(states.size());
    const auto all = [&](int state) {
      return std::all_of(states.begin(), states.end(), [&](int s) { return s == state; });
    };
    row->agree = all(1) ? 1 : (all(-1) ? -1 : 0);
    computed.push_back(std::move(*row));
  }
  rank_into(report, std::move(computed), selection);
  return report;
}

// "timestamps read as yyyy-mm-dd (1998 symbols), dd/mm/yyyy (2 symbols)": which formats
// the reader settled on, so that a misread file stands out.
void print_time_formats(const ScanReport& report) {
  std::map<std::string, std::size_t> symbols_of;
  for (const auto* list : {&report.ranking, &report.stale})
    for (const Ranked& r : *list)
      if (!r.time_format.empty()) ++symbols_of[r.time_format];
  if (symbols_of.empty()) return;
  std::vector<std::pair<std::string, std::size_t>> formats(symbols_of.begin(), symbols_of.end());
  std::stable_sort(formats.begin(), formats.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string line = "timestamps read as ";
  for (std::size_t i = 0; i < formats.size(); ++i)
    line += (i ? ", " : "") + formats[i].first + " (" + count_of(formats[i].second, "symbol") + ")";
  std::fprintf(stderr, "%s\n", line.c_str());
}

void print_summary(const ScanReport& report) {
  const std::size_t symbols = report.computed() + report.errors.size();
  // A run too short to time has no meaningful rate.
  std::string rates;
  if (report.seconds > 0.0)
    rates = ": " + rate_text(static_cast<double>(symbols) / report.seconds) + " symbols/s, " +
            rate_text(static_cast<double>(report.bars) / report.seconds) + " symbol-bars/s";
  std::fprintf(stderr, "%s (%zu ok, %s), %s in %.3f s%s, backend %s\n", count_of(symbols, "symbol").c_str(),
               report.computed(), count_of(report.errors.size(), "error").c_str(),
               count_of(report.bars, "bar").c_str(), report.seconds, rates.c_str(),
               std::string(backend_name(report.backend)).c_str());
  if (report.filtered_out > 0)
    std::fprintf(stderr, "%s left out by --state, --min-signal or --min-bars\n",
                 count_of(report.filtered_out, "symbol").c_str());
  std::size_t filled = 0, filled_symbols = 0;
  for (const auto* list : {&report.ranking, &report.stale})
    for (const Ranked& r : *list)
      if (r.filled_bars > 0) {
        filled += r.filled_bars;
        ++filled_symbols;
      }
  if (filled > 0)
    std::fprintf(stderr, "note: %s forward-filled in %s (column filled_bars)\n",
                 (count_of(filled, "missing close") + (filled == 1 ? " was" : " were")).c_str(),
                 count_of(filled_symbols, "symbol").c_str());
  print_time_formats(report);
  if (report.errors.empty()) return;
  std::fprintf(stderr, "errors (%zu):\n", report.errors.size());
  for (std::size_t i = 0; i < std::min(report.errors.size(), kMaxErrorsPrinted); ++i)
    std::fprintf(stderr, "  %s\n", report.errors[i].message.c_str());
  if (report.errors.size() > kMaxErrorsPrinted)
    std::fprintf(stderr, "  ... and %zu more (all of them are in the --json output)\n",
                 report.errors.size() - kMaxErrorsPrinted);
}

}  // namespace

ScanCommand::ScanCommand(CLI::App& app, bool demo) : demo_(demo) {
  if (demo) {
    command_ = app.add_subcommand(
        "demo",
        "Scan the bundled synthetic market (generated in code, no files needed): trending "
        "and ranging regimes, volatility clusters, jumps, a few late listings. Same seed, "
        "same market on every platform.");
    command_->add_option("--symbols", demo_symbols_, "Symbols of the synthetic market")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command_->add_option("--bars", demo_bars_, "Daily bars per symbol")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command_->add_option("--seed", demo_seed_, "Seed of the synthetic market")
        ->capture_default_str();
    top_ = 10;
  } else {
    command_ = app.add_subcommand(
        "scan",
        "Compute many symbols and rank them by their latest Average_Signal, ties broken by "
        "the consensus of the six families, the most recent entry, then the symbol. Prints "
        "a LONG and a SHORT table, the neutral and stale symbols, a summary line and the "
        "symbols that could not be computed; a bad symbol never stops the others.");
    command_
        ->add_option("PATH", paths_,
                     "A directory of per-symbol price files (.csv, freqtrade .json, .parquet, "
                     ".feather; symbol = file stem less a freqtrade -1h suffix), a long-format "
                     "CSV (symbol,timestamp,close,...), or a single-symbol file; several may be "
                     "given. Without PATH: the bundled synthetic market (see `atc demo`)")
        ->check(CLI::ExistingPath);
  }
  command_->add_option("--top", top_, "Rows of each table (LONG, SHORT) to print")->capture_default_str();
  bottom_option_ = command_->add_option("--bottom", bottom_, "Rows of the SHORT table [default: --top]");
  sort_option_ = command_
                     ->add_option("--sort", sort_,
                                  "Order of the ranking: signal, consensus, symbol, bars, entry (most "
                                  "recent first) or timeframes (the timeframe consensus, the default with "
                                  "--timeframes); ties fall back to the default order")
                     ->check(CLI::IsMember({"signal", "consensus", "symbol", "bars", "entry", "timeframes"}))
                     ->capture_default_str();
  command_->add_option("--state", state_,
                       "Rank only the symbols whose last bar is in this state (with --timeframes: the "
                       "sign of the timeframe consensus)")
      ->check(CLI::IsMember({"long", "short", "neutral"}, CLI::ignore_case));
  command_->add_option("--min-signal", min_signal_, "Rank only the symbols with |Average_Signal| >= X")
      ->check(CLI::Range(0.0, 1.0));
  command_->add_option("--min-bars", min_bars_, "Rank only the symbols with at least N bars since listing "
                                                "(counted within --last)");
  command_->add_option("--last", last_bars_, "Compute on the last N bars of each series only, as a chart "
                                             "with a limited history would; 0 = all")
      ->capture_default_str();
  command_->add_flag("--include-stale", include_stale_,
                     "Rank the stale symbols too (last bar more than one of their bars before the "
                     "latest last bar of the scan); they are marked stale");
  command_->add_option("--csv", csv_file_, "Write the full ranking as CSV");
  command_->add_option("--json", json_file_,
                       "Write the full ranking, the stale symbols, the symbol errors and the "
                       "parameters as JSON");
  command_->add_option("-o,--output", output_file_,
                       "Write the full ranking to FILE, as CSV or JSON by its extension")
      ->check(csv_or_json_file());
  if (!demo) {
    CLI::Option* timeframes =
        command_
            ->add_option("--timeframes", timeframes_,
                         "Resample each series to these timeframes (e.g. 1h,4h,1d; units s, m or min, h, "
                         "d: open first, high max, low min, close last, volume summed, buckets from "
                         "midnight UTC) and compute ATC on each; the ranking gets each one's "
                         "Average_Signal and their consensus (the mean of their states)")
            ->delimiter(',');
    command_->add_option("--partial", partial_,
                         "With --timeframes: drop the last bucket while it is still forming (its end "
                         "lies after the last bar plus the bar spacing), or keep it")
        ->check(CLI::IsMember({"drop", "keep"}))
        ->needs(timeframes)
        ->capture_default_str();
  }
  parameters_.add_to(*command_);
  engine_.add_to(*command_);
  if (!demo) input_flags_.add_to(*command_);
}

namespace {

// --timeframes as given, each checked: a known unit, none twice.
std::vector<Timeframe> parse_timeframes(const std::vector<std::string>& names) {
  std::vector<Timeframe> timeframes;
  for (const std::string& name : names) {
    const std::optional<Timeframe> timeframe = parse_timeframe(name);
    if (!timeframe)
      throw CLI::ValidationError("--timeframes: '" + name +
                                 "' is not a timeframe (a count and a unit: 30s, 15m or 15min, 4h, 1d; "
                                 "weeks as 7d, months have no fixed length)");
    for (const Timeframe& earlier : timeframes)
      if (earlier.seconds == timeframe->seconds)
        throw CLI::ValidationError("--timeframes: " + earlier.name + " and " + name + " are the same timeframe");
    timeframes.push_back(*timeframe);
  }
  return timeframes;
}

}  // namespace

int ScanCommand::run() const {
  const Config config = parameters_.config();
  const ComputeOptions options = engine_.options();
  check_can_compute(config, options);

  Selection selection;
  if (!state_.empty()) {
    const char first = static_cast<char>(std::tolower(static_cast<unsigned char>(state_.front())));
    selection.state = first == 'l' ? 1 : (first == 's' ? -1 : 0);
  }
  selection.min_signal = min_signal_;
  selection.min_bars = min_bars_;
  selection.include_stale = include_stale_;
  const std::vector<Timeframe> timeframes = parse_timeframes(timeframes_);
  selection.sort = timeframes.empty() || sort_option_->count() ? kSortKeys.at(sort_) : SortKey::Timeframes;
  if (selection.sort == SortKey::Timeframes && timeframes.empty())
    throw CLI::ValidationError("--sort timeframes orders by the consensus of --timeframes: give them");

  std::vector<SymbolError> read_errors;
  const bool synthetic = demo_ || paths_.empty();
  if (synthetic && input_flags_.source().name != "close")
    throw CLI::ValidationError("--source " + std::string(input_flags_.source().name) +
                               ": the synthetic market has closes only; give a PATH");
  if (synthetic && !timeframes.empty())
    throw CLI::ValidationError("--timeframes: the synthetic market has daily bars only; give a PATH");
  Universe universe =
      synthetic ? Universe::from_market(demo::make_market(demo_symbols_, demo_bars_, demo_seed_))
                : Universe::from_paths(paths_, input_flags_.options(), input_flags_.source(), read_errors);
  if (last_bars_ > 0) universe.keep_last(last_bars_);
  if (demo_)
    std::printf(
        "atc demo: a synthetic market generated in code (seed %llu), not real prices.\n"
        "%zu symbols x %zu daily bars with trending and ranging regimes, volatility clusters,\n"
        "jumps and a few late listings, ranked by the latest Average_Signal.\n"
        "Run `atc scan DIR` on a directory of your own CSV files.\n\n",
        static_cast<unsigned long long>(demo_seed_), demo_symbols_, demo_bars_);
  else if (synthetic)
    std::fprintf(stderr, "no PATH given: scanning the bundled synthetic market (atc demo)\n");

  const PartialBucket partial = partial_ == "keep" ? PartialBucket::Keep : PartialBucket::Drop;
  const ScanReport report =
      timeframes.empty()
          ? compute_ranking(universe, config, options, std::move(read_errors), selection)
          : compute_timeframe_ranking(universe, timeframes, partial, config, options, std::move(read_errors), selection);
  if (report.computed() > 0) print_tables(report, selection, top_, bottom_option_->count() ? bottom_ : top_);
  print_summary(report);

  if (!csv_file_.empty()) write_ranking_csv(csv_file_, report);
  if (!json_file_.empty()) write_ranking_json(json_file_, report, config);
  if (!output_file_.empty()) {
    if (lower_extension(output_file_) == ".json") write_ranking_json(output_file_, report, config);
    else write_ranking_csv(output_file_, report);
  }
  if (report.computed() == 0) {
    std::fprintf(stderr, "error: no symbol could be computed\n");
    return kExitFailure;
  }
  return 0;
}

}  // namespace atc::cli
