// Single flight: callers arriving while a call is running wait for it and share its result (or its
// exception) instead of starting a second one. The scrape and the doctor's report both use it, so
// two Prometheus servers or two open /doctor tabs cost the NATS servers one collection.
#pragma once

#include <functional>
#include <future>
#include <mutex>

namespace natsexp {

template <typename T>
class SingleFlight {
 public:
  // Runs `work`, or, when a call is already running, waits for that one and returns its result.
  T run(const std::function<T()>& work) {
    std::promise<T> promise;
    std::shared_future<T> shared;
    bool leader = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!running_.valid()) {
        running_ = promise.get_future().share();
        leader = true;
      }
      shared = running_;
    }
    if (!leader) return shared.get();
    try {
      promise.set_value(work());
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = {};
    }
    return shared.get();
  }

 private:
  std::mutex mutex_;
  std::shared_future<T> running_;
};

}  // namespace natsexp
