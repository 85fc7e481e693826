// What HTTP targets and discovered servers share (collectors/targets.h): caches keyed by source
// kind and name, and the rule that reports a server reached both ways once.
#include <doctest/doctest.h>

#include "collectors/connz_full_read.h"
#include "collectors/targets.h"

using namespace natsexp;

namespace {

ReachedTarget http(const std::string& name, const std::string& cluster, bool up, bool known = true) {
  return {SourceKind::http, {name, cluster, "ID-" + name}, known, up};
}
ReachedTarget discovered(const std::string& name, const std::string& cluster, bool up) {
  return {SourceKind::system_account, {name, cluster, "ID-" + name}, true, up};
}

}  // namespace

TEST_CASE("an HTTP target and a discovered server of the same name have full-read caches of their own") {
  FullConnzCaches caches;
  const TargetKey as_http{SourceKind::http, "a2"}, as_discovered{SourceKind::system_account, "a2"};
  CHECK(caches.find(as_http).get() == nullptr);
  const auto h = caches.get(as_http, std::chrono::seconds(30));
  const auto d = caches.get(as_discovered, std::chrono::seconds(30));
  REQUIRE(static_cast<bool>(h));
  REQUIRE(static_cast<bool>(d));
  CHECK(h.get() != d.get());
  CHECK(caches.get(as_http, std::chrono::seconds(30)).get() == h.get());  // kept across runs
  CHECK(caches.find(as_discovered).get() == d.get());
  caches.keep_only({as_discovered});
  CHECK(caches.find(as_http).get() == nullptr);
  CHECK(caches.find(as_discovered).get() == d.get());
}

TEST_CASE("a server reached both ways is reported once, from the preferred side while it answers") {
  const std::vector<ReachedTarget> both_up = {http("http-a2", "A", true), discovered("a2", "A", true)};
  // Different names: not the same server (the HTTP target's identity is its /varz's name).
  CHECK(reached_twice(both_up, true) == std::vector<bool>{false, false});
  const std::vector<ReachedTarget> same = {http("a2", "A", true), discovered("a2", "A", true),
                                           discovered("a3", "A", true)};
  CHECK(reached_twice(same, true) == std::vector<bool>{false, true, false});
  CHECK(reached_twice(same, false) == std::vector<bool>{true, false, false});
  // Same name in another cluster: another server.
  CHECK(reached_twice({http("a2", "B", true), discovered("a2", "A", true)}, true) == std::vector<bool>{false, false});
}

TEST_CASE("the preferred side down and the other answering: reported from the side that answers") {
  CHECK(reached_twice({http("a2", "A", false), discovered("a2", "A", true)}, true) == std::vector<bool>{true, false});
  CHECK(reached_twice({http("a2", "A", true), discovered("a2", "A", false)}, false) == std::vector<bool>{false, true});
  // Both down: still once, from the preferred side.
  CHECK(reached_twice({http("a2", "A", false), discovered("a2", "A", false)}, true) == std::vector<bool>{false, true});
}

TEST_CASE("an HTTP target that never answered matches a discovered server by its configured name") {
  // Its identity is its name with no cluster: before, the empty cluster kept it from matching, and
  // the server was reported twice (nats_up 0 from HTTP, 1 from the system account).
  CHECK(reached_twice({http("a2", "", false, /*known=*/false), discovered("a2", "A", true)}, true) ==
        std::vector<bool>{true, false});
  // A target that answered before keeps the cluster it had, and must match it.
  CHECK(reached_twice({http("a2", "", false, /*known=*/true), discovered("a2", "A", true)}, true) ==
        std::vector<bool>{false, false});
}
