// The system-account source's pure parts on the captured replies of nats-server 2.9.10
// (fixtures/system-and-events/c_*.json): path → subject and body, envelope → document, config.
#include <doctest/doctest.h>

#include <yaml-cpp/yaml.h>

#include "collectors/accstatz.h"
#include "collectors/connz.h"
#include "collectors/system_account/request_mapping.h"
#include "collectors/system_account/source.h"
#include "collectors/varz.h"
#include "config/load.h"
#include "config/reader.h"
#include "config/system_account_config.h"
#include "fake_source.h"

using namespace natsexp;
using namespace natsexp::system_account;
using natsexp::testing::load_fixture_json;

namespace {

// The first reply's payload of a captured request, as the wire text the server sent.
std::string captured_reply(const std::string& name, std::size_t index = 0) {
  const json capture = load_fixture_json("system-and-events/" + name);
  return capture.at("replies").at(index).at("payload").dump();
}

const std::string kServerId = "ND2P6WQ3UIXCOHQ3HPUPPAR273P3QNKRJWTBM477XDQZOZHFFIMIYM6Q";

}  // namespace

TEST_CASE("paths map to the server's subject and an options body with the server's JSON names") {
  auto varz = map_monitor_path("/varz");
  CHECK(varz.endpoint == "VARZ");
  CHECK(varz.body.empty());
  CHECK(request_subject(varz, kServerId) == "$SYS.REQ.SERVER." + kServerId + ".VARZ");

  auto connz = map_monitor_path("/connz?auth=true&limit=1024&offset=2048");
  CHECK(connz.endpoint == "CONNZ");
  CHECK(connz.compress);
  CHECK(json::parse(connz.body) == json{{"auth", true}, {"limit", 1024}, {"offset", 2048}});

  // state is numeric in the body (a word is refused by the server: see the fixture below).
  auto closed = map_monitor_path("/connz?state=closed&sort=stop&auth=true&limit=1024");
  CHECK(json::parse(closed.body) == json{{"state", 1}, {"sort", "stop"}, {"auth", true}, {"limit", 1024}});
  CHECK(json::parse(map_monitor_path("/connz?state=all").body) == json{{"state", 2}});
  CHECK(json::parse(map_monitor_path("/connz?subs=detail").body) == json{{"subscriptions_detail", true}});
  CHECK(json::parse(map_monitor_path("/connz?subs=1").body) == json{{"subscriptions", true}});

  auto jsz = map_monitor_path("/jsz?accounts=true&streams=true&consumers=true&config=true");
  CHECK(jsz.endpoint == "JSZ");
  CHECK(json::parse(jsz.body) == json{{"accounts", true}, {"streams", true}, {"consumer", true}, {"config", true}});
  CHECK(json::parse(map_monitor_path("/jsz?leader-only=1").body) == json{{"leader_only", true}});

  CHECK(map_monitor_path("/routez").endpoint == "ROUTEZ");
  CHECK(map_monitor_path("/gatewayz").endpoint == "GATEWAYZ");
  CHECK(map_monitor_path("/leafz").endpoint == "LEAFZ");
  CHECK(map_monitor_path("/subsz").endpoint == "SUBSZ");
  CHECK(json::parse(map_monitor_path("/healthz?js-enabled-only=true").body) == json{{"js-enabled-only", true}});

  // accstatz has no per-server subject in 2.9: the account ping, filtered to the one server.
  auto accstatz = map_monitor_path("/accstatz?unused=1");
  CHECK(accstatz.account_ping);
  CHECK(request_subject(accstatz, kServerId) == "$SYS.REQ.ACCOUNT.PING.STATZ");
  CHECK(json::parse(request_body(accstatz, "n1")) == json{{"include_unused", true}, {"server_name", "n1"}});
  CHECK(json::parse(request_body(map_monitor_path("/accstatz"), "n\"2")) == json{{"server_name", "n\"2"}});

  // Strings are escaped; percent escapes are decoded.
  CHECK(json::parse(map_monitor_path("/connz?acc=A%20%22B").body) == json{{"acc", "A \"B"}});
}

TEST_CASE("paths and options without a NATS equivalent are refused, not guessed") {
  CHECK_THROWS_AS(map_monitor_path("/accountz"), FetchError);
  CHECK_THROWS_AS(map_monitor_path("/stacksz"), FetchError);
  CHECK_THROWS_AS(map_monitor_path("/connz?bogus=1"), FetchError);
  CHECK_THROWS_AS(map_monitor_path("/connz?limit=ten"), FetchError);
  CHECK_THROWS_AS(map_monitor_path("/connz?state=opened"), FetchError);
  CHECK_THROWS_AS(map_monitor_path("/connz?auth=maybe"), FetchError);
}

TEST_CASE("a reply's envelope unwraps to the endpoint's document, which the collectors read unchanged") {
  auto varz = unwrap_reply(captured_reply("c_sys_SERVER_PING_VARZ.json"));
  CHECK(varz.server.name == "lat-research-1");
  CHECK(varz.server.id == kServerId);
  CHECK(varz.server.version == "2.9.10");
  CHECK(varz.server.jetstream);
  CHECK(varz.data->root().find("server_name").as_string() == std::string_view("lat-research-1"));
  MetricSet out;
  translate_varz(varz.data->root(), out);
  CHECK(out.value("nats_server_max_payload_bytes") == 1048576);

  auto connz = unwrap_reply(captured_reply("c_sys_SERVER_PING_CONNZ.json"));
  CHECK(connz.data->root().find("num_connections").as_unsigned() == 4u);
  require_endpoint_document(connz.data->root(), "connz");

  // The tenant's own account statistics: the accstatz collector's document.
  auto statz = unwrap_reply(captured_reply("c_client_ACCOUNT_PING_STATZ.json"));
  require_endpoint_document(statz.data->root(), "accstatz");
  MetricSet acc;
  translate_accstatz(statz.data->root(), acc);
  CHECK(acc.value("nats_account_connections", {{"account", "CLIENT"}}) == 1);

  // STATSZ carries its document as "statsz", with the count of servers this one knows.
  auto statsz = unwrap_reply(captured_reply("c_sys_SERVER_PING_STATSZ.json"));
  CHECK(statsz.data->root().find("active_servers").as_unsigned() == 1u);
  CHECK(statsz.server.cluster.empty());
}

TEST_CASE("an error envelope is a FetchError with the server's description; garbage is not an envelope") {
  // What the server answered to a textual "state": the collector must see the reason.
  const std::string error_reply =
      R"({"server":{"name":"n1","id":"X"},"error":{"code":400,"description":"json: cannot unmarshal string into Go struct field ConnzEventOptions.state of type server.ConnState"}})";
  try {
    unwrap_reply(error_reply);
    FAIL("no exception");
  } catch (const FetchError& e) {
    CHECK(std::string(e.what()).find("400") != std::string::npos);
    CHECK(std::string(e.what()).find("ConnzEventOptions.state") != std::string::npos);
  }
  CHECK_THROWS_AS(unwrap_reply(R"({"server_id":"X","now":"t"})"), FetchError);  // an HTTP document, no envelope
  CHECK_THROWS_AS(unwrap_reply(R"({"server":{"name":"n1"}})"), FetchError);     // no data
  CHECK_THROWS_AS(unwrap_reply("not json"), FetchError);
}

TEST_CASE("large integers survive the unwrap exactly (reserved_memory is 2^64-1 in 2.9)") {
  auto jsz = unwrap_reply(captured_reply("c_sys_ACCOUNT_APP_JSZ.json"));
  CHECK(jsz.data->root().find("reserved_memory").as_unsigned() == 18446744073709551615ull);
}

namespace {
// The section read on its own, its problems returned.
SystemAccountConfig parse_system_account(const YAML::Node& node, const std::string& source,
                                         const std::map<std::string, std::string>& environment,
                                         std::vector<std::string>& problems) {
  Reader reader(source, &environment);
  auto c = read_system_account(reader, node);
  problems = reader.problems();
  return c;
}
}  // namespace

TEST_CASE("system_account config: the probes' connection keys, prefer, durations, problems with file:line") {
  std::vector<std::string> problems;
  const auto node = YAML::Load(
      "servers: [nats://a:4222, nats://b:4222]\n"
      "connection: {user: sys, password: s3cret}\n"
      "prefer: system_account\n"
      "discovery_gap: 100ms\n"
      "forget_after: 2m\n");
  auto c = parse_system_account(node, "x.yaml", {}, problems);
  CHECK(problems.empty());
  CHECK(c.enabled);
  CHECK(c.servers == std::vector<std::string>{"nats://a:4222", "nats://b:4222"});
  CHECK(c.connection.auth.user == "sys");
  CHECK(c.connection.auth.password == "s3cret");
  CHECK(c.connection.name == "nats-exporter-system-account");
  CHECK_FALSE(c.prefer_http);
  CHECK(c.discovery_gap == std::chrono::milliseconds(100));
  CHECK(c.forget_after == std::chrono::minutes(2));

  problems.clear();
  auto d = parse_system_account(YAML::Load("connection: {password_env: NO_SUCH_VAR_13}\n"), "x.yaml", {}, problems);
  CHECK(d.prefer_http);  // the default
  problems.clear();
  parse_system_account(YAML::Load("prefer: sidecar\nforget_after: 1ms\nserver: [x]\n"), "x.yaml", {}, problems);
  REQUIRE(problems.size() == 3);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  CHECK(all.find("x.yaml:1: system_account.prefer") != std::string::npos);
  CHECK(all.find("x.yaml:2: system_account.forget_after") != std::string::npos);
  CHECK(all.find("system_account.server: unknown key (did you mean \"servers\"?)") != std::string::npos);

  // A password never appears in a problem.
  problems.clear();
  parse_system_account(YAML::Load("connection: {password: hunter2, token: t0ken}\n"), "x.yaml", {}, problems);
  for (const auto& p : problems) {
    CHECK(p.find("hunter2") == std::string::npos);
    CHECK(p.find("t0ken") == std::string::npos);
  }
}

TEST_CASE("the shipped example loads and validates as a whole config") {
  Config c = load_config_file(std::string(NATSEXP_SOURCE_DIR) + "/config/examples/system-account.yaml");
  c = validate_config(c, CollectorCatalog{collector_names(), default_collector_names()});
  CHECK(c.system_account.enabled);
  CHECK(c.targets.empty());
  CHECK(c.system_account.connection.auth.user == "sys");
  CHECK(c.system_account.prefer_http);
}

TEST_CASE("a reload keeps the system-account source only when the section's values are the same") {
  std::vector<std::string> problems;
  const std::string yaml = "servers: [nats://a:4222]\nconnection: {user: sys, password: s3cret}\n";
  const auto a = parse_system_account(YAML::Load(yaml), "x.yaml", {}, problems);
  auto b = parse_system_account(YAML::Load("\n\n" + yaml), "y.yaml", {}, problems);  // another file and line
  REQUIRE(problems.empty());
  CHECK(a.origin != b.origin);
  CHECK(same_system_account_config(a, b));
  b.connection.auth.password = "changed";
  CHECK_FALSE(same_system_account_config(a, b));
  b = a;
  b.discovery_gap = std::chrono::milliseconds(300);
  CHECK_FALSE(same_system_account_config(a, b));
  b = a;
  b.servers.push_back("nats://b:4222");
  CHECK_FALSE(same_system_account_config(a, b));

  // The keeper hands out the same source (one connection) across configs with an equal section,
  // none without the section, and a new one when it changed. No connection is made here: the
  // source connects at its first discovery.
  SourceKeeper keeper;
  Config c1, c2, none;
  c1.system_account = a;
  c2.system_account = a;
  c2.system_account.origin = "z.yaml:9";
  const auto first = keeper.source_for(c1);
  REQUIRE(static_cast<bool>(first));
  CHECK(keeper.source_for(c2).get() == first.get());
  c2.system_account.connection.auth.password = "changed";
  const auto second = keeper.source_for(c2);
  CHECK(second.get() != first.get());
  CHECK(keeper.source_for(none).get() == nullptr);
}
