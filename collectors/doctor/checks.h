// The latency doctor's server and probe checks. Each is a pure function from evidence (and, for the
// growth checks, the previous evaluation of the same server or probes) and the thresholds of the
// config to a CheckResult: passed, a finding (with its evidence and remedy), or skipped (disabled,
// or the evidence it needs is missing). Each lives in collectors/doctor/checks/<id>.cpp and is
// named after its id; check_table.h lists them all.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "collectors/doctor/check_result.h"
#include "collectors/doctor/evidence.h"
#include "collectors/probe/snapshot.h"
#include "config/doctor_config.h"

namespace natsexp::doctor {

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
// "account > stream > consumer", the consumer's labels on the jsz metrics.
std::string consumer_key(const ConsumerEvidence& c);

// What the probe checks keep of an evaluation.
struct ProbeBaseline {
  double at = 0;
  std::vector<probe::ProbeSnapshot> probes;
};

// Across `servers`: connections are grouped by (cluster, or server when it has none; account;
// client name; subject), so instances spread over the nodes of one cluster are found together.
CheckResult check_missing_queue_group(const std::vector<const ServerEvidence*>& servers, const DoctorConfig& config);
CheckResult check_slow_consumers(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                 const DoctorConfig& config);
CheckResult check_pending_near_limit(const ServerEvidence& now, const DoctorConfig& config);
CheckResult check_consumer_backlog_growing(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                           const DoctorConfig& config);
CheckResult check_wildcard_heavy_interest(const ServerEvidence& now, const DoctorConfig& config);
CheckResult check_high_client_rtt(const ServerEvidence& now, const DoctorConfig& config);
CheckResult check_weak_tls(const ServerEvidence& now, const DoctorConfig& config);
// The server side of reconnect-storm: connection churn since the previous evaluation.
CheckResult check_reconnect_storm(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                  const DoctorConfig& config);
CheckResult check_server_limits(const ServerEvidence& now, const DoctorConfig& config);
// sample_freq on a consumer whose ack_policy is not explicit (it never publishes ack samples).
CheckResult check_ack_sampling_ignored(const ServerEvidence& now, const DoctorConfig& config);

CheckResult check_probe_slow_or_failing(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                        double at, const DoctorConfig& config);
// The probe side of reconnect-storm: the probes' reconnects since the previous evaluation.
CheckResult check_reconnect_storm_probes(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                         double at, const DoctorConfig& config);

// Every server check, in doctor_check_ids() order, for one server. `previous` is ignored when it
// is of another server_id, of an earlier start of the server, or not older than `at`.
std::vector<CheckResult> evaluate_server(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                         const DoctorConfig& config);

// The connection checks: the server checks that read the open connections and, besides them, only
// what connection_check_inputs() lists (never a baseline). Their results change only when the full
// read, the config or those inputs do, so a Doctor computes them once per full read and reuses them
// in the scrapes between reads (a full read can hold tens of thousands of connections).
bool is_connection_check(const std::string& id);
// What the connection checks read besides the open connections and the config (the server's names,
// the target, its limits), as a key: equal keys, equal inputs.
std::string connection_check_inputs(const ServerEvidence& now);
// evaluate_server, with each connection check's result taken from `reuse` (by id) when it has one.
std::vector<CheckResult> evaluate_server(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                         const DoctorConfig& config, const std::map<std::string, CheckResult>& reuse);
// Every probe check (probe-slow-or-failing, the probe side of reconnect-storm).
std::vector<CheckResult> evaluate_probes(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                         double at, const DoctorConfig& config);

}  // namespace natsexp::doctor
