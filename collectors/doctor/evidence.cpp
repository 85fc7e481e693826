#include "collectors/doctor/evidence.h"

#include "collectors/connz_full_read.h"
#include "collectors/jsz.h"

namespace natsexp::doctor {

namespace {

std::optional<std::string> non_empty(const JsonValue& j, const char* key) {
  auto t = text(j, key);
  if (!t || t->empty()) return std::nullopt;
  return t;
}

// A nanosecond config value (write_deadline) or, from servers that print it so, a Go duration.
std::optional<double> nanos_or_duration(const JsonValue& j, const char* key) {
  if (auto ns = number(j, key)) return *ns / 1e9;
  return duration(j, key);
}

}  // namespace

VarzEvidence parse_varz(const JsonValue& v) {
  VarzEvidence out;
  const ServerIdentity identity = read_identity(v);  // as the scrape labels the server
  out.server_id = identity.server_id;
  out.server_name = identity.server_name;
  out.cluster = identity.cluster;
  out.version = text_or(v, "version");
  out.start = timestamp(v, "start");
  out.now = timestamp(v, "now");
  out.max_pending = number(v, "max_pending");
  out.max_payload = number(v, "max_payload");
  out.write_deadline = nanos_or_duration(v, "write_deadline");
  out.slow_consumers = number(v, "slow_consumers");
  out.total_connections = number(v, "total_connections");
  out.connections = number(v, "connections");
  const JsonValue& stats = child(v, "slow_consumer_stats");
  if (stats.is_object())
    for (const auto& [kind, count] : stats.members())
      if (auto n = count.as_number()) out.slow_consumer_stats[std::string(kind)] = *n;
  return out;
}

std::optional<ConnectionEvidence> parse_connection(const JsonValue& c) {
  if (!c.is_object() || is_closed_connection(c)) return std::nullopt;
  ConnectionEvidence e;
  static_cast<ClientIdentity&>(e) = read_client_identity(c);
  e.rtt = duration(c, "rtt");
  e.pending_bytes = number(c, "pending_bytes");
  e.link = read_link_stats(c);
  e.tls_version = text_or(c, "tls_version");
  e.tls_cipher = text_or(c, "tls_cipher_suite");
  const JsonValue& subs = child(c, "subscriptions_list_detail");
  if (subs.is_array()) {
    for (const JsonValue& s : subs) {
      auto subject = non_empty(s, "subject");
      if (!subject) continue;
      e.subscriptions.push_back({*subject, text_or(s, "qgroup"), number(s, "msgs")});
    }
  } else {
    // Without subs=detail, servers list the subjects only (no queue group is known then).
    const JsonValue& plain = child(c, "subscriptions_list");
    if (plain.is_array())
      for (const JsonValue& s : plain)
        if (auto subject = s.as_string(); subject && !subject->empty())
          e.subscriptions.push_back({std::string(*subject), "", std::nullopt});
  }
  return e;
}

std::vector<ConnectionEvidence> parse_connections(const JsonValue& page) {
  std::vector<ConnectionEvidence> out;
  const JsonValue& list = child(page, "connections");
  if (!list.is_array()) return out;
  out.reserve(list.size());  // a full read holds every connection: no regrowth, no spare capacity
  for (const JsonValue& c : list)
    if (auto e = parse_connection(c)) out.push_back(std::move(*e));
  return out;
}

std::vector<ClosedConnectionEvidence> parse_closed_connections(const JsonValue& doc) {
  std::vector<ClosedConnectionEvidence> out;
  const JsonValue& list = child(doc, "connections");
  if (!list.is_array()) return out;
  for (const JsonValue& c : list) {
    if (!c.is_object()) continue;
    ClosedConnectionEvidence e;
    static_cast<ClientIdentity&>(e) = read_client_identity(c);
    e.reason = text_or(c, "reason");
    e.stop = timestamp(c, "stop");
    e.pending_bytes = number(c, "pending_bytes");
    out.push_back(std::move(e));
  }
  return out;
}

SubszEvidence parse_subsz(const JsonValue& s) {
  SubszEvidence out;
  using E = SubszEvidence;
  read_fields<E, std::optional<double>>(s, out,
                                        {{&E::num_subscriptions, "num_subscriptions"},
                                         {&E::num_matches, "num_matches"},
                                         {&E::cache_hit_rate, "cache_hit_rate"},
                                         {&E::max_fanout, "max_fanout"},
                                         {&E::avg_fanout, "avg_fanout"}});
  return out;
}

std::vector<ConsumerEvidence> parse_jsz_consumers(const JsonValue& jsz, const std::string& server_name) {
  std::vector<ConsumerEvidence> out;
  JszVisitor visitor;
  visitor.led_consumer = [&](const JsonValue& c, const std::string& account, const std::string& stream,
                             const std::string& consumer) {
    ConsumerEvidence e;
    e.account = account;
    e.stream = stream;
    e.name = consumer;
    e.num_pending = number(c, "num_pending");
    e.num_ack_pending = number(c, "num_ack_pending");
    e.num_redelivered = number(c, "num_redelivered");
    e.num_waiting = number(c, "num_waiting");
    const JsonValue& config = child(c, "config");
    e.max_ack_pending = number(config, "max_ack_pending");
    e.ack_policy = text(config, "ack_policy").value_or("");
    e.sample_freq = text(config, "sample_freq").value_or("");
    out.push_back(std::move(e));
  };
  walk_jsz(jsz, server_name, visitor);
  return out;
}

bool is_slow_consumer_reason(const std::string& reason) { return reason.rfind("Slow Consumer", 0) == 0; }

std::string connz_detail_path(std::size_t limit, std::size_t offset) {
  return "/connz?auth=true&subs=detail&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
}

ServerEvidence gather_evidence(MonitorSource& source, FullConnzCache* full_read, std::size_t max_page) {
  ServerEvidence out;
  const auto varz_doc = source.get_json("/varz");
  const JsonValue varz = varz_doc->root();
  require_endpoint_document(varz, "varz");
  out.varz = parse_varz(varz);

  auto failed = [&](const char* what, const std::exception& e) { out.problems[what] = e.what(); };

  // Every open connection and the latest closed ones: shared with the connz collector and kept for
  // the configured interval when a cache is given.
  const auto full =
      full_read ? full_read->get(source, out.varz.connections, max_page)
                : std::make_shared<const FullConnzRead>(read_full_connz(source, out.varz.connections, max_page));
  // Aliasing: the list lives as long as the read it belongs to.
  if (full->connections)
    out.connections = std::shared_ptr<const std::vector<ConnectionEvidence>>(full, &*full->connections);
  else out.problems["connz"] = full->connections_error;
  if (full->closed) {
    out.closed = full->closed;
    out.closed_now = full->closed_now;
  } else {
    out.problems["closed connections"] = full->closed_error;
  }

  try {
    const auto subsz_doc = source.get_json("/subsz");
    const JsonValue subsz = subsz_doc->root();
    require_endpoint_document(subsz, "subsz");
    out.subsz = parse_subsz(subsz);
  } catch (const std::exception& e) {
    failed("subsz", e);
  }

  try {
    const auto jsz_doc = source.get_json(kJszPath);
    const JsonValue jsz = jsz_doc->root();
    require_endpoint_document(jsz, "jsz");
    if (boolean(jsz, "disabled").value_or(false)) {
      out.jetstream_disabled = true;
      out.consumers = std::vector<ConsumerEvidence>{};
    } else {
      out.consumers = parse_jsz_consumers(jsz, out.varz.server_name);
    }
  } catch (const std::exception& e) {
    failed("jsz", e);
  }
  return out;
}

}  // namespace natsexp::doctor
