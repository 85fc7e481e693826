#include "collectors/observations/events.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "collectors/collector.h"
#include "collectors/json.h"

namespace natsexp::observations {

namespace {

constexpr double kNs = 1e-9;

// The message's JSON object, read with the collectors' one JSON API; nullptr (and why) otherwise.
std::shared_ptr<const JsonDocument> parse_object(std::string_view payload, std::string* error) {
  std::shared_ptr<const JsonDocument> doc;
  try {
    doc = parse_json(std::string(payload));
  } catch (const FetchError&) {
    if (error) *error = "not JSON";
    return nullptr;
  }
  if (!doc->root().is_object()) {
    if (error) *error = "not a JSON object";
    return nullptr;
  }
  return doc;
}

std::optional<double> number(const JsonValue& obj, const char* key) { return obj.find(key).as_number(); }

std::string text(const JsonValue& obj, const char* key) {
  return std::string(obj.find(key).as_string().value_or(std::string_view{}));
}

std::vector<std::string> tokens(std::string_view subject) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = subject.find('.', start);
    out.emplace_back(subject.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

bool has_prefix(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// A JSON number as a whole number in [lo, hi], or nullopt (out of range, NaN): casting such a double
// would be undefined.
template <typename T>
std::optional<T> whole(std::optional<double> v, double lo, double hi) {
  if (!v || !std::isfinite(*v) || *v < lo || *v > hi) return std::nullopt;
  return static_cast<T>(*v);
}

}  // namespace

std::optional<ServiceLatencySample> parse_service_latency(std::string_view subject, std::string_view payload,
                                                          std::string* error) {
  const auto parsed = parse_object(payload, error);
  if (!parsed) return std::nullopt;
  const JsonValue doc = parsed->root();
  const std::string type = text(doc, "type");
  if (!type.empty() && type != "io.nats.server.metric.v1.service_latency") {
    if (error) *error = "not a service_latency message (type " + type + ")";
    return std::nullopt;
  }
  auto status = whole<int>(number(doc, "status"), 0, 999);
  if (!status) {
    if (error) *error = "no status (or not a status code)";
    return std::nullopt;
  }
  ServiceLatencySample s;
  s.subject = std::string(subject);
  s.status = *status;
  const JsonValue requestor = doc.find("requestor");
  const JsonValue responder = doc.find("responder");
  s.responder = text(responder, "name");
  if (auto v = number(requestor, "rtt")) {
    s.requestor_rtt = *v * kNs;
    s.has_requestor_rtt = true;
  }
  if (auto v = number(responder, "rtt")) {
    s.responder_rtt = *v * kNs;
    s.has_responder_rtt = true;
  }
  s.total = number(doc, "total").value_or(0) * kNs;
  s.service = number(doc, "service").value_or(0) * kNs;
  s.system = number(doc, "system").value_or(0) * kNs;
  if (s.status == 200 && !number(doc, "total")) {
    if (error) *error = "status 200 without total";
    return std::nullopt;
  }
  return s;
}

const char* event_kind_name(JetStreamEventKind kind) {
  switch (kind) {
    case JetStreamEventKind::ack_sample: return "ack";
    case JetStreamEventKind::max_deliveries: return "max_deliveries";
    case JetStreamEventKind::nak: return "nak";
    case JetStreamEventKind::terminated: return "terminated";
    case JetStreamEventKind::api_audit: return "api";
    case JetStreamEventKind::leader_elected: return "leader_elected";
    case JetStreamEventKind::quorum_lost: return "quorum_lost";
    case JetStreamEventKind::other_known: return "other";
    case JetStreamEventKind::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<JetStreamEvent> parse_jetstream_event(std::string_view /*subject*/, std::string_view payload,
                                                    std::string* error) {
  const auto parsed = parse_object(payload, error);
  if (!parsed) return std::nullopt;
  const JsonValue doc = parsed->root();
  JetStreamEvent e;
  e.type = text(doc, "type");
  e.stream = text(doc, "stream");
  e.consumer = text(doc, "consumer");
  e.deliveries = whole<std::uint64_t>(number(doc, "deliveries"), 0, 1e15).value_or(0);
  static constexpr std::string_view kAdvisory = "io.nats.jetstream.advisory.v1.";
  if (e.type == "io.nats.jetstream.metric.v1.consumer_ack") {
    auto ack = number(doc, "ack_time");
    if (!ack || e.stream.empty() || e.consumer.empty()) {
      if (error) *error = "consumer_ack without ack_time, stream or consumer";
      return std::nullopt;
    }
    e.kind = JetStreamEventKind::ack_sample;
    e.ack_time = std::max(0.0, *ack) * kNs;
    return e;
  }
  if (e.type.empty()) {
    if (error) *error = "no type";
    return std::nullopt;
  }
  if (!has_prefix(e.type, kAdvisory)) {
    e.kind = JetStreamEventKind::unknown;
    return e;
  }
  const std::string name = e.type.substr(kAdvisory.size());
  if (name == "max_deliver") {
    e.kind = JetStreamEventKind::max_deliveries;
  } else if (name == "nak") {
    e.kind = JetStreamEventKind::nak;
  } else if (name == "terminated") {
    e.kind = JetStreamEventKind::terminated;
  } else if (name == "api_audit") {
    e.kind = JetStreamEventKind::api_audit;
    e.api = fold_api_subject(text(doc, "subject"));
    // The response is the API's JSON reply as a string; an error reply has an "error" object.
    const std::string response = text(doc, "response");
    if (!response.empty()) {
      if (const auto reply = parse_object(response, nullptr)) {
        const JsonValue api_error = reply->root().find("error");
        if (api_error.exists() && !api_error.is_null()) {
          e.api_error = true;
          e.api_error_code = whole<int>(number(api_error, "code"), 0, 999999).value_or(0);
        }
      }
    }
  } else if (name == "stream_leader_elected" || name == "consumer_leader_elected") {
    e.kind = JetStreamEventKind::leader_elected;
    e.target = name.substr(0, name.find('_'));
  } else if (name == "stream_quorum_lost" || name == "consumer_quorum_lost") {
    e.kind = JetStreamEventKind::quorum_lost;
    e.target = name.substr(0, name.find('_'));
  } else if (name == "stream_action" || name == "consumer_action" || name == "snapshot_create" ||
             name == "snapshot_complete" || name == "restore_create" || name == "restore_complete" ||
             name == "server_out_of_space" || name == "server_removed") {
    e.kind = JetStreamEventKind::other_known;
  } else {
    e.kind = JetStreamEventKind::unknown;
  }
  return e;
}

std::string fold_api_subject(std::string_view subject) {
  std::vector<std::string> t = tokens(subject);
  // $JS.API.… or $JS.<domain>.API.…
  std::size_t api = 0;
  std::string prefix;
  if (t.size() >= 3 && t[0] == "$JS" && t[1] == "API") {
    api = 2;
    prefix = "$JS.API";
  } else if (t.size() >= 4 && t[0] == "$JS" && t[2] == "API") {
    api = 3;
    prefix = "$JS.*.API";
  } else {
    return "other";
  }
  // The operations, longest first where one is the prefix of another; what follows are names.
  static const std::vector<std::vector<std::string>> kVerbs = {
      {"INFO"},
      {"STREAM", "CREATE"},
      {"STREAM", "UPDATE"},
      {"STREAM", "NAMES"},
      {"STREAM", "LIST"},
      {"STREAM", "INFO"},
      {"STREAM", "DELETE"},
      {"STREAM", "PURGE"},
      {"STREAM", "SNAPSHOT"},
      {"STREAM", "RESTORE"},
      {"STREAM", "MSG", "DELETE"},
      {"STREAM", "MSG", "GET"},
      {"STREAM", "LEADER", "STEPDOWN"},
      {"STREAM", "PEER", "REMOVE"},
      {"STREAM", "TEMPLATE", "CREATE"},
      {"STREAM", "TEMPLATE", "NAMES"},
      {"STREAM", "TEMPLATE", "INFO"},
      {"STREAM", "TEMPLATE", "DELETE"},
      {"DIRECT", "GET"},
      {"CONSUMER", "CREATE"},
      {"CONSUMER", "DURABLE", "CREATE"},
      {"CONSUMER", "NAMES"},
      {"CONSUMER", "LIST"},
      {"CONSUMER", "INFO"},
      {"CONSUMER", "DELETE"},
      {"CONSUMER", "MSG", "NEXT"},
      {"CONSUMER", "LEADER", "STEPDOWN"},
      {"CONSUMER", "PAUSE"},
      {"CONSUMER", "UNPIN"},
      {"ACCOUNT", "PURGE"},
      {"ACCOUNT", "STREAM", "MOVE"},
      {"ACCOUNT", "STREAM", "CANCEL_MOVE"},
      {"META", "LEADER", "STEPDOWN"},
      {"META", "SERVER", "REMOVE"},
      {"SERVER", "REMOVE"},
  };
  const std::vector<std::string>* best = nullptr;
  for (const auto& verb : kVerbs) {
    if (t.size() - api < verb.size()) continue;
    if (!std::equal(verb.begin(), verb.end(), t.begin() + static_cast<std::ptrdiff_t>(api))) continue;
    if (!best || verb.size() > best->size()) best = &verb;
  }
  if (!best) return "other";
  std::string out = prefix;
  for (const auto& v : *best) out += "." + v;
  // Names: at most two as `*`, anything longer (a filter or a subject) as `>`.
  const std::size_t names = t.size() - api - best->size();
  for (std::size_t i = 0; i < std::min<std::size_t>(names, 2); ++i) out += ".*";
  if (names > 2) out += ".>";
  return out;
}

}  // namespace natsexp::observations
