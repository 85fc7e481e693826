#include "exporter/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace natsexp {

namespace {

// The text prometheus-cpp's TextSerializer writes, byte for byte (tests/unit/test_exposition.cpp
// holds the two side by side), built in one string: its ostream, locale and printf per value were
// about a tenth of an idle scrape's CPU.

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

// printf's "%.16g" (max_digits10 - 1 significant digits), with Nan/+Inf/-Inf spelled as Prometheus
// spells them. Integers below 1e16 print as themselves under %.16g: those skip printf.
void append_value(std::string& out, double v) {
  if (std::isnan(v)) return out.append("Nan"), void();
  if (std::isinf(v)) return out.append(v < 0 ? "-Inf" : "+Inf"), void();
  if (v == std::trunc(v) && std::fabs(v) < 1e16 && !(v == 0 && std::signbit(v))) {
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v)).ptr;
    return out.append(buf, end), void();
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.*g", std::numeric_limits<double>::max_digits10 - 1, v);
  out.append(buf, static_cast<std::size_t>(n));
}

void append_label_value(std::string& out, const std::string& value) {
  for (const char c : value) {
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
}

// "name{labels,extra}" and the space before the value.
void append_head(std::string& out, const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric,
                 const char* suffix = "", const char* extra_name = nullptr, const double* extra_value = nullptr) {
  out.append(family.name).append(suffix);
  if (!metric.label.empty() || extra_name) {
    out.push_back('{');
    const char* separator = "";
    for (const auto& l : metric.label) {
      out.append(separator).append(l.name).append("=\"");
      append_label_value(out, l.value);
      out.push_back('"');
      separator = ",";
    }
    if (extra_name) {
      out.append(separator).append(extra_name).append("=\"");
      append_value(out, *extra_value);
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
}

void append_tail(std::string& out, const prometheus::ClientMetric& metric) {
  if (metric.timestamp_ms != 0) {
    out.push_back(' ');
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, metric.timestamp_ms).ptr);
  }
  out.push_back('\n');
}

void append_histogram(std::string& out, const prometheus::MetricFamily& family, const prometheus::ClientMetric& m) {
  const auto& h = m.histogram;
  append_head(out, family, m, "_count");
  append_uint(out, h.sample_count);
  append_tail(out, m);
  append_head(out, family, m, "_sum");
  append_value(out, h.sample_sum);
  append_tail(out, m);
  double last = -std::numeric_limits<double>::infinity();
  for (const auto& b : h.bucket) {
    append_head(out, family, m, "_bucket", "le", &b.upper_bound);
    last = b.upper_bound;
    append_uint(out, b.cumulative_count);
    append_tail(out, m);
  }
  if (last != std::numeric_limits<double>::infinity()) {
    const double inf = std::numeric_limits<double>::infinity();
    append_head(out, family, m, "_bucket", "le", &inf);
    append_uint(out, h.sample_count);
    append_tail(out, m);
  }
}

}  // namespace

std::string to_text_exposition(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  std::size_t samples = 0;
  for (const auto& f : families) samples += f.metric.size();
  out.reserve(families.size() * 160 + samples * 120);
  for (const auto& family : families) {
    using prometheus::MetricType;
    if (family.type != MetricType::Counter && family.type != MetricType::Gauge &&
        family.type != MetricType::Histogram) {
      // Summaries and untyped families: none is built today; the library writes them.
      std::ostringstream text;
      prometheus::TextSerializer().Serialize(text, {family});
      out.append(text.str());
      continue;
    }
    if (!family.help.empty()) out.append("# HELP ").append(family.name).append(" ").append(family.help).append("\n");
    out.append("# TYPE ").append(family.name);
    out.append(family.type == MetricType::Counter ? " counter\n"
               : family.type == MetricType::Gauge ? " gauge\n"
                                                  : " histogram\n");
    for (const auto& m : family.metric) {
      if (family.type == MetricType::Histogram) {
        append_histogram(out, family, m);
        continue;
      }
      append_head(out, family, m);
      append_value(out, family.type == MetricType::Counter ? m.counter.value : m.gauge.value);
      append_tail(out, m);
    }
  }
  return out;
}

}  // namespace natsexp
