#include <doctest/doctest.h>

#include "collectors/metric_set.h"
#include "exporter/exposition.h"
#include "exporter/http_server.h"
#include "exporter/scrape.h"

using namespace natsexp;

TEST_CASE("MetricSet skips missing values and merges families by name") {
  MetricSet a;
  a.gauge("g", "help g").add(1.0, {{"x", "1"}}).add(std::optional<double>{}, {{"x", "2"}});
  a.counter("c_total", "help c").set(3.0);
  a.gauge("empty", "never filled");
  MetricSet b;
  b.gauge("g", "help g").add(2.0, {{"x", "3"}});
  a.add_labels({{"server_name", "n1"}});
  a.merge(std::move(b));
  CHECK(a.count("g") == 2);
  CHECK(a.value("g", {{"x", "1"}, {"server_name", "n1"}}) == 1.0);
  CHECK(a.value("g", {{"x", "3"}}) == 2.0);
  CHECK_FALSE(a.value("g", {{"x", "3"}, {"server_name", "n1"}}));
  CHECK_THROWS_AS(a.counter("g", "same name, other type"), std::logic_error);

  auto text = to_text_exposition(a.take());
  CHECK(text.find("# TYPE c_total counter\nc_total{server_name=\"n1\"} 3") != std::string::npos);
  CHECK(text.find("# TYPE g gauge") != std::string::npos);
  CHECK(text.find("empty") == std::string::npos);
}

TEST_CASE("histogram samples serialize with cumulative buckets") {
  MetricSet s;
  s.histogram("h_seconds", "latency").add_histogram({0.001, 0.01}, {2, 5}, 6, 0.5);
  auto text = to_text_exposition(s.take());
  CHECK(text.find("h_seconds_bucket{le=\"0.001\"} 2") != std::string::npos);
  CHECK(text.find("h_seconds_bucket{le=\"0.01\"} 5") != std::string::npos);
  CHECK(text.find("h_seconds_bucket{le=\"+Inf\"} 6") != std::string::npos);
  CHECK(text.find("h_seconds_count 6") != std::string::npos);
}

TEST_CASE("scrape budget: configured timeout, or Prometheus' minus the offset") {
  Config c;
  c.scrape_timeout = std::chrono::milliseconds(10000);
  c.scrape_timeout_offset = std::chrono::milliseconds(500);
  CHECK(scrape_budget(c, std::nullopt).count() == 10000);
  CHECK(scrape_budget(c, 4.0).count() == 3500);
  CHECK(scrape_budget(c, 30.0).count() == 10000);
  CHECK(scrape_budget(c, 0.6).count() == 300);  // never less than half of Prometheus' timeout
  CHECK(scrape_budget(c, -1.0).count() == 10000);
}

TEST_CASE("listen addresses") {
  CHECK(parse_listen_address(":7777").host == "0.0.0.0");
  CHECK(parse_listen_address(":7777").port == 7777);
  CHECK_THROWS_AS(parse_listen_address("127.0.0.1:0"), std::invalid_argument);  // base/address.h: no port 0
  CHECK(parse_listen_address("[::1]:9").host == "::1");
  CHECK_THROWS_AS(parse_listen_address("7777"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address(":http"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address(":99999"), std::invalid_argument);
}
