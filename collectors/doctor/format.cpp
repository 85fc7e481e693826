#include "collectors/doctor/format.h"

#include <cmath>
#include <cstdio>

namespace natsexp::doctor {

std::string format_number(double v) {
  char buf[64];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

std::string format_seconds(double s) {
  char buf[64];
  const double a = std::fabs(s);
  if (a == 0) return "0s";
  if (a < 1e-3) std::snprintf(buf, sizeof buf, "%.0f\xC2\xB5s", s * 1e6);
  else if (a < 1) std::snprintf(buf, sizeof buf, "%.3gms", s * 1e3);
  else if (a < 60) std::snprintf(buf, sizeof buf, "%.3gs", s);
  else {
    const long long total = std::llround(a);
    const long long h = total / 3600, m = total / 60 % 60, sec = total % 60;
    std::string out = s < 0 ? "-" : "";
    if (h) out += std::to_string(h) + "h";
    if (m || h) out += std::to_string(m) + "m";
    out += std::to_string(sec) + "s";
    return out;
  }
  return buf;
}

std::string format_bytes(double bytes) {
  char buf[96];
  const double a = std::fabs(bytes);
  if (a >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%s B (%.1f GiB)", format_number(bytes).c_str(), bytes / (1024.0 * 1024 * 1024));
  else if (a >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%s B (%.1f MiB)", format_number(bytes).c_str(), bytes / (1024.0 * 1024));
  else if (a >= 1024) std::snprintf(buf, sizeof buf, "%s B (%.1f KiB)", format_number(bytes).c_str(), bytes / 1024.0);
  else std::snprintf(buf, sizeof buf, "%s B", format_number(bytes).c_str());
  return buf;
}

std::string format_percent(double ratio) {
  char buf[32];
  const double p = ratio * 100;
  if (std::fabs(p - std::round(p)) < 0.05) std::snprintf(buf, sizeof buf, "%.0f%%", p);
  else std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

}  // namespace natsexp::doctor
