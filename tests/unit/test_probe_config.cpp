// The `probes:` config: defaults, every class of error as file:line: probes[i].key, secrets from
// files and the environment kept out of messages, nkey seeds and creds files read from the config.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <string>

#include "collectors/probe/probe.h"
#include "config/load.h"
#include "config/probe_config.h"
#include "config/reader.h"
#include "temp_dir.h"

using namespace natsexp;
using std::chrono::milliseconds;

namespace {

const char* const kProbeFile = "probes.yaml";

// A published test key pair's seed (NATS docs).
const char* const kSeed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";

std::vector<ProbeConfig> parse(const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  YAML::Node root = YAML::Load(yaml);
  Reader r(kProbeFile, &env);
  auto probes = read_probes(r, root["probes"]);
  r.throw_if_any();
  return probes;
}

// The ConfigError message of parsing `yaml`, or "" when it parses.
std::string error_of(const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  try {
    parse(yaml, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("probe config: a minimal request probe gets the documented defaults") {
  auto probes = parse("probes:\n  - name: rtt\n    kind: request\n");
  REQUIRE(probes.size() == 1);
  const ProbeConfig& p = probes[0];
  CHECK(p.name == "rtt");
  CHECK(p.kind == ProbeKind::request);
  CHECK(p.servers == std::vector<std::string>{"nats://127.0.0.1:4222"});
  CHECK(p.interval == milliseconds(1000));
  CHECK(p.timeout == milliseconds(2000));
  CHECK(p.size == 128);
  CHECK(p.responder_enabled);  // no subject given: the exporter answers its own subject,
  CHECK(p.subject.empty());    // which the probe picks (probe::default_probe_subject)
  CHECK(p.buckets == default_probe_buckets());
  CHECK(p.buckets.front() == doctest::Approx(25e-6));
  CHECK(p.buckets.back() == doctest::Approx(10.0));
  CHECK(p.buckets.size() == 18);
  CHECK(p.connection.name == "nats-exporter-probe");
  CHECK(p.connection.reconnect_wait == milliseconds(2000));
  CHECK(p.connection.reconnect_buffer_bytes == 8u * 1024 * 1024);
  CHECK(p.pending_limit_messages == 65536);
  CHECK(p.connection.auth.empty());
  CHECK_FALSE(p.connection.tls.enabled);
  CHECK(p.origin == "probes.yaml:2");
}

TEST_CASE("probe: the default subject of a request probe names the host and the probe, as subject tokens") {
  const std::string s = probe::default_probe_subject("rtt");
  CHECK(s.rfind("_nats_exporter.probe.", 0) == 0);
  CHECK(s.size() > std::string("_nats_exporter.probe..rtt").size());
  CHECK(s.substr(s.size() - 4) == ".rtt");
  const std::string odd = probe::default_probe_subject("a.b c>*");
  CHECK(odd.substr(odd.size() - 8) == ".a_b_c__");
  const std::string unnamed = probe::default_probe_subject("");
  CHECK(unnamed.substr(unnamed.size() - 2) == "._");
}

TEST_CASE("probe config: every key of every kind") {
  auto probes = parse(R"(probes:
  - name: svc
    kind: request
    servers: [nats://10.0.0.1:4222, "nats://10.0.0.2"]
    connection:
      name: my-probe
      reconnect_wait: 500ms
      reconnect_jitter: 250ms
      reconnect_buffer_bytes: 1MiB
      ping_interval: 5s
      max_pings_out: 3
      connect_timeout: 1s
    interval: 50ms
    timeout: 250ms
    subject: orders.get
    size: 1KiB
    responder: {queue_group: probes}
    buckets: [100us, 1ms, 0.01, 1s]
    pending_limits: {messages: 10, bytes: 4KiB}
  - name: js
    kind: jetstream-publish
    subject: orders.probe
    jetstream: {domain: hub}
  - name: watch
    kind: consumer-watch
    stream: ORDERS
    consumer: processor
    servers: tls://nats.example:4443
)");
  REQUIRE(probes.size() == 3);
  const ProbeConfig& r = probes[0];
  CHECK(r.servers == std::vector<std::string>{"nats://10.0.0.1:4222", "nats://10.0.0.2"});
  CHECK(r.connection.name == "my-probe");
  CHECK(r.connection.reconnect_wait == milliseconds(500));
  CHECK(r.connection.reconnect_jitter == milliseconds(250));
  CHECK(r.connection.reconnect_buffer_bytes == 1024u * 1024);
  CHECK(r.connection.ping_interval == milliseconds(5000));
  CHECK(r.connection.max_pings_out == 3);
  CHECK(r.connection.connect_timeout == milliseconds(1000));
  CHECK(r.interval == milliseconds(50));
  CHECK(r.timeout == milliseconds(250));
  CHECK(r.subject == "orders.get");
  CHECK(r.size == 1024);
  // A given subject belongs to a real service: the responder is off unless asked for.
  CHECK_FALSE(r.responder_enabled);
  CHECK(r.responder_queue_group == "probes");
  REQUIRE(r.buckets.size() == 4);
  CHECK(r.buckets[0] == doctest::Approx(100e-6));
  CHECK(r.buckets[1] == doctest::Approx(1e-3));
  CHECK(r.buckets[2] == doctest::Approx(0.01));
  CHECK(r.buckets[3] == doctest::Approx(1.0));
  CHECK(r.pending_limit_messages == 10);
  CHECK(r.pending_limit_bytes == 4096);
  CHECK(probes[1].kind == ProbeKind::jetstream_publish);
  CHECK(probes[1].subject == "orders.probe");
  CHECK(probes[1].jetstream_domain == "hub");
  CHECK_FALSE(probes[1].responder_enabled);
  CHECK(probes[2].kind == ProbeKind::consumer_watch);
  CHECK(probes[2].stream == "ORDERS");
  CHECK(probes[2].consumer == "processor");
  CHECK(probes[2].connection.tls.enabled);  // tls:// turns TLS on

  auto with_responder = parse("probes:\n  - {name: a, kind: request, subject: x.y, responder: {enabled: true}}\n");
  CHECK(with_responder[0].responder_enabled);
}

TEST_CASE("probe config: errors name the file, the 1-based line and the key") {
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    intervall: 1s\n") ==
        "probes.yaml:4: probes[0].intervall: unknown key (did you mean \"interval\"?)");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    interval: soon\n") ==
        "probes.yaml:4: probes[0].interval: \"soon\" is not a valid duration: not a duration");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    timeout: [1s]\n") ==
        "probes.yaml:4: probes[0].timeout: expected a duration, got a list");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    interval: 1ms\n") ==
        "probes.yaml:4: probes[0].interval: \"1ms\" is out of range (10ms..1h)");
  CHECK(error_of("probes:\n  - name: a\n    kind: ping\n") ==
        "probes.yaml:3: probes[0].kind: \"ping\" is not a probe kind (request, jetstream-publish or consumer-watch)");
  CHECK(error_of("probes:\n  - name: a\n") ==
        "probes.yaml:2: probes[0].kind: is required (request, jetstream-publish or consumer-watch)");
  CHECK(error_of("probes:\n  - kind: request\n") == "probes.yaml:2: probes[0].name: is required");
  CHECK(error_of("probes: {name: a}\n") == "probes.yaml:1: probes: expected a list of probes, got a map");
  CHECK(error_of("probes:\n  - name: a\n    kind: consumer-watch\n    subject: x\n    stream: S\n    consumer: C\n") ==
        "probes.yaml:4: probes[0].subject: is not used by kind consumer-watch");
  CHECK(error_of("probes:\n  - name: a\n    kind: consumer-watch\n    stream: S\n") ==
        "probes.yaml:2: probes[0].consumer: is required for kind consumer-watch");
  CHECK(error_of("probes:\n  - name: a\n    kind: jetstream-publish\n") ==
        "probes.yaml:2: probes[0].subject: is required for kind jetstream-publish (a subject a stream captures)");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    subject: orders.*\n") ==
        "probes.yaml:4: probes[0].subject: \"orders.*\" must not contain wildcards (a probe publishes to it)");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    servers: [http://x:8222]\n") ==
        "probes.yaml:4: probes[0].servers[0]: \"http://x:8222\" is not a nats:// or tls:// URL");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    buckets: [1ms, 500us]\n") ==
        "probes.yaml:4: probes[0].buckets[1]: \"500us\" must be greater than the bound before it (buckets are "
        "increasing)");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    size: lots\n")
            .find("probes.yaml:4: probes[0].size: \"lots\" is not a valid size") == 0);
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      reconect_wait: 1s\n") ==
        "probes.yaml:5: probes[0].connection.reconect_wait: unknown key (did you mean \"reconnect_wait\"?)");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    responder: {enabled: maybe}\n") ==
        "probes.yaml:4: probes[0].responder.enabled: expected true or false, got \"maybe\"");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n  - name: a\n    kind: request\n") ==
        "probes.yaml:4: probes[1].name: duplicate probe name \"a\" (already used by probes[0])");
  // Several problems are reported together, one per line.
  std::string both = error_of("probes:\n  - name: a\n    kind: request\n    interval: x\n    timeout: y\n");
  CHECK(both.find("probes.yaml:4: probes[0].interval") != std::string::npos);
  CHECK(both.find("\nprobes.yaml:5: probes[0].timeout") != std::string::npos);
  // No probes at all is fine.
  CHECK(parse("probes:\n").empty());
  CHECK(parse("other: 1\n").empty());
}

TEST_CASE("probe config: secrets come from the value, a file or the environment and never show in messages") {
  testing::TempDir dir;
  const std::string secret = "s3cr3t-Value-42";
  const std::string pw_file = dir.write("pw", secret + "\n");
  auto p =
      parse("probes:\n  - name: a\n    kind: request\n    connection: {user: probe, password_file: " + pw_file + "}\n");
  CHECK(p[0].connection.auth.user == "probe");
  CHECK(p[0].connection.auth.password == secret);

  p = parse("probes:\n  - name: a\n    kind: request\n    connection: {token_env: PROBE_TOKEN}\n",
            {{"PROBE_TOKEN", secret}});
  CHECK(p[0].connection.auth.token == secret);

  // Credentials in a URL move out of it, so the URL can be logged.
  p = parse("probes:\n  - name: a\n    kind: request\n    servers: [\"nats://probe:" + secret + "@127.0.0.1:4222\"]\n");
  CHECK(p[0].servers[0] == "nats://127.0.0.1:4222");
  CHECK(p[0].connection.auth.user == "probe");
  CHECK(p[0].connection.auth.password == secret);

  // Errors.
  CHECK(
      error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      token_file: /nonexistent/token\n") ==
      "probes.yaml:5: probes[0].connection.token_file: cannot read \"/nonexistent/token\": No such file or directory");
  CHECK(
      error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      password_env: NOPE\n      user: u\n") ==
      "probes.yaml:5: probes[0].connection.password_env: environment variable \"NOPE\" is not set");
  std::string mixed = error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      token: " + secret +
                               "\n      user: u\n      password: " + secret + "\n");
  CHECK(mixed ==
        "probes.yaml:5: probes[0].connection: more than one authentication method (token, user/password); "
        "use one");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      token: " + secret +
                     "\n      token_env: X\n",
                 {{"X", "y"}})
            .find("probes[0].connection.token_env: cannot be used together with token") != std::string::npos);
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      password: " + secret + "\n") ==
        "probes.yaml:5: probes[0].connection.password: is set without user");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      user: u\n      password_env: E\n",
                 {{"E", "\r\n"}}) ==
        "probes.yaml:6: probes[0].connection.password_env: environment variable \"E\" is empty");
  // A second way to give one secret is refused before it is read; a second method is named once.
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    connection:\n      creds_env: A\n      creds_file: "
                 "/nonexistent\n      token: t\n",
                 {{"A", "x"}})
            .find("probes.yaml:6: probes[0].connection.creds_file: cannot be used together with creds_env") !=
        std::string::npos);
  std::string bad_seed = error_of(
      "probes:\n  - name: a\n    kind: request\n    connection:\n      nkey_seed_env: SEED\n", {{"SEED", secret}});
  CHECK(bad_seed.find("probes.yaml:5: probes[0].connection.nkey_seed_env: not a valid nkey seed") == 0);
  for (const auto& m : {mixed, bad_seed}) CHECK(m.find(secret) == std::string::npos);
}

// The nkey and creds parsers themselves: tests/unit/test_nkey.cpp.
TEST_CASE("probe config: nkey seeds and creds files") {
  testing::TempDir dir;
  const std::string seed_file = dir.write("user.nk", std::string(kSeed) + "\n");
  auto p = parse("probes:\n  - name: a\n    kind: request\n    connection: {nkey_seed_file: " + seed_file + "}\n");
  CHECK(p[0].connection.auth.nkey_seed == kSeed);

  const std::string creds = std::string(
                                "-----BEGIN NATS USER JWT-----\neyJhbGciOi.payload.sig\n------END NATS USER "
                                "JWT------\n\n************************* IMPORTANT *************************\n"
                                "-----BEGIN USER NKEY SEED-----\n") +
                            kSeed + "\n------END USER NKEY SEED------\n";
  const std::string creds_file = dir.write("user.creds", creds);
  p = parse("probes:\n  - name: a\n    kind: request\n    connection: {creds_file: " + creds_file + "}\n");
  CHECK(p[0].connection.auth.user_jwt == "eyJhbGciOi.payload.sig");
  CHECK(p[0].connection.auth.nkey_seed == kSeed);
  p = parse("probes:\n  - name: a\n    kind: request\n    connection: {creds_env: CREDS}\n", {{"CREDS", creds}});
  CHECK(p[0].connection.auth.user_jwt == "eyJhbGciOi.payload.sig");
  const std::string broken =
      dir.write("broken.creds", "-----BEGIN NATS USER JWT-----\nabc\n------END NATS USER JWT------\n");
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    connection: {creds_file: " + broken + "}\n") ==
        "probes.yaml:4: probes[0].connection.creds_file: not a valid creds file: no \"BEGIN USER NKEY SEED\" block");
}

TEST_CASE("probe config: bucket bounds keep sub-millisecond precision") {
  CHECK(parse_seconds("25us") == doctest::Approx(25e-6));
  CHECK(parse_seconds("25\xC2\xB5s") == doctest::Approx(25e-6));
  CHECK(parse_seconds("2.5ms") == doctest::Approx(2.5e-3));
  CHECK(parse_seconds("10s") == doctest::Approx(10.0));
  CHECK(parse_seconds("0.0005") == doctest::Approx(0.0005));
  CHECK(parse_seconds("1e-4") == doctest::Approx(1e-4));
  CHECK(parse_seconds("500ns") == doctest::Approx(500e-9));
  CHECK_THROWS_AS(parse_seconds("0"), std::invalid_argument);
  CHECK_THROWS_AS(parse_seconds("-1ms"), std::invalid_argument);
  CHECK_THROWS_AS(parse_seconds("5 parsecs"), std::invalid_argument);
  CHECK_THROWS_AS(parse_seconds("ms"), std::invalid_argument);
}

TEST_CASE("probe config: the drift fixes of the one YAML reader (issue 11)") {
  // Booleans read the same everywhere: 1/0 as under targets[].tls.
  auto p = parse(
      "probes:\n  - name: a\n    kind: request\n    connection:\n      tls: {insecure_skip_verify: 1}\n"
      "    responder: {enabled: 0}\n");
  CHECK(p[0].connection.tls.insecure_skip_verify);
  CHECK_FALSE(p[0].responder_enabled);
  // A duplicate key names the line of the first.
  CHECK(error_of("probes:\n  - name: a\n    kind: request\n    interval: 1s\n    interval: 2s\n") ==
        "probes.yaml:5: probes[0].interval: duplicate key (first given at line 4)");
  // At most 20 problems are listed.
  std::string many = "probes:\n";
  for (int i = 0; i < 30; ++i) many += "  - {name: p" + std::to_string(i) + ", kind: nope}\n";
  const std::string m = error_of(many);
  CHECK(m.find("... and 10 more problems") != std::string::npos);
  CHECK(std::count(m.begin(), m.end(), '\n') == 20);
  // TLS files are checked the one way every section checks files.
  CHECK(error_of(
            "probes:\n  - name: a\n    kind: request\n    connection:\n      tls: {ca_file: /nonexistent/ca.pem}\n") ==
        "probes.yaml:5: probes[0].connection.tls.ca_file: cannot read \"/nonexistent/ca.pem\": No such file or "
        "directory");
}

TEST_CASE("probe config: same_connection_config compares every field, secrets and TLS included") {
  const ProbeConnectionConfig base;
  CHECK(same_connection_config(base, base));
  auto password = base;
  password.auth.password = "other";
  CHECK_FALSE(same_connection_config(base, password));
  auto ca = base;
  ca.tls.ca_file = "/etc/ca.pem";
  CHECK_FALSE(same_connection_config(base, ca));
  auto pings = base;
  pings.max_pings_out = base.max_pings_out + 1;
  CHECK_FALSE(same_connection_config(base, pings));
}
