// The full read of every connection: one request sized from /varz, shared, at most once per interval.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "collectors/connz_full_read.h"
#include "collectors/doctor/checks.h"
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
