// The cpu backend against the reference on small batches and configs made from the
// bytes: every output of every symbol must have the same bits (NaN equal to NaN), and
// a symbol whose status is ok has finite outputs wherever they are defined. An invalid
// config (atc::ConfigError) is an expected outcome, for both backends alike.
//
// Input layout (little-endian):
//   0       flags: bits 0-1 robustness (mod 3), bit 2 strategy, bit 3 forward-fill gaps,
//           bit 4 src given (each bar is then a close value and a src value)
//   1       outputs: bit 0 families, bit 1 classification, bit 2 compact X_Signal,
//           bit 3 calibration, bits 4-7 the calibrated family (mod 6)
//   2       price divisor: 10^(b mod 10) for b < 128, else 2^(b mod 32)
//   3..8    base lengths EMA..KAMA (b mod 64)
//   9..10   cutout (uint16)
//   11..98  doubles: weights EMA..KAMA, lambda, decay, long_threshold, short_threshold,
//           price offset
//   99..    uint16 values: 0xFFFF starts the next symbol (at most kMaxSymbols), 0 is NaN,
//           1 is +inf, 2 is -0.0, any other v is offset + v / divisor
// Series are cut at kMaxBars bars so that one run stays fast under the sanitizers.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "atc/atc.hpp"
#include "check.hpp"
#include "support/compare.hpp"

namespace {

constexpr std::size_t kHeaderBytes = 99;
constexpr std::size_t kMaxSymbols = 5;  // more than one SIMD group of the cpu backend
constexpr std::size_t kMaxBars = 2000;

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t byte() { return data_[pos_++]; }
  std::uint16_t u16() {
    const std::uint16_t lo = byte(), hi = byte();
    return static_cast<std::uint16_t>(lo | (hi << 8));
  }
  double real() {
    double x = 0.0;
    std::memcpy(&x, data_ + pos_, sizeof x);
    pos_ += sizeof x;
    return x;
  }
  std::size_t left() const { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

struct Input {
  atc::Config config;
  atc::ComputeOptions options;
  std::vector<std::string> names;
  std::vector<std::vector<double>> close, src;

  std::vector<atc::SeriesView> views() const {
    std::vector<atc::SeriesView> out;
    for (std::size_t s = 0; s < names.size(); ++s) out.push_back({names[s], close[s], src[s]});
    return out;
  }
};

Input parse(Reader& in) {
  Input input;
  atc::Config& config = input.config;
  const std::uint8_t flags = in.byte(), outputs = in.byte(), divisor_code = in.byte();
  config.robustness = static_cast<atc::Robustness>((flags & 3) % 3);
  config.strategy = (flags & 4) != 0;
  input.options.gaps = (flags & 8) ? atc::GapPolicy::ForwardFill : atc::GapPolicy::Error;
  const bool has_src = (flags & 16) != 0;
  atc::OutputRequest& request = input.options.outputs;
  request.families = (outputs & 1) != 0;
  request.classification = (outputs & 2) != 0;
  request.compact_family_signals = (outputs & 4) != 0;
  if (outputs & 8) request.calibration = static_cast<atc::Family>((outputs >> 4) % atc::kFamilies);
  input.options.threads = 1;
  const double divisor = divisor_code < 128 ? std::pow(10.0, divisor_code % 10) : std::ldexp(1.0, divisor_code % 32);
  for (int& length : config.length) length = in.byte() % 64;
  config.cutout = in.u16();
  for (double& weight : config.weight) weight = in.real();
  config.lambda = in.real();
  config.decay = in.real();
  config.long_threshold = in.real();
  config.short_threshold = in.real();
  const double offset = in.real();

  auto value = [&](std::uint16_t v) {
    switch (v) {
      case 0: return std::nan("");
      case 1: return HUGE_VAL;
      case 2: return -0.0;
      default: return offset + v / divisor;
    }
  };
  auto add_symbol = [&] {
    input.names.push_back("S" + std::to_string(input.names.size()));
    input.close.emplace_back();
    input.src.emplace_back();
  };
  add_symbol();
  while (in.left() >= (has_src ? 4u : 2u)) {
    const std::uint16_t v = in.u16();
    if (v == 0xFFFF) {
      if (input.names.size() == kMaxSymbols) break;
      add_symbol();
      continue;
    }
    if (input.close.back().size() == kMaxBars) continue;
    input.close.back().push_back(value(v));
    if (has_src) input.src.back().push_back(value(in.u16()));
  }
  return input;
}

std::optional<atc::BatchResult> run(const Input& input, atc::Backend backend) {
  atc::ComputeOptions options = input.options;
  options.backend = backend;
  try {
    return atc::compute_batch(input.views(), input.config, options);
  } catch (const atc::ConfigError&) {
    return std::nullopt;
  }
}

bool finite_from(std::span<const double> column, std::size_t begin) {
  for (std::size_t t = begin; t < column.size(); ++t)
    if (!std::isfinite(column[t])) return false;
  return true;
}

bool nan_before(std::span<const double> column, std::size_t end) {
  for (std::size_t t = 0; t < end && t < column.size(); ++t)
    if (!std::isnan(column[t])) return false;
  return true;
}

bool equities_valid(std::span<const double> equity, std::size_t begin) {
  for (std::size_t t = begin; t < equity.size(); ++t)
    if (!std::isfinite(equity[t]) || equity[t] < 0.25) return false;  // §5: floored at 0.25
  return nan_before(equity, begin);
}

bool discrete_valid(std::span<const std::int8_t> column) {
  for (std::int8_t x : column)
    if (x < -1 || x > 1) return false;
  return true;
}

// §9/§10 on one symbol: defined from its first valid bar plus cutout on, NaN before.
void check_symbol(const Input& input, std::size_t s, const atc::SymbolOutputView& out) {
  const std::vector<double>& close = input.close[s];
  const std::vector<double>& src = input.src[s];
  std::size_t start = 0;
  while (start < close.size() && !(std::isfinite(close[start]) && (src.empty() || std::isfinite(src[start]))))
    ++start;
  const std::size_t defined = start + static_cast<std::size_t>(input.config.cutout);
  ATC_FUZZ_CHECK(out.bars() == close.size());
  ATC_FUZZ_CHECK(finite_from(out.average_signal, defined));
  ATC_FUZZ_CHECK(nan_before(out.average_signal, defined));
  for (int f = 0; f < atc::kFamilies; ++f) {
    ATC_FUZZ_CHECK(finite_from(out.family_signal[f], defined));
    ATC_FUZZ_CHECK(nan_before(out.family_signal[f], defined));
    for (std::size_t t = 0; t < out.family_signal_hundredths[f].size(); ++t) {
      const std::int8_t k = out.family_signal_hundredths[f][t];
      ATC_FUZZ_CHECK(t < defined ? k == atc::kHundredthsNaN : (k >= -100 && k <= 100));
    }
    ATC_FUZZ_CHECK(equities_valid(out.family_equity[f], defined));
  }
  for (auto column : {out.trend, out.state, out.direction, out.long_entry, out.short_entry})
    ATC_FUZZ_CHECK(discrete_valid(column));
  for (int i = 0; i < atc::kLengthsPerFamily; ++i) {
    for (double x : out.ma[i]) ATC_FUZZ_CHECK(!std::isinf(x));  // NaN only during warm-up
    ATC_FUZZ_CHECK(discrete_valid(out.ma_signal[i]));
    ATC_FUZZ_CHECK(equities_valid(out.ma_equity[i], defined));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kHeaderBytes) return 0;
  Reader reader(data, size);
  const Input input = parse(reader);
  const std::optional<atc::BatchResult> expected = run(input, atc::Backend::Reference);
  const std::optional<atc::BatchResult> actual = run(input, atc::Backend::Cpu);
  ATC_FUZZ_CHECK(expected.has_value() == actual.has_value());
  if (!expected) return 0;

  const std::vector<atc::SeriesView> views = input.views();
  const atc::test::ParityReport report = atc::test::compare_results(*expected, *actual, views);
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.summary().c_str());
    atc::fuzz::fail("the cpu backend's outputs have the bits of the reference's");
  }
  for (std::size_t s = 0; s < views.size(); ++s) {
    const atc::SymbolOutputView out = expected->outputs.view(s);
    if (expected->status[s].ok()) {
      check_symbol(input, s, out);  // an equity that overflows is an error status (§10)
    } else {
      ATC_FUZZ_CHECK(nan_before(out.average_signal, out.bars()));
    }
  }
  return 0;
}
