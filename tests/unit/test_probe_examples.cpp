// The shipped probe examples (config/examples/probe-*.yaml) load and validate as whole configs.
#include <doctest/doctest.h>

#include <string>

#include "collectors/collector.h"
#include "config/load.h"

using namespace natsexp;

// The registry's collector names, which config/ takes as a parameter.
static const CollectorCatalog kCollectors{collector_names(), default_collector_names()};

namespace {

Config load_example(const std::string& name) {
  Config c = load_config_file(std::string(NATSEXP_SOURCE_DIR) + "/config/examples/" + name);
  c = validate_config(c, kCollectors);
  return c;
}

}  // namespace

TEST_CASE("probe examples: one per kind, against the local server") {
  Config rtt = load_example("probe-nats-rtt.yaml");
  REQUIRE(rtt.probes.size() == 1);
  CHECK(rtt.probes[0].name == "nats-rtt");
  CHECK(rtt.probes[0].kind == ProbeKind::request);
  CHECK(rtt.probes[0].responder_enabled);
  CHECK(rtt.probes[0].servers == std::vector<std::string>{"nats://127.0.0.1:4222"});
  CHECK(rtt.targets.at(0).url == "http://127.0.0.1:8222");

  Config svc = load_example("probe-service.yaml");
  REQUIRE(svc.probes.size() == 1);
  CHECK(svc.probes[0].kind == ProbeKind::request);
  CHECK(svc.probes[0].subject == "$SRV.PING.orders");
  CHECK_FALSE(svc.probes[0].responder_enabled);
  CHECK(svc.probes[0].size == 0);

  Config js = load_example("probe-jetstream-publish.yaml");
  REQUIRE(js.probes.size() == 1);
  CHECK(js.probes[0].kind == ProbeKind::jetstream_publish);
  CHECK(js.probes[0].subject == "probe.js.write");

  Config watch = load_example("probe-consumer-watch.yaml");
  REQUIRE(watch.probes.size() == 1);
  CHECK(watch.probes[0].kind == ProbeKind::consumer_watch);
  CHECK(watch.probes[0].stream == "ORDERS");
  CHECK(watch.probes[0].consumer == "processor");
  CHECK(watch.probes[0].servers == std::vector<std::string>{"nats://127.0.0.1:4222"});
  CHECK(watch.targets.at(0).url == "http://127.0.0.1:8222");
}

TEST_CASE("probe config errors surface through the config file loader with file and line") {
  try {
    load_config_yaml(
        "targets:\n  - url: http://127.0.0.1:8222\nprobes:\n  - name: a\n    kind: request\n    tiemout: 1s\n",
        "exporter.yaml");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "exporter.yaml:6: probes[0].tiemout: unknown key (did you mean \"timeout\"?)");
  }
}
