// The command line: subcommands, flags, NATS_EXPORTER_* variables and their precedence over the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "collectors/collector.h"
#include "config/command_line.h"
#include "config/load.h"
#include "exporter/usage.h"
#include "temp_dir.h"

using namespace natsexp;
using std::chrono::milliseconds;
using Env = std::map<std::string, std::string>;
using Args = std::vector<std::string>;
using Names = std::vector<std::string>;

namespace {

// The registry's collector names, which config/ takes as a parameter.
const CollectorCatalog kCollectors{collector_names(), default_collector_names()};

CommandLine parse_command_line(const Args& args, const Env& env) {
  return natsexp::parse_command_line(args, env, kCollectors);
}
std::string usage_text() { return natsexp::usage_text(kCollectors); }

std::string error_of(const Args& args, const Env& env = {}) {
  try {
    parse_command_line(args, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

Names without(Names names, const std::string& name) {
  names.erase(std::remove(names.begin(), names.end(), name), names.end());
  return names;
}

}  // namespace

TEST_CASE("commands") {
  CHECK(parse_command_line({}, {}).command == "run");
  CHECK(parse_command_line({"--help"}, {}).command == "help");
  CHECK(parse_command_line({"-h"}, {}).command == "help");
  CHECK(parse_command_line({"--version"}, {}).command == "version");
  // --help answers before the rest is checked.
  CHECK(parse_command_line({"--nats.url=ftp://x", "--help"}, {}).command == "help");
  CommandLine check = parse_command_line({"check-config", "--nats.url", "http://a:1"}, {});
  CHECK(check.command == "check-config");
  CHECK(check.config.targets.at(0).url == "http://a:1");
  CHECK(parse_command_line({"--nats.url", "http://a:1", "check-config"}, {}).command == "check-config");
  CHECK(error_of({"serve"}) ==
        "argument \"serve\": unknown command (the commands are check-config and doctor; see --help)");
  CHECK(error_of({"check-config", "extra"}) == "argument \"extra\": unexpected argument (see --help)");
}

TEST_CASE("no flags: the local server with every default collector") {
  CommandLine cl = parse_command_line({}, {});
  CHECK(cl.config_file.empty());
  CHECK(cl.config.source.empty());
  REQUIRE(cl.config.targets.size() == 1);
  CHECK(cl.config.targets[0].url == "http://127.0.0.1:8222");
  CHECK(cl.config.targets[0].name == "127.0.0.1:8222");
  CHECK(cl.config.collectors == default_collector_names());
  CHECK(cl.config.listen_address == ":7777");
  CHECK(cl.config.scrape_timeout == milliseconds(10000));
  CHECK(cl.config.warnings.empty());
}

TEST_CASE("flag syntax and unknown flags") {
  CHECK(error_of({"--foo"}) == "flag --foo: unknown flag (see --help)");
  const std::string m = error_of({"--nats.pasword=hunter2"});
  CHECK(m == "flag --nats.pasword: unknown flag (see --help)");
  CHECK(error_of({"-x"}) == "flag -x: unknown flag (see --help)");
  CHECK(error_of({"--nats.url"}) == "flag --nats.url: needs a value (--nats.url=URL)");
  CHECK(error_of({"--collector.varz=maybe"}) == "flag --collector.varz: expected true or false");

  // --name=value and --name value are the same; a boolean flag takes no separate value.
  CommandLine a = parse_command_line({"--web.listen-address=:9100", "--scrape.timeout", "3s"}, {});
  CHECK(a.config.listen_address == ":9100");
  CHECK(a.config.scrape_timeout == milliseconds(3000));
  CommandLine b = parse_command_line({"--nats.insecure-skip-verify", "check-config"}, {});
  CHECK(b.command == "check-config");
  CHECK(b.config.targets[0].tls.insecure_skip_verify);
  CHECK_FALSE(parse_command_line({"--nats.insecure-skip-verify=false"}, {}).config.targets[0].tls.insecure_skip_verify);

  CommandLine all = parse_command_line(
      {"--web.telemetry-path=/m", "--web.max-threads=4", "--web.read-timeout=3s", "--web.write-timeout=4s",
       "--web.max-request-bytes=1MiB", "--web.max-header-bytes=32KiB", "--web.max-connections=2000",
       "--scrape.timeout-offset=1s", "--scrape.max-response-bytes=8MB", "--connz.top-n=5", "--log.level=debug"},
      {});
  CHECK(all.config.metrics_path == "/m");
  CHECK(all.config.web_max_threads == 4);
  CHECK(all.config.web_read_timeout == milliseconds(3000));
  CHECK(all.config.web_write_timeout == milliseconds(4000));
  CHECK(all.config.web_max_request_bytes == 1024 * 1024);
  CHECK(all.config.web_max_header_bytes == 32 * 1024);
  CHECK(all.config.web_max_connections == 2000);
  CHECK(all.config.scrape_timeout_offset == milliseconds(1000));
  CHECK(all.config.max_response_bytes == 8000000);
  CHECK(all.config.connz_top_n == 5);
  CHECK(all.config.log_level == "debug");
}

TEST_CASE("bad flag and environment values name the flag or the variable") {
  CHECK(
      error_of({"--scrape.timeout=10"}) ==
      "flag --scrape.timeout: scrape.timeout: \"10\" is not a valid duration: missing unit (e.g. \"10s\", \"500ms\")");
  CHECK(error_of({"--web.max-threads=0"}) == "flag --web.max-threads: web.max_threads: \"0\" is out of range (1..256)");
  CHECK(error_of({"--web.max-connections=0"}) ==
        "flag --web.max-connections: web.max_connections: \"0\" is out of range (1..65536)");
  CHECK(error_of({"--web.max-header-bytes=100"}) ==
        "flag --web.max-header-bytes: web.max_header_bytes: \"100\" is out of range (1KiB..1MiB)");
  CHECK(error_of({"--connz.top-n=many"}) == "flag --connz.top-n: connz.top_n: expected a whole number, got \"many\"");
  CHECK(error_of({}, {{"NATS_EXPORTER_SCRAPE_TIMEOUT", "abc"}}) ==
        "environment NATS_EXPORTER_SCRAPE_TIMEOUT: scrape.timeout: \"abc\" is not a valid duration: not a duration");
  CHECK(error_of({"--nats.url=ftp://x"}) ==
        "flag --nats.url: targets[0].url: \"ftp://x\" is not an http:// or https:// URL");
  CHECK(error_of({"--nats.url=http://a:1", "--nats.url=http://a:1"}) ==
        "flag --nats.url: targets[1].name: duplicate target name \"a:1\" (already used by targets[0]; set a unique "
        "name)");
  CHECK(error_of({}, {{"NATS_EXPORTER_NATS_URL", "http://ok:1 nope"}}) ==
        "environment NATS_EXPORTER_NATS_URL: targets[1].url: \"nope\" is not an http:// or https:// URL");
  CHECK(error_of({"--log.level=loud"}) ==
        "flag --log.level: log.level: \"loud\" is not a log level (debug, info, warn or error)");
  // Flags and variables are read by the same rows as the file's keys: ranges, choices and checks at once.
  CHECK(error_of({}, {{"NATS_EXPORTER_WEB_LISTEN_ADDRESS", "7777"}}) ==
        "environment NATS_EXPORTER_WEB_LISTEN_ADDRESS: web.listen_address: \"7777\" is not host:port or :port");
  CHECK(error_of({"--doctor.interval=2h"}) ==
        "flag --doctor.interval: doctor.interval: \"2h\" is out of range (0s..1h)");
  CHECK(error_of({"--scrape.timeout=0s"}) ==
        "flag --scrape.timeout: scrape.timeout: \"0s\" is out of range (must be > 0s and <= 5m)");
  CommandLine cl = parse_command_line({"--log.level= WARN "}, {{"NATS_EXPORTER_DOCTOR_INTERVAL", "90s"}});
  CHECK(cl.config.log_level == "warn");
  CHECK(cl.config.doctor.interval == milliseconds(90000));
  CHECK(cl.config.origins.at("doctor.interval") == "environment NATS_EXPORTER_DOCTOR_INTERVAL");
}

TEST_CASE("--nats.url: several targets, credentials moved out, replaces the file's targets") {
  CommandLine cl = parse_command_line({"--nats.url=http://u:p%3Aw@a:1", "--nats.url", "https://b/base/"}, {});
  REQUIRE(cl.config.targets.size() == 2);
  CHECK(cl.config.targets[0].url == "http://a:1");
  CHECK(cl.config.targets[0].name == "a:1");
  CHECK(cl.config.targets[0].username == "u");
  CHECK(cl.config.targets[0].password == "p:w");
  CHECK(cl.config.targets[1].url == "https://b/base");
  CHECK(cl.config.targets[1].name == "b:443");

  testing::TempDir dir;
  const std::string file = dir.write("c.yaml", "targets:\n  - {name: n1, url: 'http://file:8222'}\n");
  CommandLine from_file = parse_command_line({"--config.file", file}, {});
  CHECK(from_file.config_file == file);
  CHECK(from_file.config.source == file);
  REQUIRE(from_file.config.targets.size() == 1);
  CHECK(from_file.config.targets[0].name == "n1");

  CommandLine replaced = parse_command_line({"--config.file", file, "--nats.url=http://flag:8222"}, {});
  REQUIRE(replaced.config.targets.size() == 1);
  CHECK(replaced.config.targets[0].url == "http://flag:8222");
  CHECK(replaced.config.targets[0].name == "flag:8222");

  // The environment can list several, separated by spaces; flags replace them.
  CommandLine env = parse_command_line({}, {{"NATS_EXPORTER_NATS_URL", "http://e1:1  http://e2:2"}});
  REQUIRE(env.config.targets.size() == 2);
  CHECK(env.config.targets[1].url == "http://e2:2");
  CommandLine both = parse_command_line({"--nats.url=http://f:1"}, {{"NATS_EXPORTER_NATS_URL", "http://e1:1"}});
  REQUIRE(both.config.targets.size() == 1);
  CHECK(both.config.targets[0].url == "http://f:1");

  // A file without targets and no --nats.url is an error (the local default is for flags-only runs).
  const std::string no_targets = dir.write("empty.yaml", "");
  CHECK(
      error_of({"--config.file=" + no_targets}) ==
      no_targets +
          ": targets: no target and no probe configured (add targets or probes to the config file, or use --nats.url)");
  CHECK(parse_command_line({"--config.file=" + no_targets, "--nats.url=http://x:1"}, {}).config.targets.size() == 1);
  const std::string missing = dir.file("missing.yaml");
  CHECK(error_of({"--config.file=" + missing}) == missing + ": cannot read: No such file or directory");
  CHECK(error_of({}, {{"NATS_EXPORTER_CONFIG_FILE", missing}}) == missing + ": cannot read: No such file or directory");
}

TEST_CASE("precedence: defaults < file < environment < flags") {
  testing::TempDir dir;
  const std::string file = dir.write("c.yaml",
                                     "web:\n  listen_address: ':1111'\nscrape:\n  timeout: 20s\n"
                                     "targets:\n  - url: http://a:1\n");
  const Env env = {{"NATS_EXPORTER_SCRAPE_TIMEOUT", "30s"}, {"NATS_EXPORTER_CONFIG_FILE", file}};

  CHECK(parse_command_line({}, {}).config.scrape_timeout == milliseconds(10000));
  CommandLine f = parse_command_line({"--config.file=" + file}, {});
  CHECK(f.config.scrape_timeout == milliseconds(20000));
  CHECK(f.config.listen_address == ":1111");
  CommandLine e = parse_command_line({}, env);
  CHECK(e.config_file == file);
  CHECK(e.config.scrape_timeout == milliseconds(30000));
  CHECK(e.config.listen_address == ":1111");
  CommandLine all = parse_command_line({"--scrape.timeout=40s"}, env);
  CHECK(all.config.scrape_timeout == milliseconds(40000));
  CHECK(all.config.listen_address == ":1111");
  // Last flag wins.
  CHECK(parse_command_line({"--scrape.timeout=1s", "--scrape.timeout=2s"}, {}).config.scrape_timeout ==
        milliseconds(2000));
  // Origins say where the value came from.
  CHECK(all.config.origins.at("scrape.timeout") == "flag --scrape.timeout");
  CHECK(e.config.origins.at("scrape.timeout") == "environment NATS_EXPORTER_SCRAPE_TIMEOUT");
  CHECK(f.config.origins.at("scrape.timeout") == file + ":4");
  // A bad value in the file is reported at its line even when a flag overrides it later.
  CHECK(error_of({"--config.file=" + dir.write("bad.yaml", "scrape:\n  timeout: 9\n"), "--scrape.timeout=1s"}) ==
        dir.file("bad.yaml") +
            ":2: scrape.timeout: \"9\" is not a valid duration: missing unit (e.g. \"10s\", \"500ms\")");
}

TEST_CASE("collector arithmetic") {
  const Names all = default_collector_names();
  auto collectors = [](const Args& args, const Env& env = {}) {
    return parse_command_line(args, env).config.collectors;
  };
  CHECK(collectors({}) == all);
  CHECK(collectors({"--no-collector.jsz"}) == without(all, "jsz"));
  CHECK(collectors({"--no-collector.jsz", "--no-collector.connz"}) == without(without(all, "jsz"), "connz"));
  CHECK(collectors({"--collectors=varz,connz", "--collector.jsz"}) == Names{"varz", "connz", "jsz"});
  CHECK(collectors({"--collectors= varz , healthz "}) == Names{"varz", "healthz"});
  // --collectors applies first, then the toggles in order.
  CHECK(collectors({"--collector.jsz", "--collectors=varz"}) == Names{"varz", "jsz"});
  CHECK(collectors({"--collectors=varz", "--collector.jsz", "--no-collector.jsz"}) == Names{"varz"});
  CHECK(collectors({"--collectors=varz", "--no-collector.jsz", "--collector.jsz"}) == Names{"varz", "jsz"});
  CHECK(collectors({"--collectors=varz", "--collector.varz"}) == Names{"varz"});  // no duplicates
  CHECK(collectors({"--collector.varz=false"}) == without(all, "varz"));
  CHECK(collectors({"--no-collector.varz=false", "--collectors=connz"}) == Names{"connz", "varz"});
  // Removing everything leaves an explicit empty list, not the defaults.
  CHECK(collectors({"--collectors=varz", "--no-collector.varz"}).empty());

  testing::TempDir dir;
  const std::string file = dir.write("c.yaml", "collectors: [varz, healthz]\ntargets:\n  - url: http://a:1\n");
  CHECK(collectors({"--config.file=" + file}) == Names{"varz", "healthz"});
  CHECK(collectors({"--config.file=" + file, "--collector.connz"}) == Names{"varz", "healthz", "connz"});
  CHECK(collectors({"--config.file=" + file, "--no-collector.varz"}) == Names{"healthz"});
  CHECK(collectors({"--config.file=" + file, "--collectors=jsz"}) == Names{"jsz"});

  // Environment: the same operations, applied before the flags.
  CHECK(collectors({}, {{"NATS_EXPORTER_COLLECTOR_JSZ", "false"}}) == without(all, "jsz"));
  CHECK(collectors({}, {{"NATS_EXPORTER_NO_COLLECTOR_JSZ", "true"}}) == without(all, "jsz"));
  CHECK(collectors({"--collector.connz"}, {{"NATS_EXPORTER_COLLECTORS", "varz"}}) == Names{"varz", "connz"});
  CHECK(collectors({"--collectors=varz"}, {{"NATS_EXPORTER_COLLECTOR_JSZ", "true"}}) == Names{"varz"});
  CHECK(collectors({"--collectors=varz"}, {{"NATS_EXPORTER_COLLECTORS", "jsz"}}) == Names{"varz"});

  CHECK(error_of({"--collector.bogus"}) ==
        "flag --collector.bogus: unknown collector \"bogus\" (known: varz, connz, routez, gatewayz, leafz, subsz, "
        "accstatz, jsz, healthz, doctor)");
  CHECK(error_of({"--collectors=varz,conz"}) ==
        "flag --collectors: collectors[1]: unknown collector \"conz\" (did you mean \"connz\"?)");
  CHECK(
      error_of({"--config.file=" + dir.write("bad.yaml", "collectors: [varz, nope]\ntargets: [{url: 'http://a:1'}]\n"),
                "--collector.jsz"})
          .find(dir.file("bad.yaml") + ":1: collectors[1]: unknown collector \"nope\"") == 0);
}

TEST_CASE("auth and TLS flags apply to targets without their own") {
  testing::TempDir dir;
  const std::string pw = dir.write("pw", "pw-from-file\n");
  const std::string tok = dir.write("tok", "tok-from-file");
  const std::string ca = dir.write("ca.pem", "CA");

  CommandLine a = parse_command_line({"--nats.url=http://a:1", "--nats.user=u", "--nats.password-file", pw}, {});
  CHECK(a.config.targets[0].username == "u");
  CHECK(a.config.targets[0].password == "pw-from-file");

  CommandLine t = parse_command_line({"--nats.token-file=" + tok, "--nats.ca-file=" + ca}, {});
  CHECK(t.config.targets[0].bearer_token == "tok-from-file");
  CHECK(t.config.targets[0].tls.ca_file == ca);

  // URL credentials count as the target's own.
  CommandLine own = parse_command_line({"--nats.url=http://x:y@a:1", "--nats.url=http://b:1", "--nats.user=u"}, {});
  CHECK(own.config.targets[0].username == "x");
  CHECK(own.config.targets[1].username == "u");

  const std::string file = dir.write("c.yaml",
                                     "targets:\n"
                                     "  - {name: own, url: 'http://a:1', basic_auth: {username: fu, password: fp}}\n"
                                     "  - {name: own_tls, url: 'https://b:1', tls: {insecure_skip_verify: true}}\n"
                                     "  - {name: bare, url: 'http://c:1'}\n");
  CommandLine f =
      parse_command_line({"--config.file=" + file, "--nats.user=u", "--nats.password=p", "--nats.ca-file=" + ca}, {});
  CHECK(f.config.targets[0].username == "fu");
  CHECK(f.config.targets[0].password == "fp");
  CHECK(f.config.targets[0].tls.ca_file == ca);
  CHECK(f.config.targets[1].username == "u");
  CHECK(f.config.targets[1].tls.ca_file.empty());
  CHECK(f.config.targets[1].tls.insecure_skip_verify);
  CHECK(f.config.targets[2].username == "u");
  CHECK(f.config.targets[2].password == "p");
  CHECK(f.config.targets[2].tls.ca_file == ca);

  // The environment supplies secrets; a flag of the same pair overrides it.
  CommandLine e = parse_command_line({"--nats.user=u"}, {{"NATS_EXPORTER_NATS_PASSWORD", "env-pw"}});
  CHECK(e.config.targets[0].password == "env-pw");
  CommandLine ef =
      parse_command_line({"--nats.user=u", "--nats.password-file=" + pw}, {{"NATS_EXPORTER_NATS_PASSWORD", "env-pw"}});
  CHECK(ef.config.targets[0].password == "pw-from-file");
  CHECK(parse_command_line({"--nats.user=u", "--nats.password=flag-pw"}, {{"NATS_EXPORTER_NATS_PASSWORD", "env-pw"}})
            .config.targets[0]
            .password == "flag-pw");

  // Every target has its own: a warning, not an error.
  const std::string all_own = dir.write("own.yaml", "targets:\n  - {url: 'http://a:1', bearer_token: t}\n");
  CommandLine w = parse_command_line({"--config.file=" + all_own, "--nats.user=u"}, {});
  CHECK(w.config.targets[0].username.empty());
  REQUIRE(w.config.warnings.size() == 1);
  CHECK(w.config.warnings[0] == "flag --nats.user: ignored: every target has credentials of its own");

  const std::string missing = dir.file("nope");
  CHECK(error_of({"--nats.password-file=" + missing, "--nats.user=u"}) ==
        "flag --nats.password-file: cannot read \"" + missing + "\": No such file or directory");
  CHECK(error_of({"--nats.ca-file=" + missing}) ==
        "flag --nats.ca-file: cannot read \"" + missing + "\": No such file or directory");
  CHECK(error_of({"--nats.cert-file=" + ca}) ==
        "flag --nats.cert-file: targets[0].tls.cert_file: needs tls.key_file too (cert_file and key_file go together)");
  CHECK(error_of({"--nats.password=p", "--nats.password-file=" + pw}) ==
        "flag --nats.password-file: cannot be used together with --nats.password");
  CHECK(error_of({"--nats.token=t", "--nats.user=u"}) ==
        "flag --nats.token: cannot be used together with --nats.user (bearer token or basic auth, not both)");
  CHECK(error_of({"--nats.password=p"}) ==
        "flag --nats.password: targets[0].basic_auth.password: is set without basic_auth.username");
}

TEST_CASE("environment: the NATS_EXPORTER_ rule, unknown and unrelated variables") {
  const Env env = {{"PATH", "/usr/bin"},
                   {"NATS_URL", "nats://ignored:4222"},
                   {"NATS_EXPORTER_WEB_LISTEN_ADDRESS", ":9999"},
                   {"NATS_EXPORTER_WEB_TELEMETRY_PATH", "/x"},
                   {"NATS_EXPORTER_CONNZ_TOP_N", "3"},
                   {"NATS_EXPORTER_SCRAPE_MAX_RESPONSE_BYTES", "1MiB"},
                   {"NATS_EXPORTER_NATS_INSECURE_SKIP_VERIFY", "true"},
                   {"NATS_EXPORTER_LOG_LEVEL", ""},  // empty: unset
                   {"NATS_EXPORTER_NATS_PASWORD", "do-not-print-me"}};
  CommandLine cl = parse_command_line({}, env);
  CHECK(cl.config.listen_address == ":9999");
  CHECK(cl.config.metrics_path == "/x");
  CHECK(cl.config.connz_top_n == 3);
  CHECK(cl.config.max_response_bytes == 1024 * 1024);
  CHECK(cl.config.targets[0].tls.insecure_skip_verify);
  CHECK(cl.config.log_level == "info");
  REQUIRE(cl.config.warnings.size() == 1);
  CHECK(cl.config.warnings[0] ==
        "environment NATS_EXPORTER_NATS_PASWORD: unknown variable, ignored (did you mean "
        "\"NATS_EXPORTER_NATS_PASSWORD\"?)");
  CHECK(cl.config.warnings[0].find("do-not-print-me") == std::string::npos);
}

TEST_CASE("secrets never appear in command-line messages") {
  testing::TempDir dir;
  const std::string pw = dir.write("pw", "FILE-SECRET-2\n");
  const std::vector<std::pair<Args, Env>> cases = {
      {{"--nats.url=ftp://u:URL-SECRET-2@x"}, {}},
      {{"--nats.url=http://u:URL-SECRET-2@x:0"}, {}},
      {{"--nats.url=http://u:URL-SECRET-2@x:1/a?b"}, {}},
      {{"--nats.token=TOKEN-SECRET-2", "--nats.user=u", "--nats.password=PASS-SECRET-2"}, {}},
      {{"--nats.password=PASS-SECRET-2", "--nats.password-file=" + pw}, {}},
      {{"--nats.password=PASS-SECRET-2"}, {}},
      {{"--nats.pasword=PASS-SECRET-2"}, {}},
      {{"--nats.token=TOKEN-SECRET-2", "--nats.token-file=" + pw}, {}},
      {{"--nats.user=u", "--nats.token-file=" + pw}, {}},
      {{"--nats.user=u"}, {{"NATS_EXPORTER_NATS_TOKEN", "TOKEN-SECRET-2"}}},
      {{}, {{"NATS_EXPORTER_NATS_URL", "ftp://u:URL-SECRET-2@x"}}},
  };
  for (const auto& [args_binding, env] : cases) {
    const Args& args = args_binding;  // CAPTURE's lambda may not name a structured binding (clang)
    CAPTURE(args.size());
    const std::string m = error_of(args, env);
    CHECK(m != "(no error)");
    CHECK(m.find("SECRET") == std::string::npos);
  }
}

TEST_CASE("usage text documents every flag, its default and the environment rule") {
  const std::string u = usage_text();
  for (const char* flag : {"--config.file",
                           "--web.listen-address",
                           "--web.telemetry-path",
                           "--web.max-threads",
                           "--nats.url",
                           "--nats.user",
                           "--web.max-header-bytes",
                           "--web.max-connections",
                           "--web.max-request-bytes",
                           "--nats.password",
                           "--nats.password-file",
                           "--nats.token",
                           "--nats.token-file",
                           "--nats.ca-file",
                           "--nats.cert-file",
                           "--nats.key-file",
                           "--nats.insecure-skip-verify",
                           "--collectors",
                           "--collector.NAME",
                           "--no-collector.NAME",
                           "--scrape.timeout",
                           "--scrape.timeout-offset",
                           "--scrape.max-response-bytes",
                           "--connz.top-n",
                           "--log.level",
                           "check-config",
                           "--help",
                           "--version"}) {
    CAPTURE(flag);
    CHECK(u.find(flag) != std::string::npos);
  }
  CHECK(u.find("default: :7777; environment: NATS_EXPORTER_WEB_LISTEN_ADDRESS") != std::string::npos);
  CHECK(u.find("default: 10s; environment: NATS_EXPORTER_SCRAPE_TIMEOUT") != std::string::npos);
  CHECK(u.find("default: 32MiB; environment: NATS_EXPORTER_SCRAPE_MAX_RESPONSE_BYTES") != std::string::npos);
  CHECK(u.find("default: http://127.0.0.1:8222") != std::string::npos);
  CHECK(u.find("NATS_EXPORTER_NATS_PASSWORD") != std::string::npos);
  CHECK(u.find("Precedence: built-in defaults < config\nfile < environment < flags") != std::string::npos);
}
