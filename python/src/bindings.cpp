// atc._atc: the nanobind layer between the C++ engine and the `atc` Python package.
//
// Inputs arrive as float64 NumPy buffers (no copy when they are already laid out as the
// engine wants); results leave as NumPy arrays that view the engine's own output columns,
// kept alive by a capsule that owns the BatchResult. Nothing here loops over bars.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/array.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <type_traits>
#include <string>
#include <tuple>
#include <vector>

#include "atc/atc.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

// (bars x symbols) table in column-major order: symbol s starts at data()[s * bars].
using Table = nb::ndarray<const double, nb::ndim<2>, nb::f_contig, nb::device::cpu>;
using Series = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

std::string choices_error(std::string_view what, std::string_view value,
                          std::string_view expected) {
  return std::string(what) + ": unknown value '" + std::string(value) + "' (expected " +
         std::string(expected) + ")";
}

atc::Family family_of(std::string_view name) {
  if (auto f = atc::parse_family(name)) return *f;
  throw atc::ConfigError(choices_error("family", name, "EMA, HMA, WMA, DEMA, LSMA or KAMA"));
}

atc::Config make_config(const std::array<int, atc::kFamilies>& length,
                        const std::array<double, atc::kFamilies>& weight,
                        std::string_view robustness, double lambda, double decay, int cutout,
                        double long_threshold, double short_threshold, bool strategy) {
  atc::Config c;
  c.length = length;
  c.weight = weight;
  const auto r = atc::parse_robustness(robustness);
  if (!r) throw atc::ConfigError(choices_error("robustness", robustness, "Narrow, Medium or Wide"));
  c.robustness = *r;
  c.lambda = lambda;
  c.decay = decay;
  c.cutout = cutout;
  c.long_threshold = long_threshold;
  c.short_threshold = short_threshold;
  c.strategy = strategy;
  c.validate();
  return c;
}

atc::LiveOptions make_live_options(std::string_view backend, int threads) {
  const auto b = atc::parse_backend(backend);
  if (!b || *b == atc::Backend::Reference) throw atc::ConfigError(choices_error("backend", backend, "cpu, cuda or auto"));
  if (threads < 0) throw atc::ConfigError("threads must be >= 0 (0 = all hardware threads)");
  return atc::LiveOptions{*b, threads};
}

atc::ComputeOptions make_options(std::string_view backend, std::string_view outputs,
                                 std::optional<std::string_view> calibration, int threads,
                                 std::string_view gaps, int streams, std::size_t chunk_symbols,
                                 std::size_t device_memory_limit, std::vector<int> devices,
                                 std::string_view precision) {
  atc::ComputeOptions o;
  const auto b = atc::parse_backend(backend);
  if (!b) throw atc::ConfigError(choices_error("backend", backend, "auto, reference, cpu or cuda"));
  o.backend = *b;
  if (outputs == "standard") o.outputs = atc::OutputRequest::standard();
  else if (outputs == "scan") o.outputs = atc::OutputRequest::scan();
  else if (outputs == "average") o.outputs = atc::OutputRequest::average_only();
  else if (outputs == "compact") o.outputs = atc::OutputRequest::compact();
  else throw atc::ConfigError(choices_error("outputs", outputs, "standard, compact, scan or average"));
  if (calibration) {
    // Calibration outputs come with the standard ones, as in the indicator.
    o.outputs = atc::OutputRequest::with_calibration(family_of(*calibration));
  }
  if (gaps == "error") o.gaps = atc::GapPolicy::Error;
  else if (gaps == "ffill") o.gaps = atc::GapPolicy::ForwardFill;
  else throw atc::ConfigError(choices_error("gaps", gaps, "error or ffill"));
  if (threads < 0) throw atc::ConfigError("threads must be >= 0 (0 = all hardware threads)");
  if (streams < 1) throw atc::ConfigError("streams must be >= 1");
  o.threads = threads;
  o.streams = streams;
  o.chunk_symbols = chunk_symbols;
  o.device_memory_limit = device_memory_limit;
  o.devices = std::move(devices);
  if (precision == "float64") o.precision = atc::Precision::Float64;
  else if (precision == "float32") o.precision = atc::Precision::Float32;
  else throw atc::ConfigError(choices_error("precision", precision, "float64 or float32"));
  return o;
}

// A 1-D NumPy array viewing `column` (a vector), which lives as long as `owner`.
template <class Vector>
nb::object column_array(Vector& column, nb::handle owner) {
  using T = typename Vector::value_type;
  return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(column.data(), {column.size()}, owner));
}

// Everything Python needs from a BatchResult, output columns moved (not copied) into
// NumPy arrays: {symbols, backend, offsets, status: {code, bar, message, filled_bars},
// columns: {name: 1-D array}} where symbol i's rows are [offsets[i], offsets[i + 1]).
// Per-symbol statuses as columns: {code, bar, message, filled_bars}.
// A vector moved into a NumPy array that owns it.
template <class T>
nb::object owned_array(std::vector<T>&& values) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(owned->data(), {owned->size()}, owner));
}

// Per-symbol statuses as {code: [str], bar: int64 array, message: [str], filled_bars:
// array}. One Python string per code and one empty message serve every symbol that has
// them: a universe of 10,000 symbols, nearly all ok, makes no 20,000 new strings.
nb::dict status_to_python(const std::vector<atc::SymbolStatus>& statuses) {
  const std::size_t n = statuses.size();
  std::array<nb::object, 256> code_names;
  const nb::str no_message("");
  nb::list codes, messages;
  std::vector<std::int64_t> bars(n);
  std::vector<std::size_t> filled(n);
  for (std::size_t i = 0; i < n; ++i) {
    const atc::SymbolStatus& s = statuses[i];
    nb::object& name = code_names[static_cast<std::uint8_t>(s.code)];
    if (!name.is_valid()) name = nb::str(std::string(atc::status_code_name(s.code)).c_str());
    codes.append(name);
    messages.append(s.message.empty() ? nb::object(no_message) : nb::object(nb::str(s.message.c_str(), s.message.size())));
    bars[i] = s.bar;
    filled[i] = s.filled_bars;
  }
  nb::dict status;
  status["code"] = codes;
  status["bar"] = owned_array(std::move(bars));
  status["message"] = messages;
  status["filled_bars"] = owned_array(std::move(filled));
  return status;
}

nb::dict view_to_python(atc::BatchResult& result, const atc::Config& config, nb::handle owner);

nb::dict to_python(atc::BatchResult&& result, const atc::Config& config) {
  auto* owned = new atc::BatchResult(std::move(result));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<atc::BatchResult*>(p); });
  return view_to_python(*owned, config, owner);
}

// The same, viewing `result`, which `owner` keeps alive.
nb::dict view_to_python(atc::BatchResult& result, const atc::Config& config, nb::handle owner) {
  atc::BatchResult* owned = &result;
  atc::BatchOutputs& out = owned->outputs;

  // Compact requests keep X_Signal as int8 hundredths (atc::kHundredthsNaN before the
  // cutout), under their own name so that no one mistakes them for the doubles.
  nb::dict columns;
  atc::for_each_named_column(out, config, out.request.calibration,
                             [&](std::string name, atc::ColumnKind kind, auto& column) {
                               if (kind == atc::ColumnKind::Hundredths) name += "_hundredths";
                               columns[name.c_str()] = column_array(column, owner);
                             });

  const nb::dict status = status_to_python(owned->status);

  nb::dict d;
  d["backend"] = std::string(atc::backend_name(owned->backend));
  d["offsets"] = column_array(out.offsets, owner);
  d["status"] = status;
  d["columns"] = columns;
  return d;
}

// Runs `compute(options)` on a worker thread with the GIL released, while this thread
// checks for signals every 20 ms: Ctrl-C requests the engine's stop (it polls between
// series, SIMD groups, chunks and sweep configurations) and the KeyboardInterrupt is
// raised once it has stopped, instead of after the whole computation.
template <class Compute>
auto interruptible(atc::ComputeOptions options, Compute&& compute) {
  using Result = std::invoke_result_t<Compute&, const atc::ComputeOptions&>;
  std::stop_source stop;
  options.stop = stop.get_token();
  bool interrupted = false;
  std::future<Result> task;
  {
    nb::gil_scoped_release unlocked;
    task = std::async(std::launch::async, [&] { return compute(options); });
    while (task.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
      nb::gil_scoped_acquire locked;
      if (PyErr_CheckSignals() != 0) {  // sets the KeyboardInterrupt (or the handler's error)
        interrupted = true;
        stop.request_stop();
        break;
      }
    }
    task.wait();
  }
  if (!interrupted) return task.get();
  try {
    (void)task.get();
  } catch (const atc::Cancelled&) {  // the expected end of an interrupted computation
  }
  throw nb::python_error();
}

// The price inputs of batches and sweeps as the engine's views, in one place: a
// (bars x symbols) Fortran table (leading NaNs = listed late), or one series per symbol
// (different lengths). The views point into the NumPy buffers, which the caller keeps.
std::vector<atc::SeriesView> table_views(const Table& close, const std::vector<std::string>& symbols,
                                         const std::optional<Table>& src) {
  const std::size_t bars = close.shape(0);
  if (close.shape(1) != symbols.size())
    throw atc::InputError("the table has " + std::to_string(close.shape(1)) + " columns but " +
                          std::to_string(symbols.size()) + " symbol names were given");
  if (src && (src->shape(0) != bars || src->shape(1) != close.shape(1)))
    throw atc::InputError("src must have the same shape as the close table");
  std::vector<atc::SeriesView> views(symbols.size());
  for (std::size_t s = 0; s < symbols.size(); ++s) {
    views[s].symbol = symbols[s];
    views[s].close = {close.data() + s * bars, bars};
    if (src) views[s].src = {src->data() + s * bars, bars};
  }
  return views;
}

std::vector<atc::SeriesView> series_views(const std::vector<Series>& closes, const std::vector<std::string>& symbols,
                                          const std::optional<std::vector<Series>>& srcs) {
  if (closes.size() != symbols.size())
    throw atc::InputError(std::to_string(closes.size()) + " series but " +
                          std::to_string(symbols.size()) + " symbol names were given");
  if (srcs && srcs->size() != closes.size())
    throw atc::InputError("src must give one series per symbol");
  std::vector<atc::SeriesView> views(closes.size());
  for (std::size_t i = 0; i < closes.size(); ++i) {
    views[i].symbol = symbols[i];
    views[i].close = {closes[i].data(), closes[i].size()};
    if (srcs) views[i].src = {(*srcs)[i].data(), (*srcs)[i].size()};
  }
  return views;
}

// Seconds since `start` (the engine's own time of a call, reported as "engine_seconds").
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ----------------------------------------------------------------------------- reused results

// The result columns of compute_table and compute_series, reused across calls. A call's
// NumPy arrays view one entry, and the entry goes back to the pool only when the last of
// them is gone (the capsule's deleter): a returned frame never changes, while a loop of
// calls of one shape writes into memory it has already touched (fresh columns cost a page
// fault per 4 KiB; on the 2-core CI VM a third of the cpu backend's time at 10,000 x 1,000
// compact) and, for the cuda backend, pinned once, so that the pipeline moves the results
// without staging copies (direct transfers). The pool keeps at most kEntries entries and
// kBytes bytes; results larger than that are neither kept nor pinned.
struct PooledResult {
  atc::BatchResult result;
  std::vector<atc::PinnedRegion> pins;

  std::size_t bytes() {
    std::size_t total = 0;
    result.outputs.for_each_column(
        [&](const atc::OutputField&, auto& column) { total += column.capacity() * sizeof(column[0]); });
    return total;
  }
};


// Bytes of the output columns of `request` over `rows` rows.
std::size_t request_bytes(const atc::OutputRequest& request, std::size_t rows) {
  std::size_t per_row = sizeof(double);  // Average_Signal
  if (request.families)
    per_row += atc::kFamilies * ((request.compact_family_signals ? 1 : sizeof(double)) + sizeof(double));
  if (request.classification) per_row += 5;
  if (request.calibration) per_row += atc::kLengthsPerFamily * (2 * sizeof(double) + 1);
  return per_row * rows;
}

class ResultPool {
 public:
  static constexpr std::size_t kEntries = 2;
  static constexpr std::size_t kBytes = std::size_t{1} << 30;

  // An entry for `rows` rows of `request`: a kept one of that shape, else a new one; its
  // columns sized (and pinned when `pin`) for them when it is small enough to be kept.
  std::unique_ptr<PooledResult> take(const atc::OutputRequest& request, const std::vector<std::size_t>& offsets,
                                     bool pin) {
    std::unique_ptr<PooledResult> entry;
    {
      const std::lock_guard lock(mutex_);
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if ((*it)->result.outputs.rows() == offsets.back() && (*it)->result.outputs.request == request) {
          entry = std::move(*it);
          free_.erase(it);
          break;
        }
      }
    }
    if (!entry) entry = std::make_unique<PooledResult>();
    if (pin && entry->pins.empty() && request_bytes(request, offsets.back()) <= kBytes) {
      entry->result.outputs.resize(request, offsets);  // as compute_batch will: the pins stay valid
      entry->pins = atc::pin_columns(entry->result.outputs);
    }
    return entry;
  }

  void give_back(PooledResult* entry) noexcept {
    std::unique_ptr<PooledResult> owned(entry);
    std::vector<std::unique_ptr<PooledResult>> evicted;  // freed (and unpinned) after the lock
    const std::lock_guard lock(mutex_);
    try {
      if (owned->bytes() > kBytes) return;
      free_.push_back(std::move(owned));
      std::size_t total = 0;
      for (const auto& e : free_) total += e->bytes();
      while (free_.size() > kEntries || total > kBytes) {
        total -= free_.front()->bytes();
        evicted.push_back(std::move(free_.front()));
        free_.erase(free_.begin());
      }
    } catch (...) {  // no room to keep it: it is freed
    }
  }

  // Frees every kept entry (atc.release_buffers); returns the bytes they held.
  std::size_t clear() {
    std::vector<std::unique_ptr<PooledResult>> evicted;
    std::size_t total = 0;
    {
      const std::lock_guard lock(mutex_);
      for (const auto& e : free_) total += e->bytes();
      evicted.swap(free_);
    }
    return total;
  }

  std::size_t bytes() {
    const std::lock_guard lock(mutex_);
    std::size_t total = 0;
    for (const auto& e : free_) total += e->bytes();
    return total;
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<PooledResult>> free_;
};

// One pool for the process, never destroyed: capsules released at interpreter exit still
// find it.
ResultPool& result_pool() {
  static ResultPool* pool = new ResultPool();
  return *pool;
}

// compute_batch of `views` into a pooled entry, as compute_table returns it (and
// "engine_seconds", "error_count").
nb::dict compute_pooled(const std::vector<atc::SeriesView>& views, const atc::Config& config,
                        const atc::ComputeOptions& options) {
  std::vector<std::size_t> offsets{0};
  offsets.reserve(views.size() + 1);
  for (const atc::SeriesView& v : views) offsets.push_back(offsets.back() + v.close.size());
  const bool pin = atc::resolve_backend(options.backend) == atc::Backend::Cuda;
  std::unique_ptr<PooledResult> entry = result_pool().take(options.outputs, offsets, pin);
  double engine_seconds = 0.0;
  interruptible(options, [&](const atc::ComputeOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    atc::compute_batch(views, config, o, entry->result);
    engine_seconds = seconds_since(start);
    return 0;
  });
  atc::BatchResult& result = entry->result;
  nb::capsule owner(entry.get(), [](void* p) noexcept { result_pool().give_back(static_cast<PooledResult*>(p)); });
  entry.release();  // the capsule owns it now
  nb::dict d = view_to_python(result, config, owner);
  d["engine_seconds"] = engine_seconds;
  d["error_count"] = result.error_count();
  return d;
}

nb::dict compute_table(const Table& close, const std::vector<std::string>& symbols,
                       const atc::Config& config, const atc::ComputeOptions& options,
                       const std::optional<Table>& src) {
  return compute_pooled(table_views(close, symbols, src), config, options);
}

// ----------------------------------------------------------------------------- reused buffers

// Repeated batches of one universe (a scanner re-running every bar): the result columns
// live in the engine and are reused (no allocation, no first touch of fresh pages), pinned
// once on request so that the cuda backend writes them directly, and an input table of
// the engine's own, pinned as well, that the caller fills in place. The arrays it returns
// view its buffers and keep the engine (its Python object, nb::find(this)) alive.
class BatchEngine {
 public:
  BatchEngine(atc::Config config, atc::ComputeOptions options, bool pinned)
      : config_(config), options_(std::move(options)), pinned_(pinned) {}

  nb::dict compute(const Table& close, const std::vector<std::string>& symbols, const std::optional<Table>& src) {
    const std::vector<atc::SeriesView> views = table_views(close, symbols, src);
    std::vector<std::size_t> offsets{0};
    for (const atc::SeriesView& v : views) offsets.push_back(offsets.back() + v.close.size());
    if (result_.outputs.offsets != offsets || result_.outputs.request != options_.outputs) {
      pins_.clear();  // before the columns move
      result_.outputs.resize(options_.outputs, offsets);
      if (pinned_) pins_ = atc::pin_columns(result_.outputs);
    }
    double engine_seconds = 0.0;
    interruptible(options_, [&](const atc::ComputeOptions& o) {
      const auto start = std::chrono::steady_clock::now();
      atc::compute_batch(views, config_, o, result_);
      engine_seconds = seconds_since(start);
      return 0;
    });
    nb::dict d = view_to_python(result_, config_, nb::find(this));
    d["engine_seconds"] = engine_seconds;
    return d;
  }

  // A (bars x symbols) column-major float64 table of the engine's own (pinned when the
  // engine is), valid until the next call with another shape.
  nb::object input_table(std::size_t bars, std::size_t symbols) {
    if (input_.size() != bars * symbols) {
      input_pin_ = atc::PinnedRegion();
      input_.assign(bars * symbols, std::numeric_limits<double>::quiet_NaN());
      if (pinned_) input_pin_ = atc::PinnedRegion(std::span<const double>(input_));
    }
    const std::size_t shape[2] = {bars, symbols};
    const std::int64_t strides[2] = {1, static_cast<std::int64_t>(bars)};
    return nb::cast(nb::ndarray<nb::numpy, double, nb::ndim<2>>(input_.data(), 2, shape, nb::find(this), strides));
  }

 private:
  atc::Config config_;
  atc::ComputeOptions options_;
  bool pinned_;
  atc::BatchResult result_;
  std::vector<atc::PinnedRegion> pins_;
  std::vector<double> input_;
  atc::PinnedRegion input_pin_;
};

// ----------------------------------------------------------------------------- device input

// A device array as Python describes it (__cuda_array_interface__): pointer, "f8"/"f4",
// bars, symbols, and the strides in elements.
using DeviceArrayInfo = std::tuple<std::uintptr_t, std::string, std::size_t, std::size_t, std::int64_t, std::int64_t>;

atc::DeviceTable device_table(const DeviceArrayInfo& info) {
  const auto& [pointer, dtype, bars, symbols, bar_stride, symbol_stride] = info;
  atc::DeviceTable t;
  t.data = reinterpret_cast<const void*>(pointer);
  if (dtype == "f8") t.dtype = atc::DeviceDType::Float64;
  else if (dtype == "f4") t.dtype = atc::DeviceDType::Float32;
  else throw atc::InputError("device prices must be float64 or float32, not '" + dtype + "'");
  t.bars = bars;
  t.symbols = symbols;
  t.bar_stride = bar_stride;
  t.symbol_stride = symbol_stride;
  return t;
}

// The output columns of one request as spans, named by atc::for_each_named_column.
struct ColumnSpans {
  std::span<double> average_signal;
  std::array<std::span<double>, atc::kFamilies> family_signal{}, family_equity{};
  std::array<std::span<std::int8_t>, atc::kFamilies> family_signal_hundredths{};
  std::span<std::int8_t> trend, state, direction, long_entry, short_entry;
};

// Lays the requested columns of `rows` rows out in one block of `base` (a null base
// counts the bytes) and points `out` at them.
std::size_t lay_out(const atc::OutputRequest& request, std::size_t rows, std::byte* base, ColumnSpans& spans,
                    atc::DeviceOutputs& out) {
  std::size_t at = 0;
  atc::for_each_output_field(spans, out, [&](const atc::OutputField& field, auto& span, auto*& pointer) {
    if (!atc::requested(field.group, request)) return;
    using T = typename std::remove_reference_t<decltype(span)>::element_type;
    if (base != nullptr) span = {reinterpret_cast<T*>(base + at), rows};
    pointer = span.data();
    at += (rows * sizeof(T) + 7) / 8 * 8;
  });
  return at;
}


// Device memory for compute_device_table, alive as long as `owner`: from the caller's
// `allocate(bytes, device) -> (pointer, owner)` (the Python package hands CuPy's memory
// pool over, so that repeated calls reuse its cached blocks), or, when that is None,
// cudaMalloc'd and freed by a capsule.
struct DeviceBlock {
  std::byte* data = nullptr;
  nb::object owner;
};

DeviceBlock device_block(const nb::object& allocate, std::size_t bytes, int device) {
  bytes = std::max<std::size_t>(bytes, 1);  // a non-null pointer for every column, even of no rows
  if (allocate.is_none()) {
    void* p = atc::device_allocate(bytes);
    return {static_cast<std::byte*>(p), nb::capsule(p, [](void* q) noexcept { atc::device_free(q); })};
  }
  const nb::tuple given = nb::cast<nb::tuple>(allocate(bytes, device));
  if (given.size() != 2) throw atc::InputError("allocate must return (pointer, owner)");
  return {reinterpret_cast<std::byte*>(nb::cast<std::uintptr_t>(given[0])), nb::borrow(given[1])};
}

// compute_device on prices in GPU memory (`close`, `src` as DeviceArrayInfo), run in
// `stream` (a cudaStream_t value), with its output columns and workspace from
// `allocate` (device_block). The outputs stay on the device (to_host false: each column a
// (bars x symbols) column-major DLPack array that keeps the block alive, the block's
// owner as "owner" and each column's address in "pointers") or are copied into NumPy
// arrays (to_host true: the batch's layout, {symbols, backend, offsets, status, columns}
// as compute_table returns; the block is given back on return).
nb::dict compute_device_table(const DeviceArrayInfo& close, const std::optional<DeviceArrayInfo>& src,
                              const std::vector<std::string>& symbols, const atc::Config& config,
                              const atc::ComputeOptions& options, std::uintptr_t stream, bool to_host,
                              const nb::object& allocate) {
  const atc::DeviceTable close_table = device_table(close);
  std::optional<atc::DeviceTable> src_table;
  if (src) src_table = device_table(*src);
  if (options.outputs.calibration)
    throw atc::InputError("calibration outputs are not computed from device prices (pass host prices)");
  const int device = atc::device_of(close_table.data);
  if (device < 0) throw atc::InputError("the prices are not in device memory");
  const std::size_t rows = close_table.bars * close_table.symbols;
  ColumnSpans spans;
  atc::DeviceOutputs out;
  const DeviceBlock block = device_block(allocate, lay_out(options.outputs, rows, nullptr, spans, out), device);
  lay_out(options.outputs, rows, block.data, spans, out);
  const std::size_t workspace_bytes = atc::device_workspace_bytes(close_table, src_table ? &*src_table : nullptr, out);
  const DeviceBlock workspace = device_block(allocate, workspace_bytes, device);
  std::vector<atc::SymbolStatus> statuses;
  {
    // compute_device synchronizes the stream before it returns, so the workspace may go
    // back to its owner after it. Should it throw with work still queued, CuPy's pool hands
    // a block out again only in the stream it was taken in (the engine's), after that work.
    nb::gil_scoped_release unlocked;
    statuses = atc::compute_device(close_table, src_table ? &*src_table : nullptr, symbols, config, options, out,
                                   workspace.data, workspace_bytes, reinterpret_cast<void*>(stream));
  }

  nb::dict d;
  d["backend"] = std::string("cuda");
  d["status"] = status_to_python(statuses);
  if (to_host) {
    atc::BatchResult result;
    result.backend = atc::Backend::Cuda;
    result.symbols = symbols;
    result.status = statuses;
    std::vector<std::size_t> offsets(close_table.symbols + 1);
    for (std::size_t s = 0; s <= close_table.symbols; ++s) offsets[s] = s * close_table.bars;
    result.outputs.resize(options.outputs, std::move(offsets));
    atc::for_each_output_field(result.outputs, spans, [](const atc::OutputField&, auto& host, auto device) {
      if (!host.empty()) atc::device_to_host(host.data(), device.data(), host.size() * sizeof(host[0]));
    });
    return to_python(std::move(result), config);
  }
  nb::dict columns, pointers;
  const std::size_t shape[2] = {close_table.bars, close_table.symbols};
  const std::int64_t strides[2] = {1, static_cast<std::int64_t>(close_table.bars)};
  atc::for_each_named_column(spans, config, std::nullopt, [&](std::string name, atc::ColumnKind kind, auto& column) {
    using T = typename std::remove_reference_t<decltype(column)>::element_type;
    if (kind == atc::ColumnKind::Hundredths) name += "_hundredths";
    columns[name.c_str()] = nb::cast(nb::ndarray<T, nb::ndim<2>>(column.data(), 2, shape, block.owner, strides,
                                                                 nb::dtype<T>(), nb::device::cuda::value, device));
    pointers[name.c_str()] = reinterpret_cast<std::uintptr_t>(column.data());
  });
  d["columns"] = columns;
  d["pointers"] = pointers;  // for frameworks that wrap device memory by address (CuPy)
  d["owner"] = block.owner;
  d["device"] = device;
  return d;
}

nb::dict compute_series(const std::vector<Series>& closes, const std::vector<std::string>& symbols,
                        const atc::Config& config, const atc::ComputeOptions& options,
                        const std::optional<std::vector<Series>>& srcs) {
  return compute_pooled(series_views(closes, symbols, srcs), config, options);
}

nb::dict compute_one(const Series& close, const atc::Config& config,
                     const atc::ComputeOptions& options, const std::optional<Series>& src,
                     const std::string& symbol) {
  const std::span<const double> src_span =
      src ? std::span<const double>(src->data(), src->size()) : std::span<const double>{};
  atc::BatchResult result = interruptible(options, [&](const atc::ComputeOptions& o) {
    return atc::compute({close.data(), close.size()}, config, o, src_span, symbol);
  });
  return to_python(std::move(result), config);
}

// One bar of a LiveEngine as {name: 1-D array (copied)} in the batch's column names, plus
// bar, updated and the status (code, bar, message).
nb::dict live_bar_to_python(const atc::LiveBar& b) {
  const auto array = [](const auto& values) { return owned_array(std::vector(values)); };
  nb::dict d;
  atc::for_each_output_field(b, b, [&](const atc::OutputField& field, const auto& column, const auto&) {
    d[atc::output_name(field, atc::Config{}, std::nullopt).c_str()] = array(column);
  });
  d["bar"] = array(b.bar);
  d["updated"] = array(b.updated);
  std::vector<std::string> codes, messages;
  std::vector<std::int64_t> bars;
  for (const atc::SymbolStatus& s : b.status) {
    codes.emplace_back(atc::status_code_name(s.code));
    messages.push_back(s.message);
    bars.push_back(s.bar);
  }
  d["status_code"] = codes;
  d["status_bar"] = bars;
  d["status_message"] = messages;
  return d;
}

std::span<const double> optional_span(const std::optional<Series>& s) {
  return s ? std::span<const double>(s->data(), s->size()) : std::span<const double>{};
}

using Mask = nb::ndarray<const std::uint8_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

// LiveEngine::update or ::peek with the GIL released.
template <const atc::LiveBar& (atc::LiveEngine::*kAdvance)(std::span<const double>, std::span<const double>,
                                                            std::span<const std::uint8_t>)>
nb::dict live_advance(atc::LiveEngine& e, const Series& closes, const std::optional<Series>& src,
                      const std::optional<Mask>& has_bar) {
  const atc::LiveBar* bar = nullptr;
  {
    nb::gil_scoped_release unlocked;
    bar = &(e.*kAdvance)({closes.data(), closes.size()}, optional_span(src),
                         has_bar ? std::span<const std::uint8_t>(has_bar->data(), has_bar->size())
                                 : std::span<const std::uint8_t>{});
  }
  return live_bar_to_python(*bar);
}


// ----------------------------------------------------------------------------- sweeps

// Trades and periods are counts (int64 columns); the other metrics are doubles.
bool integral_metric(atc::Metric metric) {
  return metric == atc::Metric::Trades || metric == atc::Metric::Periods;
}

std::int64_t integral_value(const atc::BacktestMetrics& m, atc::Metric metric) {
  return metric == atc::Metric::Trades ? m.trades : m.periods;
}

// The metrics table as [{name, higher_is_better, help, dtype}], in the order of
// BacktestMetrics: every front end takes its metric names from here.
nb::list metrics_table() {
  nb::list out;
  for (const atc::MetricInfo& info : atc::metrics()) {
    nb::dict d;
    d["name"] = std::string(info.name);
    d["higher_is_better"] = info.higher_is_better;
    d["help"] = std::string(info.help);
    d["dtype"] = integral_metric(info.metric) ? "int64" : "float64";
    out.append(d);
  }
  return out;
}

atc::BacktestOptions make_backtest_options(std::string_view source, std::string_view side, double fee_bps,
                                           double bars_per_year) {
  atc::BacktestOptions o;
  const auto src = atc::parse_position_source(source);
  if (!src) throw atc::ConfigError(choices_error("source", source, "state or direction"));
  const auto sd = atc::parse_position_side(side);
  if (!sd) throw atc::ConfigError(choices_error("side", side, "long-short, long-only or short-only"));
  o.source = *src;
  o.side = *sd;
  o.fee_bps = fee_bps;
  o.bars_per_year = bars_per_year;
  o.validate();
  return o;
}

// {name: metric} of one backtest: floats, and ints for the counts.
nb::dict metrics_to_python(const atc::BacktestMetrics& m) {
  nb::dict d;
  for (const atc::MetricInfo& info : atc::metrics()) {
    if (integral_metric(info.metric))
      d[std::string(info.name).c_str()] = integral_value(m, info.metric);
    else
      d[std::string(info.name).c_str()] = atc::metric_value(m, info.metric);
  }
  return d;
}

// A SweepResult as columns, one entry per row (config-major): {symbols, backend,
// code_names, columns: {config, symbol (indexes), code (into code_names), bar, failed and
// failed_message (the rows with a message), filled_bars, Average_Signal,
// trend, state, direction, long_entry, short_entry, <metric>...}, kept: [{config,
// symbol, Average_Signal, position}]}.
// The name of every StatusCode, by its value.
std::vector<std::string> code_names() {
  std::vector<std::string> names;
  for (int c = 0; c <= static_cast<int>(atc::StatusCode::EquityOverflow); ++c)
    names.emplace_back(atc::status_code_name(static_cast<atc::StatusCode>(c)));
  return names;
}

nb::dict sweep_to_python(atc::SweepResult&& result) {
  const std::size_t n = result.rows.size();
  std::vector<std::int64_t> config(n), symbol(n), bar(n), filled(n), failed;
  std::vector<std::int8_t> codes(n);
  std::vector<std::string> messages;  // of the failed rows only: a Python str per row is slow
  // One column per output of a row (the last bar's Average_Signal and classification).
  struct RowOutputs {
    std::vector<double> average_signal;
    std::vector<std::int8_t> trend, state, direction, long_entry, short_entry;
  } outputs;
  const atc::SweepRow no_row;
  atc::for_each_output_field(outputs, no_row, [n](const atc::OutputField&, auto& column, const auto&) { column.resize(n); });
  for (std::size_t i = 0; i < n; ++i) {
    const atc::SweepRow& r = result.rows[i];
    config[i] = static_cast<std::int64_t>(r.config);
    symbol[i] = static_cast<std::int64_t>(r.symbol);
    codes[i] = static_cast<std::int8_t>(r.status.code);
    if (!r.status.message.empty()) {
      failed.push_back(static_cast<std::int64_t>(i));
      messages.push_back(r.status.message);
    }
    bar[i] = r.status.bar;
    filled[i] = static_cast<std::int64_t>(r.status.filled_bars);
    atc::for_each_output_field(outputs, r, [i](const atc::OutputField&, auto& column, const auto& value) { column[i] = value; });
  }
  nb::dict columns;
  columns["config"] = owned_array(std::move(config));
  columns["symbol"] = owned_array(std::move(symbol));
  columns["code"] = owned_array(std::move(codes));  // a StatusCode: an index into code_names
  columns["bar"] = owned_array(std::move(bar));
  columns["failed"] = owned_array(std::move(failed));  // the rows with a message, and theirs
  columns["failed_message"] = messages;
  columns["filled_bars"] = owned_array(std::move(filled));
  atc::for_each_output_field(outputs, no_row, [&](const atc::OutputField& field, auto& column, const auto&) {
    columns[atc::output_name(field, atc::Config{}, std::nullopt).c_str()] = owned_array(std::move(column));
  });
  for (const atc::MetricInfo& info : atc::metrics()) {
    if (integral_metric(info.metric)) {
      std::vector<std::int64_t> values(n);
      for (std::size_t i = 0; i < n; ++i) values[i] = integral_value(result.rows[i].metrics, info.metric);
      columns[std::string(info.name).c_str()] = owned_array(std::move(values));
    } else {
      std::vector<double> values(n);
      for (std::size_t i = 0; i < n; ++i) values[i] = atc::metric_value(result.rows[i].metrics, info.metric);
      columns[std::string(info.name).c_str()] = owned_array(std::move(values));
    }
  }
  nb::list kept;
  for (atc::SweepSeries& k : result.kept) {
    nb::dict d;
    d["config"] = k.pair.config;
    d["symbol"] = k.pair.symbol;
    d["Average_Signal"] = owned_array(std::move(k.average_signal));
    d["position"] = owned_array(std::move(k.position));
    kept.append(d);
  }
  nb::dict d;
  d["symbols"] = result.symbols;
  d["backend"] = std::string(atc::backend_name(result.backend));
  d["configs"] = result.configs;
  d["columns"] = columns;
  d["code_names"] = code_names();
  d["kept"] = kept;
  return d;
}

// atc::sweep of `prices`: a (bars x symbols) Fortran float64 table, or a list of 1-D
// series (one per symbol), with `src` of the same kind or None.
nb::dict sweep(nb::handle prices, const std::vector<std::string>& symbols, const std::vector<atc::Config>& configs,
               const atc::ComputeOptions& compute, const atc::BacktestOptions& backtest, nb::handle src,
               const std::vector<std::pair<std::size_t, std::size_t>>& keep) {
  // The NumPy inputs stay alive (and converted) while the views point into them.
  std::optional<Table> close_table, src_table;
  std::vector<Series> close_series;
  std::optional<std::vector<Series>> src_series;
  std::vector<atc::SeriesView> views;
  if (nb::isinstance<nb::list>(prices) || nb::isinstance<nb::tuple>(prices)) {
    close_series = nb::cast<std::vector<Series>>(prices);
    if (!src.is_none()) src_series = nb::cast<std::vector<Series>>(src);
    views = series_views(close_series, symbols, src_series);
  } else {
    close_table = nb::cast<Table>(prices);
    if (!src.is_none()) src_table = nb::cast<Table>(src);
    views = table_views(*close_table, symbols, src_table);
  }
  atc::SweepOptions options;
  options.backtest = backtest;
  options.keep.reserve(keep.size());
  for (const auto& [c, s] : keep) options.keep.push_back({c, s});
  atc::SweepResult result = interruptible(compute, [&](const atc::ComputeOptions& o) {
    atc::SweepOptions with_stop = options;
    with_stop.compute = o;
    return atc::sweep(views, configs, with_stop);
  });
  return sweep_to_python(std::move(result));
}

using Positions = nb::ndarray<const std::int8_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

nb::dict backtest_one(const Series& close, const Positions& position, const atc::BacktestOptions& options,
                      const std::optional<Series>& src) {
  atc::BacktestMetrics m;
  {
    nb::gil_scoped_release unlocked;
    m = atc::backtest({close.data(), close.size()}, {position.data(), position.size()}, options, optional_span(src));
  }
  return metrics_to_python(m);
}
}  // namespace

NB_MODULE(_atc, m) {
  m.doc() = "Native core of the atc package (use the functions of `atc` instead).";
  m.attr("__version__") = ATC_VERSION;
  // The engine's family table, for the Python names built on it (atc.FAMILIES, ATCConfig).
  {
    nb::list families;
    for (const atc::FamilyTraits& f : atc::kFamilyTraits) families.append(nb::str(std::string(f.name).c_str()));
    m.attr("FAMILIES") = nb::tuple(families);
  }
  // The engine's output table, for the Python names (STANDARD_OUTPUTS, DISCRETE_OUTPUTS):
  // (name, kind, group) per column in order; the calibration columns, named after the
  // lengths of a configuration, are left out.
  {
    const auto kind_name = [](atc::ColumnKind kind) {
      switch (kind) {
        case atc::ColumnKind::Real: return "real";
        case atc::ColumnKind::Discrete: return "discrete";
        case atc::ColumnKind::Hundredths: return "hundredths";
      }
      return "";
    };
    const auto group_name = [](atc::OutputGroup group) {
      switch (group) {
        case atc::OutputGroup::Always: return "always";
        case atc::OutputGroup::Families: return "families";
        case atc::OutputGroup::FamilySignals: return "family_signals";
        case atc::OutputGroup::CompactSignals: return "compact_signals";
        case atc::OutputGroup::Classification: return "classification";
        case atc::OutputGroup::Calibration: return "calibration";
      }
      return "";
    };
    nb::list rows;
    const atc::BatchOutputs every;
    atc::for_each_output_field(every, every, [&](const atc::OutputField& field, const auto&, const auto&) {
      if (field.scope == atc::OutputField::Scope::PerLength) return;
      rows.append(nb::make_tuple(atc::output_name(field, atc::Config{}, std::nullopt),
                                 kind_name(field.kind), group_name(field.group)));
    });
    m.attr("OUTPUT_COLUMNS") = nb::tuple(rows);
  }

  // Translators run newest first: the base class is registered before its subclasses.
  nb::exception<atc::Error> error(m, "Error", PyExc_Exception);
  nb::exception<atc::ConfigError>(m, "ConfigError",
                                  nb::make_tuple(error, nb::handle(PyExc_ValueError)));
  nb::exception<atc::InputError>(m, "InputError",
                                 nb::make_tuple(error, nb::handle(PyExc_ValueError)));
  nb::exception<atc::BackendUnavailable>(m, "BackendUnavailable",
                                         nb::make_tuple(error, nb::handle(PyExc_RuntimeError)));
  nb::exception<atc::Cancelled>(m, "Cancelled", error);

  nb::class_<atc::Config>(m, "Config", "Validated engine parameters (see atc.ATCConfig).")
      .def("__init__",
           [](atc::Config* self, const std::array<int, atc::kFamilies>& length,
              const std::array<double, atc::kFamilies>& weight, std::string_view robustness,
              double lambda, double decay, int cutout, double long_threshold,
              double short_threshold, bool strategy) {
             new (self) atc::Config(make_config(length, weight, robustness, lambda, decay, cutout,
                                                long_threshold, short_threshold, strategy));
           },
           "length"_a, "weight"_a, "robustness"_a, "lambda_"_a, "decay"_a, "cutout"_a,
           "long_threshold"_a, "short_threshold"_a, "strategy"_a,
           "Builds and validates a configuration; raises ConfigError naming the first bad field.")
      .def("lengths", [](const atc::Config& c, std::string_view family) {
             return c.lengths(family_of(family));
           }, "family"_a, "The nine MA lengths of a family: L, L+o1..L+o4, L-o1..L-o4.")
      .def_prop_ro("min_bars", &atc::Config::min_bars,
                   "Bars a series needs before its slowest moving average has a value.");

  nb::class_<atc::ComputeOptions>(m, "Options", "How and where to compute (see compute_atc_batch).")
      .def("__init__",
           [](atc::ComputeOptions* self, std::string_view backend, std::string_view outputs,
              std::optional<std::string_view> calibration, int threads, std::string_view gaps,
              int streams, std::size_t chunk_symbols, std::size_t device_memory_limit,
              std::vector<int> devices, std::string_view precision) {
             new (self) atc::ComputeOptions(make_options(backend, outputs, calibration, threads,
                                                         gaps, streams, chunk_symbols,
                                                         device_memory_limit, std::move(devices),
                                                         precision));
           },
           "backend"_a = "auto", "outputs"_a = "standard", "calibration"_a = nb::none(),
           "threads"_a = 0, "gaps"_a = "error", "streams"_a = 4, "chunk_symbols"_a = 0,
           "device_memory_limit"_a = 0, "devices"_a = std::vector<int>{}, "precision"_a = "float64");

  nb::class_<atc::LiveEngine>(m, "LiveEngine", "Exact per-bar updates of a universe (see atc.LiveEngine).")
      .def(
          "__init__",
          [](atc::LiveEngine* self, const atc::Config& config, int threads, std::string_view backend) {
            new (self) atc::LiveEngine(config, make_live_options(backend, threads));
          },
          "config"_a, "threads"_a = 0, "backend"_a = "cpu")
      .def_prop_ro("symbols", &atc::LiveEngine::symbols)
      .def_prop_ro("backend", [](const atc::LiveEngine& e) { return std::string(atc::backend_name(e.backend())); })
      .def_prop_ro("state_bytes_per_symbol", &atc::LiveEngine::state_bytes_per_symbol)
      .def("add",
           [](atc::LiveEngine& e, const std::vector<Series>& closes, const std::vector<std::string>& symbols,
              const std::optional<std::vector<Series>>& srcs) {
             if (closes.size() != symbols.size() || (srcs && srcs->size() != closes.size()))
               throw atc::InputError("live add: one close series (and src) per symbol");
             std::vector<atc::SeriesView> views(closes.size());
             for (std::size_t i = 0; i < closes.size(); ++i) {
               views[i] = {symbols[i], {closes[i].data(), closes[i].size()}, {}};
               if (srcs) views[i].src = {(*srcs)[i].data(), (*srcs)[i].size()};
             }
             std::vector<atc::SymbolStatus> status;
             {
               nb::gil_scoped_release unlocked;
               status = e.add(views);
             }
             std::vector<std::string> messages;
             for (const auto& s : status) messages.push_back(s.ok() ? std::string() : s.message);
             return messages;
           },
           "closes"_a, "symbols"_a, "srcs"_a = nb::none())
      .def("remove", &atc::LiveEngine::remove, "symbol"_a)
      .def("update", &live_advance<&atc::LiveEngine::update>, "closes"_a, "src"_a = nb::none(), "has_bar"_a = nb::none())
      .def("peek", &live_advance<&atc::LiveEngine::peek>, "closes"_a, "src"_a = nb::none(), "has_bar"_a = nb::none())
      .def("last", [](const atc::LiveEngine& e) { return live_bar_to_python(e.last()); })
      .def("save", [](const atc::LiveEngine& e, const std::string& path) { e.save(path); }, "path"_a)
      .def_static(
          "restore",
          [](const std::string& path, int threads, std::string_view backend) {
            return atc::LiveEngine::restore(path, make_live_options(backend, threads));
          },
          "path"_a, "threads"_a = 0, "backend"_a = "cpu");

  nb::class_<atc::BacktestOptions>(m, "BacktestOptions", "How positions become returns (see atc.sweep).")
      .def("__init__",
           [](atc::BacktestOptions* self, std::string_view source, std::string_view side, double fee_bps,
              double bars_per_year) {
             new (self) atc::BacktestOptions(make_backtest_options(source, side, fee_bps, bars_per_year));
           },
           "source"_a = "state", "side"_a = "long-short", "fee_bps"_a = 0.0, "bars_per_year"_a = 365.0,
           "Builds and validates backtest options; raises ConfigError naming the bad field.")
      .def_prop_ro("source", [](const atc::BacktestOptions& o) { return std::string(atc::position_source_name(o.source)); })
      .def_prop_ro("side", [](const atc::BacktestOptions& o) { return std::string(atc::position_side_name(o.side)); })
      .def_ro("fee_bps", &atc::BacktestOptions::fee_bps)
      .def_ro("bars_per_year", &atc::BacktestOptions::bars_per_year);

  m.def("metrics", &metrics_table,
        "The backtest metrics: [{name, higher_is_better, help, dtype}] in the engine's order.");
  m.def("sweep", &sweep, "prices"_a, "symbols"_a, "configs"_a, "options"_a, "backtest"_a, "src"_a = nb::none(),
        "keep"_a = std::vector<std::pair<std::size_t, std::size_t>>{},
        "Sweeps configurations x symbols: prices is a (bars x symbols) Fortran float64 table or a list of "
        "1-D series; keep lists (configuration, symbol) index pairs whose whole series are returned.");
  m.def("backtest", &backtest_one, "close"_a, "position"_a, "options"_a, "src"_a = nb::none(),
        "Backtest metrics of one series and its -1/0/+1 positions (one per bar).");

  m.def("compute_device", &compute_device_table, "close"_a, "src"_a.none(), "symbols"_a, "config"_a, "options"_a,
        "stream"_a, "to_host"_a, "allocate"_a.none() = nb::none(),
        "compute_device of a table in GPU memory: close/src as (pointer, 'f8'|'f4', bars, symbols, bar stride, "
        "symbol stride), run in `stream`; outputs on the device (DLPack arrays) or copied to NumPy. Device "
        "memory from allocate(bytes, device) -> (pointer, owner), or cudaMalloc when None.");
  nb::class_<BatchEngine>(m, "BatchEngine", "Repeated batches with reused (optionally pinned) buffers.")
      .def(nb::init<atc::Config, atc::ComputeOptions, bool>(), "config"_a, "options"_a, "pinned"_a)
      .def("compute", &BatchEngine::compute, "close"_a, "symbols"_a, "src"_a = nb::none())
      .def("input_table", &BatchEngine::input_table, "bars"_a, "symbols"_a);
  m.def("compute_table", &compute_table, "close"_a, "symbols"_a, "config"_a, "options"_a,
        "src"_a = nb::none(),
        "Computes a (bars x symbols) Fortran-ordered float64 table; leading NaNs = listed late.");
  m.def("compute_series", &compute_series, "closes"_a, "symbols"_a, "config"_a, "options"_a,
        "srcs"_a = nb::none(), "Computes series of different lengths, one per symbol.");
  m.def("compute", &compute_one, "close"_a, "config"_a, "options"_a, "src"_a = nb::none(),
        "symbol"_a = "series", "Computes one series; raises InputError if it cannot be computed.");
  m.def("release_buffers", [] { return result_pool().clear(); },
        "Frees the result columns kept for reuse by compute_table/compute_series; returns their bytes.");
  m.def("kept_buffer_bytes", [] { return result_pool().bytes(); },
        "Bytes of the result columns kept for reuse (none of them viewed by a live array).");
  m.def("release_gpu_memory", [] {
          const atc::GpuContext::Footprint kept = atc::default_gpu_context().footprint();
          atc::default_gpu_context().release();
          return kept.device_bytes + kept.pinned_bytes;
        },
        "Frees the streams, device buffers, pinned slots and graphs the cuda backend keeps between calls "
        "(atc::default_gpu_context); returns their bytes.");
  m.def("gpu_memory_kept", [] {
          const atc::GpuContext::Footprint kept = atc::default_gpu_context().footprint();
          nb::dict d;
          d["pipelines"] = kept.pipelines;
          d["device_bytes"] = kept.device_bytes;
          d["pinned_bytes"] = kept.pinned_bytes;
          return d;
        },
        "What the cuda backend keeps between calls: pipelines, device_bytes, pinned_bytes.");
  m.def("cuda_available", &atc::cuda_available,
        "True when this build has the CUDA backend and a usable device is present.");
  m.def("resolve_backend", [](std::string_view name) {
          const auto b = atc::parse_backend(name);
          if (!b) throw atc::ConfigError(choices_error("backend", name, "auto, reference, cpu or cuda"));
          return std::string(atc::backend_name(atc::resolve_backend(*b)));
        }, "backend"_a, "The backend a request resolves to here ('auto' -> 'cuda' or 'cpu').");
}
