#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace atc::cli {

ProgressBar::ProgressBar(std::size_t total, std::string noun) : total_(total), noun_(std::move(noun)) {}

bool ProgressBar::enabled() { return isatty(STDERR_FILENO) != 0; }

void ProgressBar::update(std::size_t done) {
  if (!enabled() || total_ == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - drawn_ < std::chrono::milliseconds(200)) return;
  drawn_ = now;
  constexpr std::size_t kWidth = 40;
  const std::size_t filled = kWidth * done / total_;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r[%s%s] %zu/%zu %s  %.1f s", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, ' ').c_str(), done, total_, noun_.c_str(), seconds);
  std::fflush(stderr);
  visible_ = true;
}

void ProgressBar::finish() {
  if (!visible_) return;
  std::fprintf(stderr, "\r\033[K");  // carriage return, then erase to the end of the line
  std::fflush(stderr);
  visible_ = false;
}

}  // namespace atc::cli
