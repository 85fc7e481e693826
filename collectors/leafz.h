// leafz: the leaf node connections of this server (/leafz), from the hub's or the leaf's side.
//
// One series set per leaf node connection, labelled `remote` (the peer's server name, "name" in
// 2.10+, else its "ip:port"), `account` (the local account the connection is bound to) and
// `address` (the peer's "ip:port", which keeps two connections from one server apart).
#pragma once

#include "collectors/collector.h"

namespace natsexp {

// Throws FetchError when `document` is not a JSON object.
void translate_leafz(const JsonValue& document, MetricSet& out);

}  // namespace natsexp
