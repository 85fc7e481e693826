// The client probe's configuration: the `probes:` list of the config file.
//
//   probes:
//     - name: nats-rtt                 # required, unique; the `probe` label
//       kind: request                  # request | jetstream-publish | consumer-watch
//       servers: [nats://127.0.0.1:4222]
//       interval: 1s
//       timeout: 2s
//
// Secrets (password, token, creds, nkey seed) are read while parsing, from the YAML value, a file
// (`*_file`) or an environment variable (`*_env`), and are never part of an error message.
// docs/probe.md documents every key.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace natsexp {

enum class ProbeKind { request, jetstream_publish, consumer_watch };

// "request", "jetstream-publish", "consumer-watch".
const char* probe_kind_name(ProbeKind kind);

// The TLS settings of a client: of a target's monitoring port, of a probe's NATS connection.
struct TlsClientConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
};

struct ProbeTlsConfig : TlsClientConfig {
  bool enabled = false;  // a `tls:` section was given, or a tls:// URL
};

// How the probe authenticates. At most one method is set.
struct ProbeAuthConfig {
  std::string user;
  std::string password;  // secret
  std::string token;     // secret
  // A creds file's two parts, read at load time (from creds_file or creds_env).
  std::string user_jwt;  // not secret by itself, but only ever sent to the server
  // secret: from the creds or from nkey_seed_file / nkey_seed_env. Its shape is checked here; the
  // probe derives the public key (collectors/probe/nkey.h).
  std::string nkey_seed;

  bool empty() const {
    return user.empty() && password.empty() && token.empty() && user_jwt.empty() && nkey_seed.empty();
  }
};

struct ProbeConnectionConfig {
  std::string name = "nats-exporter-probe";  // the client name the server shows in /connz
  ProbeTlsConfig tls;
  ProbeAuthConfig auth;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_wait{2000};
  std::chrono::milliseconds reconnect_jitter{100};
  std::size_t reconnect_buffer_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds ping_interval{10000};
  int max_pings_out = 2;
};

// Whether two connection settings are the same (every field, secrets included): a reload keeps a
// probe's, an observation's or the system account's connection only when nothing of it changed.
bool same_connection_config(const ProbeConnectionConfig& a, const ProbeConnectionConfig& b);

// The default latency buckets, in seconds: 25µs … 10s.
const std::vector<double>& default_probe_buckets();

// What every section that opens a NATS connection has: probes, observations, the system account.
struct NatsClientConfig {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};  // without credentials
  ProbeConnectionConfig connection;
};

struct ProbeConfig : NatsClientConfig {
  std::string name;
  ProbeKind kind = ProbeKind::request;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{2000};

  // request and jetstream-publish
  std::string subject;     // request: when empty, the probe picks its own (collectors/probe/probe.h)
  std::size_t size = 128;  // payload bytes

  // request: the built-in responder. On by default when `subject` is not given, off when it is
  // (a real service answers it).
  bool responder_enabled = true;
  std::string responder_queue_group;
  int pending_limit_messages = 65536;
  int pending_limit_bytes = 64 * 1024 * 1024;

  // consumer-watch
  std::string stream;
  std::string consumer;
  std::string jetstream_domain;
  std::string jetstream_api_prefix;

  std::vector<double> buckets = default_probe_buckets();  // histogram upper bounds in seconds

  std::string origin;  // "file.yaml:12" of the list item, for log lines
};

class Reader;  // config/reader.h

// Reads the `probes:` node, adding each problem to `reader` as `<file>:<line>: probes[i].<key>: <problem>`.
std::vector<ProbeConfig> read_probes(Reader& reader, const YAML::Node& probes_node);

struct Entry;
// Reads the `connection` then the `servers` entry among `entries` exactly as a probe's: same
// validation, same secrets handling (*_file, *_env), credentials moved out of URLs. For every section
// that opens a NATS connection (`observations:`, `system_account:`). Keeps the given defaults for
// absent keys; other entries are the caller's.
void read_servers_and_connection(Reader& reader, const std::vector<Entry>& entries, NatsClientConfig& client);
// Reads a `buckets` list: increasing durations, kept as seconds.
void read_buckets(Reader& reader, const Entry& entry, std::vector<double>& buckets);

// The kinds of a list whose items each have a `kind` that decides their keys (probes, observations).
struct ItemKinds {
  std::vector<std::string> names;              // in the order of the kind's enum
  std::vector<std::vector<std::string>> keys;  // keys[k]: the keys of kind k that not every kind has
  const char* what;                            // "a probe kind"
};
// Reads such an item's kind (its index in kinds.names, when known) first, then its servers and
// connection into `client` (read_servers_and_connection), and returns its entries of `keys`: a key of
// another kind is named as such, and `name` is required.
std::vector<Entry> read_kind_item(Reader& reader, const YAML::Node& item, const std::string& path,
                                  const std::string& at, const std::vector<std::string>& keys, const ItemKinds& kinds,
                                  std::optional<std::size_t>& kind, NatsClientConfig& client);

}  // namespace natsexp
