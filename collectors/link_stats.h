// link_stats: the statistics every NATS connection report carries, in one place.
//
// /connz (per client connection), /routez (per route), /gatewayz (per gateway connection) and /leafz
// (per leaf node connection) all describe a connection the same way: rtt, pending bytes,
// subscriptions and the in/out message and byte counts. add_link_stats() turns one such object into
// the same seven series under a metric prefix, so the four collectors name and document them alike.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "collectors/collector.h"

namespace natsexp {

// One kind of connection: the metric name prefix and the noun the HELP texts use.
struct LinkKind {
  std::string prefix;  // e.g. "nats_route"
  std::string noun;    // e.g. "route", as in "… on this route"
};

// The seven numbers of one connection, read from its JSON object; nullopt where a field is missing
// or mistyped.
struct LinkStats {
  std::optional<double> rtt_seconds;    // "rtt", a Go duration string
  std::optional<double> pending_bytes;  // "pending_bytes", or "pending_size" (routez)
  std::optional<double> subscriptions;  // "subscriptions"
  std::optional<double> in_msgs;        // "in_msgs"
  std::optional<double> out_msgs;       // "out_msgs"
  std::optional<double> in_bytes;       // "in_bytes"
  std::optional<double> out_bytes;      // "out_bytes"
};
LinkStats read_link_stats(const JsonValue& conn);

// Adds, for the connection object `conn` and the series labels `labels`:
//   <prefix>_rtt_seconds              gauge    "rtt" (a Go duration string)
//   <prefix>_pending_bytes            gauge    "pending_bytes", or "pending_size" (routez)
//   <prefix>_subscriptions            gauge    "subscriptions"
//   <prefix>_messages_received_total  counter  "in_msgs"
//   <prefix>_messages_sent_total      counter  "out_msgs"
//   <prefix>_bytes_received_total     counter  "in_bytes"
//   <prefix>_bytes_sent_total         counter  "out_bytes"
// A field that is missing or mistyped drops that one series. The counters are monotonic while the
// connection lives; a new connection starts again from zero (Prometheus treats it as a reset).
void add_link_stats(MetricSet& out, const LinkKind& kind, const JsonValue& conn, const Labels& labels);
// The same from numbers read before (connz keeps only these of each connection while it pages).
void add_link_stats(MetricSet& out, const LinkKind& kind, const LinkStats& stats, const Labels& labels);

// The bytes waiting to be written to the connection: "pending_bytes" (connz, gatewayz) or
// "pending_size" (routez). nullopt when neither is a number.
std::optional<double> link_pending_bytes(const JsonValue& conn);

// j[key] as label text: an integer id such as a cid ("cid": 42 -> "42") or a string; "" otherwise.
std::string id_label(const JsonValue& j, std::string_view key);

// "ip:port" ("[ip]:port" for IPv6) from the "ip" and "port" fields; "" when there is no ip.
std::string address_label(const JsonValue& conn);

// Keeps label sets unique within one document. claim() returns `labels` unchanged the first time;
// a label set seen before (a malformed or surprising document) gets "#2", "#3", … appended to the
// value of its last label, so no two series of a family ever collide.
class UniqueLabels {
 public:
  Labels claim(Labels labels);

 private:
  std::set<Labels> seen_;
};

// Throws FetchError when `document` is not a JSON object: the endpoint as a whole is unusable
// (`endpoint` names it in the message, e.g. "routez").
void require_object(const JsonValue& document, std::string_view endpoint);

}  // namespace natsexp
