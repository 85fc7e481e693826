// slow-consumers: the server cuts off clients as slow consumers.
#include "collectors/doctor/checks.h"

#include <algorithm>

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_slow_consumers(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                 const DoctorConfig& config) {
  const auto& cfg = config.slow_consumers;
  CheckResult r = begin_check(kSlowConsumers, config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  const bool have_previous = usable(now, previous, at);

  std::vector<std::string> lines, notes;
  double rise = 0;
  if (have_previous && now.varz.slow_consumers && previous->slow_consumers) {
    rise = *now.varz.slow_consumers - *previous->slow_consumers;
    if (rise >= cfg.min_increase)
      lines.push_back("slow_consumers rose by " + format_number(rise) + " (from " +
                      format_number(*previous->slow_consumers) + " to " + format_number(*now.varz.slow_consumers) +
                      ") in the last " + format_seconds(at - previous->at));
    else
      notes.push_back(
          "slow_consumers " +
          (rise == 0 ? "unchanged at " + format_number(*now.varz.slow_consumers) : "rose by " + format_number(rise)) +
          " over the last " + format_seconds(at - previous->at));
  } else if (now.varz.slow_consumers) {
    notes.push_back(plural(*now.varz.slow_consumers, "slow consumer", "slow consumers") +
                    " since the server started (the rise needs a previous evaluation)");
  }
  if (!now.varz.slow_consumer_stats.empty() && rise >= cfg.min_increase) {
    std::string kinds;
    for (const auto& [kind, n] : now.varz.slow_consumer_stats)
      kinds += (kinds.empty() ? "" : ", ") + kind + " " + format_number(n);
    lines.push_back("slow consumers since start by kind: " + kinds);
  }

  std::size_t named = 0;
  if (now.closed && cfg.window.count() > 0) {
    const std::optional<double> ref = now.closed_now ? now.closed_now : now.varz.now;
    const double window = static_cast<double>(cfg.window.count()) / 1000.0;
    for (const auto& c : *now.closed) {
      if (!is_slow_consumer_reason(c.reason)) continue;
      if (!c.stop || !ref || *ref - *c.stop > window) continue;
      ++named;
      std::string line = connection_label(c.name, c.cid, c.account, c.ip) + " was closed " +
                         format_seconds(std::max(0.0, *ref - *c.stop)) + " ago: " + c.reason;
      if (c.pending_bytes && *c.pending_bytes > 0) line += ", " + format_bytes(*c.pending_bytes) + " were pending";
      lines.push_back(line);
    }
  } else if (!now.closed && !have_previous) {
    return skip(r, missing(now, "closed connections") + ", and there is no previous evaluation to compare with");
  }
  const std::string window_text = format_seconds(static_cast<double>(cfg.window.count()) / 1000.0);
  const double counted = rise >= cfg.min_increase ? rise : 0;
  if (counted == 0 && named == 0) {
    std::string summary = "no connection was closed as a slow consumer in the last " + window_text;
    for (const auto& n : notes) summary += "; " + n;
    r.summary = summary;
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  const double affected = std::max(counted, static_cast<double>(named));
  std::string summary = plural(affected, "slow consumer", "slow consumers");
  if (counted > 0) summary += ": the server's count rose by " + format_number(counted);
  if (named > 0)
    summary += std::string(counted > 0 ? "; " : ": ") +
               plural(static_cast<double>(named), "connection", "connections") +
               " closed as slow consumers in the last " + window_text;
  finding(r, static_cast<std::size_t>(affected), summary);
  return r;
}

const CheckDefinition kSlowConsumers = {
    settings_of<&DoctorConfig::slow_consumers>,
    "The server is cutting off clients that do not read their messages fast enough; until it does, their "
    "messages wait in its buffers and arrive late, and afterwards they are lost for that client.",
    "Find out why the named clients fall behind: a blocked event loop or callback, a slow handler, too "
    "little CPU, long GC pauses. Hand messages to workers instead of processing them in the callback, "
    "spread the load over a queue group with more members, subscribe to fewer or narrower subjects, and "
    "raise the client library's pending limits if bursts are expected. Raising max_pending or "
    "write_deadline on the server only buys time.",
    check_slow_consumers,
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
