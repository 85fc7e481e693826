// routez: (stub, being written) /routez.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_routez(const json& document, MetricSet& out);

}  // namespace natsexp
