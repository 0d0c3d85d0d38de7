#include "live_command.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "atc/io.hpp"
#include "atc/live.hpp"
#include "followed_files.hpp"
#include "universe.hpp"

namespace atc::cli {
namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

// Ctrl-C ends the reading of stdin (the read returns EINTR: no SA_RESTART) or of the
// followed files instead of the process, so that the state can still be saved.
void catch_interrupt() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// One line of stdin: timestamp,symbol,close[,src].
struct Tick {
  std::string timestamp, symbol;
  double close = 0.0, src = 0.0;
  bool has_src = false;
};

std::optional<Tick> parse_tick(const std::string& line, std::string& error) {
  std::vector<std::string> cells;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t comma = line.find(',', begin);
    cells.push_back(line.substr(begin, comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  if (cells.size() < 3 || cells.size() > 4) {
    error = "expected timestamp,symbol,close[,src]";
    return std::nullopt;
  }
  Tick tick{cells[0], cells[1]};
  try {
    std::size_t used = 0;
    tick.close = std::stod(cells[2], &used);
    if (used != cells[2].size()) throw std::invalid_argument("close");
    if (cells.size() == 4) {
      tick.src = std::stod(cells[3], &used);
      tick.has_src = used == cells[3].size();
      if (!tick.has_src) throw std::invalid_argument("src");
    }
  } catch (const std::exception&) {
    error = "not a number";
    return std::nullopt;
  }
  return tick;
}

const char* state_name(int state) { return state > 0 ? "LONG" : (state < 0 ? "SHORT" : "NEUTRAL"); }

// What stdin and the followed files both feed: the rows of one timestamp collected into
// one LiveEngine::update, then every symbol whose state changes or that enters printed.
class BarFeed {
 public:
  BarFeed(LiveEngine& live, bool json, bool every_bar, std::size_t max_bars)
      : live_(live), json_(json), every_bar_(every_bar), max_bars_(max_bars),
        state_(live.last().state), direction_(live.last().direction) {
    clear();
  }

  // The timestamp of the bar being collected; empty when none is.
  const std::string& timestamp() const { return timestamp_; }
  std::size_t bars_taken() const { return bars_; }
  // --max-bars taken.
  bool finished() const { return max_bars_ != 0 && bars_ >= max_bars_; }

  // A symbol's bar; the bar being collected keeps the first timestamp given.
  void add(std::size_t symbol, const std::string& timestamp, double close, std::optional<double> src) {
    if (timestamp_.empty()) timestamp_ = timestamp;
    closes_[symbol] = close;
    src_[symbol] = src.value_or(close);
    any_src_ = any_src_ || src.has_value();
    has_bar_[symbol] = 1;
  }

  // The bar collected, as one update; nothing when none is.
  void take() {
    if (timestamp_.empty()) return;
    live_.update(closes_, any_src_ ? std::span<const double>(src_) : std::span<const double>(), has_bar_);
    report();
    ++bars_;
    clear();
  }

 private:
  void clear() {
    timestamp_.clear();
    closes_.assign(live_.size(), 0.0);
    src_.assign(live_.size(), 0.0);
    has_bar_.assign(live_.size(), 0);
    any_src_ = false;
  }

  void report() {
    const LiveBar& bar = live_.last();
    for (std::size_t i = 0; i < live_.size(); ++i) {
      if (!bar.updated[i] && bar.status[i].ok()) continue;
      const bool entry = bar.long_entry[i] || bar.short_entry[i];
      const bool changed = bar.state[i] != state_[i] || bar.direction[i] != direction_[i];
      state_[i] = bar.state[i];
      direction_[i] = bar.direction[i];
      if (!bar.status[i].ok() && bar.status[i].code != StatusCode::TooShort) {
        std::fprintf(stderr, "error: %s\n", bar.status[i].message.c_str());
        continue;
      }
      if (!(every_bar_ || entry || changed)) continue;
      const char* event = bar.long_entry[i] ? "long_entry" : (bar.short_entry[i] ? "short_entry" : "");
      if (json_) {
        const nlohmann::ordered_json line{{"timestamp", timestamp_},
                                          {"symbol", live_.symbols()[i]},
                                          {"bar", bar.bar[i]},
                                          {"Average_Signal", bar.average_signal[i]},
                                          {"state", bar.state[i]},
                                          {"direction", bar.direction[i]},
                                          {"event", event}};
        std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
      } else {
        std::printf("%s  %-12s %-7s Average_Signal %s %s\n", timestamp_.c_str(), live_.symbols()[i].c_str(),
                    state_name(bar.state[i]), io::format_number(bar.average_signal[i]).c_str(), event);
      }
    }
    std::fflush(stdout);
  }

  LiveEngine& live_;
  bool json_, every_bar_;
  std::size_t max_bars_;
  std::vector<std::int8_t> state_, direction_;  // as last printed
  std::string timestamp_;
  std::vector<double> closes_, src_;
  std::vector<std::uint8_t> has_bar_;
  bool any_src_ = false;
  std::size_t bars_ = 0;
};

using SymbolIndex = std::unordered_map<std::string, std::size_t>;

// stdin's lines of one timestamp form one bar, taken when a line of another timestamp
// comes or the input ends.
void feed_stdin(BarFeed& feed, const SymbolIndex& index) {
  std::string line;
  std::size_t line_number = 0;
  while (!interrupted && !feed.finished() && std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::string error;
    const std::optional<Tick> tick = parse_tick(line, error);
    if (!tick) {
      std::fprintf(stderr, "stdin:%zu: %s: %s\n", line_number, error.c_str(), line.substr(0, 60).c_str());
      continue;
    }
    const auto it = index.find(tick->symbol);
    if (it == index.end()) {
      std::fprintf(stderr, "stdin:%zu: unknown symbol '%s'\n", line_number, tick->symbol.substr(0, 60).c_str());
      continue;
    }
    if (tick->timestamp != feed.timestamp()) feed.take();
    if (feed.finished()) return;
    feed.add(it->second, tick->timestamp, tick->close,
             tick->has_src ? std::optional<double>(tick->src) : std::nullopt);
  }
  if (!interrupted) feed.take();  // an interrupted bar may be incomplete: it is not taken
}

// The followed files' bars, each taken once whole (FollowedFiles::next_bar), until
// Ctrl-C, --max-bars or no file is left to follow.
void feed_files(BarFeed& feed, const SymbolIndex& index, FollowedFiles& files, std::chrono::milliseconds poll) {
  while (!interrupted && !feed.finished()) {
    const auto now = FollowedFiles::Clock::now();
    files.read_appended(now);
    while (!feed.finished()) {
      const std::optional<std::vector<AppendedRow>> bar = files.next_bar(now);
      if (!bar) break;
      for (const AppendedRow& row : *bar) feed.add(index.at(row.symbol), row.timestamp, row.close, row.src);
      feed.take();
    }
    if (files.size() == 0) {
      std::fprintf(stderr, "live: no file is left to follow\n");
      return;
    }
    std::this_thread::sleep_for(poll);  // an interrupt ends it within one interval
  }
}

}  // namespace

LiveCommand::LiveCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "live",
      "Follow a universe bar by bar: initialise from price files (or --resume a saved state), then "
      "read new bars from stdin as `timestamp,symbol,close[,src]` lines (the lines of one timestamp "
      "form one bar; a symbol without a line has no bar), or with --follow from the rows appended to "
      "the CSV files, and print each symbol whose state changes or that enters, as it happens. End of "
      "input, --max-bars or Ctrl-C stops; --save keeps the state.");
  command_->add_option("PATH", paths_, "Price files (CSV, freqtrade .json, .parquet, .feather) or directories of them: the histories");
  command_->add_option("--resume", resume_, "Continue from a state file written by --save (no PATH)");
  command_->add_option("--save", save_, "Write the state here when the input ends or on Ctrl-C");
  command_->add_option("--threads", threads_, "Worker threads (0 = all cores)");
  command_->add_option("--backend", backend_,
                       "Where the states live and the updates run: cpu, cuda (on the GPU, the same bits) or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
  command_->add_flag("--json", json_, "Print JSON lines instead of text");
  command_->add_flag("--every-bar", every_bar_, "Print every symbol of every bar, not only the changes");
  command_->add_option("--max-bars", max_bars_, "Stop after taking this many bars (0 = no limit)");
  CLI::Option* follow = command_->add_flag(
      "--follow", follow_,
      "Instead of stdin, read the rows appended to the CSV files of the PATHs (checked every --poll-ms), "
      "each under its file's header as the history was. The rows of one timestamp form one bar, taken once "
      "every followed file has a row at or after it, or --bar-wait-ms after its first row. A malformed row, "
      "or one not after its symbol's last, is reported and skipped; a file that shrinks or is replaced is "
      "reported and no longer followed. Files added to a directory later, new symbols of a long-format "
      "file, and .json/.parquet/.feather files are not followed");
  command_->add_option("--poll-ms", poll_ms_, "--follow: check the files for new rows this often (milliseconds)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->needs(follow);
  command_->add_option("--bar-wait-ms", bar_wait_ms_,
                       "--follow: how long a bar waits for the files without a row of it (milliseconds)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->needs(follow);
  parameters_.add_to(*command_);
  input_flags_.add_to(*command_);
}

int LiveCommand::run() const {
  if (resume_.empty() == paths_.empty())
    throw CLI::ValidationError("live: give PATHs to start from, or --resume a state file (one of them)");
  if (follow_ && !resume_.empty())
    throw CLI::ValidationError("live: --follow follows the files of the PATHs; a resumed state has none");
  const LiveOptions options{*parse_backend(backend_), threads_};
  std::optional<LiveEngine> engine;
  std::optional<FollowedFiles> followed;
  if (!resume_.empty()) {
    engine.emplace(LiveEngine::restore(resume_, options));
  } else {
    const Config config = parameters_.config();
    config.validate();
    std::vector<SymbolError> errors;
    const std::vector<std::filesystem::path> files = Universe::price_files(paths_, errors);
    if (follow_) followed.emplace(files, std::chrono::milliseconds(bar_wait_ms_));
    const Universe universe = Universe::from_files(files, input_flags_.options(), input_flags_.source(), errors);
    for (const SymbolError& e : errors) std::fprintf(stderr, "skipped: %s\n", e.message.c_str());
    engine.emplace(config, options);
    const std::vector<SymbolStatus> status = engine->add(universe.views());
    for (const SymbolStatus& s : status)
      if (!s.ok() && s.code != StatusCode::TooShort) std::fprintf(stderr, "error: %s\n", s.message.c_str());
    if (followed) followed->attach(universe, input_flags_.options(), input_flags_.source());
  }
  LiveEngine& live = *engine;
  SymbolIndex index;
  for (std::size_t i = 0; i < live.symbols().size(); ++i) index.emplace(live.symbols()[i], i);
  if (followed)
    std::fprintf(stderr, "live: %zu symbols; following %s every %d ms\n", live.size(),
                 count_of(followed->size(), "file").c_str(), poll_ms_);
  else
    std::fprintf(stderr, "live: %zu symbols; reading timestamp,symbol,close lines from stdin\n", live.size());

  BarFeed feed(live, json_, every_bar_, max_bars_);
  catch_interrupt();
  if (followed)
    feed_files(feed, index, *followed, std::chrono::milliseconds(poll_ms_));
  else
    feed_stdin(feed, index);
  std::fprintf(stderr, "live: %zu bars taken%s\n", feed.bars_taken(), interrupted ? " (interrupted)" : "");
  if (!save_.empty()) {
    live.save(save_);
    std::fprintf(stderr, "live: state saved to %s\n", save_.c_str());
  }
  return 0;
}

}  // namespace atc::cli
