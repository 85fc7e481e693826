// Parsing of the `observations:` list. See config/observation_config.h and docs/observations.md.
#include "config/observation_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "base/subject.h"
#include "base/text.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using strings::quote;
using strings::trim;

const std::vector<std::string> kCommonKeys = {"name", "kind", "servers", "connection", "buckets"};
const std::vector<std::string> kServiceKeys = {"subject", "max_services", "max_responders"};
const std::vector<std::string> kJetStreamKeys = {"max_consumers"};

void read_one(Reader& r, const YAML::Node& node, const std::string& path, const std::string& at, ObservationConfig& o) {
  bool kind_ok = false;
  const YAML::Node kind_node = node["kind"];
  if (!kind_node.IsDefined() || kind_node.IsNull()) {
    r.add(at, path + ".kind", "is required (service-latency or jetstream-events)");
  } else if (!kind_node.IsScalar()) {
    r.add(r.where(kind_node), path + ".kind",
          "expected service-latency or jetstream-events, got " + yaml_kind(kind_node));
  } else {
    const std::string k = strings::lower(trim(kind_node.Scalar()));
    kind_ok = k == "service-latency" || k == "jetstream-events";
    if (kind_ok) o.kind = k == "service-latency" ? ObservationKind::service_latency : ObservationKind::jetstream_events;
    else
      r.add(r.where(kind_node), path + ".kind",
            quote(kind_node.Scalar()) + " is not an observation kind (service-latency, jetstream-events)" +
                strings::did_you_mean(k, {"service-latency", "jetstream-events"}));
  }
  std::vector<std::string> known = kCommonKeys;
  const auto& extra = o.kind == ObservationKind::service_latency ? kServiceKeys : kJetStreamKeys;
  const auto& other = o.kind == ObservationKind::service_latency ? kJetStreamKeys : kServiceKeys;
  known.insert(known.end(), extra.begin(), extra.end());
  known.insert(known.end(), other.begin(), other.end());
  bool name_seen = false, subject_seen = false;
  for (auto& e : r.entries(node, path, at, known)) {
    if (kind_ok && std::find(other.begin(), other.end(), e.name) != other.end()) {
      r.add(r.where(e.key), e.path, std::string("is not used by kind ") + observation_kind_name(o.kind));
    } else if (e.name == "name") {
      name_seen = true;
      if (r.string(e, o.name) && trim(o.name).empty()) r.add(e, "must not be empty");
    } else if (e.name == "subject") {
      subject_seen = true;
      if (r.scalar(e, o.subject, "a subject"))
        if (auto why = subject_problem(o.subject, true); !why.empty()) r.add(e, why);
    } else if (e.name == "max_services" || e.name == "max_responders" || e.name == "max_consumers") {
      r.count(e,
              e.name == "max_services"     ? o.max_services
              : e.name == "max_responders" ? o.max_responders
                                           : o.max_consumers,
              1, 100000);
    }
    // servers, connection, buckets: below, by the probe's reader
  }
  read_connection_keys(r, node, path, o.servers, o.connection, &o.buckets);
  if (!name_seen) r.add(at, path + ".name", "is required");
  if (kind_ok && o.kind == ObservationKind::service_latency && !subject_seen)
    r.add(at, path + ".subject",
          "is required for kind service-latency (the exports' latency subjects, e.g. latency.svc.>)");
}

auto tie_tls(const ProbeTlsConfig& t) {
  return std::tie(t.enabled, t.ca_file, t.cert_file, t.key_file, t.insecure_skip_verify);
}
auto tie_auth(const ProbeAuthConfig& a) { return std::tie(a.user, a.password, a.token, a.user_jwt, a.nkey_seed); }
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

std::vector<ObservationConfig> read_observations(Reader& r, const YAML::Node& node) {
  std::vector<ObservationConfig> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) {
    r.add(r.where(node), "observations", "expected a list of observations, got " + yaml_kind(node));
    return out;
  }
  std::map<std::string, std::size_t> names;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const std::string path = "observations[" + std::to_string(i) + "]";
    const std::string at = it->IsNull() ? r.where(node) : r.where(*it);
    if (!it->IsMap()) {
      r.add(at, path, "expected a map with at least a name and a kind, got " + yaml_kind(*it));
      continue;
    }
    ObservationConfig o;
    o.origin = at;
    o.connection.name = "nats-exporter-observation";
    read_one(r, *it, path, at, o);
    if (!o.name.empty()) {
      auto [pos, fresh] = names.emplace(o.name, i);
      if (!fresh)
        r.add(at, path + ".name",
              "duplicate observation name " + quote(o.name) + " (already used by observations[" +
                  std::to_string(pos->second) + "])");
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<ObservationConfig> parse_observations(const YAML::Node& node, const std::string& source,
                                                  const std::map<std::string, std::string>& environment) {
  Reader r(source, &environment);
  auto out = read_observations(r, node);
  r.throw_if_any();
  return out;
}

std::vector<ObservationConfig> parse_observations(const YAML::Node& node, const std::string& source) {
  const auto environment = process_environment();
  return parse_observations(node, source, environment);
}

bool same_observation_config(const ObservationConfig& a, const ObservationConfig& b) {
  return tie_observation(a) == tie_observation(b) && tie_connection(a.connection) == tie_connection(b.connection) &&
         tie_tls(a.connection.tls) == tie_tls(b.connection.tls) &&
         tie_auth(a.connection.auth) == tie_auth(b.connection.auth);
}

}  // namespace natsexp
