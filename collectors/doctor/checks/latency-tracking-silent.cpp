// latency-tracking-silent: a service-latency observation that never received a message.
#include "collectors/doctor/observation_checks.h"

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/observation_helpers.h"

namespace natsexp::observations {

CheckResult check_latency_tracking_silent(const std::vector<ObservationSnapshot>& now,
                                          const ObservationBaseline* previous, double at, const DoctorConfig& config) {
  CheckResult r = begin_observation_check(kLatencyTrackingSilent, config, now, ObservationKind::service_latency);
  if (r.status == Status::skipped) return r;
  if (!previous || !(previous->at < at))
    return skip(r, "needs a previous evaluation (the observations need time to see traffic)");
  std::vector<std::string> lines;
  std::size_t judged = 0;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::service_latency) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    // Connected now and at the previous evaluation: it had the whole window to see something.
    if (!o.connected || !before || !before->connected) continue;
    ++judged;
    if (o.messages == 0)
      lines.push_back("observation " + quoted(o.name) + " on " + quoted(o.subject) +
                      ": connected, no latency message received since it started");
  }
  if (judged == 0) return skip(r, "no service-latency observation was connected at two evaluations");
  return conclude(
      std::move(r), lines, config.max_evidence,
      plural(static_cast<double>(judged), "observation receives", "observations receive") + " latency messages",
      "observation has", "observations have", " received no latency message");
}

const CheckDefinition kLatencyTrackingSilent = {
    doctor::settings_of<&DoctorConfig::latency_tracking_silent>,
    "An observation subscribes to service latency messages but none has arrived, so the verdict cannot "
    "be given.",
    "The server publishes a latency message only for requests that cross an account boundary: a request "
    "made inside the exporting account produces nothing. Check that the export has latency: {sampling, "
    "subject} and the subject matches the observation's, that the callers import the service (with "
    "share: true for the requestor's details), that the observation connects as a user of the exporting "
    "account, and that sampling is not `headers` without traceparent/B3/Uber-Trace-Id headers on the "
    "requests. See docs/observations.md.",
    nullptr,
    nullptr,
    stateless<check_latency_tracking_silent>,
};

}  // namespace natsexp::observations
