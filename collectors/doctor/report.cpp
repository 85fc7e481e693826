#include "collectors/doctor/report.h"
#include "base/text.h"

#include <algorithm>
#include <sstream>

namespace natsexp::doctor {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Findings first (critical, then warning), each group in report order.
std::vector<const CheckResult*> findings_in_order(const Report& r) {
  std::vector<const CheckResult*> out;
  for (auto severity : {DoctorSeverity::critical, DoctorSeverity::warning})
    for (const CheckResult* c : r.all())
      if (c->status == Status::finding && c->severity == severity) out.push_back(c);
  return out;
}

std::vector<const CheckResult*> with_status(const Report& r, Status status) {
  std::vector<const CheckResult*> out;
  for (const CheckResult* c : r.all())
    if (c->status == status) out.push_back(c);
  return out;
}

std::string headline(const Report& r) {
  const std::size_t critical = r.findings(DoctorSeverity::critical), warning = r.findings(DoctorSeverity::warning);
  std::string out;
  if (r.unreachable())
    out += std::to_string(r.unreachable()) + " unreachable " + (r.unreachable() == 1 ? "target, " : "targets, ");
  out += std::to_string(critical) + " critical, " + std::to_string(warning) +
         (warning == 1 ? " warning, " : " warnings, ") + std::to_string(r.count(Status::passed)) + " passed, " +
         std::to_string(r.count(Status::skipped)) + " skipped";
  return out;
}

std::string collected(const Report& r) {
  std::string out = "Collected at " + r.generated_at;
  if (r.evaluations > 1) out += ", twice " + format_seconds(r.interval_seconds) + " apart";
  else if (r.interval_seconds > 0)
    out += ", compared with the evaluation " + format_seconds(r.interval_seconds) + " before";
  else out += " (once: the growth checks need a previous evaluation)";
  return out + ".";
}

std::string target_line(const TargetReport& t) {
  std::string out = t.name + " " + t.url;
  if (!t.reachable) return out + ": UNREACHABLE: " + t.error;
  std::vector<std::string> parts;
  if (!t.server_name.empty()) parts.push_back("server " + t.server_name);
  if (!t.cluster.empty()) parts.push_back("cluster " + t.cluster);
  if (!t.version.empty()) parts.push_back("nats-server " + t.version);
  if (!parts.empty()) {
    out += " (";
    out += strings::join(parts, ", ");
    out += ")";
  }
  for (const auto& [source, why] : t.problems) out += "; " + source + " unreadable: " + why;
  return out;
}

}  // namespace

std::vector<const CheckResult*> Report::all() const {
  std::vector<const CheckResult*> out;
  for (const auto& t : targets)
    for (const auto& c : t.checks) out.push_back(&c);
  for (const auto& c : combined) out.push_back(&c);
  for (const auto& c : probes) out.push_back(&c);
  for (const auto& c : observations) out.push_back(&c);
  return out;
}

std::size_t Report::findings(DoctorSeverity severity) const {
  std::size_t n = 0;
  for (const CheckResult* c : all()) n += c->status == Status::finding && c->severity == severity;
  return n;
}

std::size_t Report::count(Status status) const {
  std::size_t n = 0;
  for (const CheckResult* c : all()) n += c->status == status;
  return n;
}

std::size_t Report::unreachable() const {
  return static_cast<std::size_t>(
      std::count_if(targets.begin(), targets.end(), [](const TargetReport& t) { return !t.reachable; }));
}

int Report::exit_code() const {
  if (unreachable() || findings(DoctorSeverity::critical)) return 2;
  if (findings(DoctorSeverity::warning)) return 1;
  return 0;
}

namespace {

nlohmann::json check_json(const CheckResult& c) {
  return {{"check", c.id},
          {"severity", doctor_severity_name(c.severity)},
          {"status", status_name(c.status)},
          {"scope", c.scope},
          {"title", c.title},
          {"summary", c.summary},
          {"evidence", c.evidence},
          {"remedy", c.remedy},
          {"affected", c.affected}};
}

}  // namespace

nlohmann::json to_json(const Report& r) {
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : r.targets) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : t.checks) checks.push_back(check_json(c));
    nlohmann::json j = {{"name", t.name}, {"url", t.url}, {"reachable", t.reachable}, {"checks", checks}};
    if (!t.reachable) j["error"] = t.error;
    if (!t.server_name.empty()) j["server_name"] = t.server_name;
    if (!t.cluster.empty()) j["cluster"] = t.cluster;
    if (!t.version.empty()) j["version"] = t.version;
    j["problems"] = t.problems;
    targets.push_back(j);
  }
  auto list = [](const std::vector<CheckResult>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& c : v) a.push_back(check_json(c));
    return a;
  };
  nlohmann::json findings = nlohmann::json::array();
  for (const CheckResult* c : findings_in_order(r)) findings.push_back(check_json(*c));
  return {{"generated_at", r.generated_at},
          {"evaluations", r.evaluations},
          {"interval_seconds", r.interval_seconds},
          {"exit_code", r.exit_code()},
          {"summary",
           {{"critical", r.findings(DoctorSeverity::critical)},
            {"warning", r.findings(DoctorSeverity::warning)},
            {"passed", r.count(Status::passed)},
            {"skipped", r.count(Status::skipped)},
            {"unreachable_targets", r.unreachable()}}},
          {"findings", findings},
          {"targets", targets},
          {"combined", list(r.combined)},
          {"probes", list(r.probes)},
          {"observations", list(r.observations)}};
}

std::string render_json(const Report& r) {
  // Invalid UTF-8 from a server (a client name) is replaced rather than thrown on.
  return to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_text(const Report& r) {
  std::ostringstream out;
  out << "NATS latency doctor: " << headline(r) << "\n" << collected(r) << "\n";
  out << "Targets:\n";
  for (const auto& t : r.targets) out << "  " << target_line(t) << "\n";
  for (const CheckResult* c : findings_in_order(r)) {
    out << "\n[" << upper(doctor_severity_name(c->severity)) << "] " << c->id << " (" << c->scope << "): " << c->summary
        << "\n";
    out << "  Why it matters: " << c->title << "\n";
    out << "  Evidence:\n";
    for (const auto& e : c->evidence) out << "    - " << e << "\n";
    out << "  Remedy: " << c->remedy << "\n";
  }
  for (Status s : {Status::passed, Status::skipped}) {
    const auto list = with_status(r, s);
    if (list.empty()) continue;
    out << "\n" << (s == Status::passed ? "Passed" : "Skipped") << ":\n";
    for (const CheckResult* c : list) out << "  " << c->id << " (" << c->scope << "): " << c->summary << "\n";
  }
  return out.str();
}

std::string markdown_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string("\\`*_[]<>|#~").find(c) != std::string::npos) out += '\\';
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_markdown(const Report& r) {
  std::ostringstream out;
  out << "# NATS latency doctor\n\n**" << markdown_escape(headline(r)) << "**\n\n"
      << markdown_escape(collected(r)) << "\n\n";
  out << "## Targets\n\n";
  for (const auto& t : r.targets) out << "- " << markdown_escape(target_line(t)) << "\n";
  const auto found = findings_in_order(r);
  if (!found.empty()) out << "\n## Findings\n";
  for (const CheckResult* c : found) {
    out << "\n### " << upper(doctor_severity_name(c->severity)) << ": " << markdown_escape(c->id) << " ("
        << markdown_escape(c->scope) << ")\n\n";
    out << markdown_escape(c->summary) << "\n\n";
    out << "*Why it matters:* " << markdown_escape(c->title) << "\n\n";
    out << "*Evidence:*\n\n";
    for (const auto& e : c->evidence) out << "- " << markdown_escape(e) << "\n";
    out << "\n*Remedy:* " << markdown_escape(c->remedy) << "\n";
  }
  for (Status s : {Status::passed, Status::skipped}) {
    const auto list = with_status(r, s);
    if (list.empty()) continue;
    out << "\n## " << (s == Status::passed ? "Passed" : "Skipped")
        << "\n\n| check | scope | result |\n| --- | --- | --- |\n";
    for (const CheckResult* c : list)
      out << "| " << markdown_escape(c->id) << " | " << markdown_escape(c->scope) << " | "
          << markdown_escape(c->summary) << " |\n";
  }
  return out.str();
}

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_html(const Report& r) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>NATS latency doctor</title>\n"
         "<style>body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em;line-height:1.4}"
         ".finding{border-left:6px solid #d9a400;padding:.2em 1em;margin:1em 0;background:#fffbea}"
         ".critical{border-color:#c62828;background:#fdecea}.sev{font-weight:bold;text-transform:uppercase}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em "
         ".6em;text-align:left;vertical-align:top}"
         "code{background:#f3f3f3}</style></head><body>\n";
  out << "<h1>NATS latency doctor</h1>\n<p><strong>" << html_escape(headline(r)) << "</strong></p>\n<p>"
      << html_escape(collected(r))
      << " Reload the page for a new evaluation; the growth checks compare with the previous load.</p>\n";
  out << "<h2>Targets</h2>\n<ul>\n";
  for (const auto& t : r.targets) out << "<li>" << html_escape(target_line(t)) << "</li>\n";
  out << "</ul>\n";
  const auto found = findings_in_order(r);
  out << "<h2>Findings</h2>\n";
  if (found.empty()) out << "<p>No findings.</p>\n";
  for (const CheckResult* c : found) {
    const std::string sev = doctor_severity_name(c->severity);
    out << "<div class=\"finding " << sev << "\" id=\"" << html_escape(c->id) << "\">\n<h3><span class=\"sev\">"
        << html_escape(sev) << "</span> " << html_escape(c->id) << " <small>(" << html_escape(c->scope)
        << ")</small></h3>\n<p>" << html_escape(c->summary) << "</p>\n<p><em>Why it matters:</em> "
        << html_escape(c->title) << "</p>\n<p><em>Evidence:</em></p>\n<ul>\n";
    for (const auto& e : c->evidence) out << "<li>" << html_escape(e) << "</li>\n";
    out << "</ul>\n<p><em>Remedy:</em> " << html_escape(c->remedy) << "</p>\n</div>\n";
  }
  for (Status s : {Status::passed, Status::skipped}) {
    const auto list = with_status(r, s);
    if (list.empty()) continue;
    out << "<h2>" << (s == Status::passed ? "Passed" : "Skipped") << "</h2>\n<table>\n"
        << "<tr><th>check</th><th>scope</th><th>result</th></tr>\n";
    for (const CheckResult* c : list)
      out << "<tr><td>" << html_escape(c->id) << "</td><td>" << html_escape(c->scope) << "</td><td>"
          << html_escape(c->summary) << "</td></tr>\n";
    out << "</table>\n";
  }
  out << "<p>Also as <a href=\"?format=json\">JSON</a>, <a href=\"?format=markdown\">markdown</a> or "
         "<a href=\"?format=text\">text</a>.</p>\n</body></html>\n";
  return out.str();
}

std::optional<std::string> render(const Report& report, const std::string& format) {
  if (format == "text") return render_text(report);
  if (format == "json") return render_json(report);
  if (format == "markdown" || format == "md") return render_markdown(report);
  if (format == "html") return render_html(report);
  return std::nullopt;
}

}  // namespace natsexp::doctor
