// The YAML config: every key, every class of error with its file:line, secrets kept out of messages.
#include <doctest/doctest.h>

#include <string>

#include "collectors/collector.h"
#include "config/load.h"
#include "temp_dir.h"

using namespace natsexp;

// The registry's collector names, which config/ takes as a parameter.
static const CollectorCatalog kCollectors{collector_names(), default_collector_names()};
using std::chrono::milliseconds;

namespace {

const char* const kFile = "/etc/nats-exporter.yaml";

Config load_valid(const std::string& yaml) {
  Config c = load_config_yaml(yaml, kFile);
  c = validate_config(c, kCollectors);
  return c;
}

// The ConfigError of loading and validating `yaml`, or "(no error)".
std::string error_of(const std::string& yaml) {
  try {
    load_valid(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kTarget = "targets:\n  - url: http://127.0.0.1:8222\n";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("parse_duration: Go and Prometheus style") {
  CHECK(parse_duration("500ms") == milliseconds(500));
  CHECK(parse_duration("10s") == milliseconds(10000));
  CHECK(parse_duration("1m30s") == milliseconds(90000));
  CHECK(parse_duration("2h") == milliseconds(7200000));
  CHECK(parse_duration("1d") == milliseconds(86400000));
  CHECK(parse_duration("1w") == milliseconds(7 * 86400000LL));
  CHECK(parse_duration("1.5s") == milliseconds(1500));
  CHECK(parse_duration("0s") == milliseconds(0));
  CHECK(parse_duration("2000us") == milliseconds(2));
  CHECK(parse_duration("1h1m1s1ms") == milliseconds(3661001));
  CHECK_THROWS_AS(parse_duration("10"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("0"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("fast"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("10x"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("-1s"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("1s5"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("1500us"), std::invalid_argument);  // finer than a millisecond
  CHECK_THROWS_WITH(parse_duration("10"), doctest::Contains("missing unit"));
  CHECK_THROWS_WITH(parse_duration("10x"), doctest::Contains("unknown unit \"x\""));
}

TEST_CASE("parse_size, format_duration, redact_url") {
  CHECK(parse_size("65536") == 65536);
  CHECK(parse_size("32MiB") == 32u * 1024 * 1024);
  CHECK(parse_size("64KiB") == 65536);
  CHECK(parse_size("1GiB") == 1024ULL * 1024 * 1024);
  CHECK(parse_size("2KB") == 2000);
  CHECK(parse_size("3 MB") == 3000000);
  CHECK(parse_size("1gb") == 1000000000);
  CHECK(parse_size("1.5MiB") == 1572864);
  CHECK(parse_size("10B") == 10);
  CHECK_THROWS_AS(parse_size("abc"), std::invalid_argument);
  CHECK_THROWS_AS(parse_size("10 parsecs"), std::invalid_argument);
  CHECK_THROWS_AS(parse_size("-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_size("1.5"), std::invalid_argument);
  CHECK_THROWS_AS(parse_size("99999999999999999999999"), std::invalid_argument);

  CHECK(format_duration(milliseconds(90000)) == "1m30s");
  CHECK(format_duration(milliseconds(500)) == "500ms");
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(milliseconds(7200000)) == "2h");

  CHECK(redact_url("http://user:pass@host:8222/x") == "http://host:8222/x");
  CHECK(redact_url("https://user@host") == "https://host");
  CHECK(redact_url("http://u:p/a?b#c@host:1") == "http://host:1");  // odd characters in the password
  CHECK(redact_url("http://host:8222") == "http://host:8222");
  CHECK(redact_url("user:pass@host:4222") == "host:4222");
}

TEST_CASE("every schema key round-trips") {
  testing::TempDir dir;
  const std::string ca = dir.write("ca.pem", "CA");
  const std::string cert = dir.write("cert.pem", "CERT");
  const std::string key = dir.write("key.pem", "KEY");
  const std::string pw = dir.write("pw", "s3cret-from-file\n");
  const std::string token = dir.write("token", "token-from-file\r\n");
  std::string yaml = R"(web:
  listen_address: "127.0.0.1:9999"
  metrics_path: /m
  max_threads: 16
  read_timeout: 1m30s
  write_timeout: 2s
  max_request_bytes: 128KiB
scrape:
  timeout: 20s
  timeout_offset: 250ms
  max_response_bytes: 1.5MB
collectors: [varz, jsz]
connz:
  top_n: 0
log:
  level: debug
targets:
  - name: n1
    url: https://nats-1:8443/base/
    labels: {env: prod, _team: core}
    collectors: [healthz]
    tls: {ca_file: CA, cert_file: CERT, key_file: KEY, insecure_skip_verify: true}
    basic_auth: {username: u1, password_file: PW}
  - url: http://alice:p%40ss@10.0.0.2:8222
  - url: http://10.0.0.3
    bearer_token_file: TOKEN
  - name: n4
    url: http://[::1]:8222
    bearer_token: tok4
  - name: n5
    url: HTTP://h5:8222
    basic_auth: {username: u5, password: p5}
)";
  yaml = replace_all(yaml, "CA,", ca + ",");
  yaml = replace_all(yaml, "CERT,", cert + ",");
  yaml = replace_all(yaml, "KEY,", key + ",");
  yaml = replace_all(yaml, "PW}", pw + "}");
  yaml = replace_all(yaml, "TOKEN\n", token + "\n");
  const std::string path = dir.write("full.yaml", yaml);

  Config c = load_config_file(path);
  c = validate_config(c, kCollectors);
  CHECK(c.source == path);
  CHECK(c.listen_address == "127.0.0.1:9999");
  CHECK(c.metrics_path == "/m");
  CHECK(c.web_max_threads == 16);
  CHECK(c.web_read_timeout == milliseconds(90000));
  CHECK(c.web_write_timeout == milliseconds(2000));
  CHECK(c.web_max_request_bytes == 128 * 1024);
  CHECK(c.scrape_timeout == milliseconds(20000));
  CHECK(c.scrape_timeout_offset == milliseconds(250));
  CHECK(c.max_response_bytes == 1500000);
  CHECK(c.collectors == std::vector<std::string>{"varz", "jsz"});
  CHECK(c.connz_top_n == 0);
  CHECK(c.log_level == "debug");
  REQUIRE(c.targets.size() == 5);

  const TargetConfig& t0 = c.targets[0];
  CHECK(t0.name == "n1");
  CHECK(t0.url == "https://nats-1:8443/base");  // trailing slash dropped: paths are appended
  CHECK(t0.labels == std::map<std::string, std::string>{{"env", "prod"}, {"_team", "core"}});
  REQUIRE(t0.collectors);
  CHECK(*t0.collectors == std::vector<std::string>{"healthz"});
  CHECK(enabled_collectors(c, t0) == std::vector<std::string>{"healthz"});
  CHECK(t0.tls.ca_file == ca);
  CHECK(t0.tls.cert_file == cert);
  CHECK(t0.tls.key_file == key);
  CHECK(t0.tls.insecure_skip_verify);
  CHECK(t0.username == "u1");
  CHECK(t0.password == "s3cret-from-file");
  CHECK(t0.bearer_token.empty());

  const TargetConfig& t1 = c.targets[1];
  CHECK(t1.name == "10.0.0.2:8222");
  CHECK(t1.url == "http://10.0.0.2:8222");
  CHECK(t1.username == "alice");
  CHECK(t1.password == "p@ss");
  CHECK_FALSE(t1.collectors);
  CHECK(enabled_collectors(c, t1) == std::vector<std::string>{"varz", "jsz"});
  CHECK_FALSE(t1.tls.insecure_skip_verify);

  CHECK(c.targets[2].name == "10.0.0.3:80");
  CHECK(c.targets[2].url == "http://10.0.0.3");
  CHECK(c.targets[2].bearer_token == "token-from-file");
  CHECK(c.targets[3].name == "n4");
  CHECK(c.targets[3].url == "http://[::1]:8222");
  CHECK(c.targets[3].bearer_token == "tok4");
  CHECK(c.targets[4].url == "http://h5:8222");
  CHECK(c.targets[4].username == "u5");
  CHECK(c.targets[4].password == "p5");

  // Where each value came from, for messages.
  CHECK(c.origins.at("web.max_threads") == path + ":4");
  CHECK(c.origins.at("targets[0].url") == path + ":19");
}

TEST_CASE("defaults, an empty file and a comment-only file") {
  Config c = load_valid(kTarget);
  const Config d;
  CHECK(c.listen_address == ":7777");
  CHECK(c.metrics_path == "/metrics");
  CHECK(c.web_max_threads == 8);
  CHECK(c.scrape_timeout == milliseconds(10000));
  CHECK(c.scrape_timeout_offset == milliseconds(500));
  CHECK(c.max_response_bytes == 32u * 1024 * 1024);
  CHECK(c.connz_top_n == 10);
  CHECK(c.log_level == "info");
  CHECK(c.collectors == default_collector_names());
  REQUIRE(c.targets.size() == 1);
  CHECK(c.targets[0].name == "127.0.0.1:8222");

  testing::TempDir dir;
  const std::string empty = dir.write("empty.yaml", "");
  Config e = load_config_file(empty);
  CHECK(e.source == empty);
  CHECK(e.targets.empty());
  CHECK(e.listen_address == d.listen_address);
  CHECK_NOTHROW(load_config_yaml("# nothing here\n", kFile));
  CHECK_NOTHROW(load_config_yaml("web:\nscrape: ~\n", kFile));  // empty sections are fine
  // Parsing succeeds; validation then asks for a target.
  CHECK_THROWS_WITH_AS(
      validate_config(e, kCollectors),
      (empty +
       ": targets: no target and no probe configured (add targets or probes to the config file, or use --nats.url)")
          .c_str(),
      ConfigError);
}

TEST_CASE("a config with probes and no targets is valid (no monitoring port needed)") {
  testing::TempDir dir;
  const std::string path = dir.write("probes-only.yaml",
                                     "probes:\n  - name: watch\n    kind: consumer-watch\n"
                                     "    stream: ORDERS\n    consumer: processor\n");
  Config c = load_config_file(path);
  CHECK_NOTHROW(validate_config(c, kCollectors));
  CHECK(c.targets.empty());
  CHECK(c.probes.size() == 1);
}

TEST_CASE("file errors: missing file, syntax error") {
  testing::TempDir dir;
  const std::string missing = dir.file("nope.yaml");
  CHECK_THROWS_WITH_AS(load_config_file(missing), (missing + ": cannot read: No such file or directory").c_str(),
                       ConfigError);
  CHECK_THROWS_WITH_AS(load_config_file(dir.path()), (dir.path() + ": cannot read: Is a directory").c_str(),
                       ConfigError);

  const std::string bad = dir.write("bad.yaml", "web:\n  max_threads: 2\ntargets: [ {url: http://a:1}\nlog: {}\n");
  try {
    load_config_file(bad);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    CHECK(m.rfind(bad + ":4: invalid YAML: ", 0) == 0);
  }
  CHECK_THROWS_WITH(load_config_yaml("a: 1\n  b: 2\n", kFile),
                    "/etc/nats-exporter.yaml:2: invalid YAML: illegal map value");
}

TEST_CASE("unknown keys, duplicate keys and wrong types name file, line and key") {
  CHECK(error_of("web:\n  listen_adress: \":7777\"\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.listen_adress: unknown key (did you mean \"listen_address\"?)");
  CHECK(error_of("targetz: []\n") == "/etc/nats-exporter.yaml:1: targetz: unknown key (did you mean \"targets\"?)");
  CHECK(error_of(kTarget + "    colour: blue\n") == "/etc/nats-exporter.yaml:3: targets[0].colour: unknown key");
  CHECK(error_of(kTarget + "    tls: {ca: x}\n") ==
        "/etc/nats-exporter.yaml:3: targets[0].tls.ca: unknown key (did you mean \"ca_file\"?)");
  CHECK(error_of("web:\n  max_threads: 2\n  max_threads: 3\n" + kTarget) ==
        "/etc/nats-exporter.yaml:3: web.max_threads: duplicate key (first given at line 2)");
  CHECK(error_of(kTarget + "    labels: {a: 1, a: 2}\n") ==
        "/etc/nats-exporter.yaml:3: targets[0].labels.a: duplicate key (first given at line 3)");

  CHECK(error_of("web: [1, 2]\n" + kTarget) == "/etc/nats-exporter.yaml:1: web: expected a map, got a list");
  CHECK(error_of("- a\n- b\n") == "/etc/nats-exporter.yaml:1: the top level must be a map of settings, got a list");
  CHECK(error_of("web:\n  max_threads: abc\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.max_threads: expected a whole number, got \"abc\"");
  CHECK(error_of("connz:\n  top_n: -1\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: connz.top_n: \"-1\" is out of range (0..1000)");
  CHECK(error_of("web:\n  metrics_path: [a]\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.metrics_path: expected a string, got a list");
  CHECK(error_of("collectors: varz\n" + kTarget) ==
        "/etc/nats-exporter.yaml:1: collectors: expected a list, got a single value");
  CHECK(error_of("targets:\n  url: http://a:1\n") ==
        "/etc/nats-exporter.yaml:2: targets: expected a list of targets, got a map");
  CHECK(error_of("targets:\n  - http://a:1\n") ==
        "/etc/nats-exporter.yaml:2: targets[0]: expected a map with at least a url, got a single value");
  CHECK(error_of(kTarget + "    tls: {insecure_skip_verify: maybe}\n") ==
        "/etc/nats-exporter.yaml:3: targets[0].tls.insecure_skip_verify: expected true or false, got \"maybe\"");
  CHECK(error_of(kTarget + "    labels: [a]\n") ==
        "/etc/nats-exporter.yaml:3: targets[0].labels: expected a map of label names to values, got a list");
  CHECK(error_of("scrape:\n  max_response_bytes: lots\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: scrape.max_response_bytes: \"lots\" is not a valid size: not a size (e.g. 65536, "
        "\"64KiB\", \"32MiB\")");
}

TEST_CASE("bad durations") {
  CHECK(error_of("scrape:\n  timeout: 10\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: scrape.timeout: \"10\" is not a valid duration: missing unit (e.g. \"10s\", "
        "\"500ms\")");
  CHECK(error_of("web:\n  read_timeout: fast\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.read_timeout: \"fast\" is not a valid duration: not a duration");
  CHECK(error_of("scrape:\n  timeout_offset: 5q\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: scrape.timeout_offset: \"5q\" is not a valid duration: unknown unit \"q\" (use ns, "
        "us, ms, s, m, h, d or w)");
}

TEST_CASE("bad URLs") {
  CHECK(error_of("\n\ntargets:\n  - url: ftp://x\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].url: \"ftp://x\" is not an http:// or https:// URL");
  CHECK(error_of("targets:\n  - url: 127.0.0.1:8222\n") ==
        "/etc/nats-exporter.yaml:2: targets[0].url: \"127.0.0.1:8222\" is not an http:// or https:// URL");
  CHECK(error_of("targets:\n  - url: http://\n") ==
        "/etc/nats-exporter.yaml:2: targets[0].url: \"http://\" has no host");
  CHECK(error_of("targets:\n  - url: http://h:99999\n") ==
        "/etc/nats-exporter.yaml:2: targets[0].url: \"http://h:99999\" has an invalid port");
  CHECK(error_of("targets:\n  - url: http://h:port\n") ==
        "/etc/nats-exporter.yaml:2: targets[0].url: \"http://h:port\" has an invalid port");
  CHECK(error_of("targets:\n  - url: http://h:1/x?y=1\n") ==
        "/etc/nats-exporter.yaml:2: targets[0].url: \"http://h:1/x?y=1\" must not have a query or fragment");
  CHECK(error_of("targets:\n  - name: n\n") ==
        "/etc/nats-exporter.yaml:2: targets[0].url: is required (e.g. http://127.0.0.1:8222)");
}

TEST_CASE("collectors, names, labels, ranges") {
  CHECK(error_of("collectors: [varz, conz]\n" + kTarget) ==
        "/etc/nats-exporter.yaml:1: collectors[1]: unknown collector \"conz\" (did you mean \"connz\"?)");
  CHECK(error_of("collectors: [varz, varz]\n" + kTarget) ==
        "/etc/nats-exporter.yaml:1: collectors[1]: collector \"varz\" is listed twice");
  CHECK(error_of(kTarget + "    collectors:\n      - varz\n      - bogus\n") ==
        "/etc/nats-exporter.yaml:5: targets[0].collectors[1]: unknown collector \"bogus\" (known: varz, connz, routez, "
        "gatewayz, leafz, subsz, accstatz, jsz, healthz, doctor)");
  // An empty list is explicit: nothing but the exporter's own series.
  CHECK(load_valid("collectors: []\n" + kTarget).collectors.empty());

  CHECK(error_of("targets:\n  - {name: a, url: 'http://h1:1'}\n  - {name: a, url: 'http://h2:1'}\n") ==
        "/etc/nats-exporter.yaml:3: targets[1].name: duplicate target name \"a\" (already used by targets[0]; set a "
        "unique name)");
  CHECK(
      error_of("targets:\n  - url: http://h1:8222\n  - url: http://h1:8222/\n") ==
      "/etc/nats-exporter.yaml:3: targets[1].name: duplicate target name \"h1:8222\" (already used by targets[0]; set "
      "a unique name)");

  CHECK(error_of(kTarget + "    labels:\n      1x: a\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].labels.1x: label name \"1x\" is not valid (must match "
        "[a-zA-Z_][a-zA-Z0-9_]*)");
  CHECK(error_of(kTarget + "    labels:\n      __meta: a\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].labels.__meta: label name \"__meta\" is reserved (starts with __)");
  CHECK(error_of(kTarget + "    labels:\n      server_name: a\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].labels.server_name: label name \"server_name\" is reserved for the "
        "exporter's own labels");

  CHECK(error_of("web:\n  max_threads: 0\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.max_threads: \"0\" is out of range (1..256)");
  CHECK(error_of("web:\n  max_threads: 257\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.max_threads: \"257\" is out of range (1..256)");
  CHECK(error_of("connz:\n  top_n: 1001\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: connz.top_n: \"1001\" is out of range (0..1000)");
  CHECK(error_of("scrape:\n  timeout: 6m\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: scrape.timeout: \"6m\" is out of range (must be > 0s and <= 5m)");
  CHECK(error_of("scrape:\n  timeout: 0s\n  timeout_offset: 0s\n" + kTarget)
            .find("/etc/nats-exporter.yaml:2: scrape.timeout: \"0s\" is out of range (must be > 0s and <= 5m)") == 0);
  CHECK(error_of("scrape:\n  timeout: 1s\n  timeout_offset: 1s\n" + kTarget) ==
        "/etc/nats-exporter.yaml:3: scrape.timeout_offset: \"1s\" must be shorter than scrape.timeout (1s)");
  CHECK(error_of("scrape:\n  max_response_bytes: 10\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: scrape.max_response_bytes: \"10\" is out of range (1KiB..1GiB)");
  CHECK(error_of("web:\n  listen_address: 7777\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.listen_address: \"7777\" is not host:port or :port");
  CHECK(error_of("web:\n  listen_address: \":70000\"\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.listen_address: \":70000\" has an invalid port (1..65535)");
  CHECK(error_of("web:\n  metrics_path: metrics\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: web.metrics_path: \"metrics\" must be a path starting with /");
  CHECK(error_of("log:\n  level: verbose\n" + kTarget) ==
        "/etc/nats-exporter.yaml:2: log.level: \"verbose\" is not a log level (debug, info, warn or error)");
  CHECK(load_valid("web:\n  listen_address: \"[::1]:9000\"\n" + kTarget).listen_address == "[::1]:9000");
}

TEST_CASE("files referenced by tls, password_file and bearer_token_file") {
  testing::TempDir dir;
  const std::string none = dir.file("missing.pem");
  const std::string cert = dir.write("cert.pem", "CERT");
  CHECK(error_of(kTarget + "    tls:\n      ca_file: " + none + "\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].tls.ca_file: cannot read \"" + none + "\": No such file or directory");
  // An encrypted key: the client library would ask for its passphrase on the terminal mid-scrape.
  const std::string encrypted = dir.write("enc.key",
                                          "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                                          "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAint7ByO6RugAICCAAw\n"
                                          "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEGDz61DM/mw20YLXHei56eMEgZAp\n"
                                          "gpT07RfCY+kybC+NXBmW0WLZBeoPeM/Q7cVSqMXEnFc2hGhMROMBVpADdyRpqO3Y\n"
                                          "GYP3aQ7f15Yx4T67iU1vJB3dpCKA81VI4vt4D2M/qYabuBt6Zjnbo9evTyhEj4dH\n"
                                          "BAgFdW2wJopfMkYMpWzS941B5EBx64M1yca6Czlb7oOxIFFMC0uz+rV3qRv/pe8=\n"
                                          "-----END ENCRYPTED PRIVATE KEY-----\n");
  CHECK(error_of(kTarget + "    tls:\n      cert_file: " + cert + "\n      key_file: " + encrypted + "\n") ==
        "/etc/nats-exporter.yaml:5: targets[0].tls.key_file: the key is encrypted with a passphrase, which "
        "nats-exporter does not read: store it decrypted (openssl pkey -in KEY -out PLAIN) and protect it with file "
        "permissions");
  CHECK(error_of(kTarget + "    tls:\n      cert_file: " + cert + "\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].tls.cert_file: needs tls.key_file too (cert_file and key_file go "
        "together)");
  CHECK(error_of(kTarget + "    basic_auth:\n      username: u\n      password_file: " + none + "\n") ==
        "/etc/nats-exporter.yaml:5: targets[0].basic_auth.password_file: cannot read \"" + none +
            "\": No such file or directory");
  CHECK(error_of(kTarget + "    bearer_token_file: " + none + "\n") ==
        "/etc/nats-exporter.yaml:3: targets[0].bearer_token_file: cannot read \"" + none +
            "\": No such file or directory");
  const std::string empty = dir.write("empty", "\n");
  CHECK(error_of(kTarget + "    bearer_token_file: " + empty + "\n") ==
        "/etc/nats-exporter.yaml:3: targets[0].bearer_token_file: \"" + empty + "\" is empty");
}

TEST_CASE("auth combinations") {
  testing::TempDir dir;
  const std::string pw = dir.write("pw", "pw-in-file\n");
  CHECK(
      error_of(kTarget + "    basic_auth:\n      username: u\n      password: p\n      password_file: " + pw + "\n") ==
      "/etc/nats-exporter.yaml:6: targets[0].basic_auth.password_file: cannot be used together with "
      "basic_auth.password");
  CHECK(error_of(kTarget + "    bearer_token: t\n    bearer_token_file: " + pw + "\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].bearer_token_file: cannot be used together with bearer_token");
  CHECK(error_of(kTarget + "    basic_auth: {username: u, password: p}\n    bearer_token: t\n") ==
        "/etc/nats-exporter.yaml:4: targets[0].bearer_token: cannot be used together with basic_auth");
  CHECK(error_of(kTarget + "    basic_auth: {password: p}\n") ==
        "/etc/nats-exporter.yaml:3: targets[0].basic_auth.password: is set without basic_auth.username");
  CHECK(
      error_of("targets:\n  - url: http://u:p@h:1\n    basic_auth: {username: u}\n") ==
      "/etc/nats-exporter.yaml:2: targets[0].url: has user:password in it and basic_auth is set too; use one of them");
  // A username alone is fine (an empty password).
  CHECK(load_valid(kTarget + "    basic_auth: {username: only}\n").targets[0].username == "only");
}

TEST_CASE("several problems are reported together") {
  const std::string m = error_of("web:\n  max_threads: 0\nlog:\n  level: loud\ntargets:\n  - url: [x]\n");
  CHECK(m ==
        "/etc/nats-exporter.yaml:2: web.max_threads: \"0\" is out of range (1..256)\n"
        "/etc/nats-exporter.yaml:4: log.level: \"loud\" is not a log level (debug, info, warn or error)\n"
        "/etc/nats-exporter.yaml:6: targets[0].url: expected a string, got a list");
}

TEST_CASE("secrets never appear in messages") {
  testing::TempDir dir;
  const std::string secret_file = dir.write("pw", "FILE-SECRET-1\n");
  const std::vector<std::string> cases = {
      "targets:\n  - url: ftp://bob:URL-SECRET-1@x\n",
      "targets:\n  - url: http://bob:URL-SECRET-1@h:99999\n",
      "targets:\n  - url: http://bob:URL-SECRET-1@h:1?q\n",
      "targets:\n  - url: http://bob:URL-SECRET-1@h:1\n    basic_auth: {username: u}\n",
      "targets:\n  - url: http://bob:URL-SECRET-1@h:1\n    bearer_token: TOKEN-SECRET-1\n",
      kTarget + "    basic_auth: {username: u, password: PASS-SECRET-1}\n    bearer_token: TOKEN-SECRET-1\n",
      kTarget + "    basic_auth: {username: u, password: PASS-SECRET-1, password_file: " + secret_file + "}\n",
      kTarget + "    bearer_token: TOKEN-SECRET-1\n    bearer_token_file: " + secret_file + "\n",
      kTarget + "    basic_auth: {username: u, password: {x: PASS-SECRET-1}}\n",
      kTarget + "    bearer_token: [TOKEN-SECRET-1]\n",
      kTarget + "    basic_auth: {password: PASS-SECRET-1}\n",
      kTarget + "    basic_auth: {passwd: PASS-SECRET-1}\n",
      kTarget + "    basic_auth: {username: u, password: PASS-SECRET-1}\n    labels: {__x: y}\n",
      kTarget + "    basic_auth: {username: u, password: PASS-SECRET-1\n",  // YAML syntax error
      kTarget + "    bearer_token: [TOKEN-SECRET-1\n",                      // YAML syntax error
  };
  for (const auto& yaml : cases) {
    CAPTURE(yaml);
    const std::string m = error_of(yaml);
    CHECK(m != "(no error)");
    CHECK(m.find("SECRET") == std::string::npos);
    CHECK(m.find("bob") == std::string::npos);
  }
  // And the secrets are where they belong when the config is good.
  Config c = load_valid("targets:\n  - url: http://bob:URL-SECRET-1@h:1\n");
  CHECK(c.targets[0].url == "http://h:1");
  CHECK(c.targets[0].username == "bob");
  CHECK(c.targets[0].password == "URL-SECRET-1");
}

TEST_CASE("validate_config on a config built in code") {
  Config c;
  TargetConfig t;
  t.url = "http://u:pw@nats:8222/";
  c.targets.push_back(t);
  const Config normalised = validate_config(c, kCollectors);
  // Validation reads its input and returns the normalised copy: defaults, credentials, names.
  CHECK(c.collectors.empty());
  CHECK(c.targets[0].url == "http://u:pw@nats:8222/");
  CHECK(c.targets[0].name.empty());
  c = normalised;
  CHECK(c.collectors == default_collector_names());
  CHECK(c.targets[0].url == "http://nats:8222");
  CHECK(c.targets[0].name == "nats:8222");
  CHECK(c.targets[0].username == "u");
  CHECK(c.targets[0].password == "pw");
  // Credentials in the URL and beside it: refused, not overwritten.
  Config both;
  TargetConfig token = t;
  token.bearer_token = "tok";
  both.targets.push_back(token);
  CHECK_THROWS_WITH_AS(validate_config(both, kCollectors),
                       "config: targets[0].url: has user:password in it and other credentials are set too; use one",
                       ConfigError);

  // Single-field ranges are the reader's (rows); validate keeps the cross-field rules.
  Config bad;
  bad.scrape_timeout_offset = bad.scrape_timeout;
  bad.targets.push_back(t);
  CHECK_THROWS_WITH_AS(validate_config(bad, kCollectors),
                       "config: scrape.timeout_offset: \"10s\" must be shorter than scrape.timeout (10s)", ConfigError);
}

TEST_CASE("the example configs load and validate") {
  const std::string dir = std::string(NATSEXP_SOURCE_DIR) + "/config/examples/";
  Config minimal = load_config_file(dir + "minimal.yaml");
  minimal = validate_config(minimal, kCollectors);
  REQUIRE(minimal.targets.size() == 1);
  CHECK(minimal.targets[0].name == "127.0.0.1:8222");

  Config full = load_config_file(dir + "full.yaml");
  full = validate_config(full, kCollectors);
  REQUIRE(full.targets.size() == 2);
  CHECK(full.targets[0].name == "n1");
  CHECK(full.targets[0].labels.at("env") == "prod");
  CHECK(full.targets[0].username == "monitor");
  CHECK(full.targets[1].url == "https://nats-2.example.internal:8222/monitoring");
  CHECK(full.collectors == collector_names());
  CHECK(full.web_max_request_bytes == 65536);
  CHECK(full.max_response_bytes == 32u * 1024 * 1024);
}
