// A SIMD group of the cpu backend: up to kGroupLanes symbols computed side by side,
// one per vector lane. The group pipeline is compiled once per instruction set.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "../core/prepared.hpp"

namespace atc::detail {

inline constexpr int kGroupLanes = 4;

struct SymbolGroup {
  std::array<const PreparedSeries*, kGroupLanes> series{};
  std::array<std::size_t, kGroupLanes> index{};  // of each lane's series in PreparedBatch::series
  int lanes = 0;         // real symbols; unused lanes repeat lane 0 and are not written
  std::size_t bars = 0;  // the longest lane's length
};

// Computes every lane of `group` and writes its rows of `out`.
void run_group_baseline(const Config& config, const std::vector<double>& growth,
                        const OutputColumns& out, const SymbolGroup& group);
#if defined(ATC_CPU_AVX2)
void run_group_avx2(const Config& config, const std::vector<double>& growth,
                    const OutputColumns& out, const SymbolGroup& group);
#endif

}  // namespace atc::detail
