#include "config/system_account_config.h"

#include <tuple>

#include <yaml-cpp/yaml.h>

#include "base/text.h"
#include "config/reader.h"

namespace natsexp {

SystemAccountConfig read_system_account(Reader& r, const YAML::Node& node) {
  SystemAccountConfig c;
  c.connection.name = "nats-exporter-system-account";
  c.origin = r.where(node);
  if (!node.IsMap()) {
    r.add(c.origin, "system_account", "expected a map with servers and connection, got " + yaml_kind(node));
    return c;
  }
  c.enabled = true;
  const std::vector<std::string> known = {"servers", "connection", "prefer", "discovery_gap", "forget_after"};
  for (auto& e : r.entries(node, "system_account", c.origin, known)) {
    if (e.name == "prefer") {
      std::string prefer;
      if (!r.scalar(e, prefer, "http or system_account")) continue;
      prefer = strings::lower(strings::trim(prefer));
      if (prefer == "http" || prefer == "system_account") c.prefer_http = prefer == "http";
      else r.add(e, strings::quote(prefer) + " is not http or system_account");
    } else if (e.name == "discovery_gap") {
      r.duration(e, c.discovery_gap, std::chrono::milliseconds(10), std::chrono::milliseconds(10000));
    } else if (e.name == "forget_after") {
      r.duration(e, c.forget_after, std::chrono::milliseconds(1000), std::chrono::hours(24 * 7));
    }
    // servers, connection: below, exactly the probes' reading.
  }
  read_connection_keys(r, node, "system_account", c.servers, c.connection, nullptr);
  return c;
}

bool same_system_account_config(const SystemAccountConfig& a, const SystemAccountConfig& b) {
  const auto tie = [](const SystemAccountConfig& s) {
    const auto& c = s.connection;
    return std::tie(s.enabled, s.servers, s.prefer_http, s.discovery_gap, s.forget_after, c.name, c.tls.enabled,
                    c.tls.ca_file, c.tls.cert_file, c.tls.key_file, c.tls.insecure_skip_verify, c.auth.user,
                    c.auth.password, c.auth.token, c.auth.user_jwt, c.auth.nkey_seed, c.connect_timeout,
                    c.reconnect_wait, c.reconnect_jitter, c.reconnect_buffer_bytes, c.ping_interval, c.max_pings_out);
  };
  return tie(a) == tie(b);
}

}  // namespace natsexp
