#include "collectors/doctor/evidence.h"

#include "collectors/connz_full_read.h"
#include "collectors/jsz.h"

namespace natsexp::doctor {

namespace {

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
