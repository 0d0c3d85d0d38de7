// Config files and Config::validate() on hostile values: every failure is a ConfigError
// that names the file (where there is one) and the parameter.
#include <gtest/gtest.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "atc/config_io.hpp"

namespace atc {
namespace {

std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string config_error_of(const std::filesystem::path& path) {
  try {
    io::load_config_file(path).validate();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigFile, ANumberBeyondDoubleRangeIsAConfigErrorNamingTheFile) {
  const auto path = write_file("atc_lambda_1e309.json", R"({"lambda": 1e309})");
  const std::string message = config_error_of(path);
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST(ConfigFile, DuplicateJsonKeysAreRefusedAsTomlRefusesThem) {
  const auto path = write_file("atc_duplicate.json", R"({"ema_len": 20, "cutout": 3, "ema_len": 30})");
  const std::string message = config_error_of(path);
  EXPECT_NE(message.find("duplicate key 'ema_len'"), std::string::npos) << message;
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  // The same key in two objects is not a duplicate (nested values are refused later, as
  // parameters must be numbers, strings or booleans).
  const auto nested = write_file("atc_nested.json", R"({"ema_len": 20, "hma_len": 21})");
  EXPECT_EQ(config_error_of(nested), "");
}

TEST(ConfigFile, ADeeplyDottedTomlHeaderIsRefusedBeforeTheParserRecurses) {
  std::string header = "[t";
  for (int i = 0; i < 5000; ++i) header += ".t";
  const auto path = write_file("atc_deep.toml", header + "]\nema_len = 20\n");
  const std::string message = config_error_of(path);
  EXPECT_NE(message.find("nested more than"), std::string::npos) << message;
  std::string deep_json;
  for (int i = 0; i < 100; ++i) deep_json += "[";
  const auto json = write_file("atc_deep.json", deep_json);
  EXPECT_NE(config_error_of(json).find("nested more than"), std::string::npos);
}

TEST(ConfigFile, InvalidUtf8AndControlCharactersAreRefusedBeforeParsing) {
  const auto bad = write_file("atc_bad_utf8.toml", "[t\xEF\xBA\xBF" "e]r\x7f" "bust\n");
  EXPECT_NE(config_error_of(bad).find("control character"), std::string::npos) << config_error_of(bad);
  const auto latin1 = write_file("atc_latin1.toml", "robustness = \"M\xe9" "dium\"\n");
  EXPECT_NE(config_error_of(latin1).find("not valid UTF-8"), std::string::npos) << config_error_of(latin1);
}

TEST(ConfigFile, NonAsciiOutsideCommentsIsRefusedBeforeTomlParsing) {
  // toml++ 3.3 reaches an "unreachable" branch on each of these (found by fuzz_config).
  for (const std::string text : {
           "[t\xEF\xBA\xBF" "eust]\n",          // in a table header
           "ema_len = 10\xC3\xA4\n",            // in a bare value
           "x = 0a\":\xEF\xAE\xBF\"\n",         // a quote inside a bare value opens no string
           "x = =\"\xC3\xA4\"\n",               // nor does one after a value's first character
           "x = 1979-05-27{\"\xC3\xA4\"\n",        // nor one after a brace in a value
           "x = \"a\"\xC3\xA4\n",               // right after a string
           "x = \"\\\xC3\xA4\"\n",              // escaped
           "x = \"\"\"\\\n\xC3\xA4\"\"\"\n",    // after a line-ending backslash
           "x = \"\"\"a\"\"\"\"\xC3\xA4\"\n",  // after a multi-line string
           "k ={\"t =r \"\xC3\xA4\"m\n",          // a string opening right after "={" (fuzz_config)
           "robustness = \"W\xC3\xA4" "de\"\n"}) {  // in a string: keys and values are ASCII
    const auto path = write_file("atc_non_ascii.toml", text);
    EXPECT_NE(config_error_of(path).find("non-ASCII character outside a comment"), std::string::npos)
        << text << ": " << config_error_of(path);
  }
  const auto ok = write_file("atc_non_ascii_ok.toml",
                             "\xEF\xBB\xBF# L\xC3\xA4nge\nema_len = 20  # \xC3\xA4\nrobustness = 'Wide'\n");
  EXPECT_EQ(config_error_of(ok), "");
}

TEST(ConfigFile, AHugeFileIsRefusedByItsSize) {
  const auto path = write_file("atc_huge.json", "{\"ema_len\": 20" + std::string(100'000, ' ') + "}");
  EXPECT_NE(config_error_of(path).find("too large"), std::string::npos) << config_error_of(path);
}

TEST(ConfigFile, OrdinaryFilesStillLoad) {
  const auto toml = write_file("atc_ok.toml", "# parameters\nema_len = 20\nlambda = 0.05\nrobustness = \"Wide\"\n");
  EXPECT_EQ(config_error_of(toml), "");
  EXPECT_EQ(io::load_config_file(toml).length_of(Family::EMA), 20);
  const auto json = write_file("atc_ok.json", "{\n  \"decay\": 0.5,\n  \"strategy\": true\n}\n");
  EXPECT_EQ(config_error_of(json), "");
}

TEST(ConfigValidate, BaseLengthsNearIntLimitsAreRefusedWithoutOverflow) {
  for (int length : {INT_MAX, kMaxBaseLength + 1}) {
    Config config;
    config.length_of(Family::EMA) = length;
    try {
      config.validate();
      ADD_FAILURE() << "ema_len = " << length << " accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("too long"), std::string::npos) << e.what();
    }
  }
  Config config;
  config.length_of(Family::KAMA) = INT_MIN;
  try {
    config.validate();
    ADD_FAILURE() << "kama_len = INT_MIN accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("kama_len = -2147483648"), std::string::npos) << message;
    EXPECT_EQ(message.find("18446744"), std::string::npos) << "a wrapped number: " << message;
  }
  config.length_of(Family::KAMA) = kMaxBaseLength;
  EXPECT_NO_THROW(config.validate());
}

TEST(ComputeTable, AWrappingBarsTimesSymbolsProductIsRefused) {
  const std::vector<double> close(4, 100.0);
  const std::vector<std::string> symbols{"A", "B", "C", "D"};
  // (2^62 + 1) · 4 wraps to 4 in 64 bits: it must not pass for the four values given.
  const std::size_t n_bars = (std::size_t{1} << 62) + 1;
  EXPECT_THROW(compute_table(close, n_bars, symbols, Config{}), InputError);
}

}  // namespace
}  // namespace atc
