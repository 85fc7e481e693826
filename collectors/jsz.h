// jsz: (stub, being written) /jsz.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_jsz(const json& document, MetricSet& out);

}  // namespace natsexp
