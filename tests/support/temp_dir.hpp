// A GoogleTest fixture with a fresh directory per test (removed afterwards), and the
// message of the InputError a reader throws.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "atc/error.hpp"

namespace atc::test {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = std::filesystem::temp_directory_path() /
                 (std::string("atc_test_") + info->test_suite_name() + "_" + info->name() + "_" +
                  std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  // Writes `text` (bytes as given) to the file `name` of the test's directory.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const std::filesystem::path path = directory_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The message of the atc::InputError that read(path) throws.
  template <class Read>
  static std::string input_error(const std::filesystem::path& path, Read&& read) {
    try {
      read(path);
    } catch (const atc::InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no InputError for " << path;
    return {};
  }

  std::filesystem::path directory_;
};

}  // namespace atc::test
