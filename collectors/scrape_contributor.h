// A source of families that does no I/O at scrape time (the client probes, the observations, the
// doctor's probe checks, the HTTP endpoint's own counters): it reads what it already measured. The
// scrape calls every contributor once per collection, after the collectors.
#pragma once

#include "collectors/metric_set.h"

namespace natsexp {

class ScrapeContributor {
 public:
  virtual ~ScrapeContributor() = default;
  virtual void contribute(MetricSet& out) = 0;
};

}  // namespace natsexp
