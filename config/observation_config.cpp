// Parsing of the `observations:` list. See config/observation_config.h and docs/observations.md.
#include "config/observation_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <tuple>

#include "config/config_text.h"
#include "config/load.h"

namespace natsexp {

namespace {

using config_text::did_you_mean;
using config_text::lower;
using config_text::quote;
using config_text::trim;
using config_text::yaml_kind;

const std::vector<std::string> kCommonKeys = {"name", "kind", "servers", "connection", "buckets"};
const std::vector<std::string> kServiceKeys = {"subject", "max_services", "max_responders"};
const std::vector<std::string> kJetStreamKeys = {"max_consumers"};

// A subject to subscribe to: non-empty tokens, no white space, `>` only as the last token.
std::string subscribe_subject_problem(const std::string& subject) {
  if (trim(subject).empty()) return "must not be empty";
  for (char ch : subject)
    if (std::isspace(static_cast<unsigned char>(ch)) || static_cast<unsigned char>(ch) < 0x20)
      return quote(subject) + " must not contain white space";
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = subject.find('.', start);
    const std::string token = subject.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (token.empty()) return quote(subject) + " has an empty token";
    if (token == ">" && dot != std::string::npos) return quote(subject) + ": '>' must be the last token";
    if (token.size() > 1 && token.find_first_of("*>") != std::string::npos)
      return quote(subject) + ": a wildcard must be a whole token";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return "";
}

class ObservationReader {
 public:
  ObservationReader(std::string source, const std::map<std::string, std::string>& environment)
      : source_(std::move(source)), env_(environment) {}

  std::vector<ObservationConfig> read(const YAML::Node& node) {
    std::vector<ObservationConfig> out;
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsSequence()) {
      add(where(node), "observations", "expected a list of observations, got " + yaml_kind(node));
      return out;
    }
    std::map<std::string, std::size_t> names;
    std::size_t i = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++i) {
      const std::string path = "observations[" + std::to_string(i) + "]";
      const std::string at = it->IsNull() ? where(node) : where(*it);
      if (!it->IsMap()) {
        add(at, path, "expected a map with at least a name and a kind, got " + yaml_kind(*it));
        continue;
      }
      ObservationConfig o;
      o.origin = at;
      o.connection.name = "nats-exporter-observation";
      read_one(*it, path, at, o);
      if (!o.name.empty()) {
        auto [pos, fresh] = names.emplace(o.name, i);
        if (!fresh)
          add(at, path + ".name",
              "duplicate observation name " + quote(o.name) + " (already used by observations[" +
                  std::to_string(pos->second) + "])");
      }
      out.push_back(std::move(o));
    }
    return out;
  }

  void throw_if_any() const {
    if (problems_.empty()) return;
    std::string all;
    for (const auto& p : problems_) all += (all.empty() ? "" : "\n") + p;
    throw ConfigError(all);
  }

 private:
  std::string where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return source_;
    return source_ + ":" + std::to_string(m.line + 1);
  }
  void add(const std::string& at, const std::string& path, const std::string& problem) {
    problems_.push_back(at + ": " + path + ": " + problem);
  }

  bool scalar(const YAML::Node& v, const std::string& path, std::string& out, const char* expected) {
    if (!v.IsScalar()) {
      add(where(v), path, std::string("expected ") + expected + ", got " + yaml_kind(v));
      return false;
    }
    out = v.Scalar();
    return true;
  }

  void count(const YAML::Node& v, const std::string& path, std::size_t& out) {
    std::string text;
    if (!scalar(v, path, text, "a whole number")) return;
    const std::string t = trim(text);
    unsigned long long n = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || n < 1 || n > 100000) {
      add(where(v), path, quote(text) + " is not a whole number in 1..100000");
      return;
    }
    out = static_cast<std::size_t>(n);
  }

  void read_one(const YAML::Node& node, const std::string& path, const std::string& at, ObservationConfig& o) {
    bool kind_ok = false;
    const YAML::Node kind_node = node["kind"];
    if (!kind_node.IsDefined() || kind_node.IsNull()) {
      add(at, path + ".kind", "is required (service-latency or jetstream-events)");
    } else if (!kind_node.IsScalar()) {
      add(where(kind_node), path + ".kind", "expected service-latency or jetstream-events, got " + yaml_kind(kind_node));
    } else {
      const std::string k = lower(trim(kind_node.Scalar()));
      kind_ok = true;
      if (k == "service-latency") o.kind = ObservationKind::service_latency;
      else if (k == "jetstream-events") o.kind = ObservationKind::jetstream_events;
      else {
        kind_ok = false;
        add(where(kind_node), path + ".kind",
            quote(kind_node.Scalar()) + " is not an observation kind (service-latency, jetstream-events)" +
                did_you_mean(k, {"service-latency", "jetstream-events"}));
      }
    }
    std::vector<std::string> known = kCommonKeys;
    const auto& extra = o.kind == ObservationKind::service_latency ? kServiceKeys : kJetStreamKeys;
    const auto& other = o.kind == ObservationKind::service_latency ? kJetStreamKeys : kServiceKeys;
    known.insert(known.end(), extra.begin(), extra.end());
    if (!kind_ok) known.insert(known.end(), other.begin(), other.end());

    bool name_seen = false, subject_seen = false;
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        add(where(it->first), path, "keys must be plain names, got " + yaml_kind(it->first));
        continue;
      }
      const std::string key = it->first.Scalar();
      const std::string kp = path + "." + key;
      if (!seen.insert(key).second) {
        add(where(it->first), kp, "duplicate key");
        continue;
      }
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        if (std::find(other.begin(), other.end(), key) != other.end())
          add(where(it->first), kp, std::string("is not used by kind ") + observation_kind_name(o.kind));
        else
          add(where(it->first), kp, "unknown key" + did_you_mean(key, known));
        continue;
      }
      const YAML::Node v = it->second;
      if (v.IsNull()) continue;
      if (key == "name") {
        name_seen = true;
        if (scalar(v, kp, o.name, "a string") && trim(o.name).empty()) add(where(v), kp, "must not be empty");
      } else if (key == "subject") {
        subject_seen = true;
        if (scalar(v, kp, o.subject, "a subject")) {
          const std::string why = subscribe_subject_problem(o.subject);
          if (!why.empty()) add(where(v), kp, why);
        }
      } else if (key == "max_services") {
        count(v, kp, o.max_services);
      } else if (key == "max_responders") {
        count(v, kp, o.max_responders);
      } else if (key == "max_consumers") {
        count(v, kp, o.max_consumers);
      }
      // servers, connection, buckets: below, by the probe's parser
    }
    parse_connection_keys(node, path, source_, env_, o.servers, o.connection, &o.buckets, problems_);
    if (!name_seen) add(at, path + ".name", "is required");
    if (kind_ok && o.kind == ObservationKind::service_latency && !subject_seen)
      add(at, path + ".subject",
          "is required for kind service-latency (the exports' latency subjects, e.g. latency.svc.>)");
  }

  std::string source_;
  const std::map<std::string, std::string>& env_;
  std::vector<std::string> problems_;
};

auto tie_tls(const ProbeTlsConfig& t) { return std::tie(t.enabled, t.ca_file, t.cert_file, t.key_file, t.insecure_skip_verify); }
auto tie_auth(const ProbeAuthConfig& a) {
  return std::tie(a.user, a.password, a.token, a.user_jwt, a.nkey_seed, a.nkey_public);
}
auto tie_connection(const ProbeConnectionConfig& c) {
  return std::tie(c.name, c.connect_timeout, c.reconnect_wait, c.reconnect_jitter, c.reconnect_buffer_bytes,
                  c.ping_interval, c.max_pings_out);
}
auto tie_observation(const ObservationConfig& o) {
  return std::tie(o.name, o.kind, o.subject, o.servers, o.buckets, o.max_services, o.max_responders, o.max_consumers);
}

}  // namespace

const char* observation_kind_name(ObservationKind kind) {
  return kind == ObservationKind::service_latency ? "service-latency" : "jetstream-events";
}

std::vector<ObservationConfig> parse_observations(const YAML::Node& node, const std::string& source,
                                                  const std::map<std::string, std::string>& environment) {
  ObservationReader reader(source.empty() ? "<config>" : source, environment);
  auto out = reader.read(node);
  reader.throw_if_any();
  return out;
}

std::vector<ObservationConfig> parse_observations(const YAML::Node& node, const std::string& source) {
  return parse_observations(node, source, process_environment());
}

bool same_observation_config(const ObservationConfig& a, const ObservationConfig& b) {
  return tie_observation(a) == tie_observation(b) && tie_connection(a.connection) == tie_connection(b.connection) &&
         tie_tls(a.connection.tls) == tie_tls(b.connection.tls) &&
         tie_auth(a.connection.auth) == tie_auth(b.connection.auth);
}

}  // namespace natsexp
