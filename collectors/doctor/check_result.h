// What every doctor check produces (a CheckResult), what defines a check (a CheckDefinition: its
// entry in the config, its title and remedy, and its function for servers, probes or
// observations), and the few helpers every check uses to build its result.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "collectors/doctor/format.h"
#include "collectors/probe/snapshot.h"
#include "config/doctor_config.h"

namespace natsexp::observations {
struct ObservationSnapshot;
struct ObservationBaseline;
}  // namespace natsexp::observations

namespace natsexp::doctor {

struct ServerEvidence;
struct ServerBaseline;
struct ProbeBaseline;

enum class Status { passed, finding, skipped };

// "passed", "finding", "skipped".
const char* status_name(Status status);

struct CheckResult {
  std::string id;  // one of doctor_check_ids()
  DoctorSeverity severity = DoctorSeverity::warning;
  Status status = Status::passed;
  std::string scope;                  // what was examined: "server n1", "probes", "cluster C1"
  std::string title;                  // the pitfall, in one line (the same for every result of this check)
  std::string summary;                // this result in one line, with its numbers
  std::vector<std::string> evidence;  // which clients, subjects, consumers, settings, with numbers
  std::string remedy;                 // what to change, in the client or in the server config
  std::size_t affected = 0;           // affected objects; 0 unless status is finding
};

// The three shapes of check. A check that needs no baseline ignores it.
using ServerCheck = CheckResult (*)(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                    const DoctorConfig& config);
using ProbeCheck = CheckResult (*)(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                   double at, const DoctorConfig& config);
// `next` is the baseline the evaluation keeps: a check may record what the next one compares with.
using ObservationCheck = CheckResult (*)(const std::vector<observations::ObservationSnapshot>& now,
                                         const observations::ObservationBaseline* previous, double at,
                                         const DoctorConfig& config, observations::ObservationBaseline& next);

// One check: each lives in a file of its own (collectors/doctor/checks/<id>.cpp) and is listed in
// check_table.cpp.
struct CheckDefinition {
  // Its entry in the config (settings_of<&DoctorConfig::weak_tls>): the config's table of checks
  // (config/doctor_config.cpp) names it, so the id is written once, there (check_id()).
  const DoctorCheckSettings& (*settings)(const DoctorConfig& config);
  const char* title;   // the pitfall, in one line
  const char* remedy;  // what to change
  // What it examines; a check may look at servers and at probes (reconnect-storm).
  ServerCheck server;
  ProbeCheck probes;
  ObservationCheck observations;
};

template <auto Member>
const DoctorCheckSettings& settings_of(const DoctorConfig& config) {
  return config.*Member;
}

// The id of `check`: the config's name of its settings. Throws std::logic_error for a check whose
// settings the config does not list (a unit test keeps that from happening).
const std::string& check_id(const CheckDefinition& check);

// A result of `check` with its configured severity, title and remedy; skipped when the config
// disables it.
CheckResult begin_check(const CheckDefinition& check, const DoctorConfig& config, std::string scope);
CheckResult skip(CheckResult r, std::string why);
void finding(CheckResult& r, std::size_t affected, std::string summary);
// Adds at most `max` of `lines`, then "... and N more".
void add_evidence(CheckResult& r, const std::vector<std::string>& lines, std::size_t max);
// add_evidence(lines), then a finding of one affected per line: "<N> <one|many><rest>".
void finding_per_line(CheckResult& r, const std::vector<std::string>& lines, std::size_t max, const char* one,
                      const char* many, const std::string& rest);
// How a check that lists one line per affected item ends: `all_clear` as the summary when there is no
// line, else finding_per_line.
CheckResult conclude(CheckResult r, const std::vector<std::string>& lines, std::size_t max, std::string all_clear,
                     const char* one, const char* many, const std::string& rest);
std::string quoted(const std::string& s);
// "1 message", "3 messages".
std::string plural(double n, const char* one, const char* many);

}  // namespace natsexp::doctor
