// reconnect-storm: connections set up over and over (server churn, probe reconnects).
#include "collectors/doctor/checks.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_reconnect_storm(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                  const DoctorConfig& config) {
  const auto& cfg = config.reconnect_storm;
  CheckResult r = begin_check(kReconnectStorm, config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!usable(now, previous, at)) return skip(r, "connection churn needs a previous evaluation of this server");
  if (!now.varz.total_connections || !now.varz.connections || !previous->total_connections || !previous->connections)
    return skip(r, "varz has no total_connections or connections");
  const double seconds = at - previous->at;
  const double opened = std::max(0.0, *now.varz.total_connections - *previous->total_connections);
  const double net = *now.varz.connections - *previous->connections;
  const double per_minute = opened / seconds * 60;
  const double ratio = opened / std::max(1.0, std::fabs(net));
  const std::string numbers = format_number(opened) + " connections opened in the last " + format_seconds(seconds) +
                              " (" + format_number(std::round(per_minute)) +
                              " per minute) while open connections changed by " + signed_number(net);
  if (!(per_minute >= cfg.connects_per_minute && ratio >= cfg.churn_ratio)) {
    r.summary = numbers;
    return r;
  }
  r.evidence.push_back(numbers + ": " + format_number(std::round(ratio)) +
                       " new connections per open one (thresholds " + format_number(cfg.connects_per_minute) +
                       " per minute, " + format_number(cfg.churn_ratio) + "x)");
  // Who churns: the connections that closed during the window, by client name.
  if (now.closed) {
    const std::optional<double> ref = now.closed_now ? now.closed_now : now.varz.now;
    std::map<std::string, std::size_t> by_client;
    for (const auto& c : *now.closed)
      if (c.stop && ref && *ref - *c.stop <= seconds)
        ++by_client[c.name.empty()
                        ? "an unnamed client"
                        : "client " + quoted(c.name) + (c.account.empty() ? "" : " (account " + c.account + ")")];
    std::vector<std::pair<std::size_t, std::string>> sorted;
    for (const auto& [who, n] : by_client) sorted.emplace_back(n, who);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> lines;
    for (const auto& [n, who] : sorted)
      lines.push_back(who + ": " + plural(static_cast<double>(n), "connection", "connections") +
                      " closed in that time");
    add_evidence(r, lines, config.max_evidence);
  }
  finding(r, static_cast<std::size_t>(opened), "connection churn: " + numbers);
  return r;
}

CheckResult check_reconnect_storm_probes(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                         double at, const DoctorConfig& config) {
  const auto& cfg = config.reconnect_storm;
  CheckResult r = begin_check(kReconnectStorm, config, "probes");
  if (r.status == Status::skipped) return r;
  if (now.empty()) return skip(r, "no probe is configured (probes: in the config file)");
  if (previous && !(previous->at < at)) previous = nullptr;
  const std::string window = previous ? "in the last " + format_seconds(at - previous->at) : "since the probe started";
  std::vector<std::string> lines;
  double total = 0;
  for (const auto& p : now) {
    const probe::ProbeSnapshot* before = find_probe(previous, p);
    const double reconnects =
        delta(static_cast<double>(p.reconnects),
              before ? std::optional<double>(static_cast<double>(before->reconnects)) : std::nullopt);
    const double disconnects =
        delta(static_cast<double>(p.disconnects),
              before ? std::optional<double>(static_cast<double>(before->disconnects)) : std::nullopt);
    total += reconnects;
    if (reconnects < cfg.min_reconnects) continue;
    lines.push_back("probe " + quoted(p.name) + ": " + plural(reconnects, "reconnect", "reconnects") + " and " +
                    plural(disconnects, "disconnect", "disconnects") + " " + window +
                    (p.connected ? "" : "; disconnected now"));
  }
  return conclude(std::move(r), lines, config.max_evidence,
                  plural(total, "probe reconnect", "probe reconnects") + " " + window + " (threshold " +
                      format_number(cfg.min_reconnects) + " per probe)",
                  "probe reconnects", "probes reconnect", " repeatedly");
}

const CheckDefinition kReconnectStorm = {
    settings_of<&DoctorConfig::reconnect_storm>,
    "Connections are set up over and over: each one costs a TCP (and TLS) handshake, authentication and "
    "re-subscription, and messages published meanwhile wait in client buffers or are lost.",
    "Keep one long-lived connection per process instead of connecting per request (short-lived jobs, "
    "serverless functions and scripts in loops are the usual cause); look in the server log for why "
    "connections close (authorization, slow consumer, maximum connections, stale connection); check the "
    "network path and the clients' ping and reconnect settings.",
    check_reconnect_storm,
    check_reconnect_storm_probes,
    nullptr,
};

}  // namespace natsexp::doctor
