// routez: the cluster routes of this server (/routez), one series set per route connection.
//
// Labels: `remote` (the peer's server name, "remote_name" in 2.10+, else its server id "remote_id")
// and `rid` (the route's connection id: 2.10 route pooling opens several routes to one peer).
#pragma once

#include "collectors/collector.h"

namespace natsexp {

// Throws FetchError when `document` is not a JSON object.
void translate_routez(const JsonValue& document, MetricSet& out);

}  // namespace natsexp
