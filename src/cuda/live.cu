// DeviceStates (src/live/live_device.hpp): the live states of a universe on the device,
// advanced by live_step.hpp's stages (the cpu engine's code), a warp per family.
// The states lie in live_step.hpp's TileLayout: the Cores of a warp's 32 symbols
// interleaved in 16-byte units, the rings slot-major across symbols, so that a warp's
// accesses to one field of its symbols are adjacent.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <span>
#include <type_traits>

#include "../live/live_device.hpp"
#include "../core/prepared.hpp"
#include "../live/live_step.hpp"
#include "check.hpp"
#include "device_buffer.hpp"
#include "event.hpp"
#include "stream.hpp"

namespace atc::detail::live {
namespace {

// The output block: the double columns, then the 64-bit integers, then the bytes.
constexpr int kDoubleColumns = 1 + 2 * kFamilies;
constexpr int kIntegerColumns = 2;  // bars, fatal_bar
constexpr int kByteColumns = 5 + 2;  // the classification, updated, fatal
constexpr std::size_t kOutputBytesPerSymbol = 8 * (kDoubleColumns + kIntegerColumns) + kByteColumns;

struct OutputColumns {
  double* average;
  double* family_signal[kFamilies];
  double* family_equity[kFamilies];
  std::int64_t* bars;
  std::int64_t* fatal_bar;
  std::int8_t* classification[5];
  std::uint8_t* updated;
  std::uint8_t* fatal;
};

template <class Byte>
OutputColumns columns_at(Byte* base, std::size_t n) {
  OutputColumns c{};
  auto* doubles = reinterpret_cast<double*>(base);
  c.average = doubles;
  for (int f = 0; f < kFamilies; ++f) {
    c.family_signal[f] = doubles + (1 + f) * n;
    c.family_equity[f] = doubles + (1 + kFamilies + f) * n;
  }
  auto* integers = reinterpret_cast<std::int64_t*>(doubles + kDoubleColumns * n);
  c.bars = integers;
  c.fatal_bar = integers + n;
  auto* bytes = reinterpret_cast<std::uint8_t*>(integers + kIntegerColumns * n);
  for (int k = 0; k < 5; ++k) c.classification[k] = reinterpret_cast<std::int8_t*>(bytes + k * n);
  c.updated = bytes + 5 * n;
  c.fatal = bytes + 6 * n;
  return c;
}

// A block advances 32 symbols, one per lane: warp 0 runs a bar's first stage for them,
// then warp f runs family f's stages (kFamilies warps side by side, no divergence
// within a warp), then warp 0 the last stage and the outputs. The stages are
// live_step.hpp's, which the host runs one after the other.
constexpr int kSymbolsPerBlock = TileLayout::kTileSymbols;
constexpr int kBlockThreads = kSymbolsPerBlock * kFamilies;

__global__ void __launch_bounds__(kBlockThreads)
    step_kernel(Core* tiles, double* rings, Wide* ring_ticks, std::size_t ring_stride, const __grid_constant__ Params p,
                const double* growth, const double* close, const double* src, const std::uint8_t* take, long long n,
                OutputColumns out) {
  const int lane = static_cast<int>(threadIdx.x) % kSymbolsPerBlock;
  const int warp = static_cast<int>(threadIdx.x) / kSymbolsPerBlock;
  const long long i = static_cast<long long>(blockIdx.x) * kSymbolsPerBlock + lane;
  // (Raw storage: BarContext's members have default initializers, which __shared__
  // variables may not.)
  __shared__ alignas(BarContext) unsigned char context_bytes[kSymbolsPerBlock * sizeof(BarContext)];
  __shared__ FamilyBar families[kSymbolsPerBlock][kFamilies];
  __shared__ bool chains_finite[kSymbolsPerBlock][kFamilies];
  __shared__ bool stepping[kSymbolsPerBlock];
  BarContext& ctx = reinterpret_cast<BarContext*>(context_bytes)[lane];
  Core* tile = tiles + static_cast<std::size_t>(blockIdx.x) * kSymbolsPerBlock;
  const StateRefT<TileLayout> s{tile, rings + i, ring_ticks + i, TileLayout{lane, ring_stride}};
  const bool updated = i < n && take[i] != 0 && s.at(tile->fatal) == StatusCode::Ok;
  if (warp == 0) stepping[lane] = updated && begin_bar(s, p, close[i], src != nullptr ? src[i] : close[i],
                                                        growth[s.at(tile->bars)], ctx);
  __syncthreads();
  if (stepping[lane]) {
    std::int8_t side[K];
    family_sides(s, p, ctx, warp, side);
    chains_finite[lane][warp] = advance_chains(s, p, ctx, warp * K, K, side);
    families[lane][warp] = family_layer(s, p, ctx, warp);
  }
  __syncthreads();
  if (warp != 0 || i >= n) return;
  BarOutputs o;
  if (stepping[lane]) {
    bool finite = true;
    for (int f = 0; f < kFamilies; ++f) finite = finite && chains_finite[lane][f] && families[lane][f].finite;
    o = end_bar(s, p, ctx, families[lane], finite);
  } else {
    o = step_detail::last_outputs(s);
  }
  out.average[i] = o.average;
  for (int f = 0; f < kFamilies; ++f) {
    out.family_signal[f][i] = o.family_signal[f];
    out.family_equity[f][i] = o.family_equity[f];
  }
  out.classification[0][i] = o.trend;
  out.classification[1][i] = o.state;
  out.classification[2][i] = o.direction;
  out.classification[3][i] = o.long_entry;
  out.classification[4][i] = o.short_entry;
  out.bars[i] = s.at(tile->bars);
  out.fatal_bar[i] = s.at(tile->fatal_bar);
  out.updated[i] = updated ? 1 : 0;
  out.fatal[i] = static_cast<std::uint8_t>(s.at(tile->fatal));
}

// A Core's 16-byte units, as TileLayout places them.
struct alignas(TileLayout::kUnit) Unit {
  unsigned char bytes[TileLayout::kUnit];
};
constexpr std::size_t kUnitsPerCore = sizeof(Core) / sizeof(Unit);
static_assert(sizeof(Core) % sizeof(Unit) == 0);

std::size_t padded(std::size_t n) { return (n + kSymbolsPerBlock - 1) / kSymbolsPerBlock * kSymbolsPerBlock; }

// Every symbol's Core between its record and its tile (symbol i in tile i / 32, lane
// i % 32): into the tiles from const records (an upload), else back into the records.
template <class State>
void copy_tiles(std::span<State> states, Core* tiles) {
  constexpr bool kToTiles = std::is_const_v<State>;
  for (std::size_t i = 0; i < states.size(); ++i) {
    Core* tile = tiles + i / kSymbolsPerBlock * kSymbolsPerBlock;
    const TileLayout layout{static_cast<int>(i % kSymbolsPerBlock), 0};
    auto* record = reinterpret_cast<std::conditional_t<kToTiles, const Unit, Unit>*>(&states[i].core);
    auto* units = reinterpret_cast<Unit*>(tile);
    for (std::size_t u = 0; u < kUnitsPerCore; ++u) {
      Unit& placed = layout.place(tile, units[u]);
      if constexpr (kToTiles) placed = record[u];
      else record[u] = placed;
    }
  }
}

}  // namespace

struct DeviceStates::Impl {
  Params params;
  cuda::Stream stream;
  std::size_t n = 0;
  // The states of record and the copy a peek works on.
  cuda::DeviceBuffer<Core> cores, scratch_cores;
  cuda::DeviceBuffer<double> rings, scratch_rings;
  cuda::DeviceBuffer<Wide> ticks, scratch_ticks;
  cuda::DeviceBuffer<double> d_close, d_src;
  cuda::DeviceBuffer<std::uint8_t> d_take, d_out;
  cuda::PinnedArray<double> h_close, h_src;
  cuda::PinnedArray<std::uint8_t> h_take, h_out;
  // formulas::growth_factor of bars 0 … growth.size() − 1, computed on the host (the
  // device's exp is not the host's), and the most bars any symbol has.
  std::vector<double> growth;
  cuda::DeviceBuffer<double> d_growth;
  std::int64_t max_bars = 0;
  std::unique_ptr<cuda::Event> kernel_start, kernel_stop;  // when timing
  double kernel_ms = 0.0;

  explicit Impl(const Params& p) : params(p) {}

  // The growth table covers every symbol's next bar.
  void cover_growth() {
    const auto needed = static_cast<std::size_t>(max_bars) + 1;
    if (needed <= growth.size()) return;
    growth = growth_table(params.config, std::max(needed + 1024, 2 * growth.size()));
    d_growth = cuda::DeviceBuffer<double>(growth.size());
    d_growth.upload(growth);
  }

  std::size_t ring() const { return static_cast<std::size_t>(params.ring); }
  // Symbols rounded up to whole tiles: a ring slot's stride.
  std::size_t lanes() const { return padded(n); }

  void resize(std::size_t count) {
    n = count;
    cores = cuda::DeviceBuffer<Core>(lanes());
    rings = cuda::DeviceBuffer<double>(lanes() * ring());
    ticks = cuda::DeviceBuffer<Wide>(lanes() * ring());
    scratch_cores = {};
    scratch_rings = {};
    scratch_ticks = {};
    d_close = cuda::DeviceBuffer<double>(n);
    d_src = cuda::DeviceBuffer<double>(n);
    d_take = cuda::DeviceBuffer<std::uint8_t>(n);
    d_out = cuda::DeviceBuffer<std::uint8_t>(n * kOutputBytesPerSymbol);
    h_close = cuda::pinned<double>(n);
    h_src = cuda::pinned<double>(n);
    h_take = cuda::pinned<std::uint8_t>(n);
    h_out = cuda::pinned<std::uint8_t>(n * kOutputBytesPerSymbol);
  }
};

DeviceStates::DeviceStates(const Params& params) {
  if (!cuda_device_usable()) throw BackendUnavailable("live engine: no usable CUDA device for the cuda backend");
  impl_ = std::make_unique<Impl>(params);
}
DeviceStates::~DeviceStates() = default;

std::size_t DeviceStates::size() const { return impl_->n; }
void DeviceStates::time_kernel(bool on) {
  impl_->kernel_start = on ? std::make_unique<cuda::Event>() : nullptr;
  impl_->kernel_stop = on ? std::make_unique<cuda::Event>() : nullptr;
}
double DeviceStates::last_kernel_ms() const { return impl_->kernel_ms; }
double* DeviceStates::close_input() { return impl_->h_close.get(); }
double* DeviceStates::src_input() { return impl_->h_src.get(); }
std::uint8_t* DeviceStates::take_input() { return impl_->h_take.get(); }

void DeviceStates::upload(std::span<const SymbolState> states) {
  Impl& m = *impl_;
  if (states.size() != m.n) m.resize(states.size());
  if (m.n == 0) return;
  const std::size_t ring = m.ring(), lanes = m.lanes();
  std::vector<Core> tiles(lanes);
  std::vector<double> rings(lanes * ring);
  std::vector<Wide> ticks(lanes * ring);
  copy_tiles(states, tiles.data());
  m.max_bars = 0;
  for (std::size_t i = 0; i < m.n; ++i) {
    for (std::size_t k = 0; k < ring; ++k) {
      rings[k * lanes + i] = states[i].ring[k];
      ticks[k * lanes + i] = states[i].ring_ticks[k];
    }
    m.max_bars = std::max(m.max_bars, states[i].core.bars);
  }
  m.cores.upload(tiles);
  m.rings.upload(rings);
  m.ticks.upload(ticks);
  m.cover_growth();
}

void DeviceStates::download(std::span<SymbolState> states) {
  Impl& m = *impl_;
  if (m.n == 0) return;
  const std::size_t ring = m.ring(), lanes = m.lanes();
  std::vector<Core> tiles(lanes);
  std::vector<double> rings(lanes * ring);
  std::vector<Wide> ticks(lanes * ring);
  m.cores.download(tiles);
  m.rings.download(rings);
  m.ticks.download(ticks);
  copy_tiles(states, tiles.data());
  for (std::size_t i = 0; i < m.n; ++i) {
    for (std::size_t k = 0; k < ring; ++k) {
      states[i].ring[k] = rings[k * lanes + i];
      states[i].ring_ticks[k] = ticks[k * lanes + i];
    }
  }
}

DeviceBarColumns DeviceStates::step(bool own_src, bool commit) {
  Impl& m = *impl_;
  DeviceBarColumns result;
  if (m.n == 0) return result;
  const cudaStream_t stream = m.stream.get();
  Core* cores = m.cores.data();
  double* rings = m.rings.data();
  Wide* ticks = m.ticks.data();
  if (!commit) {
    if (m.scratch_cores.size() != m.cores.size()) {
      m.scratch_cores = cuda::DeviceBuffer<Core>(m.cores.size());
      m.scratch_rings = cuda::DeviceBuffer<double>(m.rings.size());
      m.scratch_ticks = cuda::DeviceBuffer<Wide>(m.ticks.size());
    }
    ATC_CUDA_CHECK(cudaMemcpyAsync(m.scratch_cores.data(), cores, m.cores.bytes(), cudaMemcpyDeviceToDevice, stream));
    ATC_CUDA_CHECK(cudaMemcpyAsync(m.scratch_rings.data(), rings, m.rings.bytes(), cudaMemcpyDeviceToDevice, stream));
    ATC_CUDA_CHECK(cudaMemcpyAsync(m.scratch_ticks.data(), ticks, m.ticks.bytes(), cudaMemcpyDeviceToDevice, stream));
    cores = m.scratch_cores.data();
    rings = m.scratch_rings.data();
    ticks = m.scratch_ticks.data();
  }
  ATC_CUDA_CHECK(cudaMemcpyAsync(m.d_close.data(), m.h_close.get(), m.n * sizeof(double), cudaMemcpyHostToDevice, stream));
  if (own_src)
    ATC_CUDA_CHECK(cudaMemcpyAsync(m.d_src.data(), m.h_src.get(), m.n * sizeof(double), cudaMemcpyHostToDevice, stream));
  ATC_CUDA_CHECK(cudaMemcpyAsync(m.d_take.data(), m.h_take.get(), m.n, cudaMemcpyHostToDevice, stream));
  m.cover_growth();
  const auto blocks = static_cast<unsigned>((m.n + kSymbolsPerBlock - 1) / kSymbolsPerBlock);
  if (m.kernel_start) m.kernel_start->record(stream);
  step_kernel<<<blocks, kBlockThreads, 0, stream>>>(cores, rings, ticks, m.lanes(), m.params, m.d_growth.data(),
                                                    m.d_close.data(),
                                                    own_src ? m.d_src.data() : nullptr, m.d_take.data(),
                                                    static_cast<long long>(m.n), columns_at(m.d_out.data(), m.n));
  ATC_CUDA_CHECK_LAUNCH("live step_kernel");
  if (m.kernel_stop) m.kernel_stop->record(stream);
  if (commit) ++m.max_bars;  // at most one bar more for any symbol
  ATC_CUDA_CHECK(cudaMemcpyAsync(m.h_out.get(), m.d_out.data(), m.n * kOutputBytesPerSymbol, cudaMemcpyDeviceToHost,
                                 stream));
  ATC_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (m.kernel_stop) m.kernel_ms = cuda::elapsed_ms(*m.kernel_start, *m.kernel_stop);

  const OutputColumns host = columns_at(m.h_out.get(), m.n);
  result.average = host.average;
  for (int f = 0; f < kFamilies; ++f) {
    result.family_signal[f] = host.family_signal[f];
    result.family_equity[f] = host.family_equity[f];
  }
  for (int k = 0; k < 5; ++k) result.classification[k] = host.classification[k];
  result.bars = host.bars;
  result.fatal_bar = host.fatal_bar;
  result.updated = host.updated;
  result.fatal = host.fatal;
  return result;
}

}  // namespace atc::detail::live
