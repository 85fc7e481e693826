// healthz: (stub, being written) /healthz.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_healthz(const json& document, MetricSet& out);

}  // namespace natsexp
