#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "collectors/json_fields.h"
#include "tests/unit/fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;

TEST_CASE("go durations as NATS prints them") {
  CHECK(go_duration_seconds("219\xC2\xB5s").value() == doctest::Approx(219e-6));
  CHECK(go_duration_seconds("2.773973ms").value() == doctest::Approx(0.002773973));
  CHECK(go_duration_seconds("1m46s").value() == doctest::Approx(106));
  CHECK(go_duration_seconds("2d3h").value() == doctest::Approx(2 * 86400 + 3 * 3600));
  CHECK(go_duration_seconds("0s").value() == 0);
  CHECK(go_duration_seconds("0").value() == 0);
  CHECK(go_duration_seconds("-1.5s").value() == doctest::Approx(-1.5));
  CHECK_FALSE(go_duration_seconds(""));
  CHECK_FALSE(go_duration_seconds("fast"));
  CHECK_FALSE(go_duration_seconds("12"));
  CHECK_FALSE(go_duration_seconds("1.s2"));
  CHECK_FALSE(go_duration_seconds("5 parsecs"));
}

TEST_CASE("RFC 3339 timestamps") {
  CHECK(rfc3339_seconds("1970-01-01T00:00:00Z").value() == 0);
  CHECK(rfc3339_seconds("2026-11-25T12:52:13.310738556Z").value() == doctest::Approx(1795611133.310738556));
  CHECK(rfc3339_seconds("2026-11-25T13:52:13+01:00").value() == doctest::Approx(1795611133));
  CHECK_FALSE(rfc3339_seconds("2026-11-25"));
  CHECK_FALSE(rfc3339_seconds("2026-13-25T12:52:13Z"));
  CHECK_FALSE(rfc3339_seconds("2026-11-25T12:52:13Zjunk"));
}

TEST_CASE("readers return nullopt on missing or mistyped fields") {
  auto j = parsed(json::parse(R"({"a": 1, "s": "x", "b": true, "o": {"n": 2.5}, "arr": [1]})"));
  CHECK(number(j, "a").value() == 1);
  CHECK_FALSE(number(j, "s"));
  CHECK_FALSE(number(j, "missing"));
  CHECK_FALSE(number(parsed(json::array()), "a"));
  CHECK(number_at(j, "/o/n").value() == 2.5);
  CHECK_FALSE(number_at(j, "/arr/x"));
  CHECK_FALSE(number_at(j, "/s/deeper"));
  CHECK(text(j, "s").value() == "x");
  CHECK(text_or(j, "a", "fb") == "fb");
  CHECK(boolean(j, "b").value());
  CHECK(child(j, "o").is_object());
  CHECK_FALSE(child(j, "a").exists());
  CHECK_FALSE(child(parsed(json(42)), "a").exists());
}
