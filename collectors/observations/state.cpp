#include "collectors/observations/state.h"

#include <algorithm>

namespace natsexp::observations {

LatencyParts::LatencyParts(const std::vector<double>& bounds)
    : total(bounds), service(bounds), system(bounds), requestor_rtt(bounds), responder_rtt(bounds), nats(bounds) {}

void LatencyParts::observe(const ServiceLatencySample& s) {
  total.observe(s.total);
  service.observe(s.service);
  system.observe(s.system);
  if (s.has_requestor_rtt) requestor_rtt.observe(s.requestor_rtt);
  if (s.has_responder_rtt) responder_rtt.observe(s.responder_rtt);
  nats.observe(s.requestor_rtt + s.responder_rtt + s.system);
}

const std::vector<int>& known_statuses() {
  static const std::vector<int> k = {200, 400, 408, 503, 504};
  return k;
}

const std::vector<double>& delivery_buckets() {
  static const std::vector<double> k = {1, 2, 3, 5, 10, 20};
  return k;
}

ObservationState::ObservationState(const ObservationConfig& config)
    : buckets_(config.buckets),
      max_services_(config.max_services),
      max_responders_(config.max_responders),
      max_consumers_(config.max_consumers) {
  snap_.name = config.name;
  snap_.kind = config.kind;
  snap_.subject = config.subject;
}

ServiceStats& ObservationState::service(const std::string& name) {
  auto it = snap_.services.find(name);
  if (it != snap_.services.end()) return it->second;
  // "other" is one more value past the bound, not one of the bound.
  const std::size_t named = snap_.services.size() - (snap_.services.count(kOther) ? 1 : 0);
  const std::string key = named < max_services_ ? name : kOther;
  auto [pos, fresh] = snap_.services.try_emplace(key);
  if (fresh) pos->second.all = LatencyParts(buckets_);
  return pos->second;
}

ConsumerStats& ObservationState::consumer(const std::string& stream, const std::string& name) {
  auto it = snap_.consumers.find({stream, name});
  if (it != snap_.consumers.end()) return it->second;
  const std::pair<std::string, std::string> other{kOther, kOther};
  const std::size_t named = snap_.consumers.size() - (snap_.consumers.count(other) ? 1 : 0);
  auto key = named < max_consumers_ ? std::make_pair(stream, name) : other;
  auto [pos, fresh] = snap_.consumers.try_emplace(key);
  if (fresh) {
    pos->second.ack_time = LatencyHistogram(buckets_);
    pos->second.deliveries = LatencyHistogram(delivery_buckets());
  }
  return pos->second;
}

void ObservationState::add(const ServiceLatencySample& sample) {
  ++snap_.messages;
  ServiceStats& s = service(sample.subject);
  ++s.statuses[sample.status];
  // Failures (400, 408, 503, 504) carry zeros for the parts: counting them would pull every
  // quantile towards 0, so they are only counted by status.
  if (sample.status != 200) return;
  const std::string responder = sample.responder.empty() ? "unnamed" : sample.responder;
  auto it = s.by_responder.find(responder);
  if (it == s.by_responder.end()) {
    const std::size_t named = s.by_responder.size() - (s.by_responder.count(kOther) ? 1 : 0);
    const std::string key = named < max_responders_ ? responder : kOther;
    it = s.by_responder.try_emplace(key, LatencyParts(buckets_)).first;
  }
  it->second.observe(sample);
  s.all.observe(sample);
}

void ObservationState::add(const JetStreamEvent& e) {
  ++snap_.messages;
  if (e.kind != JetStreamEventKind::ack_sample) ++snap_.advisories[event_kind_name(e.kind)];
  switch (e.kind) {
    case JetStreamEventKind::ack_sample: {
      ConsumerStats& c = consumer(e.stream, e.consumer);
      c.ack_time.observe(e.ack_time);
      c.deliveries.observe(static_cast<double>(e.deliveries));
      break;
    }
    case JetStreamEventKind::max_deliveries: ++consumer(e.stream, e.consumer).max_deliveries; break;
    case JetStreamEventKind::nak: ++consumer(e.stream, e.consumer).naks; break;
    case JetStreamEventKind::terminated: ++consumer(e.stream, e.consumer).terminations; break;
    case JetStreamEventKind::api_audit:
      ++snap_.api_requests;
      if (e.api_error) ++snap_.api_errors[e.api];
      break;
    case JetStreamEventKind::leader_elected: ++snap_.leader_elections[e.target]; break;
    case JetStreamEventKind::quorum_lost: ++snap_.quorum_losses[e.target]; break;
    case JetStreamEventKind::other_known: break;
    case JetStreamEventKind::unknown: ++snap_.unknown_advisories; break;
  }
}

namespace {

// A counter family per row, one sample each from a count of `from`.
template <typename T>
struct Count {
  const char* name;
  const char* help;
  std::uint64_t T::*field;
};
template <typename T>
void add_counts(MetricSet& out, const T& from, const Labels& labels, std::initializer_list<Count<T>> rows) {
  for (const auto& r : rows) out.counter(r.name, r.help).add(static_cast<double>(from.*r.field), labels);
}

}  // namespace

void add_observation_metrics(const std::vector<ObservationSnapshot>& observations, MetricSet& out) {
  auto hist = [&](const char* name, const char* help, const LatencyHistogram& h, const Labels& labels) {
    out.histogram(name, help).add_histogram(h.upper_bounds(), h.cumulative(), h.count(), h.sum(), labels);
  };
  for (const auto& o : observations) {
    const Labels id = {{"observation", o.name}};
    out.gauge("nats_observation_connected", "1 when the observation's NATS connection is up, else 0.")
        .add(o.connected ? 1.0 : 0.0, id);
    add_counts<ObservationSnapshot>(
        out, o, id,
        {{"nats_observation_reconnects_total",
          "Times the observation's connection was re-established after a disconnect.",
          &ObservationSnapshot::reconnects},
         {"nats_observation_disconnects_total", "Times the observation's connection was lost.",
          &ObservationSnapshot::disconnects},
         {"nats_observation_messages_total", "Messages the observation received and parsed.",
          &ObservationSnapshot::messages},
         {"nats_observation_parse_errors_total",
          "Messages the observation received but could not parse (not JSON, or missing what their kind needs).",
          &ObservationSnapshot::parse_errors}});

    if (o.kind == ObservationKind::service_latency) {
      for (const auto& [service, s] : o.services) {
        for (int status : known_statuses()) {
          auto it = s.statuses.find(status);
          out.counter("nats_service_latency_messages_total",
                      "Service latency messages by status (200 ok, 400 bad request, 408 requestor gone, 503 no "
                      "responder, 504 reply later than the export threshold).")
              .add(static_cast<double>(it == s.statuses.end() ? 0 : it->second),
                   {{"observation", o.name}, {"service", service}, {"status", std::to_string(status)}});
        }
        for (const auto& [status, n] : s.statuses)
          if (std::find(known_statuses().begin(), known_statuses().end(), status) == known_statuses().end())
            out.counter("nats_service_latency_messages_total", "")
                .add(static_cast<double>(n),
                     {{"observation", o.name}, {"service", service}, {"status", std::to_string(status)}});
        for (const auto& [responder, p] : s.by_responder) {
          const Labels l = {{"observation", o.name}, {"service", service}, {"responder", responder}};
          hist("nats_service_latency_seconds",
               "Total latency of successful (status 200) requests as the server measured it: requestor RTT + "
               "responder RTT + service + system.",
               p.total, l);
          hist("nats_service_latency_service_seconds", "The responder's processing time of successful requests.",
               p.service, l);
          hist("nats_service_latency_system_seconds",
               "NATS-internal time of successful requests between servers (routes, gateways).", p.system, l);
          hist("nats_service_latency_requestor_rtt_seconds",
               "Round trip between the requestor and its server, at the time of the request.", p.requestor_rtt, l);
          hist("nats_service_latency_responder_rtt_seconds",
               "Round trip between the responder and its server, at the time of the request.", p.responder_rtt, l);
          hist("nats_service_latency_nats_seconds",
               "The NATS part of successful requests: requestor RTT + responder RTT + system.", p.nats, l);
        }
      }
    } else {
      out.counter("nats_jetstream_api_audit_requests_total", "JetStream API requests seen in API audit advisories.")
          .add(static_cast<double>(o.api_requests), id);
      for (const auto& [api, n] : o.api_errors)
        out.counter("nats_jetstream_api_audit_errors_total",
                    "JetStream API requests answered with an error, by API subject (names folded to *).")
            .add(static_cast<double>(n), {{"observation", o.name}, {"api", api}});
      for (const char* kind :
           {"api", "max_deliveries", "nak", "terminated", "leader_elected", "quorum_lost", "other", "unknown"}) {
        auto it = o.advisories.find(kind);
        out.counter("nats_jetstream_advisories_total", "JetStream advisories received, by kind.")
            .add(static_cast<double>(it == o.advisories.end() ? 0 : it->second),
                 {{"observation", o.name}, {"kind", kind}});
      }
      for (const char* target : {"stream", "consumer"}) {
        auto le = o.leader_elections.find(target);
        auto ql = o.quorum_losses.find(target);
        const Labels tl = {{"observation", o.name}, {"target", target}};
        out.counter("nats_jetstream_leader_elections_total", "Stream and consumer leader elections.")
            .add(static_cast<double>(le == o.leader_elections.end() ? 0 : le->second), tl);
        out.counter("nats_jetstream_quorum_losses_total", "Streams and consumers that lost their quorum.")
            .add(static_cast<double>(ql == o.quorum_losses.end() ? 0 : ql->second), tl);
      }
      out.counter("nats_jetstream_unknown_advisories_total",
                  "Advisories of a type this exporter does not know (a newer server); counted, not rejected.")
          .add(static_cast<double>(o.unknown_advisories), id);
      for (const auto& [key, c] : o.consumers) {
        const Labels l = {{"observation", o.name}, {"stream", key.first}, {"consumer", key.second}};
        if (c.ack_time.count() > 0) {
          hist("nats_jetstream_ack_time_seconds",
               "Time from a message's latest delivery to its ack, for the messages sampled by the consumer's "
               "sample_freq.",
               c.ack_time, l);
          hist("nats_jetstream_ack_deliveries", "Deliveries the sampled messages needed before their ack.",
               c.deliveries, l);
        }
        add_counts<ConsumerStats>(
            out, c, l,
            {{"nats_jetstream_max_deliveries_exceeded_total",
              "Messages that reached the consumer's max_deliver without an ack.", &ConsumerStats::max_deliveries},
             {"nats_jetstream_naks_total", "Messages the consumer's clients negatively acknowledged (NAK).",
              &ConsumerStats::naks},
             {"nats_jetstream_terminations_total", "Messages the consumer's clients terminated (AckTerm).",
              &ConsumerStats::terminations}});
      }
    }
  }
}

}  // namespace natsexp::observations
