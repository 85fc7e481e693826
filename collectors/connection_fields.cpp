#include "collectors/connection_fields.h"

#include "collectors/json_fields.h"

namespace natsexp {

bool is_closed_connection(const JsonValue& conn) {
  const JsonValue stop = conn.find("stop");
  if (stop.exists() && !stop.is_null()) return true;
  const auto reason = conn.find("reason").as_string();
  return reason && !reason->empty();
}

ClientIdentity read_client_identity(const JsonValue& conn) {
  ClientIdentity id;
  id.cid = conn.find("cid").as_unsigned();
  id.name = text_or(conn, "name");
  id.ip = text_or(conn, "ip");
  id.account = text_or(conn, "account");
  id.lang = text_or(conn, "lang");
  id.version = text_or(conn, "version");
  return id;
}

}  // namespace natsexp
