// connz: aggregates, top-N per-connection series and paging, on real 2.9.10 captures and on
// synthetic pages served by FakeSource.
#include <doctest/doctest.h>

#include <functional>
#include <set>
#include <string>

#include "collectors/connz.h"
#include "fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture;

namespace {

std::vector<json> connections_of(const json& page) { return page.at("connections").get<std::vector<json>>(); }

// translate_connz over connections written as nlohmann values, parsed as one document.
void translate_list(const std::vector<json>& conns, std::size_t top_n, MetricSet& out) {
  const auto document = parsed(json(conns));
  const JsonValue list = document.root();
  translate_connz(std::vector<JsonValue>(list.begin(), list.end()), top_n, out);
}

// The cid label of every sample of `family`.
std::set<std::string> cids_of(const MetricSet& out, const std::string& family) {
  std::set<std::string> cids;
  const Family* f = out.find(family);
  if (!f) return cids;
  for (const auto& m : f->raw().metric)
    for (const auto& l : m.label)
      if (l.name == "cid") cids.insert(l.value);
  return cids;
}

json client(std::uint64_t cid, json fields = json::object()) {
  json c = {{"cid", cid},          {"kind", "Client"},      {"ip", "10.0.0.1"},
            {"port", 40000 + cid}, {"rtt", "100\xC2\xB5s"}, {"pending_bytes", 0},
            {"in_msgs", 1},        {"out_msgs", 2},         {"in_bytes", 10},
            {"out_bytes", 20},     {"subscriptions", 1},    {"name", "c" + std::to_string(cid)},
            {"lang", "go"},        {"version", "1.31.0"},   {"account", "APP"}};
  c.update(fields);
  return c;
}

json page(double total, std::size_t offset, std::uint64_t first_cid, std::uint64_t last_cid,
          json fields = json::object()) {
  json conns = json::array();
  for (std::uint64_t cid = first_cid; cid <= last_cid; ++cid) conns.push_back(client(cid, fields));
  const std::size_t n = conns.size();
  return {
      {"server_id", "NTEST"}, {"now", "2026-11-25T12:53:59Z"},  {"total", total}, {"offset", offset}, {"limit", 1024},
      {"num_connections", n}, {"connections", std::move(conns)}};
}

std::string page_path(std::size_t offset, std::size_t limit = 1024) {
  return "/connz?auth=true&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
}

// A MonitorSource that builds each answer with a function (for pages no fixed map can serve).
class FunctionSource : public MonitorSource {
 public:
  explicit FunctionSource(std::function<json(const std::string&)> f) : f_(std::move(f)) {}
  std::shared_ptr<const JsonDocument> get_json(const std::string& path_and_query, bool = false) override {
    ++requests;
    return parsed(f_(path_and_query)).document;
  }
  int requests = 0;

 private:
  std::function<json(const std::string&)> f_;
};

}  // namespace

TEST_CASE("connz.json: aggregates and per-connection series of the 7 open connections") {
  MetricSet out;
  translate_list(connections_of(load_fixture_json("connz.json")), 10, out);

  CHECK(out.value("nats_connz_connections").value() == 7);
  CHECK(out.value("nats_connz_pending_bytes").value() == 0);
  CHECK(out.value("nats_connz_subscriptions").value() == 11);
  CHECK(out.value("nats_connz_messages_received").value() == 3886);
  CHECK(out.value("nats_connz_messages_sent").value() == 90147);
  CHECK(out.value("nats_connz_bytes_received").value() == 21214);
  CHECK(out.value("nats_connz_bytes_sent").value() == 87087293);
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == doctest::Approx(415e-6));

  // Sums of live connections drop when one closes: gauges, not counters.
  CHECK(out.find("nats_connz_messages_received")->raw().type == prometheus::MetricType::Gauge);
  CHECK(out.find("nats_connz_connection_messages_received_total")->raw().type == prometheus::MetricType::Counter);

  // 7 connections, top 10: every one gets its series.
  for (const char* f : {"nats_connz_connection_pending_bytes", "nats_connz_connection_rtt_seconds",
                        "nats_connz_connection_subscriptions", "nats_connz_connection_messages_received_total",
                        "nats_connz_connection_messages_sent_total", "nats_connz_connection_bytes_received_total",
                        "nats_connz_connection_bytes_sent_total"})
    CHECK_MESSAGE(out.count(f) == 7, f);
  CHECK(cids_of(out, "nats_connz_connection_rtt_seconds") ==
        std::set<std::string>{"37", "38", "39", "40", "41", "42", "45"});

  // monitor-n3 (cid 45) received the firehose; /connz without auth=true has no account.
  const Labels monitor = {{"cid", "45"},   {"name", "monitor-n3"}, {"ip", "127.0.0.1"},
                          {"account", ""}, {"lang", "nats.js"},    {"version", "2.29.3"}};
  CHECK(out.value("nats_connz_connection_bytes_sent_total", monitor).value() == 87071577);
  CHECK(out.value("nats_connz_connection_messages_sent_total", monitor).value() == 87466);
  CHECK(out.value("nats_connz_connection_messages_received_total", monitor).value() == 0);
  CHECK(out.value("nats_connz_connection_rtt_seconds", monitor).value() == doctest::Approx(391e-6));
  CHECK(out.value("nats_connz_connection_subscriptions", monitor).value() == 1);
  CHECK(out.value("nats_connz_connection_pending_bytes", monitor).value() == 0);
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "42"}, {"name", "pull-waiter"}}).value() ==
        doctest::Approx(172e-6));
  CHECK(out.value("nats_connz_connection_bytes_received_total", {{"cid", "41"}, {"name", "publisher"}}).value() ==
        15205);

  // Every sample carries exactly the six labels; identity labels come later, from the scrape.
  for (const auto& m : out.find("nats_connz_connection_rtt_seconds")->raw().metric) CHECK(m.label.size() == 6);
  for (const auto& m : out.find("nats_connz_connections")->raw().metric) CHECK(m.label.empty());
}

TEST_CASE("connz.json: top-N ties are broken by the lower cid") {
  const auto conns = connections_of(load_fixture_json("connz.json"));
  // Every pending_bytes is 0, and cids 37 and 39 share the highest RTT (415µs).
  MetricSet one;
  translate_list(conns, 1, one);
  CHECK(cids_of(one, "nats_connz_connection_rtt_seconds") == std::set<std::string>{"37"});

  MetricSet two;
  translate_list(conns, 2, two);  // pending: 37, 38; RTT: 37, 39
  CHECK(cids_of(two, "nats_connz_connection_rtt_seconds") == std::set<std::string>{"37", "38", "39"});
  CHECK(two.count("nats_connz_connection_bytes_sent_total") == 3);

  MetricSet none;
  translate_list(conns, 0, none);
  CHECK(none.count("nats_connz_connection_rtt_seconds") == 0);
  CHECK(none.count("nats_connz_connection_pending_bytes") == 0);
  CHECK(none.value("nats_connz_connections").value() == 7);
  CHECK(none.take().size() == 8);  // only the aggregates
}

TEST_CASE("connz_all_subs_detail.json (state=all): closed connections are not counted") {
  const json doc = load_fixture_json("connz_all_subs_detail.json");
  REQUIRE(doc.at("total") == 13);  // 7 open + 6 closed
  MetricSet out;
  translate_list(connections_of(doc), 10, out);

  CHECK(out.value("nats_connz_connections").value() == 7);
  // The closed slow-subscriber (cid 43) still shows 544942 pending bytes: not counted.
  CHECK(out.value("nats_connz_pending_bytes").value() == 0);
  CHECK(out.value("nats_connz_subscriptions").value() == 11);
  CHECK(out.value("nats_connz_messages_received").value() == 3896);
  CHECK(out.value("nats_connz_messages_sent").value() == 90162);
  CHECK(out.value("nats_connz_bytes_received").value() == 21268);
  CHECK(out.value("nats_connz_bytes_sent").value() == 87087374);
  // Closed ones had RTTs up to 3.01711ms; the open maximum is 415µs.
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == doctest::Approx(415e-6));

  CHECK(cids_of(out, "nats_connz_connection_pending_bytes") ==
        std::set<std::string>{"37", "38", "39", "40", "41", "42", "45"});
  // auth=true: accounts are known.
  CHECK(out.value("nats_connz_connection_subscriptions",
                  {{"cid", "40"}, {"name", "ops-client"}, {"account", "OPS"}, {"lang", "nats.js"}})
            .value() == 1);
  CHECK(out.value("nats_connz_connection_messages_received_total", {{"cid", "37"}, {"account", "APP"}}).value() == 64);
  CHECK(out.value("nats_connz_connection_bytes_sent_total", {{"cid", "45"}, {"account", "APP"}}).value() == 87071619);
}

TEST_CASE("connz: the single-document overload reads one page with the default top N") {
  MetricSet out;
  translate_connz(load_fixture("other-nodes/leaf1_connz.json"), out);
  CHECK(out.value("nats_connz_connections").value() == 1);
  CHECK(out.value("nats_connz_bytes_sent").value() == 4235);
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "5"}, {"name", "leaf-client"}}).value() ==
        doctest::Approx(319e-6));
  CHECK_THROWS_AS(translate_connz(parsed(json::array()), out), FetchError);
  CHECK_THROWS_AS(translate_connz(parsed(json{{"total", 3}}), out), FetchError);
}

TEST_CASE("connz: top 3 by pending and top 3 by RTT, overlapping, out of 50") {
  std::vector<json> conns;
  for (std::uint64_t cid = 1; cid <= 50; ++cid) {
    json c = client(cid, {{"pending_bytes", cid * 100}});
    if (cid == 48) c["rtt"] = "5ms";  // also in the top 3 by pending
    if (cid == 20) c["rtt"] = "3ms";
    if (cid == 10 || cid == 5) c["rtt"] = "2ms";  // a tie for third place: cid 5 wins
    if (cid == 1) c["rtt"] = "0s";                // not measured yet: a valid zero
    conns.push_back(c);
  }
  MetricSet out;
  translate_list(conns, 3, out);
  const std::set<std::string> expected{"5", "20", "48", "49", "50"};
  CHECK(cids_of(out, "nats_connz_connection_pending_bytes") == expected);
  CHECK(cids_of(out, "nats_connz_connection_rtt_seconds") == expected);
  CHECK(cids_of(out, "nats_connz_connection_bytes_sent_total") == expected);
  CHECK(out.count("nats_connz_connection_subscriptions") == 5);

  CHECK(out.value("nats_connz_connection_pending_bytes", {{"cid", "49"}}).value() == 4900);
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "48"}}).value() == doctest::Approx(0.005));
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "5"}}).value() == doctest::Approx(0.002));
  CHECK_FALSE(out.value("nats_connz_connection_rtt_seconds", {{"cid", "10"}}));
  CHECK(out.value("nats_connz_connection_messages_received_total", {{"cid", "20"},
                                                                    {"name", "c20"},
                                                                    {"ip", "10.0.0.1"},
                                                                    {"account", "APP"},
                                                                    {"lang", "go"},
                                                                    {"version", "1.31.0"}})
            .value() == 1);

  CHECK(out.value("nats_connz_connections").value() == 50);
  CHECK(out.value("nats_connz_pending_bytes").value() == 100.0 * (50 * 51 / 2));
  CHECK(out.value("nats_connz_subscriptions").value() == 50);
  CHECK(out.value("nats_connz_bytes_sent").value() == 1000);
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == doctest::Approx(0.005));

  // The output does not depend on the order the server listed the connections in.
  std::vector<json> reversed(conns.rbegin(), conns.rend());
  MetricSet again;
  translate_list(reversed, 3, again);
  CHECK(cids_of(again, "nats_connz_connection_rtt_seconds") == expected);
}

TEST_CASE("connz: rtt \"0s\" is a measured zero, not a missing value") {
  MetricSet out;
  translate_list({client(7, {{"rtt", "0s"}})}, 10, out);
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "7"}}).value() == 0);
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == 0);
}

TEST_CASE("connz: no connections give true zeros") {
  MetricSet out;
  translate_list(std::vector<json>{}, 10, out);
  CHECK(out.value("nats_connz_connections").value() == 0);
  CHECK(out.value("nats_connz_pending_bytes").value() == 0);
  CHECK(out.value("nats_connz_bytes_sent").value() == 0);
  CHECK_FALSE(out.value("nats_connz_max_rtt_seconds"));  // a maximum of nothing is absent
  CHECK(out.count("nats_connz_connection_rtt_seconds") == 0);
}

TEST_CASE("connz: garbage elements and values are skipped, the valid rest is counted") {
  std::vector<json> conns = {
      json("a connection"),
      json(42),
      json(),
      json::array({1, 2}),
      client(1, {{"rtt", "fast"}, {"pending_bytes", "lots"}, {"subscriptions", 2}}),
      client(2, {{"rtt", "1ms"}, {"pending_bytes", 5}, {"subscriptions", json::object()}, {"name", 17}}),
      client(3, {{"rtt", nullptr}, {"pending_bytes", -1}, {"in_msgs", "many"}}),
      client(0, {{"cid", "x9"}, {"pending_bytes", 1000000}}),  // no usable cid: aggregates only
      client(4, {{"cid", -4}}),                                // neither
  };
  MetricSet out;
  CHECK_NOTHROW(translate_list(conns, 10, out));
  CHECK(out.value("nats_connz_connections").value() == 5);
  CHECK(out.value("nats_connz_pending_bytes").value() == 5 - 1 + 1000000 + 0);
  CHECK(out.value("nats_connz_subscriptions").value() == 2 + 1 + 1 + 1);
  CHECK(out.value("nats_connz_messages_received").value() == 4);  // cid 3's "many" is skipped
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == doctest::Approx(0.001));

  // Ranked by pending: 2 (5), 3 (-1); by RTT: 2. Cid 1 has neither; the cid-less ones cannot be labelled.
  CHECK(cids_of(out, "nats_connz_connection_pending_bytes") == std::set<std::string>{"2", "3"});
  CHECK_FALSE(out.value("nats_connz_connection_rtt_seconds", {{"cid", "1"}}));
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "2"}, {"name", ""}}).value() == doctest::Approx(0.001));
  CHECK_FALSE(out.value("nats_connz_connection_subscriptions", {{"cid", "2"}}));
  CHECK(out.value("nats_connz_connection_subscriptions", {{"cid", "3"}}).value() == 1);
  CHECK_FALSE(out.value("nats_connz_connection_messages_received_total", {{"cid", "3"}}));
  CHECK(out.value("nats_connz_connection_messages_sent_total", {{"cid", "3"}}).value() == 2);
}

TEST_CASE("connz collector: pages through 2500 connections in 3 requests") {
  FakeSource source;
  source.serve(page_path(0), page(2500, 0, 1, 1024))
      .serve(page_path(1024), page(2500, 1024, 1025, 2048))
      .serve(page_path(2048), page(2500, 2048, 2049, 2500));
  MetricSet out;
  ConnzCollector().collect(source, CollectorOptions{}, out);

  CHECK(out.value("nats_connz_connections").value() == 2500);
  CHECK(out.value("nats_connz_subscriptions").value() == 2500);
  CHECK(out.value("nats_connz_bytes_sent").value() == 2500 * 20);
  CHECK(source.all_requests() ==
        std::map<std::string, int>{{page_path(0), 1}, {page_path(1024), 1}, {page_path(2048), 1}});
  CHECK(out.count("nats_connz_connection_pending_bytes") == 10);  // default top N, all ties
  CHECK(cids_of(out, "nats_connz_connection_pending_bytes").count("1") == 1);
}

TEST_CASE("connz collector: connections shifting between pages are counted once") {
  // The server's order shifted between requests, so page 2 repeats cids 1021..1024 (with newer
  // values); page 3 ends short of `total` and the empty page at offset 2500 ends the paging.
  FakeSource source;
  source.serve(page_path(0), page(2500, 0, 1, 1024))
      .serve(page_path(1024), page(2500, 1024, 1021, 2044, {{"in_msgs", 3}}))
      .serve(page_path(2048), page(2500, 2048, 2045, 2496))
      .serve(page_path(2500), page(2500, 2500, 1, 0));
  MetricSet out;
  ConnzCollector().collect(source, CollectorOptions{}, out);

  CHECK(out.value("nats_connz_connections").value() == 2496);
  CHECK(out.value("nats_connz_subscriptions").value() == 2496);
  // cids 1021..2044 carry in_msgs 3 (the later page wins for the 4 repeated ones).
  CHECK(out.value("nats_connz_messages_received").value() == (2496 - 1024) * 1 + 1024 * 3);
  CHECK(
      source.all_requests() ==
      std::map<std::string, int>{{page_path(0), 1}, {page_path(1024), 1}, {page_path(2048), 1}, {page_path(2500), 1}});
}

TEST_CASE("connz collector: the configured page size is used and a short server cap still pages") {
  // The operator asked for 5000 a page; the server caps at 1024.
  FakeSource source;
  source.serve(page_path(0, 5000), page(1500, 0, 1, 1024)).serve(page_path(1024, 5000), page(1500, 1024, 1025, 1500));
  CollectorOptions options;
  options.connz_page_size = 5000;
  options.connz_top_n = 2;
  MetricSet out;
  ConnzCollector().collect(source, options, out);
  CHECK(out.value("nats_connz_connections").value() == 1500);
  CHECK(source.all_requests().size() == 2);
  CHECK(out.count("nats_connz_connection_rtt_seconds") == 2);
}

TEST_CASE("connz collector: loop guards") {
  SUBCASE("a server that ignores the offset serves the same page: stop when nothing is new") {
    FakeSource source;
    source.serve("/connz", page(5000, 0, 1, 1024));  // answers every query
    MetricSet out;
    ConnzCollector().collect(source, CollectorOptions{}, out);
    CHECK(out.value("nats_connz_connections").value() == 1024);
    CHECK(source.all_requests().size() == 2);
  }
  SUBCASE("total/page + 2 pages at most, even when every page looks new") {
    std::uint64_t next = 1;
    FunctionSource source([&](const std::string&) {
      const double total = next == 1 ? 30 : 1e12;  // later pages claim ever more
      json p = page(total, 0, next, next + 9);
      next += 10;
      return p;
    });
    CollectorOptions options;
    options.connz_page_size = 10;
    MetricSet out;
    ConnzCollector().collect(source, options, out);
    CHECK(source.requests == 5);  // 30 / 10 + 2
    CHECK(out.value("nats_connz_connections").value() == 50);
  }
  SUBCASE("no total: page until an empty page") {
    json first = page(0, 0, 1, 3);
    first.erase("total");
    FakeSource source;
    source.serve(page_path(0), first).serve(page_path(3), json{{"connections", json::array()}});
    MetricSet out;
    ConnzCollector().collect(source, CollectorOptions{}, out);
    CHECK(out.value("nats_connz_connections").value() == 3);
    CHECK(source.all_requests().size() == 2);
  }
}

TEST_CASE("connz collector: garbage pages") {
  SUBCASE("a later page that is a JSON array ends the paging; earlier pages still count") {
    FakeSource source;
    source.serve(page_path(0), page(2500, 0, 1, 1024)).serve(page_path(1024), json::array({1, 2, 3}));
    MetricSet out;
    CHECK_NOTHROW(ConnzCollector().collect(source, CollectorOptions{}, out));
    CHECK(out.value("nats_connz_connections").value() == 1024);
    CHECK(source.all_requests().size() == 2);
  }
  SUBCASE("odd connections inside a page are skipped") {
    json p = page(4, 0, 1, 2);
    p["connections"].push_back("a string");
    p["connections"].push_back(client(3, {{"rtt", "fast"}}));
    FakeSource source;
    source.serve(page_path(0), p).serve(page_path(4), page(4, 4, 1, 0));
    MetricSet out;
    CHECK_NOTHROW(ConnzCollector().collect(source, CollectorOptions{}, out));
    CHECK(out.value("nats_connz_connections").value() == 3);
    CHECK(out.count("nats_connz_connection_rtt_seconds") == 2);
    CHECK(out.count("nats_connz_connection_pending_bytes") == 3);
  }
  SUBCASE("a first page that is not a connz document fails the collector") {
    for (const json& bad : {json::array(), json("connz"), json::object(), json{{"connections", "none"}}}) {
      FakeSource source;
      source.serve(page_path(0), bad);
      MetricSet out;
      CHECK_THROWS_AS(ConnzCollector().collect(source, CollectorOptions{}, out), FetchError);
    }
  }
  SUBCASE("a fetch error is the collector's failure") {
    FakeSource source;  // serves nothing
    MetricSet out;
    CHECK_THROWS_AS(ConnzCollector().collect(source, CollectorOptions{}, out), FetchError);
  }
}
