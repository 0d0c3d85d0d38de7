// --timeframes: a series' bars resampled to coarser ones, by the rules of Python's
// atc.resample_closes (docs/SEMANTICS.md §10 "Timeframes").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "atc/io.hpp"

namespace atc::cli {

// A bar length: a whole number of seconds, minutes, hours or days.
struct Timeframe {
  std::string name;  // as given, e.g. "4h"; it names the timeframe's output columns
  std::int64_t seconds = 0;
};

// "30s", "15m" (or "15min"), "4h", "1d" (the unit case-insensitive but for m: "1M", a
// month, is no fixed length); nullopt for anything else.
std::optional<Timeframe> parse_timeframe(std::string_view text);

// Whether a bucket still forming at the end of the data is kept ("keep") or left out
// ("drop", the default of atc.resample_closes).
enum class PartialBucket { Drop, Keep };

// The bars of `series` from `first_bar` on, resampled to `timeframe`. Buckets are
// [origin + k * length, origin + (k + 1) * length) with origin the midnight (UTC, or the
// wall clock for timestamps without offsets) of the first bar's day, as pandas'
// resample(origin="start_day"). Of each bucket holding bars: open is the first value
// that is not NaN, high the largest, low the smallest, close the last, volume the sum
// (NaN when every value is NaN; volume 0); its timestamp is that of its last bar, when
// its close became known. With PartialBucket::Drop the last bucket is left out when its
// end lies after the last bar plus the median bar spacing (it is still forming).
// Throws InputError "SYMBOL: reason" when the series has no timestamps.
io::CsvSeries resample(const io::CsvSeries& series, std::size_t first_bar, const Timeframe& timeframe,
                       PartialBucket partial);

}  // namespace atc::cli
