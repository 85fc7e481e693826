// Observations: the parsers of service latency, ack samples and advisories on the real 2.9.10
// captures (tests/fixtures/nats-server-2.9.10/system-and-events/), the state (only status 200 in
// the histograms, bounded cardinality), the metric families, and the `observations:` config.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <stdlib.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "collectors/collector.h"
#include "collectors/doctor/checks.h"
#include "collectors/doctor/observation_checks.h"
#include "collectors/observations/events.h"
#include "collectors/observations/manager.h"
#include "collectors/observations/state.h"
#include "config/load.h"
#include "config/observation_config.h"
#include "config/reader.h"

using namespace natsexp;

// The registry's collector names, which config/ takes as a parameter.
static const CollectorCatalog kCollectors{collector_names(), default_collector_names()};
using namespace natsexp::observations;

namespace {

struct Capture {
  std::string subject;
  std::string payload;
};

Capture capture(const std::string& name) {
  std::ifstream in(std::string(NATSEXP_FIXTURES_DIR) + "/system-and-events/" + name);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = nlohmann::json::parse(ss.str());
  return {doc["subject"].get<std::string>(), doc["payload"].dump()};
}

ServiceLatencySample latency(const std::string& name) {
  auto c = capture(name);
  std::string error;
  auto s = parse_service_latency(c.subject, c.payload, &error);
  REQUIRE_MESSAGE(s.has_value(), error);
  return *s;
}

JetStreamEvent event(const std::string& name) {
  auto c = capture(name);
  std::string error;
  auto e = parse_jetstream_event(c.subject, c.payload, &error);
  REQUIRE_MESSAGE(e.has_value(), error);
  return *e;
}

ObservationConfig config_of(ObservationKind kind) {
  ObservationConfig c;
  c.name = "obs";
  c.kind = kind;
  c.subject = "latency.svc.>";
  return c;
}

std::vector<ObservationConfig> parse(const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  YAML::Node root = YAML::Load(yaml);
  Reader r("obs.yaml", &env);
  auto list = read_observations(r, root["observations"]);
  r.throw_if_any();
  return list;
}

std::string error_of(const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  try {
    parse(yaml, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("service latency: a status 200 capture, its parts add up to the total") {
  auto s = latency("a_service_latency_00_latency_svc_echo.json");
  CHECK(s.subject == "latency.svc.echo");
  CHECK(s.status == 200);
  CHECK(s.responder == "echo-responder");
  CHECK(s.has_requestor_rtt);
  CHECK(s.has_responder_rtt);
  CHECK(s.requestor_rtt == doctest::Approx(723813e-9));
  CHECK(s.responder_rtt == doctest::Approx(356650e-9));
  CHECK(s.service == doctest::Approx(5633174e-9));
  CHECK(s.system == doctest::Approx(4598e-9));
  CHECK(s.total == doctest::Approx(6718235e-9));
  CHECK(s.requestor_rtt + s.responder_rtt + s.service + s.system == doctest::Approx(s.total).epsilon(1e-12));
  for (const char* f : {"a_service_latency_01_latency_svc_noshare.json", "a_service_latency_02_latency_svc_hdr.json",
                        "a_service_latency_03_latency_svc_hdr.json"}) {
    auto t = latency(f);
    CHECK(t.status == 200);
    CHECK(t.requestor_rtt + t.responder_rtt + t.service + t.system == doctest::Approx(t.total).epsilon(1e-12));
  }
}

TEST_CASE("service latency: without share the requestor still has its rtt") {
  auto s = latency("a_service_latency_01_latency_svc_noshare.json");
  CHECK(s.has_requestor_rtt);
  CHECK(s.requestor_rtt == doctest::Approx(723813e-9));
  CHECK(s.responder == "echo-responder");
}

TEST_CASE("service latency: failures carry zeros and no responder") {
  for (auto [file, status] : {std::pair<const char*, int>{"a_service_latency_04_latency_svc_down.json", 503},
                              {"a_service_latency_05_latency_svc_echo.json", 408},
                              {"a_service_latency_06_latency_svc_thr.json", 504}}) {
    auto s = latency(file);
    CHECK(s.status == status);
    CHECK(s.total == 0);
    CHECK(s.responder.empty());
    CHECK_FALSE(s.has_responder_rtt);
  }
}

TEST_CASE("service latency: bad messages are parse errors with a reason") {
  std::string error;
  CHECK_FALSE(parse_service_latency("x", "not json", &error));
  CHECK(error == "not JSON");
  CHECK_FALSE(parse_service_latency("x", "[1]", &error));
  CHECK_FALSE(parse_service_latency("x", "{\"total\": 5}", &error));
  CHECK(error == "no status (or not a status code)");
  CHECK_FALSE(parse_service_latency("x", "{\"status\": 1e300}", &error));
  CHECK_FALSE(parse_service_latency("x", "{\"status\": 200}", &error));
  CHECK_FALSE(parse_service_latency("x", "{\"type\": \"io.nats.jetstream.advisory.v1.nak\", \"status\": 200}", &error));
  // Unknown fields (later servers add nonce, reply) are ignored; wrong types count as absent.
  auto s = parse_service_latency(
      "x", R"({"status": 200, "total": 1000, "service": "x", "requestor": {"rtt": 10, "nonce": "n"}, "reply": "r"})",
      &error);
  REQUIRE(s);
  CHECK(s->total == doctest::Approx(1e-6));
  CHECK(s->service == 0);
  CHECK(s->has_requestor_rtt);
  CHECK_FALSE(s->has_responder_rtt);
}

TEST_CASE("jetstream events: ack samples and consumer advisories from the captures") {
  auto ack = event("b_ack_metric_00.json");
  CHECK(ack.kind == JetStreamEventKind::ack_sample);
  CHECK(ack.stream == "ORDERS");
  CHECK(ack.consumer == "PROC");
  CHECK(ack.ack_time == doctest::Approx(25785250e-9));
  CHECK(ack.deliveries == 1);
  auto again = event("b_ack_metric_01.json");
  CHECK(again.kind == JetStreamEventKind::ack_sample);
  CHECK(again.deliveries == 2);

  auto nak = event("b_advisory_10_nak.json");
  CHECK(nak.kind == JetStreamEventKind::nak);
  CHECK(nak.consumer == "PROC");
  CHECK(event("b_advisory_11_terminated.json").kind == JetStreamEventKind::terminated);
  auto maxd = event("b_advisory_15_max_deliver.json");
  CHECK(maxd.kind == JetStreamEventKind::max_deliveries);
  CHECK(maxd.stream == "ORDERS");
  CHECK(maxd.consumer == "MAXD");
  CHECK(event("b_advisory_00_consumer_action.json").kind == JetStreamEventKind::other_known);
  CHECK(event("b_advisory_02_stream_action.json").kind == JetStreamEventKind::other_known);
}

TEST_CASE("jetstream events: API audit, with and without an error") {
  auto ok = event("b_advisory_03_api_audit.json");
  CHECK(ok.kind == JetStreamEventKind::api_audit);
  CHECK(ok.api == "$JS.API.STREAM.DELETE.*");
  CHECK_FALSE(ok.api_error);
  // The error shape of a 2.9.10 API response (the integration test sees a real one).
  const std::string payload =
      nlohmann::json{
          {"type", "io.nats.jetstream.advisory.v1.api_audit"},
          {"subject", "$JS.API.CONSUMER.INFO.ORDERS.NOPE"},
          {"response",
           R"({"type":"io.nats.jetstream.api.v1.consumer_info_response","error":{"code":404,"err_code":10014,"description":"consumer not found"}})"}}
          .dump();
  auto bad = parse_jetstream_event("$JS.EVENT.ADVISORY.API", payload);
  REQUIRE(bad);
  CHECK(bad->api_error);
  CHECK(bad->api_error_code == 404);
  CHECK(bad->api == "$JS.API.CONSUMER.INFO.*.*");
}

TEST_CASE("jetstream events: leader elections, quorum losses, unknown types, garbage") {
  auto le = parse_jetstream_event("$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.S",
                                  R"({"type":"io.nats.jetstream.advisory.v1.stream_leader_elected","stream":"S"})");
  REQUIRE(le);
  CHECK(le->kind == JetStreamEventKind::leader_elected);
  CHECK(le->target == "stream");
  auto ql = parse_jetstream_event("$JS.EVENT.ADVISORY.CONSUMER.QUORUM_LOST.S.C",
                                  R"({"type":"io.nats.jetstream.advisory.v1.consumer_quorum_lost"})");
  REQUIRE(ql);
  CHECK(ql->kind == JetStreamEventKind::quorum_lost);
  CHECK(ql->target == "consumer");
  auto newer = parse_jetstream_event("$JS.EVENT.ADVISORY.CONSUMER.PAUSED.S.C",
                                     R"({"type":"io.nats.jetstream.advisory.v1.consumer_pause","paused":true})");
  REQUIRE(newer);
  CHECK(newer->kind == JetStreamEventKind::unknown);
  std::string error;
  CHECK_FALSE(parse_jetstream_event("x", "{", &error));
  CHECK_FALSE(parse_jetstream_event("x", "{}", &error));
  CHECK(error == "no type");
  CHECK_FALSE(
      parse_jetstream_event("x", R"({"type":"io.nats.jetstream.metric.v1.consumer_ack","stream":"S"})", &error));
}

TEST_CASE("API subjects fold names out") {
  CHECK(fold_api_subject("$JS.API.INFO") == "$JS.API.INFO");
  CHECK(fold_api_subject("$JS.API.STREAM.CREATE.ORDERS") == "$JS.API.STREAM.CREATE.*");
  CHECK(fold_api_subject("$JS.API.STREAM.NAMES") == "$JS.API.STREAM.NAMES");
  CHECK(fold_api_subject("$JS.API.STREAM.MSG.GET.ORDERS") == "$JS.API.STREAM.MSG.GET.*");
  CHECK(fold_api_subject("$JS.API.CONSUMER.INFO.ORDERS.PROC") == "$JS.API.CONSUMER.INFO.*.*");
  CHECK(fold_api_subject("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.MAXD") == "$JS.API.CONSUMER.DURABLE.CREATE.*.*");
  CHECK(fold_api_subject("$JS.API.CONSUMER.CREATE.ORDERS.C.orders.new") == "$JS.API.CONSUMER.CREATE.*.*.>");
  CHECK(fold_api_subject("$JS.API.CONSUMER.MSG.NEXT.ORDERS.PROC") == "$JS.API.CONSUMER.MSG.NEXT.*.*");
  CHECK(fold_api_subject("$JS.API.DIRECT.GET.KV_x.$KV.x.key") == "$JS.API.DIRECT.GET.*.*.>");
  CHECK(fold_api_subject("$JS.hub.API.STREAM.INFO.S") == "$JS.*.API.STREAM.INFO.*");
  CHECK(fold_api_subject("$JS.API.SOMETHING.NEW.X") == "other");
  CHECK(fold_api_subject("orders.new") == "other");
  CHECK(fold_api_subject("") == "other");
}

TEST_CASE("state: only status 200 feeds the histograms; every status is counted") {
  ObservationState st(config_of(ObservationKind::service_latency));
  for (const char* f : {"a_service_latency_00_latency_svc_echo.json", "a_service_latency_05_latency_svc_echo.json",
                        "a_service_latency_04_latency_svc_down.json", "a_service_latency_06_latency_svc_thr.json"})
    st.add(latency(f));
  const auto& snap = st.snapshot();
  CHECK(snap.messages == 4);
  const auto& echo = snap.services.at("latency.svc.echo");
  CHECK(echo.statuses.at(200) == 1);
  CHECK(echo.statuses.at(408) == 1);
  CHECK(echo.all.total.count() == 1);
  CHECK(echo.by_responder.at("echo-responder").total.count() == 1);
  CHECK(echo.all.nats.sum() == doctest::Approx((723813 + 356650 + 4598) * 1e-9));
  CHECK(snap.services.at("latency.svc.down").statuses.at(503) == 1);
  CHECK(snap.services.at("latency.svc.down").all.total.count() == 0);
  CHECK(snap.services.at("latency.svc.down").by_responder.empty());
  CHECK(snap.services.at("latency.svc.thr").statuses.at(504) == 1);

  MetricSet out;
  add_observation_metrics({snap}, out);
  CHECK(out.value("nats_service_latency_messages_total", {{"service", "latency.svc.echo"}, {"status", "200"}}) == 1);
  CHECK(out.value("nats_service_latency_messages_total", {{"service", "latency.svc.echo"}, {"status", "503"}}) == 0);
  CHECK(out.value("nats_service_latency_messages_total", {{"service", "latency.svc.down"}, {"status", "503"}}) == 1);
  CHECK(out.value("nats_service_latency_messages_total", {{"service", "latency.svc.thr"}, {"status", "504"}}) == 1);
  // One histogram series per (service, responder) seen with a 200: the failures add none.
  CHECK(out.count("nats_service_latency_seconds") == 1);
  CHECK(out.count("nats_service_latency_service_seconds") == 1);
  CHECK(out.value("nats_observation_messages_total", {{"observation", "obs"}}) == 4);
}

TEST_CASE("state: services and responders are bounded, the rest is other") {
  auto cfg = config_of(ObservationKind::service_latency);
  cfg.max_services = 2;
  cfg.max_responders = 2;
  ObservationState st(cfg);
  auto base = latency("a_service_latency_00_latency_svc_echo.json");
  for (int svc = 0; svc < 4; ++svc)
    for (int r = 0; r < 4; ++r) {
      auto s = base;
      s.subject = "latency.s" + std::to_string(svc);
      s.responder = "r" + std::to_string(r);
      st.add(s);
    }
  const auto& snap = st.snapshot();
  CHECK(snap.services.size() == 3);
  CHECK(snap.services.count("latency.s0") == 1);
  CHECK(snap.services.count("latency.s1") == 1);
  CHECK(snap.services.at("other").statuses.at(200) == 8);
  const auto& s0 = snap.services.at("latency.s0");
  CHECK(s0.by_responder.size() == 3);
  CHECK(s0.by_responder.at("other").total.count() == 2);
  CHECK(s0.all.total.count() == 4);
  auto noname = base;
  noname.subject = "latency.s0";
  noname.responder = "";
  st.add(noname);
  CHECK(st.snapshot().services.at("latency.s0").by_responder.at("other").total.count() == 3);
}

TEST_CASE("state: jetstream events per consumer, bounded; metrics") {
  auto cfg = config_of(ObservationKind::jetstream_events);
  cfg.max_consumers = 2;
  ObservationState st(cfg);
  st.add(event("b_ack_metric_00.json"));
  st.add(event("b_ack_metric_01.json"));
  st.add(event("b_advisory_10_nak.json"));
  st.add(event("b_advisory_11_terminated.json"));
  st.add(event("b_advisory_15_max_deliver.json"));
  st.add(event("b_advisory_03_api_audit.json"));
  st.add(event("b_advisory_00_consumer_action.json"));
  auto third = event("b_advisory_10_nak.json");
  third.consumer = "THIRD";
  st.add(third);
  st.add(*parse_jetstream_event("x", R"({"type":"io.nats.jetstream.advisory.v1.consumer_pause"})"));
  st.add_parse_error();
  const auto& snap = st.snapshot();
  const auto& proc = snap.consumers.at({"ORDERS", "PROC"});
  CHECK(proc.ack_time.count() == 2);
  CHECK(proc.deliveries.sum() == 3);
  CHECK(proc.naks == 1);
  CHECK(proc.terminations == 1);
  CHECK(snap.consumers.at({"ORDERS", "MAXD"}).max_deliveries == 1);
  CHECK(snap.consumers.at({"other", "other"}).naks == 1);

  MetricSet out;
  add_observation_metrics({snap}, out);
  const Labels proc_l = {{"stream", "ORDERS"}, {"consumer", "PROC"}};
  CHECK(out.value("nats_jetstream_ack_time_seconds", proc_l).value_or(-1) == 2);  // a histogram: its count
  CHECK(out.value("nats_jetstream_naks_total", proc_l) == 1);
  CHECK(out.value("nats_jetstream_terminations_total", proc_l) == 1);
  CHECK(out.value("nats_jetstream_max_deliveries_exceeded_total", {{"stream", "ORDERS"}, {"consumer", "MAXD"}}) == 1);
  CHECK(out.value("nats_jetstream_api_audit_requests_total") == 1);
  CHECK(out.count("nats_jetstream_api_audit_errors_total") == 0);
  CHECK(out.value("nats_jetstream_unknown_advisories_total") == 1);
  CHECK(out.value("nats_jetstream_advisories_total", {{"kind", "nak"}}) == 2);
  CHECK(out.value("nats_jetstream_advisories_total", {{"kind", "other"}}) == 1);
  CHECK(out.value("nats_jetstream_leader_elections_total", {{"target", "stream"}}) == 0);
  CHECK(out.value("nats_observation_parse_errors_total") == 1);
}

// --- config ---------------------------------------------------------------------------------

TEST_CASE("observations config: both kinds, defaults, the probe's connection keys") {
  auto list = parse(R"(
observations:
  - name: payments
    kind: service-latency
    subject: latency.svc.>
    servers: [nats://svc:pw@127.0.0.1:4222]
  - name: app-js
    kind: jetstream-events
    servers: nats://127.0.0.1:4223
    connection: {name: js-watch, token_env: TOK}
    buckets: [1ms, 10ms, 100ms]
    max_consumers: 5
)",
                    {{"TOK", "s3cret"}});
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "payments");
  CHECK(list[0].kind == ObservationKind::service_latency);
  CHECK(list[0].subject == "latency.svc.>");
  CHECK(list[0].servers == std::vector<std::string>{"nats://127.0.0.1:4222"});  // credentials moved out
  CHECK(list[0].connection.auth.user == "svc");
  CHECK(list[0].connection.auth.password == "pw");
  CHECK(list[0].connection.name == "nats-exporter-observation");
  CHECK(list[0].buckets == default_probe_buckets());
  CHECK(list[0].max_responders == 10);
  CHECK(list[0].origin == "obs.yaml:3");
  CHECK(list[1].kind == ObservationKind::jetstream_events);
  CHECK(list[1].connection.name == "js-watch");
  CHECK(list[1].connection.auth.token == "s3cret");
  CHECK(list[1].buckets == std::vector<double>{1e-3, 10e-3, 100e-3});
  CHECK(list[1].max_consumers == 5);
  CHECK(same_observation_config(list[0], list[0]));
  CHECK_FALSE(same_observation_config(list[0], list[1]));
  auto changed = list[1];
  changed.connection.auth.token = "other";
  CHECK_FALSE(same_observation_config(list[1], changed));
}

TEST_CASE("observations config: errors name file:line: observations[i].key, never the secret") {
  CHECK(error_of("observations:\n  - name: a\n    kind: service-latency\n") ==
        "obs.yaml:2: observations[0].subject: is required for kind service-latency (the exports' latency subjects, "
        "e.g. latency.svc.>)");
  CHECK(error_of("observations:\n  - name: a\n    kind: latency\n")
            .find("obs.yaml:3: observations[0].kind: \"latency\" is not an observation kind (service-latency or "
                  "jetstream-events)") == 0);
  CHECK(error_of("observations:\n  - kind: jetstream-events\n") == "obs.yaml:2: observations[0].name: is required");
  CHECK(error_of("observations:\n  - name: a\n    kind: jetstream-events\n    subject: x\n") ==
        "obs.yaml:4: observations[0].subject: is not used by kind jetstream-events");
  CHECK(error_of("observations:\n  - name: a\n    kind: jetstream-events\n    intervl: 1s\n")
            .find("obs.yaml:4: observations[0].intervl: unknown key") == 0);
  CHECK(error_of("observations:\n  - name: a\n    kind: service-latency\n    subject: a.>.b\n") ==
        "obs.yaml:4: observations[0].subject: \"a.>.b\": \">\" must be the last token");
  CHECK(error_of("observations:\n  - {name: a, kind: jetstream-events}\n  - {name: a, kind: jetstream-events}\n") ==
        "obs.yaml:3: observations[1].name: duplicate observation name \"a\" (already used by observations[0])");
  CHECK(error_of("observations:\n  - name: a\n    kind: jetstream-events\n    max_consumers: 0\n") ==
        "obs.yaml:4: observations[0].max_consumers: \"0\" is out of range (1..100000)");
  // The connection is the probe's: same keys, same messages.
  const std::string missing_env = error_of(
      "observations:\n  - name: a\n    kind: jetstream-events\n    connection:\n      user: u\n      password_env: "
      "NOPE\n");
  CHECK(missing_env == "obs.yaml:6: observations[0].connection.password_env: environment variable \"NOPE\" is not set");
  const std::string bad_url =
      error_of("observations:\n  - name: a\n    kind: jetstream-events\n    servers: [http://u:hunter2@h:4222]\n");
  CHECK(bad_url.find("obs.yaml:4: observations[0].servers[0]:") == 0);
  CHECK(bad_url.find("hunter2") == std::string::npos);
  CHECK(error_of("observations:\n  - name: a\n    kind: jetstream-events\n    connection: {tokn: x}\n")
            .find("obs.yaml:4: observations[0].connection.tokn: unknown key") == 0);
  CHECK(error_of("observations: {name: a}\n") ==
        "obs.yaml:1: observations: expected a list of observations, got a map");
}

TEST_CASE("observations config: part of the whole config file") {
  YAML::Node none;
  Reader r("x.yaml");
  CHECK(read_observations(r, none).empty());
  CHECK(r.problems().empty());
}

// --- doctor checks -----------------------------------------------------------------------------

namespace {

ServiceLatencySample sample(const std::string& subject, double requestor_rtt, double responder_rtt, double service,
                            double system, int status = 200) {
  ServiceLatencySample s;
  s.subject = subject;
  s.status = status;
  s.responder = "r";
  s.requestor_rtt = requestor_rtt;
  s.responder_rtt = responder_rtt;
  s.has_requestor_rtt = s.has_responder_rtt = true;
  s.service = service;
  s.system = system;
  s.total = status == 200 ? requestor_rtt + responder_rtt + service + system : 0;
  return s;
}

const doctor::CheckResult& result(const std::vector<doctor::CheckResult>& all, const std::string& id) {
  for (const auto& r : all)
    if (r.id == id) return r;
  FAIL("no result " << id);
  return all.front();
}

}  // namespace

TEST_CASE("doctor: the verdict names the service when its processing dominates, NATS when RTTs do") {
  DoctorConfig cfg;
  cfg.service_latency.p99_seconds = 0.005;
  ObservationState st(config_of(ObservationKind::service_latency));
  for (int i = 0; i < 30; ++i) {
    st.add(sample("latency.svc.slow", 300e-6, 200e-6, 0.020, 10e-6));  // a handler sleeping 20 ms
    st.add(sample("latency.svc.far", 0.050, 200e-6, 100e-6, 10e-6));   // a requestor 50 ms away
    st.add(sample("latency.svc.fast", 100e-6, 80e-6, 50e-6, 5e-6));    // all fine
  }
  ObservationBaseline next;
  auto results = evaluate_observations({st.snapshot()}, nullptr, 10, cfg, next);
  const auto& r = result(results, "service-latency");
  CHECK(r.status == doctor::Status::finding);
  CHECK(r.affected == 2);
  REQUIRE(r.evidence.size() == 2);
  std::string all;
  for (const auto& e : r.evidence) all += e + "\n";
  CHECK(all.find("\"latency.svc.slow\"") != std::string::npos);
  CHECK(all.find("\"latency.svc.far\"") != std::string::npos);
  for (const auto& e : r.evidence) {
    if (e.find("svc.slow") != std::string::npos) CHECK(e.find("the service is the cause") != std::string::npos);
    if (e.find("svc.far") != std::string::npos) CHECK(e.find("NATS is the cause") != std::string::npos);
  }
  auto far = service_verdict("latency.svc.far", st.snapshot().services.at("latency.svc.far"), nullptr, 20, 0.5);
  REQUIRE(far);
  CHECK(far->nats);
  CHECK(far->share_p99 > 0.9);
  CHECK(far->samples == 30);
  auto slow = service_verdict("latency.svc.slow", st.snapshot().services.at("latency.svc.slow"), nullptr, 20, 0.5);
  REQUIRE(slow);
  CHECK_FALSE(slow->nats);
  CHECK(slow->share_p99 < 0.1);
  CHECK(slow->p99 > 0.010);

  // The next evaluation judges only what came since: nothing new, nothing judged.
  ObservationBaseline after;
  auto again = evaluate_observations({st.snapshot()}, &next, 20, cfg, after);
  CHECK(result(again, "service-latency").status == doctor::Status::skipped);
  for (int i = 0; i < 25; ++i) st.add(sample("latency.svc.slow", 300e-6, 200e-6, 0.001, 10e-6));
  ObservationBaseline third;
  auto later = evaluate_observations({st.snapshot()}, &after, 30, cfg, third);
  CHECK(result(later, "service-latency").status == doctor::Status::passed);
  CHECK(result(later, "service-latency").summary.find("1 service within the p99 SLO of 5ms in the last 10s") == 0);
}

TEST_CASE("doctor: 503s, 504s, silence") {
  DoctorConfig cfg;
  ObservationState st(config_of(ObservationKind::service_latency));
  st.snapshot().connected = true;
  ObservationBaseline first;
  auto r1 = evaluate_observations({st.snapshot()}, nullptr, 1, cfg, first);
  CHECK(result(r1, "latency-tracking-silent").status == doctor::Status::skipped);
  ObservationBaseline second;
  auto r2 = evaluate_observations({st.snapshot()}, &first, 2, cfg, second);
  CHECK(result(r2, "latency-tracking-silent").status == doctor::Status::finding);
  CHECK(result(r2, "latency-tracking-silent").evidence.at(0).find("\"latency.svc.>\"") != std::string::npos);
  st.add(latency("a_service_latency_04_latency_svc_down.json"));
  st.add(latency("a_service_latency_06_latency_svc_thr.json"));
  ObservationBaseline third;
  auto r3 = evaluate_observations({st.snapshot()}, &second, 3, cfg, third);
  CHECK(result(r3, "latency-tracking-silent").status == doctor::Status::passed);
  CHECK(result(r3, "service-unavailable").status == doctor::Status::finding);
  CHECK(result(r3, "service-unavailable").severity == DoctorSeverity::critical);
  CHECK(result(r3, "service-unavailable").evidence.at(0) ==
        "\"latency.svc.down\": 1 requests without a responder (503) in the last 1s");
  CHECK(result(r3, "service-timeouts").status == doctor::Status::finding);
  CHECK(result(r3, "service-timeouts").evidence.at(0).find("\"latency.svc.thr\": 1 replies too late (504)") == 0);
  ObservationBaseline fourth;
  auto r4 = evaluate_observations({st.snapshot()}, &third, 4, cfg, fourth);
  CHECK(result(r4, "service-unavailable").status == doctor::Status::passed);
  CHECK(result(r4, "service-timeouts").status == doctor::Status::passed);
  // JetStream checks without a jetstream-events observation: skipped with the reason.
  CHECK(result(r4, "max-deliveries-exceeded").summary.find("no jetstream-events observation") == 0);
}

TEST_CASE("doctor: max deliveries and a rising ack time") {
  DoctorConfig cfg;
  ObservationState st(config_of(ObservationKind::jetstream_events));
  auto ack = event("b_ack_metric_00.json");
  for (int i = 0; i < 20; ++i) {
    ack.ack_time = 0.002;
    st.add(ack);
  }
  ObservationBaseline first;
  auto r1 = evaluate_observations({st.snapshot()}, nullptr, 1, cfg, first);
  CHECK(result(r1, "ack-time-rising").status == doctor::Status::skipped);
  CHECK(result(r1, "max-deliveries-exceeded").status == doctor::Status::passed);
  for (int i = 0; i < 20; ++i) {
    ack.ack_time = 0.020;
    st.add(ack);
  }
  st.add(event("b_advisory_15_max_deliver.json"));
  ObservationBaseline second;
  auto r2 = evaluate_observations({st.snapshot()}, &first, 2, cfg, second);
  const auto& rising = result(r2, "ack-time-rising");
  CHECK(rising.status == doctor::Status::finding);
  CHECK(rising.evidence.at(0).find("consumer \"PROC\" of stream \"ORDERS\": ack time p99 2.") == 0);
  const auto& maxd = result(r2, "max-deliveries-exceeded");
  CHECK(maxd.status == doctor::Status::finding);
  CHECK(maxd.evidence.at(0) == "consumer \"MAXD\" of stream \"ORDERS\": 1 message reached max_deliver in the last 1s");
  for (int i = 0; i < 20; ++i) st.add(ack);  // steady at 20 ms
  ObservationBaseline third;
  auto r3 = evaluate_observations({st.snapshot()}, &second, 3, cfg, third);
  CHECK(result(r3, "ack-time-rising").status == doctor::Status::passed);
  CHECK(result(r3, "max-deliveries-exceeded").status == doctor::Status::passed);
}

TEST_CASE("doctor: sample_freq on a consumer that does not ack explicitly") {
  DoctorConfig cfg;
  doctor::ServerEvidence e;
  e.varz.server_name = "n1";
  e.consumers = std::vector<doctor::ConsumerEvidence>{};
  doctor::ConsumerEvidence explicit_ack, all_ack, plain;
  explicit_ack.account = all_ack.account = plain.account = "APP";
  explicit_ack.stream = all_ack.stream = plain.stream = "ORDERS";
  explicit_ack.name = "PROC";
  explicit_ack.ack_policy = "explicit";
  explicit_ack.sample_freq = "100%";
  all_ack.name = "ALLACK";
  all_ack.ack_policy = "all";
  all_ack.sample_freq = "100%";
  plain.name = "PLAIN";
  plain.ack_policy = "none";
  e.consumers->push_back(explicit_ack);
  e.consumers->push_back(plain);
  auto ok = doctor::check_ack_sampling_ignored(e, cfg);
  CHECK(ok.status == doctor::Status::passed);
  CHECK(ok.summary == "1 consumer samples ack times, all with ack_policy explicit");
  e.consumers->push_back(all_ack);
  auto bad = doctor::check_ack_sampling_ignored(e, cfg);
  CHECK(bad.status == doctor::Status::finding);
  CHECK(bad.affected == 1);
  CHECK(bad.evidence.at(0) ==
        "consumer \"ALLACK\" of stream \"ORDERS\" (account APP): sample_freq 100% with ack_policy all");
}

TEST_CASE("observations example: loads and validates as a whole config") {
  ::setenv("NATS_SVC_PASSWORD", "example-svc-pw", 1);
  ::setenv("NATS_APP_PASSWORD", "example-app-pw", 1);
  Config c = load_config_file(std::string(NATSEXP_SOURCE_DIR) + "/config/examples/observations.yaml");
  c = validate_config(c, kCollectors);
  REQUIRE(c.observations.size() == 2);
  CHECK(c.observations[0].kind == ObservationKind::service_latency);
  CHECK(c.observations[0].connection.auth.password == "example-svc-pw");
  CHECK(c.observations[0].connection.name == "nats-exporter-latency");
  CHECK(c.observations[1].kind == ObservationKind::jetstream_events);
  CHECK(c.observations[1].max_consumers == 200);
  CHECK(c.doctor.service_latency.min_samples == 20);
  ::unsetenv("NATS_SVC_PASSWORD");
  ::unsetenv("NATS_APP_PASSWORD");
}

TEST_CASE("parsers: mutated and truncated captures never throw") {
  std::vector<Capture> all;
  for (const char* f : {"a_service_latency_00_latency_svc_echo.json", "a_service_latency_04_latency_svc_down.json",
                        "b_ack_metric_01.json", "b_advisory_03_api_audit.json", "b_advisory_15_max_deliver.json"})
    all.push_back(capture(f));
  std::uint32_t seed = 20261130;
  auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
  std::size_t parsed = 0;
  for (const auto& c : all) {
    for (std::size_t cut = 0; cut <= c.payload.size(); cut += 7) {
      const std::string part = c.payload.substr(0, cut);
      CHECK_NOTHROW(parse_service_latency(c.subject, part));
      CHECK_NOTHROW(parse_jetstream_event(c.subject, part));
    }
    for (int i = 0; i < 300; ++i) {
      std::string m = c.payload;
      for (int k = 0; k < 3; ++k) {
        const std::size_t at = next() % m.size();
        static const char kBytes[] = "0123456789{}[]\":,-.e+ nulltruefalse\xff";
        m[at] = kBytes[next() % (sizeof kBytes - 1)];
      }
      ObservationState st(config_of(ObservationKind::service_latency));
      CHECK_NOTHROW(if (auto s = parse_service_latency(c.subject, m)) {
        st.add(*s);
        ++parsed;
      });
      CHECK_NOTHROW(if (auto e = parse_jetstream_event(c.subject, m)) {
        st.add(*e);
        ++parsed;
      });
      MetricSet out;
      CHECK_NOTHROW(add_observation_metrics({st.snapshot()}, out));
    }
  }
  CHECK(parsed > 0);
  // Numbers out of any sensible range are refused or clamped, never cast blindly.
  auto big = parse_jetstream_event(
      "x",
      R"({"type":"io.nats.jetstream.metric.v1.consumer_ack","stream":"S","consumer":"C","ack_time":1e300,"deliveries":1e300})");
  REQUIRE(big);
  CHECK(big->deliveries == 0);
}
