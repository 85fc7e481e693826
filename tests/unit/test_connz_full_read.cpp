// The full read of every connection: one request sized from /varz, shared, at most once per interval.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "collectors/connz_full_read.h"
#include "collectors/doctor/checks.h"
#include "collectors/doctor/doctor.h"
#include "config/doctor_config.h"
#include "tests/unit/doctor_fixtures.h"

using namespace natsexp;
using namespace natsexp::testing;
using namespace natsexp::doctor;

namespace {

int connz_requests(const FakeSource& source) {
  int n = 0;
  for (const auto& [path, count] : source.all_requests())
    if (path.rfind("/connz?auth=true&subs=detail", 0) == 0) n += count;
  return n;
}

// What a check concluded, without the wording that may mention times.
std::vector<std::tuple<std::string, int, std::size_t, std::vector<std::string>>> outcome(
    const std::vector<CheckResult>& results) {
  std::vector<std::tuple<std::string, int, std::size_t, std::vector<std::string>>> out;
  for (const auto& r : results) out.emplace_back(r.id, static_cast<int>(r.status), r.affected, r.evidence);
  return out;
}

}  // namespace

TEST_CASE("full read: one request whose limit is /varz's connection count plus a margin") {
  FakeSource source = n1_doctor_source();
  const auto read = read_full_connz(source, 7.0);
  REQUIRE(read.connections);
  CHECK(read.connections->size() == 7);
  CHECK(source.requests(connz_detail_path(71, 0)) == 1);  // 7 + 64
  CHECK(connz_requests(source) == 1);
  REQUIRE(read.closed);
  CHECK(read.closed->size() == 6);
  CHECK(read.requests == 2);
}

TEST_CASE("full read: the cache reads once per interval and its findings equal a fresh read's") {
  FakeSource source = n1_doctor_source();
  FullConnzCache cache(std::chrono::hours(1));
  const ServerEvidence first = gather_evidence(source, &cache);
  const ServerEvidence cached = gather_evidence(source, &cache);
  CHECK(cache.reads() == 1);
  CHECK(connz_requests(source) == 1);
  REQUIRE(cache.age_seconds());
  CHECK(*cache.age_seconds() >= 0);

  FakeSource fresh_source = n1_doctor_source();
  const ServerEvidence fresh = gather_evidence(fresh_source);
  const DoctorConfig config;
  CHECK(outcome(evaluate_server(cached, nullptr, 100.0, config)) ==
        outcome(evaluate_server(fresh, nullptr, 100.0, config)));
  CHECK(outcome(evaluate_server(first, nullptr, 100.0, config)) ==
        outcome(evaluate_server(fresh, nullptr, 100.0, config)));

  // Interval 0: every call reads.
  cache.set_interval(std::chrono::milliseconds(0));
  gather_evidence(source, &cache);
  CHECK(cache.reads() == 2);
  CHECK(connz_requests(source) == 2);

  // Within one scrape, its users share the read it made, one after another, even at interval 0.
  cache.start_scrape();
  gather_evidence(source, &cache);
  gather_evidence(source, &cache);
  CHECK(cache.reads() == 3);
  cache.end_scrape();
  gather_evidence(source, &cache);  // outside a scrape (/doctor): the interval alone
  CHECK(cache.reads() == 4);
  cache.start_scrape();  // the next scrape reads again
  gather_evidence(source, &cache);
  CHECK(cache.reads() == 5);
}

namespace {

// Everything a result says.
std::vector<std::string> full_text(const std::vector<CheckResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    std::string s =
        r.id + "|" + status_name(r.status) + "|" + std::to_string(r.affected) + "|" + r.scope + "|" + r.summary;
    for (const auto& e : r.evidence) s += "|" + e;
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("full read: a Doctor's findings from a cached full read equal those from fresh reads") {
  // The Doctor keeps the connection checks' results with the read they came from and reuses them
  // while the cache serves that read: scrape after scrape, they must say what fresh reads say.
  FakeSource source = n1_doctor_source();
  FullConnzCache cache(std::chrono::hours(1));
  Doctor cached(std::make_shared<const Config>());
  Doctor fresh(std::make_shared<const Config>());
  for (double at : {10.0, 20.0, 30.0}) {
    const ServerEvidence from_cache = gather_evidence(source, &cache);
    FakeSource fresh_source = n1_doctor_source();
    const ServerEvidence from_fresh = gather_evidence(fresh_source);
    CHECK(full_text(cached.evaluate_server(from_cache, at, Doctor::Channel::scrape)) ==
          full_text(fresh.evaluate_server(from_fresh, at, Doctor::Channel::scrape)));
  }
  CHECK(cache.reads() == 1);
}

TEST_CASE("full read: reused connection results follow the server's limits and the config") {
  auto config = std::make_shared<const Config>();
  Doctor doctor([&config] { return config; });
  ServerEvidence e;
  e.varz.server_id = e.varz.server_name = "S";
  e.varz.max_pending = 1000;
  ConnectionEvidence lagging;
  lagging.cid = 7;
  lagging.name = "lagging";
  lagging.pending_bytes = 600;
  e.connections = connection_list({lagging});  // one list, as a cached read gives at every scrape
  auto pending = [&](double at) {
    for (const auto& r : doctor.evaluate_server(e, at, Doctor::Channel::scrape))
      if (r.id == "pending-near-limit") return r.status;
    FAIL("no pending-near-limit result");
    return Status::skipped;
  };
  CHECK(pending(1) == Status::finding);
  CHECK(pending(2) == Status::finding);
  e.varz.max_pending = 2000;  // the server was reconfigured: 600 of 2000 is below half
  CHECK(pending(3) == Status::passed);
  e.varz.max_pending = 1000;
  CHECK(pending(4) == Status::finding);
  Config strict;
  strict.doctor.pending_near_limit.ratio = 0.7;  // a reload
  config = std::make_shared<const Config>(strict);
  CHECK(pending(5) == Status::passed);
}

TEST_CASE("full read: a failed read is not kept, and says why") {
  FakeSource broken;
  broken.serve("/connz", json::array());
  FullConnzCache cache(std::chrono::hours(1));
  const auto first = cache.get(broken, 3.0);
  CHECK_FALSE(first->connections);
  CHECK(first->connections_error == "connz: the document is not a JSON object but array");
  CHECK_FALSE(cache.age_seconds());
  cache.get(broken, 3.0);
  CHECK(cache.reads() == 2);  // retried, not served from the cache
}
