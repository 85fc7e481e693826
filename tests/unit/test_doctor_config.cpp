// The `doctor:` section: defaults, the shipped example, every kind of value and its error message.
#include <doctest/doctest.h>

#include <string>

#include "collectors/collector.h"
#include "config/doctor_config.h"
#include "config/load.h"

using namespace natsexp;

// The registry's collector names, which config/ takes as a parameter.
static const CollectorCatalog kCollectors{collector_names(), default_collector_names()};

namespace {

const std::string kTarget = "targets:\n  - url: http://127.0.0.1:8222\n";

std::string error_of(const std::string& yaml) {
  try {
    load_config_yaml(yaml, "d.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

DoctorConfig doctor_of(const std::string& yaml) { return load_config_yaml(yaml, "d.yaml").doctor; }

}  // namespace

TEST_CASE("doctor config: defaults without a doctor section") {
  const DoctorConfig d = doctor_of(kTarget);
  CHECK(d.interval == std::chrono::seconds(5));
  CHECK(d.max_evidence == 10);
  CHECK(d.missing_queue_group.enabled);
  CHECK(d.missing_queue_group.severity == DoctorSeverity::warning);
  CHECK(d.missing_queue_group.min_connections == 2);
  CHECK(d.slow_consumers.severity == DoctorSeverity::critical);
  CHECK(d.slow_consumers.window == std::chrono::minutes(10));
  CHECK(d.pending_near_limit.ratio == 0.5);
  CHECK(d.consumer_backlog.min_growth == 100);
  CHECK(d.wildcard_interest.broad_share == 0.1);
  CHECK(d.high_client_rtt.rtt_seconds == 0.05);
  CHECK(d.weak_tls.min_version == "1.2");
  CHECK(d.weak_tls.severity == DoctorSeverity::critical);
  CHECK(d.probe_slow_or_failing.p99_seconds == 0.1);
  CHECK(d.probe_slow_or_failing.severity == DoctorSeverity::critical);
  CHECK(d.reconnect_storm.connects_per_minute == 60);
  CHECK(d.server_limits.min_pending_payloads == 4);
  CHECK(d.server_limits.max_payload_bytes == 8u * 1024 * 1024);
  CHECK(doctor_check_ids().size() == 17);
  for (const auto& id : doctor_check_ids()) CHECK(doctor_check_settings(d, id) != nullptr);
  CHECK(doctor_check_settings(d, "nope") == nullptr);
}

TEST_CASE("doctor config: the shipped example loads, validates and states the defaults") {
  Config c = load_config_file(std::string(NATSEXP_SOURCE_DIR) + "/config/examples/doctor.yaml");
  c = validate_config(c, kCollectors);
  const DoctorConfig& d = c.doctor;
  const DoctorConfig defaults;
  CHECK(d.interval == defaults.interval);
  CHECK(d.max_evidence == defaults.max_evidence);
  for (const auto& id : doctor_check_ids()) {
    CAPTURE(id);
    CHECK(doctor_check_settings(d, id)->enabled == doctor_check_settings(defaults, id)->enabled);
    CHECK(doctor_check_settings(d, id)->severity == doctor_check_settings(defaults, id)->severity);
  }
  CHECK(d.missing_queue_group.min_connections == defaults.missing_queue_group.min_connections);
  CHECK(d.missing_queue_group.ignore_subjects == defaults.missing_queue_group.ignore_subjects);
  CHECK(d.slow_consumers.min_increase == defaults.slow_consumers.min_increase);
  CHECK(d.slow_consumers.window == defaults.slow_consumers.window);
  CHECK(d.pending_near_limit.ratio == defaults.pending_near_limit.ratio);
  CHECK(d.consumer_backlog.min_growth == defaults.consumer_backlog.min_growth);
  CHECK(d.consumer_backlog.ack_pending_ratio == defaults.consumer_backlog.ack_pending_ratio);
  CHECK(d.consumer_backlog.min_redeliveries == defaults.consumer_backlog.min_redeliveries);
  CHECK(d.wildcard_interest.broad_share == defaults.wildcard_interest.broad_share);
  CHECK(d.wildcard_interest.max_cache_hit_ratio == defaults.wildcard_interest.max_cache_hit_ratio);
  CHECK(d.wildcard_interest.min_fanout == defaults.wildcard_interest.min_fanout);
  CHECK(d.wildcard_interest.min_matches == defaults.wildcard_interest.min_matches);
  CHECK(d.high_client_rtt.rtt_seconds == defaults.high_client_rtt.rtt_seconds);
  CHECK(d.weak_tls.min_version == defaults.weak_tls.min_version);
  CHECK(d.weak_tls.weak_ciphers == defaults.weak_tls.weak_ciphers);
  CHECK(d.probe_slow_or_failing.p99_seconds == defaults.probe_slow_or_failing.p99_seconds);
  CHECK(d.probe_slow_or_failing.min_samples == defaults.probe_slow_or_failing.min_samples);
  CHECK(d.probe_slow_or_failing.min_failures == defaults.probe_slow_or_failing.min_failures);
  CHECK(d.reconnect_storm.min_reconnects == defaults.reconnect_storm.min_reconnects);
  CHECK(d.reconnect_storm.connects_per_minute == defaults.reconnect_storm.connects_per_minute);
  CHECK(d.reconnect_storm.churn_ratio == defaults.reconnect_storm.churn_ratio);
  CHECK(d.server_limits.min_pending_payloads == defaults.server_limits.min_pending_payloads);
  CHECK(d.server_limits.max_payload_bytes == defaults.server_limits.max_payload_bytes);
  CHECK(d.server_limits.write_deadline_rtt_factor == defaults.server_limits.write_deadline_rtt_factor);
}

TEST_CASE("doctor config: every kind of value") {
  const DoctorConfig d = doctor_of(kTarget +
                                   "doctor:\n"
                                   "  interval: 0s\n"
                                   "  max_evidence: 3\n"
                                   "  checks:\n"
                                   "    missing-queue-group:\n"
                                   "      min_connections: 3\n"
                                   "      ignore_subjects: cache.invalidate.>\n"
                                   "    slow-consumers: {severity: warning, window: 30s, min_increase: 2}\n"
                                   "    pending-near-limit: {ratio: 1, severity: CRITICAL}\n"
                                   "    weak-tls: {enabled: false, min_version: \"1.3\", weak_ciphers: [CBC]}\n"
                                   "    high-client-rtt: {rtt: 250us}\n"
                                   "    probe-slow-or-failing: {p99: 0.02, min_samples: 1}\n"
                                   "    server-limits: {max_payload: 1MiB, min_pending_payloads: 2.5}\n");
  CHECK(d.interval.count() == 0);
  CHECK(d.max_evidence == 3);
  CHECK(d.missing_queue_group.min_connections == 3);
  CHECK(d.missing_queue_group.ignore_subjects == std::vector<std::string>{"cache.invalidate.>"});
  CHECK(d.slow_consumers.severity == DoctorSeverity::warning);
  CHECK(d.slow_consumers.window == std::chrono::seconds(30));
  CHECK(d.slow_consumers.min_increase == 2);
  CHECK(d.pending_near_limit.ratio == 1);
  CHECK(d.pending_near_limit.severity == DoctorSeverity::critical);
  CHECK_FALSE(d.weak_tls.enabled);
  CHECK(d.weak_tls.min_version == "1.3");
  CHECK(d.weak_tls.weak_ciphers == std::vector<std::string>{"CBC"});
  CHECK(d.high_client_rtt.rtt_seconds == doctest::Approx(250e-6));
  CHECK(d.probe_slow_or_failing.p99_seconds == doctest::Approx(0.02));
  CHECK(d.probe_slow_or_failing.min_samples == 1);
  CHECK(d.server_limits.max_payload_bytes == 1024u * 1024);
  CHECK(d.server_limits.min_pending_payloads == 2.5);
}

TEST_CASE("doctor config: errors name the file, the line and the key") {
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    pending-near-limit:\n      ratio: 1.5\n") ==
        "d.yaml:6: doctor.checks.pending-near-limit.ratio: \"1.5\" is out of range (> 0 and <= 1)");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    pending-near-limit:\n      ratio: 0\n") ==
        "d.yaml:6: doctor.checks.pending-near-limit.ratio: \"0\" is out of range (> 0 and <= 1)");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    pending-near-limit:\n      ratio: half\n") ==
        "d.yaml:6: doctor.checks.pending-near-limit.ratio: expected a number, got \"half\"");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    slow-consumer: {}\n") ==
        "d.yaml:5: doctor.checks.slow-consumer: unknown check (did you mean \"slow-consumers\"?)");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    weak-tls:\n      min_versoin: \"1.2\"\n") ==
        "d.yaml:6: doctor.checks.weak-tls.min_versoin: unknown key (did you mean \"min_version\"?)");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    weak-tls:\n      min_version: 2\n") ==
        "d.yaml:6: doctor.checks.weak-tls.min_version: \"2\" is not a TLS version (1.0, 1.1, 1.2 or 1.3) (did you mean "
        "\"1.2\"?)");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    weak-tls:\n      severity: fatal\n") ==
        "d.yaml:6: doctor.checks.weak-tls.severity: \"fatal\" is not a severity (warning or critical)");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    weak-tls:\n      enabled: maybe\n") ==
        "d.yaml:6: doctor.checks.weak-tls.enabled: expected true or false, got \"maybe\"");
  CHECK(error_of(kTarget + "doctor:\n  interval: 2h\n") ==
        "d.yaml:4: doctor.interval: \"2h\" is out of range (0s..1h)");
  CHECK(error_of(kTarget + "doctor:\n  interval: soon\n") ==
        "d.yaml:4: doctor.interval: \"soon\" is not a valid duration: not a duration");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    missing-queue-group:\n      min_connections: 1\n") ==
        "d.yaml:6: doctor.checks.missing-queue-group.min_connections: \"1\" is out of range (2..1000000)");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    missing-queue-group:\n      ignore_subjects: [\"a.>.b\"]\n") ==
        "d.yaml:6: doctor.checks.missing-queue-group.ignore_subjects[0]: \"a.>.b\": \">\" must be the last token");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    high-client-rtt:\n      rtt: 0s\n") ==
        "d.yaml:6: doctor.checks.high-client-rtt.rtt: \"0s\" is not a valid duration: must be greater than zero");
  CHECK(error_of(kTarget + "doctor:\n  checks:\n    high-client-rtt:\n      rtt: 90m\n") ==
        "d.yaml:6: doctor.checks.high-client-rtt.rtt: \"90m\" is out of range (must be > 0s and <= 1h)");
  CHECK(error_of(kTarget + "doctor:\n  checks: [weak-tls]\n") == "d.yaml:4: doctor.checks: expected a map, got a list");
  CHECK(error_of(kTarget + "doktor: {}\n").find("d.yaml:3: doktor: unknown key") == 0);
  // Every problem of one run is reported.
  const std::string two =
      error_of(kTarget + "doctor:\n  checks:\n    pending-near-limit: {ratio: 2}\n    high-client-rtt: {rtt: x}\n");
  CHECK(two.find("pending-near-limit.ratio") != std::string::npos);
  CHECK(two.find("high-client-rtt.rtt") != std::string::npos);
}
