// healthz: whether the server says it is healthy (/healthz). A sick server answers 503 with
// {"status":"unavailable","error":"..."}, so the body is read whatever the HTTP status.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

// nats_server_healthy from the body's "status"; adds nothing when there is no status string.
void translate_healthz(const JsonValue& healthz, MetricSet& out);

}  // namespace natsexp
