// Price columns that stress the walk over a series' bars (its start, first bad bar and
// tick scale, docs/SEMANTICS.md §3a.1) where a device walk reads 32 bars at a time: the
// decimals growing at the first or last lane of a warp or several times within one,
// decisions that depend on the largest magnitude of earlier lanes, close before src at one
// bar, 12 and 13 decimals, binary ticks from mid-series, magnitudes near 2^50, long
// leading NaNs, bad bars at warp boundaries, float32-widened and denormal values.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/random_walk.hpp"

namespace atc::test {

struct TickColumn {
  std::string name;
  std::vector<double> close, src;  // src: the close where a column has none of its own
};

inline long long ten_to(int d) {
  long long p = 1;
  for (int i = 0; i < d; ++i) p *= 10;
  return p;
}

// m / 10^d: the double a CSV parser reads for that decimal (both operands exact).
inline double decimal_value(long long m, int d) { return static_cast<double>(m) / static_cast<double>(ten_to(d)); }

// The columns for tables of `bars` bars (events past the last bar are left out).
inline std::vector<TickColumn> tick_columns(std::size_t bars, std::uint64_t seed) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<TickColumn> columns;
  std::mt19937_64 rng(seed);
  const auto add = [&](std::string name, std::vector<double> close, std::vector<double> src = {}) {
    if (src.empty()) src = close;
    columns.push_back({std::move(name), std::move(close), std::move(src)});
  };
  const auto set = [bars](std::vector<double>& v, std::size_t t, double value) {
    if (t < bars) v[t] = value;
  };
  // Integers 100 … 106: decimal with d = 0 until something else comes.
  const auto integers = [bars] {
    std::vector<double> v(bars);
    for (std::size_t t = 0; t < bars; ++t) v[t] = 100.0 + static_cast<double>(t % 7);
    return v;
  };
  const auto cents = [bars](std::uint64_t s) {
    std::vector<double> v = random_walk(bars, s);
    for (double& x : v) x = std::round(x * 100.0) / 100.0;
    return v;
  };

  for (const std::size_t late : {0, 1, 31, 32, 33, 45, 100}) {
    const std::string tag = " late " + std::to_string(late);
    // One more decimal at the first (last) lane of each warp after the first.
    for (const std::size_t lane : {0, 31}) {
      std::vector<double> v = integers();
      for (int d = 1; d <= 12; ++d) set(v, late + 32 * d + lane, decimal_value(100 * ten_to(d) + 3, d));
      for (std::size_t t = 0; t < late && t < bars; ++t) v[t] = kNaN;
      add("grow at lane " + std::to_string(lane) + tag, v);
    }
    // Several widenings within one warp, from the second warp on.
    std::vector<double> v = integers();
    int d = 0;
    for (const std::size_t at : {3, 7, 8, 10, 20, 31}) {
      ++d;
      set(v, late + 32 + at, decimal_value(1000 * ten_to(d) + 7, d));
    }
    for (std::size_t t = 0; t < late && t < bars; ++t) v[t] = kNaN;
    add("grow within a warp" + tag, v);
  }

  // A large value, then one needing 7 decimals, in one warp: 1e9 · 10^7 ≥ 2^50, so the
  // second turns the series binary, because of the first (and the other way round).
  std::vector<double> large_first = integers(), fine_first = integers();
  set(large_first, 10, 1e9);
  set(large_first, 12, decimal_value(12345678, 7));
  set(fine_first, 10, decimal_value(12345678, 7));
  set(fine_first, 12, 1e9);
  add("large then fine", large_first);
  add("fine then large", fine_first);
  // The same within one bar: close before src.
  std::vector<double> close_fine = integers(), src_large = integers();
  set(close_fine, 40, decimal_value(12345678, 7));
  set(src_large, 40, 1e9);
  add("close fine, src large", close_fine, src_large);
  add("close large, src fine", src_large, close_fine);
  std::vector<double> src_grows = cents(seed + 1);
  for (std::size_t t = 5; t < bars; t += 37)
    src_grows[t] = decimal_value(123456 + static_cast<long long>(t), 3 + static_cast<int>(t % 5));
  add("src with more decimals than close", cents(seed + 2), src_grows);

  // 12 decimals throughout, then one with 13.
  std::vector<double> twelve(bars);
  for (std::size_t t = 0; t < bars; ++t) twelve[t] = decimal_value(500000000000LL + static_cast<long long>(t), 12);
  add("12 decimals", twelve);
  set(twelve, bars / 2, decimal_value(5000000000001LL, 13));
  add("13 decimals mid-series", twelve);
  std::vector<double> third = cents(seed + 3);
  set(third, bars / 2, 1.0 / 3.0);
  add("binary from mid-series", third);
  std::vector<double> third_late = cents(seed + 4);
  for (std::size_t t = 0; t < 40 && t < bars; ++t) third_late[t] = kNaN;
  set(third_late, 40 + 31, 1.0 / 3.0);
  add("binary at lane 31 after 40 NaNs", third_late);

  // Near 2^50: integers just below fit d = 0; 2^50 itself fits nothing.
  std::vector<double> near(bars), at_limit(bars), half(bars);
  for (std::size_t t = 0; t < bars; ++t) {
    near[t] = 0x1p50 - 1.0 - static_cast<double>(t % 5);
    at_limit[t] = near[t];
    half[t] = 0x1p45 + static_cast<double>(t % 3);
  }
  set(at_limit, bars / 3, 0x1p50);
  set(half, bars / 4, 0x1p45 + 0.5);  // 2^45·10 + 5 < 2^50: one decimal
  set(half, bars / 2, 0x1p47 + 0.5);  // 2^47·10 > 2^50: binary
  add("below 2^50", near);
  add("2^50 mid-series", at_limit);
  add("near 2^50 with halves", half);
  add("huge", std::vector<double>(bars, 1e300));

  // Bad bars at warp boundaries (from the start), of every kind; in src only.
  for (const std::size_t late : {0, 45})
    for (const std::size_t at : {0, 31, 32, 33, 95})
      for (const double bad : {kNaN, kInf, -kInf, 0.0, -1.0}) {
        std::vector<double> v = cents(seed + 5 + at);
        for (std::size_t t = 0; t < late && t < bars; ++t) v[t] = kNaN;
        set(v, late + at, bad);
        add("bad " + std::to_string(bad) + " at " + std::to_string(at) + " late " + std::to_string(late), v);
      }
  std::vector<double> src_bad = cents(seed + 6), src_odd = cents(seed + 7);
  set(src_bad, 64, kNaN);
  set(src_odd, 20, -2.5);  // src may be negative or zero
  set(src_odd, 21, 0.0);
  set(src_odd, 22, -0.0);
  add("src NaN at 64", cents(seed + 6), src_bad);
  add("src negative and zero", cents(seed + 7), src_odd);
  // The start needs close and src both finite.
  std::vector<double> close_late = cents(seed + 8), src_later = cents(seed + 9);
  for (std::size_t t = 0; t < 40 && t < bars; ++t) close_late[t] = kNaN;
  for (std::size_t t = 0; t < 70 && t < bars; ++t) src_later[t] = kNaN;
  add("src listed after close", close_late, src_later);
  add("all NaN", std::vector<double>(bars, kNaN));
  std::vector<double> last_only(bars, kNaN);
  set(last_only, bars - 1, 3.5);
  add("last bar only", last_only);

  // Binary ticks: full-precision walks, float32 widened, denormal src (out of range).
  add("full precision", random_walk(bars, seed + 10));
  std::vector<double> floats = random_walk(bars, seed + 11);
  for (double& x : floats) x = static_cast<double>(static_cast<float>(x));
  add("float32 widened", floats);
  std::vector<double> floats_cents = cents(seed + 12);
  for (double& x : floats_cents) x = static_cast<double>(static_cast<float>(x));
  add("float32 cents", floats_cents);
  std::vector<double> denormal = cents(seed + 13);
  set(denormal, bars / 2, 4.9e-324);
  add("denormal src", cents(seed + 13), denormal);
  add("cents", cents(seed + 14));
  add("cents with src", cents(seed + 15), cents(seed + 16));

  // Random mixtures: a random listing, decimals rising at random bars, now and then a
  // value of no short decimal or a bad bar.
  for (int k = 0; k < 24; ++k) {
    std::vector<double> close(bars), src(bars);
    const std::size_t late = rng() % 4 == 0 ? rng() % 80 : 0;
    int d = static_cast<int>(rng() % 3);
    for (std::size_t t = 0; t < bars; ++t) {
      if (rng() % 40 == 0 && d < 12) ++d;
      const auto value = [&] {
        const long long units = 1 + static_cast<long long>(rng() % 100000);
        if (rng() % 500 == 0) return static_cast<double>(units) / 3.0;
        return decimal_value(units, static_cast<int>(rng() % static_cast<unsigned>(d + 1)));
      };
      close[t] = t < late ? kNaN : value();
      src[t] = k % 2 == 0 ? close[t] : (t < late ? kNaN : value());
      if (k % 6 == 5 && rng() % (4 * bars) == 0) close[t] = kNaN;
    }
    add("mixture " + std::to_string(k), close, src);
  }
  return columns;
}

}  // namespace atc::test
