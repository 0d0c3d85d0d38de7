#include "timeframes.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "atc/error.hpp"

namespace atc::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kSecondsPerDay = 86400.0;

// The median of the spacings of `instants` (the mean of the middle two for an even
// count), as pandas' Series.diff().median().
double median_spacing(const std::vector<double>& instants) {
  std::vector<double> spacing(instants.size() - 1);
  for (std::size_t i = 1; i < instants.size(); ++i) spacing[i - 1] = instants[i] - instants[i - 1];
  std::sort(spacing.begin(), spacing.end());
  const std::size_t middle = spacing.size() / 2;
  return spacing.size() % 2 ? spacing[middle] : (spacing[middle - 1] + spacing[middle]) / 2.0;
}

// One bucket's aggregate of a column, NaN skipped as pandas' first/last/max/min/sum do.
struct Aggregate {
  double first = kNaN, last = kNaN, high = kNaN, low = kNaN, sum = 0.0;
  void add(double value) {
    if (std::isnan(value)) return;
    if (std::isnan(first)) first = value;
    last = value;
    high = std::isnan(high) ? value : std::max(high, value);
    low = std::isnan(low) ? value : std::min(low, value);
    sum += value;
  }
};

}  // namespace

std::optional<Timeframe> parse_timeframe(std::string_view text) {
  std::int64_t count = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (error != std::errc() || end == text.data() || count <= 0) return std::nullopt;
  std::string unit(end, text.data() + text.size());
  // "1H" and "1D" as pandas writes them, but "1M" is a month (no fixed length).
  if (!unit.starts_with('M'))
    for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::array<std::pair<std::string_view, std::int64_t>, 5> kUnits{
      {{"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400}}};
  for (const auto& [name, seconds] : kUnits)
    if (unit == name && count <= std::numeric_limits<std::int64_t>::max() / seconds)
      return Timeframe{std::string(text), count * seconds};
  return std::nullopt;
}

io::CsvSeries resample(const io::CsvSeries& series, std::size_t first_bar, const Timeframe& timeframe,
                       PartialBucket partial) {
  const std::size_t bars = series.close.size();
  std::vector<double> instants;
  instants.reserve(bars - std::min(first_bar, bars));
  for (std::size_t t = first_bar; t < bars; ++t) {
    const std::optional<double> instant = io::timestamp_seconds(series, t);
    if (!instant) {
      if (series.timestamps.empty())
        throw InputError(series.symbol + ": " + series.source +
                         " has no timestamp column, and --timeframes needs the time of every bar");
      throw InputError(series.symbol + ": timestamp '" + series.timestamps[t] + "' of " + series.source +
                       " gives no instant, and --timeframes needs the time of every bar");
    }
    instants.push_back(*instant);
  }

  io::CsvSeries coarse = series;  // symbol, source, time format, ...
  coarse.timestamps.clear();
  for (std::vector<double>* column : {&coarse.close, &coarse.open, &coarse.high, &coarse.low, &coarse.volume})
    column->clear();
  if (instants.empty()) return coarse;

  const double origin = std::floor(instants.front() / kSecondsPerDay) * kSecondsPerDay;
  const double length = static_cast<double>(timeframe.seconds);
  const auto bucket_of = [&](double instant) { return std::floor((instant - origin) / length); };
  double last_bucket = 0.0;
  for (std::size_t begin = 0; begin < instants.size();) {
    const double bucket = bucket_of(instants[begin]);
    std::size_t end = begin;
    Aggregate close, open, high, low, volume;
    for (; end < instants.size() && bucket_of(instants[end]) == bucket; ++end) {
      const std::size_t t = first_bar + end;
      close.add(series.close[t]);
      if (!series.open.empty()) open.add(series.open[t]);
      if (!series.high.empty()) high.add(series.high[t]);
      if (!series.low.empty()) low.add(series.low[t]);
      if (!series.volume.empty()) volume.add(series.volume[t]);
    }
    coarse.timestamps.push_back(series.timestamps[first_bar + end - 1]);
    coarse.close.push_back(close.last);
    if (!series.open.empty()) coarse.open.push_back(open.first);
    if (!series.high.empty()) coarse.high.push_back(high.high);
    if (!series.low.empty()) coarse.low.push_back(low.low);
    if (!series.volume.empty()) coarse.volume.push_back(volume.sum);
    last_bucket = bucket;
    begin = end;
  }

  if (partial == PartialBucket::Drop && instants.size() > 1) {
    const double bucket_end = origin + (last_bucket + 1.0) * length;
    if (instants.back() + median_spacing(instants) < bucket_end) {
      coarse.timestamps.pop_back();
      for (std::vector<double>* column : {&coarse.close, &coarse.open, &coarse.high, &coarse.low, &coarse.volume})
        if (!column->empty()) column->pop_back();
    }
  }
  return coarse;
}

}  // namespace atc::cli
