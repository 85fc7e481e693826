// leafz: (stub, being written) /leafz.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_leafz(const json& document, MetricSet& out);

}  // namespace natsexp
