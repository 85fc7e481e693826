// The doctor's observation checks: pure functions from the observations' snapshots (and the previous
// evaluation's) to CheckResults, like the probe checks (collectors/doctor/checks.h). Each lives in
// collectors/doctor/checks/<id>.cpp and is listed in collectors/doctor/check_table.cpp.
//
// - service-latency: per service with enough status-200 requests since the previous evaluation,
//   where the time goes. NATS share = (requestor RTT + responder RTT + system) / total, at p50 and
//   p99, each the quantile of the NATS-part histogram over the quantile of the total histogram
//   (LatencyHistogram::since the previous evaluation). The verdict names NATS when
//   the p99 share is at or above doctor.checks.service-latency.nats_share, else the service. A
//   finding when a service's p99 is above the SLO.
// - latency-tracking-silent: a service-latency observation is connected and has seen no message.
// - service-timeouts (504), service-unavailable (503): statuses since the previous evaluation.
// - max-deliveries-exceeded: MAX_DELIVERIES advisories since the previous evaluation.
// - ack-time-rising: a consumer's ack time p99 in this window is `factor` times the previous
//   window's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collectors/doctor/checks.h"
#include "collectors/observations/state.h"
#include "config/doctor_config.h"

namespace natsexp::observations {

struct ObservationBaseline {
  double at = 0;
  std::vector<ObservationSnapshot> observations;
  // The ack time p99 of each consumer ("observation\nstream\nconsumer") in the window that ended at `at`.
  std::map<std::string, double> ack_p99;
};

// Where a service's time went in one window.
struct ServiceVerdict {
  std::string service;
  double samples = 0;
  double p50 = 0, p99 = 0;              // total
  double nats_p50 = 0, nats_p99 = 0;    // requestor RTT + responder RTT + system
  double share_p50 = 0, share_p99 = 0;  // NATS share, 0..1
  double service_p99 = 0, requestor_rtt_p99 = 0, responder_rtt_p99 = 0, system_p99 = 0;
  bool nats = false;  // the verdict: NATS (true) or the service
  std::string text() const;
};

// The verdict of `now` compared with `before` (the same service at the previous evaluation, or
// null); nullopt with fewer than `min_samples` status-200 requests in between.
std::optional<ServiceVerdict> service_verdict(const std::string& service, const ServiceStats& now,
                                              const ServiceStats* before, std::size_t min_samples, double nats_share);

// A check that keeps no state of its own, as a CheckDefinition's `observations` entry.
template <doctor::CheckResult (*check)(const std::vector<ObservationSnapshot>&, const ObservationBaseline*, double,
                                       const DoctorConfig&)>
doctor::CheckResult stateless(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                              double at, const DoctorConfig& config, ObservationBaseline&) {
  return check(now, previous, at, config);
}

doctor::CheckResult check_service_latency(const std::vector<ObservationSnapshot>& now,
                                          const ObservationBaseline* previous, double at, const DoctorConfig& config);
doctor::CheckResult check_latency_tracking_silent(const std::vector<ObservationSnapshot>& now,
                                                  const ObservationBaseline* previous, double at,
                                                  const DoctorConfig& config);
doctor::CheckResult check_max_deliveries_exceeded(const std::vector<ObservationSnapshot>& now,
                                                  const ObservationBaseline* previous, double at,
                                                  const DoctorConfig& config);
// Fills `window_p99` with this window's p99 per consumer, for the next evaluation.
doctor::CheckResult check_ack_time_rising(const std::vector<ObservationSnapshot>& now,
                                          const ObservationBaseline* previous, double at, const DoctorConfig& config,
                                          std::map<std::string, double>& window_p99);

// Every observation check, in doctor_check_ids() order (check_table.cpp); `next` receives the
// baseline to keep.
std::vector<doctor::CheckResult> evaluate_observations(const std::vector<ObservationSnapshot>& now,
                                                       const ObservationBaseline* previous, double at,
                                                       const DoctorConfig& config, ObservationBaseline& next);

}  // namespace natsexp::observations
