// gatewayz: the super-cluster gateway connections of this server (/gatewayz).
//
// One series set per gateway connection, labelled `gateway` (the remote cluster's name), `direction`
// (outbound: this server dialled it, one per remote cluster; inbound: a remote server dialled in,
// possibly several per cluster) and `cid` (the connection id, unique among the inbound ones).
// A server without gateways reports zero gateways.
#pragma once

#include "collectors/collector.h"

namespace natsexp {

// Throws FetchError when `document` is not a JSON object.
void translate_gatewayz(const JsonValue& document, MetricSet& out);

}  // namespace natsexp
