// Parquet and Feather tables, converted to CSV text by Python's pandas and pyarrow (no
// Arrow C++ library is at hand), then read by the CSV reader.
#include "io/python_tables.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include "atc/error.hpp"

extern char** environ;

namespace atc::io::detail {
namespace {

namespace fs = std::filesystem;

// Writes the table of argv[1] (argv[2]: "parquet" or "feather") to stdout as CSV: every
// column, a named or non-default index first (an unnamed one as `timestamp`), floats
// with 17 significant digits so that each reads back as the same double. A failure
// prints its reason, with what to install, on stdout and exits non-zero.
constexpr const char* kTableToCsv = R"(import sys
try:
    import pandas as pd
except ImportError as e:
    print(f"reading it needs pandas and pyarrow ({e}): pip install pandas pyarrow")
    sys.exit(3)
try:
    import pyarrow
except ImportError as e:
    print(f"reading it needs pyarrow ({e}): pip install pyarrow")
    sys.exit(3)
path, kind = sys.argv[1], sys.argv[2]
try:
    frame = pd.read_parquet(path) if kind == "parquet" else pd.read_feather(path)
except Exception as e:
    print(f"cannot read it as {kind}: {type(e).__name__}: {e}")
    sys.exit(4)
if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
    if frame.index.nlevels == 1 and frame.index.name is None:
        frame.index.name = "timestamp"
    frame = frame.reset_index()
frame.to_csv(sys.stdout, index=False, float_format="%.17g")
)";

struct ProcessOutput {
  int status = 0;  // as waitpid gives it
  std::string out;
};

// Runs `args` (args[0] looked up in PATH) with stdin from /dev/null and returns what it
// wrote to stdout; its stderr is ours. Throws Error when it cannot start.
ProcessOutput run_capturing_stdout(const std::vector<std::string>& args) {
  std::array<int, 2> pipe_ends{};
  if (::pipe2(pipe_ends.data(), O_CLOEXEC) != 0)
    throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_ends[1]);
  if (spawn_error != 0) {
    ::close(pipe_ends[0]);
    throw Error("cannot run " + args[0] + " (" + std::strerror(spawn_error) + ")");
  }
  ProcessOutput result;
  std::array<char, 1 << 16> buffer;
  for (;;) {
    const ssize_t got = ::read(pipe_ends[0], buffer.data(), buffer.size());
    if (got > 0) result.out.append(buffer.data(), static_cast<std::size_t>(got));
    else if (got == 0 || errno != EINTR) break;
  }
  ::close(pipe_ends[0]);
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

// A Parquet or Feather table as CSV text, through python3.
std::string table_as_csv(const fs::path& file, const std::string& kind) {
  ProcessOutput python;
  try {
    python = run_capturing_stdout({"python3", "-W", "ignore", "-c", kTableToCsv, file.string(), kind});
  } catch (const Error& e) {
    throw InputError(file.string() + ": " + e.what() + ", which reads ." + kind +
                     " files with pandas and pyarrow: install Python 3, then pip install pandas pyarrow");
  }
  if (WIFEXITED(python.status) && WEXITSTATUS(python.status) == 0) return std::move(python.out);
  std::string reason = python.out;
  while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.back()))) reason.pop_back();
  if (reason.empty())
    reason = "python3 failed reading it (" +
             (WIFEXITED(python.status) ? "exit status " + std::to_string(WEXITSTATUS(python.status))
                                       : "signal " + std::to_string(WTERMSIG(python.status))) +
             "; its messages are above)";
  throw InputError(file.string() + ": " + reason);
}

}  // namespace

std::vector<CsvSeries> read_table_through_python(const fs::path& file, std::string_view kind,
                                                const CsvReadOptions& options) {
  // A FIFO or a directory is refused as a CSV file would be, before Python sees it.
  std::error_code error;
  const fs::file_status status = fs::status(file, error);
  if (error) throw InputError(file.string() + ": cannot open file: " + error.message());
  if (!fs::is_regular_file(status))
    throw InputError(file.string() + ": not a regular file (a directory, FIFO, device or socket)");
  CsvReadOptions converted = options;
  converted.separator = ',';  // the conversion writes commas whatever --separator says
  return read_symbols_csv_text(table_as_csv(file, std::string(kind)), file.string() + " (as CSV)",
                               symbol_of_file(file), converted);
}

}  // namespace atc::io::detail
