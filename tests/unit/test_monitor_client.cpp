#include <doctest/doctest.h>

#include "collectors/monitor_client.h"

using namespace natsexp;

TEST_CASE("monitoring URLs split into host and base path, credentials dropped") {
  auto e = parse_monitor_url("http://127.0.0.1:8222");
  CHECK(e.scheme_host_port == "http://127.0.0.1:8222");
  CHECK(e.base_path == "");
  e = parse_monitor_url("https://user:secret@nats-0.nats:8222/monitor/");
  CHECK(e.scheme_host_port == "https://nats-0.nats:8222");
  CHECK(e.base_path == "/monitor");
  CHECK(e.host == "nats-0.nats");
  CHECK(e.port == 8222);
  e = parse_monitor_url("https://[::1]/");
  CHECK(e.scheme_host_port == "https://[::1]");
  CHECK(e.host == "::1");
  CHECK(e.port == 443);
  CHECK(parse_monitor_url("http://nats").port == 80);
  CHECK_THROWS_AS(parse_monitor_url("http://nats:0"), FetchError);
  CHECK_THROWS_AS(parse_monitor_url("ftp://x"), FetchError);
  CHECK_THROWS_AS(parse_monitor_url("127.0.0.1:8222"), FetchError);
  CHECK_THROWS_AS(parse_monitor_url("http:///varz"), FetchError);
}

TEST_CASE("a refused port fails fast with a clear error and no answer") {
  TargetConfig t;
  t.name = "closed";
  t.url = "http://127.0.0.1:1";  // nothing listens on port 1
  HttpMonitorSource source(t, Clock::now() + std::chrono::seconds(2), 1024);
  CHECK_THROWS_WITH_AS(source.get_json("/varz"), doctest::Contains("GET /varz"), FetchError);
  CHECK_FALSE(source.answered());
  // The failure is cached for the scrape: a second collector asking does not reconnect.
  CHECK_THROWS_AS(source.get_json("/varz"), FetchError);
  CHECK(source.requests_sent() == 1);
}

TEST_CASE("a deadline already past sends nothing") {
  TargetConfig t;
  t.url = "http://127.0.0.1:1";
  HttpMonitorSource source(t, Clock::now() - std::chrono::seconds(1), 1024);
  CHECK_THROWS_WITH_AS(source.get_json("/varz"), doctest::Contains("deadline"), FetchError);
  CHECK(source.requests_sent() == 0);
}
