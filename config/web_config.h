// --web.config.file: TLS and basic auth for the exporter's own HTTP endpoint, in the
// exporter-toolkit format Prometheus users already know:
//
//   tls_server_config:
//     cert_file: /etc/nats-exporter/tls/tls.crt
//     key_file: /etc/nats-exporter/tls/tls.key
//     client_ca_file: /etc/nats-exporter/tls/ca.crt      # for client certificates
//     client_auth_type: RequireAndVerifyClientCert        # default NoClientCert
//     min_version: TLS12                                  # TLS12 (default) or TLS13
//   basic_auth_users:
//     prometheus: $2y$10$...                              # bcrypt hashes (htpasswd -nbB)
//
// Problems are ConfigErrors naming file:line: key (exit 2), like the main config's.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace natsexp {

enum class ClientAuthType {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};
const char* client_auth_type_name(ClientAuthType type);

struct WebTlsConfig {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM private key
  std::string client_ca_file;
  ClientAuthType client_auth_type = ClientAuthType::kNoClientCert;
  bool min_tls13 = false;  // min_version: TLS13 (else TLS12)
};

struct WebConfig {
  std::string source;                                   // the file, for messages; "" when no --web.config.file
  std::optional<WebTlsConfig> tls;                      // absent: plain HTTP
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash (secret-ish: never logged)

  bool basic_auth() const { return !basic_auth_users.empty(); }
};

// Parses and validates a web config. The certificate and key are loaded once (and checked to match),
// so a bad file fails here, at start or reload, not at the first TLS handshake. Throws ConfigError.
WebConfig load_web_config_yaml(const std::string& yaml_text, const std::string& source);
WebConfig load_web_config_file(const std::string& path);

// True when `hash` looks like a bcrypt hash: $2a$, $2b$ or $2y$, a two-digit cost, 53 more characters.
bool is_bcrypt_hash(const std::string& hash);

}  // namespace natsexp
