#include "collectors/varz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_varz(const JsonValue& v, MetricSet& out) {
  const JsonValue& js_config = child(child(v, "jetstream"), "config");
  const bool jetstream = js_config.is_object() && !js_config.empty();
  // `cluster` and `server_name` come from the scrape's identity labels, like on every other series.
  out.gauge("nats_server_info", "Server identity; the value is always 1. server_id changes at every restart.")
      .add(1.0, {{"server_id", text_or(v, "server_id")},
                 {"version", text_or(v, "version")},
                 {"go_version", text_or(v, "go")},
                 {"domain", text_or(js_config, "domain")},
                 {"jetstream", jetstream ? "true" : "false"}});

  using F = FieldMetric;
  set_fields(out, v,
             {{F::gauge, "nats_server_connections", "Client connections open now.", "connections"},
              {F::counter, "nats_server_connections_total", "Client connections accepted since the server started.",
               "total_connections"},
              {F::gauge, "nats_server_subscriptions", "Subscriptions registered on the server.", "subscriptions"},
              {F::gauge, "nats_server_routes", "Cluster route connections open now.", "routes"},
              {F::gauge, "nats_server_remotes", "Remote servers this server knows of in its cluster.", "remotes"},
              {F::gauge, "nats_server_leafnodes", "Leaf node connections open now.", "leafnodes"},
              {F::counter, "nats_server_messages_received_total",
               "Messages received from clients, routes, gateways and leafs.", "in_msgs"},
              {F::counter, "nats_server_messages_sent_total", "Messages sent to clients, routes, gateways and leafs.",
               "out_msgs"},
              {F::counter, "nats_server_bytes_received_total", "Payload bytes received.", "in_bytes"},
              {F::counter, "nats_server_bytes_sent_total", "Payload bytes sent.", "out_bytes"},
              {F::counter, "nats_server_slow_consumers_total",
               "Connections the server cut off or flagged as slow consumers since it started.", "slow_consumers"}});
  // 2.10+ splits slow consumers by connection kind.
  const JsonValue& sc_stats = child(v, "slow_consumer_stats");
  auto& sc_by_kind = out.counter("nats_server_slow_consumers_by_kind_total",
                                 "Slow consumers since the server started, by connection kind (2.10+).");
  for (const char* kind : {"clients", "routes", "gateways", "leafs"})
    sc_by_kind.add(number(sc_stats, kind), {{"kind", kind}});

  out.gauge("nats_server_cpu_cores", "CPU the server process uses, in cores (1 = one core busy).")
      .set(number(v, "cpu") ? std::optional<double>(*number(v, "cpu") / 100.0) : std::nullopt);
  set_fields(
      out, v,
      {{F::gauge, "nats_server_memory_bytes", "Resident memory of the server process.", "mem"},
       {F::gauge, "nats_server_cores", "CPU cores the server sees.", "cores"},
       {F::gauge, "nats_server_gomaxprocs", "Go's GOMAXPROCS of the server.", "gomaxprocs"},
       {F::gauge, "nats_server_start_time_seconds", "When the server started, as a Unix timestamp.", "start",
        timestamp},
       {F::gauge, "nats_server_config_load_time_seconds",
        "When the configuration was last loaded, as a Unix timestamp.", "config_load_time", timestamp},
       {F::gauge, "nats_server_max_connections", "Configured maximum client connections.", "max_connections"},
       {F::gauge, "nats_server_max_payload_bytes", "Configured maximum message payload.", "max_payload"},
       {F::gauge, "nats_server_max_pending_bytes",
        "Configured maximum bytes buffered for one connection before it is a slow consumer.", "max_pending"},
       {F::gauge, "nats_server_max_control_line_bytes", "Configured maximum protocol control line.",
        "max_control_line"},
       {F::gauge, "nats_server_write_deadline_seconds",
        "Configured time a write to a client may block before the client is a slow consumer.", "write_deadline",
        nanos_field},
       {F::gauge, "nats_server_ping_interval_seconds", "Configured interval of the server's PINGs to clients.",
        "ping_interval", nanos_field},
       {F::gauge, "nats_server_ping_max", "Configured unanswered PINGs before a client is disconnected.", "ping_max"}});

  auto& http = out.counter("nats_server_http_requests_total", "Requests to the monitoring port, by path.");
  const JsonValue& stats = child(v, "http_req_stats");
  if (stats.is_object())
    for (const auto& [path, count] : stats.members())
      if (auto n = count.as_number()) http.add(*n, {{"path", std::string(path)}});
}

std::unique_ptr<Collector> make_varz_collector() {
  return std::make_unique<SingleEndpointCollector>("varz", "/varz", translate_varz);
}

}  // namespace natsexp
