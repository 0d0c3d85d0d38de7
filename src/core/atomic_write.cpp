#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <unistd.h>

#include "atc/error.hpp"
#include "atc/atomic_write.hpp"

namespace atc::io {

void write_file_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write) {
  // Beside the target, so that the rename stays within one file system (atomic).
  std::filesystem::path temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  const auto fail = [&](const std::string& what, int error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error("cannot write " + path.string() + ": " + what + (error != 0 ? ": " + std::string(std::strerror(error)) : ""));
  };
  {
    errno = 0;
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create " + temporary.string(), errno);
    try {
      write(out);
    } catch (const std::exception& e) {
      fail(e.what(), 0);
    }
    errno = 0;
    out.flush();
    if (!out) fail("writing failed", errno);
    out.close();
    if (!out) fail("closing failed", errno);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) fail("renaming " + temporary.string() + " failed", error.value());
}

}  // namespace atc::io
