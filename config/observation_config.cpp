// Parsing of the `observations:` list. See config/observation_config.h and docs/observations.md.
#include "config/observation_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "base/subject.h"
#include "base/text.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using strings::quote;
using strings::trim;

using T = RowType;
using O = ObservationConfig;
const std::vector<std::string> kKinds = {"service-latency", "jetstream-events"};
const std::vector<std::string> kServiceKeys = {"subject", "max_services", "max_responders"};
const std::vector<std::string> kJetStreamKeys = {"max_consumers"};

// Keys read by read_one's own code: the kind first, the connection then the servers last.
void read_elsewhere(Reader&, const Entry&, O&) {}

const std::vector<Row<O>> kRows = {
    checked_row<O>("name", T::text, NATSEXP_FIELD(name),
                   [](const std::string& n) -> std::string { return trim(n).empty() ? "must not be empty" : ""; }),
    row<O>("kind", T::custom, read_elsewhere),
    row<O>("servers", T::custom, read_elsewhere),
    row<O>("connection", T::custom, read_elsewhere),
    row<O>("buckets", T::custom, [](Reader& r, const Entry& e, O& o) { read_buckets(r, e, o.buckets); }),
    checked_row<O>("subject", T::text, NATSEXP_FIELD(subject),
                   [](const std::string& s) { return subject_problem(s, true); }),
    row<O>("max_services", T::count, NATSEXP_FIELD(max_services), 1, 100000),
    row<O>("max_responders", T::count, NATSEXP_FIELD(max_responders), 1, 100000),
    row<O>("max_consumers", T::count, NATSEXP_FIELD(max_consumers), 1, 100000),
};

void read_one(Reader& r, const YAML::Node& node, const std::string& path, const std::string& at, O& o) {
  const auto kind = r.kind(node, path, at, kKinds, "an observation kind");
  if (kind) o.kind = static_cast<ObservationKind>(*kind);
  const auto& other = o.kind == ObservationKind::service_latency ? kJetStreamKeys : kServiceKeys;
  std::vector<Entry> entries;
  for (auto& e : r.entries(node, path, at, keys_of(kRows))) {
    if (kind && std::find(other.begin(), other.end(), e.name) != other.end())
      r.add(r.where(e.key), e.path, std::string("is not used by kind ") + observation_kind_name(o.kind));
    else entries.push_back(e);
  }
  read_rows(r, entries, kRows, o);
  read_servers_and_connection(r, entries, o.servers, o.connection);
  if (!given(node, "name")) r.add(at, path + ".name", "is required");
  if (kind && o.kind == ObservationKind::service_latency && !given(node, "subject"))
    r.add(at, path + ".subject",
          "is required for kind service-latency (the exports' latency subjects, e.g. latency.svc.>)");
}

}  // namespace

const char* observation_kind_name(ObservationKind kind) {
  return kind == ObservationKind::service_latency ? "service-latency" : "jetstream-events";
}

std::vector<ObservationConfig> read_observations(Reader& r, const YAML::Node& node) {
  ObservationConfig proto;
  proto.connection.name = "nats-exporter-observation";
  return read_named_list(r, node, "observations", "observation", proto, read_one);
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

}  // namespace natsexp
