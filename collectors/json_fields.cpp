#include "collectors/json_fields.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace natsexp {

namespace {

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (pos + i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[pos + i]))) return -1;
    v = v * 10 + (s[pos + i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
long long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

}  // namespace

std::optional<double> number(const JsonValue& j, std::string_view key) { return j.find(key).as_number(); }

std::optional<double> number_at(const JsonValue& j, const char* pointer) {
  std::string_view rest(pointer);
  JsonValue at = j;
  while (!rest.empty()) {
    if (rest.front() != '/') return std::nullopt;
    rest.remove_prefix(1);
    const std::size_t slash = rest.find('/');
    at = at.find(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  return at.as_number();
}

std::optional<std::string> text(const JsonValue& j, std::string_view key) {
  auto s = j.find(key).as_string();
  if (!s) return std::nullopt;
  return std::string(*s);
}

std::string text_or(const JsonValue& j, std::string_view key, std::string fallback) {
  auto s = j.find(key).as_string();
  return s ? std::string(*s) : fallback;
}

std::optional<bool> boolean(const JsonValue& j, std::string_view key) { return j.find(key).as_bool(); }

JsonValue child(const JsonValue& j, std::string_view key) {
  JsonValue f = j.find(key);
  if (!(f.is_object() || f.is_array())) return {};
  return f;
}

std::optional<double> duration(const JsonValue& j, std::string_view key) {
  auto t = text(j, key);
  if (!t) return std::nullopt;
  return go_duration_seconds(*t);
}

std::optional<double> rfc3339_seconds(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (s.size() < 20) return std::nullopt;
  int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  int h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
    return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  std::size_t pos = 19;
  double frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    double scale = 0.1;
    std::size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      frac += (s[pos++] - '0') * scale;
      scale /= 10;
    }
    if (pos == start) return std::nullopt;
  }
  int offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0) return std::nullopt;
    offset = (s[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  double secs = static_cast<double>(days_from_civil(y, mo, d)) * 86400.0 + h * 3600 + mi * 60 + se - offset;
  return secs + frac;
}

std::optional<double> timestamp(const JsonValue& j, std::string_view key) {
  auto t = text(j, key);
  if (!t) return std::nullopt;
  return rfc3339_seconds(*t);
}

void set_fields(MetricSet& out, const JsonValue& j, const std::vector<FieldMetric>& rows) {
  for (const auto& r : rows)
    (r.kind == FieldMetric::counter ? out.counter(r.name, r.help) : out.gauge(r.name, r.help)).set(r.read(j, r.field));
}

std::optional<double> nanos_field(const JsonValue& j, std::string_view key) { return nanos_to_seconds(number(j, key)); }

}  // namespace natsexp
