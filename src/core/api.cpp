#include <algorithm>
#include <string>

#include "atc/atc.hpp"
#include "prepared.hpp"

namespace atc {

std::string_view backend_name(Backend backend) {
  switch (backend) {
    case Backend::Auto: return "auto";
    case Backend::Reference: return "reference";
    case Backend::Cpu: return "cpu";
    case Backend::Cuda: return "cuda";
  }
  return "unknown";
}

std::optional<Backend> parse_backend(std::string_view name) {
  for (Backend b : {Backend::Auto, Backend::Reference, Backend::Cpu, Backend::Cuda})
    if (name == backend_name(b)) return b;
  return std::nullopt;
}

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::Ok: return "ok";
    case StatusCode::Empty: return "empty";
    case StatusCode::NonFinite: return "non-finite";
    case StatusCode::NonPositivePrice: return "non-positive-price";
    case StatusCode::TooShort: return "too-short";
    case StatusCode::GrowthOverflow: return "growth-overflow";
    case StatusCode::TickRange: return "tick-range";
    case StatusCode::EquityOverflow: return "equity-overflow";
  }
  return "unknown";
}

std::size_t BatchResult::ok_count() const {
  return static_cast<std::size_t>(
      std::count_if(status.begin(), status.end(), [](const SymbolStatus& s) { return s.ok(); }));
}

bool cuda_available() { return detail::cuda_device_usable(); }

Backend resolve_backend(Backend requested) {
  if (requested != Backend::Auto) return requested;
  return cuda_available() ? Backend::Cuda : Backend::Cpu;
}

BatchResult compute_batch(std::span<const SeriesView> input, const Config& config,
                          const ComputeOptions& options) {
  BatchResult result;
  compute_batch(input, config, options, result);
  return result;
}

void compute_batch(std::span<const SeriesView> input, const Config& config, const ComputeOptions& options,
                   BatchResult& result) {
  config.validate();
  if (options.outputs.calibration &&
      static_cast<int>(*options.outputs.calibration) >= kFamilies)
    throw ConfigError("calibration family out of range");
  const Backend backend = resolve_backend(options.backend);
  if (backend == Backend::Cuda && !cuda_available())
    throw BackendUnavailable(
        "backend 'cuda' was requested but no usable CUDA device is present "
        "(this build has CUDA support: " +
        std::string(detail::cuda_built() ? "yes" : "no") + "); use --backend cpu or auto");

  result.backend = backend;
  result.symbols.clear();
  result.status.clear();
  result.symbols.reserve(input.size());
  std::vector<std::size_t> offsets{0};
  offsets.reserve(input.size() + 1);
  for (const SeriesView& s : input) {
    result.symbols.emplace_back(s.symbol);
    offsets.push_back(offsets.back() + s.close.size());
  }
  result.outputs.resize(options.outputs, offsets);
  const detail::PreparedBatch prepared =
      detail::prepare(input, config, options.gaps, offsets, result.status, options.threads);
  // The backends write the rows of every computed bar; the rest (bars before a late
  // listing, symbols that failed validation) hold NaN / 0.
  for (std::size_t i = 0, k = 0; i < input.size(); ++i) {
    const bool computed = k < prepared.batch_index.size() && prepared.batch_index[k] == i;
    const std::size_t end = computed ? prepared.series[k++].out_offset : offsets[i + 1];
    result.outputs.clear_rows(offsets[i], end);
  }
  if (prepared.series.empty()) return;

  detail::OutputColumns out = detail::columns_of(result.outputs);
  std::vector<std::int64_t> nonfinite_equity_bar(prepared.series.size(), -1);
  out.nonfinite_equity_bar = nonfinite_equity_bar.data();
  switch (backend) {
    case Backend::Reference: detail::run_reference(prepared, config, out, options.stop); break;
    case Backend::Cpu: detail::run_cpu(prepared, config, out, options.threads, options.stop); break;
    case Backend::Cuda: detail::run_cuda(prepared, config, out, options); break;
    case Backend::Auto: break;  // resolved above
  }
  detail::fail_nonfinite_equities(prepared, input, nonfinite_equity_bar, offsets, result.status, result.outputs);
}

BatchResult compute_table(std::span<const double> close, std::size_t n_bars,
                          std::span<const std::string> symbols, const Config& config,
                          const ComputeOptions& options, std::span<const double> src) {
  std::size_t cells = 0;  // n_bars · symbols, checked: a wrapped product would pass the test
  if (__builtin_mul_overflow(n_bars, symbols.size(), &cells) || close.size() != cells)
    throw InputError("table has " + std::to_string(close.size()) + " values, expected " +
                     std::to_string(n_bars) + " bars x " + std::to_string(symbols.size()) +
                     " symbols");
  if (!src.empty() && src.size() != close.size())
    throw InputError("src table has " + std::to_string(src.size()) + " values, expected " +
                     std::to_string(close.size()));
  std::vector<SeriesView> views(symbols.size());
  for (std::size_t s = 0; s < symbols.size(); ++s) {
    views[s].symbol = symbols[s];
    views[s].close = close.subspan(s * n_bars, n_bars);
    if (!src.empty()) views[s].src = src.subspan(s * n_bars, n_bars);
  }
  return compute_batch(views, config, options);
}

BatchResult compute_ragged(std::span<const double> close, std::span<const std::size_t> offsets,
                           std::span<const std::string> symbols, const Config& config,
                           const ComputeOptions& options, std::span<const double> src) {
  if (offsets.size() != symbols.size() + 1)
    throw InputError("ragged batch: " + std::to_string(offsets.size()) + " offsets for " +
                     std::to_string(symbols.size()) + " symbols (expected one more than symbols)");
  if (offsets.front() != 0 || offsets.back() != close.size())
    throw InputError("ragged batch: offsets must start at 0 and end at the buffer size " +
                     std::to_string(close.size()));
  if (!src.empty() && src.size() != close.size())
    throw InputError("ragged batch: src has " + std::to_string(src.size()) + " values, close " +
                     std::to_string(close.size()));
  std::vector<SeriesView> views(symbols.size());
  for (std::size_t s = 0; s < symbols.size(); ++s) {
    if (offsets[s + 1] < offsets[s])
      throw InputError("ragged batch: offsets decrease at symbol '" + symbols[s] + "'");
    const std::size_t n = offsets[s + 1] - offsets[s];
    views[s].symbol = symbols[s];
    views[s].close = close.subspan(offsets[s], n);
    if (!src.empty()) views[s].src = src.subspan(offsets[s], n);
  }
  return compute_batch(views, config, options);
}

BatchResult compute(std::span<const double> close, const Config& config,
                    const ComputeOptions& options, std::span<const double> src,
                    std::string_view symbol) {
  const SeriesView view{symbol, close, src};
  BatchResult result = compute_batch(std::span<const SeriesView>(&view, 1), config, options);
  if (!result.status[0].ok()) throw InputError(result.status[0].message);
  return result;
}

}  // namespace atc
