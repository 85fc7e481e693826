#include <doctest/doctest.h>

#include "collectors/varz.h"
#include "fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;
using natsexp::testing::load_fixture;

TEST_CASE("varz of n1: identity, counters, limits") {
  MetricSet out;
  translate_varz(load_fixture("varz.json"), out);

  CHECK(out.value("nats_server_info", {{"server_id", "NAI6JFM62BADR365XRZXZIIRB6ELK77Y6O4WACWOWXWOSP5IUWYTG4SJ"},
                                       {"version", "2.9.10"},
                                       {"jetstream", "true"},
                                       {"go_version", "go1.19.8"}}) == 1.0);
  CHECK(out.value("nats_server_connections") == 7);
  CHECK(out.value("nats_server_connections_total") == 13);
  CHECK(out.value("nats_server_subscriptions") == 255);
  CHECK(out.value("nats_server_routes") == 2);
  CHECK(out.value("nats_server_remotes") == 2);
  CHECK(out.value("nats_server_leafnodes") == 1);
  CHECK(out.value("nats_server_messages_received_total") == 108918);
  CHECK(out.value("nats_server_messages_sent_total") == 112573);
  CHECK(out.value("nats_server_bytes_received_total") == 102990375);
  CHECK(out.value("nats_server_bytes_sent_total") == 102428458);
  CHECK(out.value("nats_server_slow_consumers_total") == 1);
  CHECK(out.value("nats_server_cpu_cores") == doctest::Approx(0.01));
  CHECK(out.value("nats_server_memory_bytes") == 19746816);
  CHECK(out.value("nats_server_start_time_seconds").value() == doctest::Approx(1795611133.310738556));
  CHECK(out.value("nats_server_max_connections") == 65536);
  CHECK(out.value("nats_server_max_payload_bytes") == 1048576);
  CHECK(out.value("nats_server_max_pending_bytes") == 1048576);
  CHECK(out.value("nats_server_write_deadline_seconds") == doctest::Approx(2.0));
  CHECK(out.value("nats_server_ping_interval_seconds") == doctest::Approx(120.0));
  CHECK(out.value("nats_server_http_requests_total", {{"path", "/varz"}}) == 3);
  CHECK(out.count("nats_server_http_requests_total") == 4);
  // 2.9 has no slow_consumer_stats: the family is empty, not zero.
  CHECK(out.count("nats_server_slow_consumers_by_kind_total") == 0);

  auto families = out.take();
  for (const auto& f : families) {
    if (f.type == prometheus::MetricType::Counter) CHECK(f.name.size() > 6);
    if (f.type == prometheus::MetricType::Counter) CHECK(f.name.substr(f.name.size() - 6) == "_total");
  }
}

TEST_CASE("varz identity and a server without JetStream") {
  auto c2 = load_fixture("other-nodes/c2_varz.json");
  auto id = read_identity(c2);
  CHECK(id.server_name == "c2");
  CHECK(id.cluster == "C2");
  MetricSet out;
  translate_varz(c2, out);
  CHECK(out.value("nats_server_info", {{"jetstream", "false"}}) == 1.0);

  auto leaf = read_identity(load_fixture("other-nodes/leaf1_varz.json"));
  CHECK(leaf.server_name == "leaf1");
  // A standalone server with leaf node remotes names a cluster after itself (2.9 does so for loop detection).
  CHECK(leaf.cluster == "leaf1");
}

TEST_CASE("varz from a newer server: unknown fields ignored, wrong types drop one series") {
  auto v = parse_text(R"({
    "server_name": "x", "connections": "seven", "in_msgs": 5, "mem": null,
    "slow_consumer_stats": {"clients": 3, "routes": 0, "gateways": 0, "leafs": 1},
    "some_future_field": {"nested": [1, 2, 3]}, "http_req_stats": {"/varz": "x", "/connz": 2}
  })");
  MetricSet out;
  translate_varz(v, out);
  CHECK_FALSE(out.value("nats_server_connections"));
  CHECK_FALSE(out.value("nats_server_memory_bytes"));
  CHECK(out.value("nats_server_messages_received_total") == 5);
  CHECK(out.value("nats_server_slow_consumers_by_kind_total", {{"kind", "clients"}}) == 3);
  CHECK(out.value("nats_server_slow_consumers_by_kind_total", {{"kind", "leafs"}}) == 1);
  CHECK(out.count("nats_server_http_requests_total") == 1);

  MetricSet garbage;
  CHECK_NOTHROW(translate_varz(parsed(json::array({1, 2})), garbage));
  CHECK_NOTHROW(translate_varz(parsed(json("text")), garbage));
}
