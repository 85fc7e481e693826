// Observations: the `observations:` list of the config file. Each entry is one NATS connection that
// subscribes to what the server publishes about real traffic.
//
//   observations:
//     - name: payments
//       kind: service-latency          # io.nats.server.metric.v1.service_latency messages
//       subject: latency.svc.>         # the exports' latency subjects (wildcards allowed)
//       servers: [nats://nats-0:4222]
//       connection: {user: svc, password_file: /run/secrets/svc}
//     - name: app-jetstream
//       kind: jetstream-events         # $JS.EVENT.METRIC.> and $JS.EVENT.ADVISORY.> of that account
//       servers: [nats://nats-0:4222]
//       connection: {creds_file: /run/secrets/app.creds}
//
// `servers`, `connection` and `buckets` are read by the probe's reader (read_servers_and_connection,
// config/probe_config.h), so they take the same keys, secrets handling and validation. docs/observations.md documents
// the rest.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/probe_config.h"  // also declares YAML::Node and Reader

namespace natsexp {

enum class ObservationKind { service_latency, jetstream_events };

// "service-latency", "jetstream-events".
const char* observation_kind_name(ObservationKind kind);

// The connection's name defaults to "nats-exporter-observation".
struct ObservationConfig : NatsClientConfig {
  std::string name;
  ObservationKind kind = ObservationKind::service_latency;
  std::string subject;  // service-latency: the subscription (wildcards allowed)
  std::vector<double> buckets = default_probe_buckets();

  // Cardinality bounds: past them a new value is folded into "other".
  std::size_t max_services = 100;   // service-latency: `service` label values
  std::size_t max_responders = 10;  // service-latency: `responder` values per service
  std::size_t max_consumers = 200;  // jetstream-events: (stream, consumer) pairs

  std::string origin;  // "file.yaml:12" of the list item
};

// Reads the `observations:` node, adding each problem to `reader` as
// `<file>:<line>: observations[i].<key>: <problem>`.
std::vector<ObservationConfig> read_observations(Reader& reader, const YAML::Node& node);

}  // namespace natsexp
