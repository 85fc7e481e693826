#include "collectors/doctor/checks/observation_helpers.h"

#include <algorithm>

namespace natsexp::observations {

const char* const kNoServiceObservation =
    "no service-latency observation is configured (observations: in the config file)";
const char* const kNoJetStreamObservation =
    "no jetstream-events observation is configured (observations: in the config file)";

bool has_kind(const std::vector<ObservationSnapshot>& now, ObservationKind kind) {
  return std::any_of(now.begin(), now.end(), [kind](const ObservationSnapshot& o) { return o.kind == kind; });
}

CheckResult begin_observation_check(const CheckDefinition& check, const DoctorConfig& config,
                                    const std::vector<ObservationSnapshot>& now, ObservationKind kind) {
  CheckResult r = begin_check(check, config, "observations");
  if (r.status == Status::skipped || has_kind(now, kind)) return r;
  return skip(r, kind == ObservationKind::service_latency ? kNoServiceObservation : kNoJetStreamObservation);
}

const ObservationSnapshot* find_observation(const ObservationBaseline* previous, const ObservationSnapshot& o) {
  if (!previous) return nullptr;
  for (const auto& p : previous->observations)
    if (p.name == o.name && p.kind == o.kind) return &p;
  return nullptr;
}

LatencyHistogram window(const LatencyHistogram& now, const LatencyHistogram* before) {
  return before ? now.since(*before) : now;
}

std::uint64_t since(std::uint64_t now, std::optional<std::uint64_t> before) {
  if (!before || *before > now) return now;  // a restarted observation starts from 0
  return now - *before;
}

std::string window_text(const ObservationBaseline* previous, double at) {
  return previous ? "in the last " + format_seconds(at - previous->at) : "since the observation started";
}

double ratio(double part, double whole) { return whole > 0 ? std::min(1.0, part / whole) : 0.0; }

CheckResult check_service_status(const CheckDefinition& check, const std::vector<ObservationSnapshot>& now,
                                 const ObservationBaseline* previous, double at, const DoctorConfig& config,
                                 int status) {
  const bool timeouts = status == 504;
  CheckResult r = begin_observation_check(check, config, now, ObservationKind::service_latency);
  if (r.status == Status::skipped) return r;
  if (previous && !(previous->at < at)) previous = nullptr;
  const double min_count = timeouts ? config.service_timeouts.min_count : config.service_unavailable.min_count;
  const std::string win = window_text(previous, at);
  std::vector<std::string> lines;
  std::size_t services = 0;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::service_latency) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    for (const auto& [service, stats] : o.services) {
      ++services;
      auto it = stats.statuses.find(status);
      const std::uint64_t n = it == stats.statuses.end() ? 0 : it->second;
      std::optional<std::uint64_t> was;
      if (before) {
        auto bs = before->services.find(service);
        if (bs != before->services.end()) {
          auto bt = bs->second.statuses.find(status);
          was = bt == bs->second.statuses.end() ? 0 : bt->second;
        }
      }
      const double d = static_cast<double>(since(n, was));
      if (d >= min_count && d > 0)
        lines.push_back(quoted(service) + ": " + format_number(d) + " " +
                        (timeouts ? "replies too late (504)" : "requests without a responder (503)") + " " + win);
    }
  }
  if (lines.empty()) {
    r.summary = "no " + std::string(timeouts ? "504" : "503") + " " + win + " (" +
                plural(static_cast<double>(services), "service", "services") + " seen)";
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "service", "services") +
              (timeouts ? " dropped late replies (504)" : " had no responder (503)") + " " + win);
  return r;
}

}  // namespace natsexp::observations
