#include "base/duration.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace natsexp {

namespace {

struct Unit {
  const char* name;
  long double seconds;
};
// Longest names first, so that "ms" wins over "m" and "µs" over nothing.
const Unit kUnits[] = {
    {"ns", 1e-9L}, {"us", 1e-6L}, {"\xC2\xB5s", 1e-6L}, {"\xCE\xBCs", 1e-6L}, {"ms", 1e-3L},        {"s", 1},
    {"m", 60},     {"h", 3600},   {"d", 86400},         {"w", 7 * 86400.0L},  {"y", 365 * 86400.0L}};

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// A number at text[i]: digits, an optional fraction, an optional exponent. Advances i.
std::optional<long double> number(std::string_view t, std::size_t& i) {
  const std::size_t start = i;
  while (i < t.size() && digit(t[i])) ++i;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && digit(t[i])) ++i;
  }
  if (i == start || (i == start + 1 && t[start] == '.')) return std::nullopt;
  if (i + 1 < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < t.size() && (t[j] == '-' || t[j] == '+')) ++j;
    if (j < t.size() && digit(t[j])) {
      while (j < t.size() && digit(t[j])) ++j;
      i = j;
    }
  }
  const std::string text(t.substr(start, i - start));
  return std::strtold(text.c_str(), nullptr);
}

std::string_view trimmed(std::string_view t) {
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  return t;
}

}  // namespace

std::optional<DurationText> scan_duration(std::string_view text, std::string* problem) {
  auto fail = [&](const std::string& why) -> std::optional<DurationText> {
    if (problem) *problem = why;
    return std::nullopt;
  };
  const std::string_view t = trimmed(text);
  if (t.empty()) return fail("empty duration");
  DurationText out;
  std::size_t i = 0;
  if (t[0] == '-' || t[0] == '+') out.negative = t[i++] == '-';
  if (i == t.size()) return fail("not a duration");
  bool first = true;
  while (i < t.size()) {
    auto value = number(t, i);
    if (!value) return fail("not a duration");
    if (i == t.size() && first) {
      out.unitless = true;
      out.seconds = *value;
      return out;
    }
    if (i == t.size()) return fail("missing unit (e.g. \"10s\", \"500ms\")");
    const Unit* unit = nullptr;
    std::size_t best = 0;
    for (const auto& u : kUnits) {
      const std::size_t len = std::strlen(u.name);
      if (t.compare(i, len, u.name) == 0 && len > best) unit = &u, best = len;
    }
    if (!unit) {
      std::size_t j = i;
      while (j < t.size() && !digit(t[j])) ++j;
      return fail("unknown unit \"" + std::string(t.substr(i, j - i)) + "\" (use ns, us, ms, s, m, h, d or w)");
    }
    i += best;
    out.seconds += *value * unit->seconds;
    first = false;
  }
  return out;
}

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::string problem;
  auto d = scan_duration(text, &problem);
  if (!d) throw std::invalid_argument(problem);
  if (d->negative) throw std::invalid_argument("negative durations are not allowed");
  if (d->unitless) throw std::invalid_argument("missing unit (e.g. \"10s\", \"500ms\")");
  if (!std::isfinite(d->seconds) || d->seconds > 100.0L * 365 * 86400) throw std::invalid_argument("too large");
  const long double ms = std::round(d->seconds * 1e9L) / 1e6L;
  if (std::fabs(ms - std::round(ms)) > 1e-6L) throw std::invalid_argument("finer than a millisecond");
  return std::chrono::milliseconds(static_cast<long long>(std::llround(ms)));
}

double parse_seconds(const std::string& text) {
  std::string problem;
  auto d = scan_duration(text, &problem);
  if (!d) {
    if (problem.rfind("unknown unit", 0) == 0) throw std::invalid_argument(problem);
    throw std::invalid_argument("expected a duration such as 250us, 2.5ms or 1s");
  }
  const double seconds = static_cast<double>(d->seconds);
  if (d->negative || !std::isfinite(seconds) || seconds <= 0) throw std::invalid_argument("must be greater than zero");
  return seconds;
}

std::optional<double> go_duration_seconds(std::string_view text) {
  auto d = scan_duration(text);
  // Go writes no unit only for zero.
  if (!d || (d->unitless && d->seconds != 0)) return std::nullopt;
  return static_cast<double>(d->negative ? -d->seconds : d->seconds);
}

std::string format_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  if (rest) out += std::to_string(rest) + "ms";
  return out;
}

}  // namespace natsexp
