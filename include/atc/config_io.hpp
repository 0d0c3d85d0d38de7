// Parameters by their user-facing names (docs/SEMANTICS.md §1): config files and the
// command line set a Config through these, so both accept exactly the same keys.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>

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

}  // namespace atc::io
