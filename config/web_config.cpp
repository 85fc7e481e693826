// --web.config.file loading and validation. See config/web_config.h.
#include "config/web_config.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include "config/load.h"

namespace natsexp {

namespace {

struct AuthTypeName {
  ClientAuthType type;
  const char* name;
};
const AuthTypeName kAuthTypes[] = {
    {ClientAuthType::kNoClientCert, "NoClientCert"},
    {ClientAuthType::kRequestClientCert, "RequestClientCert"},
    {ClientAuthType::kRequireAnyClientCert, "RequireAnyClientCert"},
    {ClientAuthType::kVerifyClientCertIfGiven, "VerifyClientCertIfGiven"},
    {ClientAuthType::kRequireAndVerifyClientCert, "RequireAndVerifyClientCert"},
};

// exporter-toolkit keys we do not implement: named, so a migrated file fails with a clear reason.
const char* const kUnsupportedTlsKeys[] = {"cipher_suites", "curve_preferences", "max_version",
                                           "prefer_server_cipher_suites", "client_allowed_sans"};

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  WebConfig read(const YAML::Node& root) {
    WebConfig out;
    out.source = source_;
    if (!root.IsDefined() || root.IsNull()) return out;
    if (!root.IsMap()) {
      add(root, "", "the top level must be a map (tls_server_config, basic_auth_users)");
      return finish(out);
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (key == "tls_server_config") {
        tls(it->first, it->second, out);
      } else if (key == "basic_auth_users") {
        users(it->first, it->second, out);
      } else if (key == "http_server_config") {
        add(it->first, key, "not supported by nats-exporter (HTTP/1.1 only, no custom headers)");
      } else {
        add(it->first, key, "unknown key (known: tls_server_config, basic_auth_users)");
      }
    }
    return finish(out);
  }

 private:
  std::string where(const YAML::Node& n) const {
    return n.Mark().line >= 0 ? source_ + ":" + std::to_string(n.Mark().line + 1) : source_;
  }
  void add(const YAML::Node& at, const std::string& key, const std::string& problem) {
    problems_.push_back(where(at) + ": " + (key.empty() ? "" : key + ": ") + problem);
  }
  WebConfig& finish(WebConfig& out) {
    if (!problems_.empty()) {
      std::string all;
      for (const auto& p : problems_) all += (all.empty() ? "" : "\n") + p;
      throw ConfigError(all);
    }
    return out;
  }

  bool scalar(const YAML::Node& key, const YAML::Node& value, const std::string& path, std::string& out) {
    if (!value.IsScalar()) {
      add(value.IsNull() ? key : value, path, "expected a single value");
      return false;
    }
    out = value.Scalar();
    return true;
  }

  void tls(const YAML::Node& key, const YAML::Node& map, WebConfig& out) {
    if (map.IsNull()) return;  // an empty section: plain HTTP, as in exporter-toolkit
    if (!map.IsMap()) return add(key, "tls_server_config", "expected a map");
    WebTlsConfig t;
    YAML::Node cert_at = key, key_at = key, ca_at = key, auth_at = key;
    bool auth_given = false;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string name = it->first.Scalar();
      const std::string path = "tls_server_config." + name;
      std::string value;
      if (name == "cert_file") {
        if (scalar(it->first, it->second, path, value)) t.cert_file = value, cert_at = it->first;
      } else if (name == "key_file") {
        if (scalar(it->first, it->second, path, value)) t.key_file = value, key_at = it->first;
      } else if (name == "client_ca_file") {
        if (scalar(it->first, it->second, path, value)) t.client_ca_file = value, ca_at = it->first;
      } else if (name == "client_auth_type") {
        if (!scalar(it->first, it->second, path, value)) continue;
        auth_at = it->first;
        bool found = false;
        for (const auto& a : kAuthTypes)
          if (value == a.name) t.client_auth_type = a.type, found = true;
        if (!found) {
          std::string known;
          for (const auto& a : kAuthTypes) known += (known.empty() ? "" : ", ") + std::string(a.name);
          add(it->first, path, "\"" + value + "\" is not a client auth type (known: " + known + ")");
        }
        auth_given = true;
      } else if (name == "min_version") {
        if (!scalar(it->first, it->second, path, value)) continue;
        if (value == "TLS12") t.min_tls13 = false;
        else if (value == "TLS13") t.min_tls13 = true;
        else if (value == "TLS10" || value == "TLS11")
          add(it->first, path, "\"" + value + "\" is not accepted: TLS 1.0 and 1.1 are insecure (use TLS12 or TLS13)");
        else add(it->first, path, "\"" + value + "\" is not a TLS version (TLS12 or TLS13)");
      } else {
        bool unsupported = false;
        for (const char* u : kUnsupportedTlsKeys) unsupported = unsupported || name == u;
        add(it->first, path, unsupported ? "not supported by nats-exporter"
                                         : "unknown key (known: cert_file, key_file, client_ca_file, "
                                           "client_auth_type, min_version)");
      }
    }
    if (t.cert_file.empty()) add(key, "tls_server_config.cert_file", "is required");
    if (t.key_file.empty()) add(key, "tls_server_config.key_file", "is required");
    const bool verifies = t.client_auth_type == ClientAuthType::kVerifyClientCertIfGiven ||
                          t.client_auth_type == ClientAuthType::kRequireAndVerifyClientCert;
    if (verifies && t.client_ca_file.empty())
      add(auth_at, "tls_server_config.client_ca_file",
          std::string("is required with client_auth_type ") + client_auth_type_name(t.client_auth_type));
    if (!t.client_ca_file.empty() && !auth_given)
      add(ca_at, "tls_server_config.client_auth_type",
          "client_ca_file is set but client_auth_type is not (say e.g. RequireAndVerifyClientCert)");
    if (!t.cert_file.empty() && !t.key_file.empty()) check_files(t, cert_at, key_at, ca_at);
    out.tls = t;
  }

  // Loads the certificate chain, the key and the CA the way the server will, and checks that the
  // key matches the certificate.
  void check_files(const WebTlsConfig& t, const YAML::Node& cert_at, const YAML::Node& key_at, const YAML::Node& ca_at) {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!ctx) return add(cert_at, "tls_server_config", "cannot create a TLS context: " + openssl_error());
    ERR_clear_error();
    bool cert_ok = SSL_CTX_use_certificate_chain_file(ctx.get(), t.cert_file.c_str()) == 1;
    if (!cert_ok) add(cert_at, "tls_server_config.cert_file", "cannot load \"" + t.cert_file + "\": " + openssl_error());
    // The key alone first, so a key that reads fine but belongs to another certificate is named as such.
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> key_ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!key_ctx || SSL_CTX_use_PrivateKey_file(key_ctx.get(), t.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      add(key_at, "tls_server_config.key_file", "cannot load \"" + t.key_file + "\": " + openssl_error());
    } else if (cert_ok && (SSL_CTX_use_PrivateKey_file(ctx.get(), t.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
                           SSL_CTX_check_private_key(ctx.get()) != 1)) {
      ERR_clear_error();
      add(key_at, "tls_server_config.key_file", "does not match the certificate in cert_file");
    }
    if (!t.client_ca_file.empty() && SSL_CTX_load_verify_locations(ctx.get(), t.client_ca_file.c_str(), nullptr) != 1)
      add(ca_at, "tls_server_config.client_ca_file",
          "cannot load \"" + t.client_ca_file + "\": " + openssl_error());
  }

  void users(const YAML::Node& key, const YAML::Node& map, WebConfig& out) {
    if (map.IsNull()) return;
    if (!map.IsMap()) return add(key, "basic_auth_users", "expected a map of user: bcrypt hash");
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string user = it->first.Scalar();
      const std::string path = "basic_auth_users." + user;
      if (user.empty() || user.find(':') != std::string::npos) {
        add(it->first, "basic_auth_users", "a user name must be non-empty and contain no ':'");
        continue;
      }
      std::string hash;
      if (!scalar(it->first, it->second, path, hash)) continue;
      // The value is never echoed: a plain password pasted here by mistake must not reach the logs.
      if (!is_bcrypt_hash(hash)) {
        add(it->second, path, "is not a bcrypt hash ($2a$/$2b$/$2y$…, e.g. from `htpasswd -nbB user password`)");
        continue;
      }
      if (!out.basic_auth_users.emplace(user, hash).second) add(it->first, path, "duplicate user");
    }
  }

  std::string source_;
  std::vector<std::string> problems_;
};

}  // namespace

const char* client_auth_type_name(ClientAuthType type) {
  for (const auto& a : kAuthTypes)
    if (a.type == type) return a.name;
  return "?";
}

bool is_bcrypt_hash(const std::string& hash) {
  // $2b$10$ + 22 characters of salt + 31 of hash.
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') return false;
  const std::string alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return hash.find_first_not_of(alphabet, 7) == std::string::npos;
}

WebConfig load_web_config_yaml(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1);
    throw ConfigError(where + ": invalid YAML: " + e.msg);
  }
  return Reader(source).read(root);
}

WebConfig load_web_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read: no such file or not readable");
  std::ostringstream text;
  text << in.rdbuf();
  return load_web_config_yaml(text.str(), path);
}

}  // namespace natsexp
