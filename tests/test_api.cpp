// The batch entry points agree with each other: a ragged buffer, a table and one
// symbol at a time give the same bits; malformed offsets are refused with a reason.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "support/random_walk.hpp"

namespace {

bool same_bits(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(RaggedBatch, EqualsComputingEachSymbolAlone) {
  const std::vector<std::size_t> lengths{300, 57, 1000, 120};
  std::vector<double> buffer;
  std::vector<std::size_t> offsets{0};
  std::vector<std::string> symbols;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const std::vector<double> walk = atc::test::random_walk(lengths[i], 100 + i);
    buffer.insert(buffer.end(), walk.begin(), walk.end());
    offsets.push_back(buffer.size());
    symbols.push_back("R");
    symbols.back() += std::to_string(i);
  }
  const atc::Config config;
  atc::ComputeOptions options;
  options.backend = atc::Backend::Cpu;
  const atc::BatchResult ragged = atc::compute_ragged(buffer, offsets, symbols, config, options);
  ASSERT_EQ(ragged.outputs.offsets, offsets);
  EXPECT_EQ(ragged.status[1].code, atc::StatusCode::TooShort);  // 57 bars < 2·34 − 1
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    if (!ragged.status[i].ok()) continue;
    const std::span<const double> close(buffer.data() + offsets[i], lengths[i]);
    const atc::BatchResult alone = atc::compute(close, config, options);
    EXPECT_TRUE(same_bits(ragged.outputs.view(i).average_signal, alone.outputs.view(0).average_signal))
        << symbols[i];
  }
}

TEST(RaggedBatch, MalformedOffsetsAreRefused) {
  const std::vector<double> buffer(100, 1.0);
  const std::vector<std::string> symbols{"A", "B"};
  const atc::Config config;
  const std::vector<std::size_t> too_few{0, 100};
  EXPECT_THROW(atc::compute_ragged(buffer, too_few, symbols, config), atc::InputError);
  const std::vector<std::size_t> short_end{0, 50, 90};
  EXPECT_THROW(atc::compute_ragged(buffer, short_end, symbols, config), atc::InputError);
  const std::vector<std::string> three{"A", "B", "C"};
  const std::vector<std::size_t> decreasing{0, 60, 50, 100};
  try {
    atc::compute_ragged(buffer, decreasing, three, config);
    FAIL() << "decreasing offsets were accepted";
  } catch (const atc::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'B'"), std::string::npos) << e.what();
  }
}

// A context for the cuda backend can be named on any backend: the cpu backend leaves it
// untouched, and a context that holds nothing releases nothing.
TEST(GpuContext, IsIgnoredByTheCpuBackendAndReleasesWhatItHolds) {
  const std::vector<double> walk = atc::test::random_walk(400, 7);
  atc::ComputeOptions options;
  options.backend = atc::Backend::Cpu;
  const atc::BatchResult plain = atc::compute(walk, atc::Config{}, options);
  atc::GpuContext context;
  options.gpu_context = &context;
  const atc::BatchResult with_context = atc::compute(walk, atc::Config{}, options);
  EXPECT_TRUE(same_bits(plain.outputs.view(0).average_signal, with_context.outputs.view(0).average_signal));
  EXPECT_EQ(context.footprint().pipelines, 0u);
  EXPECT_EQ(context.footprint().device_bytes, 0u);
  context.release();
  EXPECT_EQ(context.footprint().pinned_bytes, 0u);
  atc::GpuContext& shared = atc::default_gpu_context();
  EXPECT_EQ(&shared, &atc::default_gpu_context());
}

}  // namespace
