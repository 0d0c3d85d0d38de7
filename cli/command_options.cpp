#include "command_options.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace atc::cli {
namespace {

constexpr const char* kParameterGroup = "ATC parameters (spec section 1)";
constexpr const char* kEngineGroup = "Engine";
constexpr const char* kInputGroup = "Input";

std::string kebab_flag(std::string_view name) {
  std::string flag = "--" + std::string(name);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string default_text(const io::ParameterValue& value) {
  std::ostringstream text;
  std::visit([&](const auto& v) { text << std::boolalpha << v; }, value);
  return text.str();
}

}  // namespace

std::string lower_extension(const std::filesystem::path& file) {
  std::string extension = file.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

CLI::Validator csv_or_json_file() {
  return CLI::Validator(
      [](std::string& file) {
        const std::string extension = lower_extension(file);
        return extension == ".csv" || extension == ".json"
                   ? std::string()
                   : "cannot tell the format of '" + file + "': use a .csv or .json name";
      },
      "FILE.csv|FILE.json");
}

void ParameterFlags::add_to(CLI::App& command) {
  command
      .add_option("--config", config_file_,
                  "Read parameters from a JSON (.json) or TOML (.toml) file with the keys of "
                  "spec section 1 (ema_len, ..., strategy); flags given here override it")
      ->check(CLI::ExistingFile)
      ->group(kParameterGroup);
  const Config defaults;
  for (const io::ParameterInfo& info : io::parameters()) {
    Flag& flag = flags_.emplace_back();
    flag.info = &info;
    const std::string name = kebab_flag(info.name);
    const std::string help =
        std::string(info.help) + " [default: " + default_text(io::get_parameter(defaults, info.name)) + "]";
    switch (info.kind) {
      case io::ParameterKind::Integer:
        flag.option = command.add_option(name, flag.integer, help);
        break;
      case io::ParameterKind::Number:
        flag.option = command.add_option(name, flag.number, help);
        break;
      case io::ParameterKind::Robustness:
        flag.option = command.add_option(name, flag.text, help)
                          ->check(CLI::IsMember({"Narrow", "Medium", "Wide"}, CLI::ignore_case));
        break;
      case io::ParameterKind::Boolean:
        flag.option = command.add_flag(name + ",!--no-" + name.substr(2), flag.boolean, help);
        break;
    }
    flag.option->group(kParameterGroup);
  }
}

Config ParameterFlags::config() const {
  Config config = config_file_.empty() ? Config{} : io::load_config_file(config_file_);
  for (const Flag& flag : flags_) {
    if (flag.option->count() == 0) continue;
    switch (flag.info->kind) {
      case io::ParameterKind::Integer:
        io::set_parameter(config, flag.info->name, flag.integer);
        break;
      case io::ParameterKind::Number:
        io::set_parameter(config, flag.info->name, flag.number);
        break;
      case io::ParameterKind::Robustness:
        io::set_parameter(config, flag.info->name, flag.text);
        break;
      case io::ParameterKind::Boolean:
        io::set_parameter(config, flag.info->name, flag.boolean);
        break;
    }
  }
  return config;
}

void EngineFlags::add_to(CLI::App& command) {
  command
      .add_option("--backend", backend_,
                  "reference (scalar, for checking), cpu, cuda, or auto (cuda when a GPU is "
                  "usable, else cpu)")
      ->check(CLI::IsMember({"reference", "cpu", "cuda", "auto"}))
      ->capture_default_str()
      ->group(kEngineGroup);
  command.add_option("--threads", threads_, "cpu backend: worker threads, 0 = all cores")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(kEngineGroup);
  command.add_option("--streams", streams_, "cuda backend: CUDA streams of the pipeline")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(kEngineGroup);
  command
      .add_option("--chunk-symbols", chunk_symbols_,
                  "cuda backend: symbols per chunk, 0 = sized from free GPU memory")
      ->capture_default_str()
      ->group(kEngineGroup);
  command
      .add_option("--precision", precision_,
                  "cuda backend: float64 (exact) or float32 (~1.1x faster, a few hundredths of a "
                  "percent of the discrete outputs differ)")
      ->check(CLI::IsMember({"float64", "float32"}))
      ->capture_default_str()
      ->group(kEngineGroup);
  command.add_option("--devices", devices_, "cuda backend: GPUs to use, e.g. 0,1 [default: all]")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber)
      ->group(kEngineGroup);
  command
      .add_option("--gaps", gaps_,
                  "interior missing closes: error (report the symbol) or ffill (carry the last "
                  "close forward)")
      ->check(CLI::IsMember({"error", "ffill"}))
      ->capture_default_str()
      ->group(kEngineGroup);
}

ComputeOptions EngineFlags::options() const {
  ComputeOptions options;
  options.backend = parse_backend(backend_).value_or(Backend::Auto);
  options.threads = threads_;
  options.streams = streams_;
  options.chunk_symbols = chunk_symbols_;
  options.devices = devices_;
  options.precision = precision_ == "float32" ? Precision::Float32 : Precision::Float64;
  options.gaps = gaps_ == "ffill" ? GapPolicy::ForwardFill : GapPolicy::Error;
  return options;
}

void InputFlags::add_to(CLI::App& command) {
  command
      .add_option("--time-format", time_format_,
                  "How timestamps are read: auto (from the values of each symbol), ymd "
                  "(2025-10-20), dmy (20/10/2025, 20.10.2025), mdy (10/20/2025), epoch-s or "
                  "epoch-ms (integers). Needed for dd/mm or mm/dd dates whose days are all 12 "
                  "or less")
      ->check(CLI::IsMember({"auto", "ymd", "dmy", "mdy", "epoch-s", "epoch-ms"}))
      ->capture_default_str()
      ->group(kInputGroup);
  std::vector<std::string> separators{"auto"};
  for (const io::CsvSeparator& separator : io::kCsvSeparators) separators.emplace_back(separator.name);
  command
      .add_option("--separator", separator_,
                  "Cell separator of CSV files: auto (the one of comma, semicolon, tab, pipe "
                  "that splits the header into the most cells), comma, semicolon, tab or pipe. "
                  "With semicolon, numbers may have a decimal comma (1,5)")
      ->check(CLI::IsMember(separators))
      ->capture_default_str()
      ->group(kInputGroup);
  command
      .add_option("--close-column", close_column_,
                  "The column read as close, e.g. \"Adj Close\" [default: close, else adj close "
                  "(adj_close, adjclose), else price]")
      ->group(kInputGroup);
  std::string sources;
  std::vector<std::string> source_names;
  for (const io::PriceSource& source : io::kPriceSources) {
    source_names.emplace_back(source.name);
    sources += (sources.empty() ? "" : ", ") + std::string(source.name);
    if (source.divisor != 1.0) sources += " = " + io::price_source_formula(source);
  }
  command
      .add_option("--source", source_,
                  "The moving averages' source (the indicator's src): " + sources +
                      ". Returns and crossovers stay on close")
      ->check(CLI::IsMember(source_names))
      ->capture_default_str()
      ->group(kInputGroup);
}

const io::PriceSource& InputFlags::source() const { return *io::find_price_source(source_); }

io::CsvReadOptions InputFlags::options() const {
  io::CsvReadOptions options;
  options.time_format = io::parse_time_format(time_format_).value_or(io::TimeFormat::Auto);
  options.separator = io::parse_separator(separator_).value_or(0);
  options.close_column = close_column_;
  return options;
}

std::string count_of(std::size_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

void check_can_compute(const Config& config, const ComputeOptions& options) {
  // An empty batch runs the same up-front checks as a real one (parameters, backend)
  // and computes nothing.
  compute_batch({}, config, options);
}

}  // namespace atc::cli
