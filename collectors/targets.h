// A run's targets (a scrape's, or a /doctor report's) come two ways: HTTP targets from the config,
// and the servers the system account discovers. This holds what both kinds share: the key that
// tells them apart (an HTTP target may bear a discovered server's name), the full reads of
// connections kept per target, and the rule that reports a server reached both ways once.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "collectors/collector.h"

namespace natsexp {

class FullConnzCache;

enum class SourceKind { http, system_account };

struct TargetKey {
  SourceKind kind = SourceKind::http;
  std::string name;  // the configured target name, or the discovered server's name
  bool operator<(const TargetKey& o) const { return std::tie(kind, name) < std::tie(o.kind, o.name); }
  bool operator==(const TargetKey& o) const { return kind == o.kind && name == o.name; }
};

// Each target's full read of every connection, kept across runs and shared by the scrape and
// /doctor. Thread-safe.
class FullConnzCaches {
 public:
  // The target's cache, made on first use; its interval follows `interval`.
  std::shared_ptr<FullConnzCache> get(const TargetKey& key, std::chrono::milliseconds interval);
  // The target's cache, or null before its first run.
  std::shared_ptr<FullConnzCache> find(const TargetKey& key) const;
  // Forgets the caches of targets not in `keep` (removed by a reload, or forgotten by discovery).
  void keep_only(const std::set<TargetKey>& keep);

 private:
  mutable std::mutex mutex_;
  std::map<TargetKey, std::shared_ptr<FullConnzCache>> caches_;
};

// One target of a run, as the reported-once rule sees it.
struct ReachedTarget {
  SourceKind kind = SourceKind::http;
  ServerIdentity identity;
  // False for an HTTP target that never answered: its identity is only its configured name, and
  // it matches a discovered server by that name alone (its cluster is not known).
  bool identity_known = true;
  bool up = false;  // answered in this run
};

// Which targets to leave out of a run so that a server reached both over HTTP and through the
// system account (same server_name and cluster) is reported once: from the side `prefer_http`
// names, or from the other side when only that one answered in this run. result[i] is true for
// the targets to leave out.
std::vector<bool> reached_twice(const std::vector<ReachedTarget>& targets, bool prefer_http);

}  // namespace natsexp
