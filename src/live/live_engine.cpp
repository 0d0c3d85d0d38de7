// atc::LiveEngine: the symbols' states (live_state.hpp), the per-bar calls over all of
// them on a few threads, and the state file.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "atc/atomic_write.hpp"
#include "atc/error.hpp"
#include "atc/live.hpp"
#include "../core/prepared.hpp"
#include "../core/worker_pool.hpp"
#include "live_device.hpp"
#include "live_state.hpp"

namespace atc {

using detail::live::BarOutputs;
using detail::live::Params;
using detail::live::SymbolState;
using detail::WorkerPool;

struct LiveEngine::Impl {
  Params params;
  int threads;
  std::vector<std::string> symbols;
  std::unordered_map<std::string, std::size_t> index;
  // The states of record; on the cuda backend the device's are newer while host_stale.
  mutable std::vector<SymbolState> states;
  mutable std::unique_ptr<detail::live::DeviceStates> device;
  mutable bool host_stale = false;
  LiveBar bar;  // the last update's (or peek's) outputs
  LiveBar committed;
  mutable WorkerPool pool;

  Impl(const Config& config, const LiveOptions& options)
      : params(config),
        threads(options.threads),
        pool(options.threads > 0 ? static_cast<unsigned>(options.threads)
                                 : std::max(1u, std::thread::hardware_concurrency())) {
    if (options.backend == Backend::Reference)
      throw ConfigError("the live engine runs on the cpu or cuda backend, not on the reference");
    const bool cuda = options.backend == Backend::Cuda || (options.backend == Backend::Auto && detail::cuda_device_usable());
    if (cuda) device = std::make_unique<detail::live::DeviceStates>(params);
  }

  // The host's states made current (before they are read or changed as a whole) ...
  void sync_host() const {
    if (device && host_stale) device->download(states);
    host_stale = false;
  }
  // ... and the device's after they changed.
  void sync_device() {
    if (device) device->upload(states);
  }

  // Runs f(begin, end) over ranges covering every symbol, split over the threads when
  // there are many symbols.
  template <class F>
  void for_each_range(const F& f) const {
    const std::size_t n = states.size();
    // Below ~500 symbols handing work to another thread costs more than the work.
    const auto workers = static_cast<unsigned>(std::clamp<std::size_t>(n / 512, 1, pool.size()));
    const auto part = [&](unsigned w) { f(n * w / workers, n * (w + 1) / workers); };
    if (workers == 1) part(0);
    else pool.run(workers, part);
  }
  template <class F>
  void for_each_symbol(const F& f) const {
    for_each_range([&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) f(i);
    });
  }
  void resize_bar(LiveBar& b) const {
    const std::size_t n = states.size();
    b.average_signal.resize(n);
    for (auto& c : b.family_signal) c.resize(n);
    for (auto& c : b.family_equity) c.resize(n);
    for (auto* c : {&b.trend, &b.state, &b.direction, &b.long_entry, &b.short_entry}) c->resize(n);
    b.bar.resize(n);
    b.updated.resize(n);
    b.status.resize(n);
  }

  // b.status[i] for a symbol's state (fatal: its error; else from its bars), left as it
  // is when it stays Ok: most symbols are Ok on most bars.
  void set_status(LiveBar& b, std::size_t i, StatusCode fatal, std::int64_t fatal_bar, const std::string& message,
                  std::int64_t bars) const {
    const bool ok = fatal == StatusCode::Ok && static_cast<std::size_t>(bars) >= params.min_bars &&
                    bars > params.config.cutout && bars > 0;
    if (ok && b.status[i].ok() && b.status[i].message.empty()) return;
    b.status[i] = detail::live::status_of(fatal, fatal_bar, message, bars, params, symbols[i]);
  }

  void emit(LiveBar& b, std::size_t i, const SymbolState& s, const BarOutputs& o, bool updated) const {
    b.average_signal[i] = o.average;
    for (int f = 0; f < kFamilies; ++f) {
      b.family_signal[f][i] = o.family_signal[f];
      b.family_equity[f][i] = o.family_equity[f];
    }
    b.trend[i] = o.trend;
    b.state[i] = o.state;
    b.direction[i] = o.direction;
    b.long_entry[i] = o.long_entry;
    b.short_entry[i] = o.short_entry;
    b.bar[i] = s.core.bars - 1;
    b.updated[i] = updated ? 1 : 0;
    set_status(b, i, s.core.fatal, s.core.fatal_bar, s.fatal_message, s.core.bars);
  }

  // The status of a bar that is not taken (close or src not valid), or nullopt.
  std::optional<SymbolStatus> rejected(std::size_t i, double close, double source, std::int64_t bars) const {
    if (detail::live::valid_bar(close, source)) return std::nullopt;
    const std::string reason = detail::live::reject_reason(close, source);
    return SymbolStatus{close <= 0.0 ? StatusCode::NonPositivePrice : StatusCode::NonFinite, bars,
                        detail::symbol_message(symbols[i], bars,
                                               reason + " (" + std::to_string(close) + "); the bar is not taken"),
                        0};
  }

  void check_lengths(std::span<const double> closes, std::span<const double> src,
                     std::span<const std::uint8_t> has_bar) const {
    const auto check = [&](std::size_t size, const char* what) {
      if (size != states.size())
        throw InputError(std::string("live update: ") + what + " has " + std::to_string(size) + " values for " +
                         std::to_string(states.size()) + " symbols");
    };
    check(closes.size(), "closes");
    if (!src.empty()) check(src.size(), "src");
    if (!has_bar.empty()) check(has_bar.size(), "has_bar");
  }

  // One bar for every symbol into `bar`; commit = false works on copies of the states.
  const LiveBar& advance(std::span<const double> closes, std::span<const double> src,
                         std::span<const std::uint8_t> has_bar, bool commit) {
    check_lengths(closes, src, has_bar);
    resize_bar(bar);
    if (device) advance_on_device(closes, src, has_bar, commit);
    else advance_on_host(closes, src, has_bar, commit);
    if (!commit) return bar;
    // Every column of `bar` was written: it becomes the committed one, and the old one is
    // the next call's to overwrite (no copy of 10,000s of rows and statuses).
    std::swap(committed, bar);
    return committed;
  }

  void advance_on_host(std::span<const double> closes, std::span<const double> src,
                       std::span<const std::uint8_t> has_bar, bool commit) {
    for_each_symbol([&](std::size_t i) {
      SymbolState& s = states[i];
      if (i + 2 < states.size()) detail::live::prefetch(states[i + 2], params);
      const bool offered = has_bar.empty() || has_bar[i] != 0;
      if (!offered || s.core.fatal != StatusCode::Ok) {
        emit(bar, i, s, s.core.last, false);
        return;
      }
      const double close = closes[i], source = src.empty() ? close : src[i];
      if (auto status = rejected(i, close, source, s.core.bars)) {
        emit(bar, i, s, s.core.last, false);
        bar.status[i] = std::move(*status);
        return;
      }
      if (commit) {
        const BarOutputs o = detail::live::step(s, params, close, source, symbols[i]);
        emit(bar, i, s, o, true);
      } else {
        // A copy per thread, reused: its rings keep their storage from symbol to symbol.
        thread_local SymbolState scratch;
        scratch.core = s.core;
        scratch.ring.assign(s.ring.begin(), s.ring.end());
        scratch.ring_ticks.assign(s.ring_ticks.begin(), s.ring_ticks.end());
        scratch.fatal_message.clear();
        const BarOutputs o = detail::live::step(scratch, params, close, source, symbols[i]);
        emit(bar, i, scratch, o, true);
      }
    });
  }

  // The bar in one launch; the host writes the inputs and reads the outputs, both on the
  // worker threads. A symbol that stopped has its status from the device's fatal code,
  // named here.
  void advance_on_device(std::span<const double> closes, std::span<const double> src,
                         std::span<const std::uint8_t> has_bar, bool commit) {
    if (states.empty()) return;  // no launch, no columns
    double* close_in = device->close_input();
    double* src_in = device->src_input();
    std::uint8_t* take = device->take_input();
    const auto offered = [&](std::size_t i) { return has_bar.empty() || has_bar[i] != 0; };
    const auto source = [&](std::size_t i) { return src.empty() ? closes[i] : src[i]; };
    for_each_range([&](std::size_t begin, std::size_t end) {
      std::memcpy(close_in + begin, closes.data() + begin, (end - begin) * sizeof(double));
      if (!src.empty()) std::memcpy(src_in + begin, src.data() + begin, (end - begin) * sizeof(double));
      for (std::size_t i = begin; i < end; ++i)
        take[i] = offered(i) && detail::live::valid_bar(closes[i], source(i)) ? 1 : 0;
    });
    const detail::live::DeviceBarColumns out = device->step(!src.empty(), commit);
    if (commit) host_stale = true;
    static const std::string kNoMessage;
    for_each_range([&](std::size_t begin, std::size_t end) {
      const std::size_t count = end - begin;
      std::memcpy(bar.average_signal.data() + begin, out.average + begin, count * sizeof(double));
      for (int f = 0; f < kFamilies; ++f) {
        std::memcpy(bar.family_signal[f].data() + begin, out.family_signal[f] + begin, count * sizeof(double));
        std::memcpy(bar.family_equity[f].data() + begin, out.family_equity[f] + begin, count * sizeof(double));
      }
      std::int8_t* classification[5] = {bar.trend.data(), bar.state.data(), bar.direction.data(),
                                        bar.long_entry.data(), bar.short_entry.data()};
      for (int k = 0; k < 5; ++k) std::memcpy(classification[k] + begin, out.classification[k] + begin, count);
      std::memcpy(bar.updated.data() + begin, out.updated + begin, count);
      for (std::size_t i = begin; i < end; ++i) {
        bar.bar[i] = out.bars[i] - 1;
        const auto fatal = static_cast<StatusCode>(out.fatal[i]);
        if (fatal == StatusCode::Ok) {
          if (offered(i) && take[i] == 0) bar.status[i] = *rejected(i, closes[i], source(i), out.bars[i]);
          else set_status(bar, i, fatal, -1, kNoMessage, out.bars[i]);
          continue;
        }
        // Named once, when it stops (the host's state keeps the message for save()).
        if (const std::string& known = states[i].fatal_message; !known.empty()) {
          set_status(bar, i, fatal, out.fatal_bar[i], known, out.bars[i]);
          continue;
        }
        std::string message = detail::live::fatal_message(fatal, symbols[i], out.fatal_bar[i]);
        set_status(bar, i, fatal, out.fatal_bar[i], message, out.bars[i]);
        if (commit) states[i].fatal_message = std::move(message);
      }
    });
  }
};

LiveEngine::LiveEngine(const Config& config, int threads) : LiveEngine(config, LiveOptions{Backend::Cpu, threads}) {}

LiveEngine::LiveEngine(const Config& config, const LiveOptions& options) {
  config.validate();
  impl_ = std::make_unique<Impl>(config, options);
}
LiveEngine::~LiveEngine() = default;
LiveEngine::LiveEngine(LiveEngine&&) noexcept = default;
LiveEngine& LiveEngine::operator=(LiveEngine&&) noexcept = default;

const Config& LiveEngine::config() const { return impl_->params.config; }
Backend LiveEngine::backend() const { return impl_->device ? Backend::Cuda : Backend::Cpu; }
const std::vector<std::string>& LiveEngine::symbols() const { return impl_->symbols; }
std::size_t LiveEngine::size() const { return impl_->symbols.size(); }

std::vector<SymbolStatus> LiveEngine::add(std::span<const SeriesView> histories) {
  Impl& m = *impl_;
  std::unordered_set<std::string_view> given;  // a set: 100,000 symbols are checked in linear time
  for (std::size_t h = 0; h < histories.size(); ++h) {
    const std::string name(histories[h].symbol);
    if (m.index.contains(name)) throw InputError("live: symbol '" + name + "' is already present");
    if (!given.insert(histories[h].symbol).second) throw InputError("live: symbol '" + name + "' is given twice");
    if (!histories[h].src.empty() && histories[h].src.size() != histories[h].close.size())
      throw InputError("live: symbol '" + name + "': src has " + std::to_string(histories[h].src.size()) +
                       " bars but close has " + std::to_string(histories[h].close.size()));
  }
  m.sync_host();
  const std::size_t first = m.states.size();
  for (const SeriesView& h : histories) {
    m.index.emplace(std::string(h.symbol), m.symbols.size());
    m.symbols.emplace_back(h.symbol);
    m.states.push_back(detail::live::make_state(m.params));
  }
  std::vector<SymbolStatus> status(histories.size());
  // The histories, each on its own (leading NaNs: not listed yet; then every bar valid).
  m.for_each_symbol([&](std::size_t i) {
    if (i < first) return;
    const SeriesView& h = histories[i - first];
    SymbolState& s = m.states[i];
    const auto valid = [&](std::size_t t) {
      return std::isfinite(h.close[t]) && (h.src.empty() || std::isfinite(h.src[t]));
    };
    std::size_t t = 0;
    while (t < h.close.size() && !valid(t)) ++t;
    for (; t < h.close.size() && s.core.fatal == StatusCode::Ok; ++t) {
      const double close = h.close[t], source = h.src.empty() ? close : h.src[t];
      if (!detail::live::valid_bar(close, source)) {
        const std::string reason = detail::live::reject_reason(close, source);
        s.core.fatal = close <= 0.0 ? StatusCode::NonPositivePrice : StatusCode::NonFinite;
        s.core.fatal_bar = static_cast<std::int64_t>(t);
        s.fatal_message = detail::symbol_message(m.symbols[i], static_cast<std::int64_t>(t), reason + " in its history");
        s.core.last = BarOutputs{};
        break;
      }
      detail::live::step(s, m.params, close, source, m.symbols[i]);
    }
    status[i - first] = detail::live::status_of(s, m.params, m.symbols[i]);
  });
  m.resize_bar(m.committed);
  for (std::size_t i = 0; i < m.states.size(); ++i) {
    const bool fresh = i >= first;
    if (fresh || m.committed.status.empty()) m.emit(m.committed, i, m.states[i], m.states[i].core.last, false);
  }
  m.bar = m.committed;
  m.sync_device();
  return status;
}

void LiveEngine::remove(std::string_view symbol) {
  Impl& m = *impl_;
  const auto it = m.index.find(std::string(symbol));
  if (it == m.index.end()) throw InputError("live: symbol '" + std::string(symbol) + "' is not present");
  const std::size_t i = it->second;
  m.sync_host();
  m.symbols.erase(m.symbols.begin() + static_cast<std::ptrdiff_t>(i));
  m.states.erase(m.states.begin() + static_cast<std::ptrdiff_t>(i));
  m.index.clear();
  for (std::size_t k = 0; k < m.symbols.size(); ++k) m.index.emplace(m.symbols[k], k);
  m.resize_bar(m.committed);
  for (std::size_t k = 0; k < m.states.size(); ++k) m.emit(m.committed, k, m.states[k], m.states[k].core.last, false);
  m.bar = m.committed;
  m.sync_device();
}

const LiveBar& LiveEngine::update(std::span<const double> closes, std::span<const double> src,
                                  std::span<const std::uint8_t> has_bar) {
  return impl_->advance(closes, src, has_bar, true);
}

const LiveBar& LiveEngine::peek(std::span<const double> closes, std::span<const double> src,
                                std::span<const std::uint8_t> has_bar) {
  return impl_->advance(closes, src, has_bar, false);
}

const LiveBar& LiveEngine::last() const { return impl_->committed; }

std::size_t LiveEngine::state_bytes_per_symbol() const {
  return sizeof(detail::live::Core) +
         (static_cast<std::size_t>(impl_->params.max_length) + 2) * (sizeof(double) + sizeof(exact::Wide));
}

// --- the state file ----------------------------------------------------------------------
// Little-endian, 64-bit: "ATCLIVE\n", u32 version, u32 sizeof(Core), the Config fields,
// u64 symbols, then per symbol: its name, its Core as bytes, its ring, its error message;
// last a u64 FNV-1a hash of everything before it.

namespace {

constexpr char kMagic[8] = {'A', 'T', 'C', 'L', 'I', 'V', 'E', '\n'};
constexpr std::uint32_t kVersion = 3;  // 3: Core's 16-byte fields 16-byte aligned
static_assert(std::is_trivially_copyable_v<detail::live::Core>);
static_assert(std::endian::native == std::endian::little, "the state file is little-endian");

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct Writer {
  std::string bytes;
  template <class T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void put_text(std::string_view text) {
    put(static_cast<std::uint64_t>(text.size()));
    bytes.append(text);
  }
};

struct Reader {
  std::string_view bytes;
  std::string file;
  std::size_t at = 0;
  [[noreturn]] void corrupt(const std::string& why) const {
    throw InputError(file + ": not a usable atc live state file (" + why + ")");
  }
  template <class T>
  T get() {
    T value;
    if (bytes.size() - at < sizeof value) corrupt("truncated at byte " + std::to_string(at));
    std::memcpy(&value, bytes.data() + at, sizeof value);
    at += sizeof value;
    return value;
  }
  std::string get_text(std::size_t limit) {
    const auto size = get<std::uint64_t>();
    if (size > limit || bytes.size() - at < size) corrupt("a text field of " + std::to_string(size) + " bytes");
    std::string text(bytes.substr(at, size));
    at += size;
    return text;
  }
};

void put_config(Writer& w, const Config& c) {
  for (int len : c.length) w.put(static_cast<std::int32_t>(len));
  for (double x : c.weight) w.put(x);
  w.put(static_cast<std::uint8_t>(c.robustness));
  for (double x : {c.lambda, c.decay, c.long_threshold, c.short_threshold}) w.put(x);
  w.put(static_cast<std::int32_t>(c.cutout));
  w.put(static_cast<std::uint8_t>(c.strategy));
}

Config get_config(Reader& r) {
  Config c;
  for (int& len : c.length) len = r.get<std::int32_t>();
  for (double& x : c.weight) x = r.get<double>();
  c.robustness = static_cast<Robustness>(r.get<std::uint8_t>());
  for (double* x : {&c.lambda, &c.decay, &c.long_threshold, &c.short_threshold}) *x = r.get<double>();
  c.cutout = r.get<std::int32_t>();
  c.strategy = r.get<std::uint8_t>() != 0;
  try {
    c.validate();
  } catch (const ConfigError& e) {
    r.corrupt(std::string("its parameters are invalid: ") + e.what());
  }
  return c;
}

}  // namespace

void LiveEngine::save(const std::filesystem::path& path) const {
  const Impl& m = *impl_;
  m.sync_host();
  Writer w;
  w.bytes.append(kMagic, sizeof kMagic);
  w.put(kVersion);
  w.put(static_cast<std::uint32_t>(sizeof(detail::live::Core)));
  put_config(w, m.params.config);
  w.put(static_cast<std::uint64_t>(m.symbols.size()));
  for (std::size_t i = 0; i < m.symbols.size(); ++i) {
    w.put_text(m.symbols[i]);
    w.put(m.states[i].core);
    for (double x : m.states[i].ring) w.put(x);
    w.put_text(m.states[i].fatal_message);
  }
  w.put(fnv1a(w.bytes));
  io::write_file_atomically(path, [&](std::ostream& out) { out.write(w.bytes.data(), static_cast<std::streamsize>(w.bytes.size())); });
}

LiveEngine LiveEngine::restore(const std::filesystem::path& path, int threads) {
  return restore(path, LiveOptions{Backend::Cpu, threads});
}

LiveEngine LiveEngine::restore(const std::filesystem::path& path, const LiveOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open the live state file");
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  Reader r{bytes, path.string()};
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    r.corrupt("no atc live header");
  std::uint64_t stored_hash = 0;
  std::memcpy(&stored_hash, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a(std::string_view(bytes).substr(0, bytes.size() - 8)) != stored_hash) r.corrupt("its checksum does not match");
  r.bytes = std::string_view(bytes).substr(0, bytes.size() - 8);
  r.at = sizeof kMagic;
  if (const auto version = r.get<std::uint32_t>(); version != kVersion)
    r.corrupt("version " + std::to_string(version) + ", this build reads version " + std::to_string(kVersion));
  if (r.get<std::uint32_t>() != sizeof(detail::live::Core)) r.corrupt("written by a build with another state layout");
  LiveEngine engine(get_config(r), options);
  Impl& m = *engine.impl_;
  const auto count = r.get<std::uint64_t>();
  for (std::uint64_t k = 0; k < count; ++k) {
    std::string name = r.get_text(1 << 20);
    SymbolState s = detail::live::make_state(m.params);
    s.core = r.get<detail::live::Core>();
    for (double& x : s.ring) x = r.get<double>();
    s.fatal_message = r.get_text(1 << 20);
    detail::live::refresh_ticks(s, m.params);
    if (!m.index.emplace(name, m.symbols.size()).second) r.corrupt("symbol '" + name + "' twice");
    m.symbols.push_back(std::move(name));
    m.states.push_back(std::move(s));
  }
  if (r.at != r.bytes.size()) r.corrupt(std::to_string(r.bytes.size() - r.at) + " bytes after the last symbol");
  m.resize_bar(m.committed);
  for (std::size_t i = 0; i < m.states.size(); ++i) m.emit(m.committed, i, m.states[i], m.states[i].core.last, false);
  m.bar = m.committed;
  m.sync_device();
  return engine;
}

}  // namespace atc
