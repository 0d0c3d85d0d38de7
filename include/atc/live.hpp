// Live updates: ATC for a universe of symbols, one bar at a time, O(1) work per symbol
// and bar, with the same bits as a batch computation over the same bars.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atc/batch.hpp"
#include "atc/config.hpp"

namespace atc {

// One bar's outputs of every symbol of a LiveEngine, indexed like LiveEngine::symbols().
// A symbol that had no bar this time repeats its last outputs (`updated` 0); one that
// cannot be computed (status) holds NaN / 0.
struct LiveBar {
  std::vector<double> average_signal;
  std::array<std::vector<double>, kFamilies> family_signal, family_equity;  // X_Signal, X_S
  std::vector<std::int8_t> trend, state, direction, long_entry, short_entry;
  std::vector<std::int64_t> bar;       // the symbol's bar index (0 = its first valid bar), −1 before it
  std::vector<std::uint8_t> updated;   // 1: this call gave the symbol a bar
  std::vector<SymbolStatus> status;    // as a batch over the symbol's bars so far would report
};

// Where a LiveEngine keeps its states and runs its updates.
struct LiveOptions {
  // Cpu: host memory, updates on `threads` threads. Cuda: resident on the current CUDA
  // device, one launch per update (the same step function, the same bits). Auto: cuda
  // when a device is usable, else cpu. Reference is not a live backend.
  Backend backend = Backend::Cpu;
  int threads = 0;  // host threads (cpu updates; adding histories on either backend); 0 = all
};

// ATC computed bar by bar (docs/SEMANTICS.md, "Live updates"). Initialised from each
// symbol's history, then advanced by update() with one new bar for all symbols at once:
// after k history bars and m updates, a symbol's outputs are those of bar k + m − 1 of
// compute_batch over its k + m bars, bit for bit, on every backend (§3a).
//
// Per symbol the state is O(54 + longest length): the moving averages, their exact
// window sums (128-bit integers of ticks) and a ring of the last src values, the signals
// and equities. Symbols are independent; updates run on `threads` threads, or on the
// GPU (LiveOptions::backend). Histories are added on the host, on either backend.
class LiveEngine {
 public:
  // Throws ConfigError for invalid parameters. threads: 0 = all hardware threads.
  explicit LiveEngine(const Config& config, int threads = 0);
  // Throws ConfigError for invalid parameters or a backend that cannot run live updates,
  // BackendUnavailable for cuda without a usable device.
  LiveEngine(const Config& config, const LiveOptions& options);
  ~LiveEngine();
  LiveEngine(LiveEngine&&) noexcept;
  LiveEngine& operator=(LiveEngine&&) noexcept;

  const Config& config() const;
  Backend backend() const;  // the backend that runs the updates (never Auto)
  const std::vector<std::string>& symbols() const;
  std::size_t size() const;

  // Adds symbols, each initialised from its history (leading NaNs: not listed yet, as in
  // compute_batch; an empty history is allowed). Returns each one's status after its
  // history; a symbol whose history is invalid is added in that error state and stays
  // in it. Throws InputError for a symbol that is already present.
  std::vector<SymbolStatus> add(std::span<const SeriesView> histories);
  // Removes a symbol; throws InputError when it is not present.
  void remove(std::string_view symbol);

  // Advances every symbol by one bar: closes[i] (and src[i], when given) for symbols()[i].
  // has_bar[i] = 0 (when given) skips symbol i this time: its state holds. A close that
  // is not finite and positive, or a src that is not finite, fails only that symbol's
  // update: its status names the bar and the reason and its state is left as it was.
  // Throws InputError when a span's length is not size().
  const LiveBar& update(std::span<const double> closes, std::span<const double> src = {},
                        std::span<const std::uint8_t> has_bar = {});
  // The outputs update() would give for this bar, the state left unchanged (a forming
  // bar: call it as often as wanted; update() commits).
  const LiveBar& peek(std::span<const double> closes, std::span<const double> src = {},
                      std::span<const std::uint8_t> has_bar = {});
  // The outputs of the last update (or of the history, after add).
  const LiveBar& last() const;

  // A versioned binary file of the parameters, the symbols and their states; restore()
  // continues with the same bits on any machine. Written atomically. restore() throws
  // InputError naming the file for a corrupt, truncated or foreign file.
  void save(const std::filesystem::path& path) const;
  static LiveEngine restore(const std::filesystem::path& path, int threads = 0);
  static LiveEngine restore(const std::filesystem::path& path, const LiveOptions& options);

  // Bytes of state per symbol (for sizing a universe).
  std::size_t state_bytes_per_symbol() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace atc
