// §3 moving averages by their O(L) definitions, on exact ticks (§3a): every window sum
// is a 128-bit integer summed afresh at each bar, and every value is rounded once.
#include <cmath>
#include <limits>

#include "../core/formulas.hpp"
#include "../core/ticks.hpp"
#include "reference.hpp"

namespace atc::reference {
namespace {

using exact::Wide;
using exact::UWide;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Ticks of x[u] in the scale of bar t.
Wide tick(std::span<const double> x, std::size_t u, const Ticks& ticks, std::size_t t) {
  return exact::to_wide(ticks.tick(x[u], static_cast<int>(t)));
}

// Σx and Σ j·x (j = 1 … L, oldest first) of the window ending at t, in bar t's ticks.
struct WindowSum {
  Wide sum_y = 0, sum_w = 0;
};
WindowSum window_sum(std::span<const double> x, std::size_t t, int len, const Ticks& ticks) {
  WindowSum s;
  for (int j = 1; j <= len; ++j) {
    const Wide v = tick(x, t + j - len, ticks, t);
    s.sum_y += v;
    s.sum_w += j * v;
  }
  return s;
}

// The window MA of `family` at t as N / D ticks.
struct Rational {
  Wide n;
  Wide d;
};
Rational window_ma(Family family, std::span<const double> x, std::size_t t, int len, const Ticks& ticks) {
  const WindowSum s = window_sum(x, t, len, ticks);
  switch (family) {
    case Family::HMA: return {s.sum_y, exact::sma_denominator(len)};
    case Family::WMA: return {s.sum_w, exact::wma_denominator(len)};
    default: return {exact::lsma_numerator(s.sum_y, s.sum_w, len), exact::lsma_denominator(len)};
  }
}

Series window_series(Family family, std::span<const double> src, int len, const Ticks& ticks) {
  Series out(src.size(), kNaN);
  for (std::size_t t = len - 1; t < src.size(); ++t) {
    const Rational q = window_ma(family, src, t, len, ticks);
    out[t] = exact::tick_value(q.n, static_cast<UWide>(q.d), ticks, static_cast<int>(t));
  }
  return out;
}

// EMA over x seeded with its first `len` values' mean; `seed` gives that mean.
template <class Seed>
Series ema_of(std::span<const double> x, int len, Seed seed) {
  Series out(x.size(), kNaN);
  if (x.size() < static_cast<std::size_t>(len)) return out;
  const double alpha = 2.0 / (len + 1.0);
  out[len - 1] = seed();
  for (std::size_t t = len; t < x.size(); ++t) out[t] = formulas::ema_step(out[t - 1], x[t], alpha);
  return out;
}

// The exact mean of src[0..len), rounded once (§3a.3).
double exact_seed(std::span<const double> src, int len, const Ticks& ticks) {
  const std::size_t t = static_cast<std::size_t>(len) - 1;
  return exact::tick_value(window_sum(src, t, len, ticks).sum_y, static_cast<UWide>(len), ticks,
                           static_cast<int>(t));
}

}  // namespace

Ticks ticks_of(std::span<const double> src) {
  return detail::series_ticks(src.data(), src.data(), src.size()).scale;
}

Series ema(std::span<const double> src, int len, const Ticks& ticks) {
  return ema_of(src, len, [&] { return exact_seed(src, len, ticks); });
}

Series sma(std::span<const double> src, int len, const Ticks& ticks) {
  return window_series(Family::HMA, src, len, ticks);
}

Series wma(std::span<const double> src, int len, const Ticks& ticks) {
  return window_series(Family::WMA, src, len, ticks);
}

Series lsma(std::span<const double> src, int len, const Ticks& ticks) {
  return window_series(Family::LSMA, src, len, ticks);
}

Series dema(std::span<const double> src, int len, const Ticks& ticks) {
  Series out(src.size(), kNaN);
  if (src.size() < static_cast<std::size_t>(len)) return out;  // e1 never becomes valid
  const Series e1 = ema(src, len, ticks);
  // e2 runs over the valid e1 values only, starting at bar len-1, seeded with their
  // float64 sum in bar order divided by len.
  const std::span<const double> valid(e1.data() + (len - 1), e1.size() - (len - 1));
  const Series e2 = ema_of(valid, len, [&] {
    double sum = 0.0;
    for (int i = 0; i < len; ++i) sum += valid[i];
    return sum / len;
  });
  for (std::size_t i = 0; i < e2.size(); ++i)
    if (!std::isnan(e2[i])) out[i + len - 1] = 2.0 * e1[i + len - 1] - e2[i];
  return out;
}

Series kama(std::span<const double> src, int len, const Ticks& ticks) {
  Series out(src.size(), kNaN);
  double k = 0.0;  // the indicator starts KAMA at 0, not at the first price
  for (std::size_t t = 0; t < src.size(); ++t) {
    double er = 0.0;
    if (t >= static_cast<std::size_t>(len)) {
      const Wide signal = tick(src, t, ticks, t) - tick(src, t - len, ticks, t);
      Wide noise = 0;
      for (int i = 0; i < len; ++i) {
        const Wide diff = tick(src, t - i, ticks, t) - tick(src, t - i - 1, ticks, t);
        noise += diff < 0 ? -diff : diff;
      }
      er = exact::efficiency_ratio(signal < 0 ? -signal : signal, noise);
    }
    k = formulas::kama_step(k, formulas::kama_sc(er), src[t]);
    out[t] = k;
  }
  return out;
}

Series moving_average(Family family, std::span<const double> src, int len, const Ticks& ticks) {
  switch (family) {
    case Family::EMA: return ema(src, len, ticks);
    case Family::HMA: return sma(src, len, ticks);  // the indicator's "HMA" is an SMA
    case Family::WMA: return wma(src, len, ticks);
    case Family::DEMA: return dema(src, len, ticks);
    case Family::LSMA: return lsma(src, len, ticks);
    case Family::KAMA: return kama(src, len, ticks);
  }
  return {};
}

Series crossing_side(Family family, std::span<const double> close, std::span<const double> src, int len,
                     const Ticks& ticks, std::span<const double> ma) {
  Series side(close.size(), kNaN);
  const bool window = family == Family::HMA || family == Family::WMA || family == Family::LSMA;
  for (std::size_t t = 0; t < close.size(); ++t) {
    if (std::isnan(ma[t])) continue;
    if (window) {  // c·D against N, exactly (§3a.4)
      const Rational q = window_ma(family, src, t, len, ticks);
      const Wide lhs = tick(close, t, ticks, t) * q.d;
      side[t] = lhs > q.n ? 1.0 : (lhs < q.n ? -1.0 : 0.0);
    } else {
      side[t] = close[t] > ma[t] ? 1.0 : (close[t] < ma[t] ? -1.0 : 0.0);
    }
  }
  return side;
}

}  // namespace atc::reference
