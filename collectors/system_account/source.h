// The system-account monitoring source: discovery of every server of a (super)cluster over one
// NATS connection, and a MonitorSource per server, so every collector runs unchanged on it.
//
// Each scrape pings $SYS.REQ.SERVER.PING.STATSZ and gathers the replies until as many servers as
// were known answered (the largest `active_servers` seen, or the servers remembered) or until a
// quiet gap after the last reply (system_account.discovery_gap). Each server that answered
// becomes a target; one that answered before and not now stays a target without a source (its
// nats_up is 0 and it has no other series) until system_account.forget_after has passed since it
// last answered.
//
// Tenant mode: a user outside the system account gets no STATSZ responder. The source then
// discovers through $SYS.REQ.ACCOUNT.PING.STATZ, and only the collectors that have an account-scoped
// request (connz, accstatz) run; the others are reported unavailable once.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/system_account/connection.h"
#include "collectors/system_account/request_mapping.h"
#include "config/config.h"

namespace natsexp::system_account {

// A server as the system account sees it.
struct KnownServer {
  std::string id;  // changes at every restart
  std::string name;
  std::string cluster;
  std::string domain;
  Clock::time_point last_seen{};
};

// Reads one server's monitoring documents over the system account for one scrape. Thread-safe; a
// path asked for twice is requested once.
class NatsMonitorSource : public MonitorSource {
 public:
  NatsMonitorSource(std::shared_ptr<SystemConnection> connection, KnownServer server, Clock::time_point deadline,
                    bool tenant);
  std::shared_ptr<const JsonDocument> get_json(const std::string& path_and_query, bool any_status = false) override;
  const KnownServer& server() const { return server_; }

 private:
  std::shared_ptr<const JsonDocument> fetch(const std::string& path_and_query);

  std::shared_ptr<SystemConnection> connection_;
  KnownServer server_;
  Clock::time_point deadline_;
  bool tenant_;
  std::mutex mutex_;
  std::map<std::string, std::shared_future<std::shared_ptr<const JsonDocument>>> cache_;
};

// One target of this scrape.
struct SystemTarget {
  TargetConfig target;                        // name: the server's name; labels: domain when set
  ServerIdentity identity;                    // from the discovery reply
  std::shared_ptr<NatsMonitorSource> source;  // null: known, but silent in this scrape
};

// The collectors that have an account-scoped request, the only ones that run in tenant mode.
const std::set<std::string>& tenant_collectors();

class SystemAccountSource {
 public:
  explicit SystemAccountSource(const SystemAccountConfig& config);

  const SystemAccountConfig& config() const { return config_; }
  // Discovers the servers for one run; ends by `deadline`. Never throws: a failure is no target.
  // A scrape's discovery (`for_scrape`) is the one contribute() reports; /doctor's is not.
  std::vector<SystemTarget> discover(Clock::time_point deadline, bool for_scrape = true);
  bool tenant_mode() const;
  // Connection, discovery and tenant-mode metrics. `enabled` is the configured collector list.
  void contribute(MetricSet& out, const std::vector<std::string>& enabled);

 private:
  SystemAccountConfig config_;
  std::shared_ptr<SystemConnection> connection_;
  mutable std::mutex mutex_;
  std::map<std::string, KnownServer> known_;  // by server name (stable across restarts)
  std::size_t expected_ = 0;                  // the largest active_servers seen
  bool tenant_ = false;
  bool tenant_logged_ = false;
  std::size_t answering_ = 0;
  std::size_t silent_ = 0;
  double discovery_seconds_ = 0;
};

// Whether two sections describe the same source (every setting but the origin line): a reload
// keeps the connection and what discovery learned when they do.
bool same_system_account_config(const SystemAccountConfig& a, const SystemAccountConfig& b);

// The system-account source of the config in use, shared by the scrape and /doctor (one
// connection). A reload keeps it while the `system_account:` section is unchanged, and makes a new
// one (a new connection; the old one closes with its last user) when it changed. Thread-safe.
class SourceKeeper {
 public:
  // Null when the config has no `system_account:` section.
  std::shared_ptr<SystemAccountSource> source_for(const Config& config);

 private:
  std::mutex mutex_;
  std::shared_ptr<SystemAccountSource> source_;
};

}  // namespace natsexp::system_account
