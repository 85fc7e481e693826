#include "collectors/doctor/check_result.h"

#include <algorithm>
#include <stdexcept>

namespace natsexp::doctor {

const char* status_name(Status status) {
  switch (status) {
    case Status::passed: return "passed";
    case Status::finding: return "finding";
    case Status::skipped: return "skipped";
  }
  return "passed";
}

const std::string& check_id(const CheckDefinition& check) {
  static const DoctorConfig kDefaults;
  const DoctorCheckSettings* settings = &check.settings(kDefaults);
  for (const auto& id : doctor_check_ids())
    if (doctor_check_settings(kDefaults, id) == settings) return id;
  throw std::logic_error(std::string("a doctor check the config does not list: ") + check.title);
}

CheckResult begin_check(const CheckDefinition& check, const DoctorConfig& config, std::string scope) {
  CheckResult r;
  r.id = check_id(check);
  r.scope = std::move(scope);
  const DoctorCheckSettings& settings = check.settings(config);
  r.severity = settings.severity;
  r.title = check.title;
  r.remedy = check.remedy;
  if (!settings.enabled) {
    r.status = Status::skipped;
    r.summary = "disabled in the config (doctor.checks." + r.id + ".enabled)";
  }
  return r;
}

CheckResult skip(CheckResult r, std::string why) {
  r.status = Status::skipped;
  r.summary = std::move(why);
  return r;
}

void finding(CheckResult& r, std::size_t affected, std::string summary) {
  r.status = Status::finding;
  r.affected = affected;
  r.summary = std::move(summary);
}

void finding_per_line(CheckResult& r, const std::vector<std::string>& lines, std::size_t max, const char* one,
                      const char* many, const std::string& rest) {
  add_evidence(r, lines, max);
  finding(r, lines.size(), plural(static_cast<double>(lines.size()), one, many) + rest);
}

CheckResult conclude(CheckResult r, const std::vector<std::string>& lines, std::size_t max, std::string all_clear,
                     const char* one, const char* many, const std::string& rest) {
  if (lines.empty()) r.summary = std::move(all_clear);
  else finding_per_line(r, lines, max, one, many, rest);
  return r;
}

void add_evidence(CheckResult& r, const std::vector<std::string>& lines, std::size_t max) {
  const std::size_t shown = std::min(max, lines.size());
  for (std::size_t i = 0; i < shown; ++i) r.evidence.push_back(lines[i]);
  if (lines.size() > shown) r.evidence.push_back("... and " + std::to_string(lines.size() - shown) + " more");
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string plural(double n, const char* one, const char* many) {
  return format_number(n) + " " + (n == 1 ? one : many);
}

}  // namespace natsexp::doctor
