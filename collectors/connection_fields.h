// How one element of a /connz "connections" list reads, for the connz collector and the doctor
// alike: whether it is closed, and the fields that say which client it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "collectors/json.h"

namespace natsexp {

// Closed connections appear only with state=closed/all; they carry a stop time or a reason.
bool is_closed_connection(const JsonValue& conn);

// Which client a connection is: the labels of its series (connz) and of the doctor's evidence.
struct ClientIdentity {
  std::optional<std::uint64_t> cid;  // absent: the connection cannot be told apart from others
  std::string name, ip, account, lang, version;
};
ClientIdentity read_client_identity(const JsonValue& conn);

}  // namespace natsexp
