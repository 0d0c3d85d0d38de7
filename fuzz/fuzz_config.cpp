// The config readers (include/atc/config_io.hpp) on arbitrary bytes, each input read as
// a JSON and as a TOML file. A bad file is an atc::ConfigError; anything else thrown, or
// a crash, is a finding. A config that loads reads back through get_parameter and
// set_parameter unchanged, and Config::validate either accepts it or throws ConfigError.
#include <cstring>

#include "atc/config_io.hpp"
#include "atc/error.hpp"
#include "check.hpp"
#include "input_file.hpp"

namespace {

bool same_config(const atc::Config& a, const atc::Config& b) {
  // Doubles by their bits: a NaN weight read from a file must survive the round trip too.
  return a.length == b.length && std::memcmp(a.weight.data(), b.weight.data(), sizeof a.weight) == 0 &&
         a.robustness == b.robustness && std::memcmp(&a.lambda, &b.lambda, sizeof a.lambda) == 0 &&
         std::memcmp(&a.decay, &b.decay, sizeof a.decay) == 0 && a.cutout == b.cutout &&
         std::memcmp(&a.long_threshold, &b.long_threshold, sizeof a.long_threshold) == 0 &&
         std::memcmp(&a.short_threshold, &b.short_threshold, sizeof a.short_threshold) == 0 &&
         a.strategy == b.strategy;
}

void check_loaded(const atc::Config& config) {
  atc::Config copy;
  for (const atc::io::ParameterInfo& p : atc::io::parameters())
    atc::io::set_parameter(copy, p.name, atc::io::get_parameter(config, p.name));
  ATC_FUZZ_CHECK(same_config(copy, config));
  try {
    config.validate();
  } catch (const atc::ConfigError&) {
  }
}

void load(const std::filesystem::path& path) {
  atc::Config config;
  try {
    config = atc::io::load_config_file(path);
  } catch (const atc::ConfigError&) {
    return;
  }
  check_loaded(config);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static atc::fuzz::InputFile json(".json"), toml(".toml");
  load(json.write(data, size));
  load(toml.write(data, size));
  return 0;
}
