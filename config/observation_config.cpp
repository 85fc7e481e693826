// Parsing of the `observations:` list. See config/observation_config.h and docs/observations.md.
#include "config/observation_config.h"

#include <yaml-cpp/yaml.h>

#include "base/subject.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using T = RowType;
using O = ObservationConfig;
const ItemKinds kKinds = {{"service-latency", "jetstream-events"},
                          {{"subject", "max_services", "max_responders"}, {"max_consumers"}},
                          "an observation kind"};

const std::vector<Row<O>> kRows = {
    checked_row<O>("name", T::text, NATSEXP_FIELD(name), blank_problem),
    row<O>("buckets", T::custom, [](Reader& r, const Entry& e, O& o) { read_buckets(r, e, o.buckets); }),
    checked_row<O>("subject", T::text, NATSEXP_FIELD(subject),
                   [](const std::string& s) { return subject_problem(s, true); }),
    row<O>("max_services", T::count, NATSEXP_FIELD(max_services), 1, 100000),
    row<O>("max_responders", T::count, NATSEXP_FIELD(max_responders), 1, 100000),
    row<O>("max_consumers", T::count, NATSEXP_FIELD(max_consumers), 1, 100000),
};

void read_one(Reader& r, const YAML::Node& node, const std::string& path, const std::string& at, O& o) {
  std::optional<std::size_t> kind;
  const auto entries = read_kind_item(r, node, path, at, keys_of(kRows), kKinds, kind, o);
  if (kind) o.kind = static_cast<ObservationKind>(*kind);
  read_rows(r, entries, kRows, o);
  if (kind && o.kind == ObservationKind::service_latency && !given(node, "subject"))
    r.add(at, path + ".subject",
          "is required for kind service-latency (the exports' latency subjects, e.g. latency.svc.>)");
}

}  // namespace

const char* observation_kind_name(ObservationKind kind) {
  return kKinds.names.at(static_cast<std::size_t>(kind)).c_str();
}

std::vector<ObservationConfig> read_observations(Reader& r, const YAML::Node& node) {
  ObservationConfig proto;
  proto.connection.name = "nats-exporter-observation";
  return read_named_list(r, node, "observations", "observation", proto, read_one);
}

}  // namespace natsexp
