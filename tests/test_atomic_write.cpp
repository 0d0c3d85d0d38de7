// io::write_file_atomically: a reader sees the old file or the whole new one, never a part.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "atc/error.hpp"
#include "atc/io.hpp"

namespace atc {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class AtomicWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    // One folder per test and process: CTest runs the tests of this file in parallel.
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("atc_atomic_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(AtomicWrite, ReplacesTheFileWhole) {
  const fs::path file = dir_ / "out.csv";
  io::write_file_atomically(file, [](std::ostream& out) { out << "old\n"; });
  io::write_file_atomically(file, [](std::ostream& out) { out << "new\n"; });
  EXPECT_EQ(read_text(file), "new\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1) << "no temporary file left";
}

TEST_F(AtomicWrite, AFailingWriterLeavesThePreviousFileAndNoTemporary) {
  const fs::path file = dir_ / "out.json";
  io::write_file_atomically(file, [](std::ostream& out) { out << "{\"good\": true}\n"; });
  try {
    io::write_file_atomically(file, [](std::ostream& out) {
      out << "{\"partial\": ";
      throw std::runtime_error("symbol name is not UTF-8");
    });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_text(file), "{\"good\": true}\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(AtomicWrite, AMissingDirectoryIsNamedWithItsReason) {
  const fs::path file = dir_ / "missing" / "out.csv";
  try {
    io::write_file_atomically(file, [](std::ostream& out) { out << "x\n"; });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace atc
