// The doctor's ten checks, on the 2.9.10 fixtures and on made-up evidence, with thresholds at
// their edges: each check fires on its cause and is silent without it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks.h"
#include "collectors/jsz.h"
#include "tests/unit/doctor_fixtures.h"

using namespace natsexp;
using namespace natsexp::testing;
using namespace natsexp::doctor;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture;

namespace {

// n1 of the fixtures, as gather_evidence reads it.
ServerEvidence n1() {
  FakeSource source = natsexp::testing::n1_doctor_source();
  ServerEvidence e = gather_evidence(source);
  REQUIRE(e.problems.empty());
  return e;
}

ServerEvidence n3() {
  FakeSource source;
  source.serve("/varz", load_fixture("other-nodes/n3_varz.json"))
      .serve("/connz", json::parse(R"({"server_id":"N3","now":"2026-11-25T12:53:59Z","total":0,"connections":[]})"))
      .serve(kClosedConnzPath, load_fixture("other-nodes/n3_connz_state_closed.json"))
      .serve("/subsz", load_fixture("subsz.json"))
      .serve(kJszPath, load_fixture("other-nodes/n3_jsz_all.json"));
  return gather_evidence(source);
}

// An empty server: every source read, nothing in it.
ServerEvidence server(const std::string& name = "s1", const std::string& id = "ID1", const std::string& cluster = "") {
  ServerEvidence e;
  e.varz.server_name = name;
  e.varz.server_id = id;
  e.varz.cluster = cluster;
  e.connections = connection_list();
  e.closed = std::vector<ClosedConnectionEvidence>{};
  e.subsz = SubszEvidence{};
  e.consumers = std::vector<ConsumerEvidence>{};
  return e;
}

ConnectionEvidence conn(std::uint64_t cid, const std::string& name, std::vector<SubscriptionEvidence> subs = {}) {
  ConnectionEvidence c;
  c.cid = cid;
  c.name = name;
  c.account = "APP";
  c.ip = "10.0.0." + std::to_string(cid);
  c.subscriptions = std::move(subs);
  return c;
}

bool mentions(const CheckResult& r, const std::string& what) {
  if (r.summary.find(what) != std::string::npos) return true;
  for (const auto& e : r.evidence)
    if (e.find(what) != std::string::npos) return true;
  return false;
}

std::string dump(const CheckResult& r) {
  std::string s = r.id + " [" + status_name(r.status) + "] " + r.summary;
  for (const auto& e : r.evidence) s += "\n  - " + e;
  return s;
}

}  // namespace

TEST_CASE("check 1 missing-queue-group: same client name, same subject, no queue group") {
  DoctorConfig cfg;
  ServerEvidence s = server();
  add_connection(s, conn(5, "orders-svc", {{"orders.new", "", 120}}));
  add_connection(s, conn(6, "orders-svc", {{"orders.new", "", 118}}));
  auto r = check_missing_queue_group({&s}, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 1);
  CHECK(r.severity == DoctorSeverity::warning);
  CHECK(mentions(
      r, "client \"orders-svc\" (account APP) subscribes to \"orders.new\" without a queue group on 2 connections"));
  CHECK(mentions(r, "cid 5 (10.0.0.5, 120 msgs)"));
  CHECK(mentions(r, "cid 6 (10.0.0.6, 118 msgs)"));
  CHECK(r.scope == "server s1");

  // The threshold at its edge: 2 connections are not 3.
  cfg.missing_queue_group.min_connections = 3;
  CHECK(check_missing_queue_group({&s}, cfg).status == Status::passed);
  add_connection(s, conn(7, "orders-svc", {{"orders.new", "", 1}}));
  CHECK(check_missing_queue_group({&s}, cfg).affected == 1);

  // In a queue group: none.
  ServerEvidence q = server();
  add_connection(q, conn(5, "orders-svc", {{"orders.new", "orders", 120}}));
  add_connection(q, conn(6, "orders-svc", {{"orders.new", "orders", 118}}));
  auto passed = check_missing_queue_group({&q}, DoctorConfig{});
  CHECK(passed.status == Status::passed);
  CHECK(passed.affected == 0);

  // Different services, unnamed clients, inboxes and ignored subjects: none.
  ServerEvidence other = server();
  add_connection(other, conn(1, "billing", {{"orders.new", "", 1}}));
  add_connection(other, conn(2, "shipping", {{"orders.new", "", 1}}));
  add_connection(other, conn(3, "", {{"x", "", 1}}));
  add_connection(other, conn(4, "", {{"x", "", 1}}));
  add_connection(other, conn(8, "svc", {{"_INBOX.a.*", "", 1}}));
  add_connection(other, conn(9, "svc", {{"_INBOX.a.*", "", 1}}));
  add_connection(other, conn(10, "cache", {{"cache.invalidate", "", 1}}));
  add_connection(other, conn(11, "cache", {{"cache.invalidate", "", 1}}));
  DoctorConfig ignoring;
  ignoring.missing_queue_group.ignore_subjects.push_back("cache.*");
  CHECK(check_missing_queue_group({&other}, ignoring).status == Status::passed);
  CHECK(check_missing_queue_group({&other}, DoctorConfig{}).affected == 1);  // cache.invalidate

  // The fixture: workers use queue groups; nothing is duplicated.
  const ServerEvidence fixture = n1();
  auto f = check_missing_queue_group({&fixture}, DoctorConfig{});
  CAPTURE(dump(f));
  CHECK(f.status == Status::passed);
}

TEST_CASE("check 1 missing-queue-group: instances on two nodes of one cluster are found together") {
  ServerEvidence a = server("n1", "A", "C1"), b = server("n2", "B", "C1"), c = server("x1", "X", "C2");
  a.target = "n1";
  b.target = "n2";
  add_connection(a, conn(5, "orders-svc", {{"orders.new", "", 1}}));
  add_connection(b, conn(9, "orders-svc", {{"orders.new", "", 1}}));
  add_connection(c, conn(5, "orders-svc", {{"orders.new", "", 1}}));
  CHECK(check_missing_queue_group({&a}, DoctorConfig{}).status == Status::passed);
  auto r = check_missing_queue_group({&a, &b}, DoctorConfig{});
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.scope == "all targets");
  CHECK(mentions(r, "cid 5 on n1"));
  CHECK(mentions(r, "cid 9 on n2"));
  // Another cluster is another deployment.
  CHECK(check_missing_queue_group({&a, &c}, DoctorConfig{}).status == Status::passed);
  // Without connz: skipped, saying why.
  ServerEvidence blind = server();
  blind.connections.reset();
  blind.problems["connz"] = "timed out";
  auto s = check_missing_queue_group({&blind}, DoctorConfig{});
  CHECK(s.status == Status::skipped);
  CHECK(mentions(s, "connz could not be read: timed out"));
}

TEST_CASE("check 2 slow-consumers: closed as slow consumers, named, inside the window") {
  const ServerEvidence e = n1();
  DoctorConfig cfg;
  auto r = check_slow_consumers(e, nullptr, 100, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.severity == DoctorSeverity::critical);
  CHECK(r.affected == 1);
  CHECK(
      mentions(r, "client \"slow-subscriber\" (cid 43, 127.0.0.1) was closed 35s ago: Slow Consumer (Write Deadline)"));
  CHECK(mentions(r, "544942 B (532.2 KiB) were pending"));
  // The connection closed 35.03 s before the document's "now": a 35 s window misses it, 36 s has it.
  cfg.slow_consumers.window = std::chrono::seconds(35);
  CHECK(check_slow_consumers(e, nullptr, 100, cfg).status == Status::passed);
  cfg.slow_consumers.window = std::chrono::seconds(36);
  CHECK(check_slow_consumers(e, nullptr, 100, cfg).status == Status::finding);
  cfg.slow_consumers.window = std::chrono::seconds(0);  // only the counter
  auto counter_only = check_slow_consumers(e, nullptr, 100, cfg);
  CHECK(counter_only.status == Status::passed);
  CHECK(mentions(counter_only, "1 slow consumer since the server started"));
}

TEST_CASE("check 2 slow-consumers: the server's counter rose since the previous evaluation") {
  DoctorConfig cfg;
  ServerEvidence before = server(), after = server();
  before.varz.slow_consumers = 1;
  after.varz.slow_consumers = 3;
  const ServerBaseline b = baseline_of(before, 10);
  auto r = check_slow_consumers(after, &b, 25, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 2);
  CHECK(mentions(r, "slow_consumers rose by 2 (from 1 to 3) in the last 15s"));
  cfg.slow_consumers.min_increase = 2;
  CHECK(check_slow_consumers(after, &b, 25, cfg).status == Status::finding);
  cfg.slow_consumers.min_increase = 3;
  CHECK(check_slow_consumers(after, &b, 25, cfg).status == Status::passed);
  // Unchanged: silent.
  const ServerBaseline same = baseline_of(after, 20);
  auto quiet = check_slow_consumers(after, &same, 25, DoctorConfig{});
  CHECK(quiet.status == Status::passed);
  CHECK(mentions(quiet, "slow_consumers unchanged at 3"));
  // A restarted server (another server_id) is not compared with.
  ServerEvidence restarted = after;
  restarted.varz.server_id = "ID2";
  CHECK(check_slow_consumers(restarted, &b, 25, DoctorConfig{}).status == Status::passed);
  // Nothing to go on: skipped.
  ServerEvidence blind = server();
  blind.closed.reset();
  CHECK(check_slow_consumers(blind, nullptr, 1, DoctorConfig{}).status == Status::skipped);
}

TEST_CASE("check 3 pending-near-limit: share of max_pending") {
  ServerEvidence s = server();
  s.varz.max_pending = 1000;
  auto c = conn(7, "lagging");
  c.pending_bytes = 500;
  add_connection(s, c);
  DoctorConfig cfg;  // ratio 0.5: 500 of 1000 is not above it
  CHECK(check_pending_near_limit(s, cfg).status == Status::passed);
  c.pending_bytes = 501;
  s.connections = connection_list({c});
  auto r = check_pending_near_limit(s, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 1);
  CHECK(mentions(r, "client \"lagging\" (cid 7, account APP, 10.0.0.7): 501 B pending, 50.1% of max_pending"));
  cfg.pending_near_limit.ratio = 0.6;
  CHECK(check_pending_near_limit(s, cfg).status == Status::passed);
  // Unknown max_pending: the server default (64 MiB) is assumed and said.
  s.varz.max_pending.reset();
  auto d = check_pending_near_limit(s, DoctorConfig{});
  CHECK(d.status == Status::passed);
  CHECK(mentions(d, "(the default)"));
  CHECK(check_pending_near_limit(n1(), DoctorConfig{}).status == Status::passed);
}

TEST_CASE("check 4 consumer-backlog-growing: growth, ack pending at the limit, redeliveries") {
  const ServerEvidence now = n3();  // processor: 900 pending, 100 ack pending of 1000, 50 redelivered
  DoctorConfig cfg;
  auto first = check_consumer_backlog_growing(now, nullptr, 10, cfg);
  CAPTURE(dump(first));
  CHECK(first.status == Status::passed);
  CHECK(mentions(first, "growth needs a previous evaluation"));

  ServerEvidence earlier = now;
  (*earlier.consumers)[0].num_pending = 800;
  (*earlier.consumers)[0].num_redelivered = 50;
  const ServerBaseline b = baseline_of(earlier, 5);
  auto grew = check_consumer_backlog_growing(now, &b, 10, cfg);  // +100 = min_growth
  CAPTURE(dump(grew));
  CHECK(grew.status == Status::finding);
  CHECK(grew.affected == 1);
  CHECK(mentions(grew, "APP > ORDERS > processor: num_pending 800 -> 900 (+100 in 5s)"));
  cfg.consumer_backlog.min_growth = 101;
  CHECK(check_consumer_backlog_growing(now, &b, 10, cfg).status == Status::passed);

  // A drained consumer: its backlog shrank.
  ServerEvidence drained = now;
  (*drained.consumers)[0].num_pending = 0;
  CHECK(check_consumer_backlog_growing(drained, &b, 10, DoctorConfig{}).status == Status::passed);

  // Ack pending 100 of 1000: at a ratio of 0.1 it is "at the limit", at 0.11 not.
  DoctorConfig acks;
  acks.consumer_backlog.ack_pending_ratio = 0.1;
  auto at_limit = check_consumer_backlog_growing(now, nullptr, 10, acks);
  CHECK(at_limit.status == Status::finding);
  CHECK(mentions(at_limit, "num_ack_pending 100 of max_ack_pending 1000 (10%)"));
  acks.consumer_backlog.ack_pending_ratio = 0.11;
  CHECK(check_consumer_backlog_growing(now, nullptr, 10, acks).status == Status::passed);

  // Redeliveries rising.
  ServerEvidence fewer = now;
  (*fewer.consumers)[0].num_redelivered = 49;
  (*fewer.consumers)[0].num_pending = 900;
  const ServerBaseline b2 = baseline_of(fewer, 5);
  auto redelivering = check_consumer_backlog_growing(now, &b2, 10, DoctorConfig{});
  CHECK(redelivering.status == Status::finding);
  CHECK(mentions(redelivering, "num_redelivered 49 -> 50 (+1 in 5s)"));

  // Unlimited max_ack_pending (-1) never counts as at the limit.
  ServerEvidence unlimited = now;
  (*unlimited.consumers)[0].max_ack_pending = -1;
  CHECK(check_consumer_backlog_growing(unlimited, nullptr, 10, acks).status == Status::passed);
  // No JetStream: skipped.
  ServerEvidence nojs = server();
  nojs.jetstream_disabled = true;
  CHECK(check_consumer_backlog_growing(nojs, nullptr, 1, DoctorConfig{}).status == Status::skipped);
}

TEST_CASE("check 5 wildcard-heavy-interest: broad subscriptions and the match cache") {
  const ServerEvidence e = n1();  // monitor-n3 subscribes ">": 1 of 8 client subscriptions
  DoctorConfig cfg;
  auto r = check_wildcard_heavy_interest(e, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 1);
  CHECK(mentions(r, "1 of 8 client subscriptions (12.5%) are on broad wildcards (threshold 10%)"));
  CHECK(mentions(r, "\">\" by client \"monitor-n3\" (cid 45, 127.0.0.1): 87466 messages delivered"));
  cfg.wildcard_interest.broad_share = 0.125;
  CHECK(check_wildcard_heavy_interest(e, cfg).status == Status::finding);
  cfg.wildcard_interest.broad_share = 0.13;
  CHECK(check_wildcard_heavy_interest(e, cfg).status == Status::passed);

  // The cache: hit ratio 0.121 after 1874 lookups, max fanout 3.
  DoctorConfig cache;
  cache.wildcard_interest.broad_share = 1;
  cache.wildcard_interest.min_fanout = 3;
  cache.wildcard_interest.min_matches = 1874;
  auto low = check_wildcard_heavy_interest(e, cache);
  CAPTURE(dump(low));
  CHECK(low.status == Status::finding);
  CHECK(mentions(low, "match cache hit ratio 12.1% (below 50%) with a max fanout of 3 (at least 3) over 1874 lookups"));
  cache.wildcard_interest.min_fanout = 4;
  CHECK(check_wildcard_heavy_interest(e, cache).status == Status::passed);
  cache.wildcard_interest.min_fanout = 3;
  cache.wildcard_interest.min_matches = 1875;
  CHECK(check_wildcard_heavy_interest(e, cache).status == Status::passed);

  // Narrow subscriptions and inboxes only: silent. `*.>` is broad, `orders.>` is not.
  ServerEvidence s = server();
  add_connection(s, conn(1, "a", {{"orders.>", "", 1}, {"_INBOX.x.*", "", 1}}));
  CHECK(check_wildcard_heavy_interest(s, DoctorConfig{}).status == Status::passed);
  add_connection(s, conn(2, "tap", {{"*.>", "", 9}}));
  auto star = check_wildcard_heavy_interest(s, DoctorConfig{});
  CHECK(star.status == Status::finding);
  CHECK(mentions(star, "1 of 2 client subscriptions (50%)"));
}

TEST_CASE("check 6 high-client-rtt: above the threshold") {
  const ServerEvidence e = n1();  // highest RTT 415µs (worker-1, worker-3)
  DoctorConfig cfg;
  CHECK(check_high_client_rtt(e, cfg).status == Status::passed);
  double highest = 0;
  for (const auto& c : *e.connections) highest = std::max(highest, c.rtt.value_or(0));
  CHECK(highest == doctest::Approx(415e-6));
  cfg.high_client_rtt.rtt_seconds = highest;  // not above it
  CHECK(check_high_client_rtt(e, cfg).status == Status::passed);
  cfg.high_client_rtt.rtt_seconds = std::nextafter(highest, 0.0);
  auto r = check_high_client_rtt(e, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 2);
  CHECK(mentions(r, "client \"worker-1\" (cid 37, 127.0.0.1) [nats.js 2.29.3]: RTT 415\xC2\xB5s"));
  CHECK(mentions(r, "client \"worker-3\""));
}

TEST_CASE("check 7 weak-tls: version and cipher suite") {
  ServerEvidence s = server();
  CHECK(mentions(check_weak_tls(s, DoctorConfig{}), "no client connection uses TLS"));
  auto modern = conn(1, "modern");
  modern.tls_version = "1.3";
  modern.tls_cipher = "TLS_AES_128_GCM_SHA256";
  add_connection(s, modern);
  auto tls12 = conn(2, "tls12");
  tls12.tls_version = "1.2";
  tls12.tls_cipher = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
  add_connection(s, tls12);
  CHECK(check_weak_tls(s, DoctorConfig{}).status == Status::passed);
  DoctorConfig strict;
  strict.weak_tls.min_version = "1.3";
  auto r = check_weak_tls(s, strict);
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 1);
  CHECK(mentions(r, "client \"tls12\" (cid 2, account APP, 10.0.0.2): TLS 1.2 (below 1.3)"));

  auto old = conn(3, "old");
  old.tls_version = "1.1";
  old.tls_cipher = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
  auto cbc = conn(4, "cbc");
  cbc.tls_version = "1.2";
  cbc.tls_cipher = "TLS_RSA_WITH_AES_128_CBC_SHA256";
  add_connection(s, old);
  add_connection(s, cbc);
  auto weak = check_weak_tls(s, DoctorConfig{});
  CAPTURE(dump(weak));
  CHECK(weak.status == Status::finding);
  CHECK(weak.severity == DoctorSeverity::critical);
  CHECK(weak.affected == 2);
  CHECK(mentions(weak, "\"old\" (cid 3, account APP, 10.0.0.3): TLS 1.1 (below 1.2)"));
  CHECK(mentions(weak, "\"cbc\" (cid 4, account APP, 10.0.0.4): weak cipher suite TLS_RSA_WITH_AES_128_CBC_SHA256"));
}

TEST_CASE("check 9 reconnect-storm (server side): connection churn") {
  DoctorConfig cfg;  // 60 per minute and 10x
  ServerEvidence before = server(), after = server();
  before.varz.total_connections = 100;
  before.varz.connections = 10;
  after.varz.total_connections = 160;
  after.varz.connections = 10;
  after.varz.now = 1000;
  after.closed->push_back({{1, "lambda", "10.0.0.9", "APP", "", ""}, "Client Closed", 990.0, 0.0});
  after.closed->push_back({{2, "lambda", "10.0.0.9", "APP", "", ""}, "Client Closed", 995.0, 0.0});
  after.closed->push_back({{3, "old", "10.0.0.8", "APP", "", ""}, "Client Closed", 100.0, 0.0});
  const ServerBaseline b = baseline_of(before, 0);
  auto r = check_reconnect_storm(after, &b, 60, cfg);  // 60 opened in 60 s: 60 per minute
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 60);
  CHECK(mentions(r, "60 connections opened in the last 1m0s (60 per minute) while open connections changed by +0"));
  CHECK(mentions(r, "client \"lambda\" (account APP): 2 connections closed in that time"));
  CHECK_FALSE(mentions(r, "\"old\""));
  after.varz.total_connections = 159;
  CHECK(check_reconnect_storm(after, &b, 60, cfg).status == Status::passed);
  // Growth of open connections (a scale-up) is not churn: 60 opened, 7 more open is a ratio of 8.6.
  after.varz.total_connections = 160;
  after.varz.connections = 16;  // ratio 10
  CHECK(check_reconnect_storm(after, &b, 60, cfg).status == Status::finding);
  after.varz.connections = 17;
  CHECK(check_reconnect_storm(after, &b, 60, cfg).status == Status::passed);
  CHECK(check_reconnect_storm(after, nullptr, 60, cfg).status == Status::skipped);
}

TEST_CASE("check 10 server-limits: max_pending vs max_payload, write_deadline vs RTT, max_payload") {
  const ServerEvidence e = n1();  // max_pending 1 MiB = max_payload; write_deadline 2s; highest RTT 415µs
  DoctorConfig cfg;
  auto r = check_server_limits(e, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.affected == 1);
  CHECK(mentions(r, "max_pending 1048576 B (1.0 MiB) is only 1x max_payload 1048576 B (1.0 MiB) (threshold 4x)"));
  cfg.server_limits.min_pending_payloads = 1;
  CHECK(check_server_limits(e, cfg).status == Status::passed);
  // 2 s / 415 µs = 4819.3
  cfg.server_limits.write_deadline_rtt_factor = 4819;
  auto wd = check_server_limits(e, cfg);
  CHECK(wd.status == Status::finding);
  CHECK(
      mentions(wd, "write_deadline 2s is 4819x the highest client RTT 415\xC2\xB5s (\"worker-1\") (threshold 4819x)"));
  cfg.server_limits.write_deadline_rtt_factor = 4820;
  CHECK(check_server_limits(e, cfg).status == Status::passed);
  cfg.server_limits.max_payload_bytes = 1024 * 1024 - 1;
  auto big = check_server_limits(e, cfg);
  CHECK(big.status == Status::finding);
  CHECK(mentions(big, "max_payload 1048576 B (1.0 MiB) is above 1048575 B (1024.0 KiB)"));
}

namespace {

probe::ProbeSnapshot request_probe(const std::string& name) {
  probe::ProbeSnapshot p;
  p.name = name;
  p.kind = ProbeKind::request;
  p.connected = true;
  p.request_duration = probe::LatencyHistogram({0.001, 0.01, 0.1, 1});
  p.requests = {{"ok", 0}, {"timeout", 0}, {"no_responders", 0}, {"error", 0}};
  return p;
}

}  // namespace

TEST_CASE("check 8 probe-slow-or-failing: p99 over the window, failures, disconnected") {
  DoctorConfig cfg;  // SLO 100 ms, 5 samples, 1 failure
  CHECK(check_probe_slow_or_failing({}, nullptr, 1, cfg).status == Status::skipped);

  auto fast = request_probe("rtt");
  for (int i = 0; i < 10; ++i) fast.request_duration.observe(0.0005);
  fast.requests["ok"] = 10;
  CHECK(check_probe_slow_or_failing({fast}, nullptr, 1, cfg).status == Status::passed);

  // Slow since the previous evaluation: p99 in the 0.1..1 s bucket.
  auto slow = fast;
  for (int i = 0; i < 10; ++i) slow.request_duration.observe(0.5);
  const ProbeBaseline before{1, {fast}};
  auto r = check_probe_slow_or_failing({slow}, &before, 11, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(r.severity == DoctorSeverity::critical);
  CHECK(r.affected == 1);
  CHECK(mentions(r, "probe \"rtt\" (request): p99 991ms over 10 requests in the last 10s (SLO 100ms)"));

  // Fast in the window although slow before: the window decides.
  auto then_fast = slow;
  for (int i = 0; i < 10; ++i) then_fast.request_duration.observe(0.0005);
  const ProbeBaseline slow_before{1, {slow}};
  CHECK(check_probe_slow_or_failing({then_fast}, &slow_before, 11, cfg).status == Status::passed);
  CHECK(check_probe_slow_or_failing({then_fast}, nullptr, 11, cfg).status == Status::finding);  // since start

  // min_samples at its edge: 4 slow samples are not judged, 5 are.
  auto four = fast;
  for (int i = 0; i < 4; ++i) four.request_duration.observe(0.5);
  CHECK(check_probe_slow_or_failing({four}, &before, 11, cfg).status == Status::passed);
  four.request_duration.observe(0.5);
  CHECK(check_probe_slow_or_failing({four}, &before, 11, cfg).status == Status::finding);

  // No responders counted since the previous evaluation.
  auto nobody = fast;
  nobody.requests["no_responders"] = 3;
  auto f = check_probe_slow_or_failing({nobody}, &before, 11, cfg);
  CHECK(f.status == Status::finding);
  CHECK(mentions(f, "3 no_responders in the last 10s"));
  DoctorConfig tolerant;
  tolerant.probe_slow_or_failing.min_failures = 4;
  CHECK(check_probe_slow_or_failing({nobody}, &before, 11, tolerant).status == Status::passed);

  auto down = fast;
  down.connected = false;
  CHECK(mentions(check_probe_slow_or_failing({down}, &before, 11, cfg), "disconnected from the server"));
}

TEST_CASE("check 9 reconnect-storm (probe side): reconnects since the previous evaluation") {
  auto p = request_probe("rtt");
  p.reconnects = 3;
  p.disconnects = 3;
  auto earlier = p;
  earlier.reconnects = 1;
  earlier.disconnects = 1;
  const ProbeBaseline before{0, {earlier}};
  DoctorConfig cfg;  // 2 reconnects
  auto r = check_reconnect_storm_probes({p}, &before, 30, cfg);
  CAPTURE(dump(r));
  CHECK(r.status == Status::finding);
  CHECK(mentions(r, "probe \"rtt\": 2 reconnects and 2 disconnects in the last 30s"));
  earlier.reconnects = 2;
  const ProbeBaseline one{0, {earlier}};
  CHECK(check_reconnect_storm_probes({p}, &one, 30, cfg).status == Status::passed);
  CHECK(check_reconnect_storm_probes({}, nullptr, 30, cfg).status == Status::skipped);
}

TEST_CASE("evaluate_server: every server check, in order; disabled checks are skipped") {
  DoctorConfig cfg;
  cfg.weak_tls.enabled = false;
  const auto results = evaluate_server(n1(), nullptr, 1, cfg);
  std::vector<std::string> ids;
  for (const auto& r : results) ids.push_back(r.id);
  CHECK(ids == std::vector<std::string>{"missing-queue-group", "slow-consumers", "pending-near-limit",
                                        "consumer-backlog-growing", "wildcard-heavy-interest", "high-client-rtt",
                                        "weak-tls", "reconnect-storm", "server-limits", "ack-sampling-ignored"});
  CHECK(results[6].status == Status::skipped);
  CHECK(results[6].summary == "disabled in the config (doctor.checks.weak-tls.enabled)");
  CHECK(results[1].status == Status::finding);  // slow-subscriber
  CHECK(results[4].status == Status::finding);  // ">"
  CHECK(results[8].status == Status::finding);  // max_pending = max_payload
  CHECK(results[7].status == Status::skipped);  // churn needs a previous evaluation
  for (const auto& r : results) {
    CHECK_FALSE(r.title.empty());
    CHECK_FALSE(r.remedy.empty());
    CHECK_FALSE(r.summary.empty());
    if (r.status != Status::finding) CHECK(r.affected == 0);
  }
}

TEST_CASE("helpers: formats") {
  CHECK(format_seconds(0.000415) == "415\xC2\xB5s");
  CHECK(format_seconds(0.002774) == "2.77ms");
  CHECK(format_seconds(35.03) == "35s");
  CHECK(format_seconds(600) == "10m0s");
  CHECK(format_bytes(544942) == "544942 B (532.2 KiB)");
  CHECK(format_bytes(12) == "12 B");
  CHECK(format_percent(0.125) == "12.5%");
  CHECK(format_percent(0.5) == "50%");
  CHECK(format_number(3) == "3");
  CHECK(format_number(2.5) == "2.5");
}

TEST_CASE("check table: one check per id of the config, in the config's order, each with a function") {
  const auto& checks = doctor_checks();
  REQUIRE(checks.size() == doctor_check_ids().size());
  for (std::size_t i = 0; i < checks.size(); ++i) {
    CAPTURE(checks[i].id);
    CHECK(checks[i].id == doctor_check_ids()[i]);
    CHECK(check_id(checks[i].check) == checks[i].id);
    CHECK((checks[i].check.server || checks[i].check.probes || checks[i].check.observations));
    CHECK(std::string(checks[i].check.title).size() > 20);
    CHECK(std::string(checks[i].check.remedy).size() > 20);
  }
  // A result carries its check's id, title and remedy.
  const CheckResult r = check_weak_tls(ServerEvidence{}, DoctorConfig{});
  CHECK(r.id == "weak-tls");
  CHECK(r.title == kWeakTls.title);
}
