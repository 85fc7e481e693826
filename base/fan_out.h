// Fan-out until a deadline: tasks run in parallel (on a pool or on threads, the caller's choice) and
// each counts itself done; wait_until() returns when all are done, or, once the deadline has
// passed, calls `cancel` (which must make the remaining tasks end soon) every 20 ms until they
// are. The scrape and the doctor's report gather this way.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

namespace natsexp {

class FanOut {
 public:
  // `work` wrapped so that it counts itself done, even when it throws. Hand the result to a pool
  // or a thread; every task made here must be run, or wait_until() waits for it until cancelled.
  std::function<void()> task(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      ++state_->tasks;
    }
    // The state is shared with the task: a task finishing after wait_until() returned (it cannot,
    // but a pool may still hold its wrapper) touches nothing that is gone.
    return [state = state_, work = std::move(work)] {
      struct Done {
        State& s;
        ~Done() {
          bool last;
          {
            std::lock_guard<std::mutex> lock(s.mutex);
            last = ++s.done == s.tasks;
          }
          // Only the last one wakes the waiter (every other wake-up was a context switch for
          // nothing), and after unlocking, so that it does not wake into a held mutex.
          if (last) s.cv.notify_all();
        }
      } done{*state};
      work();
    };
  }

  // Waits for every task made so far (see above).
  void wait_until(std::chrono::steady_clock::time_point deadline, const std::function<void()>& cancel) {
    std::unique_lock<std::mutex> lock(state_->mutex);
    const auto all_done = [this] { return state_->done == state_->tasks; };
    state_->cv.wait_until(lock, deadline, all_done);
    // Repeated because a request that was still connecting when cancel ran starts reading after it.
    while (!all_done()) {
      lock.unlock();
      cancel();
      lock.lock();
      state_->cv.wait_for(lock, std::chrono::milliseconds(20), all_done);
    }
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t tasks = 0, done = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace natsexp
