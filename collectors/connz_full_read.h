// The full read of a server's connections: every open connection with its subscriptions in
// detail (names, TLS, RTT, pending), and the latest closed ones. The doctor needs it; it is the
// most expensive thing we ask a server for (nats-server builds and sorts every connection for
// each /connz request, whatever the page), so it is one request sized from the connection count,
// shared by every user, and done at most once per interval (FullConnzCache).
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/connection_fields.h"
#include "collectors/link_stats.h"

namespace natsexp {

struct SubscriptionEvidence {
  std::string subject;
  std::string queue;  // "" without a queue group
  std::optional<double> msgs;
};

// One open client connection from /connz?subs=detail; which client it is (cid, name, account, ip,
// lang, version) reads as the connz collector's labels do.
struct ConnectionEvidence : ClientIdentity {
  std::optional<double> rtt;  // seconds
  std::optional<double> pending_bytes;
  std::string tls_version, tls_cipher;  // "" without TLS
  std::vector<SubscriptionEvidence> subscriptions;
  LinkStats link;  // the numbers a per-connection series shows (connz's top N by RTT on 2.9)
};

// One closed connection from /connz?state=closed.
struct ClosedConnectionEvidence : ClientIdentity {
  std::string reason;
  std::optional<double> stop;  // Unix seconds, server clock
  std::optional<double> pending_bytes;
};

struct FullConnzRead {
  // Each is empty when it could not be read; the error then says why.
  std::optional<std::vector<ConnectionEvidence>> connections;
  std::string connections_error;
  std::optional<std::vector<ClosedConnectionEvidence>> closed;
  std::string closed_error;
  std::optional<double> closed_now;  // the closed-connections document's "now", Unix seconds
  std::size_t requests = 0;          // /connz requests this read took
};

// One element of a /connz "connections" list as evidence; nullopt for a non-object or a closed
// connection (with "stop" or "reason").
std::optional<ConnectionEvidence> parse_connection(const JsonValue& connection);

// The open client connections of one /connz page (with or without subs=detail). Elements that are
// not objects and closed connections (with "stop" or "reason") are skipped.
std::vector<ConnectionEvidence> parse_connections(const JsonValue& connz_page);

// The closed connections of a /connz?state=closed document.
std::vector<ClosedConnectionEvidence> parse_closed_connections(const JsonValue& connz_closed);

// The paths a full read asks for: pages of every open connection with its subscriptions in detail,
// and the most recent closed connections.
std::string connz_detail_path(std::size_t limit, std::size_t offset);
inline constexpr const char* kClosedConnzPath = "/connz?state=closed&sort=stop&auth=true&limit=1024";

// Reads every open connection with ONE request whose limit is `connection_count` (from /varz)
// plus a margin for connections opened meanwhile, paging on only while the document's `total`
// says there are more; then the closed connections. `max_page` caps the page (0: no cap; tests).
// Never throws: failures are in the result.
FullConnzRead read_full_connz(MonitorSource& source, std::optional<double> connection_count, std::size_t max_page = 0);

// One target's last full read, kept across scrapes and shared by the doctor collector, the connz
// collector (RTT on 2.9), /doctor and the CLI. Thread-safe; concurrent callers share one read.
class FullConnzCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit FullConnzCache(std::chrono::milliseconds interval) : interval_(interval) {}

  void set_interval(std::chrono::milliseconds interval);
  // A scrape begins (ends): a read made in between serves the rest of that scrape whatever the
  // interval, so its users share one read also when they run one after another (one task per
  // target) and the interval is shorter than the scrape (0s: a read at every scrape). Readers
  // outside a scrape (/doctor) follow the interval alone.
  void start_scrape();
  void end_scrape();
  // The last read when it is younger than the interval and its connections were read; otherwise a
  // new read through `source`.
  std::shared_ptr<const FullConnzRead> get(MonitorSource& source, std::optional<double> connection_count,
                                           std::size_t max_page = 0);
  // Seconds since the last read that got the connections; nullopt before the first.
  std::optional<double> age_seconds() const;
  // Full reads done (whether or not they succeeded).
  std::uint64_t reads() const;

  // The connz collector's memory of a server that refused /connz?sort=rtt (HTTP 400: before
  // nats-server 2.10), so it does not ask at every scrape. Forgotten after kRttSortRetry: the
  // server may have been upgraded since.
  static constexpr std::chrono::minutes kRttSortRetry{10};
  bool rtt_sort_refused() const;
  void note_rtt_sort_refused();

 private:
  mutable std::mutex mutex_;
  std::chrono::milliseconds interval_;
  std::shared_ptr<const FullConnzRead> last_;
  std::optional<Clock::time_point> last_at_;
  std::optional<Clock::time_point> scrape_started_;
  std::shared_future<std::shared_ptr<const FullConnzRead>> in_flight_;
  std::uint64_t reads_ = 0;
  std::optional<Clock::time_point> rtt_sort_refused_at_;
};

}  // namespace natsexp
