// The CSV and config readers take paths: each fuzz input is written to a file of this
// process (its id in the name, so parallel fuzzers do not share one), removed at exit.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace atc::fuzz {

class InputFile {
 public:
  // `extension` with its dot: the config reader picks the format by it.
  explicit InputFile(const std::string& extension)
      : path_(std::filesystem::temp_directory_path() /
              ("atc-fuzz-" + std::to_string(getpid()) + extension)) {}
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

  const std::filesystem::path& write(const std::uint8_t* data, std::size_t size) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) {  // not a finding of the code under test, but no run can go on without it
      std::fprintf(stderr, "fuzz: cannot write %s\n", path_.c_str());
      std::abort();
    }
    return path_;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace atc::fuzz
