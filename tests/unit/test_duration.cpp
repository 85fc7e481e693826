// base/duration.h: the one duration grammar, and what each of its readers accepts.
#include <doctest/doctest.h>

#include <stdexcept>

#include "base/duration.h"

using namespace natsexp;
using std::chrono::milliseconds;

TEST_CASE("duration grammar: terms, units, fractions, exponents, signs") {
  auto seconds = [](const char* text) { return static_cast<double>(scan_duration(text)->seconds); };
  CHECK(seconds("1h30m") == doctest::Approx(5400));
  CHECK(seconds("2.5ms") == doctest::Approx(0.0025));
  CHECK(seconds("219\xC2\xB5s") == doctest::Approx(219e-6));  // µs as U+00B5
  CHECK(seconds("219\xCE\xBCs") == doctest::Approx(219e-6));  // and as U+03BC
  CHECK(seconds("1y2d3h") == doctest::Approx(365 * 86400 + 2 * 86400 + 3 * 3600));
  CHECK(seconds("1w") == doctest::Approx(7 * 86400));
  CHECK(seconds("1e-3s") == doctest::Approx(0.001));
  CHECK(seconds(" 10s ") == doctest::Approx(10));
  CHECK(scan_duration("-1.5s")->negative);
  CHECK(scan_duration("0.05")->unitless);
  std::string why;
  CHECK_FALSE(scan_duration("5 parsecs", &why));
  CHECK(why == "unknown unit \" parsecs\" (use ns, us, ms, s, m, h, d or w)");
  CHECK_FALSE(scan_duration("1s5", &why));
  CHECK(why.find("missing unit") == 0);
  CHECK_FALSE(scan_duration("", &why));
  CHECK_FALSE(scan_duration("ms"));
  CHECK_FALSE(scan_duration("-"));
}

TEST_CASE("parse_duration: a config duration needs a unit, no sign, whole milliseconds") {
  CHECK(parse_duration("1m30s") == milliseconds(90000));
  CHECK(parse_duration("2000us") == milliseconds(2));
  CHECK(parse_duration("+1s") == milliseconds(1000));
  CHECK_THROWS_WITH_AS(parse_duration("10"), "missing unit (e.g. \"10s\", \"500ms\")", std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_duration("-1s"), "negative durations are not allowed", std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_duration("1500us"), "finer than a millisecond", std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_duration("200y"), "too large", std::invalid_argument);
  CHECK(format_duration(parse_duration("1h2m3s4ms")) == "1h2m3s4ms");
}

TEST_CASE("parse_seconds: a latency, with a plain number read as seconds") {
  CHECK(parse_seconds("25us") == doctest::Approx(25e-6));
  CHECK(parse_seconds("0.05") == doctest::Approx(0.05));
  CHECK(parse_seconds("1m30s") == doctest::Approx(90));
  CHECK_THROWS_WITH_AS(parse_seconds("0s"), "must be greater than zero", std::invalid_argument);
  CHECK_THROWS_AS(parse_seconds("fast"), std::invalid_argument);
}

TEST_CASE("go_duration_seconds: the monitoring JSON's durations") {
  CHECK(go_duration_seconds("-1.5s").value() == doctest::Approx(-1.5));
  CHECK(go_duration_seconds("0").value() == 0);
  CHECK_FALSE(go_duration_seconds("12"));  // Go writes a unit for anything but zero
  CHECK_FALSE(go_duration_seconds("1.s2"));
}
