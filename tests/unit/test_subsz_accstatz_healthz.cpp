#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "collectors/accstatz.h"
#include "collectors/healthz.h"
#include "collectors/subsz.h"
#include "tests/unit/fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture;

namespace {

prometheus::MetricType type_of(const MetricSet& set, const std::string& name) {
  const Family* f = set.find(name);
  REQUIRE(f != nullptr);
  return f->raw().type;
}

std::unique_ptr<Collector> collector(const std::string& name) {
  auto c = make_collector(name);
  REQUIRE(c != nullptr);
  return c;
}

// Records whether the body was asked for whatever the HTTP status.
class StatusSource : public MonitorSource {
 public:
  explicit StatusSource(json body) : body_(std::move(body)) {}
  std::shared_ptr<const JsonDocument> get_json(const std::string& path_and_query, bool any_status) override {
    paths.push_back(path_and_query);
    any_status_seen = any_status;
    return parsed(body_).document;
  }
  std::vector<std::string> paths;
  bool any_status_seen = false;

 private:
  json body_;
};

}  // namespace

TEST_CASE("subsz: the routing table of n1") {
  MetricSet out;
  translate_subsz(load_fixture("subsz.json"), out);
  CHECK(out.value("nats_subsz_subscriptions") == 255);
  CHECK(out.value("nats_subsz_cache_entries") == 115);
  CHECK(out.value("nats_subsz_inserts_total") == 265);
  CHECK(out.value("nats_subsz_removes_total") == 10);
  CHECK(out.value("nats_subsz_matches_total") == 1874);
  CHECK(out.value("nats_subsz_cache_hit_ratio").value() == doctest::Approx(0.12113127001067236));
  CHECK(out.value("nats_subsz_fanout_average").value() == doctest::Approx(1.9217391304347826));
  CHECK(out.value("nats_subsz_fanout_max") == 3);
  CHECK(type_of(out, "nats_subsz_matches_total") == prometheus::MetricType::Counter);
  CHECK(type_of(out, "nats_subsz_subscriptions") == prometheus::MetricType::Gauge);
}

TEST_CASE("subsz: odd fields drop their own series only") {
  MetricSet out;
  translate_subsz(parsed(json::parse(R"({"num_subscriptions": "many", "num_cache": 4, "server_id": "X", "total": 7})")),
                  out);
  CHECK_FALSE(out.value("nats_subsz_subscriptions"));
  CHECK(out.value("nats_subsz_cache_entries") == 4);
  CHECK(out.count("nats_subsz_matches_total") == 0);

  for (const char* doc : {"null", "[]", "\"x\"", "{}"}) {
    MetricSet empty;
    translate_subsz(parsed(json::parse(doc)), empty);
    CHECK(empty.take().empty());
  }
}

TEST_CASE("accstatz: every account of n1, including unused ones") {
  MetricSet out;
  translate_accstatz(load_fixture("accstatz_unused.json"), out);
  CHECK(out.count("nats_account_connections") == 4);
  const Labels app{{"account", "APP"}};
  CHECK(out.value("nats_account_connections", app) == 6);
  CHECK(out.value("nats_account_leafnodes", app) == 1);
  CHECK(out.value("nats_account_all_connections", app) == 7);
  CHECK(out.value("nats_account_slow_consumers_total", app) == 1);
  CHECK(out.value("nats_account_messages_sent_total", app) == 108917);
  CHECK(out.value("nats_account_messages_received_total", app) == 104264);
  CHECK(out.value("nats_account_bytes_sent_total", app) == 102201056);
  CHECK(out.value("nats_account_bytes_received_total", app) == 102537969);
  CHECK(out.value("nats_account_connections", {{"account", "$G"}}) == 0);
  CHECK(out.value("nats_account_messages_received_total", {{"account", "$G"}}) == 17);
  CHECK(out.value("nats_account_messages_sent_total", {{"account", "SYS"}}) == 2821);
  // 2.9 has no per-account subscription count.
  CHECK(out.count("nats_account_subscriptions") == 0);
  // total_conns falls when connections close (checked on a real 2.9.10): a gauge, not a counter.
  CHECK(type_of(out, "nats_account_all_connections") == prometheus::MetricType::Gauge);
  CHECK(type_of(out, "nats_account_messages_sent_total") == prometheus::MetricType::Counter);
  CHECK(type_of(out, "nats_account_slow_consumers_total") == prometheus::MetricType::Counter);

  MetricSet used_only;
  translate_accstatz(load_fixture("accstatz.json"), used_only);
  CHECK(used_only.count("nats_account_connections") == 2);
  CHECK(used_only.value("nats_account_connections", {{"account", "OPS"}}) == 1);
}

TEST_CASE("accstatz: 2.10+ subscriptions, and odd entries") {
  MetricSet out;
  translate_accstatz(parsed(json::parse(R"({"account_statz": [
      {"acc": "A", "conns": 2, "num_subscriptions": 12, "sent": {"msgs": 5, "bytes": 50,
       "gateways": {"msgs": 1, "bytes": 10}}, "received": "lots"},
      {"acc": "A", "conns": 99},
      {"conns": 3},
      {"acc": 42, "conns": 4},
      "junk",
      {"acc": "B", "conns": "two", "slow_consumers": 1}
  ]})")),
                     out);
  CHECK(out.value("nats_account_subscriptions", {{"account", "A"}}) == 12);
  CHECK(out.value("nats_account_connections", {{"account", "A"}}) == 2);  // the repeat is ignored
  CHECK(out.count("nats_account_connections") == 1);
  CHECK(out.value("nats_account_messages_sent_total", {{"account", "A"}}) == 5);
  CHECK_FALSE(out.value("nats_account_messages_received_total", {{"account", "A"}}));
  CHECK_FALSE(out.value("nats_account_connections", {{"account", "B"}}));
  CHECK(out.value("nats_account_slow_consumers_total", {{"account", "B"}}) == 1);

  for (const char* doc : {"null", "[]", "{\"account_statz\": {}}", "{\"account_statz\": \"x\"}"}) {
    MetricSet empty;
    translate_accstatz(parsed(json::parse(doc)), empty);
    CHECK(empty.take().empty());
  }
}

TEST_CASE("accstatz collector asks for unused accounts too") {
  FakeSource source;
  source.serve("/accstatz", load_fixture("accstatz_unused.json"));
  MetricSet out;
  collector("accstatz")->collect(source, CollectorOptions{}, out);
  CHECK(source.requests("/accstatz?unused=1") == 1);
  CHECK(out.count("nats_account_connections") == 4);
}

TEST_CASE("healthz: ok, unavailable, and no status") {
  MetricSet ok;
  translate_healthz(load_fixture("healthz.json"), ok);
  CHECK(ok.value("nats_server_healthy") == 1);

  MetricSet leaf;
  translate_healthz(load_fixture("other-nodes/leaf1_healthz.json"), leaf);
  CHECK(leaf.value("nats_server_healthy") == 1);

  MetricSet sick;
  translate_healthz(
      parsed(json::parse(R"({"status":"unavailable","error":"JetStream stream 'APP > ORDERS' is not current"})")),
      sick);
  CHECK(sick.value("nats_server_healthy") == 0);

  MetricSet sick_210;  // 2.10+ adds status_code and errors
  translate_healthz(
      parsed(json::parse(R"({"status":"unavailable","status_code":503,"errors":[{"type":"jetstream"}]})")), sick_210);
  CHECK(sick_210.value("nats_server_healthy") == 0);

  for (const char* doc : {"{}", "null", "[]", R"({"status": 200})", R"({"error": "boom"})"}) {
    MetricSet none;
    translate_healthz(parsed(json::parse(doc)), none);
    CHECK(none.take().empty());
  }
}

TEST_CASE("healthz collector reads the body of a 503 and fails without a status") {
  StatusSource sick(json::parse(R"({"status":"unavailable","error":"not ready"})"));
  MetricSet out;
  collector("healthz")->collect(sick, CollectorOptions{}, out);
  CHECK(sick.any_status_seen);
  REQUIRE(sick.paths.size() == 1);
  CHECK(sick.paths[0] == "/healthz");
  CHECK(out.value("nats_server_healthy") == 0);

  StatusSource mute(json::parse(R"({"error":"what"})"));
  MetricSet none;
  CHECK_THROWS_AS(collector("healthz")->collect(mute, CollectorOptions{}, none), FetchError);
  CHECK(none.take().empty());
}
