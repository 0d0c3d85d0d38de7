// Timestamps of CSV files read as instants (the formats of docs/SEMANTICS.md §10). The
// parsers are hand-written: they run once per row of thousands of files.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "atc/io.hpp"

namespace atc::io::detail {

// A point in time: seconds since 1970-01-01 00:00 (UTC when the timestamps carry an
// offset, the wall clock as written otherwise) and the fraction of that second.
struct Instant {
  std::int64_t seconds = 0;
  std::int32_t nanoseconds = 0;
  auto operator<=>(const Instant&) const = default;
};

// One timestamp cell split into its fields. Which of the two leading fields of a date
// like 03/04/2025 is the day is left open: the other rows of the series decide.
struct TimestampFields {
  enum class Layout { Epoch, YearFirst, YearLast };
  Layout layout = Layout::Epoch;
  char separator = 0;       // between the date fields: '-', '/' or '.'
  bool utc_offset = false;  // ends in Z, ±hh, ±hhmm or ±hh:mm
  std::int64_t epoch = 0;   // Layout::Epoch: the integer as written
  int year = 0;
  int lead = 0, middle = 0;  // the date fields before the day (YearFirst) or the year (YearLast)
  int hour = 0, minute = 0, second = 0;
  std::int32_t nanoseconds = 0;
  int offset_hours = 0, offset_minutes = 0;  // east of UTC, both negative west of it
};

// nullopt when `text` has none of the accepted shapes. Ranges (month 13, 25:00, 30
// February) are not checked here but by instant_of.
std::optional<TimestampFields> split_timestamp(std::string_view text);

// The instant `fields` name when read in `format` (not Auto, and of the fields' layout);
// nullopt for a date or time that does not exist.
std::optional<Instant> instant_of(const TimestampFields& fields, TimeFormat format);

// The unit an epoch integer is read in without --time-format: milliseconds from
// kEpochMillisecondsFrom in magnitude on (1e11 s is the year 5138, 1e11 ms is 1973).
inline constexpr std::int64_t kEpochMillisecondsFrom = 100'000'000'000;
TimeFormat epoch_unit_of(std::int64_t epoch);

// For messages and CsvSeries::time_format: "yyyy-mm-dd", "dd.mm.yyyy with UTC offsets",
// "epoch milliseconds".
std::string format_name(TimeFormat format, char separator, bool utc_offset);

}  // namespace atc::io::detail
