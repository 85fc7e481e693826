// What a probe has measured so far, as plain data, and its translation into metric families.
//
// A probe's thread updates its ProbeSnapshot under a mutex; a scrape copies it and calls
// add_probe_metrics, which is pure (unit-tested without a server).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collectors/metric_set.h"
#include "config/probe_config.h"

namespace natsexp::probe {

// A fixed-bucket latency histogram in seconds.
class LatencyHistogram {
 public:
  LatencyHistogram() = default;
  explicit LatencyHistogram(std::vector<double> upper_bounds);

  // Counts one sample: it lands in the first bucket whose upper bound is >= seconds (Prometheus
  // `le` semantics), or in +Inf.
  void observe(double seconds);

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Cumulative counts for each upper bound (without +Inf), as the exposition wants them.
  std::vector<std::uint64_t> cumulative() const;
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  // The value below which `q` (0..1) of the samples fall, interpolated inside the bucket like
  // Prometheus' histogram_quantile; nullopt without samples.
  std::optional<double> quantile(double q) const;
  // The samples observed since `earlier`, an earlier copy of this histogram: the difference per
  // bucket. When `earlier` cannot be one (other buckets, or a bucket that lost samples: a reset),
  // all of this histogram.
  LatencyHistogram since(const LatencyHistogram& earlier) const;
  // Adds the samples of `other`, a histogram with the same bounds (else nothing): a total over several.
  void add(const LatencyHistogram& other);

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, the last one is +Inf
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// Messages and bytes, as nats.c reports a subscription's pending count and its limits.
struct MessagesAndBytes {
  std::int64_t messages = 0;
  std::int64_t bytes = 0;
};

struct SubscriptionSnapshot {
  std::string subject;
  MessagesAndBytes pending;
  MessagesAndBytes pending_limit;
  std::uint64_t dropped_messages = 0;
};

struct ConsumerSnapshot {
  std::string stream;
  std::string consumer;
  std::uint64_t pending_messages = 0;
  std::int64_t ack_pending_messages = 0;
  std::int64_t redelivered_messages = 0;
  std::int64_t waiting_pulls = 0;
};

struct ProbeSnapshot {
  std::string name;
  ProbeKind kind = ProbeKind::request;

  bool connected = false;
  std::uint64_t reconnects = 0;
  std::uint64_t disconnects = 0;
  std::map<std::string, std::uint64_t> async_errors;  // by kind: slow_consumer, permission_violation, other
  std::optional<double> rtt_seconds;                  // absent while disconnected

  // request
  LatencyHistogram request_duration;
  std::map<std::string, std::uint64_t> requests;  // by result: ok, timeout, no_responders, error

  // jetstream-publish
  LatencyHistogram publish_duration;
  std::map<std::string, std::uint64_t> publishes;  // by result: ok, timeout, no_stream, error

  // consumer-watch: the last successful info, or nothing when the last attempt failed
  std::optional<ConsumerSnapshot> consumer;
  std::string watched_stream, watched_consumer;
  std::map<std::string, std::uint64_t> consumer_info;  // by result: ok, not_found, timeout, error

  std::vector<SubscriptionSnapshot> subscriptions;

  // The client's traffic since start, across connections.
  std::uint64_t in_messages = 0, out_messages = 0, in_bytes = 0, out_bytes = 0;
};

// Result labels that are always exported (zero until seen), so that rate() works from the start.
const std::vector<std::string>& request_results();
const std::vector<std::string>& publish_results();
const std::vector<std::string>& consumer_info_results();
const std::vector<std::string>& async_error_kinds();

// Adds the nats_probe_* families of every snapshot to `out`.
void add_probe_metrics(const std::vector<ProbeSnapshot>& probes, MetricSet& out);

}  // namespace natsexp::probe
