// A one-line progress bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstddef>

namespace atc::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::size_t total);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { finish(); }

  // True when stderr is a terminal; callers may then split work to show progress.
  static bool enabled();

  void update(std::size_t done);
  // Erases the bar so that later output starts on a clean line.
  void finish();

 private:
  std::size_t total_;
  bool visible_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace atc::cli
