// probe-slow-or-failing: the exporter's own client sees slow or failing requests.
#include "collectors/doctor/checks.h"

#include <map>

#include "base/text.h"
#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_probe_slow_or_failing(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                        double at, const DoctorConfig& config) {
  const auto& cfg = config.probe_slow_or_failing;
  CheckResult r = begin_check(kProbeSlowOrFailing, config, "probes");
  if (r.status == Status::skipped) return r;
  if (now.empty()) return skip(r, "no probe is configured (probes: in the config file)");
  if (previous && !(previous->at < at)) previous = nullptr;
  const std::string window = previous ? "in the last " + format_seconds(at - previous->at) : "since the probe started";

  std::vector<std::string> lines, fine;
  for (const auto& p : now) {
    const probe::ProbeSnapshot* before = find_probe(previous, p);
    std::vector<std::string> why;
    if (!p.connected) why.push_back("disconnected from the server");
    // Failures of the probe's own kind of action.
    const std::map<std::string, std::uint64_t>* results = &p.requests;
    const std::map<std::string, std::uint64_t>* earlier = before ? &before->requests : nullptr;
    std::vector<std::string> failure_kinds = {"timeout", "no_responders", "error"};
    const probe::LatencyHistogram* hist = &p.request_duration;
    const probe::LatencyHistogram* hist_before = before ? &before->request_duration : nullptr;
    const char* unit = "requests";
    if (p.kind == ProbeKind::jetstream_publish) {
      results = &p.publishes;
      earlier = before ? &before->publishes : nullptr;
      failure_kinds = {"timeout", "no_stream", "error"};
      hist = &p.publish_duration;
      hist_before = before ? &before->publish_duration : nullptr;
      unit = "publishes";
    } else if (p.kind == ProbeKind::consumer_watch) {
      results = &p.consumer_info;
      earlier = before ? &before->consumer_info : nullptr;
      failure_kinds = {"not_found", "timeout", "error"};
      hist = nullptr;
      unit = "consumer info requests";
    }
    double failed = 0;
    std::string failures;
    for (const auto& k : failure_kinds) {
      const double n = delta(count_in(*results, k).value_or(0), earlier ? count_in(*earlier, k) : std::nullopt);
      if (n <= 0) continue;
      failed += n;
      failures += (failures.empty() ? "" : ", ") + format_number(n) + " " + k;
    }
    if (failed >= cfg.min_failures) why.push_back(failures + " " + window);
    std::string latency;
    if (hist && !hist->upper_bounds().empty()) {
      const probe::LatencyHistogram in_window = hist_before ? hist->since(*hist_before) : *hist;
      const double total = static_cast<double>(in_window.count());
      if (total >= static_cast<double>(cfg.min_samples)) {
        if (auto p99 = in_window.quantile(0.99)) {
          latency = "p99 " + format_seconds(*p99) + " over " + format_number(total) + " " + unit + " " + window;
          if (*p99 > cfg.p99_seconds) why.push_back(latency + " (SLO " + format_seconds(cfg.p99_seconds) + ")");
        }
      } else {
        latency =
            format_number(total) + " " + unit + " " + window + " (p99 needs " + std::to_string(cfg.min_samples) + ")";
      }
    }
    if (why.empty()) {
      fine.push_back(quoted(p.name) + (latency.empty() ? "" : ": " + latency));
      continue;
    }
    std::string line = "probe " + quoted(p.name) + " (" + probe_kind_name(p.kind) + "): ";
    line += strings::join(why, "; ");
    lines.push_back(line);
  }
  std::string summary = std::to_string(now.size()) + (now.size() == 1 ? " probe" : " probes") + " within the SLO of " +
                        format_seconds(cfg.p99_seconds) + " and without failures";
  if (!fine.empty()) {
    summary += " (";
    for (std::size_t i = 0; i < fine.size() && i < 3; ++i) summary += (i ? "; " : "") + fine[i];
    summary += ")";
  }
  return conclude(std::move(r), lines, config.max_evidence, std::move(summary), "probe is", "probes are",
                  " slow or failing (of " + std::to_string(now.size()) + ")");
}

const CheckDefinition kProbeSlowOrFailing = {
    settings_of<&DoctorConfig::probe_slow_or_failing>,
    "The exporter's own client (the probe) sees what your applications see: its requests are slow or "
    "fail.",
    "no_responders: nothing subscribes to the subject (the service is down, or the subject or account is "
    "wrong). timeout: the responder is slow or overloaded; compare with its own processing time. A high "
    "p99 with clean server checks means the time is spent in the responding service or on the network: "
    "compare the p99 with the probe's RTT. A disconnected probe cannot reach the server at all.",
    nullptr,
    check_probe_slow_or_failing,
    nullptr,
};

}  // namespace natsexp::doctor
