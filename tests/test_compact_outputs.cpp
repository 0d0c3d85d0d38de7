// OutputRequest::compact(): X_Signal as int8 hundredths. On the reference and cpu
// backends, over ragged series with late listings, a cutout and a symbol with bad
// input, it holds exactly the standard request's numbers, and its CSV is the same text.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "atc/atc.hpp"
#include "atc/io.hpp"
#include "support/batch.hpp"
#include "support/compact.hpp"

namespace atc::test {
namespace {

OwnedBatch batch_with_a_bad_symbol() {
  OwnedBatch batch = ragged_batch({.symbols = 30, .min_bars = 150, .max_bars = 700, .max_leading_nans = 25, .seed = 11});
  std::vector<double> bad = batch.close[3];
  bad[bad.size() / 2] = -1.0;  // a non-positive close: this symbol fails, the others must not
  batch.add("BAD", std::move(bad));
  return batch;
}

TEST(CompactOutputs, HundredthsHoldTheStandardNumbersOnEveryHostBackend) {
  const OwnedBatch batch = batch_with_a_bad_symbol();
  Config config;
  config.cutout = 17;
  for (Backend backend : {Backend::Reference, Backend::Cpu}) {
    SCOPED_TRACE(backend == Backend::Cpu ? "cpu" : "reference");
    ComputeOptions options;
    options.backend = backend;
    options.outputs = OutputRequest::standard();
    const BatchResult standard = compute_batch(batch.views(), config, options);
    options.outputs = OutputRequest::compact();
    const BatchResult compact = compute_batch(batch.views(), config, options);
    EXPECT_EQ(standard.error_count(), 1u);
    EXPECT_FALSE(compact.status.back().ok());
    expect_compact_matches_standard(standard, compact);
  }
}

TEST(CompactOutputs, CsvIsTheSameText) {
  const OwnedBatch batch = ragged_batch({.symbols = 2, .min_bars = 300, .max_bars = 300, .seed = 12});
  ComputeOptions options;
  options.backend = Backend::Cpu;
  options.outputs = OutputRequest::standard();
  const BatchResult standard = compute_batch(batch.views(), Config{}, options);
  options.outputs = OutputRequest::compact();
  const BatchResult compact = compute_batch(batch.views(), Config{}, options);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::ostringstream a, b;
    io::write_outputs_csv(a, {}, batch.close[i], standard.outputs.view(i), Config{}, std::nullopt);
    io::write_outputs_csv(b, {}, batch.close[i], compact.outputs.view(i), Config{}, std::nullopt);
    EXPECT_EQ(a.str(), b.str()) << "symbol " << i;
    EXPECT_NE(a.str().find("EMA_Signal"), std::string::npos);
  }
}

}  // namespace
}  // namespace atc::test
