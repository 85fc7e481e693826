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

#include "config/config_text.h"
#include "config/load.h"
#include "config/probe_config.h"

namespace natsexp {

namespace {

using std::chrono::milliseconds;
using config_text::lower;
using config_text::quote;
using config_text::trim;
using config_text::yaml_kind;

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string name;
  std::string path;
};

// ` (did you mean "x"?)` when a candidate is close, else ` (known: a, b, c)`.
std::string hint(const std::string& word, const std::vector<std::string>& candidates) {
  std::string close = config_text::did_you_mean(word, candidates);
  if (!close.empty()) return close;
  std::string all;
  for (const auto& c : candidates) all += (all.empty() ? "" : ", ") + c;
  return " (known: " + all + ")";
}

class Reader;

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

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  std::string where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return source_;
    return source_ + ":" + std::to_string(m.line + 1);
  }
  std::string where(const Entry& e) const {
    if (e.value.IsDefined() && !e.value.IsNull() && e.value.Mark().line >= 0) return where(e.value);
    return where(e.key);
  }
  void add(const std::string& at, const std::string& path, const std::string& problem) {
    problems_.push_back(at + ": " + path + ": " + problem);
  }
  void add(const Entry& e, const std::string& problem) { add(where(e), e.path, problem); }

  // Entries of a map after checking unknown and duplicate keys; null values are skipped.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path, const std::string& map_where,
                             const std::vector<std::string>& known, const char* what = "key") {
    std::vector<Entry> out;
    if (!map.IsMap()) {
      add(map_where, path, "expected a map, got " + yaml_kind(map));
      return out;
    }
    std::map<std::string, int> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        add(where(it->first), path, "keys must be plain names, got " + yaml_kind(it->first));
        continue;
      }
      const std::string name = it->first.Scalar();
      const std::string p = path + "." + name;
      auto [pos, fresh] = seen.emplace(name, it->first.Mark().line + 1);
      if (!fresh) {
        add(where(it->first), p, "duplicate key (first given at line " + std::to_string(pos->second) + ")");
        continue;
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        add(where(it->first), p, std::string("unknown ") + what + hint(name, known));
        continue;
      }
      if (it->second.IsNull()) continue;
      out.push_back(Entry{it->first, it->second, name, p});
    }
    return out;
  }

  bool scalar(const Entry& e, std::string& out, const char* expected) {
    if (!e.value.IsScalar()) {
      add(e, std::string("expected ") + expected + ", got " + yaml_kind(e.value));
      return false;
    }
    out = e.value.Scalar();
    return true;
  }

  // A plain number in [lo, hi] (lo excluded when `lo_open`).
  void number(const Entry& e, double& out, double lo, double hi, bool lo_open = false) {
    std::string text;
    if (!scalar(e, text, "a number")) return;
    const std::string t = trim(text);
    double v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v)) {
      add(e, "expected a number, got " + quote(text));
      return;
    }
    if (v < lo || v > hi || (lo_open && v == lo)) {
      add(e, quote(text) + " is out of range (" + range_text(lo, hi, lo_open) + ")");
      return;
    }
    out = v;
  }

  void count(const Entry& e, std::size_t& out, std::size_t lo, std::size_t hi) {
    std::string text;
    if (!scalar(e, text, "a whole number")) return;
    const std::string t = trim(text);
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
      add(e, "expected a whole number, got " + quote(text));
      return;
    }
    if (v < lo || v > hi) {
      add(e, quote(text) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
      return;
    }
    out = static_cast<std::size_t>(v);
  }

  // A latency with sub-millisecond precision ("250us", "50ms", "0.05"), in seconds, > 0 and <= hi.
  void seconds(const Entry& e, double& out, double hi) {
    std::string text;
    if (!scalar(e, text, "a duration")) return;
    double v = 0;
    try {
      v = parse_seconds(text);
    } catch (const std::invalid_argument& err) {
      add(e, quote(text) + " is not a valid duration: " + err.what());
      return;
    }
    if (!(v > 0) || v > hi) {
      add(e, quote(text) + " is out of range (must be > 0s and <= " + format_duration(milliseconds(static_cast<long long>(hi * 1000))) + ")");
      return;
    }
    out = v;
  }

  void duration(const Entry& e, milliseconds& out, milliseconds lo, milliseconds hi) {
    std::string text;
    if (!scalar(e, text, "a duration")) return;
    milliseconds d{};
    try {
      d = parse_duration(text);
    } catch (const std::invalid_argument& err) {
      add(e, quote(text) + " is not a valid duration: " + err.what());
      return;
    }
    if (d < lo || d > hi) {
      add(e, quote(text) + " is out of range (" + format_duration(lo) + ".." + format_duration(hi) + ")");
      return;
    }
    out = d;
  }

  void size(const Entry& e, std::size_t& out, std::size_t lo, std::size_t hi) {
    std::string text;
    if (!scalar(e, text, "a size")) return;
    std::size_t v = 0;
    try {
      v = parse_size(text);
    } catch (const std::invalid_argument& err) {
      add(e, quote(text) + " is not a valid size: " + err.what());
      return;
    }
    if (v < lo || v > hi) {
      add(e, quote(text) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + " bytes)");
      return;
    }
    out = v;
  }

  void boolean(const Entry& e, bool& out) {
    std::string text;
    if (!scalar(e, text, "true or false")) return;
    const std::string t = lower(trim(text));
    if (t == "true" || t == "yes" || t == "on") out = true;
    else if (t == "false" || t == "no" || t == "off") out = false;
    else add(e, "expected true or false, got " + quote(text));
  }

  // A list of non-empty strings (a single string is a list of one).
  void strings(const Entry& e, std::vector<std::string>& out, const std::function<std::optional<std::string>(const std::string&)>& check) {
    std::vector<std::string> list;
    if (e.value.IsScalar()) {
      list.push_back(e.value.Scalar());
    } else if (e.value.IsSequence()) {
      std::size_t i = 0;
      for (auto it = e.value.begin(); it != e.value.end(); ++it, ++i) {
        const std::string p = e.path + "[" + std::to_string(i) + "]";
        if (!it->IsScalar()) {
          add(it->IsNull() ? where(e) : where(*it), p, "expected a string, got " + yaml_kind(*it));
          return;
        }
        if (auto problem = check(it->Scalar())) {
          add(where(*it), p, *problem);
          return;
        }
        list.push_back(it->Scalar());
      }
      out = list;
      return;
    } else {
      add(e, "expected a list of strings, got " + yaml_kind(e.value));
      return;
    }
    if (auto problem = check(list.front())) {
      add(e, *problem);
      return;
    }
    out = list;
  }

  void throw_if_any() const {
    if (problems_.empty()) return;
    std::string all;
    for (const auto& p : problems_) all += (all.empty() ? "" : "\n") + p;
    throw ConfigError(all);
  }

 private:
  static std::string range_text(double lo, double hi, bool lo_open) {
    auto fmt = [](double v) {
      if (v == std::numeric_limits<double>::max()) return std::string("any");
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v);
      return std::string(buf);
    };
    if (hi == std::numeric_limits<double>::max()) return std::string(lo_open ? "> " : ">= ") + fmt(lo);
    return (lo_open ? "> " + fmt(lo) + " and <= " : fmt(lo) + "..") + fmt(hi);
  }

  std::string source_;
  std::vector<std::string> problems_;
};

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

std::optional<std::string> subject_pattern_problem(const std::string& s) {
  if (s.empty()) return std::string("must not be empty");
  for (char ch : s)
    if (std::isspace(static_cast<unsigned char>(ch))) return quote(s) + " must not contain white space";
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = s.find('.', start);
    const std::string token = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (token.empty()) return quote(s) + " has an empty token";
    if (token == ">" && dot != std::string::npos) return quote(s) + ": \">\" must be the last token";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

const std::vector<CheckSpec>& check_specs() {
  static const std::vector<CheckSpec> specs = [] {
    std::vector<CheckSpec> v;
    v.push_back({"missing-queue-group",
                 [](DoctorConfig& c) -> DoctorCheckSettings& { return c.missing_queue_group; },
                 {count_param("min_connections", 2, 1000000,
                              [](DoctorConfig& c) -> std::size_t& { return c.missing_queue_group.min_connections; }),
                  {"ignore_subjects", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     r.strings(e, c.missing_queue_group.ignore_subjects, subject_pattern_problem);
                   }}}});
    v.push_back({"slow-consumers", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.slow_consumers; },
                 {number_param("min_increase", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.slow_consumers.min_increase; }),
                  {"window", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     r.duration(e, c.slow_consumers.window, milliseconds(0), std::chrono::hours(7 * 24));
                   }}}});
    v.push_back({"pending-near-limit", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.pending_near_limit; },
                 {number_param("ratio", 0, 1, true, [](DoctorConfig& c) -> double& { return c.pending_near_limit.ratio; })}});
    v.push_back({"consumer-backlog-growing",
                 [](DoctorConfig& c) -> DoctorCheckSettings& { return c.consumer_backlog; },
                 {number_param("min_growth", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.consumer_backlog.min_growth; }),
                  number_param("ack_pending_ratio", 0, 1, true,
                               [](DoctorConfig& c) -> double& { return c.consumer_backlog.ack_pending_ratio; }),
                  number_param("min_redeliveries", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.consumer_backlog.min_redeliveries; })}});
    v.push_back({"wildcard-heavy-interest",
                 [](DoctorConfig& c) -> DoctorCheckSettings& { return c.wildcard_interest; },
                 {number_param("max_cache_hit_ratio", 0, 1, false,
                               [](DoctorConfig& c) -> double& { return c.wildcard_interest.max_cache_hit_ratio; }),
                  number_param("min_fanout", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.wildcard_interest.min_fanout; }),
                  number_param("min_matches", 0, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.wildcard_interest.min_matches; }),
                  number_param("broad_share", 0, 1, true,
                               [](DoctorConfig& c) -> double& { return c.wildcard_interest.broad_share; })}});
    v.push_back({"high-client-rtt", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.high_client_rtt; },
                 {seconds_param("rtt", 3600, [](DoctorConfig& c) -> double& { return c.high_client_rtt.rtt_seconds; })}});
    v.push_back({"weak-tls", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.weak_tls; },
                 {{"min_version", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     std::string text;
                     if (!r.scalar(e, text, "a TLS version")) return;
                     static const std::vector<std::string> kVersions = {"1.0", "1.1", "1.2", "1.3"};
                     if (std::find(kVersions.begin(), kVersions.end(), trim(text)) == kVersions.end())
                       r.add(e, quote(text) + " is not a TLS version (1.0, 1.1, 1.2 or 1.3)");
                     else
                       c.weak_tls.min_version = trim(text);
                   }},
                  {"weak_ciphers", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     r.strings(e, c.weak_tls.weak_ciphers, [](const std::string& s) -> std::optional<std::string> {
                       if (trim(s).empty()) return std::string("must not be empty");
                       return std::nullopt;
                     });
                   }}}});
    v.push_back({"probe-slow-or-failing",
                 [](DoctorConfig& c) -> DoctorCheckSettings& { return c.probe_slow_or_failing; },
                 {seconds_param("p99", 3600, [](DoctorConfig& c) -> double& { return c.probe_slow_or_failing.p99_seconds; }),
                  count_param("min_samples", 1, 1000000000,
                              [](DoctorConfig& c) -> std::size_t& { return c.probe_slow_or_failing.min_samples; }),
                  number_param("min_failures", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.probe_slow_or_failing.min_failures; })}});
    v.push_back({"reconnect-storm", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.reconnect_storm; },
                 {number_param("min_reconnects", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.reconnect_storm.min_reconnects; }),
                  number_param("connects_per_minute", 0, kAny, true,
                               [](DoctorConfig& c) -> double& { return c.reconnect_storm.connects_per_minute; }),
                  number_param("churn_ratio", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.reconnect_storm.churn_ratio; })}});
    v.push_back({"server-limits", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.server_limits; },
                 {number_param("write_deadline_rtt_factor", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.server_limits.write_deadline_rtt_factor; }),
                  number_param("min_pending_payloads", 0, kAny, true,
                               [](DoctorConfig& c) -> double& { return c.server_limits.min_pending_payloads; }),
                  {"max_payload", [](Reader& r, const Entry& e, DoctorConfig& c) {
                     r.size(e, c.server_limits.max_payload_bytes, 1, std::size_t(1) << 40);
                   }}}});
    v.push_back({"service-latency", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.service_latency; },
                 {seconds_param("p99", 3600, [](DoctorConfig& c) -> double& { return c.service_latency.p99_seconds; }),
                  count_param("min_samples", 1, 1000000000,
                              [](DoctorConfig& c) -> std::size_t& { return c.service_latency.min_samples; }),
                  number_param("nats_share", 0, 1, true,
                               [](DoctorConfig& c) -> double& { return c.service_latency.nats_share; })}});
    v.push_back({"latency-tracking-silent",
                 [](DoctorConfig& c) -> DoctorCheckSettings& { return c.latency_tracking_silent; }, {}});
    v.push_back({"service-timeouts", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.service_timeouts; },
                 {number_param("min_count", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.service_timeouts.min_count; })}});
    v.push_back({"service-unavailable", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.service_unavailable; },
                 {number_param("min_count", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.service_unavailable.min_count; })}});
    v.push_back({"ack-sampling-ignored",
                 [](DoctorConfig& c) -> DoctorCheckSettings& { return c.ack_sampling_ignored; }, {}});
    v.push_back({"max-deliveries-exceeded",
                 [](DoctorConfig& c) -> DoctorCheckSettings& { return c.max_deliveries_exceeded; },
                 {number_param("min_count", 1, kAny, false,
                               [](DoctorConfig& c) -> double& { return c.max_deliveries_exceeded.min_count; })}});
    v.push_back({"ack-time-rising", [](DoctorConfig& c) -> DoctorCheckSettings& { return c.ack_time_rising; },
                 {number_param("factor", 1, kAny, true, [](DoctorConfig& c) -> double& { return c.ack_time_rising.factor; }),
                  count_param("min_samples", 1, 1000000000,
                              [](DoctorConfig& c) -> std::size_t& { return c.ack_time_rising.min_samples; }),
                  seconds_param("min_p99", 3600,
                                [](DoctorConfig& c) -> double& { return c.ack_time_rising.min_p99_seconds; })}});
    return v;
  }();
  return specs;
}

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

DoctorConfig parse_doctor(const YAML::Node& node, const std::string& source) {
  DoctorConfig config;
  Reader r(source);
  if (!node.IsDefined() || node.IsNull()) return config;
  for (auto& e : r.entries(node, "doctor", r.where(node), {"interval", "max_evidence", "checks"})) {
    if (e.name == "interval") {
      r.duration(e, config.interval, milliseconds(0), std::chrono::hours(1));
    } else if (e.name == "max_evidence") {
      r.count(e, config.max_evidence, 1, 10000);
    } else {
      for (auto& c : r.entries(e.value, e.path, r.where(e), doctor_check_ids(), "check")) {
        const CheckSpec* spec = nullptr;
        for (const auto& s : check_specs())
          if (s.id == c.name) spec = &s;
        std::vector<std::string> known = {"enabled", "severity"};
        for (const auto& p : spec->params) known.push_back(p.key);
        for (auto& k : r.entries(c.value, c.path, r.where(c), known)) {
          DoctorCheckSettings& settings = spec->settings(config);
          if (k.name == "enabled") {
            r.boolean(k, settings.enabled);
          } else if (k.name == "severity") {
            std::string text;
            if (!r.scalar(k, text, "warning or critical")) continue;
            const std::string t = lower(trim(text));
            if (t == "warning") settings.severity = DoctorSeverity::warning;
            else if (t == "critical") settings.severity = DoctorSeverity::critical;
            else r.add(k, quote(text) + " is not a severity (warning or critical)");
          } else {
            for (const auto& p : spec->params)
              if (p.key == k.name) p.read(r, k, config);
          }
        }
      }
    }
  }
  r.throw_if_any();
  return config;
}

bool subject_matches(const std::string& pattern, const std::string& subject) {
  std::size_t p = 0, s = 0;
  for (;;) {
    const std::size_t pe = pattern.find('.', p), se = subject.find('.', s);
    const std::string pt = pattern.substr(p, pe == std::string::npos ? std::string::npos : pe - p);
    const std::string st = subject.substr(s, se == std::string::npos ? std::string::npos : se - s);
    if (pt == ">") return true;  // one or more tokens remain in `subject`
    if (pt != "*" && pt != st) return false;
    if (pe == std::string::npos || se == std::string::npos) return pe == std::string::npos && se == std::string::npos;
    p = pe + 1;
    s = se + 1;
  }
}

}  // namespace natsexp
