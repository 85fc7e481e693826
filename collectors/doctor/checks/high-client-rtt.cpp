// high-client-rtt: clients far from their server.
#include "collectors/doctor/checks.h"

#include <algorithm>

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_high_client_rtt(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.high_client_rtt;
  CheckResult r = begin_check(kHighClientRtt, config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections) return skip(r, missing(now, "connz"));
  struct Hit {
    double rtt;
    std::string line;
  };
  std::vector<Hit> hits;
  double highest = 0;
  std::size_t measured = 0;
  for (const auto& c : *now.connections) {
    if (!c.rtt) continue;
    ++measured;
    highest = std::max(highest, *c.rtt);
    if (*c.rtt <= cfg.rtt_seconds) continue;
    std::string line = connection_label(c.name, c.cid, c.account, c.ip);
    if (!c.lang.empty()) line += " [" + c.lang + (c.version.empty() ? "" : " " + c.version) + "]";
    hits.push_back({*c.rtt, line + ": RTT " + format_seconds(*c.rtt)});
  }
  if (hits.empty()) {
    r.summary = "no client RTT above " + format_seconds(cfg.rtt_seconds) + " (" + std::to_string(measured) +
                " measured, highest " + format_seconds(highest) + ")";
    return r;
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.rtt > b.rtt; });
  std::vector<std::string> lines;
  for (const auto& h : hits) lines.push_back(h.line);
  add_evidence(r, lines, config.max_evidence);
  finding(r, hits.size(),
          plural(static_cast<double>(hits.size()), "client has", "clients have") + " an RTT above " +
              format_seconds(cfg.rtt_seconds) + " (highest " + format_seconds(highest) + ")");
  return r;
}

const CheckDefinition kHighClientRtt = {
    settings_of<&DoctorConfig::high_client_rtt>,
    "Some clients have a high round-trip time to the server: every request/reply, flush and "
    "acknowledgement pays it at least once.",
    "Connect clients to a server near them (same zone or region: a cluster member or a leaf node per "
    "site), look for overloaded client hosts (the RTT includes the client's own scheduling delay), and "
    "avoid proxies and load balancers in the path.",
    [](const ServerEvidence& now, const ServerBaseline*, double, const DoctorConfig& config) {
      return check_high_client_rtt(now, config);
    },
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
