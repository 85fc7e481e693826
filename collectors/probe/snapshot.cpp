#include "collectors/probe/snapshot.h"

#include <algorithm>
#include <cmath>

namespace natsexp::probe {

LatencyHistogram::LatencyHistogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void LatencyHistogram::observe(double seconds) {
  if (counts_.empty()) counts_.assign(bounds_.size() + 1, 0);
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  ++count_;
  sum_ += seconds;
}

std::vector<std::uint64_t> LatencyHistogram::cumulative() const {
  std::vector<std::uint64_t> out;
  out.reserve(bounds_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    running += i < counts_.size() ? counts_[i] : 0;
    out.push_back(running);
  }
  return out;
}

std::optional<double> LatencyHistogram::quantile(double q) const {
  if (count_ == 0 || bounds_.empty()) return std::nullopt;
  const double rank = q * static_cast<double>(count_);
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    const std::uint64_t here = counts_[i];
    if (static_cast<double>(below + here) >= rank && here > 0) {
      if (i == bounds_.size()) return bounds_.back();  // in +Inf: the highest finite bound
      const double lo = i == 0 ? 0.0 : bounds_[i - 1];
      const double hi = bounds_[i];
      return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(here);
    }
    below += here;
  }
  return bounds_.back();
}

LatencyHistogram LatencyHistogram::since(const LatencyHistogram& earlier) const {
  if (earlier.bounds_ != bounds_ || earlier.count_ > count_) return *this;
  LatencyHistogram out = *this;
  for (std::size_t i = 0; i < earlier.counts_.size() && i < out.counts_.size(); ++i) {
    if (earlier.counts_[i] > out.counts_[i]) return *this;
    out.counts_[i] -= earlier.counts_[i];
  }
  out.count_ -= earlier.count_;
  out.sum_ -= earlier.sum_;
  return out;
}

void LatencyHistogram::add(const LatencyHistogram& other) {
  if (other.bounds_ != bounds_) return;
  for (std::size_t i = 0; i < counts_.size() && i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
}

const std::vector<std::string>& request_results() {
  static const std::vector<std::string> k = {"ok", "timeout", "no_responders", "error"};
  return k;
}
const std::vector<std::string>& publish_results() {
  static const std::vector<std::string> k = {"ok", "timeout", "no_stream", "error"};
  return k;
}
const std::vector<std::string>& consumer_info_results() {
  static const std::vector<std::string> k = {"ok", "not_found", "timeout", "error"};
  return k;
}
const std::vector<std::string>& async_error_kinds() {
  static const std::vector<std::string> k = {"slow_consumer", "permission_violation", "other"};
  return k;
}

namespace {

void results(Family& f, const std::string& probe, const std::vector<std::string>& known,
             const std::map<std::string, std::uint64_t>& counts, const char* label) {
  for (const auto& r : known) {
    auto it = counts.find(r);
    f.add(static_cast<double>(it == counts.end() ? 0 : it->second), {{"probe", probe}, {label, r}});
  }
  for (const auto& [r, n] : counts)
    if (std::find(known.begin(), known.end(), r) == known.end())
      f.add(static_cast<double>(n), {{"probe", probe}, {label, r}});
}

void histogram(Family& f, const std::string& probe, const LatencyHistogram& h) {
  f.add_histogram(h.upper_bounds(), h.cumulative(), h.count(), h.sum(), {{"probe", probe}});
}

}  // namespace

void add_probe_metrics(const std::vector<ProbeSnapshot>& probes, MetricSet& out) {
  // Families are looked up by name at each use: a Family& is not kept across declarations because
  // the set's storage may move. They appear in the order first used.
  auto gauge = [&](const char* name, const char* help) -> Family& { return out.gauge(name, help); };
  auto counter = [&](const char* name, const char* help) -> Family& { return out.counter(name, help); };
  auto histogram_family = [&](const char* name, const char* help) -> Family& { return out.histogram(name, help); };

  for (const auto& p : probes) {
    const Labels id = {{"probe", p.name}};
    gauge("nats_probe_connected", "1 when the probe's NATS connection is up, else 0.").add(p.connected ? 1.0 : 0.0, id);
    counter("nats_probe_reconnects_total", "Times the probe's connection was re-established after a disconnect.")
        .add(static_cast<double>(p.reconnects), id);
    counter("nats_probe_disconnects_total", "Times the probe's connection was lost.")
        .add(static_cast<double>(p.disconnects), id);
    results(counter("nats_probe_async_errors_total",
                    "Asynchronous errors reported by the NATS client, by kind (slow_consumer counts once per "
                    "episode)."),
            p.name, async_error_kinds(), p.async_errors, "kind");
    if (p.rtt_seconds)
      gauge("nats_probe_rtt_seconds", "PING/PONG round trip between the probe and its server, sampled every interval.")
          .add(*p.rtt_seconds, id);
    if (p.kind == ProbeKind::request) {
      histogram(histogram_family("nats_probe_request_duration_seconds",
                                 "Latency of the probe's successful requests, from send to reply."),
                p.name, p.request_duration);
      results(counter("nats_probe_requests_total", "Requests the probe sent, by result."), p.name, request_results(),
              p.requests, "result");
    } else if (p.kind == ProbeKind::jetstream_publish) {
      histogram(histogram_family("nats_probe_jetstream_publish_duration_seconds",
                                 "Time from a JetStream publish until its acknowledgement (successful publishes)."),
                p.name, p.publish_duration);
      results(counter("nats_probe_jetstream_publishes_total", "JetStream publishes the probe made, by result."), p.name,
              publish_results(), p.publishes, "result");
    } else {
      results(counter("nats_probe_consumer_info_requests_total",
                      "Consumer info requests of a consumer-watch probe, by result."),
              p.name, consumer_info_results(), p.consumer_info, "result");
      if (p.consumer) {
        const Labels cl = {{"probe", p.name}, {"stream", p.consumer->stream}, {"consumer", p.consumer->consumer}};
        gauge("nats_probe_consumer_pending_messages",
              "Messages of the stream not yet delivered to the watched consumer.")
            .add(static_cast<double>(p.consumer->pending_messages), cl);
        gauge("nats_probe_consumer_ack_pending_messages",
              "Messages delivered to the watched consumer and not yet acknowledged.")
            .add(static_cast<double>(p.consumer->ack_pending_messages), cl);
        gauge("nats_probe_consumer_redelivered_messages",
              "Messages of the watched consumer delivered more than once and not yet acknowledged.")
            .add(static_cast<double>(p.consumer->redelivered_messages), cl);
        gauge("nats_probe_consumer_waiting_pulls", "Pull requests waiting on the watched consumer.")
            .add(static_cast<double>(p.consumer->waiting_pulls), cl);
      }
    }
    for (const auto& s : p.subscriptions) {
      const Labels sl = {{"probe", p.name}, {"subject", s.subject}};
      gauge("nats_probe_subscription_pending_messages",
            "Messages delivered to a probe subscription and not yet handled.")
          .add(static_cast<double>(s.pending.messages), sl);
      gauge("nats_probe_subscription_pending_bytes", "Bytes delivered to a probe subscription and not yet handled.")
          .add(static_cast<double>(s.pending.bytes), sl);
      gauge("nats_probe_subscription_pending_limit_messages",
            "Pending message limit of a probe subscription; past it messages are dropped.")
          .add(static_cast<double>(s.pending_limit.messages), sl);
      gauge("nats_probe_subscription_pending_limit_bytes",
            "Pending byte limit of a probe subscription; past it messages are dropped.")
          .add(static_cast<double>(s.pending_limit.bytes), sl);
      counter("nats_probe_subscription_dropped_messages_total",
              "Messages a probe subscription dropped because its pending limits were reached.")
          .add(static_cast<double>(s.dropped_messages), sl);
    }
    counter("nats_probe_client_in_messages_total", "Messages the probe's client received.")
        .add(static_cast<double>(p.in_messages), id);
    counter("nats_probe_client_out_messages_total", "Messages the probe's client sent.")
        .add(static_cast<double>(p.out_messages), id);
    counter("nats_probe_client_in_bytes_total", "Message bytes the probe's client received.")
        .add(static_cast<double>(p.in_bytes), id);
    counter("nats_probe_client_out_bytes_total", "Message bytes the probe's client sent.")
        .add(static_cast<double>(p.out_bytes), id);
  }
}

}  // namespace natsexp::probe
