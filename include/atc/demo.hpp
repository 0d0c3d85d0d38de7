// The bundled default market: a deterministic synthetic universe with realistic
// behaviour (trends, ranges, volatility clusters, late listings), generated in code
// so that `atc demo` and the benchmarks need no data files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace atc::demo {

struct Market {
  std::vector<std::string> symbols;
  std::size_t bars = 0;
  std::vector<double> close;             // column-major: symbol s at close[s * bars]; NaN before listing
  std::vector<std::int64_t> timestamps;  // one per bar, Unix seconds (daily bars)
};

inline constexpr std::size_t kDefaultSymbols = 300;
inline constexpr std::size_t kDefaultBars = 3000;
inline constexpr std::uint64_t kDefaultSeed = 20261125;

// Same seed, same market, on every platform. Symbol s does not depend on how many
// symbols are generated.
Market make_market(std::size_t symbols = kDefaultSymbols, std::size_t bars = kDefaultBars,
                   std::uint64_t seed = kDefaultSeed);

}  // namespace atc::demo
