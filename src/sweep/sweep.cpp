// The sweep driver: prices are validated once, each configuration admits its series,
// a backend reduces every admitted (configuration, series) pair to a SweepCell, and the
// cells become rows. The host backends run one configuration at a time into one set of
// columns reused for all of them.
#include "atc/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../backtest/backtest.hpp"
#include "atc/atc.hpp"
#include "atc/error.hpp"
#include "sweep_plan.hpp"

namespace atc {
namespace {

using detail::PreparedBatch;
using detail::SweepCell;
using detail::SweepConfig;

// The columns a sweep needs, one row per bar of every priced series (at its out_offset).
struct HostColumns {
  std::vector<double> average_signal;
  std::vector<std::int8_t> trend, state, direction, long_entry, short_entry;

  explicit HostColumns(std::size_t rows)
      : average_signal(rows), trend(rows), state(rows), direction(rows), long_entry(rows), short_entry(rows) {}
  detail::OutputColumns columns() {
    detail::OutputColumns out;
    out.average_signal = average_signal.data();
    out.trend = trend.data();
    out.state = state.data();
    out.direction = direction.data();
    out.long_entry = long_entry.data();
    out.short_entry = short_entry.data();
    return out;
  }
};

// The host backends, one configuration after another.
void run_host_sweep(Backend backend, const PreparedBatch& priced, std::span<const SweepConfig> configs,
                    const SweepOptions& options, const detail::SweepSink& sink) {
  std::size_t rows = 0;
  PreparedBatch batch;
  for (const detail::PreparedSeries& p : priced.series) rows += p.n;
  HostColumns host(rows);
  // Each priced series writes its own rows: compact, in priced order.
  std::vector<std::size_t> row_of(priced.series.size());
  for (std::size_t k = 0, at = 0; k < priced.series.size(); at += priced.series[k++].n) row_of[k] = at;
  const int source = static_cast<int>(options.backtest.source);
  const int side = static_cast<int>(options.backtest.side);
  const double fee = backtest_detail::fee_rate(options.backtest);
  std::vector<SweepCell> cells;
  std::vector<std::int64_t> nonfinite;
  for (std::size_t c = 0; c < configs.size(); ++c) {
    detail::throw_if_cancelled(options.compute.stop);
    const SweepConfig& sc = configs[c];
    batch.series.clear();
    batch.any_wide = false;
    batch.max_bars = 0;
    for (std::size_t a = 0; a < sc.admitted.size(); ++a) {
      detail::PreparedSeries p = priced.series[sc.admitted[a]];
      p.out_offset = row_of[sc.admitted[a]];
      p.wide = sc.wide[a] != 0;
      batch.any_wide = batch.any_wide || p.wide;
      batch.max_bars = std::max(batch.max_bars, p.n);
      batch.series.push_back(p);
    }
    nonfinite.assign(batch.series.size(), -1);
    detail::OutputColumns out = host.columns();
    out.nonfinite_equity_bar = nonfinite.data();
    if (!batch.series.empty()) {
      if (backend == Backend::Reference)
        detail::run_reference(batch, *sc.config, out, options.compute.stop);
      else
        detail::run_cpu(batch, *sc.config, out, options.compute.threads, options.compute.stop);
    }
    cells.resize(batch.series.size());
    for (std::size_t a = 0; a < batch.series.size(); ++a) {
      const detail::PreparedSeries& p = batch.series[a];
      const std::size_t r = p.out_offset;
      const detail::SweepSeriesColumns columns{p.close,           &host.average_signal[r], &host.trend[r],
                                               &host.state[r],    &host.direction[r],      &host.long_entry[r],
                                               &host.short_entry[r], static_cast<long long>(p.n)};
      cells[a] = detail::reduce_series(columns, source, side, fee, nonfinite[a]);
    }
    sink.cells(c, sc.admitted, cells);
    for (std::uint32_t k : sc.keep) {
      const std::size_t r = row_of[k];
      const auto& code = source == 0 ? host.state : host.direction;
      sink.kept(c, k, std::span(host.average_signal).subspan(r, priced.series[k].n),
                std::span(code).subspan(r, priced.series[k].n));
    }
  }
}

void validate(std::span<const SeriesView> input, std::span<const Config> configs, const SweepOptions& options) {
  for (std::size_t c = 0; c < configs.size(); ++c) {
    try {
      configs[c].validate();
    } catch (const ConfigError& e) {
      throw ConfigError("configuration " + std::to_string(c) + ": " + e.what());
    }
  }
  options.backtest.validate();
  if (!options.bars_per_year.empty() && options.bars_per_year.size() != input.size())
    throw InputError("sweep: " + std::to_string(options.bars_per_year.size()) + " bars-per-year values for " +
                     std::to_string(input.size()) + " symbols");
  for (std::size_t s = 0; s < options.bars_per_year.size(); ++s) {
    BacktestOptions per_symbol = options.backtest;
    per_symbol.bars_per_year = options.bars_per_year[s];
    try {
      per_symbol.validate();
    } catch (const ConfigError& e) {
      throw ConfigError("symbol '" + std::string(input[s].symbol) + "': " + e.what());
    }
  }
  for (const SweepPair& pair : options.keep)
    if (pair.config >= configs.size() || pair.symbol >= input.size())
      throw InputError("sweep: kept pair (configuration " + std::to_string(pair.config) + ", symbol " +
                       std::to_string(pair.symbol) + ") is out of range (" + std::to_string(configs.size()) +
                       " configurations, " + std::to_string(input.size()) + " symbols)");
}

SymbolStatus overflow(std::string_view symbol, std::int64_t bar, std::string_view reason) {
  return SymbolStatus{StatusCode::EquityOverflow, bar, detail::symbol_message(symbol, bar, std::string(reason)), 0};
}

}  // namespace

SweepResult sweep(std::span<const SeriesView> input, std::span<const Config> configs, const SweepOptions& options) {
  validate(input, configs, options);
  const Backend backend = resolve_backend(options.compute.backend);
  if (backend == Backend::Cuda && !cuda_available())
    throw BackendUnavailable("backend 'cuda' was requested but no usable CUDA device is present; use cpu or auto");

  SweepResult result;
  result.backend = backend;
  result.configs = configs.size();
  const std::size_t symbols = input.size();
  std::vector<std::size_t> offsets{0};
  for (const SeriesView& s : input) {
    result.symbols.emplace_back(s.symbol);
    offsets.push_back(offsets.back() + s.close.size());
  }
  std::vector<SymbolStatus> price_status;
  const PreparedBatch priced = detail::prepare_prices(input, options.compute.gaps, offsets, price_status);

  // Rows start as their symbol's price status; admission and the backend fill the rest.
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  result.rows.resize(configs.size() * symbols);
  for (std::size_t c = 0; c < configs.size(); ++c)
    for (std::size_t s = 0; s < symbols; ++s) {
      SweepRow& row = result.rows[c * symbols + s];
      row.config = c;
      row.symbol = s;
      row.status = price_status[s];
      row.average_signal = kNaN;
    }

  std::vector<SweepConfig> plan(configs.size());
  std::vector<std::int64_t> kept_at(configs.size() * symbols, -1);  // index into result.kept
  std::vector<std::int64_t> priced_of(symbols, -1);
  for (std::size_t k = 0; k < priced.series.size(); ++k) priced_of[priced.batch_index[k]] = static_cast<std::int64_t>(k);
  for (std::size_t c = 0; c < configs.size(); ++c) {
    SweepConfig& sc = plan[c];
    sc.config = &configs[c];
    for (std::size_t k = 0; k < priced.series.size(); ++k) {
      const std::size_t s = priced.batch_index[k];
      SweepRow& row = result.rows[c * symbols + s];
      bool wide = false;
      const std::size_t filled = row.status.filled_bars;
      row.status = detail::admit(priced.series[k], input[s].symbol, configs[c], wide);
      row.status.filled_bars = filled;
      if (!row.status.ok()) continue;
      sc.admitted.push_back(static_cast<std::uint32_t>(k));
      sc.wide.push_back(wide ? 1 : 0);
    }
  }
  for (const SweepPair& pair : options.keep) {
    SweepSeries& kept = result.kept.emplace_back();
    kept.pair = pair;
    kept.average_signal.assign(input[pair.symbol].close.size(), kNaN);
    kept.position.assign(input[pair.symbol].close.size(), 0);
    std::int64_t& at = kept_at[pair.config * symbols + pair.symbol];
    if (at >= 0) continue;  // kept twice: copied from the first once the run is done
    at = static_cast<std::int64_t>(result.kept.size() - 1);
    const std::int64_t k = priced_of[pair.symbol];
    if (k >= 0 && result.row(pair.config, pair.symbol).status.ok()) plan[pair.config].keep.push_back(static_cast<std::uint32_t>(k));
  }

  const double bars_per_year = options.backtest.bars_per_year;
  const int side = static_cast<int>(options.backtest.side);
  detail::SweepSink sink;
  sink.cells = [&](std::size_t c, std::span<const std::uint32_t> series, std::span<const SweepCell> cells) {
    for (std::size_t a = 0; a < cells.size(); ++a) {
      const std::uint32_t k = series[a];
      const std::size_t s = priced.batch_index[k];
      const SweepCell& cell = cells[a];
      SweepRow& row = result.rows[c * symbols + s];
      const std::size_t filled = row.status.filled_bars;
      const auto start = static_cast<std::int64_t>(priced.series[k].out_offset - offsets[s]);
      if (cell.nonfinite_equity_bar >= 0) {
        row.status = overflow(input[s].symbol, start + cell.nonfinite_equity_bar, detail::kEquityOverflowReason);
      } else if (const auto metrics = backtest_detail::finish(
                     cell.backtest, options.bars_per_year.empty() ? bars_per_year : options.bars_per_year[s])) {
        row.metrics = *metrics;
        row.average_signal = cell.average_signal;
        row.trend = cell.trend;
        row.state = cell.state;
        row.direction = cell.direction;
        row.long_entry = cell.long_entry;
        row.short_entry = cell.short_entry;
      } else {
        row.status = overflow(input[s].symbol, -1, backtest_detail::kOverflowReason);
      }
      row.status.filled_bars = filled;
    }
  };
  sink.kept = [&](std::size_t c, std::uint32_t k, std::span<const double> average, std::span<const std::int8_t> code) {
    const std::size_t s = priced.batch_index[k];
    if (!result.row(c, s).status.ok()) return;  // an equity overflow found with the cells
    SweepSeries& kept = result.kept[static_cast<std::size_t>(kept_at[c * symbols + s])];
    const std::size_t start = priced.series[k].out_offset - offsets[s];
    std::copy(average.begin(), average.end(), kept.average_signal.begin() + static_cast<std::ptrdiff_t>(start));
    for (std::size_t t = 0; t < code.size(); ++t)
      kept.position[start + t] = backtest_detail::side_position(code[t], side);
  };
  if (backend == Backend::Cuda)
    result.device_bytes = detail::run_cuda_sweep(priced, plan, options, sink, result.streams);
  else
    run_host_sweep(backend, priced, plan, options, sink);

  // A pair kept twice was filled once, in its first copy.
  for (std::size_t i = 0; i < options.keep.size(); ++i) {
    const SweepPair& pair = options.keep[i];
    const auto first = static_cast<std::size_t>(kept_at[pair.config * symbols + pair.symbol]);
    if (first != i) result.kept[i] = result.kept[first];
  }
  return result;
}

std::optional<Aggregate> parse_aggregate(std::string_view name) {
  if (name == "mean") return Aggregate::Mean;
  if (name == "median") return Aggregate::Median;
  return std::nullopt;
}

std::vector<ConfigScore> rank_configs(const SweepResult& result, Metric metric, Aggregate aggregate) {
  std::vector<ConfigScore> scores(result.configs);
  std::vector<double> values;
  for (std::size_t c = 0; c < result.configs; ++c) {
    values.clear();
    for (std::size_t s = 0; s < result.symbols.size(); ++s) {
      const SweepRow& row = result.row(c, s);
      if (row.status.ok()) values.push_back(metric_value(row.metrics, metric));
    }
    ConfigScore& score = scores[c];
    score.config = c;
    score.rows = values.size();
    if (values.empty()) {
      score.value = std::numeric_limits<double>::quiet_NaN();
    } else if (aggregate == Aggregate::Mean) {
      double sum = 0.0;
      for (double v : values) sum += v;
      score.value = sum / static_cast<double>(values.size());
    } else {
      std::sort(values.begin(), values.end());
      const std::size_t mid = values.size() / 2;
      score.value = values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
    }
  }
  bool higher = true;
  for (const MetricInfo& info : metrics())
    if (info.metric == metric) higher = info.higher_is_better;
  std::stable_sort(scores.begin(), scores.end(), [higher](const ConfigScore& a, const ConfigScore& b) {
    if (a.rows == 0 || b.rows == 0) return a.rows != 0 && b.rows == 0;
    return higher ? a.value > b.value : a.value < b.value;
  });
  return scores;
}

}  // namespace atc
