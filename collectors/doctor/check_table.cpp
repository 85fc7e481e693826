#include "collectors/doctor/check_table.h"

#include <cstdio>
#include <stdexcept>

#include "collectors/doctor/checks.h"
#include "collectors/doctor/checks/helpers.h"
#include "collectors/doctor/observation_checks.h"

namespace natsexp::doctor {

namespace {

// The one list of checks. Adding one: its settings in config/doctor_config, its file in
// collectors/doctor/checks/, a line here.
const CheckDefinition* const kChecks[] = {
    &kMissingQueueGroup,
    &kSlowConsumers,
    &kPendingNearLimit,
    &kConsumerBacklogGrowing,
    &kWildcardHeavyInterest,
    &kHighClientRtt,
    &kWeakTls,
    &kProbeSlowOrFailing,
    &kReconnectStorm,
    &kServerLimits,
    &kAckSamplingIgnored,
    &observations::kServiceLatency,
    &observations::kLatencyTrackingSilent,
    &observations::kServiceTimeouts,
    &observations::kServiceUnavailable,
    &observations::kMaxDeliveriesExceeded,
    &observations::kAckTimeRising,
};

}  // namespace

const std::vector<CheckEntry>& doctor_checks() {
  static const std::vector<CheckEntry> entries = [] {
    std::vector<CheckEntry> v;
    for (const auto& id : doctor_check_ids()) {
      const CheckDefinition* found = nullptr;
      for (const CheckDefinition* c : kChecks)
        if (check_id(*c) == id) found = c;
      if (!found) throw std::logic_error("the doctor has no check " + id);
      v.push_back({id, *found});
    }
    return v;
  }();
  return entries;
}

bool is_connection_check(const std::string& id) {
  // wildcard-heavy-interest reads /subsz too, which moves at every scrape: it is evaluated every
  // time (its pass over the subscriptions allocates nothing per subscription).
  static const CheckDefinition* const kConnectionChecks[] = {&kMissingQueueGroup, &kPendingNearLimit, &kHighClientRtt,
                                                             &kWeakTls, &kServerLimits};
  for (const CheckDefinition* c : kConnectionChecks)
    if (check_id(*c) == id) return true;
  return false;
}

std::string connection_check_inputs(const ServerEvidence& now) {
  auto number = [](const std::optional<double>& v) {
    if (!v) return std::string("-");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *v);  // exact: equal text, equal value
    return std::string(buf);
  };
  const VarzEvidence& v = now.varz;
  std::string key;
  for (const std::string* part : {&now.target, &v.server_id, &v.server_name, &v.cluster}) key += *part + '\0';
  key += number(v.max_pending) + '\0' + number(v.max_payload) + '\0' + number(v.write_deadline);
  return key;
}

std::vector<CheckResult> evaluate_server(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                         const DoctorConfig& config, const std::map<std::string, CheckResult>& reuse) {
  if (!usable(now, previous, at)) previous = nullptr;
  std::vector<CheckResult> out;
  for (const auto& e : doctor_checks()) {
    if (!e.check.server) continue;
    auto kept = reuse.find(e.id);
    if (kept != reuse.end() && is_connection_check(e.id)) out.push_back(kept->second);
    else out.push_back(e.check.server(now, previous, at, config));
  }
  return out;
}

std::vector<CheckResult> evaluate_server(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                         const DoctorConfig& config) {
  return evaluate_server(now, previous, at, config, {});
}

std::vector<CheckResult> evaluate_probes(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                         double at, const DoctorConfig& config) {
  std::vector<CheckResult> out;
  for (const auto& e : doctor_checks())
    if (e.check.probes) out.push_back(e.check.probes(now, previous, at, config));
  return out;
}

}  // namespace natsexp::doctor

namespace natsexp::observations {

std::vector<doctor::CheckResult> evaluate_observations(const std::vector<ObservationSnapshot>& now,
                                                       const ObservationBaseline* previous, double at,
                                                       const DoctorConfig& config, ObservationBaseline& next) {
  next = ObservationBaseline{};
  next.at = at;
  next.observations = now;
  std::vector<doctor::CheckResult> out;
  for (const auto& e : doctor::doctor_checks())
    if (e.check.observations) out.push_back(e.check.observations(now, previous, at, config, next));
  return out;
}

}  // namespace natsexp::observations
