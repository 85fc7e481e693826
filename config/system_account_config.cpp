#include "config/system_account_config.h"

#include <tuple>

#include <yaml-cpp/yaml.h>

#include "base/text.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using S = SystemAccountConfig;
using T = RowType;

void read_prefer(Reader& r, const Entry& e, S& c) {
  std::string prefer;
  if (!r.scalar(e, prefer, "http or system_account")) return;
  prefer = strings::lower(strings::trim(prefer));
  if (prefer == "http" || prefer == "system_account") c.prefer_http = prefer == "http";
  else r.add(e, strings::quote(prefer) + " is not http or system_account");
}

// servers, connection: read by read_servers_and_connection, exactly the probes' reading.
void read_elsewhere(Reader&, const Entry&, S&) {}

const std::vector<Row<S>> kRows = {
    row<S>("servers", T::custom, read_elsewhere),
    row<S>("connection", T::custom, read_elsewhere),
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
  const auto entries = r.entries(node, "system_account", c.origin, keys_of(kRows));
  read_rows(r, entries, kRows, c);
  read_servers_and_connection(r, entries, c.servers, c.connection);
  return c;
}

bool same_system_account_config(const SystemAccountConfig& a, const SystemAccountConfig& b) {
  const auto tie = [](const SystemAccountConfig& s) {
    return std::tie(s.enabled, s.servers, s.prefer_http, s.discovery_gap, s.forget_after);
  };
  return tie(a) == tie(b) && same_connection_config(a.connection, b.connection);
}

}  // namespace natsexp
