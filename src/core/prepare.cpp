#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "atc/error.hpp"
#include "formulas.hpp"
#include "prepared.hpp"
#include "ticks.hpp"
#include "worker_pool.hpp"

namespace atc::detail {

std::string symbol_message(std::string_view symbol, std::int64_t bar, const std::string& reason) {
  std::string msg = "symbol '" + std::string(symbol) + "'";
  if (bar >= 0) msg += ", bar " + std::to_string(bar);
  return msg + ": " + reason;
}

namespace {

std::string number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

SymbolStatus fail(std::string_view symbol, StatusCode code, std::int64_t bar,
                  const std::string& reason) {
  return SymbolStatus{code, bar, symbol_message(symbol, bar, reason), 0};
}

}  // namespace

SymbolStatus empty_status(std::string_view symbol) {
  return fail(symbol, StatusCode::Empty, -1, "no bar with a finite close");
}

SymbolStatus bad_bar_status(std::string_view symbol, std::int64_t bar, double close, double src) {
  if (!std::isfinite(close))
    return fail(symbol, StatusCode::NonFinite, bar, "close is " + number(close) + " after the series started");
  if (close <= 0.0)
    return fail(symbol, StatusCode::NonPositivePrice, bar, "close is " + number(close) + " (prices must be > 0)");
  return fail(symbol, StatusCode::NonFinite, bar, "src is " + number(src) + " after the series started");
}

void throw_if_cancelled(const std::stop_token& stop) {
  if (stop.stop_requested()) throw Cancelled("the computation was cancelled (a stop was requested)");
}

void fail_nonfinite_equities(const PreparedBatch& batch, std::span<const SeriesView> input,
                             std::span<const std::int64_t> nonfinite_equity_bar,
                             std::span<const std::size_t> out_offsets, std::vector<SymbolStatus>& status,
                             BatchOutputs& outputs) {
  for (std::size_t k = 0; k < batch.series.size(); ++k) {
    if (nonfinite_equity_bar[k] < 0) continue;
    const std::size_t i = batch.batch_index[k];
    const PreparedSeries& ps = batch.series[k];
    const auto bar = static_cast<std::int64_t>(ps.out_offset - out_offsets[i]) + nonfinite_equity_bar[k];
    const std::size_t filled = status[i].filled_bars;
    status[i] = fail(input[i].symbol, StatusCode::EquityOverflow, bar, std::string(kEquityOverflowReason));
    status[i].filled_bars = filled;
    outputs.clear_rows(out_offsets[i], out_offsets[i + 1]);
  }
}

namespace {

// One symbol through the price checks of prepare_prices: its series when it passes, with
// its forward-filled copy (close then src) when a gap was filled; `status` written.
struct PricedSymbol {
  bool ok = false;
  PreparedSeries series;
  std::vector<double> filled;
};

// Whether every bar from `start` on has a finite close above 0 (and a finite src): the
// common case, decided without a branch per bar; only a series that fails it is walked
// bar by bar for its first bad bar.
bool all_prices(const SeriesView& s, std::size_t start) {
  constexpr double kMax = std::numeric_limits<double>::max();
  bool good = true;  // NaN fails every comparison, ±inf the bound
  for (std::size_t t = start; t < s.close.size(); ++t) good &= (s.close[t] > 0.0) & (s.close[t] <= kMax);
  if (!s.src.empty())
    for (std::size_t t = start; t < s.src.size(); ++t) good &= (s.src[t] >= -kMax) & (s.src[t] <= kMax);
  return good;
}

PricedSymbol price_symbol(const SeriesView& s, GapPolicy gaps, std::size_t out_offset, SymbolStatus& status) {
  PricedSymbol priced;
  const bool has_src = !s.src.empty();
  if (has_src && s.src.size() != s.close.size()) {
    status = fail(s.symbol, StatusCode::NonFinite, -1,
                  "src has " + std::to_string(s.src.size()) + " bars but close has " +
                      std::to_string(s.close.size()));
    return priced;
  }
  const std::size_t total = s.close.size();
  auto valid = [&](std::size_t t) {
    return std::isfinite(s.close[t]) && (!has_src || std::isfinite(s.src[t]));
  };
  std::size_t start = 0;
  while (start < total && !valid(start)) ++start;
  if (start == total) {
    status = empty_status(s.symbol);
    return priced;
  }

  // Interior gaps: an error, or forward-filled into a private copy.
  std::size_t filled_bars = 0;
  SymbolStatus bad;
  for (std::size_t t = all_prices(s, start) ? total : start; t < total && bad.ok(); ++t) {
    if (!std::isfinite(s.close[t]) || (has_src && !std::isfinite(s.src[t]))) {
      const bool close_bad = !std::isfinite(s.close[t]);
      const bool only_nan = !std::isinf(s.close[t]) && !(has_src && std::isinf(s.src[t]));
      // A NaN src beside a finite close is filled only when that close is a price.
      const bool fillable = only_nan && (close_bad || s.close[t] > 0.0);
      if (gaps == GapPolicy::ForwardFill && fillable) {
        ++filled_bars;
        continue;
      }
      bad = bad_bar_status(s.symbol, static_cast<std::int64_t>(t), s.close[t], has_src ? s.src[t] : s.close[t]);
    } else if (s.close[t] <= 0.0) {
      bad = bad_bar_status(s.symbol, static_cast<std::int64_t>(t), s.close[t], s.close[t]);
    }
  }
  if (!bad.ok()) {
    status = std::move(bad);
    return priced;
  }
  const std::size_t n = total - start;
  PreparedSeries& p = priced.series;
  p.n = n;
  p.out_offset = out_offset + start;
  if (filled_bars > 0) {
    // One buffer holding close then src, each forward-filled (R = 0 across a gap).
    auto& buf = priced.filled;
    buf.resize(2 * n);
    for (std::size_t t = 0; t < n; ++t) {
      const double c = s.close[start + t], x = has_src ? s.src[start + t] : c;
      buf[t] = std::isnan(c) ? buf[t - 1] : c;
      buf[n + t] = std::isnan(x) ? buf[n + t - 1] : x;
    }
    p.close = buf.data();  // the buffer moves into PreparedBatch::filled, its data stays
    p.src = buf.data() + n;
    status.filled_bars = filled_bars;
  } else {
    p.close = s.close.data() + start;
    p.src = has_src ? s.src.data() + start : p.close;
  }
  const SeriesTicks ticks = series_ticks(p.close, p.src, n);
  p.ticks = ticks.scale;
  p.max_tick = ticks.max_tick;
  p.ticks_representable = ticks.representable;
  priced.ok = true;
  return priced;
}

// Threads for checking `values` prices: one per kValuesPerWorker (handing work to a
// thread costs microseconds, so that a small batch stays on the calling thread), at most `threads`
// (0 = the hardware's) and the number of symbols.
unsigned price_workers(std::size_t values, std::size_t symbols, int threads) {
  constexpr std::size_t kValuesPerWorker = std::size_t{1} << 16;
  const unsigned limit = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min({values / kValuesPerWorker, symbols,
                                                                  static_cast<std::size_t>(limit)})));
}

}  // namespace

PreparedBatch prepare_prices(std::span<const SeriesView> input, GapPolicy gaps, std::span<const std::size_t> out_offsets,
                             std::vector<SymbolStatus>& status, int threads) {
  PreparedBatch batch;
  status.assign(input.size(), SymbolStatus{});
  std::vector<PricedSymbol> priced(input.size());
  std::size_t values = 0;
  for (const SeriesView& s : input) values += s.close.size() + s.src.size();
  // Symbols are checked independently (in blocks handed out by a counter), then taken in
  // order: the same batch, statuses and messages for any number of workers.
  constexpr std::size_t kBlock = 16;
  std::atomic<std::size_t> next{0};
  run_parts(price_workers(values, input.size(), threads), [&](unsigned) {
    for (std::size_t b = next.fetch_add(kBlock); b < input.size(); b = next.fetch_add(kBlock))
      for (std::size_t i = b; i < std::min(b + kBlock, input.size()); ++i)
        priced[i] = price_symbol(input[i], gaps, out_offsets[i], status[i]);
  });
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (!priced[i].ok) continue;
    if (!priced[i].filled.empty()) batch.filled.push_back(std::move(priced[i].filled));
    batch.series.push_back(priced[i].series);
    batch.batch_index.push_back(i);
    batch.max_bars = std::max(batch.max_bars, priced[i].series.n);
  }
  return batch;
}

SymbolStatus admit(const PreparedSeries& p, std::string_view symbol, const Config& config, bool& wide) {
  const std::size_t n = p.n;
  const std::size_t min_bars = config.min_bars();
  if (n < min_bars)
    return fail(symbol, StatusCode::TooShort, -1,
                "only " + std::to_string(n) + " valid bars; the slowest moving average needs " +
                    std::to_string(min_bars));
  if (static_cast<std::size_t>(config.cutout) >= n)
    return fail(symbol, StatusCode::TooShort, -1,
                "cutout = " + std::to_string(config.cutout) + " leaves none of its " + std::to_string(n) +
                    " valid bars to compute");
  const double exponent = config.growth_rate() * (static_cast<double>(n) - 1.0 - config.cutout);
  if (exponent > formulas::kMaxGrowthExponent)
    return fail(symbol, StatusCode::GrowthOverflow, -1,
                "lambda/1000 * (bars - 1 - cutout) = " + number(exponent) +
                    " > 700 would overflow the growth factor; use fewer bars or a smaller lambda");
  const SumWidth width = sum_width(SeriesTicks{p.ticks, p.max_tick, p.ticks_representable}, config.max_length());
  if (width == SumWidth::OutOfRange)
    return fail(symbol, StatusCode::TickRange, -1,
                "its prices span too wide a range for exact window arithmetic (largest tick " +
                    number(p.max_tick) + "; see docs/SEMANTICS.md §3a)");
  wide = width == SumWidth::Wide;
  return {};
}

PreparedBatch prepare(std::span<const SeriesView> input, const Config& config, GapPolicy gaps,
                      std::span<const std::size_t> out_offsets, std::vector<SymbolStatus>& status, int threads) {
  PreparedBatch priced = prepare_prices(input, gaps, out_offsets, status, threads);
  PreparedBatch batch;
  batch.filled = std::move(priced.filled);  // the series point into these buffers, which move along
  for (std::size_t k = 0; k < priced.series.size(); ++k) {
    PreparedSeries p = priced.series[k];
    const std::size_t i = priced.batch_index[k];
    const std::size_t filled = status[i].filled_bars;
    status[i] = admit(p, input[i].symbol, config, p.wide);
    status[i].filled_bars = filled;
    if (!status[i].ok()) continue;
    batch.any_wide = batch.any_wide || p.wide;
    batch.series.push_back(p);
    batch.batch_index.push_back(i);
    batch.max_bars = std::max(batch.max_bars, p.n);
  }
  return batch;
}

std::vector<double> growth_table(const Config& config, std::size_t n) {
  std::vector<double> g(n);
  const double la = config.growth_rate();
  for (std::size_t t = 0; t < n; ++t)
    g[t] = formulas::growth_factor(la, static_cast<int>(t), config.cutout);
  return g;
}

}  // namespace atc::detail
