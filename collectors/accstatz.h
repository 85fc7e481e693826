// accstatz: per-account traffic and connections on this server (/accstatz?unused=1, which also lists
// accounts without connections so their series do not come and go).
#pragma once

#include "collectors/collector.h"

namespace natsexp {

inline constexpr const char* kAccstatzPath = "/accstatz?unused=1";

void translate_accstatz(const JsonValue& accstatz, MetricSet& out);

}  // namespace natsexp
