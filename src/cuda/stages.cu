// The stage kernels: one thread per (symbol, chain) for the sequential recurrences, one
// thread per (bar, symbol) for the per-bar reductions.
#include "chains.cuh"
#include "check.hpp"
#include "stages.hpp"

namespace atc::cuda {
namespace {

constexpr int kThreads = 128;

struct LengthTable {
  int len[kLengthsPerFamily];
};

// Starting equity of each chain (at most 9 chains per launch).
struct StartTable {
  double start[kLengthsPerFamily];
};
static_assert(kFamilies <= kLengthsPerFamily);

unsigned blocks_for(std::size_t work) {
  return static_cast<unsigned>((work + kThreads - 1) / kThreads);
}

// Thread (s, chain = blockIdx.y): one moving average over all bars.
template <int F>
__global__ void __launch_bounds__(kThreads) ma_kernel(Dense d, const double* __restrict__ src,
                                                      LengthTable lengths, double* __restrict__ ma) {
  const int s = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (s >= d.symbols) return;
  const int len = lengths.len[blockIdx.y];
  const ChainConstants constants = FamilyChainT<F>::constants(len);
  FamilyChainT<F> chain;
  const Column col{src + s, d.symbols};
  double* out = ma + static_cast<std::size_t>(blockIdx.y) * d.size() + s;
  double x_prev = NAN;
  for (int t = 0; t < d.bars; ++t) {
    const double x = col[t];
    out[static_cast<std::size_t>(t) * d.symbols] = chain.template step<false>(Bar{t, x, x_prev, col}, constants);
    x_prev = x;
  }
}

__global__ void __launch_bounds__(kThreads) signal_kernel(Dense d, const double* __restrict__ close,
                                                          const double* __restrict__ ma,
                                                          std::int8_t* __restrict__ signal) {
  const int s = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (s >= d.symbols) return;
  const std::size_t chain = static_cast<std::size_t>(blockIdx.y) * d.size();
  std::int8_t state = 0;
  double c_prev = NAN, m_prev = NAN;
  for (int t = 0; t < d.bars; ++t) {
    const std::size_t i = static_cast<std::size_t>(t) * d.symbols + s;
    const double c = close[i], m = ma[chain + i];
    state = formulas::next_signal(state, c, c_prev, m, m_prev);
    signal[chain + i] = state;
    c_prev = c;
    m_prev = m;
  }
}

__global__ void __launch_bounds__(kThreads) returns_kernel(Dense d, const double* __restrict__ close,
                                                           double* __restrict__ r) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= d.size()) return;
  const std::size_t s = static_cast<std::size_t>(d.symbols);
  r[i] = i < s ? NAN : (close[i] - close[i - s]) / close[i - s];
}

// Thread (s, chain = blockIdx.y): one equity curve; Signal is int8 (per-MA) or double
// (family signal, NaN before cutout).
template <class Signal>
__global__ void __launch_bounds__(kThreads) equity_kernel(Dense d, const Signal* __restrict__ signal,
                                                          const double* __restrict__ r,
                                                          const double* __restrict__ growth,
                                                          const __grid_constant__ StartTable starts,
                                                          int cutout, double keep,
                                                          double* __restrict__ equity) {
  const int s = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (s >= d.symbols) return;
  const std::size_t chain = static_cast<std::size_t>(blockIdx.y) * d.size();
  const double start = starts.start[blockIdx.y];
  formulas::Equity curve;
  double sig_prev = NAN;
  for (int t = 0; t < d.bars; ++t) {
    const std::size_t i = static_cast<std::size_t>(t) * d.symbols + s;
    const double adjusted = t > 0 ? r[i] * growth[t] : NAN;
    equity[chain + i] = curve.step(t, cutout, start, adjusted, sig_prev, keep);
    sig_prev = static_cast<double>(signal[chain + i]);
  }
}

__global__ void __launch_bounds__(kThreads) layer1_kernel(Dense d, const std::int8_t* __restrict__ signal,
                                                          const double* __restrict__ equity, int cutout,
                                                          double* __restrict__ out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= d.size()) return;
  const int t = static_cast<int>(i / static_cast<std::size_t>(d.symbols));
  double num = 0.0, den = 0.0;
#pragma unroll
  for (int c = 0; c < kLengthsPerFamily; ++c) {  // order L, L+o1..L+o4, L-o1..L-o4
    const double e = equity[c * d.size() + i];
    num += signal[c * d.size() + i] * e;
    den += e;
  }
  out[i] = t < cutout ? NAN : formulas::round2(num / den);
}

__global__ void __launch_bounds__(kThreads) average_kernel(Dense d, const double* __restrict__ family_signal,
                                                           const double* __restrict__ family_equity,
                                                           int cutout, double* __restrict__ out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= d.size()) return;
  const int t = static_cast<int>(i / static_cast<std::size_t>(d.symbols));
  formulas::AverageSignalT<double> average;
#pragma unroll
  for (int f = 0; f < kFamilies; ++f) average.add(family_signal[f * d.size() + i], family_equity[f * d.size() + i]);
  out[i] = t < cutout ? NAN : average.value();
}

__global__ void __launch_bounds__(kThreads) classify_kernel(Dense d, const double* __restrict__ average,
                                                            double long_th, double short_th,
                                                            bool strategy, std::int8_t* __restrict__ out) {
  const int s = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (s >= d.symbols) return;
  formulas::Classifier classifier;
  double average_prev = NAN, a_prev = NAN;
  for (int t = 0; t < d.bars; ++t) {
    const std::size_t i = static_cast<std::size_t>(t) * d.symbols + s;
    const double a = strategy ? average_prev : average[i];
    const auto bar = classifier.step(a, a_prev, long_th, short_th);
    out[i] = bar.trend;
    out[d.size() + i] = bar.state;
    out[2 * d.size() + i] = bar.direction;
    out[3 * d.size() + i] = bar.long_entry;
    out[4 * d.size() + i] = bar.short_entry;
    average_prev = average[i];
    a_prev = a;
  }
}

template <int F>
void launch_ma(Dense d, const double* src, const LengthTable& lengths, double* ma, cudaStream_t stream) {
  const dim3 grid(blocks_for(static_cast<std::size_t>(d.symbols)), kLengthsPerFamily);
  ma_kernel<F><<<grid, kThreads, 0, stream>>>(d, src, lengths, ma);
  ATC_CUDA_CHECK_LAUNCH("ma_kernel");
}

}  // namespace

void moving_averages(Family family, Dense d, const double* src, const Lengths& lengths, double* ma,
                     cudaStream_t stream) {
  if (d.size() == 0) return;
  LengthTable table{};
  for (int i = 0; i < kLengthsPerFamily; ++i) table.len[i] = lengths[i];
  switch (family) {
    case Family::EMA: launch_ma<0>(d, src, table, ma, stream); break;
    case Family::HMA: launch_ma<1>(d, src, table, ma, stream); break;
    case Family::WMA: launch_ma<2>(d, src, table, ma, stream); break;
    case Family::DEMA: launch_ma<3>(d, src, table, ma, stream); break;
    case Family::LSMA: launch_ma<4>(d, src, table, ma, stream); break;
    case Family::KAMA: launch_ma<5>(d, src, table, ma, stream); break;
  }
}

void crossover_signals(Dense d, int chains, const double* close, const double* ma, std::int8_t* signal,
                       cudaStream_t stream) {
  if (d.size() == 0 || chains == 0) return;
  const dim3 grid(blocks_for(static_cast<std::size_t>(d.symbols)), static_cast<unsigned>(chains));
  signal_kernel<<<grid, kThreads, 0, stream>>>(d, close, ma, signal);
  ATC_CUDA_CHECK_LAUNCH("signal_kernel");
}

void returns(Dense d, const double* close, double* r, cudaStream_t stream) {
  if (d.size() == 0) return;
  returns_kernel<<<blocks_for(d.size()), kThreads, 0, stream>>>(d, close, r);
  ATC_CUDA_CHECK_LAUNCH("returns_kernel");
}

void ma_equities(Dense d, int chains, const std::int8_t* signal, const double* r, const double* growth,
                 int cutout, double keep, double* equity, cudaStream_t stream) {
  if (d.size() == 0 || chains == 0) return;
  if (chains > kLengthsPerFamily) throw Error("ma_equities: at most 9 chains per launch");
  StartTable starts{};
  for (double& s : starts.start) s = 1.0;
  const dim3 grid(blocks_for(static_cast<std::size_t>(d.symbols)), static_cast<unsigned>(chains));
  equity_kernel<std::int8_t><<<grid, kThreads, 0, stream>>>(d, signal, r, growth, starts, cutout, keep,
                                                            equity);
  ATC_CUDA_CHECK_LAUNCH("equity_kernel<int8>");
}

void family_equities(Dense d, const double* family_signal, const double* r, const double* growth,
                     const std::array<double, kFamilies>& weight, int cutout, double keep,
                     double* equity, cudaStream_t stream) {
  if (d.size() == 0) return;
  StartTable starts{};
  for (int f = 0; f < kFamilies; ++f) starts.start[f] = weight[f];
  const dim3 grid(blocks_for(static_cast<std::size_t>(d.symbols)), kFamilies);
  equity_kernel<double><<<grid, kThreads, 0, stream>>>(d, family_signal, r, growth, starts, cutout,
                                                       keep, equity);
  ATC_CUDA_CHECK_LAUNCH("equity_kernel<double>");
}

void layer1(Dense d, const std::int8_t* signal, const double* equity, int cutout, double* family_signal,
            cudaStream_t stream) {
  if (d.size() == 0) return;
  layer1_kernel<<<blocks_for(d.size()), kThreads, 0, stream>>>(d, signal, equity, cutout, family_signal);
  ATC_CUDA_CHECK_LAUNCH("layer1_kernel");
}

void average_signal(Dense d, const double* family_signal, const double* family_equity, int cutout,
                    double* average, cudaStream_t stream) {
  if (d.size() == 0) return;
  average_kernel<<<blocks_for(d.size()), kThreads, 0, stream>>>(d, family_signal, family_equity, cutout,
                                                                average);
  ATC_CUDA_CHECK_LAUNCH("average_kernel");
}

void classify(Dense d, const double* average, double long_threshold, double short_threshold,
              bool strategy, std::int8_t* out, cudaStream_t stream) {
  if (d.size() == 0) return;
  classify_kernel<<<blocks_for(static_cast<std::size_t>(d.symbols)), kThreads, 0, stream>>>(
      d, average, long_threshold, short_threshold, strategy, out);
  ATC_CUDA_CHECK_LAUNCH("classify_kernel");
}

}  // namespace atc::cuda
