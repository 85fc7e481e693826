// varz: the server's general state, its counters and its configured limits (/varz).
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_varz(const JsonValue& varz, MetricSet& out);

}  // namespace natsexp
