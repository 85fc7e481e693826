// subsz: the subject-routing table of the server, summed over its accounts (/subsz): subscriptions,
// the match cache and how widely messages fan out.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_subsz(const JsonValue& subsz, MetricSet& out);

}  // namespace natsexp
