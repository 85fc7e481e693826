// What the observation checks (collectors/doctor/observation_checks.h) share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collectors/doctor/check_result.h"
#include "collectors/doctor/check_table.h"
#include "collectors/doctor/observation_checks.h"

namespace natsexp::observations {

using doctor::add_evidence;
using doctor::begin_check;
using doctor::CheckDefinition;
using doctor::CheckResult;
using doctor::conclude;
using doctor::finding;
using doctor::finding_per_line;
using doctor::format_number;
using doctor::format_percent;
using doctor::format_seconds;
using doctor::plural;
using doctor::quoted;
using doctor::skip;
using doctor::Status;

extern const char* const kNoServiceObservation;
extern const char* const kNoJetStreamObservation;

bool has_kind(const std::vector<ObservationSnapshot>& now, ObservationKind kind);
// begin_check for the observations' scope, also skipped (with the reason) when no observation of
// `kind` is configured.
CheckResult begin_observation_check(const CheckDefinition& check, const DoctorConfig& config,
                                    const std::vector<ObservationSnapshot>& now, ObservationKind kind);
// The same observation in `previous`, or null.
const ObservationSnapshot* find_observation(const ObservationBaseline* previous, const ObservationSnapshot& o);
// The samples of `now` since `before` (LatencyHistogram::since), or all of `now` without one.
LatencyHistogram window(const LatencyHistogram& now, const LatencyHistogram* before);
// A counter's rise since `before`; all of `now` after a restart of the observation.
std::uint64_t since(std::uint64_t now, std::optional<std::uint64_t> before);
// "in the last 30s", "since the observation started".
std::string window_text(const ObservationBaseline* previous, double at);
// part / whole, at most 1; 0 without a whole.
double ratio(double part, double whole);

// service-timeouts (504) and service-unavailable (503): the statuses since the previous evaluation.
CheckResult check_service_status(const CheckDefinition& check, const std::vector<ObservationSnapshot>& now,
                                 const ObservationBaseline* previous, double at, const DoctorConfig& config,
                                 int status);
// service-timeouts (504) and service-unavailable (503): the statuses since the previous evaluation.
template <int status>
CheckResult service_status_check(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                                 double at, const DoctorConfig& config, ObservationBaseline&) {
  return check_service_status(status == 504 ? kServiceTimeouts : kServiceUnavailable, now, previous, at, config,
                              status);
}

}  // namespace natsexp::observations
