// Parameters by name, and JSON / TOML config files built on them.
#include "atc/config_io.hpp"

#include <algorithm>
#include <charconv>
#include <array>
#include <cctype>
#include <cmath>
#include <deque>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "atc/error.hpp"

namespace atc::io {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The parameters of §1: each family's base length and Layer-2 weight (named from
// kFamilyTraits), then the rest. Built once; its strings live as long as the program.
const std::vector<ParameterInfo>& parameter_table() {
  static const std::vector<ParameterInfo> table = [] {
    static std::deque<std::string> text;  // names and help of the per-family rows
    const auto keep = [](std::string s) -> std::string_view { return text.emplace_back(std::move(s)); };
    std::vector<ParameterInfo> rows;
    for (const char* suffix : {"_len", "_w"}) {
      for (const FamilyTraits& f : kFamilyTraits) {
        std::string name = lower(f.name);
        name += suffix;
        std::string help = suffix == std::string_view("_len") ? "base length of the " : "starting equity in Layer 2 of the ";
        help += f.name;
        help += " family (";
        help += f.description;
        help += ")";
        rows.push_back({keep(std::move(name)), suffix == std::string_view("_len") ? ParameterKind::Integer
                                                                                  : ParameterKind::Number,
                        keep(std::move(help))});
      }
    }
    rows.insert(rows.end(), {
        {"robustness", ParameterKind::Robustness, "spread of the nine lengths: Narrow, Medium or Wide"},
        {"lambda", ParameterKind::Number, "equity growth rate as typed (the engine uses lambda/1000)"},
        {"decay", ParameterKind::Number, "equity decay in percent (the engine uses decay/100)"},
        {"cutout", ParameterKind::Integer, "bars at the start that take no part in the equity curves"},
        {"long_threshold", ParameterKind::Number, "Average_Signal above this is LONG"},
        {"short_threshold", ParameterKind::Number, "Average_Signal below this is SHORT"},
        {"strategy", ParameterKind::Boolean, "classify on the previous bar's Average_Signal (strategy view)"},
    });
    return rows;
  }();
  return table;
}

const ParameterInfo& info_of(std::string_view name) {
  for (const ParameterInfo& p : parameter_table())
    if (p.name == name) return p;
  throw ConfigError("unknown parameter '" + std::string(name) + "'");
}

// ema_len -> EMA, kama_w -> KAMA; nullopt for the parameters that are not per family.
std::optional<Family> family_of(std::string_view name) {
  const std::size_t underscore = name.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  const std::string_view suffix = name.substr(underscore + 1);
  if (suffix != "len" && suffix != "w") return std::nullopt;
  return parse_family(name.substr(0, underscore));
}

[[noreturn]] void wrong_type(std::string_view name, std::string_view expected) {
  throw ConfigError(std::string(name) + ": expected " + std::string(expected));
}

int as_int(std::string_view name, const ParameterValue& value) {
  double number = 0.0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    number = static_cast<double>(*i);
  } else if (const auto* d = std::get_if<double>(&value); d && std::trunc(*d) == *d) {
    number = *d;
  } else {
    wrong_type(name, "an integer");
  }
  if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max())
    throw ConfigError(std::string(name) + ": " + std::to_string(number) + " is out of range");
  return static_cast<int>(number);
}

double as_double(std::string_view name, const ParameterValue& value) {
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  wrong_type(name, "a number");
}

ParameterValue from_json(std::string_view name, const nlohmann::json& node) {
  if (node.is_boolean()) return node.get<bool>();
  if (node.is_number_integer()) return node.get<std::int64_t>();
  if (node.is_number()) return node.get<double>();
  if (node.is_string()) return node.get<std::string>();
  throw ConfigError(std::string(name) + ": expected a number, string or boolean, got " +
                    node.type_name());
}

ParameterValue from_toml(std::string_view name, const toml::node& node) {
  if (const auto* b = node.as_boolean()) return b->get();
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* d = node.as_floating_point()) return d->get();
  if (const auto* s = node.as_string()) return s->get();
  throw ConfigError(std::string(name) + ": expected a number, string or boolean");
}

// A config file is a handful of parameters: anything larger is refused before a parser
// sees it (a deeply nested document costs the parsers memory and recursion).
constexpr std::uintmax_t kMaxConfigBytes = 64 * 1024;
constexpr int kMaxNesting = 16;

// Valid UTF-8 without control characters other than tab, newline and carriage return
// (toml++ misbehaves on some invalid input); nesting of brackets and braces bounded.
void check_config_text(const std::filesystem::path& path, const std::string& text) {
  int depth = 0, deepest = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!ok) throw ConfigError(path.string() + ": byte " + std::to_string(i) + " is not valid UTF-8");
    if (length == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F))
      throw ConfigError(path.string() + ": control character at byte " + std::to_string(i));
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if (c == ']' || c == '}') --depth;
    i += length;
  }
  // TOML's dotted keys nest too: count the dots of a table header or before a line's '='.
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t line_end = std::min(text.find('\n', line_start), text.size());
    const std::string_view line(text.data() + line_start, line_end - line_start);
    const std::size_t first = line.find_first_not_of(" \t");
    const std::size_t key_end = first != std::string_view::npos && line[first] == '[' ? line.size() : line.find('=');
    if (key_end != std::string_view::npos)
      deepest = std::max(deepest, static_cast<int>(std::count(line.begin(), line.begin() + key_end, '.')) + 1);
    line_start = line_end + 1;
  }
  if (deepest > kMaxNesting)
    throw ConfigError(path.string() + ": nested more than " + std::to_string(kMaxNesting) +
                      " levels deep (a config file holds parameters only)");
}

// toml++ 3.3 (Debian 12's) reaches undefined behaviour (an "unreachable" branch of its
// whitespace test) on many non-ASCII characters outside strings, e.g. in or after a bare
// value, which it reads ahead up to a space, ']', '}', ',' or '#'. The keys and values
// of a config are ASCII, so non-ASCII text is accepted in comments only, and nowhere
// after a multi-line string opens (its end is not tracked here). Strings are tracked only
// to tell a comment's '#': should this scan take a string for a comment, toml++ reads
// that text as a string, where non-ASCII is safe; the reverse refuses the file. (Taking
// strings as safe too was not: the fuzzer found inputs where a string opens for toml++
// where this scan saw none, and the reverse.)
void check_toml_text(const std::filesystem::path& path, std::string_view text) {
  enum class Inside { Space, Bare, BasicString, LiteralString, Comment };
  Inside inside = Inside::Space;
  bool multi_line = false;
  std::size_t line = 1;
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  for (std::size_t i = text.starts_with(kUtf8Bom) ? kUtf8Bom.size() : 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto ascii = [&](std::size_t k) { return k >= text.size() || static_cast<unsigned char>(text[k]) < 0x80; };
    if (!ascii(i) && (multi_line || inside != Inside::Comment))
      throw ConfigError(path.string() + ":" + std::to_string(line) +
                        ": non-ASCII character outside a comment (a config's keys and values are ASCII)");
    if (c == '\n') ++line;
    if (inside == Inside::BasicString || inside == Inside::LiteralString) {
      if (c == '\n' || c == (inside == Inside::BasicString ? '"' : '\'')) inside = Inside::Space;
      else if (inside == Inside::BasicString && c == '\\' && text.substr(i + 1, 1) != "\n") ++i;  // e.g. \"
    } else if (inside == Inside::Comment) {
      if (c == '\n') inside = Inside::Space;
    } else if (c == '#') {
      inside = Inside::Comment;
    } else if (std::string_view(" \t\r\n]},").find(c) != std::string_view::npos) {
      inside = Inside::Space;
    } else if (inside == Inside::Space && (c == '[' || c == '{')) {
      // an array, inline table or table header opens: a string may follow
    } else if (inside == Inside::Space && (c == '"' || c == '\'')) {
      if (text.substr(i, 3) == std::string(3, c)) multi_line = true;
      else inside = c == '"' ? Inside::BasicString : Inside::LiteralString;
    } else {
      inside = Inside::Bare;  // a quote here is read as part of the bare value
    }
  }
}

std::string read_text(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw ConfigError(path.string() + ": cannot open the config file: " + error.message());
  if (size > kMaxConfigBytes)
    throw ConfigError(path.string() + ": " + std::to_string(size) + " bytes is too large for a config file (at most " +
                      std::to_string(kMaxConfigBytes) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path.string() + ": cannot open the config file");
  std::ostringstream text;
  text << in.rdbuf();
  std::string contents = std::move(text).str();
  check_config_text(path, contents);
  return contents;
}

// Parses a JSON document, refusing a key that appears twice in one object (TOML refuses
// it too; nlohmann::json would silently keep the last one).
nlohmann::json parse_json_without_duplicates(const std::string& text) {
  std::vector<std::set<std::string>> keys;  // of the objects being parsed, innermost last
  const auto check = [&keys](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) keys.emplace_back();
    else if (event == Event::object_end && !keys.empty()) keys.pop_back();
    else if (event == Event::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
      throw ConfigError("duplicate key '" + parsed.get<std::string>() + "'");
    return true;
  };
  return nlohmann::json::parse(text, check);
}

Config load_json(const std::filesystem::path& path, Config config) {
  nlohmann::json document;
  try {
    document = parse_json_without_duplicates(read_text(path));
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range (1e309)
    throw ConfigError(path.string() + ": invalid JSON: " + e.what());
  } catch (const ConfigError& e) {
    throw ConfigError(path.string() + ": invalid JSON: " + e.what());
  }
  if (!document.is_object())
    throw ConfigError(path.string() + ": expected a JSON object of parameters");
  for (const auto& [key, node] : document.items()) {
    try {
      info_of(key);  // an unknown key is reported as such whatever its value
      set_parameter(config, key, from_json(key, node));
    } catch (const ConfigError& e) {
      throw ConfigError(path.string() + ": " + e.what());
    } catch (const nlohmann::json::exception& e) {
      throw ConfigError(path.string() + ": " + key + ": " + e.what());
    }
  }
  return config;
}

Config load_toml(const std::filesystem::path& path, Config config) {
  toml::table document;
  try {
    const std::string text = read_text(path);
    check_toml_text(path, text);
    document = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError(path.string() + ":" + std::to_string(begin.line) + ":" +
                      std::to_string(begin.column) + ": invalid TOML: " +
                      std::string(e.description()));
  }
  for (const auto& [key, node] : document) {
    const std::string name(key.str());
    try {
      info_of(name);
      set_parameter(config, name, from_toml(name, node));
    } catch (const ConfigError& e) {
      const auto line = key.source().begin.line;
      throw ConfigError(path.string() + (line > 0 ? ":" + std::to_string(line) : "") + ": " +
                        e.what());
    }
  }
  return config;
}

}  // namespace

std::span<const ParameterInfo> parameters() { return parameter_table(); }

void set_parameter(Config& config, std::string_view name, const ParameterValue& value) {
  const ParameterInfo& info = info_of(name);
  if (const std::optional<Family> family = family_of(name)) {
    if (info.kind == ParameterKind::Integer) config.length_of(*family) = as_int(name, value);
    else config.weight_of(*family) = as_double(name, value);
  } else if (name == "robustness") {
    const auto* text = std::get_if<std::string>(&value);
    if (!text) wrong_type(name, "one of Narrow, Medium, Wide");
    const std::optional<Robustness> robustness = parse_robustness(*text);
    if (!robustness)
      throw ConfigError("robustness: unknown value '" + *text +
                        "' (expected Narrow, Medium or Wide)");
    config.robustness = *robustness;
  } else if (name == "lambda") {
    config.lambda = as_double(name, value);
  } else if (name == "decay") {
    config.decay = as_double(name, value);
  } else if (name == "cutout") {
    config.cutout = as_int(name, value);
  } else if (name == "long_threshold") {
    config.long_threshold = as_double(name, value);
  } else if (name == "short_threshold") {
    config.short_threshold = as_double(name, value);
  } else if (name == "strategy") {
    const auto* flag = std::get_if<bool>(&value);
    if (!flag) wrong_type(name, "true or false");
    config.strategy = *flag;
  }
}

ParameterValue get_parameter(const Config& config, std::string_view name) {
  const ParameterInfo& info = info_of(name);
  if (const std::optional<Family> family = family_of(name)) {
    if (info.kind == ParameterKind::Integer)
      return static_cast<std::int64_t>(config.length_of(*family));
    return config.weight_of(*family);
  }
  if (name == "robustness") return std::string(robustness_name(config.robustness));
  if (name == "lambda") return config.lambda;
  if (name == "decay") return config.decay;
  if (name == "cutout") return static_cast<std::int64_t>(config.cutout);
  if (name == "long_threshold") return config.long_threshold;
  if (name == "short_threshold") return config.short_threshold;
  return config.strategy;
}

Config load_config_file(const std::filesystem::path& path, Config base) {
  const std::string extension = lower(path.extension().string());
  if (extension == ".json") return load_json(path, std::move(base));
  if (extension == ".toml") return load_toml(path, std::move(base));
  throw ConfigError(path.string() + ": unknown config format '" + path.extension().string() +
                    "' (expected .json or .toml)");
}

namespace {

bool is_length_axis(std::string_view name) { return name == "len"; }

ParameterKind kind_of_axis(std::string_view name) {
  return is_length_axis(name) ? ParameterKind::Integer : info_of(name).kind;
}

// Decimals written after the point of a number's text ("0.025" -> 3).
int decimals_of(std::string_view text) {
  const std::size_t point = text.find('.');
  if (point == std::string_view::npos) return 0;
  std::size_t end = point + 1;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  return static_cast<int>(end - point - 1);
}

double number_of(std::string_view axis, std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value))
    throw ConfigError("grid " + std::string(axis) + ": '" + copy + "' is not a number");
  return value;
}

ParameterValue value_of(std::string_view axis, ParameterKind kind, std::string_view text) {
  switch (kind) {
    case ParameterKind::Integer: {
      const double v = number_of(axis, text);
      if (v != std::floor(v) || std::abs(v) > 1e15)
        throw ConfigError("grid " + std::string(axis) + ": '" + std::string(text) + "' is not an integer");
      return static_cast<std::int64_t>(v);
    }
    case ParameterKind::Number: return number_of(axis, text);
    case ParameterKind::Robustness: return std::string(text);
    case ParameterKind::Boolean: {
      const std::string t = lower(text);
      if (t == "true" || t == "1") return true;
      if (t == "false" || t == "0") return false;
      throw ConfigError("grid " + std::string(axis) + ": '" + std::string(text) + "' is not true or false");
    }
  }
  return std::string(text);
}

void set_axis(Config& config, std::string_view name, const ParameterValue& value) {
  if (!is_length_axis(name)) {
    set_parameter(config, name, value);
    return;
  }
  for (const ParameterInfo& p : parameter_table())
    if (p.kind == ParameterKind::Integer && p.name.ends_with("_len")) set_parameter(config, p.name, value);
}

std::string axis_value_text(std::string_view name, const ParameterValue& value) {
  return std::string(name) + "=" + format_parameter_value(value);
}

}  // namespace

std::string format_parameter_value(const ParameterValue& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, *d);
    return std::string(buffer, result.ptr);
  }
  return std::get<std::string>(value);
}

GridAxis parse_grid_axis(std::string_view text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == text.size())
    throw ConfigError("grid '" + std::string(text) + "': expected NAME=VALUE,VALUE,... (e.g. ema_len=14,28,42)");
  GridAxis axis;
  axis.name = lower(text.substr(0, equals));
  if (!is_length_axis(axis.name) && std::none_of(parameter_table().begin(), parameter_table().end(), [&](const ParameterInfo& p) {
        return p.name == axis.name;
      }))
    throw ConfigError("grid '" + std::string(text) + "': unknown parameter '" + axis.name +
                      "' (a parameter of the config file, or len for the six base lengths)");
  const ParameterKind kind = kind_of_axis(axis.name);
  std::string_view rest = text.substr(equals + 1);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::size_t colon = item.find(':');
    if (colon == std::string_view::npos || (kind != ParameterKind::Integer && kind != ParameterKind::Number)) {
      axis.values.push_back(value_of(axis.name, kind, item));
      continue;
    }
    const std::size_t second = item.find(':', colon + 1);
    if (second == std::string_view::npos)
      throw ConfigError("grid " + axis.name + ": range '" + std::string(item) + "' must be START:STOP:STEP");
    const std::string_view start_text = item.substr(0, colon), stop_text = item.substr(colon + 1, second - colon - 1),
                           step_text = item.substr(second + 1);
    const double start = number_of(axis.name, start_text), stop = number_of(axis.name, stop_text),
                 step = number_of(axis.name, step_text);
    if (!(step > 0.0) || stop < start)
      throw ConfigError("grid " + axis.name + ": range '" + std::string(item) +
                        "' needs STOP >= START and a STEP > 0");
    const int decimals = std::max({decimals_of(start_text), decimals_of(stop_text), decimals_of(step_text)});
    const double scale = std::pow(10.0, decimals);
    const double count = std::floor((stop - start) / step + 1e-9) + 1.0;
    if (count > static_cast<double>(kMaxGridConfigs))
      throw ConfigError("grid " + axis.name + ": range '" + std::string(item) + "' has too many values");
    for (double k = 0.0; k < count; k += 1.0) {
      const double v = std::round((start + k * step) * scale) / scale;  // the decimal the user means
      if (kind == ParameterKind::Integer && v != std::floor(v))
        throw ConfigError("grid " + axis.name + ": range '" + std::string(item) + "' reaches " +
                          format_parameter_value(v) + ", not an integer");
      if (kind == ParameterKind::Integer) axis.values.emplace_back(std::in_place_type<std::int64_t>, std::llround(v));
      else axis.values.emplace_back(std::in_place_type<double>, v);
    }
  }
  if (axis.values.empty()) throw ConfigError("grid " + axis.name + ": no value");
  return axis;
}

std::vector<Config> expand_grid(const Config& base, std::span<const GridAxis> axes) {
  double combinations = 1.0;
  for (const GridAxis& axis : axes) {
    combinations *= static_cast<double>(axis.values.size());
    for (const ParameterValue& value : axis.values) {
      Config alone = base;  // a value invalid on its own is named as such
      try {
        set_axis(alone, axis.name, value);
        alone.validate();
      } catch (const ConfigError& e) {
        throw ConfigError("grid value " + axis_value_text(axis.name, value) + ": " + e.what());
      }
    }
  }
  if (combinations > static_cast<double>(kMaxGridConfigs))
    throw ConfigError("the grid has " + format_parameter_value(combinations) + " combinations, more than " +
                      std::to_string(kMaxGridConfigs));
  std::vector<Config> configs;
  configs.reserve(static_cast<std::size_t>(combinations));
  std::vector<std::size_t> at(axes.size(), 0);
  for (std::size_t c = 0; c < static_cast<std::size_t>(combinations); ++c) {
    Config config = base;
    std::string described;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      set_axis(config, axes[a].name, axes[a].values[at[a]]);
      described += (a ? ", " : "") + axis_value_text(axes[a].name, axes[a].values[at[a]]);
    }
    try {
      config.validate();
    } catch (const ConfigError& e) {
      throw ConfigError("grid combination " + described + ": " + e.what());
    }
    configs.push_back(config);
    for (std::size_t a = axes.size(); a-- > 0;) {  // the last axis fastest
      if (++at[a] < axes[a].values.size()) break;
      at[a] = 0;
    }
  }
  return configs;
}

}  // namespace atc::io
