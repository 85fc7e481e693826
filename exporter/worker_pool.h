// A bounded pool of worker threads that lives as long as the scraper: a scrape hands it one task
// per collector instead of starting a thread per collector per scrape. Threads start on demand, up
// to the bound; tasks beyond it wait in order. The scrape raises the bound to its own task count
// (targets x collectors, set by the config): a hung target's tasks hold their workers until the
// deadline, and must not make a healthy target's tasks wait behind them.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace natsexp {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_threads);
  ~WorkerPool();  // finishes the queued tasks, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a worker. A task must not throw (an escaping exception is swallowed).
  void submit(std::function<void()> task);
  // Raises the bound to at least `n` threads (never above the hard cap) and starts them.
  void ensure_capacity(std::size_t n);
  std::size_t threads() const;

 private:
  void work();

  static constexpr std::size_t kHardCap = 1024;
  std::size_t max_threads_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace natsexp
