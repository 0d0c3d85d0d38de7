// One symbol through an installed atc: the configuration read from a TOML file and the
// prices from a CSV file (atc::io), computed by the reference and the cpu backends, which
// must agree bit for bit. Prints the last Average_Signal; exits non-zero on any
// disagreement or error.
#include <atc/atc.hpp>
#include <atc/config_io.hpp>
#include <atc/io.hpp>

#include <cmath>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  try {
    const std::filesystem::path config_path =
        argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::path("atc_consumer.toml");
    std::ofstream(config_path) << "ema_len = 21\nrobustness = \"Wide\"\n";
    const atc::Config config = atc::io::load_config_file(config_path);

    // A deterministic series, a drift with two cycles, written to a CSV file and read back
    // by the reader its extension picks (the shortest decimals read back exactly).
    std::vector<double> written(800);
    const std::filesystem::path prices_path = config_path.parent_path() / "CONSUMER.csv";
    {
      std::ofstream prices(prices_path);
      prices << "bar,close\n";
      for (std::size_t i = 0; i < written.size(); ++i) {
        const double t = static_cast<double>(i);
        written[i] = 100.0 * std::exp(0.0004 * t + 0.08 * std::sin(t / 37.0) + 0.02 * std::sin(t / 5.0));
        prices << i << ',' << atc::io::format_number(written[i]) << '\n';
      }
    }
    const std::vector<atc::io::CsvSeries> series = atc::io::read_symbols(prices_path);
    if (series.size() != 1 || series[0].symbol != "CONSUMER" || !series[0].issues.empty() ||
        series[0].close != written) {
      std::cerr << "atc_consumer: " << prices_path << " does not read back as written\n";
      return 1;
    }
    const std::vector<double>& close = series[0].close;

    atc::ComputeOptions reference_options;
    reference_options.backend = atc::Backend::Reference;
    atc::ComputeOptions cpu_options;
    cpu_options.backend = atc::Backend::Cpu;
    const atc::BatchResult reference = atc::compute(close, config, reference_options);
    const atc::BatchResult cpu = atc::compute(close, config, cpu_options);
    const auto expected = reference.outputs.view(0).average_signal;
    const auto actual = cpu.outputs.view(0).average_signal;
    if (actual.size() != close.size() || expected.size() != close.size()) {
      std::cerr << "atc_consumer: " << actual.size() << " bars of Average_Signal, expected " << close.size()
                << '\n';
      return 1;
    }
    for (std::size_t i = 0; i < close.size(); ++i) {
      const bool same = std::isnan(expected[i]) ? std::isnan(actual[i]) : expected[i] == actual[i];
      if (!same) {
        std::cerr << "atc_consumer: cpu and reference differ at bar " << i << '\n';
        return 1;
      }
    }
    std::cout << "cuda_available=" << (atc::cuda_available() ? 1 : 0) << " bars=" << actual.size()
              << " average_signal_last=" << atc::io::format_number(actual.back()) << '\n';
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "atc_consumer: " << error.what() << '\n';
    return 1;
  }
}
