// The natsOptions of a long-lived connection (a probe's, an observation's): servers, timeouts,
// reconnect forever with backoff and jitter, pings, TLS and one auth method, from the probe
// connection settings both share. One home, so probes and observations connect alike.
#pragma once

#include <string>
#include <vector>

#include "collectors/probe/nats_handle.h"
#include "config/probe_config.h"

namespace natsexp::probe {

// Where nats.c reports on the connection; `closure` is handed to every callback. `user_jwt` and
// `sign` serve creds and nkey auth (the secret stays with the owner, nats.c asks when it needs it).
struct ConnectionCallbacks {
  natsConnectionHandler disconnected = nullptr;
  natsConnectionHandler reconnected = nullptr;
  natsConnectionHandler closed = nullptr;
  natsErrHandler error = nullptr;
  natsUserJWTHandler user_jwt = nullptr;
  natsSignatureHandler sign = nullptr;
  void* closure = nullptr;
};

// Fills `opts` (created here) for `servers` with `connection`'s settings. Returns the first status
// that is not NATS_OK (a local problem such as a CA file that is not PEM; its text holds no secret).
natsStatus make_connection_options(NatsPtr<natsOptions>& opts, const std::vector<std::string>& servers,
                                   const ProbeConnectionConfig& connection, const ConnectionCallbacks& callbacks);

}  // namespace natsexp::probe
