#include "collectors/system_account/source.h"

#include <algorithm>
#include <tuple>

#include "base/log.h"

namespace natsexp::system_account {

namespace {

using std::chrono::milliseconds;

// Tenant mode asks the account-scoped subject with a server filter instead of the server's own.
SystemRequest tenant_request(const std::string& path_and_query) {
  const std::string path = path_and_query.substr(0, path_and_query.find('?'));
  if (path != "/connz" && path != "/accstatz")
    throw FetchError(path + " is not available to a user outside the system account (tenant mode)");
  SystemRequest r = map_monitor_path(path_and_query);
  r.account_ping = true;
  r.endpoint = path == "/connz" ? "CONNZ" : "STATZ";
  return r;
}

}  // namespace

const std::set<std::string>& tenant_collectors() {
  static const std::set<std::string> names = {"connz", "accstatz"};
  return names;
}

NatsMonitorSource::NatsMonitorSource(std::shared_ptr<SystemConnection> connection, KnownServer server,
                                     Clock::time_point deadline, bool tenant)
    : connection_(std::move(connection)), server_(std::move(server)), deadline_(deadline), tenant_(tenant) {}

std::shared_ptr<const JsonDocument> NatsMonitorSource::get_json(const std::string& path_and_query, bool) {
  // any_status is HTTP's: over NATS a sick server's /healthz is a normal reply with its status.
  std::promise<std::shared_ptr<const JsonDocument>> promise;
  std::shared_future<std::shared_ptr<const JsonDocument>> shared;
  bool owner = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(path_and_query);
    if (it == cache_.end()) {
      shared = promise.get_future().share();
      cache_.emplace(path_and_query, shared);
      owner = true;
    } else {
      shared = it->second;
    }
  }
  if (owner) {
    try {
      promise.set_value(fetch(path_and_query));
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
  return shared.get();
}

std::shared_ptr<const JsonDocument> NatsMonitorSource::fetch(const std::string& path_and_query) {
  const SystemRequest request = tenant_ ? tenant_request(path_and_query) : map_monitor_path(path_and_query);
  // A large endpoint is asked compressed once its replies from this server proved large (see
  // SystemConnection::wants_compression); detail pages are told apart from plain ones.
  const std::string size_key = server_.name + " " + path_and_query.substr(0, path_and_query.find('?')) +
                               (path_and_query.find("subs=detail") != std::string::npos ? " detail" : "");
  const bool compress = request.compress && connection_->wants_compression(size_key);
  RawReply raw = connection_->request(request_subject(request, server_.id), request_body(request, server_.name),
                                      compress, deadline_);
  if (request.compress) connection_->note_reply_size(size_key, raw.body.size());
  UnwrappedReply reply = unwrap_reply(std::move(raw.body));
  if (!reply.server.id.empty() && reply.server.id != server_.id && !request.account_ping)
    throw FetchError("server " + reply.server.name + " answered for " + server_.name);
  return reply.data;
}

SystemAccountSource::SystemAccountSource(const SystemAccountConfig& config)
    : config_(config), connection_(std::make_shared<SystemConnection>(config)) {}

bool SystemAccountSource::tenant_mode() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tenant_;
}

std::vector<SystemTarget> SystemAccountSource::discover(Clock::time_point deadline, bool for_scrape) {
  const auto started = Clock::now();
  if (for_scrape) connection_->begin_scrape();
  std::vector<RawReply> replies;
  bool tenant = false;
  std::size_t expected = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    expected = std::max(expected_, known_.size());
    tenant = tenant_;  // the credentials do not change while the source lives
  }
  // Discovery may take at most half the scrape: the collectors need the rest.
  const auto discovery_deadline = started + (deadline - started) / 2;
  if (connection_->ensure_connected(discovery_deadline)) {
    try {
      if (!tenant)
        replies =
            connection_->gather("$SYS.REQ.SERVER.PING.STATSZ", "", expected, config_.discovery_gap, discovery_deadline);
      if (replies.empty()) {
        // Nobody answered STATSZ: either the user is outside the system account (503, or with
        // gateways no answer at all) or the servers are unreachable. The account ping tells them
        // apart: a tenant sees its own account only, a system user every account of the server.
        auto account = connection_->gather("$SYS.REQ.ACCOUNT.PING.STATZ", "{\"include_unused\":true}", expected,
                                           config_.discovery_gap, discovery_deadline);
        bool one_account_each = !account.empty();
        for (const auto& r : account) {
          try {
            if (unwrap_reply(r.body).data->root().find("account_statz").size() > 1) one_account_each = false;
          } catch (const FetchError&) {
            one_account_each = false;
          }
        }
        if (one_account_each) {
          tenant = true;
          replies = std::move(account);
        }
      }
    } catch (const FetchError& e) {
      log::warn("system account: discovery failed", {{"err", e.what()}});
    }
  }

  const auto now = Clock::now();
  std::set<std::string> answered;
  std::vector<SystemTarget> targets;
  std::lock_guard<std::mutex> lock(mutex_);
  if (tenant && !tenant_logged_) {
    // Once, not per scrape: the collectors that need the system account are left out, not failed.
    std::string missing;
    for (const auto& name : collector_names())
      if (!tenant_collectors().count(name)) missing += (missing.empty() ? "" : ",") + name;
    log::warn(
        "system account: the user is not in the system account; tenant mode reports its own account's "
        "connections and statistics only",
        {{"unavailable_collectors", missing}});
    tenant_logged_ = true;
  }
  tenant_ = tenant;
  for (auto& raw : replies) {
    try {
      const auto reply = unwrap_reply(std::move(raw.body));
      if (reply.server.name.empty() || reply.server.id.empty()) continue;
      KnownServer& k = known_[reply.server.name];
      k.id = reply.server.id;
      k.name = reply.server.name;
      k.cluster = reply.server.cluster;
      k.domain = reply.server.domain;
      k.last_seen = now;
      answered.insert(k.name);
      if (const auto active = reply.data->root().find("active_servers").as_unsigned())
        expected_ = std::max<std::size_t>(expected_, static_cast<std::size_t>(*active));
    } catch (const FetchError& e) {
      log::warn("system account: bad discovery reply", {{"err", e.what()}});
    }
  }
  std::size_t answering = 0, silent = 0;
  for (auto it = known_.begin(); it != known_.end();) {
    const KnownServer& k = it->second;
    if (!answered.count(k.name) && now - k.last_seen > config_.forget_after) {
      log::info("system account: forgetting a server that stopped answering", {{"server_name", k.name}});
      it = known_.erase(it);
      // A server gone for good no longer counts towards the replies to wait for.
      expected_ = std::min(expected_, known_.size());
      continue;
    }
    SystemTarget t;
    t.target.name = k.name;
    t.target.url = "nats-system-account://" + k.name;  // for messages only: never fetched
    if (!k.domain.empty()) t.target.labels["domain"] = k.domain;
    t.identity = ServerIdentity{k.name, k.cluster, k.id};
    if (answered.count(k.name)) {
      t.source = std::make_shared<NatsMonitorSource>(connection_, k, deadline, tenant);
      ++answering;
    } else {
      ++silent;
    }
    targets.push_back(std::move(t));
    ++it;
  }
  if (for_scrape) {
    answering_ = answering;
    silent_ = silent;
    discovery_seconds_ = std::chrono::duration<double>(Clock::now() - started).count();
  }
  return targets;
}

void SystemAccountSource::contribute(MetricSet& out, const std::vector<std::string>& enabled) {
  connection_->contribute(out);
  std::lock_guard<std::mutex> lock(mutex_);
  out.gauge("nats_system_account_servers",
            "Servers known to the system-account source, by whether they answered this scrape's discovery.")
      .add(static_cast<double>(answering_), {{"state", "answering"}})
      .add(static_cast<double>(silent_), {{"state", "silent"}});
  out.gauge("nats_system_account_discovery_duration_seconds", "How long this scrape's discovery (STATSZ gather) took.")
      .set(discovery_seconds_);
  out.gauge("nats_system_account_tenant_mode",
            "1 when the system-account source's user is outside the system account and only its own account's "
            "connections and statistics are reported.")
      .set(tenant_ ? 1.0 : 0.0);
  auto& available = out.gauge("nats_system_account_collector_available",
                              "1 when an enabled collector can run with the system-account source's credentials; 0 in "
                              "tenant mode for the collectors that need the system account.");
  for (const auto& name : enabled)
    available.add(!tenant_ || tenant_collectors().count(name) ? 1.0 : 0.0, {{"collector", name}});
}

bool same_system_account_config(const SystemAccountConfig& a, const SystemAccountConfig& b) {
  const auto tie = [](const SystemAccountConfig& s) {
    return std::tie(s.enabled, s.servers, s.prefer_http, s.discovery_gap, s.forget_after);
  };
  return tie(a) == tie(b) && same_connection_config(a.connection, b.connection);
}

std::shared_ptr<SystemAccountSource> SourceKeeper::source_for(const Config& config) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!config.system_account.enabled) {
    source_.reset();
  } else if (!source_ || !same_system_account_config(source_->config(), config.system_account)) {
    if (source_) log::info("system account: the section changed; a new connection replaces the old one");
    source_ = std::make_shared<SystemAccountSource>(config.system_account);
  }
  return source_;
}

}  // namespace natsexp::system_account
