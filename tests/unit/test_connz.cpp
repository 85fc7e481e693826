// connz: the metrics of a full list on real 2.9.10 captures, and the collector's per-scrape reading
// (sort=pending pages, sort=rtt or the full read) against a fake server that sorts and pages like
// nats-server, in its 2.9 shape and its 2.11 shape. The collector must give what a full read gives.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "collectors/connz.h"
#include "collectors/connz_full_read.h"
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

// Every sample as "family{labels}" -> value, to compare two readings whole.
std::map<std::string, double> samples(MetricSet out) {
  std::map<std::string, double> all;
  for (const auto& f : out.take())
    for (const auto& m : f.metric) {
      std::string key = f.name + "{";
      for (const auto& l : m.label) key += l.name + "=" + l.value + ",";
      all[key + "}"] = f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  return all;
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

std::string pending_path(std::size_t offset, std::size_t limit = 256) {
  return "/connz?auth=true&sort=pending&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
}
std::string rtt_path(std::size_t offset, std::size_t limit = 11) {
  return "/connz?auth=true&sort=rtt&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
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

// A Go duration as nats-server writes an RTT.
std::string go_duration(double microseconds) {
  if (microseconds == 0) return "0s";
  char buf[32];
  if (microseconds < 1000) std::snprintf(buf, sizeof buf, "%g\xC2\xB5s", microseconds);
  else std::snprintf(buf, sizeof buf, "%gms", microseconds / 1000);
  return buf;
}

// One connection the fake server holds.
struct FakeConn {
  std::uint64_t cid;
  double pending = 0;
  double rtt_us = 0;
};

// A fake nats-server monitoring port: /connz sorted (highest first, ties in an arbitrary but fixed
// order, as Go's unstable sort leaves them), paged by limit and offset, with subs=detail full
// reads, closed connections and /varz. `shape_211` lists connections as nats-server 2.11 does;
// without `rtt_sort` it answers sort=rtt as 2.9 does (HTTP 400).
class FakeServer : public MonitorSource {
 public:
  std::vector<FakeConn> conns;
  bool rtt_sort = true;
  bool shape_211 = false;
  std::map<std::string, int> requests;

  json connection(const FakeConn& c) const {
    json j = client(c.cid, {{"pending_bytes", c.pending}, {"rtt", go_duration(c.rtt_us)}, {"in_msgs", c.cid}});
    if (shape_211) {
      // 2.10+/2.11 ConnInfo: kind and type, TLS-first flag, account name tag, tags; no "account"
      // for the global account.
      j["type"] = "nats";
      j["start"] = "2026-11-25T12:00:00.5Z";
      j["last_activity"] = "2026-11-25T12:53:58.1Z";
      j["uptime"] = "53m59s";
      j["idle"] = "1s";
      j["name_tag"] = "";
      j["tags"] = json::array({"team:app"});
      if (c.cid % 2) j.erase("account");
    }
    return j;
  }

  std::shared_ptr<const JsonDocument> get_json(const std::string& path, bool = false) override {
    ++requests[path];
    const auto param = [&](const std::string& name) -> std::string {
      const auto at = path.find(name + "=");
      if (at == std::string::npos) return "";
      const auto from = at + name.size() + 1;
      return path.substr(from, path.find('&', from) - from);
    };
    if (path == "/varz")
      return parsed({{"server_id", "NTEST"}, {"now", "2026-11-25T12:53:59Z"}, {"connections", conns.size()}}).document;
    if (path.rfind("/connz", 0) != 0) throw FetchError(path + ": HTTP 404", 404);
    if (param("state") == "closed")
      return parsed({{"server_id", "NTEST"},
                     {"now", "2026-11-25T12:53:59Z"},
                     {"total", 0},
                     {"connections", json::array()}})
          .document;
    const std::string sort = param("sort");
    if (sort == "rtt" && !rtt_sort) throw FetchError(path + ": HTTP 400", 400);
    std::vector<FakeConn> order = conns;
    const auto scrambled = [](std::uint64_t cid) { return (cid * 2654435761u) % 4294967296u; };
    std::sort(order.begin(), order.end(), [&](const FakeConn& a, const FakeConn& b) {
      const double ka = sort == "pending" ? a.pending : sort == "rtt" ? a.rtt_us : 0;
      const double kb = sort == "pending" ? b.pending : sort == "rtt" ? b.rtt_us : 0;
      if (ka != kb) return ka > kb;
      return sort.empty() ? a.cid < b.cid : scrambled(a.cid) < scrambled(b.cid);
    });
    const std::size_t limit = param("limit").empty() ? 1024 : std::stoul(param("limit"));
    const std::size_t offset = param("offset").empty() ? 0 : std::stoul(param("offset"));
    json list = json::array();
    for (std::size_t i = offset; i < order.size() && i < offset + limit; ++i) {
      json c = connection(order[i]);
      if (param("subs") == "detail")
        c["subscriptions_list_detail"] =
            json::array({{{"subject", "s." + std::to_string(order[i].cid)}, {"sid", "1"}}});
      list.push_back(std::move(c));
    }
    return parsed({{"server_id", "NTEST"},
                   {"now", "2026-11-25T12:53:59Z"},
                   {"num_connections", list.size()},
                   {"total", conns.size()},
                   {"offset", offset},
                   {"limit", limit},
                   {"connections", std::move(list)}})
        .document;
  }

  // What a full read of every connection gives, through the pure translation.
  std::map<std::string, double> full_read_metrics(std::size_t top_n) const {
    std::vector<json> all;
    for (const auto& c : conns) all.push_back(connection(c));
    MetricSet out;
    translate_list(all, top_n, out);
    return samples(std::move(out));
  }

  int count(const std::string& prefix) const {
    int n = 0;
    for (const auto& [path, times] : requests)
      if (path.rfind(prefix, 0) == 0) n += times;
    return n;
  }
};

std::map<std::string, double> collect(MonitorSource& source, CollectorOptions options = {}) {
  MetricSet out;
  ConnzCollector().collect(source, options, out);
  return samples(std::move(out));
}

}  // namespace

TEST_CASE("connz.json: aggregates and per-connection series of the 7 open connections") {
  MetricSet out;
  translate_list(connections_of(load_fixture_json("connz.json")), 10, out);

  CHECK(out.value("nats_connz_connections").value() == 7);
  CHECK(out.value("nats_connz_pending_bytes").value() == 0);
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == doctest::Approx(415e-6));
  // The sums over open connections are gone (they fell when a connection closed).
  for (const char* gone : {"nats_connz_subscriptions", "nats_connz_messages_received", "nats_connz_messages_sent",
                           "nats_connz_bytes_received", "nats_connz_bytes_sent"})
    CHECK_MESSAGE(out.find(gone) == nullptr, gone);
  CHECK(out.find("nats_connz_connection_messages_received_total")->raw().type == prometheus::MetricType::Counter);

  // No connection has pending bytes; all 7 have a measured RTT: the top 10 by RTT is every one.
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
  // Every pending_bytes is 0 (no pending ranking), and cids 37 and 39 share the highest RTT (415µs).
  MetricSet one;
  translate_list(conns, 1, one);
  CHECK(cids_of(one, "nats_connz_connection_rtt_seconds") == std::set<std::string>{"37"});

  MetricSet two;
  translate_list(conns, 2, two);
  CHECK(cids_of(two, "nats_connz_connection_rtt_seconds") == std::set<std::string>{"37", "39"});
  CHECK(two.count("nats_connz_connection_bytes_sent_total") == 2);

  MetricSet none;
  translate_list(conns, 0, none);
  CHECK(none.count("nats_connz_connection_rtt_seconds") == 0);
  CHECK(none.count("nats_connz_connection_pending_bytes") == 0);
  CHECK(none.value("nats_connz_connections").value() == 7);
  CHECK(none.take().size() == 3);  // only the aggregates
}

TEST_CASE("connz_all_subs_detail.json (state=all): closed connections are not counted") {
  const json doc = load_fixture_json("connz_all_subs_detail.json");
  REQUIRE(doc.at("total") == 13);  // 7 open + 6 closed
  MetricSet out;
  translate_list(connections_of(doc), 10, out);

  CHECK(out.value("nats_connz_connections").value() == 7);
  // The closed slow-subscriber (cid 43) still shows 544942 pending bytes: not counted.
  CHECK(out.value("nats_connz_pending_bytes").value() == 0);
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
  CHECK(out.value("nats_connz_connection_bytes_sent_total", {{"cid", "5"}}).value() == 4235);
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
    if (cid == 1) c["rtt"] = "0s";                // not measured yet
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
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == doctest::Approx(0.005));

  // The output does not depend on the order the server listed the connections in.
  std::vector<json> reversed(conns.rbegin(), conns.rend());
  MetricSet again;
  translate_list(reversed, 3, again);
  CHECK(cids_of(again, "nats_connz_connection_rtt_seconds") == expected);
}

TEST_CASE("connz: rtt \"0s\" is not ranked (not measured yet) but shown as 0 on a connection with pending bytes") {
  MetricSet out;
  translate_list({client(7, {{"rtt", "0s"}, {"pending_bytes", 5}}), client(8, {{"rtt", "0s"}})}, 10, out);
  CHECK(cids_of(out, "nats_connz_connection_rtt_seconds") == std::set<std::string>{"7"});
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "7"}}).value() == 0);
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == 0);
}

TEST_CASE("connz: no connections give true zeros") {
  MetricSet out;
  translate_list(std::vector<json>{}, 10, out);
  CHECK(out.value("nats_connz_connections").value() == 0);
  CHECK(out.value("nats_connz_pending_bytes").value() == 0);
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
  CHECK(out.value("nats_connz_max_rtt_seconds").value() == doctest::Approx(0.001));

  // Ranked by pending: 2 (5; cid 3's -1 is no pending); by RTT: 2. The cid-less ones cannot be labelled.
  CHECK(cids_of(out, "nats_connz_connection_pending_bytes") == std::set<std::string>{"2"});
  CHECK(out.value("nats_connz_connection_rtt_seconds", {{"cid", "2"}, {"name", ""}}).value() == doctest::Approx(0.001));
  CHECK_FALSE(out.value("nats_connz_connection_subscriptions", {{"cid", "2"}}));
  CHECK(out.value("nats_connz_connection_messages_sent_total", {{"cid", "2"}}).value() == 2);
}

TEST_CASE("connz collector: 2500 connections, none pending, cost two small requests and equal a full read") {
  FakeServer server;
  for (std::uint64_t cid = 1; cid <= 2500; ++cid)
    server.conns.push_back({cid, 0, 50.0 + static_cast<double>(cid % 997)});
  const auto got = collect(server);
  CHECK(got == server.full_read_metrics(10));
  CHECK(got.at("nats_connz_connections{}") == 2500);
  CHECK(got.at("nats_connz_pending_bytes{}") == 0);
  CHECK(server.requests == std::map<std::string, int>{{pending_path(0), 1}, {rtt_path(0), 1}});
}

TEST_CASE("connz collector: the pending total is exact across pages, which stop at the first connection without") {
  FakeServer server;
  double want = 0;
  for (std::uint64_t cid = 1; cid <= 2500; ++cid) {
    const double pending = cid % 4 == 0 && cid <= 2400 ? static_cast<double>(cid * 7 % 5000 + 1) : 0;  // 600 have some
    want += pending;
    server.conns.push_back({cid, pending, 100.0 + static_cast<double>(cid % 13)});  // many RTT ties
  }
  const auto got = collect(server);
  CHECK(got == server.full_read_metrics(10));
  CHECK(got.at("nats_connz_pending_bytes{}") == want);
  // 600 with pending bytes in pages of 256: the third page ends among the connections without.
  CHECK(server.count("/connz?auth=true&sort=pending") == 3);
  CHECK(server.requests.count(pending_path(512)) == 1);
  // RTT ties at the boundary (100+12 µs is shared by ~190 connections) are read until they end.
  CHECK(server.count("/connz?auth=true&sort=rtt") > 1);

  SUBCASE("every connection pending: the pages go to the end") {
    for (auto& c : server.conns) c.pending = 10;
    server.requests.clear();
    const auto all = collect(server);
    CHECK(all.at("nats_connz_pending_bytes{}") == 25000);
    CHECK(server.count("/connz?auth=true&sort=pending") == 10);  // 2500 / 256, the last one short
    CHECK(all == server.full_read_metrics(10));
  }
  SUBCASE("a larger top N than the page: pages of top N") {
    CollectorOptions options;
    options.connz_top_n = 300;
    server.requests.clear();
    CHECK(collect(server, options) == server.full_read_metrics(300));
    CHECK(server.requests.count(pending_path(0, 300)) == 1);
  }
}

TEST_CASE("connz collector: before 2.10 (sort=rtt refused) the top N by RTT comes from the full read, kept") {
  FakeServer server;
  server.rtt_sort = false;
  for (std::uint64_t cid = 1; cid <= 1500; ++cid)
    server.conns.push_back(
        {cid, cid % 100 == 0 ? 1000.0 + static_cast<double>(cid) : 0.0, static_cast<double>((cid * 37) % 2000)});
  auto cache = std::make_shared<FullConnzCache>(std::chrono::hours(1));
  CollectorOptions options;
  options.full_connz = cache;

  CHECK(collect(server, options) == server.full_read_metrics(10));
  CHECK(server.count("/connz?auth=true&sort=rtt") == 1);                                  // refused once
  CHECK(server.requests.count("/connz?auth=true&subs=detail&limit=1650&offset=0") == 1);  // 1500 + 150
  CHECK(cache->rtt_sort_refused());
  CHECK(cache->reads() == 1);

  // The next scrapes neither ask sort=rtt again nor read everything again.
  server.requests.clear();
  CHECK(collect(server, options) == server.full_read_metrics(10));
  CHECK(server.requests == std::map<std::string, int>{{pending_path(0), 1}});
  CHECK(cache->reads() == 1);

  // Without a cache (a CLI read, a test), every collection reads it afresh.
  server.requests.clear();
  CHECK(collect(server) == server.full_read_metrics(10));
  CHECK(server.count("/connz?auth=true&subs=detail") == 1);
}

TEST_CASE("connz collector: connections listed in the nats-server 2.11 shape, sort=rtt served") {
  FakeServer server;
  server.shape_211 = true;
  for (std::uint64_t cid = 1; cid <= 300; ++cid)
    server.conns.push_back(
        {cid, cid > 290 ? 64.0 * static_cast<double>(cid) : 0.0, static_cast<double>(cid % 50) * 20});
  const auto got = collect(server);
  CHECK(got == server.full_read_metrics(10));
  CHECK(server.count("/connz?auth=true&subs=detail") == 0);  // no full read needed
  CHECK(got.at("nats_connz_max_rtt_seconds{}") == doctest::Approx(980e-6));
  CHECK(got.at("nats_connz_pending_bytes{}") == 64.0 * (291 + 292 + 293 + 294 + 295 + 296 + 297 + 298 + 299 + 300));
  // A global-account connection (odd cid) has no "account" in 2.11: the label is empty.
  CHECK(got.count(
            "nats_connz_connection_pending_bytes{cid=291,name=c291,ip=10.0.0.1,account=,lang=go,version=1.31.0,}") ==
        1);
}

TEST_CASE("connz collector: connections shifting between pages are counted once") {
  // Pending bytes moved between requests, so page 2 repeats cids 253..256 (with newer values).
  FakeSource source;
  source.serve(pending_path(0), page(600, 0, 1, 256, {{"pending_bytes", 10}}))
      .serve(pending_path(256), page(600, 256, 253, 508, {{"pending_bytes", 5}}))
      .serve(pending_path(512), page(600, 512, 509, 600, {{"pending_bytes", 1}}))
      .serve(rtt_path(0), page(600, 0, 1, 3));
  MetricSet out;
  ConnzCollector().collect(source, CollectorOptions{}, out);
  CHECK(out.value("nats_connz_connections").value() == 600);
  CHECK(out.value("nats_connz_pending_bytes").value() == 252 * 10 + 256 * 5 + 92 * 1);
}

TEST_CASE("connz collector: loop guards") {
  SUBCASE("a server that ignores the offset serves the same page: stop when nothing is new") {
    FakeSource source;
    source.serve("/connz", page(5000, 0, 1, 256, {{"pending_bytes", 3}}));  // answers every query
    MetricSet out;
    ConnzCollector().collect(source, CollectorOptions{}, out);
    CHECK(out.value("nats_connz_connections").value() == 5000);
    CHECK(out.value("nats_connz_pending_bytes").value() == 256 * 3);
    CHECK(source.requests(pending_path(0)) == 1);
    CHECK(source.requests(pending_path(256)) == 1);
  }
  SUBCASE("total/page + 2 pages at most, even when every page looks new") {
    std::uint64_t next = 1;
    FunctionSource source([&](const std::string& path) {
      if (path.find("sort=rtt") != std::string::npos) return page(0, 0, 1, 0);
      const double total = next == 1 ? 30 : 1e12;  // later pages claim ever more
      json p = page(total, 0, next, next + 9, {{"pending_bytes", 1}});
      next += 10;
      return p;
    });
    CollectorOptions options;
    options.connz_page_size = 10;
    MetricSet out;
    ConnzCollector().collect(source, options, out);
    CHECK(source.requests == 5 + 1);  // 30 / 10 + 2, and the RTT page
    CHECK(out.value("nats_connz_pending_bytes").value() == 50);
  }
  SUBCASE("no total: the count is /varz's") {
    json first = page(0, 0, 1, 3);
    first.erase("total");
    FakeSource source;
    source.serve("/connz", first);
    SUBCASE("with /varz") {
      source.serve("/varz", json{{"server_id", "N"}, {"now", "2026-11-25T12:53:59Z"}, {"connections", 1234}});
      MetricSet out;
      ConnzCollector().collect(source, CollectorOptions{}, out);
      CHECK(out.value("nats_connz_connections").value() == 1234);
    }
    SUBCASE("without: no count, the rest is reported") {
      MetricSet out;
      ConnzCollector().collect(source, CollectorOptions{}, out);
      CHECK_FALSE(out.value("nats_connz_connections"));
      CHECK(out.value("nats_connz_pending_bytes").value() == 0);
    }
  }
}

TEST_CASE("connz collector: garbage pages") {
  SUBCASE("a later page that is a JSON array ends the paging; earlier pages still count") {
    FakeSource source;
    source.serve(pending_path(0), page(2500, 0, 1, 256, {{"pending_bytes", 2}}))
        .serve(pending_path(256), json::array({1, 2, 3}))
        .serve(rtt_path(0), page(2500, 0, 1, 3));
    MetricSet out;
    CHECK_NOTHROW(ConnzCollector().collect(source, CollectorOptions{}, out));
    CHECK(out.value("nats_connz_connections").value() == 2500);
    CHECK(out.value("nats_connz_pending_bytes").value() == 512);
  }
  SUBCASE("odd connections inside a page are skipped") {
    json p = page(4, 0, 1, 2, {{"pending_bytes", 1}});
    p["connections"].push_back("a string");
    p["connections"].push_back(client(3, {{"rtt", "fast"}, {"pending_bytes", 1}}));
    FakeSource source;
    source.serve("/connz", p);
    MetricSet out;
    CHECK_NOTHROW(ConnzCollector().collect(source, CollectorOptions{}, out));
    CHECK(out.value("nats_connz_connections").value() == 4);
    CHECK(out.value("nats_connz_pending_bytes").value() == 3);
    CHECK(out.count("nats_connz_connection_rtt_seconds") == 2);
    CHECK(out.count("nats_connz_connection_pending_bytes") == 3);
  }
  SUBCASE("a first page that is not a connz document fails the collector") {
    for (const json& bad : {json::array(), json("connz"), json::object(), json{{"connections", "none"}}}) {
      FakeSource source;
      source.serve("/connz", bad);
      MetricSet out;
      CHECK_THROWS_AS(ConnzCollector().collect(source, CollectorOptions{}, out), FetchError);
    }
  }
  SUBCASE("a sort=rtt answer that is not a connz document fails the collector (only HTTP 400 falls back)") {
    FakeSource source;
    source.serve(pending_path(0), page(3, 0, 1, 3)).serve(rtt_path(0), json{{"connections", "none"}});
    MetricSet out;
    CHECK_THROWS_AS(ConnzCollector().collect(source, CollectorOptions{}, out), FetchError);
  }
  SUBCASE("a fetch error is the collector's failure") {
    FakeSource source;  // serves nothing
    MetricSet out;
    CHECK_THROWS_AS(ConnzCollector().collect(source, CollectorOptions{}, out), FetchError);
  }
}
