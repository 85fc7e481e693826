// The `system_account:` section: one NATS connection through which the exporter reads every
// server's monitoring data ($SYS.REQ.SERVER.<id>.<X>) instead of, or beside, HTTP targets.
//
//   system_account:
//     servers: [nats://nats-0:4222, nats://nats-1:4222]
//     connection: {creds_file: /run/secrets/sys.creds}   # the probes' connection keys
//     prefer: http              # a server reached both ways is reported from this side
//     discovery_gap: 250ms      # a gather ends this long after the last reply
//     forget_after: 5m          # a server silent this long is no longer reported (nats_up 0 until then)
//
// The servers and connection keys are the probes' (config/probe_config.h: read_servers_and_connection):
// same validation, same secrets handling (*_file, *_env). docs/system-account.md documents the keys.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/probe_config.h"  // also declares YAML::Node and Reader

namespace natsexp {

// The connection's name defaults to nats-exporter-system-account.
struct SystemAccountConfig : NatsClientConfig {
  bool enabled = false;  // the section is present
  // Which way wins for a server that is also an HTTP target (same server_name): HTTP by default,
  // because the sidecar's own port keeps working when the NATS path (routes, gateways) is the
  // thing that broke, and it costs the server no system-account traffic.
  bool prefer_http = true;
  std::chrono::milliseconds discovery_gap{250};
  std::chrono::milliseconds forget_after{300000};
  std::string origin;  // "file.yaml:12" of the section, for log lines
};

// Reads the `system_account:` map, adding problems to `reader` as
// `<file>:<line>: system_account.<key>: <problem>`.
SystemAccountConfig read_system_account(Reader& reader, const YAML::Node& node);

}  // namespace natsexp
