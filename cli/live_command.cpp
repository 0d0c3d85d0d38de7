#include "live_command.hpp"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "atc/io.hpp"
#include "atc/live.hpp"
#include "universe.hpp"

namespace atc::cli {
namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

// Ctrl-C ends the reading of stdin (the read returns EINTR: no SA_RESTART) instead of
// the process, so that the state can still be saved.
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

// The bar being collected from stdin: every line of one timestamp.
struct PendingBar {
  std::string timestamp;
  std::vector<double> closes, src;
  std::vector<std::uint8_t> has_bar;
  bool any_src = false;
  void reset(std::size_t symbols) {
    closes.assign(symbols, 0.0);
    src.assign(symbols, 0.0);
    has_bar.assign(symbols, 0);
    any_src = false;
  }
};

const char* state_name(int state) { return state > 0 ? "LONG" : (state < 0 ? "SHORT" : "NEUTRAL"); }

}  // namespace

LiveCommand::LiveCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "live",
      "Follow a universe bar by bar: initialise from price files (or --resume a saved state), then "
      "read new bars from stdin as `timestamp,symbol,close[,src]` lines (the lines of one timestamp "
      "form one bar; a symbol without a line has no bar) and print each symbol whose state changes or "
      "that enters, as it happens. End of input or Ctrl-C stops; --save keeps the state.");
  command_->add_option("PATH", paths_, "Price files (CSV, freqtrade .json, .parquet, .feather) or directories of them: the histories");
  command_->add_option("--resume", resume_, "Continue from a state file written by --save (no PATH)");
  command_->add_option("--save", save_, "Write the state here when the input ends or on Ctrl-C");
  command_->add_option("--threads", threads_, "Worker threads (0 = all cores)");
  command_->add_flag("--json", json_, "Print JSON lines instead of text");
  command_->add_flag("--every-bar", every_bar_, "Print every symbol of every bar, not only the changes");
  parameters_.add_to(*command_);
  input_flags_.add_to(*command_);
}

int LiveCommand::run() const {
  if (resume_.empty() == paths_.empty())
    throw CLI::ValidationError("live: give PATHs to start from, or --resume a state file (one of them)");
  std::optional<LiveEngine> engine;
  if (!resume_.empty()) {
    engine.emplace(LiveEngine::restore(resume_, threads_));
  } else {
    const Config config = parameters_.config();
    config.validate();
    std::vector<SymbolError> errors;
    const Universe universe = Universe::from_paths(paths_, input_flags_.options(), input_flags_.source(), errors);
    for (const SymbolError& e : errors) std::fprintf(stderr, "skipped: %s\n", e.message.c_str());
    engine.emplace(config, threads_);
    const std::vector<SymbolStatus> status = engine->add(universe.views());
    for (const SymbolStatus& s : status)
      if (!s.ok() && s.code != StatusCode::TooShort) std::fprintf(stderr, "error: %s\n", s.message.c_str());
  }
  LiveEngine& live = *engine;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < live.symbols().size(); ++i) index.emplace(live.symbols()[i], i);
  std::fprintf(stderr, "live: %zu symbols; reading timestamp,symbol,close lines from stdin\n", live.size());

  std::vector<std::int8_t> state(live.last().state), direction(live.last().direction);
  const auto report = [&](const std::string& timestamp) {
    const LiveBar& bar = live.last();
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (!bar.updated[i] && bar.status[i].ok()) continue;
      const bool entry = bar.long_entry[i] || bar.short_entry[i];
      const bool changed = bar.state[i] != state[i] || bar.direction[i] != direction[i];
      state[i] = bar.state[i];
      direction[i] = bar.direction[i];
      if (!bar.status[i].ok() && bar.status[i].code != StatusCode::TooShort) {
        std::fprintf(stderr, "error: %s\n", bar.status[i].message.c_str());
        continue;
      }
      if (!(every_bar_ || entry || changed)) continue;
      const char* event = bar.long_entry[i] ? "long_entry" : (bar.short_entry[i] ? "short_entry" : "");
      if (json_) {
        const nlohmann::ordered_json line{{"timestamp", timestamp},
                                          {"symbol", live.symbols()[i]},
                                          {"bar", bar.bar[i]},
                                          {"Average_Signal", bar.average_signal[i]},
                                          {"state", bar.state[i]},
                                          {"direction", bar.direction[i]},
                                          {"event", event}};
        std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
      } else {
        std::printf("%s  %-12s %-7s Average_Signal %s %s\n", timestamp.c_str(), live.symbols()[i].c_str(),
                    state_name(bar.state[i]), io::format_number(bar.average_signal[i]).c_str(), event);
      }
    }
    std::fflush(stdout);
  };

  PendingBar pending;
  pending.reset(live.size());
  std::size_t bars = 0, line_number = 0;
  const auto commit = [&] {
    if (pending.timestamp.empty()) return;
    live.update(pending.closes, pending.any_src ? std::span<const double>(pending.src) : std::span<const double>(),
                pending.has_bar);
    report(pending.timestamp);
    ++bars;
    pending.reset(live.size());
    pending.timestamp.clear();
  };
  catch_interrupt();
  std::string line;
  while (!interrupted && std::getline(std::cin, line)) {
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
    if (tick->timestamp != pending.timestamp) commit();
    pending.timestamp = tick->timestamp;
    pending.closes[it->second] = tick->close;
    pending.src[it->second] = tick->has_src ? tick->src : tick->close;
    pending.any_src = pending.any_src || tick->has_src;
    pending.has_bar[it->second] = 1;
  }
  if (!interrupted) commit();  // an interrupted bar may be incomplete: it is not taken
  std::fprintf(stderr, "live: %zu bars taken%s\n", bars, interrupted ? " (interrupted)" : "");
  if (!save_.empty()) {
    live.save(save_);
    std::fprintf(stderr, "live: state saved to %s\n", save_.c_str());
  }
  return 0;
}

}  // namespace atc::cli
