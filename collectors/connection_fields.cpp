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
  read_fields<ClientIdentity, std::string>(conn, id,
                                           {{&ClientIdentity::name, "name"},
                                            {&ClientIdentity::ip, "ip"},
                                            {&ClientIdentity::account, "account"},
                                            {&ClientIdentity::lang, "lang"},
                                            {&ClientIdentity::version, "version"}});
  return id;
}

}  // namespace natsexp
