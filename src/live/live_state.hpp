// One symbol's live state (atc::LiveEngine): every stage of docs/SEMANTICS.md advanced
// by one bar, with the per-bar formulas of formulas.hpp and the exact window
// arithmetic of exact.hpp. Window sums are 128-bit integers of the current tick scale,
// rescaled exactly when a new value needs a finer one, so that no value ever depends on
// bars still to come: the bits are those of the batch backends over the same bars.
#pragma once

#include <array>
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

// The parameters every symbol's step needs, derived once from the Config.
struct Params {
  Config config;
  std::array<std::array<int, kLengthsPerFamily>, kFamilies> length{};
  int max_length = 1;
  std::size_t min_bars = 0;
  double la = 0.0, keep = 1.0;
  explicit Params(const Config& c);
};

// One of the 54 MA chains with its signal and equity.
struct Chain {
  Wide sum_y = 0, sum_w = 0;  // SMA/WMA/LSMA: Σx and Σ j·x of the window; KAMA: the noise
  double value = kNaN;        // the MA (DEMA: its first EMA); NaN during warm-up
  double e2 = kNaN;           // DEMA's second EMA
  double e2_seed = 0.0;       // DEMA: float64 sum of the first EMA's first L values
  double side = kNaN;         // close against the MA at the last bar: +1, −1, 0, NaN
  std::int8_t signal = 0;     // §4 persistent crossover state
  formulas::Equity equity;    // §5 eq(1, s, R)
};

// The outputs of one bar.
struct BarOutputs {
  double average = kNaN;
  std::array<double, kFamilies> family_signal{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::array<double, kFamilies> family_equity{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::int8_t trend = 0, state = 0, direction = 0, long_entry = 0, short_entry = 0;
};

// Everything a symbol carries from bar to bar but its ring of src values (trivially
// copyable: saved and restored as bytes).
struct Core {
  std::int64_t bars = 0;  // valid bars so far; the last one is bar `bars − 1`
  double close_prev = kNaN;
  // §3a.1 tick scale, grown as values arrive: decimal 10^decimals until a value fits no
  // d ≤ 12, then binary 2^binary_exponent for good.
  int decimals = 0;
  int binary_exponent = -1100;  // the largest −(lowest set bit) of every value so far
  bool binary = false;
  double largest_decimal = 0.0;  // largest |v| of the decimal prefix
  double largest = 0.0;          // largest |v| of every value
  std::array<std::array<Chain, kLengthsPerFamily>, kFamilies> chains{};
  std::array<formulas::Equity, kFamilies> family_equity{};
  std::array<double, kFamilies> family_signal_prev{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  formulas::Classifier classifier{};
  double average_prev = kNaN, a_prev = kNaN;
  StatusCode fatal = StatusCode::Ok;  // an error that ends the symbol's computation
  std::int64_t fatal_bar = -1;
  BarOutputs last{};
};

struct SymbolState {
  Core core;
  std::vector<double> ring;  // the last max_length + 2 src values, bar t at t % size
  std::vector<Wide> ring_ticks;  // their ticks in the current scale (derived from ring)
  std::string fatal_message;
};

// The window MA of a chain of family SMA ("HMA"), WMA or LSMA as the exact rational
// numerator / denominator of ticks (§3a.2).
Wide window_numerator(const Chain& chain, int family, int len);
exact::UWide window_denominator(int family, int len);

// Why a bar cannot be accepted (the state is left as it was), or empty.
std::string reject_reason(double close, double src);

// Advances `s` by one valid bar (close finite and positive, src finite) and returns its
// outputs; on a fatal error (growth or equity overflow, prices outside the tick range)
// the symbol stops there with that status.
BarOutputs step(SymbolState& s, const Params& p, double close, double src, std::string_view symbol);

// A fresh state sized for `p`.
SymbolState make_state(const Params& p);

// ring_ticks from ring and the scale (after a restore, or a change to binary ticks).
void refresh_ticks(SymbolState& s);

// The status a batch over the symbol's bars so far would report.
SymbolStatus status_of(const SymbolState& s, const Params& p, std::string_view symbol);

}  // namespace atc::detail::live
