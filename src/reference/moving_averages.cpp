// §3 moving averages by their O(L) definitions.
#include <cmath>
#include <limits>

#include "../core/formulas.hpp"
#include "reference.hpp"

namespace atc::reference {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double window_mean(std::span<const double> x, std::size_t end, int len) {
  double sum = 0.0;
  for (std::size_t i = end + 1 - len; i <= end; ++i) sum += x[i];
  return sum / len;
}

// EMA over x seeded with the mean of its first `len` values.
Series ema_of(std::span<const double> x, int len) {
  Series out(x.size(), kNaN);
  if (x.size() < static_cast<std::size_t>(len)) return out;
  const double alpha = 2.0 / (len + 1.0);
  out[len - 1] = window_mean(x, len - 1, len);
  for (std::size_t t = len; t < x.size(); ++t) out[t] = formulas::ema_step(out[t - 1], x[t], alpha);
  return out;
}

}  // namespace

Series ema(std::span<const double> src, int len) { return ema_of(src, len); }

Series sma(std::span<const double> src, int len) {
  Series out(src.size(), kNaN);
  for (std::size_t t = len - 1; t < src.size(); ++t) out[t] = window_mean(src, t, len);
  return out;
}

Series wma(std::span<const double> src, int len) {
  Series out(src.size(), kNaN);
  const double norm = len * (len + 1.0) / 2.0;
  for (std::size_t t = len - 1; t < src.size(); ++t) {
    double sum = 0.0;
    for (int i = 0; i < len; ++i) sum += (i + 1.0) * src[t + 1 - len + i];  // oldest weight 1
    out[t] = sum / norm;
  }
  return out;
}

Series dema(std::span<const double> src, int len) {
  Series out(src.size(), kNaN);
  if (src.size() < static_cast<std::size_t>(len)) return out;  // e1 never becomes valid
  const Series e1 = ema_of(src, len);
  // e2 runs over the valid e1 values only, starting at bar len-1.
  const std::span<const double> valid(e1.data() + (len - 1), e1.size() - (len - 1));
  const Series e2 = ema_of(valid, len);
  for (std::size_t i = 0; i < e2.size(); ++i)
    if (!std::isnan(e2[i])) out[i + len - 1] = 2.0 * e1[i + len - 1] - e2[i];
  return out;
}

Series lsma(std::span<const double> src, int len) {
  Series out(src.size(), kNaN);
  for (std::size_t t = len - 1; t < src.size(); ++t) {
    double sum_y = 0.0, sum_xy = 0.0;
    for (int x = 0; x < len; ++x) {
      const double y = src[t + 1 - len + x];
      sum_y += y;
      sum_xy += x * y;
    }
    out[t] = formulas::linreg_end(sum_y, sum_xy, len);
  }
  return out;
}

Series kama(std::span<const double> src, int len) {
  Series out(src.size(), kNaN);
  double k = 0.0;  // the indicator starts KAMA at 0, not at the first price
  for (std::size_t t = 0; t < src.size(); ++t) {
    const bool defined = t >= static_cast<std::size_t>(len);
    double signal = 0.0, noise = 0.0;
    if (defined) {
      signal = std::fabs(src[t] - src[t - len]);
      for (int i = 0; i < len; ++i) noise += std::fabs(src[t - i] - src[t - i - 1]);
    }
    k = formulas::kama_step(k, formulas::kama_sc(signal, noise, defined), src[t]);
    out[t] = k;
  }
  return out;
}

Series moving_average(Family family, std::span<const double> src, int len) {
  switch (family) {
    case Family::EMA: return ema(src, len);
    case Family::HMA: return sma(src, len);  // the indicator's "HMA" is an SMA
    case Family::WMA: return wma(src, len);
    case Family::DEMA: return dema(src, len);
    case Family::LSMA: return lsma(src, len);
    case Family::KAMA: return kama(src, len);
  }
  return {};
}

}  // namespace atc::reference
