// server-limits: server settings that invite latency.
#include "collectors/doctor/checks.h"

#include <cmath>

#include "base/text.h"
#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_server_limits(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.server_limits;
  CheckResult r = begin_check(kServerLimits, config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  const auto& v = now.varz;
  std::vector<std::string> lines, fine;
  if (v.max_pending && v.max_payload && *v.max_payload > 0) {
    const double times = *v.max_pending / *v.max_payload;
    if (times < cfg.min_pending_payloads)
      lines.push_back("max_pending " + format_bytes(*v.max_pending) + " is only " +
                      format_number(std::round(times * 10) / 10) + "x max_payload " + format_bytes(*v.max_payload) +
                      " (threshold " + format_number(cfg.min_pending_payloads) +
                      "x): a few large messages fill a client's buffer and get it cut off as a slow consumer");
    else fine.push_back("max_pending " + format_number(std::round(times * 10) / 10) + "x max_payload");
  }
  if (v.max_payload && *v.max_payload > static_cast<double>(cfg.max_payload_bytes))
    lines.push_back("max_payload " + format_bytes(*v.max_payload) + " is above " +
                    format_bytes(static_cast<double>(cfg.max_payload_bytes)) +
                    ": a large message holds up every message behind it on the same connection");
  std::optional<double> max_rtt;
  std::string slowest;
  if (now.connections)
    for (const auto& c : *now.connections)
      if (c.rtt && *c.rtt > 0 && (!max_rtt || *c.rtt > *max_rtt)) {
        max_rtt = c.rtt;
        slowest = c.name.empty() ? "" : " (" + quoted(c.name) + ")";
      }
  if (v.write_deadline && max_rtt) {
    const double times = *v.write_deadline / *max_rtt;
    if (times > cfg.write_deadline_rtt_factor)
      lines.push_back("write_deadline " + format_seconds(*v.write_deadline) + " is " +
                      format_number(std::round(times)) + "x the highest client RTT " + format_seconds(*max_rtt) +
                      slowest + " (threshold " + format_number(cfg.write_deadline_rtt_factor) +
                      "x): a client that stops reading keeps receiving for up to " + format_seconds(*v.write_deadline) +
                      " before the server cuts it off, and its messages are that late");
    else
      fine.push_back("write_deadline " + format_seconds(*v.write_deadline) + " is " + format_number(std::round(times)) +
                     "x the highest client RTT");
  }
  std::string summary = "no setting out of line";
  if (!fine.empty()) summary += " (" + strings::join(fine, "; ") + ")";
  return conclude(std::move(r), lines, config.max_evidence, std::move(summary), "setting invites", "settings invite",
                  " latency");
}

const CheckDefinition kServerLimits = {
    settings_of<&DoctorConfig::server_limits>,
    "Server settings that invite latency.",
    "Keep max_pending at several times max_payload, keep max_payload small (8 MB at most; chunk large "
    "data, e.g. with the JetStream object store), and keep write_deadline close to what the slowest "
    "legitimate client needs, so a stuck client is cut off before its messages are seconds old.",
    [](const ServerEvidence& now, const ServerBaseline*, double, const DoctorConfig& config) {
      return check_server_limits(now, config);
    },
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
