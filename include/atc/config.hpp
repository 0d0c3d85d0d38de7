// Parameters of Adaptive Trend Classification (docs/SEMANTICS.md §1) and their validation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace atc {

inline constexpr int kFamilies = 6;
inline constexpr int kLengthsPerFamily = 9;
inline constexpr int kChains = kFamilies * kLengthsPerFamily;  // 54 moving averages
// Longest base length Config::validate() accepts (its nine lengths stay far from int's
// limits; the cuda backend's own limit is lower, cuda::kFusedMaxLength).
inline constexpr int kMaxBaseLength = 1'000'000;

// Order matters: Layer-2 sums run EMA, HMA, WMA, DEMA, LSMA, KAMA.
enum class Family : std::uint8_t { EMA, HMA, WMA, DEMA, LSMA, KAMA };
inline constexpr std::array<Family, kFamilies> kAllFamilies{
    Family::EMA, Family::HMA, Family::WMA, Family::DEMA, Family::LSMA, Family::KAMA};

// What the front ends and the warm-up rules know of a family: one row per family, in
// Family order. Its name gives the parameter keys (`ema_len`, `ema_w`), the CLI flags
// (`--ema-len`), the output names (`EMA_Signal`, `EMA_S`) and Python's FAMILIES.
struct FamilyTraits {
  Family family;
  std::string_view name;         // "EMA"
  std::string_view description;  // what the moving average is
  // Its first value is at bar warmup_lengths · (L − 1) of a series (EMA: L − 1, DEMA's
  // EMA of an EMA 2L − 2, KAMA from bar 0).
  int warmup_lengths;
  // From bar steady_lengths · L + steady_offset on, every bar is the running update (EMA
  // past its seed, DEMA past its second seed, a full window that slides, KAMA's noise
  // dropping a change): what the fast backends specialise their steady state for.
  int steady_lengths, steady_offset;
  // Relative cost of a bar of its chain (the CUDA chain step's instructions per bar): the
  // per-family kernel starts the costliest families first.
  int cost;
};
inline constexpr std::array<FamilyTraits, kFamilies> kFamilyTraits{{
    {Family::EMA, "EMA", "exponential moving average", 1, 1, 0, 46},
    {Family::HMA, "HMA", "a simple moving average, named HMA in the indicator", 1, 1, 0, 76},
    {Family::WMA, "WMA", "linearly weighted moving average", 1, 1, 0, 76},
    {Family::DEMA, "DEMA", "double exponential moving average", 2, 2, -1, 51},
    {Family::LSMA, "LSMA", "least-squares (linear regression) moving average", 1, 1, 0, 103},
    {Family::KAMA, "KAMA", "Kaufman's adaptive moving average", 0, 1, 1, 111},
}};
constexpr const FamilyTraits& traits(Family family) { return kFamilyTraits[static_cast<int>(family)]; }
// The first bar of the running update of a family's MA of length `len` (FamilyTraits).
constexpr int steady_from(Family family, int len) {
  return traits(family).steady_lengths * len + traits(family).steady_offset;
}
static_assert(steady_from(Family::HMA, 7) == steady_from(Family::WMA, 7) &&
                  steady_from(Family::HMA, 7) == steady_from(Family::LSMA, 7),
              "the window families share their window sums, so their steady bar too");

std::string_view family_name(Family family);  // "EMA", "HMA", ...
// Case-insensitive; nullopt for an unknown name.
std::optional<Family> parse_family(std::string_view name);

enum class Robustness : std::uint8_t { Narrow, Medium, Wide };
std::string_view robustness_name(Robustness robustness);
std::optional<Robustness> parse_robustness(std::string_view name);

struct Config {
  // Base length and Layer-2 starting equity per family, indexed by Family.
  std::array<int, kFamilies> length{28, 28, 28, 28, 28, 28};
  std::array<double, kFamilies> weight{1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  Robustness robustness = Robustness::Medium;
  double lambda = 0.02;  // as typed by the user; the engine uses lambda / 1000
  double decay = 0.03;   // percent as typed by the user; the engine uses decay / 100
  int cutout = 0;
  double long_threshold = 0.1;
  double short_threshold = -0.1;
  bool strategy = false;

  int& length_of(Family f) { return length[static_cast<int>(f)]; }
  int length_of(Family f) const { return length[static_cast<int>(f)]; }
  double& weight_of(Family f) { return weight[static_cast<int>(f)]; }
  double weight_of(Family f) const { return weight[static_cast<int>(f)]; }

  double growth_rate() const { return lambda / 1000.0; }  // La
  double decay_rate() const { return decay / 100.0; }     // De

  // Every field compared: a parameter added here can never be missed (the CUDA
  // pipeline replays a captured graph only for an equal configuration).
  bool operator==(const Config&) const = default;

  // Throws ConfigError naming the first invalid parameter.
  void validate() const;

  // The nine lengths of a family in the order L, L+o1..L+o4, L-o1..L-o4.
  std::array<int, kLengthsPerFamily> lengths(Family f) const;

  // Bars a series needs before its slowest MA has a first value (2L-1 for DEMA).
  std::size_t min_bars() const;

  // Longest look-back of any windowed MA (SMA/WMA/LSMA/KAMA): max length.
  int max_length() const;
};

// Offsets o1..o4 of a robustness (docs/SEMANTICS.md §2).
std::array<int, 4> robustness_offsets(Robustness robustness);

}  // namespace atc
