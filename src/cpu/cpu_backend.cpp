// The fast CPU backend: one pass over the bars updates all 54 moving-average chains,
// their signals and equities, both layers and the classification, with O(1) work per
// bar (group_pipeline.inl). Symbols are computed in SIMD groups of kGroupLanes, one
// symbol per vector lane, sorted by length so a group's lanes end at about the same
// bar; worker threads take groups from a shared counter.
#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

#include "../core/worker_pool.hpp"
#include "group.hpp"

namespace atc::detail {
namespace {

// Groups of symbols of similar length, longest first, so the slowest groups start
// early and the threads finish together.
std::vector<SymbolGroup> make_groups(const PreparedBatch& batch) {
  std::vector<std::size_t> order(batch.series.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return batch.series[a].n > batch.series[b].n;
  });
  std::vector<SymbolGroup> groups;
  for (std::size_t i = 0; i < order.size(); i += kGroupLanes) {
    SymbolGroup g;
    g.lanes = static_cast<int>(std::min<std::size_t>(kGroupLanes, order.size() - i));
    for (int l = 0; l < g.lanes; ++l) {
      g.index[l] = order[i + l];
      g.series[l] = &batch.series[order[i + l]];
    }
    g.bars = g.series[0]->n;
    groups.push_back(g);
  }
  return groups;
}

using GroupEntry = void (*)(const Config&, const std::vector<double>&, const OutputColumns&,
                            const SymbolGroup&);

GroupEntry select_group_entry() {
#if defined(ATC_CPU_AVX2)
  if (__builtin_cpu_supports("avx2")) return run_group_avx2;
#endif
  return run_group_baseline;
}

}  // namespace

void run_cpu(const PreparedBatch& batch, const Config& config, OutputColumns out, int threads,
             const std::stop_token& stop) {
  const std::vector<double> growth = growth_table(config, batch.max_bars);
  const std::vector<SymbolGroup> groups = make_groups(batch);
  const GroupEntry run_group = select_group_entry();
  unsigned workers = threads > 0 ? static_cast<unsigned>(threads)
                                 : std::max(1u, std::thread::hardware_concurrency());
  workers = static_cast<unsigned>(std::min<std::size_t>(workers, groups.size()));

  // Groups are handed out one at a time: their lengths differ, static splits would idle.
  std::atomic<std::size_t> next{0};
  run_parts(workers, [&](unsigned) {
    for (std::size_t i = next.fetch_add(1); i < groups.size() && !stop.stop_requested(); i = next.fetch_add(1))
      run_group(config, growth, out, groups[i]);
  });
  throw_if_cancelled(stop);
}

}  // namespace atc::detail
