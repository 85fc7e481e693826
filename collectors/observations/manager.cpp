#include "collectors/observations/manager.h"

#include <thread>
#include <tuple>

#include "base/log.h"

namespace natsexp::observations {

namespace {

auto tie_observation(const ObservationConfig& o) {
  return std::tie(o.name, o.kind, o.subject, o.servers, o.buckets, o.max_services, o.max_responders, o.max_consumers);
}

}  // namespace

bool same_observation_config(const ObservationConfig& a, const ObservationConfig& b) {
  return tie_observation(a) == tie_observation(b) && same_connection_config(a.connection, b.connection);
}

namespace {

void stop_all(std::vector<std::shared_ptr<Observation>>& list) {
  std::vector<std::thread> stoppers;
  stoppers.reserve(list.size());
  for (auto& o : list) stoppers.emplace_back([o] { o->stop(); });
  for (auto& t : stoppers) t.join();
  list.clear();
}

}  // namespace

ObservationManager::ObservationManager(const std::vector<ObservationConfig>& configs) {
  for (const auto& c : configs) running_.push_back(std::make_shared<Observation>(c));
}

ObservationManager::~ObservationManager() { stop(); }

void ObservationManager::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_) return;
  started_ = true;
  for (auto& o : running_) o->start();
}

void ObservationManager::apply(const std::vector<ObservationConfig>& configs) {
  std::vector<std::shared_ptr<Observation>> retired;
  std::size_t unchanged = 0, restarted = 0, started = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    std::vector<std::shared_ptr<Observation>> next;
    std::vector<bool> reused(running_.size(), false);
    for (const auto& wanted : configs) {
      bool found = false;
      for (std::size_t i = 0; i < running_.size(); ++i) {
        if (reused[i] || running_[i]->config().name != wanted.name) continue;
        found = reused[i] = true;
        if (same_observation_config(running_[i]->config(), wanted)) {
          next.push_back(running_[i]);
          ++unchanged;
        } else {
          retired.push_back(running_[i]);
          next.push_back(std::make_shared<Observation>(wanted));
          if (started_) next.back()->start();
          ++restarted;
        }
        break;
      }
      if (!found) {
        next.push_back(std::make_shared<Observation>(wanted));
        if (started_) next.back()->start();
        ++started;
      }
    }
    for (std::size_t i = 0; i < running_.size(); ++i)
      if (!reused[i]) retired.push_back(running_[i]);
    running_ = std::move(next);
  }
  const std::size_t stopped = retired.size() - restarted;
  stop_all(retired);
  if (unchanged + restarted + started + stopped > 0)
    log::info("observations reloaded", {{"unchanged", std::to_string(unchanged)},
                                        {"restarted", std::to_string(restarted)},
                                        {"started", std::to_string(started)},
                                        {"stopped", std::to_string(stopped)}});
}

void ObservationManager::stop() {
  std::vector<std::shared_ptr<Observation>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    all = running_;
  }
  stop_all(all);
}

std::vector<ObservationSnapshot> ObservationManager::snapshots() const {
  std::vector<std::shared_ptr<Observation>> list;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    list = running_;
  }
  std::vector<ObservationSnapshot> out;
  out.reserve(list.size());
  for (const auto& o : list) out.push_back(o->snapshot());
  return out;
}

void ObservationManager::contribute(MetricSet& out) { add_observation_metrics(snapshots(), out); }

}  // namespace natsexp::observations
