// service-latency: where the time of real requests goes (NATS or the service).
#include "collectors/doctor/observation_checks.h"

#include <algorithm>

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/observation_helpers.h"

namespace natsexp::observations {

std::string ServiceVerdict::text() const {
  std::string out = quoted(service) + ": p50 " + format_seconds(p50) + ", p99 " + format_seconds(p99) + " over " +
                    format_number(samples) + " requests; NATS share " + format_percent(share_p50) + " at p50, " +
                    format_percent(share_p99) + " at p99: ";
  if (nats)
    out += "NATS is the cause (network or servers: requestor RTT p99 " + format_seconds(requestor_rtt_p99) +
           ", responder RTT p99 " + format_seconds(responder_rtt_p99) + ", system p99 " + format_seconds(system_p99) +
           "; look at RTTs, routes and gateways, and slow consumers)";
  else out += "the service is the cause (its own processing: p99 " + format_seconds(service_p99) + ")";
  return out;
}

std::optional<ServiceVerdict> service_verdict(const std::string& service, const ServiceStats& now,
                                              const ServiceStats* before, std::size_t min_samples, double nats_share) {
  const LatencyHistogram total = window(now.all.total, before ? &before->all.total : nullptr);
  if (total.count() < std::max<std::size_t>(min_samples, 1)) return std::nullopt;
  const LatencyHistogram nats = window(now.all.nats, before ? &before->all.nats : nullptr);
  ServiceVerdict v;
  v.service = service;
  v.samples = static_cast<double>(total.count());
  v.p50 = total.quantile(0.5).value_or(0);
  v.p99 = total.quantile(0.99).value_or(0);
  v.nats_p50 = nats.quantile(0.5).value_or(0);
  v.nats_p99 = nats.quantile(0.99).value_or(0);
  v.share_p50 = ratio(v.nats_p50, v.p50);
  v.share_p99 = ratio(v.nats_p99, v.p99);
  v.service_p99 = window(now.all.service, before ? &before->all.service : nullptr).quantile(0.99).value_or(0);
  v.requestor_rtt_p99 =
      window(now.all.requestor_rtt, before ? &before->all.requestor_rtt : nullptr).quantile(0.99).value_or(0);
  v.responder_rtt_p99 =
      window(now.all.responder_rtt, before ? &before->all.responder_rtt : nullptr).quantile(0.99).value_or(0);
  v.system_p99 = window(now.all.system, before ? &before->all.system : nullptr).quantile(0.99).value_or(0);
  v.nats = v.share_p99 >= nats_share;
  return v;
}

CheckResult check_service_latency(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                                  double at, const DoctorConfig& config) {
  const auto& cfg = config.service_latency;
  CheckResult r = begin_observation_check(kServiceLatency, config, now, ObservationKind::service_latency);
  if (r.status == Status::skipped) return r;
  if (previous && !(previous->at < at)) previous = nullptr;
  std::vector<std::string> slow, fine;
  std::size_t judged = 0, waiting = 0;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::service_latency) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    for (const auto& [service, stats] : o.services) {
      const ServiceStats* prev = nullptr;
      if (before) {
        auto it = before->services.find(service);
        if (it != before->services.end()) prev = &it->second;
      }
      auto v = service_verdict(service, stats, prev, cfg.min_samples, cfg.nats_share);
      if (!v) {
        ++waiting;
        continue;
      }
      ++judged;
      if (v->p99 > cfg.p99_seconds) slow.push_back(v->text() + " (SLO " + format_seconds(cfg.p99_seconds) + ")");
      else fine.push_back(v->text());
    }
  }
  const std::string win = window_text(previous, at);
  if (judged == 0)
    return skip(r, "no service had " + std::to_string(cfg.min_samples) + " successful requests " + win +
                       (waiting ? " (" + std::to_string(waiting) + " seen with fewer)" : ""));
  if (slow.empty()) {
    r.summary = plural(static_cast<double>(judged), "service", "services") + " within the p99 SLO of " +
                format_seconds(cfg.p99_seconds) + " " + win;
    for (std::size_t i = 0; i < fine.size() && i < 3; ++i) r.summary += (i ? "; " : ": ") + fine[i];
    add_evidence(r, fine, config.max_evidence);
    return r;
  }
  add_evidence(r, slow, config.max_evidence);
  finding(r, slow.size(),
          plural(static_cast<double>(slow.size()), "service is", "services are") + " above the p99 SLO of " +
              format_seconds(cfg.p99_seconds) + " " + win + " (of " + std::to_string(judged) + " judged)");
  return r;
}

const CheckDefinition kServiceLatency = {
    doctor::settings_of<&DoctorConfig::service_latency>,
    "Where the time of your services' real requests goes, as the server measured it (service latency "
    "tracking): NATS (the requestor's and the responder's round trips to their servers, and the time "
    "between servers) or the service itself (its processing).",
    "When the verdict is NATS: look at the client RTTs (nats_service_latency_requestor_rtt_seconds and "
    "responder_rtt_seconds; clients far from their server, overloaded client hosts), at routes and "
    "gateways (system time: the request crosses servers or clusters), and at slow consumers on the path. "
    "When the verdict is the service: the responder's own processing is the time; profile the handler, "
    "add instances to its queue group, and check what it waits for (databases, other services).",
    nullptr,
    nullptr,
    stateless<check_service_latency>,
};

}  // namespace natsexp::observations
