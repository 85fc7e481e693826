// The latency doctor's evidence: what one NATS server's monitoring endpoints say, parsed into plain
// structs. The parsers are pure (unit-tested on the 2.9.10 fixtures); gather_evidence() is the one
// function here that reads, through a MonitorSource.
//
// Every JSON field is optional: a missing or mistyped field leaves that value empty and the checks
// that need it say so, nothing throws (but a /varz that cannot be read at all, see gather_evidence).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/connz_full_read.h"

namespace natsexp::doctor {

// From /varz: identity, limits and counters.
struct VarzEvidence {
  std::string server_id, server_name, cluster, version;
  std::optional<double> start;                     // Unix seconds: a new value means the server restarted
  std::optional<double> now;                       // the server's clock, Unix seconds
  std::optional<double> max_pending, max_payload;  // bytes
  std::optional<double> write_deadline;            // seconds
  std::optional<double> slow_consumers, total_connections, connections;
  std::map<std::string, double> slow_consumer_stats;  // 2.10+: clients, routes, gateways, leafs
};

// From /subsz: the routing table's match cache.
struct SubszEvidence {
  std::optional<double> num_subscriptions, num_matches, cache_hit_rate, max_fanout, avg_fanout;
};

// One JetStream consumer this server leads (from /jsz with consumers and config), named as the
// jsz collector labels it (walk_jsz).
struct ConsumerEvidence {
  std::string account, stream, name;
  std::optional<double> num_pending, num_ack_pending, num_redelivered, num_waiting;
  std::optional<double> max_ack_pending;  // from the consumer's config; -1 is unlimited
  std::string ack_policy, sample_freq;    // from the consumer's config; "" when absent
};

struct ServerEvidence {
  std::string target;  // the config's target name (reports); may be empty
  VarzEvidence varz;
  // Each source is empty when it could not be read; `problems` then says why, by source name
  // ("connz", "closed connections", "subsz", "jsz").
  // The open connections are the full read's own list, shared read-only (it is kept for the
  // full-read interval and can hold tens of thousands of connections: never copied per scrape).
  std::shared_ptr<const std::vector<ConnectionEvidence>> connections;
  std::optional<std::vector<ClosedConnectionEvidence>> closed;
  std::optional<double> closed_now;  // the closed-connections document's "now", Unix seconds
  std::optional<SubszEvidence> subsz;
  std::optional<std::vector<ConsumerEvidence>> consumers;
  bool jetstream_disabled = false;
  std::map<std::string, std::string> problems;
};

VarzEvidence parse_varz(const JsonValue& varz);

SubszEvidence parse_subsz(const JsonValue& subsz);

// The consumers of a /jsz?accounts=true&streams=true&consumers=true&config=true document that
// `server_name` leads (walk_jsz: the jsz collector's reading), so across the nodes of a cluster each
// consumer is judged once, on its leader's current numbers, under the name its metrics carry.
std::vector<ConsumerEvidence> parse_jsz_consumers(const JsonValue& jsz, const std::string& server_name);

// Whether a closed connection's reason is a slow-consumer one ("Slow Consumer (Pending Bytes)",
// "Slow Consumer (Write Deadline)").
bool is_slow_consumer_reason(const std::string& reason);

// Reads one server: /varz (required: a FetchError when it fails), the full read of its connections
// (connz_full_read.h: from `full_read` when it is younger than its interval, else one /connz
// request sized from /varz's connection count, and the most recent closed connections), /subsz and
// /jsz. A source that fails is recorded in `problems` and the rest is still read. `max_page` caps
// the /connz page (0: no cap).
ServerEvidence gather_evidence(MonitorSource& source, FullConnzCache* full_read = nullptr, std::size_t max_page = 0);

}  // namespace natsexp::doctor
