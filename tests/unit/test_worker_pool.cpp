#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "exporter/worker_pool.h"

using natsexp::WorkerPool;

TEST_CASE("worker pool: runs every task, on a fixed number of threads, and joins") {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2);
    pool.ensure_capacity(4);
    CHECK(pool.threads() == 4);
    for (int round = 0; round < 3; ++round) {
      std::mutex m;
      std::condition_variable cv;
      int done = 0;
      for (int i = 0; i < 10; ++i)
        pool.submit([&] {
          ++ran;
          std::lock_guard<std::mutex> lock(m);
          ++done;
          cv.notify_all();
        });
      std::unique_lock<std::mutex> lock(m);
      CHECK(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done == 10; }));
    }
    CHECK(pool.threads() == 4);     // rounds reuse the threads
    pool.submit([] { throw 42; });  // swallowed, the worker lives on
    pool.submit([&] { ++ran; });
  }  // the destructor runs what is queued, then joins
  CHECK(ran == 31);
}
