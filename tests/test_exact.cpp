// Exact window arithmetic (docs/SEMANTICS.md §3a): the tick rule, the correctly rounded
// quotient, hand-computed ties, and every backend bit-identical on inputs where exact
// ties are frequent (tick-grid prices with plateaus, flat and integer prices, late
// decimal breaks, src with other decimals, long series, long MAs).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "core/exact.hpp"
#include "core/ticks.hpp"
#include "reference/reference.hpp"
#include "support/batch.hpp"
#include "support/compare.hpp"
#include "support/random_walk.hpp"

namespace atc {
namespace {

using exact::UWide;
using exact::Wide;
using test::OwnedBatch;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kNoBinary = 1 << 30;

detail::SeriesTicks ticks_of(const std::vector<double>& close, const std::vector<double>& src = {}) {
  return detail::series_ticks(close.data(), src.empty() ? close.data() : src.data(), close.size());
}

// ---------------------------------------------------------------------------------
// The tick rule (§3a.1).

TEST(Ticks, SmallestDecimalScaleForEveryNumberOfDecimals) {
  for (int d = 0; d <= 12; ++d) {
    SCOPED_TRACE("d = " + std::to_string(d));
    // 7 + 3·10^-d, written as the decimal it stands for (correctly rounded k / 10^d).
    const double v = (7.0 * std::pow(10.0, d) + 3.0) / std::pow(10.0, d);
    const auto ticks = ticks_of({5.0, v, 2.0});
    EXPECT_EQ(ticks.scale.decimal, std::pow(10.0, d));
    EXPECT_EQ(ticks.scale.binary_from, kNoBinary);
    EXPECT_EQ(ticks.scale.tick(v, 1), 7.0 * std::pow(10.0, d) + 3.0);
  }
}

TEST(Ticks, AValueOfNoDecimalScaleMakesTheSeriesBinaryThroughout) {
  const double third = 1.0 / 3.0;
  const auto ticks = ticks_of({third, 1.5, 2.0});
  EXPECT_EQ(ticks.scale.binary_from, 0);
  // 1/3 = m·2^-54 with m odd: k = 54 makes every value an integer, and no smaller k does.
  EXPECT_EQ(ticks.scale.binary, std::ldexp(1.0, 54));
  EXPECT_EQ(std::fmod(ticks.scale.tick(third, 0), 2.0), 1.0);
  EXPECT_EQ(ticks.max_tick, std::ldexp(2.0, 54));
}

TEST(Ticks, ALateValueBreaksTheDecimalScaleFromItsBarOn) {
  const auto ticks = ticks_of({1.5, 2.25, 1.75, 0.1 + 0.2, 1.0});  // 0.1 + 0.2 = 0.30000000000000004
  EXPECT_EQ(ticks.scale.decimal, 100.0);
  EXPECT_EQ(ticks.scale.binary_from, 3);
  EXPECT_FALSE(ticks.scale.is_binary(2));
  EXPECT_TRUE(ticks.scale.is_binary(3));
  EXPECT_EQ(ticks.scale.tick(2.25, 1), 225.0);                  // decimal before the break
  EXPECT_EQ(ticks.scale.tick(2.25, 3), 2.25 * ticks.scale.binary);  // binary from it, old values too
}

TEST(Ticks, MantissasFrom2To50BitsBreakTheDecimalScale) {
  EXPECT_EQ(ticks_of({1e15, 3.0}).scale.binary_from, kNoBinary);  // 10^15 < 2^50
  EXPECT_EQ(ticks_of({3.0, 2e15}).scale.binary_from, 1);          // |m| ≥ 2^50 at d = 0
  // 123.456789012 needs d = 9: m = 123456789012 < 2^50.
  EXPECT_EQ(ticks_of({123.456789012}).scale.decimal, 1e9);
  // 1234567.123456789 would need m ≥ 2^50 at d = 9.
  EXPECT_EQ(ticks_of({1234567.123456789}).scale.binary_from, 0);
}

TEST(Ticks, NegativeZeroIsTheTickZero) {
  const auto ticks = ticks_of({1.25, 1.5, 1.75}, {-0.0, 0.5, -0.25});
  EXPECT_EQ(ticks.scale.decimal, 100.0);
  EXPECT_EQ(ticks.scale.binary_from, kNoBinary);
  EXPECT_EQ(ticks.scale.tick(-0.0, 0), 0.0);
}

TEST(Ticks, ADenormalSourceHasNoRepresentableScaleAndIsARangeError) {
  EXPECT_FALSE(ticks_of({1.0, 2.0}, {5e-324, 1.0}).representable);
  OwnedBatch batch;
  std::vector<double> close = test::random_walk(200, 3), src = close;
  src[50] = 5e-324;
  batch.add("DENORMAL", close, src);
  batch.add("FINE", close);
  for (Backend backend : {Backend::Reference, Backend::Cpu}) {
    ComputeOptions options;
    options.backend = backend;
    const BatchResult result = compute_batch(batch.views(), Config{}, options);
    EXPECT_EQ(result.status[0].code, StatusCode::TickRange);
    EXPECT_NE(result.status[0].message.find("DENORMAL"), std::string::npos) << result.status[0].message;
    EXPECT_TRUE(result.status[1].ok()) << "one bad symbol never costs the others";
  }
}

TEST(Ticks, PricesSpanningTooManyBinadesAreARangeError) {
  std::vector<double> close = test::random_walk(200, 4);
  close[100] = 1e-30 / 3.0;  // binary ticks of 1e2 would need ~200 bits
  OwnedBatch batch;
  batch.add("SPAN", close);
  const BatchResult result = compute_batch(batch.views(), Config{}, ComputeOptions{});
  EXPECT_EQ(result.status[0].code, StatusCode::TickRange);
  EXPECT_NE(result.status[0].message.find("range"), std::string::npos);
}

TEST(Ticks, TheSupportedRangeIsAccepted) {
  // Binary ticks with largest / smallest = 10^6, and decimal ticks with MAs of 2,000 bars.
  std::vector<double> wide = test::random_walk(5'000, 5, 1.0, 0.01);
  wide[10] = 1e-6 / 3.0;
  wide[20] = 1.0 / 3.0;
  OwnedBatch batch;
  batch.add("BINARY", wide);
  std::vector<double> decimal(5'000);
  for (std::size_t t = 0; t < decimal.size(); ++t) decimal[t] = (1000000000.0 + 37.0 * static_cast<double>(t % 101)) / 1e8;
  batch.add("DECIMAL", decimal);
  Config config;
  config.length.fill(1'994);  // the longest length: 2,000
  ComputeOptions options;
  options.outputs = OutputRequest::scan();
  const BatchResult result = compute_batch(batch.views(), config, options);
  EXPECT_TRUE(result.status[0].ok()) << result.status[0].message;
  EXPECT_TRUE(result.status[1].ok()) << result.status[1].message;
}

// The definition series_ticks follows, one value at a time in bar order (close before
// src), as the live engine meets them: series_ticks takes most values a block at a time.
detail::SeriesTicks ticks_one_value_at_a_time(const std::vector<double>& close, const std::vector<double>& src) {
  detail::DecimalPrefix prefix;
  std::size_t binary_from = close.size();
  for (std::size_t t = 0; t < close.size() && binary_from == close.size(); ++t)
    for (const double v : {close[t], src[t]})
      if (binary_from == close.size() && !prefix.take(v)) binary_from = t;
  detail::BinaryExponent binary;
  if (binary_from < close.size())
    for (std::size_t t = 0; t < close.size(); ++t) {
      binary.take(close[t]);
      binary.take(src[t]);
    }
  return detail::series_ticks_from(prefix, binary_from, close.size(), binary);
}

TEST(Ticks, BlocksTakenAtOnceGiveTheScalesOfOneValueAtATime) {
  std::mt19937_64 rng(20261207);
  const std::vector<std::size_t> places = {0, 1, 62, 63, 64, 65, 127, 128, 129, 200, 255, 256, 299};
  std::uniform_int_distribution<std::size_t> place(0, places.size() - 1);
  std::uniform_int_distribution<int> decimals(0, 13), kind(0, 5);
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<double> close = test::random_walk(300, static_cast<unsigned>(trial), 50.0, 0.02);
    for (double& c : close) c = std::round(c * 100.0) / 100.0;
    std::vector<double> src = close;
    if (trial % 3 == 0)
      for (double& x : src) x = -x / 4.0;  // another source, negative, with other decimals
    // A few values that widen the scale, break it to binary ticks, or come near 2^50.
    for (int change = 0; change < 1 + trial % 3; ++change) {
      std::vector<double>& table = change % 2 == 0 || trial % 3 != 0 ? close : src;
      const std::size_t t = places[place(rng)];
      const int d = decimals(rng);
      switch (kind(rng)) {
        case 0: table[t] = std::round(table[t] * std::pow(10.0, d)) / std::pow(10.0, d) + std::pow(10.0, -d); break;
        case 1: table[t] = 1.0 / 3.0; break;
        case 2: table[t] = 0x1p50 / std::pow(10.0, d % 5); break;  // |m| near 2^50 at d % 5 decimals
        case 3: table[t] = 0x1p51 + 2.0; break;
        case 4: table[t] = 0.0; break;
        default: table[t] = 0.1 + 0.2; break;
      }
    }
    const detail::SeriesTicks fast = detail::series_ticks(close.data(), src.data(), close.size());
    const detail::SeriesTicks slow = ticks_one_value_at_a_time(close, src);
    ASSERT_EQ(fast.scale.decimal, slow.scale.decimal) << "trial " << trial;
    ASSERT_EQ(fast.scale.binary_from, slow.scale.binary_from) << "trial " << trial;
    ASSERT_EQ(fast.scale.binary, slow.scale.binary) << "trial " << trial;
    ASSERT_EQ(fast.max_tick, slow.max_tick) << "trial " << trial;
    ASSERT_EQ(fast.representable, slow.representable) << "trial " << trial;
  }
}

TEST(Ticks, TheBranchFreeFitIsTheFitOfRint) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> decimals(0, detail::kMaxDecimals), exponent(-60, 80);
  std::uniform_real_distribution<double> mantissa(-2.0, 2.0);
  for (int i = 0; i < 200'000; ++i) {
    const int d = decimals(rng);
    const double scale = detail::power_of_ten(d);
    double v = std::ldexp(mantissa(rng), exponent(rng));
    if (i % 2 == 0) v = std::round(v * scale) / scale;  // mostly values that fit
    ASSERT_EQ(detail::fits_scale_branch_free(v, scale), detail::fits_scale(v, scale)) << v << " at 10^" << d;
  }
  for (const double v : {0x1p51, -0x1p51, 0x1p51 - 1.0, -(0x1p51 - 1.0), 0x1p52, -0x1p52, 0x1.8p52, -0x1.8p52,
                         0x1p50, -0x1p50, 0x1p50 - 1.0, 1e300, -1e300, 0.5, -0.5, 1.5, 2.5})
    for (int d = 0; d <= detail::kMaxDecimals; ++d)
      ASSERT_EQ(detail::fits_scale_branch_free(v, detail::power_of_ten(d)), detail::fits_scale(v, detail::power_of_ten(d)))
          << v << " at 10^" << d;
}

// ---------------------------------------------------------------------------------
// The correctly rounded quotient (§3a.3), against quadruple precision: rounding a
// correctly rounded 113-bit quotient to 53 bits is correct rounding (113 ≥ 2·53 + 2).

double quad_ratio(UWide a, UWide b) {
  return static_cast<double>(static_cast<__float128>(a) / static_cast<__float128>(b));
}

TEST(RoundRatio, MatchesQuadruplePrecisionOnRandomOperandsOfUpTo112Bits) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 200'000; ++i) {
    const int bits_a = 1 + static_cast<int>(rng() % 112), bits_b = 1 + static_cast<int>(rng() % 112);
    const auto draw = [&](int bits) {
      UWide x = (static_cast<UWide>(rng()) << 64) | rng();
      x >>= 128 - bits;
      return x == 0 ? UWide{1} : x;
    };
    const UWide a = draw(bits_a), b = draw(bits_b);
    ASSERT_EQ(exact::round_ratio(a, b), quad_ratio(a, b))
        << static_cast<double>(a) << " / " << static_cast<double>(b);
  }
}

TEST(RoundRatio, TheDoubleDoubleFilterMatchesQuadruplePrecisionNearMidpointsToo) {
  std::mt19937_64 rng(7);
  std::size_t near_midpoints = 0;
  for (int i = 0; i < 300'000; ++i) {
    const int bits = 54 + static_cast<int>(rng() % 50);
    UWide b = ((static_cast<UWide>(rng()) << 64) | rng()) >> (128 - bits);
    b |= UWide{1} << (bits - 1);
    UWide a;
    if (i % 3 == 0) {  // a / b at (or a hair off) a midpoint: a = b·(2m+1)/2^k ± small
      const std::uint64_t m = (rng() >> 11) | (std::uint64_t{1} << 52);
      const UWide scaled = (b >> 1) * (2 * static_cast<UWide>(m >> 20) + 1);
      a = (scaled >> 34) + (rng() % 3) - 1;
      ++near_midpoints;
    } else {
      a = (((static_cast<UWide>(rng()) << 64) | rng()) >> (128 - bits)) % b;
    }
    if (a == 0) continue;
    ASSERT_EQ(exact::round_ratio_fast(a, b), quad_ratio(a, b)) << static_cast<double>(a) << " / " << static_cast<double>(b);
    ASSERT_EQ(exact::round_ratio_fast(a, b), exact::round_ratio(a, b));
  }
  const UWide two53 = UWide{1} << 53;
  for (UWide b : {UWide{3}, UWide{1000003}, (UWide{1} << 70) + 1})
    EXPECT_EQ(exact::round_ratio_fast((two53 + 1) * b, b), 0x1p53);
  EXPECT_GT(near_midpoints, 0u);
}

TEST(RoundRatio, ExactMidpointsRoundToEven) {
  const UWide two53 = UWide{1} << 53;
  for (UWide b : {UWide{1}, UWide{3}, UWide{1000003}}) {
    EXPECT_EQ(exact::round_ratio((two53 + 1) * b, b), 0x1p53);                     // to 2^53 (even)
    EXPECT_EQ(exact::round_ratio((two53 + 3) * b, b), 0x1p53 + 4.0);               // to 2^53 + 4 (even)
    EXPECT_EQ(exact::round_ratio((2 * two53 + 2) * b, b), 0x1p54);                  // 2^54 + 2: to 2^54
    EXPECT_EQ(exact::round_ratio(b, b * (two53 * 2 + 1) / 1), quad_ratio(b, b * (two53 * 2 + 1)));
  }
  EXPECT_EQ(exact::round_ratio(0, 7), 0.0);
  EXPECT_EQ(exact::round_ratio_signed(-7, 2), -3.5);
}

TEST(RoundRatio, DecimalWindowMeansRoundOnceToTheDecimal) {
  // 29 prices averaging exactly 0.807: the value is the double nearest to 0.807.
  EXPECT_EQ(exact::tick_value(29 * 807, 29, exact::TickScale{1000.0, 1.0, kNoBinary}, 0), 0.807);
}

// ---------------------------------------------------------------------------------
// Hand-computed ties: a close exactly on its SMA, WMA or LSMA crosses nothing.

// The reference's side of close against MA `chain` of `family` and the cpu backend's
// calibration outputs, which must agree.
struct Calibrated {
  std::vector<double> ma;
  std::vector<std::int8_t> signal;
};
Calibrated calibrated(const std::vector<double>& close, const Config& config, Family family, int chain,
                      Backend backend) {
  OwnedBatch batch;
  batch.add("X", close);
  ComputeOptions options;
  options.backend = backend;
  options.outputs = OutputRequest::with_calibration(family);
  const BatchResult result = compute_batch(batch.views(), config, options);
  EXPECT_TRUE(result.status[0].ok()) << result.status[0].message;
  const SymbolOutputView v = result.outputs.view(0);
  return {{v.ma[chain].begin(), v.ma[chain].end()}, {v.ma_signal[chain].begin(), v.ma_signal[chain].end()}};
}

std::vector<double> decimals(std::initializer_list<long long> thousandths) {
  std::vector<double> out;
  for (long long k : thousandths) out.push_back(static_cast<double>(k) / 1000.0);
  return out;
}

TEST(HandComputedTies, TwentyNinePricesAveragingExactly0807AndAClose0807) {
  // Medium robustness, hma_len 28: chain 1 is SMA(29). After a rise and a fall, 28 bars
  // alternate 0.806 / 0.808 and the 29th closes at 0.807: the window's mean is exactly
  // 0.807, so close is on its SMA (c·D = N) and neither crosses; the next close above
  // it is a crossover from that tie.
  std::vector<double> close;
  for (int k = 0; k < 60; ++k) close.push_back((760.0 + k) / 1000.0);   // 0.760 .. 0.819
  for (int k = 0; k < 30; ++k) close.push_back((819.0 - k) / 1000.0);   // .. 0.790
  for (int k = 0; k < 28; ++k) close.push_back(k % 2 == 0 ? 0.808 : 0.806);
  const std::size_t tie = close.size();
  close.push_back(0.807);
  close.push_back(0.812);
  const Config config;
  ASSERT_EQ(config.lengths(Family::HMA)[1], 29);
  const reference::Ticks ticks = reference::ticks_of(close);
  const reference::Series sma = reference::sma(close, 29, ticks);
  EXPECT_EQ(sma[tie], 0.807);
  const reference::Series side = reference::crossing_side(Family::HMA, close, close, 29, ticks, sma);
  EXPECT_EQ(side[tie], 0.0) << "close sits exactly on its SMA";
  for (Backend backend : {Backend::Reference, Backend::Cpu}) {
    const Calibrated c = calibrated(close, config, Family::HMA, 1, backend);
    EXPECT_EQ(c.ma[tie], 0.807);
    EXPECT_EQ(c.signal[tie - 1], -1) << "the alternating stretch ends below the falling SMA";
    EXPECT_EQ(c.signal[tie], -1) << "a tie is no crossover";
    EXPECT_EQ(c.signal[tie + 1], 1) << "leaving the tie upwards is one";
  }
}

TEST(HandComputedTies, AnExactWmaTieThatIsNotFlat) {
  // Narrow robustness, wma_len 5: chain 6 is WMA(3). Window (0.809, 0.806, 0.807):
  // (1·809 + 2·806 + 3·807) / 6 = 807 thousandths exactly.
  Config config;
  config.robustness = Robustness::Narrow;
  config.length.fill(5);
  ASSERT_EQ(config.lengths(Family::WMA)[6], 3);
  std::vector<double> close = decimals({900, 905, 910, 915, 920, 925, 930, 935, 940, 945, 950, 900, 880, 860, 840, 820,
                                        830, 850, 870, 890, 870, 850, 830, 809, 806, 807, 812});
  const std::size_t tie = 25;
  const reference::Ticks ticks = reference::ticks_of(close);
  const reference::Series wma = reference::wma(close, 3, ticks);
  EXPECT_EQ(wma[tie], 0.807);
  EXPECT_EQ(reference::crossing_side(Family::WMA, close, close, 3, ticks, wma)[tie], 0.0);
  for (Backend backend : {Backend::Reference, Backend::Cpu}) {
    const Calibrated c = calibrated(close, config, Family::WMA, 6, backend);
    EXPECT_EQ(c.signal[tie], c.signal[tie - 1]);
    EXPECT_EQ(c.signal[tie + 1], 1);
  }
}

TEST(HandComputedTies, LsmaOfLengthOneAndTwoIsTheCloseAndNeverCrosses) {
  // LSMA(2) is the line through the last two points, at the newer one: the close itself.
  Config config;
  config.robustness = Robustness::Narrow;
  config.length.fill(5);
  std::vector<double> close(400);
  test::NormalSource normal(8);
  long long cents = 10'000;
  for (double& c : close) {
    cents += static_cast<long long>(std::lround(30.0 * normal.next()));
    c = static_cast<double>(cents) / 100.0;
  }
  for (Backend backend : {Backend::Reference, Backend::Cpu}) {
    for (int chain : {7, 8}) {  // LSMA(2), LSMA(1)
      const Calibrated c = calibrated(close, config, Family::LSMA, chain, backend);
      for (std::size_t t = 1; t < close.size(); ++t) {
        ASSERT_EQ(c.ma[t], close[t]) << "chain " << chain << " bar " << t;
        ASSERT_EQ(c.signal[t], 0) << "chain " << chain << " bar " << t;
      }
    }
  }
}

TEST(HandComputedTies, AFlatPriceNeverCrossesItsOwnWindowAverages) {
  // 40 bars down, 60 up, then 80 flat at 2.21 (in float, SMA(28) of it is
  // 2.2100000000000004 and the close "crossed under" it). Where the window still holds
  // the rise, LSMA extrapolates it above the plateau: crossings there are genuine.
  std::vector<double> close;
  for (int k = 0; k < 40; ++k) close.push_back((300.0 - k) / 100.0);
  for (int k = 0; k < 60; ++k) close.push_back((161.0 + k) / 100.0);
  const std::size_t flat = close.size();
  close.resize(flat + 80, 2.21);
  const Config config;
  for (Family family : {Family::HMA, Family::WMA, Family::LSMA}) {
    for (Backend backend : {Backend::Reference, Backend::Cpu}) {
      for (int chain = 0; chain < kLengthsPerFamily; ++chain) {
        const Calibrated c = calibrated(close, config, family, chain, backend);
        const std::size_t len = static_cast<std::size_t>(config.lengths(family)[chain]);
        // Once the window is all plateau, the MA is the price and the signal holds.
        for (std::size_t t = flat + len - 1; t < close.size(); ++t) {
          ASSERT_EQ(c.ma[t], 2.21) << family_name(family) << " chain " << chain << " bar " << t;
          ASSERT_EQ(c.signal[t], c.signal[t - 1]) << family_name(family) << " chain " << chain << " bar " << t;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// Every backend bit-identical where exact ties are frequent.

using test::grid_walk;

void expect_same_bits(const OwnedBatch& batch, const Config& config, Family calibration, std::size_t min_ties) {
  ComputeOptions options;
  options.outputs = OutputRequest::with_calibration(calibration);
  const test::ParityReport report = test::ParityChecker(config, options).run(batch.views());
  std::cout << "[ exact    ] " << family_name(calibration) << ": " << report.summary() << '\n';
  EXPECT_TRUE(report.ok()) << report.summary(20);
  EXPECT_GE(report.ties, min_ties) << "the data should put close exactly on its MAs";
}

TEST(ExactParity, TickGridWalksWithPlateaus) {
  OwnedBatch batch;
  std::uint64_t seed = 300;
  for (double tick : {0.01, 0.001, 1e-8}) {
    for (double start : {0.8, 45.0, 31'000.0}) {
      batch.add(std::string("G").append(std::to_string(seed)), grid_walk(1'500, seed, tick, start, 0.35));
      ++seed;
    }
  }
  // Ties are counted on the window MAs (float MAs meet a close exactly only by chance).
  for (Family family : kAllFamilies)
    expect_same_bits(batch, Config{}, family, family == Family::HMA || family == Family::WMA || family == Family::LSMA ? 500 : 0);
}

TEST(ExactParity, IntegerPricesAndFlatSeries) {
  OwnedBatch batch;
  batch.add("INT", grid_walk(1'000, 21, 1.0, 200.0, 0.5));
  batch.add("FLAT", std::vector<double>(300, 17.35));
  batch.add("FLAT_INT", std::vector<double>(300, 42.0));
  for (Family family : {Family::HMA, Family::WMA, Family::LSMA}) expect_same_bits(batch, Config{}, family, 1'000);
  expect_same_bits(batch, Config{}, Family::KAMA, 0);
}

TEST(ExactParity, LateDecimalBreaksLeadingNaNsAndSrcWithOtherDecimals) {
  OwnedBatch batch;
  for (int s = 0; s < 8; ++s) {
    std::vector<double> close = grid_walk(900, 40 + s, 0.01, 20.0 + s, 0.3);
    close[300 + 50 * s] *= 1.0 + 1e-9 / 3.0;  // no decimal scale from this bar on
    if (s % 2 == 1) close.insert(close.begin(), 25, kNaN);
    std::vector<double> src;
    if (s % 4 == 3) {  // src on a finer grid than close
      src = grid_walk(close.size(), 60 + s, 0.0001, 20.0 + s, 0.3);
      for (std::size_t t = 0; t < close.size(); ++t)
        if (std::isnan(close[t])) src[t] = kNaN;
    }
    batch.add(std::string("B").append(std::to_string(s)), close, src);
  }
  for (Family family : kAllFamilies) expect_same_bits(batch, Config{}, family, 0);
}

TEST(ExactParity, EveryRobustnessWithLengthsFromTheShortestTo500) {
  for (Robustness robustness : {Robustness::Narrow, Robustness::Medium, Robustness::Wide}) {
    for (int base : {robustness_offsets(robustness)[3] + 1, 60, 494}) {
      SCOPED_TRACE(std::string(robustness_name(robustness)) + " base " + std::to_string(base));
      Config config;
      config.robustness = robustness;
      config.length.fill(base);
      OwnedBatch batch;
      const std::size_t bars = std::max<std::size_t>(config.min_bars() + 300, 600);
      batch.add("G", grid_walk(bars, 70 + base, 0.01, 12.0, 0.4));
      batch.add("W", test::random_walk(bars, 80 + base));
      expect_same_bits(batch, config, base == 494 ? Family::LSMA : Family::WMA, 0);
    }
  }
}

TEST(ExactParity, HundredThousandBarsOnACentGrid) {
  OwnedBatch batch;
  batch.add("LONG", grid_walk(100'000, 90, 0.01, 150.0, 0.3));
  expect_same_bits(batch, Config{}, Family::HMA, 100);
}

}  // namespace
}  // namespace atc
