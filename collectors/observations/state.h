// What one observation has seen so far, as plain data, and its translation into metric families.
//
// The subscriber's message handler (on nats.c's thread) feeds parsed messages into an
// ObservationState under a mutex; a scrape copies its snapshot and calls add_observation_metrics,
// which is pure (unit-tested without a server). Cardinality is bounded here: past the configured
// number of services, responders per service or consumers, new values are counted as "other".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "collectors/metric_set.h"
#include "collectors/observations/events.h"
#include "collectors/probe/snapshot.h"
#include "config/observation_config.h"

namespace natsexp::observations {

using probe::LatencyHistogram;

inline constexpr const char* kOther = "other";

// The parts of the status-200 requests of one (service, responder), in seconds.
struct LatencyParts {
  LatencyParts() = default;
  explicit LatencyParts(const std::vector<double>& bounds);
  void observe(const ServiceLatencySample& s);

  LatencyHistogram total, service, system, requestor_rtt, responder_rtt;
  // requestor RTT + responder RTT + system: the time NATS (network and servers) took.
  LatencyHistogram nats;
};

struct ServiceStats {
  std::map<std::string, LatencyParts> by_responder;  // at most max_responders names, then "other"
  LatencyParts all;                                  // every responder together (the doctor's view)
  std::map<int, std::uint64_t> statuses;             // every message, by status
};

struct ConsumerStats {
  LatencyHistogram ack_time;    // seconds from the latest delivery to the ack (sampled messages)
  LatencyHistogram deliveries;  // deliveries each sampled message needed
  std::uint64_t max_deliveries = 0, naks = 0, terminations = 0;
};

struct ObservationSnapshot {
  std::string name;
  ObservationKind kind = ObservationKind::service_latency;
  std::string subject;

  bool connected = false;
  std::uint64_t reconnects = 0, disconnects = 0;
  std::uint64_t messages = 0, parse_errors = 0;

  // service-latency, by service (the subject the message arrived on)
  std::map<std::string, ServiceStats> services;

  // jetstream-events
  std::map<std::pair<std::string, std::string>, ConsumerStats> consumers;  // (stream, consumer)
  std::uint64_t api_requests = 0;
  std::map<std::string, std::uint64_t> api_errors;                       // by folded API subject
  std::map<std::string, std::uint64_t> advisories;                       // by event_kind_name
  std::map<std::string, std::uint64_t> leader_elections, quorum_losses;  // by target: stream, consumer
  std::uint64_t unknown_advisories = 0;
};

// The status values always exported per service (zero until seen), so rate() works from the start.
const std::vector<int>& known_statuses();
// Buckets of the deliveries histogram.
const std::vector<double>& delivery_buckets();

class ObservationState {
 public:
  explicit ObservationState(const ObservationConfig& config);

  // Only status 200 feeds the histograms; every message counts in statuses.
  void add(const ServiceLatencySample& sample);
  void add(const JetStreamEvent& event);
  void add_parse_error() { ++snap_.parse_errors; }

  ObservationSnapshot& snapshot() { return snap_; }
  const ObservationSnapshot& snapshot() const { return snap_; }

 private:
  ServiceStats& service(const std::string& name);
  ConsumerStats& consumer(const std::string& stream, const std::string& name);

  std::vector<double> buckets_;
  std::size_t max_services_, max_responders_, max_consumers_;
  ObservationSnapshot snap_;
};

// Adds the nats_observation_*, nats_service_latency_* and nats_jetstream_* families of every
// snapshot to `out`.
void add_observation_metrics(const std::vector<ObservationSnapshot>& observations, MetricSet& out);

}  // namespace natsexp::observations
