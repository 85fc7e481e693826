// accstatz: (stub, being written) /accstatz.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_accstatz(const json& document, MetricSet& out);

}  // namespace natsexp
