// --web.config.file parsing (config/web_config.h) and probe config comparison for reloads; the TLS
// handshakes and basic auth themselves are tested with real clients in
// tests/integration/test_web_security.py.
#include <doctest/doctest.h>

#include <string>

#include "config/load.h"
#include "config/reader.h"
#include "config/web_config.h"
#include "exporter/reload.h"

using namespace natsexp;

namespace {
const std::string kHash = "$2b$05$idPNXzNe53NjvuovaDzZi.bUcrAkjgKhPP0g9jq5GtRpU4uJz3ExS";

std::string error_of(const std::string& yaml) {
  try {
    load_web_config_yaml(yaml, "web.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("web config: bcrypt hashes are recognised, anything else is not") {
  CHECK(is_bcrypt_hash(kHash));
  CHECK(is_bcrypt_hash("$2y$10$" + kHash.substr(7)));
  CHECK(is_bcrypt_hash("$2a$12$" + kHash.substr(7)));
  CHECK_FALSE(is_bcrypt_hash("s3cret"));
  CHECK_FALSE(is_bcrypt_hash("$2x$05$" + kHash.substr(7)));
  CHECK_FALSE(is_bcrypt_hash(kHash.substr(0, 59)));
  CHECK_FALSE(is_bcrypt_hash("$1$abcdefgh$" + std::string(48, 'a')));
  CHECK_FALSE(is_bcrypt_hash(kHash.substr(0, 59) + "!"));
}

TEST_CASE("web config: users, empty documents, and errors with file:line: key") {
  auto users =
      load_web_config_yaml("basic_auth_users:\n  prometheus: " + kHash + "\n  other: " + kHash + "\n", "web.yml");
  CHECK(users.basic_auth_users.size() == 2);
  CHECK_FALSE(users.tls.has_value());
  CHECK(users.source == "web.yml");
  CHECK(load_web_config_yaml("", "web.yml").basic_auth_users.empty());
  CHECK_FALSE(load_web_config_yaml("tls_server_config:\n", "web.yml").tls.has_value());

  CHECK(error_of("basic_auth_users:\n  prometheus: plaintext-pw\n") ==
        "web.yml:2: basic_auth_users.prometheus: is not a bcrypt hash ($2a$/$2b$/$2y$…, e.g. from `htpasswd -nbB "
        "user password`)");
  CHECK(error_of("basic_auth_users:\n  prometheus: plaintext-pw\n").find("plaintext-pw") == std::string::npos);
  CHECK(error_of("tls_config:\n  cert_file: x\n") ==
        "web.yml:1: tls_config: unknown key (known: tls_server_config, basic_auth_users)");
  CHECK(error_of("http_server_config:\n  http2: true\n").find("web.yml:1: http_server_config: not supported") == 0);
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [x]\n")
            .find("web.yml:4: tls_server_config.cipher_suites: not supported by nats-exporter") != std::string::npos);
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS11\n")
            .find("web.yml:4: tls_server_config.min_version: \"TLS11\" is not accepted") != std::string::npos);
  CHECK(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n")
            .find("web.yml:4: tls_server_config.client_auth_type: client_ca_file is set but client_auth_type is not") !=
        std::string::npos);
  CHECK(error_of("tls_server_config:\n  cert_file: /nonexistent.crt\n  key_file: /nonexistent.key\n")
            .find("web.yml:2: tls_server_config.cert_file: cannot load \"/nonexistent.crt\"") != std::string::npos);
  CHECK(error_of("[1, 2]\n").find("web.yml:1: the top level must be a map") == 0);
  CHECK(error_of("basic_auth_users: [a]\n") == "web.yml:1: basic_auth_users: expected a map of user: bcrypt hash");
  CHECK(error_of("a: [\n").find("web.yml:") == 0);
  // The one YAML reader: duplicate keys are reported with the line of the first.
  CHECK(error_of("basic_auth_users:\n  prometheus: " + kHash + "\n  prometheus: " + kHash + "\n") ==
        "web.yml:3: basic_auth_users.prometheus: duplicate key (first given at line 2)");
  CHECK(error_of("basic_auth_users: {}\nbasic_auth_users: {}\n") ==
        "web.yml:2: basic_auth_users: duplicate key (first given at line 1)");
}

TEST_CASE("reload: probe configs compare on every setting but the origin line") {
  ProbeConfig a;
  a.name = "rtt";
  ProbeConfig b = a;
  b.origin = "other.yaml:7";
  CHECK(same_probe_config(a, b));
  b.interval = std::chrono::milliseconds(5000);
  CHECK_FALSE(same_probe_config(a, b));
  b = a;
  b.connection.auth.password = "changed";
  CHECK_FALSE(same_probe_config(a, b));
  b = a;
  b.connection.tls.ca_file = "/etc/ca.pem";
  CHECK_FALSE(same_probe_config(a, b));
  b = a;
  b.servers = {"nats://10.0.0.1:4222"};
  CHECK_FALSE(same_probe_config(a, b));
}

TEST_CASE("Reader::choice: the index of a name, trimmed and in any case unless exact, one message shape") {
  const std::vector<std::string> names = {"warning", "critical"};
  const YAML::Node map = YAML::Load("a: ' Critical '\nb: fatal\nc: [x]\nd: NoClientCert\ne: noclientcert\n");
  Reader r("x.yaml");
  const auto entries = r.entries(map, "", "x.yaml", {"a", "b", "c", "d", "e"});
  REQUIRE(entries.size() == 5);
  CHECK(r.choice(entries[0], names, "a severity") == std::optional<std::size_t>(1));
  CHECK_FALSE(r.choice(entries[1], names, "a severity"));
  CHECK_FALSE(r.choice(entries[2], names, "a severity"));
  const std::vector<std::string> exact = {"RequestClientCert", "NoClientCert", "VerifyClientCertIfGiven"};
  CHECK(r.choice(entries[3], exact, "a client auth type", true) == std::optional<std::size_t>(1));
  CHECK_FALSE(r.choice(entries[4], exact, "a client auth type", true));
  CHECK(r.problems() ==
        std::vector<std::string>{
            "x.yaml:2: b: \"fatal\" is not a severity (warning or critical)",
            "x.yaml:3: c: expected warning or critical, got a list",
            "x.yaml:5: e: \"noclientcert\" is not a client auth type (RequestClientCert, NoClientCert or "
            "VerifyClientCertIfGiven) (did you mean \"NoClientCert\"?)"});
}
