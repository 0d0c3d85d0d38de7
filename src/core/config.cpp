#include "atc/config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "atc/error.hpp"

namespace atc {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

static_assert([] {
  for (int f = 0; f < kFamilies; ++f)
    if (kFamilyTraits[f].family != kAllFamilies[f]) return false;
  return true;
}(), "kFamilyTraits has one row per family, in Family order");
constexpr std::array<std::string_view, 3> kRobustnessNames{"Narrow", "Medium", "Wide"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view family_name(Family family) { return traits(family).name; }

std::optional<Family> parse_family(std::string_view name) {
  for (Family f : kAllFamilies)
    if (iequals(name, family_name(f))) return f;
  return std::nullopt;
}

std::string_view robustness_name(Robustness r) { return kRobustnessNames[static_cast<int>(r)]; }

std::optional<Robustness> parse_robustness(std::string_view name) {
  for (int i = 0; i < 3; ++i)
    if (iequals(name, kRobustnessNames[i])) return static_cast<Robustness>(i);
  return std::nullopt;
}

std::array<int, 4> robustness_offsets(Robustness robustness) {
  switch (robustness) {
    case Robustness::Narrow: return {1, 2, 3, 4};
    case Robustness::Medium: return {1, 2, 4, 6};
    case Robustness::Wide: return {1, 3, 5, 7};
  }
  throw ConfigError("robustness: unknown value " + std::to_string(static_cast<int>(robustness)) +
                    " (expected Narrow, Medium or Wide)");
}

std::array<int, kLengthsPerFamily> Config::lengths(Family f) const {
  const int base = length_of(f);
  const auto o = robustness_offsets(robustness);
  return {base, base + o[0], base + o[1], base + o[2], base + o[3],
          base - o[0], base - o[1], base - o[2], base - o[3]};
}

int Config::max_length() const {
  int m = 0;
  for (Family f : kAllFamilies)
    for (int len : lengths(f)) m = std::max(m, len);
  return m;
}

std::size_t Config::min_bars() const {
  std::size_t need = 1;
  for (Family f : kAllFamilies) {
    for (int len : lengths(f)) {
      const std::size_t first_value_bar =
          static_cast<std::size_t>(traits(f).warmup_lengths) * (static_cast<std::size_t>(len) - 1);
      need = std::max(need, first_value_bar + 1);
    }
  }
  return need;
}

void Config::validate() const {
  const auto o = robustness_offsets(robustness);  // throws for an unknown value
  for (Family f : kAllFamilies) {
    const std::string name = lower(family_name(f));
    if (length_of(f) > kMaxBaseLength)
      throw ConfigError(name + "_len = " + std::to_string(length_of(f)) + " is too long (at most " +
                        std::to_string(kMaxBaseLength) + ")");
    // In 64 bits: a base near INT_MIN must not wrap around.
    const long long shortest = static_cast<long long>(length_of(f)) - o[3];
    if (shortest < 1)
      throw ConfigError(name + "_len = " + std::to_string(length_of(f)) +
                        " is too short for robustness " + std::string(robustness_name(robustness)) +
                        ": its shortest length " + std::to_string(length_of(f)) + " - " +
                        std::to_string(o[3]) + " must be >= 1 (base length >= " +
                        std::to_string(o[3] + 1) + ")");
    if (!std::isfinite(weight_of(f)))
      throw ConfigError(name + "_w must be finite, got " + std::to_string(weight_of(f)));
  }
  if (!std::isfinite(lambda)) throw ConfigError("lambda must be finite");
  if (!std::isfinite(decay)) throw ConfigError("decay must be finite");
  if (decay < 0.0 || decay >= 100.0)
    throw ConfigError("decay must lie in [0, 100) percent, got " + std::to_string(decay));
  if (cutout < 0) throw ConfigError("cutout must be >= 0, got " + std::to_string(cutout));
  if (!std::isfinite(long_threshold)) throw ConfigError("long_threshold must be finite");
  if (!std::isfinite(short_threshold)) throw ConfigError("short_threshold must be finite");
  if (long_threshold < short_threshold)
    throw ConfigError("long_threshold (" + std::to_string(long_threshold) +
                      ") must be >= short_threshold (" + std::to_string(short_threshold) + ")");
}

}  // namespace atc
