// The latency doctor's configuration: the `doctor:` section of the config file.
//
//   doctor:
//     interval: 5s                       # CLI: time between its two collections (0s: collect once)
//     checks:
//       pending-near-limit:
//         severity: critical             # warning | critical
//         ratio: 0.5                     # the threshold(s) of this check
//       weak-tls:
//         enabled: false
//
// Every key is optional. config/examples/doctor.yaml lists every check with its defaults;
// docs/doctor.md says what each check catches.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace natsexp {

enum class DoctorSeverity { warning, critical };

// "warning", "critical".
const char* doctor_severity_name(DoctorSeverity severity);

// What every check has besides its thresholds.
struct DoctorCheckSettings {
  bool enabled = true;
  DoctorSeverity severity = DoctorSeverity::warning;
};

struct DoctorConfig {
  // The CLI (`nats-exporter doctor`) collects twice, this far apart, so the growth checks have a
  // previous evaluation to compare with. 0 collects once (growth checks are then skipped).
  std::chrono::milliseconds interval{5000};
  // Evidence lines shown per finding; the rest are summed up in one line.
  std::size_t max_evidence = 10;

  // 1. Two or more connections with the same client name subscribe to the same subject without a
  //    queue group.
  struct MissingQueueGroup : DoctorCheckSettings {
    std::size_t min_connections = 2;
    // Subjects (NATS wildcards allowed) where every instance must see every message.
    std::vector<std::string> ignore_subjects{"_INBOX.>", "_nats_exporter.>", "$SYS.>"};
  } missing_queue_group;

  // 2. The server's slow-consumer count rose, or connections were closed as slow consumers.
  struct SlowConsumers : DoctorCheckSettings {
    SlowConsumers() { severity = DoctorSeverity::critical; }
    double min_increase = 1;                           // rise of varz slow_consumers between evaluations
    std::chrono::milliseconds window{10 * 60 * 1000};  // closed connections younger than this count
  } slow_consumers;

  // 3. Connections whose pending bytes exceed a share of max_pending.
  struct PendingNearLimit : DoctorCheckSettings {
    double ratio = 0.5;
  } pending_near_limit;

  // 4. A JetStream consumer's backlog grows, its ack pending is at max_ack_pending, or redeliveries rise.
  struct ConsumerBacklog : DoctorCheckSettings {
    double min_growth = 100;         // num_pending rise between two evaluations, in messages
    double ack_pending_ratio = 1.0;  // num_ack_pending / max_ack_pending at or above this
    double min_redeliveries = 1;     // num_redelivered rise between two evaluations
  } consumer_backlog;

  // 5. Low match-cache hit ratio with high fanout, or many subscriptions on broad wildcards.
  struct WildcardInterest : DoctorCheckSettings {
    double max_cache_hit_ratio = 0.5;
    double min_fanout = 10;     // subsz max_fanout
    double min_matches = 1000;  // lookups before the cache ratio means anything
    double broad_share = 0.1;   // share of client subscriptions on `>`, `*.>`, `*.*.>`…
  } wildcard_interest;

  // 6. Clients whose RTT (as the server measured it) is above a threshold.
  struct HighClientRtt : DoctorCheckSettings {
    double rtt_seconds = 0.05;
  } high_client_rtt;

  // 7. TLS below a version, or weak cipher suites.
  struct WeakTls : DoctorCheckSettings {
    WeakTls() { severity = DoctorSeverity::critical; }
    std::string min_version = "1.2";
    // A cipher suite whose name contains one of these (case-insensitive) is weak.
    std::vector<std::string> weak_ciphers{"RC4", "3DES", "_DES_", "NULL", "EXPORT", "MD5", "anon", "CBC_SHA256"};
  } weak_tls;

  // 8. The client probe's p99 is above its SLO, or it counts timeouts, no-responders or errors.
  struct ProbeSlowOrFailing : DoctorCheckSettings {
    ProbeSlowOrFailing() { severity = DoctorSeverity::critical; }
    double p99_seconds = 0.1;
    std::size_t min_samples = 5;  // requests in the window before its p99 is judged
    double min_failures = 1;      // failed requests in the window
  } probe_slow_or_failing;

  // 9. The probe reconnects repeatedly, or the server's connections churn.
  struct ReconnectStorm : DoctorCheckSettings {
    double min_reconnects = 2;        // probe reconnects between two evaluations
    double connects_per_minute = 60;  // new connections to the server, per minute
    double churn_ratio = 10;          // new connections / max(1, change of open connections)
  } reconnect_storm;

  // 10. Server settings that invite latency.
  struct ServerLimits : DoctorCheckSettings {
    // write_deadline above this many times the highest client RTT: the server default (10s) passes
    // with RTTs of 100µs and more, a deadline raised far beyond what the clients need does not.
    double write_deadline_rtt_factor = 100000;
    double min_pending_payloads = 4;                  // max_pending below this many max_payloads
    std::size_t max_payload_bytes = 8 * 1024 * 1024;  // max_payload above this
  } server_limits;

  // 11-17: observations (docs/observations.md): what the servers publish about real traffic.
  // 11. Per service: where the time of its requests goes (NATS or the service), from the
  //     service-latency histograms since the previous evaluation; a finding when the p99 is above
  //     the SLO (the verdict names the cause).
  struct ServiceLatency : DoctorCheckSettings {
    double p99_seconds = 0.1;
    std::size_t min_samples = 20;  // status-200 requests in the window before a service is judged
    double nats_share = 0.5;       // NATS share of the p99 at or above this: the verdict is NATS
  } service_latency;

  // 12. A service-latency observation is connected but has never received a message.
  DoctorCheckSettings latency_tracking_silent;

  // 13. 504s: replies later than an export's threshold, dropped by the server.
  struct ServiceTimeouts : DoctorCheckSettings {
    double min_count = 1;  // 504s between two evaluations
  } service_timeouts;

  // 14. 503s: requests to an exported service with no responder.
  struct ServiceUnavailable : DoctorCheckSettings {
    ServiceUnavailable() { severity = DoctorSeverity::critical; }
    double min_count = 1;  // 503s between two evaluations
  } service_unavailable;

  // 15. A consumer sets sample_freq but does not ack explicitly: it will never publish ack samples.
  DoctorCheckSettings ack_sampling_ignored;

  // 16. Messages reached a consumer's max_deliver without an ack (MAX_DELIVERIES advisories).
  struct MaxDeliveriesExceeded : DoctorCheckSettings {
    double min_count = 1;  // advisories between two evaluations
  } max_deliveries_exceeded;

  // 17. A consumer's ack time p99 rises between two evaluation windows.
  struct AckTimeRising : DoctorCheckSettings {
    double factor = 2;               // this window's p99 at least this many times the previous window's
    std::size_t min_samples = 10;    // ack samples in each window
    double min_p99_seconds = 0.001;  // and at least this high
  } ack_time_rising;
};

// The check ids in report order.
const std::vector<std::string>& doctor_check_ids();
// The settings of the check `id` (one of doctor_check_ids()), or nullptr.
const DoctorCheckSettings* doctor_check_settings(const DoctorConfig& config, const std::string& id);

class Reader;  // config/reader.h
// Reads the `doctor:` node, adding each problem to `reader` as `<file>:<line>: doctor.<key>: <problem>`.
DoctorConfig read_doctor(Reader& reader, const YAML::Node& doctor_node);

}  // namespace natsexp
