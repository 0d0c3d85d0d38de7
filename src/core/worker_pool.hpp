// WorkerPool: threads started once for repeated parallel loops (the live engine's
// updates, the batch paths' price checks and cpu groups through run_parts).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

namespace atc::detail {

// A fixed set of threads, started once and kept: starting threads for every call costs
// tens of microseconds a thread, more than a live bar of thousands of symbols takes.
// run() gives part(w) for w = 1 … workers − 1
// to the threads and runs part(0) itself; one run at a time.
class WorkerPool {
 public:
  explicit WorkerPool(unsigned threads) : threads_(std::clamp(threads, 1u, 1024u)) {}
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() {
    stop_.store(true);
    generation_.store(((generation_.load() >> 16) + 1) << 16);
    generation_.notify_all();
    workers_.clear();  // joins
  }
  unsigned size() const { return threads_; }

  template <class Part>
  void run(unsigned workers, const Part& part) {
    start(workers - 1);
    job_ = [](const void* ctx, unsigned w) { (*static_cast<const Part*>(ctx))(w); };
    context_ = &part;
    error_ = nullptr;
    pending_.store(static_cast<int>(workers - 1));
    // The next generation, with the number of threads it wants in its low 16 bits.
    const std::uint64_t g = generation_.load();
    generation_.store(((g >> 16) + 1) << 16 | (workers - 1));
    generation_.notify_all();
    std::exception_ptr mine;
    try {
      part(0);
    } catch (...) {
      mine = std::current_exception();
    }
    for (int left = pending_.load(); left != 0; left = pending_.load()) pending_.wait(left);
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start(unsigned wanted) {
    while (workers_.size() < wanted) {
      const auto w = static_cast<unsigned>(workers_.size()) + 1;
      // The thread waits for the generation after the current one: it may start running
      // only after run() has published it.
      workers_.emplace_back([this, w, seen = generation_.load()] { loop(w, seen); });
    }
  }
  void loop(unsigned w, std::uint64_t seen) {
    for (;;) {
      generation_.wait(seen);
      seen = generation_.load();
      if (stop_.load()) return;
      if (w > (seen & 0xFFFF)) continue;  // not wanted this time
      try {
        job_(context_, w);
      } catch (...) {
        const std::lock_guard lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (pending_.fetch_sub(1) == 1) pending_.notify_one();
    }
  }

  unsigned threads_;
  std::vector<std::jthread> workers_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  void (*job_)(const void*, unsigned) = nullptr;
  const void* context_ = nullptr;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

// Runs part(w) for w = 0 … workers − 1, part(0) on the calling thread: on the process's
// shared pool, or on threads of its own while another call holds that pool (batches may
// be computed from several threads at once) or in a process forked after the pool
// started (its threads did not survive the fork).
template <class Part>
void run_parts(unsigned workers, const Part& part) {
  if (workers <= 1) {
    part(0u);
    return;
  }
  struct Shared {
    std::mutex busy;
    WorkerPool* pool = nullptr;  // of process `owner`; a forked child's inherited one is left behind
    pid_t owner = 0;
  };
  static Shared shared;
  std::unique_lock lock(shared.busy, std::try_to_lock);
  if (lock) {
    if (shared.owner != ::getpid()) {
      shared.pool = new WorkerPool(std::max(1u, std::thread::hardware_concurrency()));
      shared.owner = ::getpid();
    }
    shared.pool->run(workers, part);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
  {
    std::vector<std::jthread> threads;
    threads.reserve(workers - 1);
    for (unsigned w = 1; w < workers; ++w)
      threads.emplace_back([&, w] {
        try {
          part(w);
        } catch (...) {
          const std::lock_guard guard(error_mutex);
          if (!error) error = std::current_exception();
        }
      });
    part(0u);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace atc::detail
