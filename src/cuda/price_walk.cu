// The price walk of compute_device, one warp per symbol: lane i holds bar base + i, so a
// warp's loads are 32 consecutive doubles, and every decision is a ballot, the same in
// all lanes (each lane keeps the whole record; lane 0 stores it).
//
// The decimal prefix (DecimalPrefix) is sequential, but only the values that do not fit
// the current number of decimals change more than its `largest`: take(v) of a v that fits
// is take_fitting(|v|), and a run of those is one take_fitting of their largest magnitude.
// So a warp finds its first value (in the order bar, then close before src) that does not
// fit, folds the values before it with one warp maximum, takes that value with take (every
// lane alike: it may widen the decimals or turn the series binary), and checks the rest of
// its bars again against the new decimals. The decimals only grow, to 12 at most, so that
// serial step runs at most 13 times per series.
#include "check.hpp"
#include "price_walk.cuh"

namespace atc::cuda {
namespace {

constexpr int kLanes = 32;
constexpr int kWarpsPerBlock = 8;
constexpr unsigned kAllLanes = 0xffffffffu;
constexpr int kNoMiss = 2 * kLanes;  // past the last of a warp's 2·32 values

__device__ double warp_max(double v) {
  for (int o = kLanes / 2; o > 0; o /= 2) v = fmax(v, __shfl_xor_sync(kAllLanes, v, o));
  return v;
}

// The first set lane of a ballot as a value index 2·lane + k (kNoMiss when none).
__device__ int first_value(unsigned ballot, int k) { return ballot == 0 ? kNoMiss : 2 * (__ffs(ballot) - 1) + k; }

__global__ void __launch_bounds__(kWarpsPerBlock * kLanes)
    price_walk_kernel(const double* close, const double* src, long long bars, long long symbols,
                      PriceRecord* records) {
  const long long s = static_cast<long long>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kLanes;
  if (s >= symbols) return;  // the whole warp
  const int lane = static_cast<int>(threadIdx.x % kLanes);
  const bool own_src = src != nullptr;
  const double* c = close + s * bars;
  const double* x = own_src ? src + s * bars : c;
  PriceRecord r{};
  r.bad = -1;

  // Where it starts: the first bar whose close and src are both finite.
  r.start = bars;
  for (long long base = 0; base < bars; base += kLanes) {
    const long long t = base + lane;
    const unsigned listed = __ballot_sync(kAllLanes, t < bars && isfinite(c[t]) && isfinite(x[t]));
    if (listed != 0) {
      r.start = base + __ffs(listed) - 1;
      break;
    }
  }
  if (r.start == bars) {
    if (lane == 0) records[s] = r;
    return;
  }

  // One pass from the start: the first bad bar, and the decimal prefix until it ends.
  const long long n = bars - r.start;
  long long binary_from = n;  // bars from the start, as series_ticks_of counts them
  detail::DecimalPrefix prefix;
  const auto load = [&](long long t, double& cv, double& xv) {
    cv = t < bars ? c[t] : 1.0;
    xv = t < bars && own_src ? x[t] : cv;
  };
  double cv = 0.0, xv = 0.0;
  load(r.start + lane, cv, xv);
  for (long long base = r.start; base < bars; base += kLanes) {
    double next_c = 0.0, next_x = 0.0;  // the next bars' loads overlap this chunk's work
    load(base + kLanes + lane, next_c, next_x);
    const bool here = base + lane < bars;
    const unsigned bad = __ballot_sync(kAllLanes, here && (!isfinite(cv) || !isfinite(xv) || cv <= 0.0));
    if (bad != 0) {
      const int at = __ffs(bad) - 1;
      r.bad = base + at;
      r.close = __shfl_sync(kAllLanes, cv, at);
      r.src = __shfl_sync(kAllLanes, xv, at);
      break;
    }
    // Values 2·lane (close) and 2·lane + 1 (src) from `from` on are not taken yet.
    int from = 0;
    while (binary_from == n) {
      const bool c_open = here && 2 * lane >= from, x_open = here && own_src && 2 * lane + 1 >= from;
      const int miss =
          min(first_value(__ballot_sync(kAllLanes, c_open && !detail::fits_decimals(cv, prefix.decimals)), 0),
              first_value(__ballot_sync(kAllLanes, x_open && !detail::fits_decimals(xv, prefix.decimals)), 1));
      double fitting = 0.0;  // magnitudes are ≥ +0, so an empty lane changes no maximum
      if (c_open && 2 * lane < miss) fitting = fabs(cv);
      if (x_open && 2 * lane + 1 < miss) fitting = fmax(fitting, fabs(xv));
      prefix.take_fitting(warp_max(fitting));
      if (miss == kNoMiss) break;
      const double v = __shfl_sync(kAllLanes, miss % 2 == 0 ? cv : xv, miss / 2);
      if (!prefix.take(v)) binary_from = base + miss / 2 - r.start;
      from = miss + 1;
    }
    cv = next_c;
    xv = next_x;
  }
  if (r.bad >= 0) {
    if (lane == 0) records[s] = r;
    return;
  }

  // Binary ticks: a maximum over every value, so each lane takes its bars and the lanes
  // merge.
  detail::BinaryExponent binary;
  if (binary_from < n) {
    for (long long t = r.start + lane; t < bars; t += kLanes) {
      binary.take(c[t]);
      if (own_src) binary.take(x[t]);
    }
    for (int o = kLanes / 2; o > 0; o /= 2)
      binary.merge(__shfl_xor_sync(kAllLanes, binary.k, o), __shfl_xor_sync(kAllLanes, binary.largest, o));
  }
  r.ticks = detail::series_ticks_from(prefix, static_cast<std::size_t>(binary_from), static_cast<std::size_t>(n),
                                      binary);
  if (lane == 0) records[s] = r;
}

}  // namespace

void launch_price_walk(const double* close, const double* src, long long bars, long long symbols,
                       PriceRecord* records, cudaStream_t stream) {
  if (symbols == 0) return;
  const auto blocks = static_cast<unsigned>((symbols + kWarpsPerBlock - 1) / kWarpsPerBlock);
  price_walk_kernel<<<blocks, kWarpsPerBlock * kLanes, 0, stream>>>(close, src, bars, symbols, records);
  ATC_CUDA_CHECK_LAUNCH("price_walk_kernel");
}

}  // namespace atc::cuda
