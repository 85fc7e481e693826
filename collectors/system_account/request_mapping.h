// The system account's side of a monitoring request: which `$SYS.REQ.…` subject and JSON body
// stand for an HTTP path such as "/connz?auth=true&limit=1024&offset=0", and how a reply's
// {"server", "data", "error"} envelope unwraps into the document the HTTP endpoint would have sent.
// Pure functions, unit-tested on the captured replies (tests/unit/test_system_account.cpp).
#pragma once

#include <memory>
#include <string>

#include "collectors/json.h"

namespace natsexp::system_account {

// One request of a monitoring endpoint over NATS.
struct SystemRequest {
  std::string endpoint;  // the subject's last token: "VARZ", "CONNZ", … ("STATZ" for accstatz)
  std::string body;      // the HTTP query's options as JSON ("" when there are none)
  // accstatz has no per-server subject in 2.9 ($SYS.REQ.SERVER.<id>.ACCSTATZ answers 503): it is
  // asked as $SYS.REQ.ACCOUNT.PING.STATZ with a server_name filter instead.
  bool account_ping = false;
  // Replies that can be large (every connection, every stream): asked gzip-compressed once they
  // proved large (SystemConnection::wants_compression).
  bool compress = false;
};

// Maps a monitoring path and query to its request. Options are translated to the server's JSON
// names and types (subs=detail → subscriptions_detail, state=closed → "state": 1, consumers →
// consumer, leader-only → leader_only, unused → include_unused). Throws FetchError for a path or
// option that has no NATS equivalent (so a collector never silently reads something else).
SystemRequest map_monitor_path(const std::string& path_and_query);

// The subject that asks one server: $SYS.REQ.SERVER.<server_id>.<X>, or for an account ping
// $SYS.REQ.ACCOUNT.PING.<X>. `server_name` is added to the body as a filter for account pings.
std::string request_subject(const SystemRequest& request, const std::string& server_id);
// The body to send: request.body, plus {"server_name": …} for an account ping.
std::string request_body(const SystemRequest& request, const std::string& server_name);

// Who answered, from the envelope's "server" object.
struct ReplyServer {
  std::string id;
  std::string name;
  std::string cluster;
  std::string domain;
  std::string version;
  bool jetstream = false;
};
ReplyServer read_reply_server(const JsonValue& server);

struct UnwrappedReply {
  ReplyServer server;
  std::shared_ptr<const JsonDocument> data;  // the endpoint's document (for STATSZ: "statsz")
};

// Unwraps one reply body (already decompressed). Throws FetchError with the server's description
// when the envelope carries "error", or when it is not an envelope at all.
UnwrappedReply unwrap_reply(std::string text);

}  // namespace natsexp::system_account
