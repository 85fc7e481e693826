// connz: (stub, being written) /connz.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

void translate_connz(const json& document, MetricSet& out);

}  // namespace natsexp
