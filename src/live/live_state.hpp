// One symbol's live state (atc::LiveEngine): every stage of docs/SEMANTICS.md advanced
// by one bar, with the per-bar formulas of formulas.hpp and the exact window
// arithmetic of exact.hpp. Window sums are 128-bit integers of the current tick scale,
// rescaled exactly when a new value needs a finer one, so that no value ever depends on
// bars still to come: the bits are those of the batch backends over the same bars.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../core/exact.hpp"
#include "../core/formulas.hpp"
#include "atc/batch.hpp"
#include "atc/config.hpp"

namespace atc::detail::live {

using exact::Wide;
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline constexpr int K = kLengthsPerFamily;
// At most this many distinct window lengths (SMA, WMA and LSMA of one length share one
// pair of window sums, as in the cpu backend: with equal base lengths, 9 of 27).
inline constexpr int kMaxWindows = 3 * K;

// The parameters every symbol's step needs, derived once from the Config.
struct Params {
  Config config;
  std::array<std::array<int, K>, kFamilies> length{};
  std::array<std::array<double, K>, kFamilies> alpha{};  // 2 / (L + 1)
  std::array<std::array<long long, K>, kFamilies> denominator{};  // window families' D
  std::array<std::array<int, K>, kFamilies> window{};     // window families: the slot of each chain
  std::array<int, kMaxWindows> window_length{};
  int windows = 0;
  int max_length = 1;
  int ring = 3;  // max_length + 2
  std::size_t min_bars = 0;
  double la = 0.0, keep = 1.0;
  explicit Params(const Config& c);
};

// Σx and Σ j·x (j = 1 … L, oldest first) of the last L src ticks, for one window length.
struct Window {
  Wide sum_y = 0, sum_w = 0;
};

// Where close stood against an MA at the last bar (§4's crossover operands reduced to a
// sign): +1, −1, 0, or none (the MA was NaN: every comparison false).
inline constexpr std::int8_t kNoSide = 2;

// The outputs of one bar.
struct BarOutputs {
  double average = kNaN;
  std::array<double, kFamilies> family_signal{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::array<double, kFamilies> family_equity{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::int8_t trend = 0, state = 0, direction = 0, long_entry = 0, short_entry = 0;
};

// Everything a symbol carries from bar to bar but its ring of src values (trivially
// copyable: saved and restored as bytes). Laid out by stage, not by chain: the arrays a
// bar reads and writes lie together.
struct Core {
  std::int64_t bars = 0;  // valid bars so far; the last one is bar `bars − 1`
  double close_prev = kNaN;
  // §3a.1 tick scale, grown as values arrive: decimal 10^decimals until a value fits no
  // d ≤ 12, then binary 2^binary_exponent for good.
  int decimals = 0;
  int binary_exponent = -1100;  // the largest −(lowest set bit) of every value so far
  bool binary = false;
  // Every window quantity below 2^53 (exact::window_bound of the largest tick): the
  // 128-bit sums then hold 64-bit integers and are worked on as such, and their ratios
  // are one double division. The bound only grows, so this only turns false.
  bool narrow = true;
  double largest_decimal = 0.0;  // largest |v| of the decimal prefix
  double largest = 0.0;          // largest |v| of every value
  std::array<Wide, K> noise{};                // KAMA: Σ |Δx| of its window
  // The float MAs: EMA, DEMA's two EMAs and the float64 sum seeding its second, KAMA;
  // NaN during warm-up.
  std::array<double, K> ema{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::array<double, K> dema1{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::array<double, K> dema2{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::array<double, K> dema_seed{};
  std::array<double, K> kama{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  // §5 eq(1, s, R) per MA: formulas::Equity's e and a, each in one array (the running
  // bars advance all 54 in one loop).
  std::array<std::array<double, K>, kFamilies> equity = [] {
    std::array<std::array<double, K>, kFamilies> e;
    for (auto& f : e) f.fill(kNaN);
    return e;
  }();
  std::array<std::array<double, K>, kFamilies> equity_return{};
  std::array<std::array<std::int8_t, K>, kFamilies> signal{};      // §4 persistent state
  std::array<std::array<std::int8_t, K>, kFamilies> side = [] {
    std::array<std::array<std::int8_t, K>, kFamilies> none;
    for (auto& f : none) f.fill(kNoSide);
    return none;
  }();
  // (16-byte aligned: the device's TileLayout places a field within a 16-byte unit.)
  alignas(16) std::array<formulas::Equity, kFamilies> family_equity{};
  std::array<double, kFamilies> family_signal_prev{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  formulas::Classifier classifier{};
  double average_prev = kNaN, a_prev = kNaN;
  StatusCode fatal = StatusCode::Ok;  // an error that ends the symbol's computation
  std::int64_t fatal_bar = -1;
  BarOutputs last{};
  std::array<Window, kMaxWindows> windows{};  // Params::windows of them used (last: the rest is never read)
};

static_assert(sizeof(formulas::Equity) == 16 && offsetof(Core, family_equity) % 16 == 0);

struct SymbolState {
  Core core;
  std::vector<double> ring;  // the last max_length + 2 src values, bar t at t % size
  std::vector<Wide> ring_ticks;  // their ticks in the current scale (derived from ring)
  std::string fatal_message;
};

// Asks the caches for the parts of a state that step() reads (its Core up to the used
// window sums, its rings): issued a few symbols ahead, the loads of the next states
// overlap the arithmetic of this one rather than stalling it.
// (GCC drops a loop of __builtin_prefetch alone, as a loop without side effects, hence
// the volatile asm on x86-64.)
inline void prefetch_bytes(const void* at, std::size_t bytes) {
  const auto* p = static_cast<const char*>(at);
  for (std::size_t b = 0; b < bytes; b += 64) {
#if defined(__x86_64__)
    asm volatile("prefetcht0 %0" : : "m"(p[b]));
#else
    __builtin_prefetch(p + b, 0, 3);
#endif
  }
}
inline void prefetch(const SymbolState& s, const Params& p) {
  prefetch_bytes(&s.core, offsetof(Core, windows) + static_cast<std::size_t>(p.windows) * sizeof(Window));
  prefetch_bytes(s.ring.data(), s.ring.size() * sizeof(double));
  prefetch_bytes(s.ring_ticks.data(), s.ring_ticks.size() * sizeof(Wide));
}

// Whether a bar can be accepted: close finite and positive, src finite.
inline bool valid_bar(double close, double src) { return std::isfinite(close) && close > 0.0 && std::isfinite(src); }
// Why a bar cannot be accepted (the state is left as it was), or empty.
std::string reject_reason(double close, double src);

// live_step.hpp's step on a host state; a fatal error gets its message (fatal_message).
BarOutputs step(SymbolState& s, const Params& p, double close, double src, std::string_view symbol);

// What a symbol that stopped with `code` at `bar` reports.
std::string fatal_message(StatusCode code, std::string_view symbol, std::int64_t bar);

// A fresh state sized for `p`.
SymbolState make_state(const Params& p);

// ring_ticks from ring and the scale (after a restore).
void refresh_ticks(SymbolState& s, const Params& p);

// The status a batch over the symbol's bars so far would report.
SymbolStatus status_of(const SymbolState& s, const Params& p, std::string_view symbol);
SymbolStatus status_of(StatusCode fatal, std::int64_t fatal_bar, const std::string& fatal_message, std::int64_t bars,
                       const Params& p, std::string_view symbol);

}  // namespace atc::detail::live
