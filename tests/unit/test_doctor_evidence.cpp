// The doctor's evidence parsers on the nats-server 2.9.10 fixtures, and gather_evidence's reads.
#include <doctest/doctest.h>

#include <string>

#include "collectors/doctor/evidence.h"
#include "collectors/jsz.h"
#include "tests/unit/fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;
using namespace natsexp::doctor;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture;

namespace {

const ConnectionEvidence* by_name(const std::vector<ConnectionEvidence>& list, const std::string& name) {
  for (const auto& c : list)
    if (c.name == name) return &c;
  return nullptr;
}

const ConsumerEvidence* consumer(const std::vector<ConsumerEvidence>& list, const std::string& name) {
  for (const auto& c : list)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("evidence: varz of n1") {
  const VarzEvidence v = parse_varz(load_fixture("varz.json"));
  CHECK(v.server_name == "n1");
  CHECK(v.server_id == "NAI6JFM62BADR365XRZXZIIRB6ELK77Y6O4WACWOWXWOSP5IUWYTG4SJ");
  CHECK(v.cluster == "C1");
  CHECK(v.version == "2.9.10");
  CHECK(v.max_pending == 1048576);
  CHECK(v.max_payload == 1048576);
  CHECK(v.write_deadline.value() == doctest::Approx(2.0));
  CHECK(v.slow_consumers == 1);
  CHECK(v.total_connections == 13);
  CHECK(v.connections == 7);
  REQUIRE(v.start);
  REQUIRE(v.now);
  CHECK(*v.now - *v.start == doctest::Approx(106.119).epsilon(0.001));
  CHECK(v.slow_consumer_stats.empty());  // 2.9 has no per-kind stats
}

TEST_CASE("evidence: varz tolerates odd fields and newer ones") {
  const VarzEvidence v = parse_varz(parsed(json::parse(R"({"server_id":"X","max_pending":"big","write_deadline":"10s",
      "slow_consumer_stats":{"clients":3,"routes":0,"odd":"x"}})")));
  CHECK(v.server_name == "X");  // an unnamed server is its id
  CHECK_FALSE(v.max_pending);
  CHECK(v.write_deadline == 10.0);
  CHECK(v.slow_consumer_stats.size() == 2);
  CHECK(v.slow_consumer_stats.at("clients") == 3);
  const VarzEvidence empty = parse_varz(parsed(json::array()));
  CHECK(empty.server_id.empty());
  CHECK_FALSE(empty.slow_consumers);
}

TEST_CASE("evidence: connz?subs=detail of n1") {
  const auto conns = parse_connections(load_fixture("connz_subs_detail.json"));
  REQUIRE(conns.size() == 7);
  const auto* w1 = by_name(conns, "worker-1");
  REQUIRE(w1);
  CHECK(w1->cid == 37u);
  CHECK(w1->ip == "127.0.0.1");
  CHECK(w1->lang == "nats.js");
  CHECK(w1->rtt.value() == doctest::Approx(415e-6));
  CHECK(w1->pending_bytes == 0);
  REQUIRE(w1->subscriptions.size() == 2);
  CHECK(w1->subscriptions[0].subject == "jobs.>");
  CHECK(w1->subscriptions[0].queue == "workers");
  CHECK(w1->subscriptions[0].msgs == 702);
  CHECK(w1->subscriptions[1].subject == "svc.echo");
  CHECK(w1->subscriptions[1].queue == "echo");
  CHECK(w1->tls_version.empty());
  const auto* mon = by_name(conns, "monitor-n3");
  REQUIRE(mon);
  REQUIRE(mon->subscriptions.size() == 1);
  CHECK(mon->subscriptions[0].subject == ">");
  CHECK(mon->subscriptions[0].queue.empty());
  CHECK(by_name(conns, "pull-waiter")->subscriptions.size() == 2);
}

TEST_CASE("evidence: connz without subs, and state=all skips the closed ones") {
  const auto plain = parse_connections(load_fixture("connz.json"));
  CHECK(plain.size() == 7);
  for (const auto& c : plain) CHECK(c.subscriptions.empty());
  const auto all = load_fixture("connz_all_subs_detail.json");
  const auto open = parse_connections(all);
  CHECK(open.size() == 7);
  CHECK(by_name(open, "slow-subscriber") == nullptr);         // closed
  CHECK_FALSE(by_name(open, "monitor-n3")->account.empty());  // auth=true gives the account
  CHECK(by_name(open, "monitor-n3")->account == "APP");
  // A TLS connection and garbage elements.
  const auto tls =
      parse_connections(parsed(json::parse(R"({"connections":[7,null,{"cid":9,"name":"t","tls_version":"1.2",
      "tls_cipher_suite":"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256","rtt":"oops","subscriptions_list":["a.b",""]}]})")));
  REQUIRE(tls.size() == 1);
  CHECK(tls[0].tls_version == "1.2");
  CHECK(tls[0].tls_cipher == "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256");
  CHECK_FALSE(tls[0].rtt);
  REQUIRE(tls[0].subscriptions.size() == 1);
  CHECK(tls[0].subscriptions[0].subject == "a.b");
  CHECK(parse_connections(parsed(json::object())).empty());
}

TEST_CASE("evidence: closed connections of n1, with the slow consumer") {
  const auto doc = load_fixture("connz_state_closed.json");
  const auto closed = parse_closed_connections(doc);
  REQUIRE(closed.size() == 6);
  std::size_t slow = 0;
  for (const auto& c : closed) {
    if (!is_slow_consumer_reason(c.reason)) continue;
    ++slow;
    CHECK(c.name == "slow-subscriber");
    CHECK(c.cid == 43u);
    CHECK(c.reason == "Slow Consumer (Write Deadline)");
    CHECK(c.pending_bytes == 544942);
    REQUIRE(c.stop);
    const auto now = timestamp(doc, "now");
    REQUIRE(now);
    CHECK(*now - *c.stop == doctest::Approx(35.03).epsilon(0.001));
  }
  CHECK(slow == 1);
  // n3 cut monitor-n3 for pending bytes.
  const auto n3 = parse_closed_connections(load_fixture("other-nodes/n3_connz_state_closed.json"));
  bool pending_bytes = false;
  for (const auto& c : n3)
    if (c.reason == "Slow Consumer (Pending Bytes)" && c.name == "monitor-n3") pending_bytes = true;
  CHECK(pending_bytes);
  CHECK(is_slow_consumer_reason("Slow Consumer (Pending Bytes)"));
  CHECK_FALSE(is_slow_consumer_reason("Client Closed"));
}

TEST_CASE("evidence: subsz of n1") {
  const SubszEvidence s = parse_subsz(load_fixture("subsz.json"));
  CHECK(s.num_subscriptions == 255);
  CHECK(s.num_matches == 1874);
  CHECK(s.cache_hit_rate.value() == doctest::Approx(0.12113127001067236));
  CHECK(s.max_fanout == 3);
  CHECK(s.avg_fanout.value() == doctest::Approx(1.9217391304347826));
}

TEST_CASE("evidence: jsz consumers are taken from their leader only") {
  const auto n1 = parse_jsz_consumers(load_fixture("jsz_all.json"), "n1");
  REQUIRE(n1.size() == 1);
  CHECK(n1[0].account == "APP");
  CHECK(n1[0].stream == "EVENTS");
  CHECK(n1[0].name == "events-push");
  CHECK(n1[0].num_pending == 200);
  CHECK(n1[0].max_ack_pending == 1000);

  const auto n3 = parse_jsz_consumers(load_fixture("other-nodes/n3_jsz_all.json"), "n3");
  REQUIRE(n3.size() == 1);
  const auto* processor = consumer(n3, "processor");
  REQUIRE(processor);
  CHECK(processor->num_pending == 900);
  CHECK(processor->num_ack_pending == 100);
  CHECK(processor->num_redelivered == 50);
  CHECK(processor->max_ack_pending == 1000);

  const auto n2 = parse_jsz_consumers(load_fixture("other-nodes/n2_jsz_all.json"), "n2");
  CHECK(n2.size() == 2);
  REQUIRE(consumer(n2, "idle"));
  CHECK(consumer(n2, "idle")->num_waiting == 1);
  CHECK(consumer(n2, "audit")->num_pending == 1000);

  // A standalone server (no meta_cluster) leads what it lists.
  const auto standalone = parse_jsz_consumers(parsed(json::parse(R"({"account_details":[{"name":"$G","stream_detail":[
      {"name":"S","consumer_detail":[{"name":"C","num_pending":5,"config":{"max_ack_pending":-1}}]}]}]})")),
                                              "x");
  REQUIRE(standalone.size() == 1);
  CHECK(standalone[0].account == "$G");
  CHECK(standalone[0].max_ack_pending == -1);
  CHECK(parse_jsz_consumers(load_fixture("other-nodes/c2_jsz.json"), "c2").empty());
}

TEST_CASE("evidence: gather_evidence reads every source and pages /connz") {
  FakeSource source;
  json page0 = load_fixture_json("connz_subs_detail.json");
  json page1 = page0;
  // Split the seven connections over two pages of four.
  auto& first = page0["connections"];
  first.erase(first.begin() + 4, first.end());
  page0["limit"] = 4;
  auto& second = page1["connections"];
  second.erase(second.begin(), second.begin() + 4);
  page1["offset"] = 4;
  page1["limit"] = 4;
  source.serve("/varz", load_fixture("varz.json"))
      .serve(connz_detail_path(4, 0), page0)
      .serve(connz_detail_path(4, 4), page1)
      .serve(kClosedConnzPath, load_fixture("connz_state_closed.json"))
      .serve("/subsz", load_fixture("subsz.json"))
      .serve(kJszPath, load_fixture("jsz_all.json"));
  const ServerEvidence e = gather_evidence(source, nullptr, 4);
  CHECK(e.problems.empty());
  CHECK(e.varz.server_name == "n1");
  REQUIRE(e.connections);
  CHECK(e.connections->size() == 7);
  CHECK(source.requests(connz_detail_path(4, 0)) == 1);
  CHECK(source.requests(connz_detail_path(4, 4)) == 1);
  REQUIRE(e.closed);
  CHECK(e.closed->size() == 6);
  CHECK(e.closed_now);
  REQUIRE(e.subsz);
  CHECK(e.subsz->max_fanout == 3);
  REQUIRE(e.consumers);
  CHECK(e.consumers->size() == 1);
  CHECK_FALSE(e.jetstream_disabled);
  // The paths the varz and jsz collectors use, so a scrape fetches them once.
  CHECK(source.requests("/varz") == 1);
  CHECK(source.requests(kJszPath) == 1);
}

TEST_CASE("evidence: a missing source is a problem, a missing /varz an error") {
  FakeSource partial;
  partial.serve("/varz", load_fixture("varz.json")).serve("/jsz", load_fixture("other-nodes/c2_jsz.json"));
  const ServerEvidence e = gather_evidence(partial);
  CHECK_FALSE(e.connections);
  CHECK_FALSE(e.closed);
  CHECK_FALSE(e.subsz);
  CHECK(e.problems.count("connz") == 1);
  CHECK(e.problems.count("closed connections") == 1);
  CHECK(e.problems.count("subsz") == 1);
  CHECK(e.problems.count("jsz") == 0);
  CHECK(e.jetstream_disabled);
  REQUIRE(e.consumers);
  CHECK(e.consumers->empty());

  FakeSource none;
  CHECK_THROWS_AS(gather_evidence(none), FetchError);
}

TEST_CASE("evidence: consumers are named as the jsz collector labels them (one walk_jsz)") {
  // A consumer listed without "name" (its config's durable_name names it) and a stream listed twice.
  json j = load_fixture_json("other-nodes/n3_jsz_all.json");
  auto& stream = j["account_details"][0]["stream_detail"][0];
  auto& consumer = stream["consumer_detail"][0];
  const std::string durable = consumer["config"]["durable_name"];
  consumer.erase("name");
  j["account_details"][0]["stream_detail"].push_back(stream);
  const auto doc = parsed(j);
  MetricSet metrics;
  translate_jsz(doc, "n3", metrics);
  const auto consumers = parse_jsz_consumers(doc, "n3");
  REQUIRE_FALSE(consumers.empty());
  std::size_t named = 0;
  for (const auto& c : consumers) {
    // Every consumer the doctor judges has the series the metrics publish, under the same labels.
    CHECK(metrics
              .value("nats_jetstream_consumer_pending_messages",
                     {{"account", c.account}, {"stream", c.stream}, {"consumer", c.name}})
              .has_value());
    named += c.name == durable;
  }
  CHECK(named == 1);
  CHECK(consumers.size() == metrics.count("nats_jetstream_consumer_pending_messages"));
}

TEST_CASE("a /connz parsed in parts gives the evidence and the rest of a whole parse") {
  const std::string text = fixture_text("connz_subs_detail.json");
  const auto whole = parse_json(text);
  const auto expected = parse_connections(whole->root());
  REQUIRE(expected.size() >= 2);

  std::vector<ConnectionEvidence> got;
  const JsonElements split = parse_json_elements(text, "connections", [&](const JsonValue& c) {
    if (auto e = parse_connection(c)) got.push_back(std::move(*e));
  });
  CHECK(split.elements == whole->root().find("connections").size());
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].cid == expected[i].cid);
    CHECK(got[i].name == expected[i].name);
    CHECK(got[i].ip == expected[i].ip);
    CHECK(got[i].rtt == expected[i].rtt);
    CHECK(got[i].link.in_msgs == expected[i].link.in_msgs);
    REQUIRE(got[i].subscriptions.size() == expected[i].subscriptions.size());
    for (std::size_t s = 0; s < got[i].subscriptions.size(); ++s)
      CHECK(got[i].subscriptions[s].subject == expected[i].subscriptions[s].subject);
  }
  // The rest: every other member as it was, the array left empty.
  const JsonValue rest = split.rest->root();
  CHECK(rest.find("connections").is_array());
  CHECK(rest.find("connections").empty());
  CHECK(rest.find("server_id").as_string() == whole->root().find("server_id").as_string());
  CHECK(rest.find("total").as_unsigned() == whole->root().find("total").as_unsigned());
  CHECK(rest.size() == whole->root().size());
}

TEST_CASE("parsing in parts: odd keys, no array, and invalid JSON") {
  std::vector<std::string> seen;
  auto collect = [&](const JsonValue& e) { seen.push_back(json_text(e)); };
  auto split = parse_json_elements(R"({"a\"b":{"x":[1,2]},"list":[1,"two",{"c":null},[3]],"n":-1.5,"s":"q\\"})", "list",
                                   collect);
  CHECK(split.elements == 4);
  CHECK(seen == std::vector<std::string>{"1", "\"two\"", "{\"c\":null}", "[3]"});
  CHECK(split.rest->root().find("a\"b").find("x").size() == 2);
  CHECK(split.rest->root().find("n").as_number() == -1.5);
  CHECK(split.rest->root().find("s").as_string() == "q\\");

  seen.clear();
  split = parse_json_elements(R"({"list":7})", "list", collect);  // not an array: kept, nothing called
  CHECK(split.elements == 0);
  CHECK(seen.empty());
  CHECK(split.rest->root().find("list").as_unsigned() == 7u);

  CHECK_THROWS_AS(parse_json_elements(R"({"list":[1,2]} x)", "list", collect), FetchError);
  CHECK_THROWS_AS(parse_json_elements(R"({"list":[1,{"a":]]})", "list", collect), FetchError);
  CHECK_THROWS_AS(parse_json_elements(R"({"list":[1,2],"b":tru})", "list", collect), FetchError);
  CHECK_THROWS_AS(parse_json_elements(R"({"list":[1,2])", "list", collect), FetchError);
  CHECK_THROWS_AS(parse_json_elements(R"([1,2])", "list", collect), FetchError);
  CHECK_THROWS_AS(parse_json_elements("", "list", collect), FetchError);
}
