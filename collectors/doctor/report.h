// The latency doctor's report: the results of every check for every target and for the probes,
// rendered as text (the CLI), JSON, markdown, or an HTML page (/doctor). Rendering is pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectors/doctor/checks.h"

namespace natsexp::doctor {

struct TargetReport {
  std::string name;  // the target's name in the config
  std::string url;   // without credentials
  bool reachable = false;
  std::string error;  // why /varz could not be read (when not reachable)
  std::string server_name, cluster, version;
  std::map<std::string, std::string> problems;  // sources that could not be read, and why
  std::vector<CheckResult> checks;
};

struct Report {
  std::string generated_at;     // RFC 3339, UTC
  int evaluations = 1;          // 2 when the CLI collected twice
  double interval_seconds = 0;  // time between the evaluation compared with and this one (0: none)
  std::vector<TargetReport> targets;
  std::vector<CheckResult> combined;      // checks over all targets together (missing-queue-group)
  std::vector<CheckResult> probes;        // probe-slow-or-failing and the probes' reconnect-storm
  std::vector<CheckResult> observations;  // the observation checks (service-latency …)

  // Every check result, targets first.
  std::vector<const CheckResult*> all() const;
  std::size_t findings(DoctorSeverity severity) const;
  std::size_t count(Status status) const;
  std::size_t unreachable() const;
  // Like a linter: 2 with a critical finding or an unreachable target, 1 with warnings, else 0.
  int exit_code() const;
};

nlohmann::json to_json(const Report& report);
std::string render_text(const Report& report);
std::string render_json(const Report& report);
std::string render_markdown(const Report& report);
// A whole HTML page; every value from the servers is escaped.
std::string render_html(const Report& report);

// "text", "json", "markdown" (or "md"), "html": the renderer for `format`, or nullopt.
std::optional<std::string> render(const Report& report, const std::string& format);

std::string html_escape(const std::string& s);
std::string markdown_escape(const std::string& s);

}  // namespace natsexp::doctor
