#include "config/system_account_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "config/config_text.h"
#include "config/load.h"

namespace natsexp {

namespace {

using config_text::did_you_mean;
using config_text::lower;
using config_text::quote;
using config_text::trim;
using config_text::yaml_kind;

const std::vector<std::string> kKeys = {"servers", "connection", "prefer", "discovery_gap", "forget_after"};

}  // namespace

SystemAccountConfig parse_system_account(const YAML::Node& node, const std::string& source_name,
                                         const std::map<std::string, std::string>& environment,
                                         std::vector<std::string>& problems) {
  const std::string source = source_name.empty() ? "<config>" : source_name;
  auto where = [&](const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return m.line < 0 ? source : source + ":" + std::to_string(m.line + 1);
  };
  auto add = [&](const YAML::Node& n, const std::string& key, const std::string& problem) {
    problems.push_back(where(n) + ": system_account" + (key.empty() ? "" : "." + key) + ": " + problem);
  };
  SystemAccountConfig c;
  c.connection.name = "nats-exporter-system-account";
  c.origin = where(node);
  if (!node.IsMap()) {
    add(node, "", "expected a map with servers and connection, got " + yaml_kind(node));
    return c;
  }
  c.enabled = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end())
      add(it->first, key, "unknown key" + did_you_mean(key, kKeys));
  }
  // servers and connection: exactly the probes' reading.
  parse_connection_keys(node, "system_account", source_name, environment, c.servers, c.connection, nullptr, problems);

  if (const YAML::Node v = node["prefer"]; v.IsDefined()) {
    const std::string p = v.IsScalar() ? lower(trim(v.Scalar())) : "";
    if (p == "http") c.prefer_http = true;
    else if (p == "system_account") c.prefer_http = false;
    else add(v, "prefer", (v.IsScalar() ? quote(v.Scalar()) : yaml_kind(v)) + " is not http or system_account");
  }
  auto duration = [&](const char* key, std::chrono::milliseconds& out, std::chrono::milliseconds low,
                      std::chrono::milliseconds high) {
    const YAML::Node v = node[key];
    if (!v.IsDefined()) return;
    if (!v.IsScalar()) return add(v, key, "expected a duration such as 250ms, got " + yaml_kind(v));
    try {
      const auto d = parse_duration(v.Scalar());
      if (d < low || d > high)
        return add(v, key, quote(v.Scalar()) + " is out of range (" + format_duration(low) + ".." + format_duration(high) + ")");
      out = d;
    } catch (const std::exception& e) {
      add(v, key, quote(v.Scalar()) + " is not a duration (" + e.what() + ")");
    }
  };
  duration("discovery_gap", c.discovery_gap, std::chrono::milliseconds(10), std::chrono::milliseconds(10000));
  duration("forget_after", c.forget_after, std::chrono::milliseconds(1000), std::chrono::hours(24 * 7));
  return c;
}

}  // namespace natsexp
