// The latency doctor's ten checks. Each is a pure function from evidence (and, for the growth
// checks, the previous evaluation of the same server or probes) and the thresholds of the config to
// a CheckResult: passed, a finding (with its evidence and remedy), or skipped (disabled, or the
// evidence it needs is missing).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collectors/doctor/evidence.h"
#include "collectors/probe/snapshot.h"
#include "config/doctor_config.h"

namespace natsexp::doctor {

enum class Status { passed, finding, skipped };

// "passed", "finding", "skipped".
const char* status_name(Status status);

struct CheckResult {
  std::string id;  // one of doctor_check_ids()
  DoctorSeverity severity = DoctorSeverity::warning;
  Status status = Status::passed;
  std::string scope;    // what was examined: "server n1", "probes", "cluster C1"
  std::string title;    // the pitfall, in one line (the same for every result of this check)
  std::string summary;  // this result in one line, with its numbers
  std::vector<std::string> evidence;  // which clients, subjects, consumers, settings, with numbers
  std::string remedy;   // what to change, in the client or in the server config
  std::size_t affected = 0;  // affected objects; 0 unless status is finding
};

// What the growth checks keep of one server's evaluation.
struct ServerBaseline {
  double at = 0;  // when it was evaluated, in seconds on a monotonic clock
  std::string server_id;
  std::optional<double> start;  // varz start: a change means a restart (counters reset)
  std::optional<double> slow_consumers, total_connections, connections;
  struct Consumer {
    std::optional<double> num_pending, num_redelivered;
  };
  std::map<std::string, Consumer> consumers;  // by consumer_key()
};
ServerBaseline baseline_of(const ServerEvidence& evidence, double at);
std::string consumer_key(const ConsumerEvidence& c);

// What the probe checks keep of an evaluation.
struct ProbeBaseline {
  double at = 0;
  std::vector<probe::ProbeSnapshot> probes;
};

// --- the checks -------------------------------------------------------------------------------

// Across `servers`: connections are grouped by (cluster, or server when it has none; account;
// client name; subject), so instances spread over the nodes of one cluster are found together.
CheckResult check_missing_queue_group(const std::vector<const ServerEvidence*>& servers, const DoctorConfig& config);
CheckResult check_slow_consumers(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                 const DoctorConfig& config);
CheckResult check_pending_near_limit(const ServerEvidence& now, const DoctorConfig& config);
CheckResult check_consumer_backlog(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                   const DoctorConfig& config);
CheckResult check_wildcard_interest(const ServerEvidence& now, const DoctorConfig& config);
CheckResult check_high_client_rtt(const ServerEvidence& now, const DoctorConfig& config);
CheckResult check_weak_tls(const ServerEvidence& now, const DoctorConfig& config);
// Server side of reconnect-storm: connection churn since the previous evaluation.
CheckResult check_connection_churn(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                   const DoctorConfig& config);
CheckResult check_server_limits(const ServerEvidence& now, const DoctorConfig& config);
// sample_freq on a consumer whose ack_policy is not explicit (it never publishes ack samples).
CheckResult check_ack_sampling_ignored(const ServerEvidence& now, const DoctorConfig& config);

CheckResult check_probe_slow_or_failing(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                        double at, const DoctorConfig& config);
// Probe side of reconnect-storm: the probes' reconnects since the previous evaluation.
CheckResult check_probe_reconnects(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                   double at, const DoctorConfig& config);

// Every server check (all but the probe and observation checks) in doctor_check_ids() order, for one server.
// `previous` is ignored when it is of another server_id, of an earlier start of the server, or
// not older than `at`.
std::vector<CheckResult> evaluate_server(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                         const DoctorConfig& config);
// probe-slow-or-failing and the probe side of reconnect-storm.
std::vector<CheckResult> evaluate_probes(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                         double at, const DoctorConfig& config);

// --- helpers shared with the report ------------------------------------------------------------

// The value below which `q` of the observations fall, interpolated in its bucket as Prometheus'
// histogram_quantile does, from per-bucket upper bounds and cumulative counts (without +Inf) and
// the total count. nullopt when the total is 0. An answer in the +Inf bucket is the highest bound.
std::optional<double> bucket_quantile(double q, const std::vector<double>& upper_bounds,
                                      const std::vector<double>& cumulative, double total);

// "415µs", "2.77ms", "1.5s", "3m20s".
std::string format_seconds(double seconds);
// "544942 B (532.2 KiB)".
std::string format_bytes(double bytes);
// "12.5%".
std::string format_percent(double ratio);
// A number without a needless fraction: "3", "2.5".
std::string format_number(double value);

// Building a CheckResult, shared by every family of checks (server, probe, observation): each keeps
// its own table of titles and remedies and passes the entry in.
// A result for check `id` with its configured severity, `title` and `remedy`; skipped when the
// config disables it.
CheckResult begin_check(const std::string& id, const DoctorConfig& config, std::string scope, const char* title,
                        const char* remedy);
CheckResult skip(CheckResult r, std::string why);
void finding(CheckResult& r, std::size_t affected, std::string summary);
// Adds at most `max` of `lines`, then "... and N more".
void add_evidence(CheckResult& r, const std::vector<std::string>& lines, std::size_t max);
std::string quoted(const std::string& s);
// "1 message", "3 messages".
std::string plural(double n, const char* one, const char* many);

}  // namespace natsexp::doctor
