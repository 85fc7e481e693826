#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "collectors/jsz.h"
#include "tests/unit/fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture;

namespace {

MetricSet jsz_fixture(const std::string& fixture, const std::string& server_name) {
  MetricSet out;
  translate_jsz(load_fixture(fixture), server_name, out);
  return out;
}

MetricSet jsz_of(const json& document, const std::string& server_name) {
  MetricSet out;
  translate_jsz(parsed(document), server_name, out);
  return out;
}

bool has_labels(const prometheus::ClientMetric& m, const Labels& wanted) {
  for (const auto& [k, v] : wanted) {
    bool found = false;
    for (const auto& l : m.label) found = found || (l.name == k && l.value == v);
    if (!found) return false;
  }
  return true;
}

// How many samples of `name` carry all of `labels`.
std::size_t count_with(const MetricSet& set, const std::string& name, const Labels& labels) {
  const Family* f = set.find(name);
  if (!f) return 0;
  std::size_t n = 0;
  for (const auto& m : f->raw().metric) n += has_labels(m, labels) ? 1 : 0;
  return n;
}

// Every family's label sets are distinct (a duplicate series breaks the whole scrape).
void check_no_duplicate_series(const MetricSet& set, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    const Family* f = set.find(name);
    if (!f) continue;
    std::set<std::vector<std::pair<std::string, std::string>>> seen;
    for (const auto& m : f->raw().metric) {
      std::vector<std::pair<std::string, std::string>> key;
      for (const auto& l : m.label) key.emplace_back(l.name, l.value);
      CHECK_MESSAGE(seen.insert(key).second, "duplicate series in " << name);
    }
  }
}

const std::vector<std::string> kAssetFamilies = {
    "nats_jetstream_account_memory_bytes",
    "nats_jetstream_account_storage_bytes",
    "nats_jetstream_account_api_requests_total",
    "nats_jetstream_stream_messages",
    "nats_jetstream_stream_bytes",
    "nats_jetstream_stream_replica_lag",
    "nats_jetstream_stream_replica_current",
    "nats_jetstream_consumer_pending_messages",
    "nats_jetstream_consumer_ack_pending_messages",
    "nats_jetstream_consumer_waiting_pulls",
    "nats_jetstream_consumer_replica_lag",
    "nats_jetstream_consumer_replica_active_seconds",
};

const Labels kOrders{{"account", "APP"}, {"stream", "ORDERS"}};
const Labels kEvents{{"account", "APP"}, {"stream", "EVENTS"}};
const Labels kProcessor{{"account", "APP"}, {"stream", "ORDERS"}, {"consumer", "processor"}};
const Labels kAudit{{"account", "APP"}, {"stream", "ORDERS"}, {"consumer", "audit"}};
const Labels kIdle{{"account", "APP"}, {"stream", "ORDERS"}, {"consumer", "idle"}};
const Labels kEventsPush{{"account", "APP"}, {"stream", "EVENTS"}, {"consumer", "events-push"}};

Labels plus(Labels labels, const std::string& k, const std::string& v) {
  labels.emplace_back(k, v);
  return labels;
}

}  // namespace

TEST_CASE("jsz: server-level numbers of n1 (/jsz)") {
  auto out = jsz_fixture("jsz.json", "n1");
  CHECK(out.value("nats_jetstream_enabled") == 1);
  CHECK(out.value("nats_jetstream_memory_bytes") == 6690);
  CHECK(out.value("nats_jetstream_storage_bytes") == 162640);
  CHECK(out.value("nats_jetstream_reserved_memory_bytes") == 0);
  CHECK(out.value("nats_jetstream_reserved_storage_bytes") == 0);
  CHECK(out.value("nats_jetstream_max_memory_bytes") == 268435456);
  CHECK(out.value("nats_jetstream_max_storage_bytes") == 1073741824);
  CHECK(out.value("nats_jetstream_api_requests_total") == 9);
  CHECK(out.value("nats_jetstream_api_errors_total") == 1);
  CHECK(out.value("nats_jetstream_streams") == 2);
  CHECK(out.value("nats_jetstream_consumers") == 4);
  CHECK(out.value("nats_jetstream_messages") == 1200);
  CHECK(out.value("nats_jetstream_bytes") == 169330);
  CHECK(out.value("nats_jetstream_accounts") == 1);
  CHECK(out.value("nats_jetstream_ha_assets") == 5);
  CHECK(out.value("nats_jetstream_meta_cluster_size") == 3);
  CHECK(out.value("nats_jetstream_meta_leader") == 1);
  CHECK(out.find("nats_jetstream_api_requests_total")->raw().type == prometheus::MetricType::Counter);
  CHECK(out.find("nats_jetstream_streams")->raw().type == prometheus::MetricType::Gauge);
  // Without account details there are no per-asset series.
  CHECK(out.count("nats_jetstream_stream_messages") == 0);

  CHECK(jsz_fixture("jsz.json", "n2").value("nats_jetstream_meta_leader") == 0);
  // Without a known name the leadership cannot be judged: no meta_leader series rather than a wrong 0.
  CHECK(jsz_fixture("jsz.json", "").count("nats_jetstream_meta_leader") == 0);
}

TEST_CASE("jsz: a server without JetStream reports only enabled 0") {
  auto out = jsz_fixture("other-nodes/c2_jsz.json", "c2");
  CHECK(out.value("nats_jetstream_enabled") == 0);
  auto families = out.take();
  REQUIRE(families.size() == 1);
  CHECK(families[0].name == "nats_jetstream_enabled");
}

TEST_CASE("jsz on n1: only what n1 leads (EVENTS, events-push)") {
  auto out = jsz_fixture("jsz_all.json", "n1");
  CHECK(out.count("nats_jetstream_stream_messages") == 1);
  CHECK(out.value("nats_jetstream_stream_messages", kEvents) == 200);
  CHECK(out.value("nats_jetstream_stream_bytes", kEvents) == 6690);
  CHECK(out.value("nats_jetstream_stream_first_seq", kEvents) == 1);
  CHECK(out.value("nats_jetstream_stream_last_seq", kEvents) == 200);
  CHECK(out.value("nats_jetstream_stream_consumers", kEvents) == 1);
  CHECK(out.value("nats_jetstream_stream_subjects", kEvents) == 10);
  CHECK(out.value("nats_jetstream_stream_replicas", kEvents) == 1);
  CHECK_FALSE(out.value("nats_jetstream_stream_messages", kOrders));

  CHECK(out.count("nats_jetstream_consumer_pending_messages") == 1);
  CHECK(out.value("nats_jetstream_consumer_pending_messages", kEventsPush) == 200);
  CHECK(out.value("nats_jetstream_consumer_ack_pending_messages", kEventsPush) == 0);
  CHECK(out.value("nats_jetstream_consumer_max_ack_pending", kEventsPush) == 1000);
  for (const auto& follower_copy : {kProcessor, kAudit, kIdle})
    CHECK(count_with(out, "nats_jetstream_consumer_pending_messages", follower_copy) == 0);
  // R1 assets have no followers; the follower view of ORDERS's replicas is not reported.
  CHECK(out.count("nats_jetstream_stream_replica_lag") == 0);
  CHECK(out.count("nats_jetstream_consumer_replica_lag") == 0);

  // n1 is the meta leader: it publishes the account's cluster-wide totals.
  const Labels app{{"account", "APP"}};
  CHECK(out.value("nats_jetstream_account_memory_bytes", app) == 6690);
  CHECK(out.value("nats_jetstream_account_storage_bytes", app) == 488175);
  CHECK(out.value("nats_jetstream_account_api_requests_total", app) == 24);
  CHECK(out.value("nats_jetstream_account_api_errors_total", app) == 1);
  // reserved_* = 18446744073709551615 (uint64 max) means "no reservation", not 16 EiB.
  CHECK(out.count("nats_jetstream_account_reserved_memory_bytes") == 0);
  CHECK(out.count("nats_jetstream_account_reserved_storage_bytes") == 0);
  check_no_duplicate_series(out, kAssetFamilies);
}

TEST_CASE("jsz on n3: ORDERS and processor with the leader's numbers") {
  auto out = jsz_fixture("other-nodes/n3_jsz_all.json", "n3");
  CHECK(out.value("nats_jetstream_stream_messages", kOrders) == 1000);
  CHECK(out.value("nats_jetstream_stream_bytes", kOrders) == 162640);
  CHECK(out.value("nats_jetstream_stream_consumers", kOrders) == 3);
  CHECK(out.value("nats_jetstream_stream_subjects", kOrders) == 4);
  CHECK(out.value("nats_jetstream_stream_replicas", kOrders) == 3);

  CHECK(out.count("nats_jetstream_consumer_pending_messages") == 1);
  CHECK(out.value("nats_jetstream_consumer_pending_messages", kProcessor) == 900);
  CHECK(out.value("nats_jetstream_consumer_ack_pending_messages", kProcessor) == 100);
  CHECK(out.value("nats_jetstream_consumer_redelivered_messages", kProcessor) == 50);
  CHECK(out.value("nats_jetstream_consumer_waiting_pulls", kProcessor) == 0);
  CHECK(out.value("nats_jetstream_consumer_delivered_consumer_seq", kProcessor) == 150);
  CHECK(out.value("nats_jetstream_consumer_delivered_stream_seq", kProcessor) == 100);
  CHECK(out.value("nats_jetstream_consumer_ack_floor_consumer_seq", kProcessor) == 0);
  CHECK(out.value("nats_jetstream_consumer_ack_floor_stream_seq", kProcessor) == 0);
  CHECK(out.value("nats_jetstream_consumer_max_ack_pending", kProcessor) == 1000);

  // The leader's view of its followers: n1 and n2, current, no lag printed (Go omits a zero lag).
  CHECK(out.count("nats_jetstream_stream_replica_lag") == 2);
  const auto orders_n1 = plus(kOrders, "replica", "n1");
  CHECK(out.value("nats_jetstream_stream_replica_lag", orders_n1) == 0);
  CHECK(out.value("nats_jetstream_stream_replica_current", orders_n1) == 1);
  CHECK(out.value("nats_jetstream_stream_replica_active_seconds", orders_n1).value() == doctest::Approx(0.892488758));
  CHECK(count_with(out, "nats_jetstream_stream_replica_lag", plus(kOrders, "replica", "n3")) == 0);
  const auto processor_n2 = plus(kProcessor, "replica", "n2");
  CHECK(out.value("nats_jetstream_consumer_replica_current", processor_n2) == 1);
  CHECK(out.value("nats_jetstream_consumer_replica_lag", processor_n2) == 0);
  CHECK(out.value("nats_jetstream_consumer_replica_active_seconds", processor_n2).value() ==
        doctest::Approx(0.491814210));
  CHECK(out.count("nats_jetstream_consumer_replica_lag") == 2);

  CHECK(out.value("nats_jetstream_meta_leader") == 0);
  // Not the meta leader: the account totals (the same on every node) come from n1 only.
  CHECK(out.count("nats_jetstream_account_storage_bytes") == 0);
  check_no_duplicate_series(out, kAssetFamilies);
}

TEST_CASE("jsz on n2: audit, idle and KV_config") {
  auto out = jsz_fixture("other-nodes/n2_jsz_all.json", "n2");
  CHECK(out.value("nats_jetstream_consumer_pending_messages", kAudit) == 1000);
  CHECK(out.value("nats_jetstream_consumer_waiting_pulls", kIdle) == 1);
  CHECK(out.value("nats_jetstream_consumer_pending_messages", kIdle) == 0);
  CHECK(out.value("nats_jetstream_consumer_delivered_stream_seq", kIdle) == 1000);
  CHECK(count_with(out, "nats_jetstream_consumer_pending_messages", kProcessor) == 0);
  CHECK(out.count("nats_jetstream_stream_messages") == 1);
  CHECK(out.value("nats_jetstream_stream_messages", {{"stream", "KV_config"}}) == 5);
  CHECK(out.value("nats_jetstream_consumer_replica_current", plus(kAudit, "replica", "n1")) == 1);
  check_no_duplicate_series(out, kAssetFamilies);
}

TEST_CASE("jsz across the cluster: one series per stream and consumer, from its leader") {
  MetricSet all;
  all.merge(jsz_fixture("jsz_all.json", "n1"));
  all.merge(jsz_fixture("other-nodes/n2_jsz_all.json", "n2"));
  all.merge(jsz_fixture("other-nodes/n3_jsz_all.json", "n3"));

  for (const char* stream : {"ORDERS", "EVENTS", "KV_config"})
    for (const char* family : {"nats_jetstream_stream_messages", "nats_jetstream_stream_bytes",
                               "nats_jetstream_stream_last_seq", "nats_jetstream_stream_consumers"})
      CHECK_MESSAGE(count_with(all, family, {{"stream", stream}}) == 1, family << " " << stream);
  CHECK(all.count("nats_jetstream_stream_messages") == 3);

  for (const auto& consumer : {kProcessor, kAudit, kIdle, kEventsPush})
    for (const char* family :
         {"nats_jetstream_consumer_pending_messages", "nats_jetstream_consumer_ack_pending_messages",
          "nats_jetstream_consumer_redelivered_messages", "nats_jetstream_consumer_waiting_pulls",
          "nats_jetstream_consumer_delivered_stream_seq", "nats_jetstream_consumer_max_ack_pending"})
      CHECK_MESSAGE(count_with(all, family, consumer) == 1, family << " " << consumer.back().second);
  CHECK(all.count("nats_jetstream_consumer_pending_messages") == 4);

  // The leaders' values, not the followers' stale copies.
  CHECK(all.value("nats_jetstream_consumer_pending_messages", kProcessor) == 900);
  CHECK(all.value("nats_jetstream_consumer_ack_pending_messages", kProcessor) == 100);
  CHECK(all.value("nats_jetstream_consumer_redelivered_messages", kProcessor) == 50);
  CHECK(all.value("nats_jetstream_consumer_pending_messages", kAudit) == 1000);
  CHECK(all.value("nats_jetstream_consumer_waiting_pulls", kIdle) == 1);
  CHECK(all.value("nats_jetstream_consumer_pending_messages", kEventsPush) == 200);
  CHECK(all.value("nats_jetstream_stream_messages", kOrders) == 1000);
  CHECK(all.value("nats_jetstream_stream_messages", kEvents) == 200);

  // Each R3 asset's two followers once each, as its leader sees them.
  CHECK(all.count("nats_jetstream_stream_replica_current") == 2);
  CHECK(all.count("nats_jetstream_consumer_replica_current") == 6);
  // One meta leader, and the account totals once.
  CHECK(all.count("nats_jetstream_meta_leader") == 3);
  double leaders = 0;
  for (const auto& m : all.find("nats_jetstream_meta_leader")->raw().metric) leaders += m.gauge.value;
  CHECK(leaders == 1);
  CHECK(all.count("nats_jetstream_account_storage_bytes") == 1);
  CHECK(all.count("nats_jetstream_account_api_requests_total") == 1);
  check_no_duplicate_series(all, kAssetFamilies);
}

// What a standalone (non-clustered) nats-server 2.9.10 printed for one R1 stream and one consumer:
// the stream's cluster is {"leader": <server name>}, the consumer has no cluster, no meta_cluster.
const char* kStandalone = R"({
  "server_id": "NCHFGAGP", "config": {"max_memory": 67108864, "max_storage": 268435456},
  "memory": 0, "storage": 430, "reserved_memory": 0, "reserved_storage": 0, "accounts": 1, "ha_assets": 0,
  "api": {"total": 2, "errors": 0}, "streams": 1, "consumers": 1, "messages": 10, "bytes": 430,
  "account_details": [{
    "name": "$G", "id": "$G", "memory": 0, "storage": 430,
    "reserved_memory": 18446744073709551615, "reserved_storage": 18446744073709551615,
    "accounts": 0, "ha_assets": 0, "api": {"total": 2, "errors": 0},
    "stream_detail": [{
      "name": "ORDERS", "cluster": {"leader": "solo"},
      "config": {"name": "ORDERS", "num_replicas": 1},
      "state": {"messages": 10, "bytes": 430, "first_seq": 1, "last_seq": 10, "num_subjects": 1, "consumer_count": 1},
      "consumer_detail": [{
        "stream_name": "ORDERS", "name": "proc",
        "config": {"durable_name": "proc", "ack_policy": "explicit", "max_ack_pending": 100},
        "delivered": {"consumer_seq": 0, "stream_seq": 0}, "ack_floor": {"consumer_seq": 0, "stream_seq": 0},
        "num_ack_pending": 0, "num_redelivered": 0, "num_waiting": 0, "num_pending": 10}]
    }]
  }]
})";

TEST_CASE("jsz on a standalone server: its streams and consumers, and the account") {
  auto out = jsz_of(json::parse(kStandalone), "solo");
  const Labels orders{{"account", "$G"}, {"stream", "ORDERS"}};
  CHECK(out.value("nats_jetstream_stream_messages", orders) == 10);
  CHECK(out.value("nats_jetstream_consumer_pending_messages", plus(orders, "consumer", "proc")) == 10);
  CHECK(out.value("nats_jetstream_consumer_max_ack_pending", plus(orders, "consumer", "proc")) == 100);
  CHECK(out.value("nats_jetstream_account_storage_bytes", {{"account", "$G"}}) == 430);
  CHECK(out.count("nats_jetstream_account_reserved_memory_bytes") == 0);
  // Not in a JetStream cluster: no meta series.
  CHECK(out.count("nats_jetstream_meta_leader") == 0);
  CHECK(out.count("nats_jetstream_meta_cluster_size") == 0);
}

TEST_CASE("jsz: uint64-max and -1 are not byte counts") {
  auto out = jsz_of(json::parse(R"({
      "config": {"max_memory": -1, "max_storage": 1073741824},
      "memory": 10, "reserved_memory": 18446744073709551615, "reserved_storage": 9223372036854775807,
      "account_details": [{"id": "A", "memory": 18446744073709551615, "storage": 5,
                           "reserved_memory": 18446744073709551615, "reserved_storage": 1024}]})"),
                    "x");
  CHECK(out.count("nats_jetstream_max_memory_bytes") == 0);
  CHECK(out.value("nats_jetstream_max_storage_bytes") == 1073741824);
  CHECK(out.value("nats_jetstream_memory_bytes") == 10);
  CHECK(out.count("nats_jetstream_reserved_memory_bytes") == 0);
  CHECK(out.count("nats_jetstream_reserved_storage_bytes") == 0);
  CHECK(out.count("nats_jetstream_account_memory_bytes") == 0);
  CHECK(out.value("nats_jetstream_account_storage_bytes", {{"account", "A"}}) == 5);
  CHECK(out.count("nats_jetstream_account_reserved_memory_bytes") == 0);
  CHECK(out.value("nats_jetstream_account_reserved_storage_bytes", {{"account", "A"}}) == 1024);
}

TEST_CASE("jsz: a leaderless asset in a cluster (an election) is reported by no node") {
  auto doc = load_fixture_json("other-nodes/n3_jsz_all.json");
  auto& orders = doc["account_details"][0]["stream_detail"][0];
  orders["cluster"].erase("leader");
  orders["consumer_detail"][0].erase("cluster");  // processor
  auto out = jsz_of(doc, "n3");
  CHECK(out.count("nats_jetstream_stream_messages") == 0);
  CHECK(count_with(out, "nats_jetstream_consumer_pending_messages", kProcessor) == 0);
  CHECK(out.value("nats_jetstream_enabled") == 1);
}

TEST_CASE("jsz: garbage drops series, never the translation") {
  SUBCASE("stream_detail as a string, account_details as an object") {
    auto a = jsz_of(json::parse(R"({"account_details": [{"id": "A", "stream_detail": "nope"}]})"), "n1");
    CHECK(a.value("nats_jetstream_enabled") == 1);
    CHECK(a.count("nats_jetstream_stream_messages") == 0);
    auto b = jsz_of(json::parse(R"({"account_details": {"id": "A"}, "meta_cluster": "x", "api": 3})"), "n1");
    CHECK(b.value("nats_jetstream_enabled") == 1);
    CHECK(b.count("nats_jetstream_api_requests_total") == 0);
    CHECK(b.count("nats_jetstream_meta_leader") == 0);
  }
  SUBCASE("odd consumers and streams") {
    auto doc = load_fixture_json("other-nodes/n3_jsz_all.json");
    auto& orders = doc["account_details"][0]["stream_detail"][0];
    auto& processor = orders["consumer_detail"][0];
    processor["num_pending"] = "x";
    processor["delivered"] = 7;
    processor["cluster"]["replicas"] = 12;
    orders["state"] = "broken";
    const json repeat = processor;  // copied: the pushes below move the array's elements
    orders["consumer_detail"].push_back(42);
    orders["consumer_detail"].push_back(json::object());
    orders["consumer_detail"].push_back(repeat);
    orders["cluster"]["replicas"].push_back({{"name", "n9"}, {"lag", "far"}, {"current", "yes"}, {"active", 1e9}});
    orders["cluster"]["replicas"].push_back(nullptr);
    doc["account_details"][0]["stream_detail"].push_back("junk");
    doc["account_details"].push_back(nullptr);
    auto out = jsz_of(doc, "n3");
    CHECK_FALSE(out.value("nats_jetstream_consumer_pending_messages", kProcessor));
    CHECK(out.value("nats_jetstream_consumer_ack_pending_messages", kProcessor) == 100);
    CHECK(count_with(out, "nats_jetstream_consumer_ack_pending_messages", kProcessor) == 1);
    CHECK_FALSE(out.value("nats_jetstream_consumer_delivered_stream_seq", kProcessor));
    CHECK(out.count("nats_jetstream_consumer_replica_lag") == 0);
    CHECK_FALSE(out.value("nats_jetstream_stream_messages", kOrders));
    CHECK(out.value("nats_jetstream_stream_replicas", kOrders) == 3);
    const auto orders_n9 = plus(kOrders, "replica", "n9");
    CHECK_FALSE(out.value("nats_jetstream_stream_replica_lag", orders_n9));
    CHECK_FALSE(out.value("nats_jetstream_stream_replica_current", orders_n9));
    CHECK(out.value("nats_jetstream_stream_replica_active_seconds", orders_n9) == 1);
    check_no_duplicate_series(out, kAssetFamilies);
  }
  SUBCASE("a consumer without cluster info on a standalone server is its own") {
    auto doc = json::parse(kStandalone);
    doc["account_details"][0]["stream_detail"][0]["consumer_detail"][0]["num_pending"] = "x";
    auto out = jsz_of(doc, "solo");
    const Labels proc{{"account", "$G"}, {"stream", "ORDERS"}, {"consumer", "proc"}};
    CHECK_FALSE(out.value("nats_jetstream_consumer_pending_messages", proc));
    CHECK(out.value("nats_jetstream_consumer_ack_pending_messages", proc) == 0);
  }
  SUBCASE("not an object at all") {
    for (const char* text : {"null", "[]", "17", "\"jsz\"", R"({"disabled": "yes"})"}) {
      MetricSet out;
      translate_jsz(parsed(json::parse(text)), "n1", out);
      CHECK(out.count("nats_jetstream_stream_messages") == 0);
    }
  }
}

TEST_CASE("jsz collector takes the server name from /varz") {
  SUBCASE("n3's varz: n3 leads ORDERS") {
    FakeSource source;
    source.serve("/jsz", load_fixture("other-nodes/n3_jsz_all.json"));
    source.serve("/varz", load_fixture("other-nodes/n3_varz.json"));
    MetricSet out;
    make_collector("jsz")->collect(source, CollectorOptions{}, out);
    CHECK(source.requests(kJszPath) == 1);
    CHECK(source.requests("/varz") == 1);
    CHECK(out.value("nats_jetstream_consumer_pending_messages", kProcessor) == 900);
  }
  SUBCASE("the same jsz with n1's varz: nothing of n3's") {
    FakeSource source;
    source.serve("/jsz", load_fixture("other-nodes/n3_jsz_all.json"));
    source.serve("/varz", load_fixture("varz.json"));
    MetricSet out;
    make_collector("jsz")->collect(source, CollectorOptions{}, out);
    CHECK(out.count("nats_jetstream_stream_messages") == 0);
    CHECK(out.count("nats_jetstream_consumer_pending_messages") == 0);
    CHECK(out.value("nats_jetstream_enabled") == 1);
  }
  SUBCASE("JetStream disabled: success without /varz") {
    FakeSource source;
    source.serve("/jsz", load_fixture("other-nodes/c2_jsz.json"));
    MetricSet out;
    make_collector("jsz")->collect(source, CollectorOptions{}, out);
    CHECK(source.requests("/varz") == 0);
    CHECK(out.value("nats_jetstream_enabled") == 0);
  }
  SUBCASE("a body that is not an object fails the collector") {
    FakeSource source;
    source.serve("/jsz", json::array());
    MetricSet out;
    CHECK_THROWS_AS(make_collector("jsz")->collect(source, CollectorOptions{}, out), FetchError);
  }
}
