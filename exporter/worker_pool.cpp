#include "exporter/worker_pool.h"

namespace natsexp {

WorkerPool::WorkerPool(std::size_t max_threads) : max_threads_(max_threads ? max_threads : 1) {}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    if (idle_ < tasks_.size() && threads_.size() < max_threads_) threads_.emplace_back([this] { work(); });
  }
  cv_.notify_one();
}

void WorkerPool::ensure_capacity(std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (n > kHardCap) n = kHardCap;
  if (n > max_threads_) max_threads_ = n;
  // Started now rather than on demand: the count is then fixed by the config, not by how busy
  // the workers happened to be when a task arrived.
  while (threads_.size() < n) threads_.emplace_back([this] { work(); });
}

std::size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return threads_.size();
}

void WorkerPool::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping, nothing left
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    try {
      task();
    } catch (...) {}
    task = nullptr;  // release what the task captured before waiting again
    lock.lock();
  }
}

}  // namespace natsexp
