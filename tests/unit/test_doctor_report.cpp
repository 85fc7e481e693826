// The doctor's report renderers (text, JSON, markdown, HTML), its exit code, and the Doctor: its
// collector's metrics, its contributor's probe checks, and the separate scrape and page histories.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "collectors/doctor/doctor.h"
#include "collectors/doctor/doctor_command.h"
#include "collectors/jsz.h"
#include "tests/unit/doctor_fixtures.h"

using namespace natsexp;
using namespace natsexp::testing;
using namespace natsexp::doctor;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture;

namespace {

Report n1_report() {
  FakeSource source = natsexp::testing::n1_doctor_source();
  ServerEvidence e = gather_evidence(source);
  e.target = "n1";
  Report r;
  r.generated_at = "2026-11-25T12:54:00Z";
  TargetReport t;
  t.name = "n1";
  t.url = "http://127.0.0.1:18222";
  t.reachable = true;
  t.server_name = "n1";
  t.cluster = "C1";
  t.version = "2.9.10";
  t.checks = evaluate_server(e, nullptr, 1, DoctorConfig{});
  r.targets.push_back(t);
  r.probes = evaluate_probes({}, nullptr, 1, DoctorConfig{});
  return r;
}

CheckResult result(const std::string& id, Status status, DoctorSeverity severity) {
  CheckResult c;
  c.id = id;
  c.status = status;
  c.severity = severity;
  c.scope = "server s";
  c.summary = "summary";
  c.title = "title";
  c.remedy = "remedy";
  c.affected = status == Status::finding ? 1 : 0;
  return c;
}

}  // namespace

TEST_CASE("report: exit codes like a linter") {
  Report r;
  TargetReport t;
  t.name = "s";
  t.reachable = true;
  t.checks = {result("missing-queue-group", Status::passed, DoctorSeverity::warning),
              result("weak-tls", Status::skipped, DoctorSeverity::critical)};
  r.targets.push_back(t);
  CHECK(r.exit_code() == 0);
  r.targets[0].checks.push_back(result("high-client-rtt", Status::finding, DoctorSeverity::warning));
  CHECK(r.exit_code() == 1);
  r.probes.push_back(result("probe-slow-or-failing", Status::finding, DoctorSeverity::critical));
  CHECK(r.exit_code() == 2);
  CHECK(r.findings(DoctorSeverity::critical) == 1);
  CHECK(r.findings(DoctorSeverity::warning) == 1);
  CHECK(r.count(Status::passed) == 1);
  CHECK(r.count(Status::skipped) == 1);
  Report down;
  TargetReport gone;
  gone.name = "gone";
  gone.error = "connection refused";
  down.targets.push_back(gone);
  CHECK(down.unreachable() == 1);
  CHECK(down.exit_code() == 2);
  CHECK(n1_report().exit_code() == 2);  // slow-subscriber was cut off: critical
}

TEST_CASE("report: text has one section per finding with evidence and remedy") {
  const std::string text = render_text(n1_report());
  CAPTURE(text);
  CHECK(text.find("NATS latency doctor: 1 critical, 2 warnings, 6 passed, 3 skipped") == 0);
  CHECK(text.find("  n1 http://127.0.0.1:18222 (server n1, cluster C1, nats-server 2.9.10)") != std::string::npos);
  const auto critical = text.find("[CRITICAL] slow-consumers (server n1): 1 slow consumer");
  const auto warning = text.find("[WARNING] wildcard-heavy-interest (server n1)");
  CHECK(critical != std::string::npos);
  CHECK(warning != std::string::npos);
  CHECK(critical < warning);  // critical first
  CHECK(text.find("[WARNING] server-limits (server n1)") != std::string::npos);
  CHECK(text.find("    - client \"slow-subscriber\" (cid 43, 127.0.0.1) was closed") != std::string::npos);
  CHECK(text.find("  Remedy: Find out why the named clients fall behind") != std::string::npos);
  CHECK(text.find("Passed:\n  missing-queue-group (server n1): ") != std::string::npos);
  CHECK(text.find("Skipped:\n") != std::string::npos);
  CHECK(text.find("probe-slow-or-failing (probes): no probe is configured") != std::string::npos);
}

TEST_CASE("report: JSON is valid and complete") {
  const Report r = n1_report();
  const json j = json::parse(render_json(r));
  CHECK(j["exit_code"] == 2);
  CHECK(j["summary"]["critical"] == 1);
  CHECK(j["summary"]["warning"] == 2);
  CHECK(j["summary"]["passed"] == 6);
  CHECK(j["summary"]["skipped"] == 3);
  REQUIRE(j["findings"].size() == 3);
  CHECK(j["findings"][0]["check"] == "slow-consumers");
  CHECK(j["findings"][0]["severity"] == "critical");
  CHECK(j["findings"][0]["affected"] == 1);
  CHECK(j["findings"][0]["evidence"][0].get<std::string>().find("slow-subscriber") != std::string::npos);
  REQUIRE(j["targets"].size() == 1);
  CHECK(j["targets"][0]["name"] == "n1");
  CHECK(j["targets"][0]["checks"].size() == 10);
  CHECK(j["probes"].size() == 2);
  // Bytes that are not UTF-8 (a client name) do not break it.
  Report odd = r;
  odd.targets[0].checks[0].evidence.push_back(std::string("client \"\xff\xfe\""));
  const json parsed = json::parse(render_json(odd));
  CHECK(parsed.is_object());
}

TEST_CASE("report: HTML escapes everything a server says; markdown too") {
  Report r = n1_report();
  auto evil = result("high-client-rtt", Status::finding, DoctorSeverity::warning);
  evil.evidence.push_back("client \"<script>alert('x')</script>\" & <b>friends</b>");
  evil.scope = "server <img src=x>";
  r.targets[0].checks.push_back(evil);
  const std::string html = render_html(r);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<b>friends") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("&amp; &lt;b&gt;friends&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("<h3><span class=\"sev\">critical</span> slow-consumers") != std::string::npos);
  CHECK(html.rfind("</html>\n") == html.size() - 8);

  const std::string md = render_markdown(r);
  CHECK(md.find("# NATS latency doctor") == 0);
  CHECK(md.find("### CRITICAL: slow-consumers (server n1)") != std::string::npos);
  CHECK(md.find("\\<script\\>") != std::string::npos);
  CHECK(md.find("<script>") == std::string::npos);
  CHECK(md.find("| check | scope | result |") != std::string::npos);
  CHECK(render(r, "md") == md);
  CHECK_FALSE(render(r, "yaml"));
}

TEST_CASE("doctor collector: nats_doctor_finding for every server check, from one scrape's source") {
  auto doc = std::make_shared<Doctor>(std::make_shared<const Config>());
  const CollectorFactory factory(doc);  // the collector reports through the Doctor it is given
  auto collector = factory.make("doctor");
  REQUIRE(collector);
  CHECK(collector->name() == "doctor");
  FakeSource source = natsexp::testing::n1_doctor_source();
  MetricSet out;
  collector->collect(source, CollectorOptions{}, out);
  CHECK(out.count("nats_doctor_finding") == 10);
  CHECK(out.value("nats_doctor_finding", {{"check", "slow-consumers"}, {"severity", "critical"}}) == 1);
  CHECK(out.value("nats_doctor_finding", {{"check", "wildcard-heavy-interest"}, {"severity", "warning"}}) == 1);
  CHECK(out.value("nats_doctor_finding", {{"check", "server-limits"}, {"severity", "warning"}}) == 1);
  CHECK(out.value("nats_doctor_finding", {{"check", "missing-queue-group"}}) == 0);
  CHECK(out.value("nats_doctor_finding", {{"check", "weak-tls"}, {"severity", "critical"}}) == 0);
  CHECK(out.value("nats_doctor_check_skipped", {{"check", "reconnect-storm"}}) == 1);  // needs a previous scrape
  CHECK(out.value("nats_doctor_check_skipped", {{"check", "weak-tls"}}) == 0);
  // It reads the paths the other collectors read (one fetch per scrape) plus its own two.
  CHECK(source.requests("/varz") == 1);
  CHECK(source.requests(kJszPath) == 1);
  CHECK(source.requests("/subsz") == 1);
  CHECK(source.requests(kClosedConnzPath) == 1);
  const auto evaluated = doc->checks_evaluated();
  CHECK(evaluated == 9);  // 10 server checks, reconnect-storm skipped

  // The second scrape compares with the first: churn is evaluated now.
  FakeSource again = natsexp::testing::n1_doctor_source();
  MetricSet second;
  collector->collect(again, CollectorOptions{}, second);
  CHECK(second.value("nats_doctor_check_skipped", {{"check", "reconnect-storm"}}) == 0);
  CHECK(second.value("nats_doctor_finding", {{"check", "reconnect-storm"}}) == 0);

  // The contributor: probe checks (skipped without probes) and the counter.
  MetricSet contributed;
  doc->contribute(contributed);
  CHECK(contributed.value("nats_doctor_finding", {{"check", "probe-slow-or-failing"}, {"severity", "critical"}}) == 0);
  CHECK(contributed.value("nats_doctor_check_skipped", {{"check", "probe-slow-or-failing"}}) == 1);
  CHECK(contributed.value("nats_doctor_checks_evaluated_total") == 19);
}

TEST_CASE("doctor: probe checks from the probe source, compared with the previous scrape") {
  auto doc = std::make_shared<Doctor>(std::make_shared<const Config>());
  probe::ProbeSnapshot p;
  p.name = "nobody";
  p.connected = true;
  p.request_duration = probe::LatencyHistogram({0.001, 0.1});
  p.requests = {{"ok", 0}, {"no_responders", 5}};
  doc->set_probe_source([&p] { return std::vector<probe::ProbeSnapshot>{p}; });
  MetricSet first;
  doc->contribute(first);
  CHECK(first.value("nats_doctor_finding", {{"check", "probe-slow-or-failing"}, {"severity", "critical"}}) == 1);
  CHECK(first.value("nats_doctor_finding", {{"check", "reconnect-storm"}, {"severity", "warning"}}) == 0);
  // Nothing new since the previous scrape: silent.
  MetricSet second;
  doc->contribute(second);
  CHECK(second.value("nats_doctor_finding", {{"check", "probe-slow-or-failing"}}) == 0);
  p.requests["no_responders"] = 6;
  MetricSet third;
  doc->contribute(third);
  CHECK(third.value("nats_doctor_finding", {{"check", "probe-slow-or-failing"}}) == 1);
}

TEST_CASE("doctor: the scrape and the page keep separate previous evaluations") {
  Doctor doc(std::make_shared<const Config>());
  FakeSource source = natsexp::testing::n1_doctor_source();
  ServerEvidence e = gather_evidence(source);
  e.closed = std::vector<ClosedConnectionEvidence>{};  // the counter alone
  auto slow = [](const std::vector<CheckResult>& results) {
    for (const auto& r : results)
      if (r.id == "slow-consumers") return r.status;
    return Status::skipped;
  };
  CHECK(slow(doc.evaluate_server(e, 1, Doctor::Channel::scrape)) == Status::passed);
  ServerEvidence later = e;
  later.varz.slow_consumers = *e.varz.slow_consumers + 1;
  // The page has not seen this server before: nothing to compare with.
  CHECK(slow(doc.evaluate_server(later, 2, Doctor::Channel::page)) == Status::passed);
  // The scrape has, and the page's evaluation did not consume the rise.
  CHECK(slow(doc.evaluate_server(later, 3, Doctor::Channel::scrape)) == Status::finding);
  CHECK(slow(doc.evaluate_server(later, 4, Doctor::Channel::scrape)) == Status::passed);
}

TEST_CASE("doctor: run() against an unreachable target reports it, and the CLI exits 2") {
  Config c;
  TargetConfig t;
  t.name = "nowhere";
  t.url = "http://127.0.0.1:1";
  c.targets.push_back(t);
  c.scrape_timeout = std::chrono::milliseconds(2000);
  c.doctor.interval = std::chrono::milliseconds(0);
  Doctor doc(std::make_shared<const Config>(c));
  const Report r = doc.run(c);
  REQUIRE(r.targets.size() == 1);
  CHECK_FALSE(r.targets[0].reachable);
  CHECK_FALSE(r.targets[0].error.empty());
  CHECK(r.exit_code() == 2);
  std::ostringstream out, err;
  CHECK(run_cli(c, "json", out, err) == 2);
  const json j = json::parse(out.str());
  CHECK(j["summary"]["unreachable_targets"] == 1);
  CHECK(j["targets"][0]["reachable"] == false);
  CHECK(err.str().empty());
  CHECK(j["probes"][0]["summary"] == "no probe is configured (probes: in the config file)");
  // Probes in the config but no interval to run them in: said so.
  Config with_probe = c;
  with_probe.probes.emplace_back();
  with_probe.probes.back().name = "rtt";
  std::ostringstream out2;
  CHECK(run_cli(with_probe, "json", out2, err) == 2);
  CHECK(json::parse(out2.str())["probes"][0]["summary"] == "the probes run only during --doctor.interval (it is 0s)");
  CHECK(run_cli(c, "yaml", out, err) == 2);
  CHECK(err.str().find("unknown format") != std::string::npos);
}

namespace {

// Hands out n1's captured documents for every target, and counts what it made.
class FixtureSources : public MonitorSourceFactory {
 public:
  std::unique_ptr<MonitorSource> make(const TargetConfig& target, Clock::time_point, const Config&) override {
    made.push_back(target.name);
    return std::make_unique<FakeSource>(natsexp::testing::n1_doctor_source());
  }
  std::vector<std::string> made;
};

}  // namespace

TEST_CASE("doctor: run() reads the HTTP targets through the sources it was given, and their full reads") {
  Config c;
  TargetConfig t;
  t.name = "n1-sidecar";
  t.url = "http://127.0.0.1:1";  // never dialled: the sources serve fixtures
  c.targets.push_back(t);
  auto sources = std::make_shared<FixtureSources>();
  std::vector<TargetKey> asked;
  Doctor::Sources given;
  given.http = sources;
  given.full_connz = [&asked](const TargetKey& key) {
    asked.push_back(key);
    return std::shared_ptr<FullConnzCache>();
  };
  Doctor doc(std::make_shared<const Config>(c), given);
  const Report r = doc.run(c);
  CHECK(sources->made == std::vector<std::string>{"n1-sidecar"});
  REQUIRE(asked.size() == 1);
  CHECK(asked[0] == TargetKey{SourceKind::http, "n1-sidecar"});
  REQUIRE(r.targets.size() == 1);
  CHECK(r.targets[0].reachable);
  CHECK(r.targets[0].name == "n1-sidecar");
  CHECK(r.targets[0].server_name == "n1");
  CHECK(r.targets[0].cluster == "C1");
}
