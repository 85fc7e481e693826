#include "collectors/jsz.h"

#include <set>
#include <utility>
#include <vector>

#include "collectors/registry_list.h"

namespace natsexp {

namespace {

// NATS writes "no limit / nothing reserved" as uint64 max (18446744073709551615, an account's
// reserved_* in 2.9) or as -1; neither is a number of bytes.
std::optional<double> bytes_value(const JsonValue& j, std::string_view key) {
  const auto v = number(j, key);
  if (!v || *v < 0 || *v >= 9223372036854775808.0) return std::nullopt;  // 2^63 and above: a sentinel
  return v;
}

// A field Go omits when it is zero (`omitempty`: a replica's lag, a stream's num_subjects). Absent from
// an object that is there means 0; a value of the wrong type is still dropped.
std::optional<double> omitempty_number(const JsonValue& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  if (!j.contains(key)) return 0.0;
  return number(j, key);
}

// A limit where 0 or -1 means "none" (max_ack_pending of an ack-none consumer, or unlimited).
std::optional<double> positive(std::optional<double> v) {
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

std::optional<std::string> non_empty_text(const JsonValue& j, std::string_view key) {
  auto s = text(j, key);
  if (!s || s->empty()) return std::nullopt;
  return s;
}

Labels with(Labels labels, std::string name, std::string value) {
  labels.emplace_back(std::move(name), std::move(value));
  return labels;
}

// Whether this server publishes a stream's or consumer's numbers: only the leader's are current.
// An asset without a leader is published only by a server outside a JetStream cluster (a standalone
// 2.9.10 prints a stream's cluster as {"leader": <its own name>} and a consumer with no cluster at all).
// Inside a cluster a missing leader means an election is under way and every copy is a replica's
// stale view: the series pause rather than appear once per replica.
bool reported_here(const JsonValue& asset, const std::string& server_name, bool clustered) {
  if (const auto leader = non_empty_text(child(asset, "cluster"), "leader")) return *leader == server_name;
  return !clustered;
}

// One labelled sample source: a JSON object and the labels its samples get.
struct Row {
  JsonValue doc;  // a view into the document, valid while translate_jsz runs
  Labels labels;
};

using Extract = std::optional<double> (*)(const JsonValue&);

struct Spec {
  const char* name;
  const char* help;
  bool counter;
  Extract value;
};

// Families are declared one at a time and filled before the next is declared, so no Family& is held
// across a declaration.
void emit(MetricSet& out, const Spec& spec, const std::vector<Row>& rows) {
  Family& f = spec.counter ? out.counter(spec.name, spec.help) : out.gauge(spec.name, spec.help);
  for (const Row& r : rows) f.add(spec.value(r.doc), r.labels);
}

template <std::size_t N>
void emit_all(MetricSet& out, const Spec (&specs)[N], const std::vector<Row>& rows) {
  for (const Spec& spec : specs) emit(out, spec, rows);
}

const Spec kAccountSpecs[] = {
    {"nats_jetstream_account_memory_bytes", "Memory storage the account's JetStream data uses, cluster-wide.", false,
     [](const JsonValue& a) { return bytes_value(a, "memory"); }},
    {"nats_jetstream_account_storage_bytes", "File storage the account's JetStream data uses, cluster-wide.", false,
     [](const JsonValue& a) { return bytes_value(a, "storage"); }},
    {"nats_jetstream_account_reserved_memory_bytes",
     "Memory storage reserved for the account; absent when the account has no fixed reservation.", false,
     [](const JsonValue& a) { return bytes_value(a, "reserved_memory"); }},
    {"nats_jetstream_account_reserved_storage_bytes",
     "File storage reserved for the account; absent when the account has no fixed reservation.", false,
     [](const JsonValue& a) { return bytes_value(a, "reserved_storage"); }},
    {"nats_jetstream_account_api_requests_total", "JetStream API requests of the account, cluster-wide.", true,
     [](const JsonValue& a) { return number(child(a, "api"), "total"); }},
    {"nats_jetstream_account_api_errors_total", "JetStream API requests of the account that failed, cluster-wide.",
     true, [](const JsonValue& a) { return number(child(a, "api"), "errors"); }},
};

const Spec kStreamSpecs[] = {
    {"nats_jetstream_stream_messages", "Messages stored in the stream.", false,
     [](const JsonValue& s) { return number(child(s, "state"), "messages"); }},
    {"nats_jetstream_stream_bytes", "Bytes stored in the stream.", false,
     [](const JsonValue& s) { return number(child(s, "state"), "bytes"); }},
    {"nats_jetstream_stream_first_seq", "Sequence number of the stream's oldest message.", false,
     [](const JsonValue& s) { return number(child(s, "state"), "first_seq"); }},
    {"nats_jetstream_stream_last_seq", "Sequence number of the stream's newest message.", false,
     [](const JsonValue& s) { return number(child(s, "state"), "last_seq"); }},
    {"nats_jetstream_stream_consumers", "Consumers of the stream.", false,
     [](const JsonValue& s) { return number(child(s, "state"), "consumer_count"); }},
    {"nats_jetstream_stream_subjects", "Distinct subjects of the messages stored in the stream.", false,
     [](const JsonValue& s) { return omitempty_number(child(s, "state"), "num_subjects"); }},
    {"nats_jetstream_stream_replicas", "Configured replicas of the stream.", false,
     [](const JsonValue& s) { return positive(number(child(s, "config"), "num_replicas")); }},
};

const Spec kConsumerSpecs[] = {
    {"nats_jetstream_consumer_pending_messages", "Messages of the stream not yet delivered to the consumer.", false,
     [](const JsonValue& c) { return number(c, "num_pending"); }},
    {"nats_jetstream_consumer_ack_pending_messages", "Messages delivered to the consumer and not yet acknowledged.",
     false, [](const JsonValue& c) { return number(c, "num_ack_pending"); }},
    {"nats_jetstream_consumer_redelivered_messages",
     "Unacknowledged messages the consumer has delivered more than once.", false,
     [](const JsonValue& c) { return number(c, "num_redelivered"); }},
    {"nats_jetstream_consumer_waiting_pulls", "Pull requests waiting at the consumer for messages.", false,
     [](const JsonValue& c) { return number(c, "num_waiting"); }},
    {"nats_jetstream_consumer_delivered_consumer_seq", "Consumer sequence of the last message delivered.", false,
     [](const JsonValue& c) { return number(child(c, "delivered"), "consumer_seq"); }},
    {"nats_jetstream_consumer_delivered_stream_seq", "Stream sequence of the last message delivered.", false,
     [](const JsonValue& c) { return number(child(c, "delivered"), "stream_seq"); }},
    {"nats_jetstream_consumer_ack_floor_consumer_seq", "Consumer sequence up to which every message is acknowledged.",
     false, [](const JsonValue& c) { return number(child(c, "ack_floor"), "consumer_seq"); }},
    {"nats_jetstream_consumer_ack_floor_stream_seq", "Stream sequence up to which every message is acknowledged.",
     false, [](const JsonValue& c) { return number(child(c, "ack_floor"), "stream_seq"); }},
    {"nats_jetstream_consumer_max_ack_pending",
     "Configured maximum of unacknowledged messages; absent when unlimited or not acknowledging.", false,
     [](const JsonValue& c) { return positive(number(child(c, "config"), "max_ack_pending")); }},
};

const Spec kStreamReplicaSpecs[] = {
    {"nats_jetstream_stream_replica_lag", "Raft log entries a stream replica is behind the stream leader.", false,
     [](const JsonValue& r) { return omitempty_number(r, "lag"); }},
    {"nats_jetstream_stream_replica_current", "1 when the stream leader sees the replica as up to date, else 0.", false,
     [](const JsonValue& r) { return bool_to_number(boolean(r, "current")); }},
    {"nats_jetstream_stream_replica_active_seconds", "Seconds since the stream leader last heard from the replica.",
     false, [](const JsonValue& r) { return nanos_to_seconds(number(r, "active")); }},
};

const Spec kConsumerReplicaSpecs[] = {
    {"nats_jetstream_consumer_replica_lag", "Raft log entries a consumer replica is behind the consumer leader.", false,
     [](const JsonValue& r) { return omitempty_number(r, "lag"); }},
    {"nats_jetstream_consumer_replica_current", "1 when the consumer leader sees the replica as up to date, else 0.",
     false, [](const JsonValue& r) { return bool_to_number(boolean(r, "current")); }},
    {"nats_jetstream_consumer_replica_active_seconds", "Seconds since the consumer leader last heard from the replica.",
     false, [](const JsonValue& r) { return nanos_to_seconds(number(r, "active")); }},
};

// The followers as the leader sees them: `cluster.replicas` lists the peers other than the leader.
void add_replicas(const JsonValue& asset, const std::string& leader, const Labels& labels, std::vector<Row>& rows) {
  const JsonValue& replicas = child(child(asset, "cluster"), "replicas");
  if (!replicas.is_array()) return;
  std::set<std::string> seen;
  for (const JsonValue& r : replicas) {
    const auto name = non_empty_text(r, "name");
    if (!name || *name == leader || !seen.insert(*name).second) continue;
    rows.push_back({r, with(labels, "replica", *name)});
  }
}

// The name of an asset: its "name", else its config's name (or a consumer's durable_name).
std::optional<std::string> asset_name(const JsonValue& asset) {
  if (auto name = non_empty_text(asset, "name")) return name;
  const JsonValue& config = child(asset, "config");
  if (auto name = non_empty_text(config, "name")) return name;
  return non_empty_text(config, "durable_name");
}

}  // namespace

void walk_jsz(const JsonValue& jsz, const std::string& server_name, const JszVisitor& visitor) {
  // A server in a JetStream cluster has meta_cluster; a standalone one does not.
  const bool clustered = child(jsz, "meta_cluster").is_object();
  const JsonValue& details = child(jsz, "account_details");
  if (!details.is_array()) return;
  std::set<std::string> seen_accounts;
  for (const JsonValue& a : details) {
    auto account = non_empty_text(a, "id");  // the name accstatz prints; "name" may be a JWT name tag
    if (!account) account = non_empty_text(a, "name");
    if (!account || !seen_accounts.insert(*account).second) continue;
    if (visitor.account) visitor.account(a, *account);
    const JsonValue& stream_detail = child(a, "stream_detail");
    if (!stream_detail.is_array()) continue;
    std::set<std::string> seen_streams;
    for (const JsonValue& s : stream_detail) {
      const auto stream = asset_name(s);
      if (!stream || !seen_streams.insert(*stream).second) continue;
      if (visitor.led_stream && reported_here(s, server_name, clustered)) visitor.led_stream(s, *account, *stream);
      // A consumer's leader need not be its stream's leader: each is judged on its own.
      const JsonValue& consumer_detail = child(s, "consumer_detail");
      if (!consumer_detail.is_array()) continue;
      std::set<std::string> seen_consumers;
      for (const JsonValue& c : consumer_detail) {
        const auto consumer = asset_name(c);
        if (!consumer || !seen_consumers.insert(*consumer).second) continue;
        if (visitor.led_consumer && reported_here(c, server_name, clustered))
          visitor.led_consumer(c, *account, *stream, *consumer);
      }
    }
  }
}

void translate_jsz(const JsonValue& jsz, const std::string& server_name, MetricSet& out) {
  auto& enabled = out.gauge("nats_jetstream_enabled", "1 when JetStream is enabled on the server, else 0.");
  if (boolean(jsz, "disabled").value_or(false)) {
    enabled.set(0.0);
    return;
  }
  enabled.set(1.0);

  // Server level: this server's own share (the replicas it holds, the API requests it served).
  using F = FieldMetric;
  set_fields(out, child(jsz, "config"),
             {{F::gauge, "nats_jetstream_max_memory_bytes",
               "Configured memory storage limit of JetStream on this server.", "max_memory", bytes_value},
              {F::gauge, "nats_jetstream_max_storage_bytes",
               "Configured file storage limit of JetStream on this server.", "max_storage", bytes_value}});
  set_fields(out, jsz,
             {{F::gauge, "nats_jetstream_memory_bytes", "Memory storage JetStream uses on this server.", "memory",
               bytes_value},
              {F::gauge, "nats_jetstream_storage_bytes", "File storage JetStream uses on this server.", "storage",
               bytes_value},
              {F::gauge, "nats_jetstream_reserved_memory_bytes", "Memory storage reserved by accounts on this server.",
               "reserved_memory", bytes_value},
              {F::gauge, "nats_jetstream_reserved_storage_bytes", "File storage reserved by accounts on this server.",
               "reserved_storage", bytes_value}});
  set_fields(out, child(jsz, "api"),
             {{F::counter, "nats_jetstream_api_requests_total", "JetStream API requests this server handled.", "total"},
              {F::counter, "nats_jetstream_api_errors_total",
               "JetStream API requests this server answered with an error.", "errors"}});
  set_fields(out, jsz,
             {{F::gauge, "nats_jetstream_streams", "Stream replicas this server holds.", "streams"},
              {F::gauge, "nats_jetstream_consumers", "Consumer replicas this server holds.", "consumers"},
              {F::gauge, "nats_jetstream_messages", "Messages in the stream replicas this server holds.", "messages"},
              {F::gauge, "nats_jetstream_bytes", "Bytes in the stream replicas this server holds.", "bytes"},
              {F::gauge, "nats_jetstream_accounts", "Accounts using JetStream on this server.", "accounts"},
              {F::gauge, "nats_jetstream_ha_assets",
               "Replicated JetStream assets (Raft groups) this server takes part in.", "ha_assets"}});

  // A server in a JetStream cluster has meta_cluster; a standalone one does not.
  const JsonValue& meta = child(jsz, "meta_cluster");
  const bool clustered = meta.is_object();
  const auto meta_leader = non_empty_text(meta, "leader");
  const bool is_meta_leader = !server_name.empty() && meta_leader == server_name;
  if (clustered) {
    out.gauge("nats_jetstream_meta_cluster_size", "Servers in the JetStream meta group.")
        .set(number(meta, "cluster_size"));
    if (!server_name.empty())
      out.gauge("nats_jetstream_meta_leader", "1 when this server is the JetStream meta leader, else 0.")
          .set(is_meta_leader ? 1.0 : 0.0);
  }

  // Account details are cluster-wide totals that every node repeats: in a cluster only the meta leader
  // publishes them, so they are not counted once per node.
  const bool accounts_here = !clustered || is_meta_leader;
  std::vector<Row> accounts, streams, consumers, stream_replicas, consumer_replicas;
  JszVisitor visitor;
  visitor.account = [&](const JsonValue& a, const std::string& account) {
    if (accounts_here) accounts.push_back({a, {{"account", account}}});
  };
  visitor.led_stream = [&](const JsonValue& s, const std::string& account, const std::string& stream) {
    const Labels labels{{"account", account}, {"stream", stream}};
    streams.push_back({s, labels});
    add_replicas(s, server_name, labels, stream_replicas);
  };
  visitor.led_consumer = [&](const JsonValue& c, const std::string& account, const std::string& stream,
                             const std::string& consumer) {
    const Labels labels{{"account", account}, {"stream", stream}, {"consumer", consumer}};
    consumers.push_back({c, labels});
    add_replicas(c, server_name, labels, consumer_replicas);
  };
  walk_jsz(jsz, server_name, visitor);
  emit_all(out, kAccountSpecs, accounts);
  emit_all(out, kStreamSpecs, streams);
  emit_all(out, kStreamReplicaSpecs, stream_replicas);
  emit_all(out, kConsumerSpecs, consumers);
  emit_all(out, kConsumerReplicaSpecs, consumer_replicas);
}

namespace {

class JszCollector : public Collector {
 public:
  std::string_view name() const override { return "jsz"; }
  std::vector<std::string> first_reads(const CollectorOptions&) const override { return {kJszPath, "/varz"}; }
  void collect(MonitorSource& source, const CollectorOptions&, MetricSet& out) const override {
    const auto document = source.get_json(kJszPath);
    const JsonValue jsz = document->root();
    require_endpoint_document(jsz, "jsz");  // a foreign document must not read as "enabled"
    // 2.9's /jsz does not name its server, /varz does; the scrape fetches /varz once for every collector.
    std::string server_name;
    if (!boolean(jsz, "disabled").value_or(false))
      server_name = read_identity(source.get_json("/varz")->root()).server_name;
    translate_jsz(jsz, server_name, out);
  }
};

}  // namespace

std::unique_ptr<Collector> make_jsz_collector() { return std::make_unique<JszCollector>(); }

}  // namespace natsexp
