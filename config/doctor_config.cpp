// Parsing of the `doctor:` section. See config/doctor_config.h and config/examples/doctor.yaml.
#include "config/doctor_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>

#include "base/subject.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using S = DoctorConfig;
using T = RowType;
constexpr double kAny = std::numeric_limits<double>::max();
constexpr double kHour = 3600 * 1000.0, kBillion = 1e9;

// One check: its id, its enabled and severity, and the rows of its thresholds.
struct CheckRows {
  const char* id;
  DoctorCheckSettings& (*settings)(S&);
  std::vector<Row<S>> rows;
};

template <auto member>
DoctorCheckSettings& check_of(S& c) {
  return c.*member;
}

const std::vector<std::string> kSeverities = {"warning", "critical"};  // in DoctorSeverity's order

std::string subject_pattern_problem(const std::string& s) { return subject_problem(s, true); }

void read_min_version(Reader& r, const Entry& e, S& c) {
  static const std::vector<std::string> kVersions = {"1.0", "1.1", "1.2", "1.3"};
  if (auto v = r.choice(e, kVersions, "a TLS version")) c.weak_tls.min_version = kVersions[*v];
}

const std::vector<CheckRows>& check_rows() {
  static const std::vector<CheckRows> checks = {
      {"missing-queue-group",
       check_of<&S::missing_queue_group>,
       {row<S>("min_connections", T::count, NATSEXP_FIELD(missing_queue_group.min_connections), 2, 1e6),
        checked_row<S>("ignore_subjects", T::strings, NATSEXP_FIELD(missing_queue_group.ignore_subjects),
                       subject_pattern_problem)}},
      {"slow-consumers",
       check_of<&S::slow_consumers>,
       {row<S>("min_increase", T::number, NATSEXP_FIELD(slow_consumers.min_increase), 1, kAny),
        row<S>("window", T::duration, NATSEXP_FIELD(slow_consumers.window), 0, 7 * 24 * kHour)}},
      {"pending-near-limit",
       check_of<&S::pending_near_limit>,
       {row<S>("ratio", T::number, NATSEXP_FIELD(pending_near_limit.ratio), 0, 1, true)}},
      {"consumer-backlog-growing",
       check_of<&S::consumer_backlog>,
       {row<S>("min_growth", T::number, NATSEXP_FIELD(consumer_backlog.min_growth), 1, kAny),
        row<S>("ack_pending_ratio", T::number, NATSEXP_FIELD(consumer_backlog.ack_pending_ratio), 0, 1, true),
        row<S>("min_redeliveries", T::number, NATSEXP_FIELD(consumer_backlog.min_redeliveries), 1, kAny)}},
      {"wildcard-heavy-interest",
       check_of<&S::wildcard_interest>,
       {row<S>("max_cache_hit_ratio", T::number, NATSEXP_FIELD(wildcard_interest.max_cache_hit_ratio), 0, 1),
        row<S>("min_fanout", T::number, NATSEXP_FIELD(wildcard_interest.min_fanout), 1, kAny),
        row<S>("min_matches", T::number, NATSEXP_FIELD(wildcard_interest.min_matches), 0, kAny),
        row<S>("broad_share", T::number, NATSEXP_FIELD(wildcard_interest.broad_share), 0, 1, true)}},
      {"high-client-rtt",
       check_of<&S::high_client_rtt>,
       {row<S>("rtt", T::seconds, NATSEXP_FIELD(high_client_rtt.rtt_seconds), 0, 3600)}},
      {"weak-tls",
       check_of<&S::weak_tls>,
       {row<S>("min_version", T::custom, read_min_version),
        checked_row<S>("weak_ciphers", T::strings, NATSEXP_FIELD(weak_tls.weak_ciphers), blank_problem)}},
      {"probe-slow-or-failing",
       check_of<&S::probe_slow_or_failing>,
       {row<S>("p99", T::seconds, NATSEXP_FIELD(probe_slow_or_failing.p99_seconds), 0, 3600),
        row<S>("min_samples", T::count, NATSEXP_FIELD(probe_slow_or_failing.min_samples), 1, kBillion),
        row<S>("min_failures", T::number, NATSEXP_FIELD(probe_slow_or_failing.min_failures), 1, kAny)}},
      {"reconnect-storm",
       check_of<&S::reconnect_storm>,
       {row<S>("min_reconnects", T::number, NATSEXP_FIELD(reconnect_storm.min_reconnects), 1, kAny),
        row<S>("connects_per_minute", T::number, NATSEXP_FIELD(reconnect_storm.connects_per_minute), 0, kAny, true),
        row<S>("churn_ratio", T::number, NATSEXP_FIELD(reconnect_storm.churn_ratio), 1, kAny)}},
      {"server-limits",
       check_of<&S::server_limits>,
       {row<S>("write_deadline_rtt_factor", T::number, NATSEXP_FIELD(server_limits.write_deadline_rtt_factor), 1, kAny),
        row<S>("min_pending_payloads", T::number, NATSEXP_FIELD(server_limits.min_pending_payloads), 0, kAny, true),
        row<S>("max_payload", T::size, NATSEXP_FIELD(server_limits.max_payload_bytes), 1, double(1ull << 40))}},
      {"service-latency",
       check_of<&S::service_latency>,
       {row<S>("p99", T::seconds, NATSEXP_FIELD(service_latency.p99_seconds), 0, 3600),
        row<S>("min_samples", T::count, NATSEXP_FIELD(service_latency.min_samples), 1, kBillion),
        row<S>("nats_share", T::number, NATSEXP_FIELD(service_latency.nats_share), 0, 1, true)}},
      {"latency-tracking-silent", check_of<&S::latency_tracking_silent>, {}},
      {"service-timeouts",
       check_of<&S::service_timeouts>,
       {row<S>("min_count", T::number, NATSEXP_FIELD(service_timeouts.min_count), 1, kAny)}},
      {"service-unavailable",
       check_of<&S::service_unavailable>,
       {row<S>("min_count", T::number, NATSEXP_FIELD(service_unavailable.min_count), 1, kAny)}},
      {"ack-sampling-ignored", check_of<&S::ack_sampling_ignored>, {}},
      {"max-deliveries-exceeded",
       check_of<&S::max_deliveries_exceeded>,
       {row<S>("min_count", T::number, NATSEXP_FIELD(max_deliveries_exceeded.min_count), 1, kAny)}},
      {"ack-time-rising",
       check_of<&S::ack_time_rising>,
       {row<S>("factor", T::number, NATSEXP_FIELD(ack_time_rising.factor), 1, kAny, true),
        row<S>("min_samples", T::count, NATSEXP_FIELD(ack_time_rising.min_samples), 1, kBillion),
        row<S>("min_p99", T::seconds, NATSEXP_FIELD(ack_time_rising.min_p99_seconds), 0, 3600)}},
  };
  return checks;
}

void read_checks(Reader& r, const Entry& e, S& config) {
  for (auto& c : r.entries(e, doctor_check_ids(), "check")) {
    const auto& check =
        *std::find_if(check_rows().begin(), check_rows().end(), [&](const CheckRows& k) { return c.name == k.id; });
    DoctorCheckSettings& settings = check.settings(config);
    const auto entries = r.entries(c, keys_of(check.rows, {"enabled", "severity"}));
    for (const auto& k : entries) {
      if (k.name == "enabled") r.boolean(k, settings.enabled);
      if (k.name != "severity") continue;
      if (auto sev = r.choice(k, kSeverities, "a severity")) settings.severity = static_cast<DoctorSeverity>(*sev);
    }
    read_rows(r, entries, check.rows, config);
  }
}

const std::vector<Row<S>> kDoctorRows = {
    row<S>("interval", T::duration, NATSEXP_FIELD(interval), 0, kHour),
    row<S>("max_evidence", T::count, NATSEXP_FIELD(max_evidence), 1, 10000),
    row<S>("checks", T::custom, read_checks),
};

}  // namespace

const char* doctor_severity_name(DoctorSeverity severity) {
  return kSeverities.at(static_cast<std::size_t>(severity)).c_str();
}

const std::vector<std::string>& doctor_check_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (const auto& c : check_rows()) v.push_back(c.id);
    return v;
  }();
  return ids;
}

const DoctorCheckSettings* doctor_check_settings(const DoctorConfig& config, const std::string& id) {
  for (const auto& c : check_rows())
    if (c.id == id) return &c.settings(const_cast<DoctorConfig&>(config));
  return nullptr;
}

DoctorConfig read_doctor(Reader& r, const YAML::Node& node) {
  DoctorConfig config;
  if (!node.IsDefined() || node.IsNull()) return config;
  r.list_known_keys(true);  // a check's few keys, or the check ids, are worth listing
  read_rows(r, r.entries(node, "doctor", r.where(node), keys_of(kDoctorRows)), kDoctorRows, config);
  r.list_known_keys(false);
  return config;
}

}  // namespace natsexp
