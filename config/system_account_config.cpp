#include "config/system_account_config.h"

#include <yaml-cpp/yaml.h>

#include "config/reader.h"

namespace natsexp {

namespace {

using S = SystemAccountConfig;
using T = RowType;

void read_prefer(Reader& r, const Entry& e, S& c) {
  if (auto side = r.choice(e, {"http", "system_account"}, "a side to prefer")) c.prefer_http = *side == 0;
}

const std::vector<Row<S>> kRows = {
    row<S>("prefer", T::custom, read_prefer),
    row<S>("discovery_gap", T::duration, NATSEXP_FIELD(discovery_gap), 10, 10000),
    row<S>("forget_after", T::duration, NATSEXP_FIELD(forget_after), 1000, 7 * 24 * 3600 * 1000.0),
};

}  // namespace

SystemAccountConfig read_system_account(Reader& r, const YAML::Node& node) {
  SystemAccountConfig c;
  c.connection.name = "nats-exporter-system-account";
  c.origin = r.where(node);
  if (!node.IsMap()) {
    r.add(c.origin, "system_account", "expected a map with servers and connection, got " + yaml_kind(node));
    return c;
  }
  c.enabled = true;
  // servers, connection: read by read_servers_and_connection, exactly the probes' reading.
  const auto entries = r.entries(node, "system_account", c.origin, keys_of(kRows, {"servers", "connection"}));
  read_rows(r, entries, kRows, c);
  read_servers_and_connection(r, entries, c);
  return c;
}

}  // namespace natsexp
