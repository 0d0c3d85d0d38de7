// A one-line progress bar on stderr, drawn only when stderr is a terminal (so that
// captured output never holds one).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace atc::cli {

class ProgressBar {
 public:
  // `noun` names what is counted: "symbols", "files".
  explicit ProgressBar(std::size_t total, std::string noun = "symbols");
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { finish(); }

  // True when stderr is a terminal; callers may then split work to show progress.
  static bool enabled();

  // Redraws at most every 0.2 s (and at the last item): a redraw per file of thousands
  // would cost more than reading some of them.
  void update(std::size_t done);
  // Erases the bar so that later output starts on a clean line.
  void finish();

 private:
  std::size_t total_;
  std::string noun_;
  bool visible_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point drawn_{};
};

}  // namespace atc::cli
