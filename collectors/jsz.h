// jsz: JetStream on this server (/jsz with accounts, streams, consumers and config).
//
// Each node's /jsz lists the streams and consumers it holds a replica of, with that replica's view;
// only the leader's numbers are current. So a stream's or consumer's series come from its leader
// only, and across the nodes of a cluster every stream and consumer has exactly one series.
#pragma once

#include <string>

#include "collectors/collector.h"

namespace natsexp {

inline constexpr const char* kJszPath = "/jsz?accounts=true&streams=true&consumers=true&config=true";

// `server_name` is this server's name (from /varz: 2.9's /jsz does not print it); it decides which
// streams and consumers this server leads.
void translate_jsz(const JsonValue& jsz, const std::string& server_name, MetricSet& out);

}  // namespace natsexp
