// run_parts (src/core/worker_pool.hpp): the batch paths' shared threads.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/worker_pool.hpp"

namespace {

using atc::detail::run_parts;

TEST(WorkerPool, EveryPartRunsOnceOnTheCallingThreadAndOthers) {
  for (unsigned workers : {1u, 2u, 5u, 16u}) {
    std::vector<std::atomic<int>> runs(workers);
    std::thread::id first;
    run_parts(workers, [&](unsigned w) {
      ++runs[w];
      if (w == 0) first = std::this_thread::get_id();
    });
    for (unsigned w = 0; w < workers; ++w) EXPECT_EQ(runs[w].load(), 1) << workers << " workers, part " << w;
    EXPECT_EQ(first, std::this_thread::get_id()) << "part 0 runs on the caller";
  }
}

TEST(WorkerPool, AnExceptionOfAnyPartReachesTheCaller) {
  EXPECT_THROW(run_parts(4, [](unsigned w) { if (w == 3) throw std::runtime_error("part 3"); }), std::runtime_error);
  EXPECT_THROW(run_parts(4, [](unsigned w) { if (w == 0) throw std::runtime_error("part 0"); }), std::runtime_error);
  std::atomic<int> after{0};
  run_parts(4, [&](unsigned) { ++after; });
  EXPECT_EQ(after.load(), 4) << "the pool works after a failed run";
}

// While one caller holds the shared pool, another gets threads of its own: both finish.
TEST(WorkerPool, ConcurrentCallersBothFinish) {
  std::atomic<long> total{0};
  std::vector<std::jthread> callers;
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) run_parts(3, [&](unsigned w) { total += w + 1; });
    });
  callers.clear();
  EXPECT_EQ(total.load(), 4L * 50 * (1 + 2 + 3));
}

// A process forked after the pool started (Python's multiprocessing) gets a pool of its own.
TEST(WorkerPool, AForkedChildRunsItsParts) {
  run_parts(3, [](unsigned) {});  // the parent's pool is started
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::atomic<int> runs{0};
    run_parts(3, [&](unsigned) { ++runs; });
    _exit(runs.load() == 3 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
