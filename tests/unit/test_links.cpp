// routez, gatewayz, leafz and the link_stats helper they share, on real 2.9.10 captures and on
// synthetic 2.10+-shaped documents.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "collectors/gatewayz.h"
#include "collectors/leafz.h"
#include "collectors/link_stats.h"
#include "collectors/registry_list.h"
#include "collectors/routez.h"
#include "fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture;

namespace {

const char* const kSuffixes[] = {
    "_rtt_seconds",         "_pending_bytes",        "_subscriptions",   "_messages_received_total",
    "_messages_sent_total", "_bytes_received_total", "_bytes_sent_total"};

// Every label set of `family`, each as a sorted name=value list.
std::set<std::string> label_sets(const MetricSet& out, const std::string& family) {
  std::set<std::string> sets;
  const Family* f = out.find(family);
  if (!f) return sets;
  for (const auto& m : f->raw().metric) {
    std::set<std::string> parts;
    for (const auto& l : m.label) parts.insert(l.name + "=" + l.value);
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : ",") + p;
    sets.insert(s);
  }
  return sets;
}

}  // namespace

// ---------------------------------------------------------------- link_stats

TEST_CASE("link_stats: the seven series, pending under either name, \"0s\" RTT") {
  MetricSet out;
  const LinkKind kind{"nats_test", "test link"};
  add_link_stats(out, kind,
                 parsed({{"rtt", "0s"},
                         {"pending_size", 12},
                         {"subscriptions", 3},
                         {"in_msgs", 4},
                         {"out_msgs", 5},
                         {"in_bytes", 6},
                         {"out_bytes", 7}}),
                 {{"k", "a"}});
  CHECK(out.value("nats_test_rtt_seconds", {{"k", "a"}}).value() == 0);  // present, and zero
  CHECK(out.value("nats_test_pending_bytes", {{"k", "a"}}).value() == 12);
  CHECK(out.value("nats_test_subscriptions", {{"k", "a"}}).value() == 3);
  CHECK(out.value("nats_test_messages_received_total", {{"k", "a"}}).value() == 4);
  CHECK(out.value("nats_test_messages_sent_total", {{"k", "a"}}).value() == 5);
  CHECK(out.value("nats_test_bytes_received_total", {{"k", "a"}}).value() == 6);
  CHECK(out.value("nats_test_bytes_sent_total", {{"k", "a"}}).value() == 7);
  CHECK(out.find("nats_test_rtt_seconds")->raw().type == prometheus::MetricType::Gauge);
  CHECK(out.find("nats_test_bytes_sent_total")->raw().type == prometheus::MetricType::Counter);
  CHECK(out.find("nats_test_rtt_seconds")->raw().help == "Round-trip time the server last measured on this test link.");

  // pending_bytes wins over pending_size; odd values drop only their own series.
  add_link_stats(out, kind,
                 parsed({{"rtt", "fast"},
                         {"pending_bytes", 1},
                         {"pending_size", 2},
                         {"subscriptions", "3"},
                         {"in_msgs", nullptr},
                         {"out_msgs", true},
                         {"in_bytes", json::array()},
                         {"out_bytes", 9.5}}),
                 {{"k", "b"}});
  CHECK_FALSE(out.value("nats_test_rtt_seconds", {{"k", "b"}}));
  CHECK(out.value("nats_test_pending_bytes", {{"k", "b"}}).value() == 1);
  CHECK_FALSE(out.value("nats_test_subscriptions", {{"k", "b"}}));
  CHECK_FALSE(out.value("nats_test_messages_received_total", {{"k", "b"}}));
  CHECK_FALSE(out.value("nats_test_messages_sent_total", {{"k", "b"}}));
  CHECK_FALSE(out.value("nats_test_bytes_received_total", {{"k", "b"}}));
  CHECK(out.value("nats_test_bytes_sent_total", {{"k", "b"}}).value() == 9.5);

  // Not even an object: nothing, no throw.
  CHECK_NOTHROW(add_link_stats(out, kind, parsed(json("route")), {{"k", "c"}}));
  CHECK(out.count("nats_test_bytes_sent_total") == 2);
}

TEST_CASE("link_stats: label helpers") {
  const auto j = parsed({{"u", 42u}, {"i", -3}, {"f", 7.0}, {"g", 7.5}, {"s", "abc"}, {"b", true}});
  CHECK(id_label(j, "u") == "42");
  CHECK(id_label(j, "i") == "-3");
  CHECK(id_label(j, "f") == "7");
  CHECK(id_label(j, "g") == "");
  CHECK(id_label(j, "s") == "abc");
  CHECK(id_label(j, "b") == "");
  CHECK(id_label(j, "missing") == "");
  CHECK(id_label(parsed(json::array()), "u") == "");

  CHECK(address_label(parsed(json{{"ip", "127.0.0.1"}, {"port", 17422}})) == "127.0.0.1:17422");
  CHECK(address_label(parsed(json{{"ip", "::1"}, {"port", 7422}})) == "[::1]:7422");
  CHECK(address_label(parsed(json{{"ip", "10.1.2.3"}})) == "10.1.2.3");
  CHECK(address_label(parsed(json{{"port", 1}})) == "");

  UniqueLabels unique;
  CHECK(unique.claim({{"a", "x"}, {"b", "1"}}) == Labels{{"a", "x"}, {"b", "1"}});
  CHECK(unique.claim({{"a", "x"}, {"b", "1"}}) == Labels{{"a", "x"}, {"b", "1#2"}});
  CHECK(unique.claim({{"a", "x"}, {"b", "1"}}) == Labels{{"a", "x"}, {"b", "1#3"}});
  CHECK(unique.claim({{"a", "y"}, {"b", "1"}}) == Labels{{"a", "y"}, {"b", "1"}});
}

// ---------------------------------------------------------------- routez

TEST_CASE("routez.json: two routes of n1") {
  MetricSet out;
  translate_routez(load_fixture("routez.json"), out);
  CHECK(out.value("nats_routez_routes").value() == 2);

  const Labels r11 = {{"remote", "NCZL3JVUWQ2DQWY2SWF6F7V5TB2AH3EKLJOEMIIBYHBFW4KQH6INE6E7"}, {"rid", "11"}};
  CHECK(out.value("nats_route_rtt_seconds", r11).value() == doctest::Approx(0.000244));
  CHECK(out.value("nats_route_pending_bytes", r11).value() == 0);  // from pending_size
  CHECK(out.value("nats_route_subscriptions", r11).value() == 71);
  CHECK(out.value("nats_route_messages_received_total", r11).value() == 3467);
  CHECK(out.value("nats_route_messages_sent_total", r11).value() == 10907);
  CHECK(out.value("nats_route_bytes_received_total", r11).value() == 395620);
  CHECK(out.value("nats_route_bytes_sent_total", r11).value() == 7347005);

  const Labels r10 = {{"remote", "NDVSBO2FNDY3K7EJYTARQXISYAD4QF6LHUO5DRSASVEZSATREYSU7ROC"}, {"rid", "10"}};
  CHECK(out.value("nats_route_rtt_seconds", r10).value() == doctest::Approx(0.000155));
  CHECK(out.value("nats_route_subscriptions", r10).value() == 77);
  CHECK(out.value("nats_route_messages_received_total", r10).value() == 321);
  CHECK(out.value("nats_route_bytes_sent_total", r10).value() == 3529627);

  for (const char* suffix : kSuffixes) CHECK_MESSAGE(out.count(std::string("nats_route") + suffix) == 2, suffix);
  CHECK(label_sets(out, "nats_route_rtt_seconds") ==
        std::set<std::string>{"remote=NCZL3JVUWQ2DQWY2SWF6F7V5TB2AH3EKLJOEMIIBYHBFW4KQH6INE6E7,rid=11",
                              "remote=NDVSBO2FNDY3K7EJYTARQXISYAD4QF6LHUO5DRSASVEZSATREYSU7ROC,rid=10"});
  CHECK(out.take().size() == 8);
}

TEST_CASE("routez_subs.json: the subscription lists do not get in the way") {
  MetricSet out;
  translate_routez(load_fixture("routez_subs.json"), out);
  CHECK(out.value("nats_route_bytes_sent_total", {{"rid", "10"}}).value() == 3529602);
  CHECK(out.count("nats_route_subscriptions") == 2);
}

TEST_CASE("routez 2.10+: remote_name and pooled routes") {
  const auto doc = parse_text(R"({
    "num_routes": 3,
    "routes": [
      {"rid": 21, "remote_id": "NID2", "remote_name": "n2", "rtt": "1.5ms", "pending_size": 100, "in_msgs": 1,
       "out_msgs": 2, "in_bytes": 3, "out_bytes": 4, "subscriptions": 5},
      {"rid": 22, "remote_id": "NID2", "remote_name": "n2", "rtt": "0s", "pending_size": 0},
      {"rid": 23, "remote_id": "NID3", "remote_name": "", "rtt": "2ms"},
      "not a route"
    ]})");
  MetricSet out;
  CHECK_NOTHROW(translate_routez(doc, out));
  CHECK(out.value("nats_routez_routes").value() == 3);
  CHECK(out.value("nats_route_pending_bytes", {{"remote", "n2"}, {"rid", "21"}}).value() == 100);
  CHECK(out.value("nats_route_rtt_seconds", {{"remote", "n2"}, {"rid", "22"}}).value() == 0);
  CHECK(out.value("nats_route_rtt_seconds", {{"remote", "NID3"}, {"rid", "23"}}).value() == doctest::Approx(0.002));
  CHECK(out.count("nats_route_rtt_seconds") == 3);
  CHECK(out.count("nats_route_bytes_sent_total") == 1);
}

TEST_CASE("routez: odd documents") {
  MetricSet out;
  CHECK_THROWS_AS(translate_routez(parsed(json::array()), out), FetchError);
  CHECK_THROWS_AS(translate_routez(parsed(json("routez")), out), FetchError);

  MetricSet empty;
  translate_routez(parsed(json{{"routes", "none"}}), empty);  // no count, no routes, no throw
  CHECK_FALSE(empty.value("nats_routez_routes"));

  MetricSet counted;  // num_routes missing: the list gives the count
  translate_routez(parsed(json{{"routes", json::array({json{{"rid", 1}}, json{{"rid", 1}}})}}), counted);
  CHECK(counted.value("nats_routez_routes").value() == 2);
  CHECK(counted.count("nats_route_rtt_seconds") == 0);
  // Two routes claiming rid 1 still give two distinct label sets.
  MetricSet dup;
  translate_routez(parsed(json::parse(R"({"routes": [{"rid": 1, "remote_id": "X", "subscriptions": 1},
                                             {"rid": 1, "remote_id": "X", "subscriptions": 2}]})")),
                   dup);
  CHECK(label_sets(dup, "nats_route_subscriptions") == std::set<std::string>{"remote=X,rid=1", "remote=X,rid=1#2"});
}

TEST_CASE("routez collector: GETs /routez") {
  FakeSource source;
  source.serve("/routez", load_fixture("routez.json"));
  MetricSet out;
  make_routez_collector()->collect(source, CollectorOptions{}, out);
  CHECK(source.requests("/routez") == 1);
  CHECK(out.value("nats_routez_routes").value() == 2);
}

// ---------------------------------------------------------------- gatewayz

TEST_CASE("gatewayz.json: n1's outbound and inbound gateway to C2") {
  MetricSet out;
  translate_gatewayz(load_fixture("gatewayz.json"), out);
  CHECK(out.value("nats_gatewayz_outbound_gateways").value() == 1);
  CHECK(out.value("nats_gatewayz_inbound_gateways").value() == 1);

  const Labels outbound = {{"gateway", "C2"}, {"direction", "outbound"}, {"cid", "16"}};
  CHECK(out.value("nats_gateway_rtt_seconds", outbound).value() == doctest::Approx(0.000272));
  CHECK(out.value("nats_gateway_pending_bytes", outbound).value() == 0);
  CHECK(out.value("nats_gateway_subscriptions", outbound).value() == 40);
  CHECK(out.value("nats_gateway_messages_received_total", outbound).value() == 0);
  CHECK(out.value("nats_gateway_messages_sent_total", outbound).value() == 923);
  CHECK(out.value("nats_gateway_bytes_received_total", outbound).value() == 0);
  CHECK(out.value("nats_gateway_bytes_sent_total", outbound).value() == 37842);
  CHECK(out.value("nats_gateway_configured", outbound).value() == 1);

  const Labels inbound = {{"gateway", "C2"}, {"direction", "inbound"}, {"cid", "12"}};
  CHECK(out.value("nats_gateway_rtt_seconds", inbound).value() == doctest::Approx(0.000201));
  CHECK(out.value("nats_gateway_subscriptions", inbound).value() == 0);
  CHECK(out.value("nats_gateway_messages_received_total", inbound).value() == 17);
  CHECK(out.value("nats_gateway_bytes_received_total", inbound).value() == 9253);
  CHECK(out.value("nats_gateway_bytes_sent_total", inbound).value() == 0);
  // The server never fills "configured" for inbound connections (always false): not reported.
  CHECK_FALSE(out.value("nats_gateway_configured", inbound));
  CHECK(out.count("nats_gateway_configured") == 1);

  for (const char* suffix : kSuffixes) CHECK_MESSAGE(out.count(std::string("nats_gateway") + suffix) == 2, suffix);
  CHECK(label_sets(out, "nats_gateway_bytes_sent_total") ==
        std::set<std::string>{"cid=12,direction=inbound,gateway=C2", "cid=16,direction=outbound,gateway=C2"});
  CHECK(out.take().size() == 10);
}

TEST_CASE("c2_gatewayz_accs.json: three inbound connections from C1, account lists ignored") {
  MetricSet out;
  translate_gatewayz(load_fixture("other-nodes/c2_gatewayz_accs.json"), out);
  CHECK(out.value("nats_gatewayz_outbound_gateways").value() == 1);
  CHECK(out.value("nats_gatewayz_inbound_gateways").value() == 1);  // one remote cluster
  CHECK(out.count("nats_gateway_rtt_seconds") == 4);
  CHECK(label_sets(out, "nats_gateway_rtt_seconds") ==
        std::set<std::string>{"cid=6,direction=outbound,gateway=C1", "cid=7,direction=inbound,gateway=C1",
                              "cid=8,direction=inbound,gateway=C1", "cid=9,direction=inbound,gateway=C1"});
  CHECK(out.value("nats_gateway_rtt_seconds", {{"cid", "7"}}).value() == doctest::Approx(0.000125));
  CHECK(out.value("nats_gateway_bytes_received_total", {{"cid", "9"}}).value() == 37862);
  CHECK(out.value("nats_gateway_bytes_sent_total", {{"cid", "6"}}).value() == 9253);
  CHECK(out.value("nats_gateway_configured", {{"gateway", "C1"}, {"direction", "outbound"}}).value() == 1);
}

TEST_CASE("gatewayz: a server without gateways reports zero") {
  for (const json& doc :
       {json::parse(
            R"({"server_id": "N", "now": "2026-11-25T12:53:59Z", "outbound_gateways": {}, "inbound_gateways": {}})"),
        json::object()}) {
    MetricSet out;
    CHECK_NOTHROW(translate_gatewayz(parsed(doc), out));
    CHECK(out.value("nats_gatewayz_outbound_gateways").value() == 0);
    CHECK(out.value("nats_gatewayz_inbound_gateways").value() == 0);
    CHECK(out.count("nats_gateway_rtt_seconds") == 0);
    CHECK(out.take().size() == 2);
  }
}

TEST_CASE("gatewayz: odd documents") {
  MetricSet out;
  CHECK_THROWS_AS(translate_gatewayz(parsed(json::array()), out), FetchError);

  const auto doc = parse_text(R"({
    "outbound_gateways": {
      "A": {"configured": false, "connection": {"cid": 1, "rtt": "0s", "pending_bytes": 7}},
      "B": {"configured": true},
      "C": "down",
      "D": {"configured": "yes", "connection": {"cid": 4}}
    },
    "inbound_gateways": {
      "A": [{"connection": {"cid": 2}}, {"connection": {}}, {"connection": {}}, "junk"],
      "E": {"connection": {"cid": 5, "rtt": "1ms"}},
      "F": []
    }})");
  MetricSet odd;
  CHECK_NOTHROW(translate_gatewayz(doc, odd));
  CHECK(odd.value("nats_gatewayz_outbound_gateways").value() == 2);  // A and D have a connection
  CHECK(odd.value("nats_gatewayz_inbound_gateways").value() == 2);   // A and E
  CHECK(odd.value("nats_gateway_rtt_seconds", {{"gateway", "A"}, {"direction", "outbound"}}).value() == 0);
  CHECK(odd.value("nats_gateway_pending_bytes", {{"gateway", "A"}, {"cid", "1"}}).value() == 7);
  CHECK(odd.value("nats_gateway_configured", {{"gateway", "A"}}).value() == 0);
  CHECK_FALSE(odd.value("nats_gateway_configured", {{"gateway", "D"}}));
  CHECK(odd.value("nats_gateway_rtt_seconds", {{"gateway", "E"}, {"cid", "5"}}).value() == doctest::Approx(0.001));
  CHECK(odd.count("nats_gateway_rtt_seconds") == 2);  // empty connections give no series at all
  // Two inbound connections without a cid stay distinct series.
  MetricSet nocid;
  translate_gatewayz(parsed(json::parse(R"({"inbound_gateways": {"A": [{"connection": {"in_msgs": 1}},
                                                                {"connection": {"in_msgs": 2}}]}})")),
                     nocid);
  CHECK(label_sets(nocid, "nats_gateway_messages_received_total") ==
        std::set<std::string>{"cid=,direction=inbound,gateway=A", "cid=#2,direction=inbound,gateway=A"});
}

// ---------------------------------------------------------------- leafz

TEST_CASE("leafz_subs.json: the hub n1 sees leaf1") {
  MetricSet out;
  translate_leafz(load_fixture("leafz_subs.json"), out);
  CHECK(out.value("nats_leafz_leafnodes").value() == 1);
  const Labels leaf = {{"remote", "127.0.0.1:58764"}, {"account", "APP"}, {"address", "127.0.0.1:58764"}};
  CHECK(out.value("nats_leafnode_rtt_seconds", leaf).value() == doctest::Approx(0.000164));
  CHECK(out.value("nats_leafnode_subscriptions", leaf).value() == 6);
  CHECK(out.value("nats_leafnode_messages_received_total", leaf).value() == 0);
  CHECK(out.value("nats_leafnode_messages_sent_total", leaf).value() == 864);
  CHECK(out.value("nats_leafnode_bytes_received_total", leaf).value() == 0);
  CHECK(out.value("nats_leafnode_bytes_sent_total", leaf).value() == 4210);
  CHECK(out.count("nats_leafnode_pending_bytes") == 0);  // 2.9 leafz has no pending field
  CHECK(label_sets(out, "nats_leafnode_rtt_seconds") ==
        std::set<std::string>{"account=APP,address=127.0.0.1:58764,remote=127.0.0.1:58764"});
  CHECK(out.take().size() == 7);  // the count and six series
}

TEST_CASE("leaf1_leafz_subs.json: leaf1 sees its hub") {
  MetricSet out;
  translate_leafz(load_fixture("other-nodes/leaf1_leafz_subs.json"), out);
  CHECK(out.value("nats_leafz_leafnodes").value() == 1);
  const Labels hub = {{"remote", "127.0.0.1:17422"}, {"account", "$G"}, {"address", "127.0.0.1:17422"}};
  CHECK(out.value("nats_leafnode_rtt_seconds", hub).value() == doctest::Approx(0.000244));
  CHECK(out.value("nats_leafnode_subscriptions", hub).value() == 20);
  CHECK(out.value("nats_leafnode_messages_received_total", hub).value() == 869);
  CHECK(out.value("nats_leafnode_messages_sent_total", hub).value() == 0);
  CHECK(out.value("nats_leafnode_bytes_received_total", hub).value() == 4235);
  CHECK(out.value("nats_leafnode_bytes_sent_total", hub).value() == 0);
  CHECK(out.count("nats_leafnode_bytes_sent_total") == 1);
}

TEST_CASE("leafz 2.10+: name, several connections from one server, pending when present") {
  const auto doc = parse_text(R"({
    "leafnodes": 4,
    "leafs": [
      {"id": 7, "name": "edge1", "is_spoke": false, "account": "APP", "ip": "10.0.0.5", "port": 51000,
       "rtt": "0s", "in_msgs": 1, "out_msgs": 2, "in_bytes": 3, "out_bytes": 4, "subscriptions": 5,
       "pending_bytes": 6, "compression": "s2_auto"},
      {"id": 8, "name": "edge1", "account": "OPS", "ip": "10.0.0.5", "port": 51001, "rtt": "1ms"},
      {"id": 9, "name": "edge1", "account": "APP", "ip": "10.0.0.5", "port": 51002, "rtt": "2ms"},
      {"account": "APP", "ip": "fd00::1", "port": 7422, "rtt": "3ms"},
      17
    ]})");
  MetricSet out;
  CHECK_NOTHROW(translate_leafz(doc, out));
  CHECK(out.value("nats_leafz_leafnodes").value() == 4);
  CHECK(out.count("nats_leafnode_rtt_seconds") == 4);
  CHECK(out.value("nats_leafnode_rtt_seconds", {{"remote", "edge1"}, {"account", "APP"}, {"address", "10.0.0.5:51000"}})
            .value() == 0);
  CHECK(out.value("nats_leafnode_pending_bytes", {{"remote", "edge1"}, {"address", "10.0.0.5:51000"}}).value() == 6);
  CHECK(out.count("nats_leafnode_pending_bytes") == 1);
  CHECK(out.value("nats_leafnode_rtt_seconds", {{"remote", "edge1"}, {"account", "APP"}, {"address", "10.0.0.5:51002"}})
            .value() == doctest::Approx(0.002));
  CHECK(out.value("nats_leafnode_rtt_seconds", {{"remote", "[fd00::1]:7422"}, {"address", "[fd00::1]:7422"}}).value() ==
        doctest::Approx(0.003));
}

TEST_CASE("leafz: odd documents") {
  MetricSet out;
  CHECK_THROWS_AS(translate_leafz(parsed(json("leafz")), out), FetchError);
  MetricSet none;
  translate_leafz(parsed(json::parse(R"({"leafnodes": 0, "leafs": []})")), none);
  CHECK(none.value("nats_leafz_leafnodes").value() == 0);
  CHECK(none.take().size() == 1);
  MetricSet nolist;
  translate_leafz(parsed(json::parse(R"({"leafs": null})")), nolist);
  CHECK_FALSE(nolist.value("nats_leafz_leafnodes"));
}

TEST_CASE("gatewayz and leafz collectors: GET their endpoint") {
  FakeSource source;
  source.serve("/gatewayz", load_fixture("gatewayz.json")).serve("/leafz", load_fixture("leafz_subs.json"));
  MetricSet out;
  make_gatewayz_collector()->collect(source, CollectorOptions{}, out);
  make_leafz_collector()->collect(source, CollectorOptions{}, out);
  CHECK(source.requests("/gatewayz") == 1);
  CHECK(source.requests("/leafz") == 1);
  CHECK(out.value("nats_gatewayz_outbound_gateways").value() == 1);
  CHECK(out.value("nats_leafz_leafnodes").value() == 1);
}
