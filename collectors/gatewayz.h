// gatewayz: (stub, being written) /gatewayz.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_gatewayz(const json& document, MetricSet& out);

}  // namespace natsexp
