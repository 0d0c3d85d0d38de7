// Spec §1 (parameter validation) and §10 (inputs that are not clean): every invalid
// parameter throws ConfigError naming it; every bad symbol is reported with its bar and
// reason while the other symbols of the batch come out exactly as if computed alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "atc/atc.hpp"
#include "support/batch.hpp"
#include "support/compare.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ------------------------------------------------------------------ §1 parameters

class ConfigValidation : public ::testing::Test {
 protected:
  // compute_batch must refuse before computing anything, naming `parameter`.
  void expect_rejected(const Config& config, const std::string& parameter) const {
    try {
      compute_batch(views_, config);
      ADD_FAILURE() << "no ConfigError; expected one naming " << parameter;
    } catch (const ConfigError& error) {
      EXPECT_TRUE(contains(error.what(), parameter))
          << "message '" << error.what() << "' does not name " << parameter;
    }
  }

  void expect_accepted(const Config& config) const {
    const BatchResult result = compute_batch(views_, config);
    EXPECT_EQ(result.ok_count(), 1u) << result.status[0].message;
  }

  test::OwnedBatch batch_ = [] {
    test::OwnedBatch b;
    b.add("X", test::random_walk(300, 1));
    return b;
  }();
  std::vector<SeriesView> views_ = batch_.views();
};

struct ShortestBase {
  Robustness robustness;
  int base;  // smallest valid base length: o4 + 1
};

class LengthValidation : public ConfigValidation,
                         public ::testing::WithParamInterface<ShortestBase> {};

TEST_P(LengthValidation, EachFamilyNeedsItsShortestLengthAtLeastOne) {
  const auto [robustness, base] = GetParam();
  Config shortest;
  shortest.robustness = robustness;
  shortest.length.fill(base);
  expect_accepted(shortest);
  for (Family family : kAllFamilies) {
    SCOPED_TRACE(family_name(family));
    std::string name(family_name(family));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
    for (int too_short : {base - 1, 0, -3}) {
      Config config = shortest;
      config.length_of(family) = too_short;
      expect_rejected(config, name + "_len");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Robustness, LengthValidation,
                         ::testing::Values(ShortestBase{Robustness::Narrow, 5},
                                           ShortestBase{Robustness::Medium, 7},
                                           ShortestBase{Robustness::Wide, 8}),
                         [](const auto& p) { return std::string(robustness_name(p.param.robustness)); });

TEST_F(ConfigValidation, NonFiniteLambdaAndDecay) {
  for (double bad : {kNaN, kInf, -kInf}) {
    Config lambda;
    lambda.lambda = bad;
    expect_rejected(lambda, "lambda");
    Config decay;
    decay.decay = bad;
    expect_rejected(decay, "decay");
  }
}

TEST_F(ConfigValidation, NonFiniteWeights) {
  for (Family family : kAllFamilies) {
    std::string name(family_name(family));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
    for (double bad : {kNaN, kInf}) {
      Config config;
      config.weight_of(family) = bad;
      expect_rejected(config, name + "_w");
    }
  }
}

TEST_F(ConfigValidation, NonFiniteThresholds) {
  for (double bad : {kNaN, kInf, -kInf}) {
    Config long_threshold;
    long_threshold.long_threshold = bad;
    expect_rejected(long_threshold, "long_threshold");
    Config short_threshold;
    short_threshold.short_threshold = bad;
    expect_rejected(short_threshold, "short_threshold");
  }
}

TEST_F(ConfigValidation, DecayOutsideZeroToHundredPercent) {
  for (double bad : {-0.001, 100.0, 250.0}) {
    Config config;
    config.decay = bad;
    expect_rejected(config, "decay");
  }
  for (double good : {0.0, 99.99}) {
    Config config;
    config.decay = good;
    expect_accepted(config);
  }
}

TEST_F(ConfigValidation, NegativeCutout) {
  Config config;
  config.cutout = -1;
  expect_rejected(config, "cutout");
}

TEST_F(ConfigValidation, LongThresholdBelowShortThreshold) {
  Config config;
  config.long_threshold = -0.2;
  config.short_threshold = -0.1;
  expect_rejected(config, "long_threshold");
  config.long_threshold = -0.1;  // equal thresholds are allowed
  expect_accepted(config);
}

TEST_F(ConfigValidation, UnknownRobustness) {
  Config config;
  config.robustness = static_cast<Robustness>(7);
  expect_rejected(config, "robustness");
}

TEST_F(ConfigValidation, RejectedEvenWithoutInput) {
  Config config;
  config.cutout = -5;
  EXPECT_THROW(compute_batch({}, config), ConfigError);
}

// ------------------------------------------------------------------ §10 bad inputs

// Outputs of one symbol equal bit for bit (NaN where NaN) to another's.
void expect_identical_outputs(const SymbolOutputView& a, const SymbolOutputView& b) {
  auto same = [](std::span<const double> x, std::span<const double> y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](double p, double q) {
      return std::bit_cast<std::uint64_t>(p) == std::bit_cast<std::uint64_t>(q) ||
             (std::isnan(p) && std::isnan(q));
    });
  };
  auto same_discrete = [](std::span<const std::int8_t> x, std::span<const std::int8_t> y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end());
  };
  EXPECT_TRUE(same(a.average_signal, b.average_signal));
  for (int f = 0; f < kFamilies; ++f) {
    EXPECT_TRUE(same(a.family_signal[f], b.family_signal[f])) << family_name(static_cast<Family>(f));
    EXPECT_TRUE(same(a.family_equity[f], b.family_equity[f])) << family_name(static_cast<Family>(f));
  }
  EXPECT_TRUE(same_discrete(a.trend, b.trend));
  EXPECT_TRUE(same_discrete(a.state, b.state));
  EXPECT_TRUE(same_discrete(a.direction, b.direction));
  EXPECT_TRUE(same_discrete(a.long_entry, b.long_entry));
  EXPECT_TRUE(same_discrete(a.short_entry, b.short_entry));
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    EXPECT_TRUE(same(a.ma[i], b.ma[i]));
    EXPECT_TRUE(same_discrete(a.ma_signal[i], b.ma_signal[i]));
    EXPECT_TRUE(same(a.ma_equity[i], b.ma_equity[i]));
  }
}

// Every output of a symbol that was not computed: NaN / 0.
void expect_not_computed(const SymbolOutputView& v) {
  auto all_nan = [](std::span<const double> x) {
    return std::all_of(x.begin(), x.end(), [](double p) { return std::isnan(p); });
  };
  auto all_zero = [](std::span<const std::int8_t> x) {
    return std::all_of(x.begin(), x.end(), [](std::int8_t p) { return p == 0; });
  };
  EXPECT_TRUE(all_nan(v.average_signal));
  for (int f = 0; f < kFamilies; ++f) EXPECT_TRUE(all_nan(v.family_signal[f]) && all_nan(v.family_equity[f]));
  EXPECT_TRUE(all_zero(v.trend) && all_zero(v.state) && all_zero(v.direction) &&
              all_zero(v.long_entry) && all_zero(v.short_entry));
  for (int i = 0; i < kLengthsPerFamily; ++i)
    EXPECT_TRUE(all_nan(v.ma[i]) && all_zero(v.ma_signal[i]) && all_nan(v.ma_equity[i]));
}

struct BadSymbol {
  std::string name;
  std::function<void(std::vector<double>& close, std::vector<double>& src, Config& config)> spoil;
  StatusCode code;
  std::int64_t bar;            // expected status bar, -1 for none
  std::vector<std::string> reason;  // words the message must contain
};

void PrintTo(const BadSymbol& bad, std::ostream* os) { *os << bad.name; }

class BadInputInBatch
    : public ::testing::TestWithParam<std::tuple<Backend, BadSymbol>> {};

TEST_P(BadInputInBatch, ReportedWithBarAndReasonWhileOtherSymbolsAreUntouched) {
  const auto& [backend, bad] = GetParam();
  Config config;
  std::vector<double> close = test::random_walk(300, 21), src;
  bad.spoil(close, src, config);

  test::OwnedBatch batch;
  batch.add("GOOD_A", test::random_walk(300, 22));
  batch.add("BAD", close, src);
  std::vector<double> late(20, kNaN);  // a late listing among the good ones
  const std::vector<double> walk = test::random_walk(250, 23);
  late.insert(late.end(), walk.begin(), walk.end());
  batch.add("GOOD_B", std::move(late));
  const auto views = batch.views();

  ComputeOptions options;
  options.backend = backend;
  options.outputs = OutputRequest::with_calibration(Family::DEMA);
  const BatchResult result = compute_batch(views, config, options);
  ASSERT_EQ(result.status.size(), 3u);
  EXPECT_EQ(result.error_count(), 1u);

  const SymbolStatus& status = result.status[1];
  EXPECT_EQ(status.code, bad.code) << status.message;
  EXPECT_EQ(status.bar, bad.bar) << status.message;
  EXPECT_TRUE(contains(status.message, "BAD")) << status.message;
  if (bad.bar >= 0) {
    EXPECT_TRUE(contains(status.message, "bar " + std::to_string(bad.bar))) << status.message;
  }
  for (const std::string& word : bad.reason)
    EXPECT_TRUE(contains(status.message, word)) << "'" << status.message << "' lacks '" << word << "'";
  expect_not_computed(result.outputs.view(1));

  for (std::size_t good : {0u, 2u}) {
    SCOPED_TRACE(batch.names[good]);
    EXPECT_TRUE(result.status[good].ok()) << result.status[good].message;
    const BatchResult alone = test::compute_alone(views[good], config, options);
    expect_identical_outputs(result.outputs.view(good), alone.outputs.view(0));
  }

  // The single-symbol entry point throws instead, with the same message.
  try {
    compute(views[1].close, config, options, views[1].src, "BAD");
    ADD_FAILURE() << "compute() accepted a bad series";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), status.message);
  }
}

const Config kDefault{};
const std::size_t kMinBars = kDefault.min_bars();  // 2·34 − 1 = 67: DEMA(28 + 6)

const std::vector<BadSymbol> kBadSymbols{
    {"InteriorNaNClose", [](auto& c, auto&, auto&) { c[137] = kNaN; }, StatusCode::NonFinite, 137, {"close", "NaN"}},
    {"InteriorInfClose", [](auto& c, auto&, auto&) { c[50] = kInf; }, StatusCode::NonFinite, 50, {"close", "inf"}},
    {"InteriorMinusInfClose", [](auto& c, auto&, auto&) { c[299] = -kInf; }, StatusCode::NonFinite, 299, {"close", "-inf"}},
    {"NaNSrc",
     [](auto& c, auto& s, auto&) {
       s = c;
       s[90] = kNaN;
     },
     StatusCode::NonFinite, 90, {"src", "NaN"}},
    {"InfSrc",
     [](auto& c, auto& s, auto&) {
       s = c;
       s[91] = kInf;
     },
     StatusCode::NonFinite, 91, {"src", "inf"}},
    {"ZeroClose", [](auto& c, auto&, auto&) { c[200] = 0.0; }, StatusCode::NonPositivePrice, 200, {"close", "0"}},
    {"NegativeCloseAtFirstBar", [](auto& c, auto&, auto&) { c[0] = -3.5; }, StatusCode::NonPositivePrice, 0, {"-3.5"}},
    {"OneBarTooShort", [](auto& c, auto&, auto&) { c.resize(kMinBars - 1); }, StatusCode::TooShort, -1,
     {std::to_string(kMinBars - 1), std::to_string(kMinBars)}},
    {"TooShortAfterLateListing",
     [](auto& c, auto&, auto&) {
       c.resize(kMinBars + 29);
       std::fill_n(c.begin(), 30, kNaN);
     },
     StatusCode::TooShort, -1, {std::to_string(kMinBars - 1)}},
    {"GrowthOverflow",
     [](auto& c, auto&, auto& config) {
       config.lambda = 10.0;  // La = 0.01: the good symbols' equities stay finite
       c = test::random_walk(70002, 24);  // La·(70002 − 1 − 0) = 700.01 > 700
     },
     StatusCode::GrowthOverflow, -1, {"700"}},
    {"NoFiniteBar", [](auto& c, auto&, auto&) { std::fill(c.begin(), c.end(), kNaN); }, StatusCode::Empty, -1, {}},
    {"CutoutLeavesNothing",
     [](auto& c, auto&, auto& config) {
       c.resize(kMinBars + 10);
       config.cutout = static_cast<int>(kMinBars) + 10;  // the good symbols have 250 and 300 bars
     },
     StatusCode::TooShort, -1, {"cutout = 77", "leaves none of its 77"}},
    // A denormal close is positive and finite, but no power of two makes it and 100 both
    // integers within the double range: exact window arithmetic cannot hold this series.
    {"DenormalCloseIsOutsideTheTickRange", [](auto& c, auto&, auto&) { c[120] = 5e-324; }, StatusCode::TickRange, -1,
     {"range", "SEMANTICS"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, BadInputInBatch,
                         ::testing::Combine(::testing::Values(Backend::Reference, Backend::Cpu),
                                            ::testing::ValuesIn(kBadSymbols)),
                         [](const auto& p) {
                           return std::string(backend_name(std::get<0>(p.param))) + "_" +
                                  std::get<1>(p.param).name;
                         });

// ------------------------------------------------------------------ boundaries

BatchResult compute_reference(std::span<const double> close, const Config& config,
                              const OutputRequest& outputs = OutputRequest::standard()) {
  ComputeOptions options;
  options.backend = Backend::Reference;
  options.outputs = outputs;
  const SeriesView view{"X", close, {}};
  return compute_batch(std::span<const SeriesView>(&view, 1), config, options);
}

struct MinBarsCase {
  const char* name;
  Robustness robustness;
  std::array<int, kFamilies> lengths;  // EMA, HMA, WMA, DEMA, LSMA, KAMA
  std::size_t min_bars;                // derivation in the instantiation below
  Family slowest;
  int slowest_index;  // position of the slowest length among the nine
};

class TooShortBoundary : public ::testing::TestWithParam<MinBarsCase> {};

TEST_P(TooShortBoundary, ExactlyTheBarsTheSlowestMovingAverageNeeds) {
  const MinBarsCase& c = GetParam();
  Config config;
  config.robustness = c.robustness;
  config.length = c.lengths;
  EXPECT_EQ(config.min_bars(), c.min_bars);
  const std::vector<double> walk = test::random_walk(c.min_bars, 3);

  const BatchResult enough =
      compute_reference(walk, config, OutputRequest::with_calibration(c.slowest));
  ASSERT_TRUE(enough.status[0].ok()) << enough.status[0].message;
  // The slowest MA has its first value on the very last bar.
  const auto slowest = enough.outputs.view(0).ma[c.slowest_index];
  EXPECT_TRUE(std::isnan(slowest[c.min_bars - 2]));
  EXPECT_TRUE(std::isfinite(slowest[c.min_bars - 1]));

  const BatchResult one_short =
      compute_reference(std::span<const double>(walk).first(c.min_bars - 1), config);
  EXPECT_EQ(one_short.status[0].code, StatusCode::TooShort);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, TooShortBoundary,
    ::testing::Values(
        // Medium, all 28: DEMA(28 + 6 = 34) first at 2·34 − 2 = 66 -> 67 bars (index 4 = L+o4).
        MinBarsCase{"DefaultDema", Robustness::Medium, {28, 28, 28, 28, 28, 28}, 67, Family::DEMA, 4},
        // DEMA 40 + 6 = 46 -> 2·46 − 1 = 91 bars.
        MinBarsCase{"LongDema", Robustness::Medium, {28, 28, 28, 40, 28, 28}, 91, Family::DEMA, 4},
        // DEMA 7 + 6 = 13 needs 25 bars; WMA 50 + 7 (Wide) = 57 first at 56 -> 57 bars.
        MinBarsCase{"WmaSlowerThanShortDema", Robustness::Wide, {28, 28, 50, 9, 28, 28}, 57, Family::WMA, 4},
        // Narrow, 5 each: DEMA(9) -> 17 bars.
        MinBarsCase{"NarrowShortest", Robustness::Narrow, {5, 5, 5, 5, 5, 5}, 17, Family::DEMA, 4}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(GrowthOverflowBoundary, ExponentOfExactly700IsAllowed) {
  Config config;
  config.lambda = 1000.0;  // La = 1 exactly
  for (int cutout : {0, 10}) {
    config.cutout = cutout;
    const std::size_t largest = 701 + static_cast<std::size_t>(cutout);  // La·(n − 1 − cutout) = 700
    // Flat prices: R = 0, so the equities stay finite however large the growth factor.
    const std::vector<double> walk(largest + 1, 100.0);
    EXPECT_TRUE(compute_reference(std::span<const double>(walk).first(largest), config).status[0].ok())
        << "cutout " << cutout;
    EXPECT_EQ(compute_reference(walk, config).status[0].code, StatusCode::GrowthOverflow)
        << "cutout " << cutout;
  }
}

// ------------------------------------------------------------------ late listings

class LateListing : public ::testing::TestWithParam<Backend> {
 protected:
  BatchResult run(std::span<const double> close, std::span<const double> src, const Config& config) const {
    ComputeOptions options;
    options.backend = GetParam();
    options.outputs = OutputRequest::with_calibration(Family::KAMA);
    const SeriesView view{"LATE", close, src};
    return compute_batch(std::span<const SeriesView>(&view, 1), config, options);
  }

  // Outputs of `full` from bar `start` on equal `trimmed`'s; before it, not computed.
  static void expect_shifted(const BatchResult& full, const BatchResult& trimmed, std::size_t start) {
    ASSERT_TRUE(full.status[0].ok()) << full.status[0].message;
    ASSERT_TRUE(trimmed.status[0].ok()) << trimmed.status[0].message;
    const SymbolOutputView f = full.outputs.view(0), t = trimmed.outputs.view(0);
    ASSERT_EQ(f.bars(), t.bars() + start);
    const SymbolOutputView head = f.subview(0, start), tail = f.subview(start, t.bars());
    expect_not_computed(head);
    expect_identical_outputs(tail, t);
  }
};

TEST_P(LateListing, CountsBarsGrowthAndCutoutFromTheFirstValidBar) {
  Config config;
  config.cutout = 12;
  config.strategy = true;
  config.lambda = 0.8;
  const std::vector<double> walk = test::random_walk(400, 5);
  std::vector<double> late(37, kNaN);
  late.insert(late.end(), walk.begin(), walk.end());
  expect_shifted(run(late, {}, config), run(walk, {}, config), 37);
}

TEST_P(LateListing, StartsWhereBothCloseAndSrcAreValid) {
  Config config;
  std::vector<double> close = test::random_walk(400, 6), src = test::random_walk(400, 7);
  std::fill_n(close.begin(), 10, kNaN);
  std::fill_n(src.begin(), 15, kNaN);  // src is listed later than close
  const std::span<const double> close_tail = std::span<const double>(close).subspan(15);
  const std::span<const double> src_tail = std::span<const double>(src).subspan(15);
  expect_shifted(run(close, src, config), run(close_tail, src_tail, config), 15);
}

TEST_P(LateListing, TimeAlignedTableEqualsTheBatchOfItsColumns) {
  const std::size_t bars = 300;
  std::vector<double> table = test::random_walk(bars, 8);
  std::vector<double> late(bars, kNaN);
  const std::vector<double> walk = test::random_walk(bars - 80, 9);
  std::copy(walk.begin(), walk.end(), late.begin() + 80);
  table.insert(table.end(), late.begin(), late.end());
  const std::vector<std::string> symbols{"EARLY", "LATE"};
  ComputeOptions options;
  options.backend = GetParam();
  const BatchResult from_table = compute_table(table, bars, symbols, Config{}, options);
  const BatchResult late_alone = compute(walk, Config{}, options);
  ASSERT_EQ(from_table.ok_count(), 2u);
  const SymbolOutputView v = from_table.outputs.view(1);
  EXPECT_TRUE(std::all_of(v.average_signal.begin(), v.average_signal.begin() + 80,
                          [](double x) { return std::isnan(x); }));
  const auto expected = late_alone.outputs.view(0).average_signal;
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), v.average_signal.begin() + 80,
                         [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }));
}

INSTANTIATE_TEST_SUITE_P(Backends, LateListing, ::testing::Values(Backend::Reference, Backend::Cpu),
                         [](const auto& p) { return std::string(backend_name(p.param)); });

// ------------------------------------------------------------------ forward fill

class ForwardFill : public ::testing::TestWithParam<Backend> {
 protected:
  BatchResult run(std::span<const double> close, std::span<const double> src, GapPolicy gaps) const {
    ComputeOptions options;
    options.backend = GetParam();
    options.gaps = gaps;
    options.outputs = OutputRequest::with_calibration(Family::EMA);
    const SeriesView view{"GAPPY", close, src};
    return compute_batch(std::span<const SeriesView>(&view, 1), config_, options);
  }

  Config config_ = [] {
    Config c;
    c.decay = 1.0;  // makes the decay-only step across the gap visible
    return c;
  }();
};

TEST_P(ForwardFill, CountsFilledBarsAndEqualsTheFilledSeries) {
  std::vector<double> close = test::random_walk(300, 10);
  std::vector<double> src = test::random_walk(300, 11);
  std::vector<double> filled_close = close, filled_src = src;
  for (std::size_t t = 150; t < 154; ++t) {  // a 4-bar gap in close, a 1-bar gap in src
    close[t] = kNaN;
    filled_close[t] = filled_close[149];
  }
  src[200] = kNaN;
  filled_src[200] = filled_src[199];

  const BatchResult refused = run(close, src, GapPolicy::Error);
  EXPECT_EQ(refused.status[0].code, StatusCode::NonFinite);
  EXPECT_EQ(refused.status[0].bar, 150);

  const BatchResult filled = run(close, src, GapPolicy::ForwardFill);
  ASSERT_TRUE(filled.status[0].ok()) << filled.status[0].message;
  EXPECT_EQ(filled.status[0].filled_bars, 5u);
  const BatchResult by_hand = run(filled_close, filled_src, GapPolicy::Error);
  expect_identical_outputs(filled.outputs.view(0), by_hand.outputs.view(0));
}

// Found by fuzz_compute: a NaN src beside a close ≤ 0 was filled, the close kept, and the
// next return divided by zero. The close is an error of its own, filled or not.
TEST_P(ForwardFill, ANonPositiveCloseBesideANaNSrcIsStillAnError) {
  std::vector<double> close = test::random_walk(300, 14);
  std::vector<double> src = close;
  for (double bad : {0.0, -0.0, -2.5}) {
    close[180] = bad;
    src[180] = kNaN;
    const BatchResult result = run(close, src, GapPolicy::ForwardFill);
    EXPECT_EQ(result.status[0].code, StatusCode::NonPositivePrice) << bad << ": " << result.status[0].message;
    EXPECT_EQ(result.status[0].bar, 180);
  }
}

TEST_P(ForwardFill, ReturnIsZeroAcrossTheGap) {
  std::vector<double> close = test::random_walk(300, 12);
  std::fill(close.begin() + 150, close.begin() + 160, kNaN);
  const BatchResult result = run(close, {}, GapPolicy::ForwardFill);
  ASSERT_TRUE(result.status[0].ok()) << result.status[0].message;
  const SymbolOutputView v = result.outputs.view(0);
  const double keep = 1.0 - config_.decay / 100.0;
  int checked = 0;
  for (int i = 0; i < kLengthsPerFamily; ++i) {
    for (std::size_t t = 150; t < 160; ++t) {
      if (v.ma_signal[i][t - 1] == 0) continue;  // then a persists (0 before the first cross)
      // a[t] = ±R[t]·g[t] = 0: only the decay acts.
      EXPECT_EQ(v.ma_equity[i][t], std::max(v.ma_equity[i][t - 1] * keep, 0.25)) << "bar " << t;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST_P(ForwardFill, InfinityIsNeverFilled) {
  std::vector<double> close = test::random_walk(300, 13);
  close[120] = kInf;
  const BatchResult result = run(close, {}, GapPolicy::ForwardFill);
  EXPECT_EQ(result.status[0].code, StatusCode::NonFinite);
  EXPECT_EQ(result.status[0].bar, 120);
}

INSTANTIATE_TEST_SUITE_P(Backends, ForwardFill, ::testing::Values(Backend::Reference, Backend::Cpu),
                         [](const auto& p) { return std::string(backend_name(p.param)); });

// ------------------------------------------------------------------ threads of the checks

// The price checks run on up to ComputeOptions::threads threads once a batch is large
// (one per 65,536 prices): any number gives the same statuses, messages and outputs, with
// every kind of failure and forward-filled gaps spread over the symbols.
TEST(PriceChecks, AnyNumberOfThreadsGivesTheSameBatch) {
  constexpr std::size_t kSymbols = 700, kBars = 1000;  // 10.7 blocks of 65,536 prices
  std::vector<std::vector<double>> closes, srcs;
  std::vector<std::string> names;
  for (std::size_t s = 0; s < kSymbols; ++s) {
    std::vector<double> c = test::random_walk(kBars, 1000 + s);
    switch (s % 11) {
      case 1: std::fill_n(c.begin(), 300 + s % 97, kNaN); break;  // listed late
      case 2: c[400 + s % 300] = kNaN; break;                      // a gap: fails, or filled
      case 3: c[500] = -1.0; break;                                // not a price
      case 4: c[700] = kInf; break;
      case 5: std::fill(c.begin(), c.end(), kNaN); break;          // empty
      case 6: std::fill_n(c.begin(), kBars - 40, kNaN); break;     // too short
      case 7: c[100] = kNaN, c[101] = kNaN, c[900] = kNaN; break;
      default: break;
    }
    names.emplace_back("S");
    names.back() += std::to_string(s);  // (not "S" + …: GCC 12's -Wrestrict false positive)
    closes.push_back(std::move(c));
    std::vector<double> x = closes.back();
    if (s % 13 == 0) x[600] = kNaN;  // a src gap beside a finite close
    srcs.push_back(std::move(x));
  }
  std::vector<SeriesView> views(kSymbols);
  for (std::size_t s = 0; s < kSymbols; ++s)
    views[s] = {names[s], closes[s], s % 3 == 0 ? std::span<const double>(srcs[s]) : std::span<const double>()};
  for (const GapPolicy gaps : {GapPolicy::Error, GapPolicy::ForwardFill}) {
    ComputeOptions one;
    one.backend = Backend::Cpu;
    one.gaps = gaps;
    one.threads = 1;
    const BatchResult expected = compute_batch(views, Config{}, one);
    std::size_t failed = 0, filled = 0;
    for (const SymbolStatus& status : expected.status) {
      failed += !status.ok();
      filled += status.filled_bars > 0;
    }
    EXPECT_GT(failed, kSymbols / 3);
    if (gaps == GapPolicy::ForwardFill) {
      EXPECT_GT(filled, kSymbols / 11);
    }
    for (const int threads : {2, 3, 8, 0}) {
      ComputeOptions many = one;
      many.threads = threads;
      const test::ParityReport report = test::compare_results(expected, compute_batch(views, Config{}, many), views);
      EXPECT_TRUE(report.ok()) << "threads " << threads << ": " << report.summary();
    }
  }
}

}  // namespace
}  // namespace atc
