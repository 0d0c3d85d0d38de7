// freqtrade's data directory: file names (symbol_of_file) and its JSON candle files.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "atc/error.hpp"
#include "atc/io.hpp"
#include "io/input_file.hpp"
#include "io/timestamps.hpp"

namespace atc::io {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A JSON value as quoted in a message, at most kEchoLimit characters.
std::string echo(const nlohmann::json& value) {
  constexpr std::size_t kEchoLimit = 60;
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kEchoLimit) text = text.substr(0, kEchoLimit) + "… (" + std::to_string(text.size()) + " bytes)";
  return text;
}

// freqtrade's timeframes: 1m, 15m, 4h, 1d, 1w, 1M, 1y, ...
bool is_timeframe(std::string_view text) {
  if (text.size() < 2 || std::string_view("smhdwMy").find(text.back()) == std::string_view::npos) return false;
  text.remove_suffix(1);
  for (const char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

// The candle types freqtrade appends after the timeframe (its CandleType values).
constexpr std::array<std::string_view, 6> kCandleTypes{"futures", "mark", "index", "premiumIndex",
                                                       "funding_rate", "spot"};

// The value of one candle's field: a number as the double the JSON text gives, null as
// no value; nullopt for anything else.
std::optional<double> candle_value(const nlohmann::json& value) {
  if (value.is_null()) return kNaN;
  if (value.is_number()) return value.get<double>();
  return std::nullopt;
}

// An integer number of milliseconds (a float that is one counts: some writers emit 1.7e12).
std::optional<std::int64_t> candle_milliseconds(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();  // unsigned above 2^63 is not a date
  if (!value.is_number_float()) return std::nullopt;
  const double ms = value.get<double>();
  constexpr double kLimit = 9.2e18;  // below 2^63, so the cast is defined
  if (!(std::abs(ms) < kLimit) || ms != std::floor(ms)) return std::nullopt;
  return static_cast<std::int64_t>(ms);
}

}  // namespace

std::string symbol_of_file(const std::filesystem::path& path) {
  const std::string stem = path.stem().string();
  std::string_view symbol = stem;
  const auto strip_last = [&](auto&& matches) {
    const std::size_t dash = symbol.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || !matches(symbol.substr(dash + 1))) return false;
    symbol = symbol.substr(0, dash);
    return true;
  };
  const std::string_view before_type = symbol;
  const bool typed = strip_last([](std::string_view part) {
    return std::find(kCandleTypes.begin(), kCandleTypes.end(), part) != kCandleTypes.end();
  });
  // A candle type counts only after a timeframe: "X-spot" alone keeps its name.
  if (!strip_last(is_timeframe) && typed) symbol = before_type;
  return std::string(symbol);
}

CsvSeries read_freqtrade_json(const std::filesystem::path& path) {
  const std::string file = path.string();
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(detail::read_input_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file + ": not valid JSON: " + e.what());
  }
  if (!document.is_array())
    throw InputError(file + ": expected a JSON array of candles [timestamp_ms, open, high, low, close, volume]"
                            " (freqtrade's json data format), found a JSON " + std::string(document.type_name()));
  if (document.empty()) throw InputError(file + ": no candles (an empty JSON array)");

  CsvSeries series;
  series.symbol = symbol_of_file(path);
  series.source = file;
  series.close_column = "close";
  series.time_format = detail::format_name(TimeFormat::EpochMilliseconds, 0, false);
  series.timestamp_format = TimeFormat::EpochMilliseconds;
  const std::size_t candles = document.size();
  series.timestamps.reserve(candles);

  const auto issue = [&](std::size_t index, const std::string& reason) {
    if (series.issues.size() < kMaxIssuesPerSeries)
      series.issues.push_back({index + 1, 0, file + ": candle [" + std::to_string(index) + "]: " + reason});
  };
  static constexpr std::array<std::string_view, 5> kFields{"open", "high", "low", "close", "volume"};
  const std::array<std::vector<double>*, 5> columns{&series.open, &series.high, &series.low, &series.close,
                                                    &series.volume};
  for (std::vector<double>* column : columns) column->reserve(candles);
  std::optional<std::int64_t> previous;  // the last timestamp that was an integer
  for (std::size_t i = 0; i < candles; ++i) {
    const nlohmann::json& candle = document[i];
    if (!candle.is_array() || candle.size() != 6)
      throw InputError(file + ": candle [" + std::to_string(i) +
                       "]: expected an array of 6 values [timestamp_ms, open, high, low, close, volume], found " +
                       (candle.is_array() ? std::to_string(candle.size()) + " values"
                                          : "a JSON " + std::string(candle.type_name())));
    const std::optional<std::int64_t> ms = candle_milliseconds(candle[0]);
    series.timestamps.push_back(ms ? std::to_string(*ms) : echo(candle[0]));
    if (!ms) {
      issue(i, "timestamp " + echo(candle[0]) + " is not an integer of epoch milliseconds");
    } else {
      if (previous && *ms == *previous) issue(i, "duplicate timestamp " + std::to_string(*ms));
      else if (previous && *ms < *previous)
        issue(i, "timestamp " + std::to_string(*ms) + " is before the previous one " + std::to_string(*previous) +
                     ": candles must be sorted oldest first");
      previous = ms;
    }
    for (std::size_t f = 0; f < kFields.size(); ++f) {
      const std::optional<double> value = candle_value(candle[f + 1]);
      if (!value) issue(i, std::string(kFields[f]) + " " + echo(candle[f + 1]) + " is not a number");
      columns[f]->push_back(value.value_or(kNaN));
    }
  }
  return series;
}

}  // namespace atc::io
