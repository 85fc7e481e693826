#include "collectors/targets.h"

#include "collectors/connz_full_read.h"

namespace natsexp {

std::shared_ptr<FullConnzCache> FullConnzCaches::get(const TargetKey& key, std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = caches_[key];
  if (!slot) slot = std::make_shared<FullConnzCache>(interval);
  slot->set_interval(interval);
  return slot;
}

std::shared_ptr<FullConnzCache> FullConnzCaches::find(const TargetKey& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = caches_.find(key);
  return it == caches_.end() ? nullptr : it->second;
}

void FullConnzCaches::keep_only(const std::set<TargetKey>& keep) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = caches_.begin(); it != caches_.end();) it = keep.count(it->first) ? std::next(it) : caches_.erase(it);
}

namespace {

bool same_server(const ReachedTarget& http, const ReachedTarget& discovered) {
  if (http.identity.server_name != discovered.identity.server_name) return false;
  return !http.identity_known || http.identity.cluster == discovered.identity.cluster;
}

}  // namespace

std::vector<bool> reached_twice(const std::vector<ReachedTarget>& targets, bool prefer_http) {
  std::vector<bool> left_out(targets.size(), false);
  for (std::size_t s = 0; s < targets.size(); ++s) {
    if (targets[s].kind != SourceKind::system_account) continue;
    for (std::size_t h = 0; h < targets.size(); ++h) {
      if (targets[h].kind != SourceKind::http || !same_server(targets[h], targets[s])) continue;
      std::size_t preferred = prefer_http ? h : s, other = prefer_http ? s : h;
      // The preferred side is down and the other answers: the server is reported from the side
      // that can read it, not as down while its data is at hand.
      if (!targets[preferred].up && targets[other].up) std::swap(preferred, other);
      left_out[other] = true;
    }
  }
  return left_out;
}

}  // namespace natsexp
