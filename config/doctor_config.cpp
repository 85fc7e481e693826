// Parsing of the `doctor:` section. See config/doctor_config.h and config/examples/doctor.yaml.
#include "config/doctor_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>

#include "base/subject.h"
#include "base/text.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using std::chrono::milliseconds;
using strings::lower;
using strings::quote;
using strings::trim;

// One threshold key of a check.
struct Param {
  std::string key;
  std::function<void(Reader&, const Entry&, DoctorConfig&)> read;
};

struct CheckSpec {
  std::string id;
  std::function<DoctorCheckSettings&(DoctorConfig&)> settings;
  std::vector<Param> params;
};

// The DoctorConfig member a check or a threshold reads and writes.
#define FIELD(member) \
  [](DoctorConfig & c) -> auto& { return c.member; }

constexpr double kAny = std::numeric_limits<double>::max();

Param number_param(const char* key, double lo, double hi, bool lo_open, double& (*field)(DoctorConfig&)) {
  return {key, [=](Reader& r, const Entry& e, DoctorConfig& c) { r.number(e, field(c), lo, hi, lo_open); }};
}
Param count_param(const char* key, std::size_t lo, std::size_t hi, std::size_t& (*field)(DoctorConfig&)) {
  return {key, [=](Reader& r, const Entry& e, DoctorConfig& c) { r.count(e, field(c), lo, hi); }};
}
Param seconds_param(const char* key, double hi, double& (*field)(DoctorConfig&)) {
  return {key, [=](Reader& r, const Entry& e, DoctorConfig& c) { r.seconds(e, field(c), hi); }};
}

const std::vector<CheckSpec>& check_specs() {
  static const std::vector<CheckSpec> specs = [] {
    std::vector<CheckSpec> v;
    v.push_back({"missing-queue-group",
                 FIELD(missing_queue_group),
                 {count_param("min_connections", 2, 1000000, FIELD(missing_queue_group.min_connections)),
                  {"ignore_subjects", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     r.strings(e, c.missing_queue_group.ignore_subjects,
                               [](const std::string& s) { return subject_problem(s, true); });
                   }}}});
    v.push_back({"slow-consumers",
                 FIELD(slow_consumers),
                 {number_param("min_increase", 1, kAny, false, FIELD(slow_consumers.min_increase)),
                  {"window", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     r.duration(e, c.slow_consumers.window, milliseconds(0), std::chrono::hours(7 * 24));
                   }}}});
    v.push_back({"pending-near-limit",
                 FIELD(pending_near_limit),
                 {number_param("ratio", 0, 1, true, FIELD(pending_near_limit.ratio))}});
    v.push_back({"consumer-backlog-growing",
                 FIELD(consumer_backlog),
                 {number_param("min_growth", 1, kAny, false, FIELD(consumer_backlog.min_growth)),
                  number_param("ack_pending_ratio", 0, 1, true, FIELD(consumer_backlog.ack_pending_ratio)),
                  number_param("min_redeliveries", 1, kAny, false, FIELD(consumer_backlog.min_redeliveries))}});
    v.push_back({"wildcard-heavy-interest",
                 FIELD(wildcard_interest),
                 {number_param("max_cache_hit_ratio", 0, 1, false, FIELD(wildcard_interest.max_cache_hit_ratio)),
                  number_param("min_fanout", 1, kAny, false, FIELD(wildcard_interest.min_fanout)),
                  number_param("min_matches", 0, kAny, false, FIELD(wildcard_interest.min_matches)),
                  number_param("broad_share", 0, 1, true, FIELD(wildcard_interest.broad_share))}});
    v.push_back(
        {"high-client-rtt", FIELD(high_client_rtt), {seconds_param("rtt", 3600, FIELD(high_client_rtt.rtt_seconds))}});
    v.push_back({"weak-tls",
                 FIELD(weak_tls),
                 {{"min_version",
                   [](Reader& r, const Entry& e, DoctorConfig& c) {
                     std::string text;
                     if (!r.scalar(e, text, "a TLS version")) return;
                     static const std::vector<std::string> kVersions = {"1.0", "1.1", "1.2", "1.3"};
                     if (std::find(kVersions.begin(), kVersions.end(), trim(text)) == kVersions.end())
                       r.add(e, quote(text) + " is not a TLS version (1.0, 1.1, 1.2 or 1.3)");
                     else c.weak_tls.min_version = trim(text);
                   }},
                  {"weak_ciphers", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     r.strings(e, c.weak_tls.weak_ciphers, [](const std::string& s) -> std::string {
                       return trim(s).empty() ? "must not be empty" : "";
                     });
                   }}}});
    v.push_back({"probe-slow-or-failing",
                 FIELD(probe_slow_or_failing),
                 {seconds_param("p99", 3600, FIELD(probe_slow_or_failing.p99_seconds)),
                  count_param("min_samples", 1, 1000000000, FIELD(probe_slow_or_failing.min_samples)),
                  number_param("min_failures", 1, kAny, false, FIELD(probe_slow_or_failing.min_failures))}});
    v.push_back({"reconnect-storm",
                 FIELD(reconnect_storm),
                 {number_param("min_reconnects", 1, kAny, false, FIELD(reconnect_storm.min_reconnects)),
                  number_param("connects_per_minute", 0, kAny, true, FIELD(reconnect_storm.connects_per_minute)),
                  number_param("churn_ratio", 1, kAny, false, FIELD(reconnect_storm.churn_ratio))}});
    v.push_back(
        {"server-limits",
         FIELD(server_limits),
         {number_param("write_deadline_rtt_factor", 1, kAny, false, FIELD(server_limits.write_deadline_rtt_factor)),
          number_param("min_pending_payloads", 0, kAny, true, FIELD(server_limits.min_pending_payloads)),
          {"max_payload", [](Reader& r, const Entry& e, DoctorConfig& c) {
             r.size(e, c.server_limits.max_payload_bytes, 1, std::size_t(1) << 40);
           }}}});
    v.push_back({"service-latency",
                 FIELD(service_latency),
                 {seconds_param("p99", 3600, FIELD(service_latency.p99_seconds)),
                  count_param("min_samples", 1, 1000000000, FIELD(service_latency.min_samples)),
                  number_param("nats_share", 0, 1, true, FIELD(service_latency.nats_share))}});
    v.push_back({"latency-tracking-silent", FIELD(latency_tracking_silent), {}});
    v.push_back({"service-timeouts",
                 FIELD(service_timeouts),
                 {number_param("min_count", 1, kAny, false, FIELD(service_timeouts.min_count))}});
    v.push_back({"service-unavailable",
                 FIELD(service_unavailable),
                 {number_param("min_count", 1, kAny, false, FIELD(service_unavailable.min_count))}});
    v.push_back({"ack-sampling-ignored", FIELD(ack_sampling_ignored), {}});
    v.push_back({"max-deliveries-exceeded",
                 FIELD(max_deliveries_exceeded),
                 {number_param("min_count", 1, kAny, false, FIELD(max_deliveries_exceeded.min_count))}});
    v.push_back({"ack-time-rising",
                 FIELD(ack_time_rising),
                 {number_param("factor", 1, kAny, true, FIELD(ack_time_rising.factor)),
                  count_param("min_samples", 1, 1000000000, FIELD(ack_time_rising.min_samples)),
                  seconds_param("min_p99", 3600, FIELD(ack_time_rising.min_p99_seconds))}});
    return v;
  }();
  return specs;
}
#undef FIELD

}  // namespace

const char* doctor_severity_name(DoctorSeverity severity) {
  return severity == DoctorSeverity::critical ? "critical" : "warning";
}

const std::vector<std::string>& doctor_check_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (const auto& s : check_specs()) v.push_back(s.id);
    return v;
  }();
  return ids;
}

const DoctorCheckSettings* doctor_check_settings(const DoctorConfig& config, const std::string& id) {
  for (const auto& s : check_specs())
    if (s.id == id) return &s.settings(const_cast<DoctorConfig&>(config));
  return nullptr;
}

DoctorConfig read_doctor(Reader& r, const YAML::Node& node) {
  DoctorConfig config;
  r.list_known_keys(true);  // a check's few keys, or the check ids, are worth listing
  if (!node.IsDefined() || node.IsNull()) return config;
  for (auto& e : r.entries(node, "doctor", r.where(node), {"interval", "max_evidence", "checks"})) {
    if (e.name == "interval") {
      r.duration(e, config.interval, milliseconds(0), std::chrono::hours(1));
    } else if (e.name == "max_evidence") {
      r.count(e, config.max_evidence, 1, 10000);
    } else {
      for (auto& c : r.entries(e, doctor_check_ids(), "check")) {
        const CheckSpec* spec = nullptr;
        for (const auto& s : check_specs())
          if (s.id == c.name) spec = &s;
        std::vector<std::string> known = {"enabled", "severity"};
        for (const auto& p : spec->params) known.push_back(p.key);
        DoctorCheckSettings& settings = spec->settings(config);
        for (auto& k : r.entries(c, known)) {
          if (k.name == "enabled") {
            r.boolean(k, settings.enabled);
          } else if (k.name == "severity") {
            std::string text;
            if (!r.scalar(k, text, "warning or critical")) continue;
            const std::string t = lower(trim(text));
            if (t == "warning" || t == "critical")
              settings.severity = t == "warning" ? DoctorSeverity::warning : DoctorSeverity::critical;
            else r.add(k, quote(text) + " is not a severity (warning or critical)");
          } else {
            for (const auto& p : spec->params)
              if (p.key == k.name) p.read(r, k, config);
          }
        }
      }
    }
  }
  r.list_known_keys(false);
  return config;
}

DoctorConfig parse_doctor(const YAML::Node& node, const std::string& source) {
  Reader r(source);
  DoctorConfig config = read_doctor(r, node);
  r.throw_if_any();
  return config;
}

}  // namespace natsexp
