// pending-near-limit: connections hold a large share of max_pending.
#include "collectors/doctor/checks.h"

#include <algorithm>

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_pending_near_limit(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.pending_near_limit;
  CheckResult r = begin_check(kPendingNearLimit, config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections) return skip(r, missing(now, "connz"));
  const bool known = now.varz.max_pending && *now.varz.max_pending > 0;
  const double max_pending = known ? *now.varz.max_pending : 64.0 * 1024 * 1024;  // nats-server's default
  const double threshold = cfg.ratio * max_pending;
  struct Hit {
    double pending;
    std::string line;
  };
  std::vector<Hit> hits;
  double highest = 0;
  for (const auto& c : *now.connections) {
    if (!c.pending_bytes) continue;
    highest = std::max(highest, *c.pending_bytes);
    if (*c.pending_bytes <= threshold) continue;
    hits.push_back({*c.pending_bytes, connection_label(c.name, c.cid, c.account, c.ip) + ": " +
                                          format_bytes(*c.pending_bytes) + " pending, " +
                                          format_percent(*c.pending_bytes / max_pending) + " of max_pending"});
  }
  const std::string limit_text = "max_pending " + format_bytes(max_pending) + (known ? "" : " (the default)");
  if (hits.empty()) {
    r.summary = "no connection has more than " + format_percent(cfg.ratio) + " of " + limit_text +
                " pending (highest: " + format_bytes(highest) + ")";
    return r;
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.pending > b.pending; });
  std::vector<std::string> lines;
  for (const auto& h : hits) lines.push_back(h.line);
  add_evidence(r, lines, config.max_evidence);
  finding(r, hits.size(),
          plural(static_cast<double>(hits.size()), "connection has", "connections have") + " more than " +
              format_percent(cfg.ratio) + " of " + limit_text + " pending");
  return r;
}

const CheckDefinition kPendingNearLimit = {
    settings_of<&DoctorConfig::pending_near_limit>,
    "The server holds a large share of max_pending for some connections: those clients read slower than "
    "they receive, their messages queue up (latency), and they are close to being cut off as slow "
    "consumers.",
    "Make the named clients read faster or send them less: process messages asynchronously, use a queue "
    "group to spread the load, narrow their subscriptions. A larger max_pending only delays the cut-off "
    "and lets the queue (and the latency) grow.",
    [](const ServerEvidence& now, const ServerBaseline*, double, const DoctorConfig& config) {
      return check_pending_near_limit(now, config);
    },
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
