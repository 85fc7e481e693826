// The text exposition is written by exporter/exposition.cpp itself, and must stay byte for byte what
// prometheus-cpp's TextSerializer writes for the same families (the format Prometheus and the golden
// files were checked against).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/text_serializer.h>

#include "exporter/exposition.h"

using namespace natsexp;

namespace {

std::string library_text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace

TEST_CASE("the exposition is what prometheus-cpp writes, for every kind of value and label") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values = {0.0,
                                      -0.0,
                                      1.0,
                                      -1.0,
                                      3.0,
                                      0.1,
                                      1.5,
                                      2.0 / 3.0,
                                      0.30000000000000004,
                                      1e-05,
                                      1.234e-07,
                                      86400.5,
                                      123456789012.0,
                                      1e15,
                                      9999999999999998.0,
                                      1e16,
                                      -1e16,
                                      12345678901234567.0,
                                      1e21,
                                      -4503599627370497.0,
                                      18446744073709551616.0,
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest(),
                                      std::numeric_limits<double>::denorm_min(),
                                      std::nan(""),
                                      inf,
                                      -inf};
  prometheus::MetricFamily gauge;
  gauge.name = "g";
  gauge.help = "a gauge, with \"quotes\" and a \\ in its help";
  gauge.type = prometheus::MetricType::Gauge;
  for (double v : values) {
    prometheus::ClientMetric m;
    m.label = {{"plain", "x"}, {"odd", "a\"b\\c\nd"}, {"empty", ""}};
    m.gauge.value = v;
    gauge.metric.push_back(m);
  }
  prometheus::MetricFamily counter;
  counter.name = "c_total";
  counter.type = prometheus::MetricType::Counter;  // no help: no HELP line
  for (double v : values) {
    prometheus::ClientMetric m;
    m.counter.value = v;
    counter.metric.push_back(m);
  }
  prometheus::ClientMetric stamped;
  stamped.counter.value = 7;
  stamped.timestamp_ms = 1700000000123;
  counter.metric.push_back(stamped);
  prometheus::MetricFamily histogram;
  histogram.name = "h_seconds";
  histogram.help = "latency";
  histogram.type = prometheus::MetricType::Histogram;
  prometheus::ClientMetric with_inf;  // as MetricSet::add_histogram builds it: +Inf bucket included
  with_inf.label = {{"server", "n1"}};
  with_inf.histogram.bucket = {{1, 0.005}, {3, 1.0}, {5, inf}};
  with_inf.histogram.sample_count = 5;
  with_inf.histogram.sample_sum = 0.25;
  prometheus::ClientMetric without_inf;  // the serializer adds the +Inf bucket
  without_inf.histogram.bucket = {{2, 0.1}, {4, 2.5}};
  without_inf.histogram.sample_count = 6;
  without_inf.histogram.sample_sum = 12345.678;
  histogram.metric = {with_inf, without_inf};
  prometheus::MetricFamily summary;  // not built by any collector: written by the library
  summary.name = "s";
  summary.help = "summary";
  summary.type = prometheus::MetricType::Summary;
  prometheus::ClientMetric q;
  q.summary.sample_count = 2;
  q.summary.sample_sum = 1.5;
  q.summary.quantile = {{0.5, 0.75}};
  summary.metric = {q};
  prometheus::MetricFamily empty;
  empty.name = "no_samples";
  empty.help = "declared, never filled";
  empty.type = prometheus::MetricType::Gauge;

  const std::vector<prometheus::MetricFamily> families = {gauge, counter, histogram, summary, empty};
  const std::string ours = to_text_exposition(families);
  CHECK(ours == library_text(families));
  CHECK(ours.find("g{plain=\"x\",odd=\"a\\\"b\\\\c\\nd\",empty=\"\"} -0\n") != std::string::npos);
  CHECK(ours.find("c_total 1e+16\n") != std::string::npos);
  CHECK(ours.find("c_total 1000000000000000\n") != std::string::npos);
  CHECK(ours.find("c_total 7 1700000000123\n") != std::string::npos);
  CHECK(ours.find("h_seconds_bucket{le=\"+Inf\"} 6\n") != std::string::npos);
  CHECK(to_text_exposition({}) == "");
}
