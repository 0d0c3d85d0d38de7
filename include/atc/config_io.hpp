// Parameters by their user-facing names (docs/SEMANTICS.md §1): config files and the
// command line set a Config through these, so both accept exactly the same keys.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "atc/config.hpp"

namespace atc::io {

enum class ParameterKind : std::uint8_t {
  Integer,     // lengths, cutout
  Number,      // weights, lambda, decay, thresholds
  Robustness,  // "Narrow", "Medium" or "Wide" (case-insensitive)
  Boolean,     // strategy
};

struct ParameterInfo {
  std::string_view name;  // the §1 key, e.g. "ema_len"
  ParameterKind kind;
  std::string_view help;
};

// Every parameter of §1 in the order of the table there.
std::span<const ParameterInfo> parameters();

using ParameterValue = std::variant<bool, std::int64_t, double, std::string>;

// Sets parameter `name`. An Integer accepts an integral double, a Number accepts an
// integer. Throws ConfigError naming the key for an unknown key, a value of the wrong
// type or an integer out of range; other range checks are Config::validate's.
void set_parameter(Config& config, std::string_view name, const ParameterValue& value);

// The current value of parameter `name`; throws ConfigError for an unknown key.
ParameterValue get_parameter(const Config& config, std::string_view name);

// Reads the parameters of a JSON (.json) or TOML (.toml) file on top of `base`; keys
// not in the file keep their value from `base`. Throws ConfigError for an unreadable
// or unparsable file, an unknown key or a wrong type, and for non-ASCII text in a TOML
// file outside its comments and strings. Does not call Config::validate.
Config load_config_file(const std::filesystem::path& path, Config base = {});

// One axis of a parameter grid: a parameter of parameters() (or "len": the six base
// lengths together) and its values.
struct GridAxis {
  std::string name;
  std::vector<ParameterValue> values;
};

// Parses "NAME=V1,V2,..." where a value is as the parameter's kind reads it (integer,
// number, Narrow/Medium/Wide, true/false), and an Integer or Number value may be a range
// START:STOP:STEP (STOP included; numbers rounded to the decimals the text shows).
// Throws ConfigError naming the text for an unknown name or an unreadable value.
GridAxis parse_grid_axis(std::string_view text);

// Every combination of the axes' values over `base`, the last axis varying fastest, each
// validated. Throws ConfigError naming the parameter and value (a value invalid on its
// own), or the combination, before anything is computed; also when there are more than
// kMaxGridConfigs combinations.
inline constexpr std::size_t kMaxGridConfigs = 10'000'000;
std::vector<Config> expand_grid(const Config& base, std::span<const GridAxis> axes);

// "ema_len=14" / "robustness=Wide": a grid value as text, for tables and errors.
std::string format_parameter_value(const ParameterValue& value);

}  // namespace atc::io
