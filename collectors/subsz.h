// subsz: (stub, being written) /subsz.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_subsz(const json& document, MetricSet& out);

}  // namespace natsexp
