#include "collectors/endpoint_documents.h"

#include <initializer_list>
#include <string>

#include "collectors/fetch_error.h"

namespace natsexp {

namespace {

struct Signature {
  std::string_view endpoint;
  std::initializer_list<std::string_view> keys;
};

// Checked against every capture in tests/fixtures/nats-server-2.9.10 and nats-server's
// server/monitor.go (2.10+ adds server_id and now to /subsz; the keys below stay).
const Signature kSignatures[] = {
    {"varz", {"server_id", "now"}},     {"connz", {"server_id", "now"}}, {"routez", {"server_id", "now"}},
    {"gatewayz", {"server_id", "now"}}, {"leafz", {"server_id", "now"}}, {"subsz", {"num_subscriptions"}},
    {"accstatz", {"server_id", "now"}}, {"jsz", {"server_id", "now"}},   {"healthz", {"status"}},
};

}  // namespace

void require_endpoint_document(const JsonValue& document, std::string_view endpoint) {
  const std::string name(endpoint);
  if (!document.is_object()) throw FetchError(name + ": the document is not a JSON object but " + document.type_name());
  for (const auto& signature : kSignatures) {
    if (signature.endpoint != endpoint) continue;
    for (std::string_view key : signature.keys)
      if (!document.contains(key))
        throw FetchError(name + ": the document is not a /" + name + " reply (no \"" + std::string(key) + "\")");
  }
}

}  // namespace natsexp
