#include "io/timestamps.hpp"

#include <charconv>
#include <chrono>

namespace atc::io::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads `text` left to right; every read either consumes what it matched or fails.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  std::size_t position() const { return pos_; }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // `min` to `max` digits. What follows is the next field's business: a digit there
  // fails it, as every field is followed by a separator or the end.
  std::optional<int> number(std::size_t min, std::size_t max) {
    std::size_t count = 0;
    int value = 0;
    while (count < max && pos_ + count < text_.size() && is_digit(text_[pos_ + count]))
      value = value * 10 + (text_[pos_ + count++] - '0');
    if (count < min) return std::nullopt;
    pos_ += count;
    return value;
  }
  // Digits after a decimal point, as nanoseconds; digits past the ninth are dropped.
  std::optional<std::int32_t> fraction() {
    std::int32_t nanoseconds = 0, scale = 100'000'000;
    const std::size_t begin = pos_;
    for (; !done() && is_digit(text_[pos_]); ++pos_, scale /= 10)
      nanoseconds += (text_[pos_] - '0') * scale;
    if (pos_ == begin) return std::nullopt;
    return nanoseconds;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// An optional sign and digits only: an epoch count.
std::optional<std::int64_t> epoch_integer(std::string_view text) {
  const std::size_t digits_from = text.starts_with('-') ? 1 : 0;
  if (text.size() == digits_from) return std::nullopt;
  for (std::size_t i = digits_from; i < text.size(); ++i)
    if (!is_digit(text[i])) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;  // too large
  return value;
}

// h[h]:mm[:ss[.f…]] then an optional Z, ±hh, ±hhmm or ±hh:mm.
bool read_time_of_day(Cursor& cursor, TimestampFields& fields) {
  const std::optional<int> hour = cursor.number(1, 2);
  if (!hour || !cursor.take(':')) return false;
  const std::optional<int> minute = cursor.number(2, 2);
  if (!minute) return false;
  fields.hour = *hour;
  fields.minute = *minute;
  if (cursor.take(':')) {
    const std::optional<int> second = cursor.number(2, 2);
    if (!second) return false;
    fields.second = *second;
    if (cursor.take('.')) {
      const std::optional<std::int32_t> nanoseconds = cursor.fraction();
      if (!nanoseconds) return false;
      fields.nanoseconds = *nanoseconds;
    }
  }
  if (cursor.take('Z')) {
    fields.utc_offset = true;
  } else if (cursor.peek() == '+' || cursor.peek() == '-') {
    const int sign = cursor.peek() == '-' ? -1 : 1;
    cursor.take(cursor.peek());
    const std::optional<int> hours = cursor.number(2, 2);
    if (!hours) return false;
    std::optional<int> minutes = 0;
    if (cursor.take(':') || is_digit(cursor.peek())) minutes = cursor.number(2, 2);
    if (!minutes) return false;
    fields.utc_offset = true;
    fields.offset_hours = sign * *hours;
    fields.offset_minutes = sign * *minutes;
  }
  return cursor.done();
}

bool valid_time_of_day(const TimestampFields& f) {
  return f.hour <= 23 && f.minute <= 59 && f.second <= 59 && f.offset_hours >= -23 &&
         f.offset_hours <= 23 && f.offset_minutes >= -59 && f.offset_minutes <= 59;
}

}  // namespace

std::optional<TimestampFields> split_timestamp(std::string_view text) {
  TimestampFields fields;
  if (const std::optional<std::int64_t> epoch = epoch_integer(text)) {
    fields.epoch = *epoch;
    return fields;
  }
  // yyyy-m[m]-d[d] or d[d]-m[m]-yyyy (either of the first two fields may be the day),
  // with '-', '/' or '.' between the fields.
  Cursor cursor(text);
  const std::optional<int> first = cursor.number(1, 4);
  const bool year_first = cursor.position() == 4;
  fields.separator = cursor.peek();
  if (!first || cursor.position() == 3 ||
      (fields.separator != '-' && fields.separator != '/' && fields.separator != '.'))
    return std::nullopt;
  cursor.take(fields.separator);
  const std::optional<int> second = cursor.number(1, 2);
  if (!second || !cursor.take(fields.separator)) return std::nullopt;
  const std::optional<int> third = year_first ? cursor.number(1, 2) : cursor.number(4, 4);
  if (!third) return std::nullopt;
  fields.layout = year_first ? TimestampFields::Layout::YearFirst : TimestampFields::Layout::YearLast;
  fields.year = year_first ? *first : *third;
  fields.lead = year_first ? *second : *first;
  fields.middle = year_first ? *third : *second;
  if (cursor.done()) return fields;
  if (!cursor.take('T') && !cursor.take(' ')) return std::nullopt;
  if (!read_time_of_day(cursor, fields)) return std::nullopt;
  return fields;
}

std::optional<Instant> instant_of(const TimestampFields& fields, TimeFormat format) {
  using namespace std::chrono;
  switch (format) {
    case TimeFormat::EpochSeconds:
      return Instant{fields.epoch, 0};
    case TimeFormat::EpochMilliseconds: {
      // Floor division: -1 ms is 999 ms past the second before the epoch.
      std::int64_t seconds = fields.epoch / 1000, milliseconds = fields.epoch % 1000;
      if (milliseconds < 0) {
        --seconds;
        milliseconds += 1000;
      }
      return Instant{seconds, static_cast<std::int32_t>(milliseconds * 1'000'000)};
    }
    case TimeFormat::Auto:
      return std::nullopt;
    case TimeFormat::YearMonthDay:
    case TimeFormat::DayMonthYear:
    case TimeFormat::MonthDayYear:
      break;
  }
  const bool day_first = format == TimeFormat::DayMonthYear;
  const int month_number = day_first ? fields.middle : fields.lead;
  const int day_number = day_first ? fields.lead : fields.middle;
  const year_month_day date{year{fields.year}, month{static_cast<unsigned>(month_number)},
                            day{static_cast<unsigned>(day_number)}};
  if (!date.ok() || !valid_time_of_day(fields)) return std::nullopt;
  const std::int64_t days = sys_days(date).time_since_epoch().count();
  const std::int64_t seconds = days * 86'400 + fields.hour * 3'600 + fields.minute * 60 +
                               fields.second - (fields.offset_hours * 60 + fields.offset_minutes) * 60;
  return Instant{seconds, fields.nanoseconds};
}

TimeFormat epoch_unit_of(std::int64_t epoch) {
  const bool milliseconds = epoch >= kEpochMillisecondsFrom || epoch <= -kEpochMillisecondsFrom;
  return milliseconds ? TimeFormat::EpochMilliseconds : TimeFormat::EpochSeconds;
}

std::string format_name(TimeFormat format, char separator, bool utc_offset) {
  std::string name;
  const auto date = [&](std::string_view a, std::string_view b, std::string_view c) {
    name.append(a).append(1, separator).append(b).append(1, separator).append(c);
  };
  switch (format) {
    case TimeFormat::Auto:
      return name;
    case TimeFormat::EpochSeconds:
      return "epoch seconds";
    case TimeFormat::EpochMilliseconds:
      return "epoch milliseconds";
    case TimeFormat::YearMonthDay:
      date("yyyy", "mm", "dd");
      break;
    case TimeFormat::DayMonthYear:
      date("dd", "mm", "yyyy");
      break;
    case TimeFormat::MonthDayYear:
      date("mm", "dd", "yyyy");
      break;
  }
  if (utc_offset) name += " with UTC offsets";
  return name;
}

}  // namespace atc::io::detail

namespace atc::io {

std::optional<double> timestamp_seconds(const CsvSeries& series, std::size_t row) {
  if (series.timestamp_format == TimeFormat::Auto || row >= series.timestamps.size()) return std::nullopt;
  const std::optional<detail::TimestampFields> fields = detail::split_timestamp(series.timestamps[row]);
  if (!fields) return std::nullopt;
  const std::optional<detail::Instant> instant = detail::instant_of(*fields, series.timestamp_format);
  if (!instant) return std::nullopt;
  return static_cast<double>(instant->seconds) + instant->nanoseconds * 1e-9;
}

}  // namespace atc::io
