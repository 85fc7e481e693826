// A scrape's deadline: the configured timeout, or Prometheus' own minus the offset.
#include <doctest/doctest.h>

#include "exporter/scrape.h"

using namespace natsexp;

TEST_CASE("scrape budget: configured timeout, or Prometheus' minus the offset") {
  Config c;
  c.scrape_timeout = std::chrono::milliseconds(10000);
  c.scrape_timeout_offset = std::chrono::milliseconds(500);
  CHECK(scrape_budget(c, std::nullopt).count() == 10000);
  CHECK(scrape_budget(c, 4.0).count() == 3500);
  CHECK(scrape_budget(c, 30.0).count() == 10000);
  CHECK(scrape_budget(c, 0.6).count() == 300);  // never less than half of Prometheus' timeout
  CHECK(scrape_budget(c, -1.0).count() == 10000);
}
