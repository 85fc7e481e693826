// What makes a document the reply of a given monitoring endpoint: the one table of identifying keys.
//
// A monitoring port that answers something else (a proxy's error page as JSON, another service, a
// `[]`) must fail the collector that asked, not count as a success with empty series. Every reply of
// nats-server 2.9 to 2.14 carries these keys at the top level: `server_id` and `now` where the
// endpoint has them, /subsz in 2.9 only its sublist statistics, /healthz only `status`.
#pragma once

#include <string_view>

#include "collectors/json.h"

namespace natsexp {

// Throws FetchError unless `document` is a JSON object with every identifying key of `endpoint`
// ("varz", "connz", "routez", "gatewayz", "leafz", "subsz", "accstatz", "jsz", "healthz"); the
// message names the endpoint and the missing key. An unknown endpoint name requires an object only.
void require_endpoint_document(const JsonValue& document, std::string_view endpoint);

}  // namespace natsexp
