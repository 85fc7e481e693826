#include "collectors/link_stats.h"

#include <cmath>
#include <cstdint>

namespace natsexp {

LinkStats read_link_stats(const JsonValue& conn) {
  LinkStats s;
  s.rtt_seconds = duration(conn, "rtt");
  s.pending_bytes = link_pending_bytes(conn);
  using L = LinkStats;
  read_fields<L, std::optional<double>>(conn, s,
                                        {{&L::subscriptions, "subscriptions"},
                                         {&L::in_msgs, "in_msgs"},
                                         {&L::out_msgs, "out_msgs"},
                                         {&L::in_bytes, "in_bytes"},
                                         {&L::out_bytes, "out_bytes"}});
  return s;
}

void add_link_stats(MetricSet& out, const LinkKind& kind, const JsonValue& conn, const Labels& labels) {
  add_link_stats(out, kind, read_link_stats(conn), labels);
}

void add_link_stats(MetricSet& out, const LinkKind& kind, const LinkStats& s, const Labels& labels) {
  const std::string& p = kind.prefix;
  const std::string& noun = kind.noun;
  // MetricSet may move its families when a new one is declared: never keep a Family& across calls.
  out.gauge(p + "_rtt_seconds", "Round-trip time the server last measured on this " + noun + ".")
      .add(s.rtt_seconds, labels);
  out.gauge(p + "_pending_bytes", "Bytes buffered by the server, waiting to be written to this " + noun + ".")
      .add(s.pending_bytes, labels);
  out.gauge(p + "_subscriptions", "Subscriptions registered on this " + noun + ".").add(s.subscriptions, labels);
  out.counter(p + "_messages_received_total", "Messages the server received on this " + noun + " since it connected.")
      .add(s.in_msgs, labels);
  out.counter(p + "_messages_sent_total", "Messages the server sent on this " + noun + " since it connected.")
      .add(s.out_msgs, labels);
  out.counter(p + "_bytes_received_total", "Payload bytes the server received on this " + noun + " since it connected.")
      .add(s.in_bytes, labels);
  out.counter(p + "_bytes_sent_total", "Payload bytes the server sent on this " + noun + " since it connected.")
      .add(s.out_bytes, labels);
}

std::optional<double> link_pending_bytes(const JsonValue& conn) {
  if (auto v = number(conn, "pending_bytes")) return v;
  return number(conn, "pending_size");
}

std::string id_label(const JsonValue& j, std::string_view key) {
  const JsonValue v = j.find(key);
  if (auto u = v.as_unsigned()) return std::to_string(*u);
  if (auto i = v.as_integer()) return std::to_string(*i);
  if (v.is_number()) {
    const double d = *v.as_number();
    // An integral float within the exactly representable range prints as the integer.
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0)
      return std::to_string(static_cast<std::int64_t>(d));
    return "";
  }
  if (auto s = v.as_string()) return std::string(*s);
  return "";
}

std::string address_label(const JsonValue& conn) {
  const std::string ip = text_or(conn, "ip");
  if (ip.empty()) return "";
  const std::string port = id_label(conn, "port");
  if (port.empty()) return ip;
  if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + port;
  return ip + ":" + port;
}

Labels UniqueLabels::claim(Labels labels) {
  if (seen_.insert(labels).second || labels.empty()) return labels;
  const std::string base = labels.back().second;
  for (std::size_t n = 2;; ++n) {
    labels.back().second = base + "#" + std::to_string(n);
    if (seen_.insert(labels).second) return labels;
  }
}

void require_object(const JsonValue& document, std::string_view endpoint) {
  if (!document.is_object())
    throw FetchError(std::string(endpoint) + ": the document is not a JSON object but " + document.type_name());
}

}  // namespace natsexp
