// jsz: JetStream on this server (/jsz with accounts, streams, consumers and config).
//
// Each node's /jsz lists the streams and consumers it holds a replica of, with that replica's view;
// only the leader's numbers are current. So a stream's or consumer's series come from its leader
// only, and across the nodes of a cluster every stream and consumer has exactly one series.
#pragma once

#include <functional>
#include <string>

#include "collectors/collector.h"

namespace natsexp {

inline constexpr const char* kJszPath = "/jsz?accounts=true&streams=true&consumers=true&config=true";

// What walk_jsz() calls for each account, and for each stream and consumer this server leads.
struct JszVisitor {
  std::function<void(const JsonValue& account, const std::string& account_name)> account;
  std::function<void(const JsonValue& stream, const std::string& account_name, const std::string& stream_name)>
      led_stream;
  std::function<void(const JsonValue& consumer, const std::string& account_name, const std::string& stream_name,
                     const std::string& consumer_name)>
      led_consumer;
};

// The accounts, streams and consumers of a /jsz document (with accounts, streams and consumers),
// each once and named as the series label it: an account by its id (else its name), a stream or
// consumer by its name (else its config's name, or a consumer's durable_name). Streams and
// consumers are passed on only when `server_name` leads them (a consumer's leader need not be its
// stream's). The metrics and the doctor read JetStream through this one walk.
void walk_jsz(const JsonValue& jsz, const std::string& server_name, const JszVisitor& visitor);

// `server_name` is this server's name (from /varz: 2.9's /jsz does not print it); it decides which
// streams and consumers this server leads.
void translate_jsz(const JsonValue& jsz, const std::string& server_name, MetricSet& out);

}  // namespace natsexp
