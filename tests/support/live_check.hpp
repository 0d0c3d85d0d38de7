// The live engine against the batch (tests/test_live.cpp, tests/cuda/test_cuda_live.cpp):
// initialised on the first bars of each symbol and updated bar by bar, every output of
// every bar must have the bits of compute_batch (cpu backend) over the bars the symbol
// was given, on the engine's backend and after a save and restore on another.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "atc/atc.hpp"
#include "atc/live.hpp"
#include "support/batch.hpp"
#include "support/compare.hpp"
#include "support/random_walk.hpp"

namespace atc::test {

// One bar of one symbol as the live engine gave it.
struct Row {
  double average;
  std::array<double, kFamilies> signal, equity;
  std::array<std::int8_t, 5> classes;
};

// Bar i of a LiveBar's columns or of a symbol's batch outputs (the same member names).
template <class Columns>
inline Row row_of(const Columns& b, std::size_t i) {
  Row r{b.average_signal[i], {}, {}, {b.trend[i], b.state[i], b.direction[i], b.long_entry[i], b.short_entry[i]}};
  for (int f = 0; f < kFamilies; ++f) {
    r.signal[f] = b.family_signal[f][i];
    r.equity[f] = b.family_equity[f][i];
  }
  return r;
}

inline bool same_row(const Row& a, const Row& b) {
  if (!same_bits(a.average, b.average) || a.classes != b.classes) return false;
  for (int f = 0; f < kFamilies; ++f)
    if (!same_bits(a.signal[f], b.signal[f]) || !same_bits(a.equity[f], b.equity[f])) return false;
  return true;
}

// How the updates are offered: a symbol may have no bar (0), a bar (1) or a refused bad
// value (2) at each update.
using Schedule = std::function<int(std::size_t symbol, std::size_t update)>;

struct Simulation {
  std::size_t history = 50;   // bars of each series given to add()
  Schedule schedule = [](std::size_t, std::size_t) { return 1; };
  int peek_every = 0;          // > 0: peek (twice, once with other closes) before every n-th update
  int save_at = -1;            // ≥ 0: save and restore at this update, the rest on the restored engine
  LiveOptions options{Backend::Cpu, 2};          // the engine's backend
  LiveOptions restore_options{Backend::Cpu, 2};  // the restored engine's
};

// Runs the live engine over `batch` and checks every bar it gave against compute_batch
// over the same bars. Returns the bars compared.
inline std::size_t check_live_against_batch(const OwnedBatch& batch, const Config& config, const Simulation& sim) {
  const std::size_t n_symbols = batch.size();
  std::size_t longest = 0;
  for (const auto& c : batch.close) longest = std::max(longest, c.size());
  const bool own_src = std::any_of(batch.src.begin(), batch.src.end(), [](const auto& s) { return !s.empty(); });

  LiveEngine live(config, sim.options);
  EXPECT_EQ(live.backend(), sim.options.backend);
  std::vector<SeriesView> histories;
  std::vector<std::vector<double>> given_close(n_symbols), given_src(n_symbols);
  for (std::size_t i = 0; i < n_symbols; ++i) {
    const std::size_t h = std::min(sim.history, batch.close[i].size());
    given_close[i].assign(batch.close[i].begin(), batch.close[i].begin() + static_cast<long>(h));
    if (!batch.src[i].empty()) given_src[i].assign(batch.src[i].begin(), batch.src[i].begin() + static_cast<long>(h));
  }
  for (std::size_t i = 0; i < n_symbols; ++i) histories.push_back({batch.names[i], given_close[i], given_src[i]});
  live.add(histories);

  std::vector<std::vector<std::pair<std::size_t, Row>>> rows(n_symbols);  // (bar in given series, outputs)
  std::vector<double> closes(n_symbols), src(n_symbols);
  std::vector<std::uint8_t> has_bar(n_symbols);
  std::unique_ptr<LiveEngine> restored;
  LiveEngine* engine = &live;
  const std::filesystem::path state_file = std::filesystem::temp_directory_path() / ("atc_test_live_" + std::to_string(::getpid()) + ".state");
  for (std::size_t u = 0; sim.history + u < longest; ++u) {
    const std::size_t t = sim.history + u;
    std::vector<int> kind(n_symbols);
    for (std::size_t i = 0; i < n_symbols; ++i) {
      kind[i] = t < batch.close[i].size() && std::isfinite(batch.close[i][t]) ? sim.schedule(i, u) : 0;
      has_bar[i] = kind[i] != 0;
      closes[i] = kind[i] == 2 ? -1.0 : (kind[i] == 1 ? batch.close[i][t] : std::numeric_limits<double>::quiet_NaN());
      src[i] = kind[i] == 1 && !batch.src[i].empty() ? batch.src[i][t] : closes[i];
    }
    const std::span<const double> src_span = own_src ? std::span<const double>(src) : std::span<const double>();
    if (sim.save_at >= 0 && u == static_cast<std::size_t>(sim.save_at)) {
      engine->save(state_file);
      restored = std::make_unique<LiveEngine>(LiveEngine::restore(state_file, sim.restore_options));
      EXPECT_EQ(restored->symbols(), live.symbols());
      engine = restored.get();
    }
    if (sim.peek_every > 0 && u % static_cast<std::size_t>(sim.peek_every) == 0) {
      std::vector<double> other(closes);
      for (double& c : other) c *= 1.01;
      engine->peek(other, {}, has_bar);
      const LiveBar peeked = engine->peek(closes, src_span, has_bar);
      const LiveBar& updated = engine->update(closes, src_span, has_bar);
      for (std::size_t i = 0; i < n_symbols; ++i)
        EXPECT_TRUE(same_row(row_of(peeked, i), row_of(updated, i))) << batch.names[i] << " update " << u;
    } else {
      engine->update(closes, src_span, has_bar);
    }
    const LiveBar& bar = engine->last();
    for (std::size_t i = 0; i < n_symbols; ++i) {
      if (kind[i] == 2) {
        EXPECT_EQ(bar.status[i].code, StatusCode::NonPositivePrice) << bar.status[i].message;
        EXPECT_EQ(bar.updated[i], 0);
      }
      if (kind[i] != 1) continue;
      EXPECT_EQ(bar.updated[i], 1);
      given_close[i].push_back(closes[i]);
      if (!batch.src[i].empty()) given_src[i].push_back(src[i]);
      rows[i].push_back({given_close[i].size() - 1, row_of(bar, i)});
    }
  }
  std::filesystem::remove(state_file);
  std::size_t given_bars = 0;
  for (const auto& r : rows) given_bars += r.size();

  // The batch over exactly the bars each symbol was given.
  std::vector<SeriesView> given;
  for (std::size_t i = 0; i < n_symbols; ++i) given.push_back({batch.names[i], given_close[i], given_src[i]});
  ComputeOptions options;
  options.backend = Backend::Cpu;
  const BatchResult expected = compute_batch(given, config, options);
  std::size_t compared = 0, skipped_bars = 0;
  const LiveBar& final_bar = engine->last();
  for (std::size_t i = 0; i < n_symbols; ++i) {
    const SymbolStatus& status = expected.status[i];
    if (!status.ok()) {
      skipped_bars += rows[i].size();
      if (status.code == StatusCode::TooShort || status.code == StatusCode::EquityOverflow) {
        EXPECT_EQ(final_bar.status[i].code, status.code) << batch.names[i] << ": " << status.message;
      }
      continue;
    }
    EXPECT_TRUE(final_bar.status[i].ok()) << final_bar.status[i].message;
    const SymbolOutputView v = expected.outputs.view(i);
    for (const auto& [t, r] : rows[i]) {
      EXPECT_TRUE(same_row(r, row_of(v, t)))
          << batch.names[i] << " bar " << t << ": live Average_Signal " << r.average << ", batch "
          << v.average_signal[t];
      if (!same_row(r, row_of(v, t))) return compared;  // the first difference is enough
      ++compared;
    }
  }
  std::printf("%zu live bars of %zu symbols compared with the batch bit for bit\n", compared, n_symbols);
  EXPECT_EQ(compared + skipped_bars, given_bars);
  return compared;
}

// prefix + number (not "…" + std::to_string: GCC 12's -Wrestrict false positive).
inline std::string numbered(std::string prefix, std::uint64_t number) {
  prefix += std::to_string(number);
  return prefix;
}

// The scenarios both backends' tests run: a universe and its parameters.
struct LiveCase {
  OwnedBatch batch;
  Config config;
};

// Cent grids with ties; one series that gains a third decimal, then a value that fits no
// decimal scale (binary ticks from there on), then one with more fractional bits than
// any before; one binary within its history. Wide robustness.
inline LiveCase tick_grids_with_scale_changes() {
  LiveCase c;
  for (int s = 0; s < 6; ++s) c.batch.add(numbered("GRID", s), grid_walk(700, 20 + s, 0.01, 50.0, 0.4));
  std::vector<double> widening = grid_walk(700, 31, 0.01, 80.0, 0.3);
  widening[300] += 0.005;
  widening[500] = std::nextafter(widening[500], 1e9);
  widening[600] = std::nextafter(widening[600] / 16.0, 0.0);
  c.batch.add("WIDENING", widening);
  std::vector<double> binary_early = grid_walk(700, 32, 0.05, 20.0, 0.3);
  binary_early[40] = std::nextafter(binary_early[40], 0.0);
  c.batch.add("BINARY", binary_early);
  c.config.robustness = Robustness::Wide;
  return c;
}

// A cutout, strategy mode, weights, thresholds and lengths of their own, and a src that
// is not close.
inline LiveCase cutout_strategy_weights_and_own_src() {
  LiveCase c;
  for (int s = 0; s < 5; ++s) {
    std::vector<double> close = random_walk(600, 40 + s, 30.0, 0.02);
    std::vector<double> src(close.size());
    for (std::size_t t = 0; t < close.size(); ++t) src[t] = close[t] * (t % 2 ? 1.003 : 0.998);
    c.batch.add(numbered("S", s), close, src);
  }
  c.config.cutout = 90;
  c.config.strategy = true;
  c.config.weight = {1.0, 2.0, 0.5, 1.5, 1.0, 3.0};
  c.config.long_threshold = 0.2;
  c.config.short_threshold = -0.3;
  c.config.length = {10, 15, 20, 25, 12, 8};
  return c;
}

// Some symbols have no bar at some updates, others a refused bad close.
inline int missing_and_refused_bars(std::size_t symbol, std::size_t update) {
  if ((symbol + update) % 7 == 0) return 0;       // no bar this time
  if ((symbol * 3 + update) % 29 == 0) return 2;  // a bad close: refused, state kept
  return 1;
}

// A symbol whose equity overflows (λ = 50) stops at the batch's bar with the batch's
// status and message, its outputs NaN.
inline void check_equity_overflow_ends_the_symbol(const LiveOptions& options) {
  OwnedBatch batch;
  batch.add("HOT", random_walk(3000, 11));
  batch.add("CALM", random_walk(3000, 12, 100.0, 0.0005));
  Config config;
  config.lambda = 50.0;
  ComputeOptions batch_options;
  batch_options.backend = Backend::Cpu;
  const BatchResult expected = compute_batch(batch.views(), config, batch_options);
  ASSERT_EQ(expected.status[0].code, StatusCode::EquityOverflow);
  LiveEngine live(config, options);
  const std::vector<SeriesView> start{{"HOT", std::span<const double>(batch.close[0]).first(100), {}}};
  live.add(start);
  for (std::size_t t = 100; t < 3000 && live.last().status[0].ok(); ++t) live.update(std::vector<double>{batch.close[0][t]});
  EXPECT_EQ(live.last().status[0].code, StatusCode::EquityOverflow);
  EXPECT_EQ(live.last().status[0].bar, expected.status[0].bar);
  EXPECT_EQ(live.last().status[0].message, expected.status[0].message);
  EXPECT_TRUE(std::isnan(live.last().average_signal[0]));
}

}  // namespace atc::test
