// --web.config.file loading and validation. See config/web_config.h.
#include "config/web_config.h"

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include "base/text.h"
#include "config/reader.h"

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
const std::map<std::string, std::string> kRefusedTopKeys = {
    {"http_server_config", " (HTTP/1.1 only, no custom headers)"}};
const std::map<std::string, std::string> kRefusedTlsKeys = {{"cipher_suites", ""},
                                                            {"curve_preferences", ""},
                                                            {"max_version", ""},
                                                            {"prefer_server_cipher_suites", ""},
                                                            {"client_allowed_sans", ""}};

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

// Loads the certificate chain, the key and the CA the way the server will, and checks that the key
// matches the certificate.
void check_files(Reader& r, const WebTlsConfig& t, const Entry& cert_at, const Entry& key_at, const Entry& ca_at) {
  SslCtx ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return r.add(cert_at, "cannot create a TLS context: " + strings::openssl_error());
  ERR_clear_error();
  const bool cert_ok = SSL_CTX_use_certificate_chain_file(ctx.get(), t.cert_file.c_str()) == 1;
  if (!cert_ok) r.add(cert_at, "cannot load " + strings::quote(t.cert_file) + ": " + strings::openssl_error());
  // The key alone first, so a key that reads fine but belongs to another certificate is named as such.
  SslCtx key_ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!key_ctx || SSL_CTX_use_PrivateKey_file(key_ctx.get(), t.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    r.add(key_at, "cannot load " + strings::quote(t.key_file) + ": " + strings::openssl_error());
  } else if (cert_ok && (SSL_CTX_use_PrivateKey_file(ctx.get(), t.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
                         SSL_CTX_check_private_key(ctx.get()) != 1)) {
    ERR_clear_error();
    r.add(key_at, "does not match the certificate in cert_file");
  }
  if (!t.client_ca_file.empty() && SSL_CTX_load_verify_locations(ctx.get(), t.client_ca_file.c_str(), nullptr) != 1)
    r.add(ca_at, "cannot load " + strings::quote(t.client_ca_file) + ": " + strings::openssl_error());
}

void read_auth_type(Reader& r, const Entry& e, WebTlsConfig& t) {
  std::string value;
  if (!r.scalar(e, value)) return;
  std::vector<std::string> names;
  for (const auto& a : kAuthTypes) {
    names.push_back(a.name);
    if (value == a.name) t.client_auth_type = a.type;
  }
  if (std::find(names.begin(), names.end(), value) == names.end())
    r.add(e, strings::quote(value) + " is not a client auth type (known: " + strings::join(names, ", ") + ")");
}

void read_min_version(Reader& r, const Entry& e, WebTlsConfig& t) {
  std::string value;
  if (!r.scalar(e, value)) return;
  if (value == "TLS12" || value == "TLS13") t.min_tls13 = value == "TLS13";
  else
    r.add(e, strings::quote(value) + (value == "TLS10" || value == "TLS11"
                                          ? " is not accepted: TLS 1.0 and 1.1 are insecure (use TLS12 or TLS13)"
                                          : " is not a TLS version (TLS12 or TLS13)"));
}

using T = RowType;
const std::vector<Row<WebTlsConfig>> kTlsRows = {
    row<WebTlsConfig>("cert_file", T::text, NATSEXP_FIELD(cert_file)),
    row<WebTlsConfig>("key_file", T::text, NATSEXP_FIELD(key_file)),
    row<WebTlsConfig>("client_ca_file", T::text, NATSEXP_FIELD(client_ca_file)),
    row<WebTlsConfig>("client_auth_type", T::custom, read_auth_type),
    row<WebTlsConfig>("min_version", T::custom, read_min_version),
};

void read_tls(Reader& r, const Entry& section, WebConfig& out) {
  WebTlsConfig t;
  std::map<std::string, Entry> at;  // where each key was given
  const auto entries = r.entries(section, keys_of(kTlsRows), "key", kRefusedTlsKeys);
  for (const auto& e : entries) at[e.name] = e;
  read_rows(r, entries, kTlsRows, t);
  auto where = [&](const char* key) {  // the key's entry, else the section's, renamed to the key's path
    Entry e = at.count(key) ? at[key] : section;
    e.path = section.path + "." + key;
    return e;
  };
  if (t.cert_file.empty()) r.add(where("cert_file"), "is required");
  if (t.key_file.empty()) r.add(where("key_file"), "is required");
  const bool verifies = t.client_auth_type == ClientAuthType::kVerifyClientCertIfGiven ||
                        t.client_auth_type == ClientAuthType::kRequireAndVerifyClientCert;
  if (verifies && t.client_ca_file.empty()) {
    Entry e = where("client_auth_type");
    e.path = section.path + ".client_ca_file";
    r.add(e, std::string("is required with client_auth_type ") + client_auth_type_name(t.client_auth_type));
  }
  if (!t.client_ca_file.empty() && !at.count("client_auth_type")) {
    Entry e = where("client_ca_file");
    e.path = section.path + ".client_auth_type";
    r.add(e, "client_ca_file is set but client_auth_type is not (say e.g. RequireAndVerifyClientCert)");
  }
  if (!t.cert_file.empty() && !t.key_file.empty())
    check_files(r, t, where("cert_file"), where("key_file"), where("client_ca_file"));
  out.tls = t;
}

void read_users(Reader& r, const Entry& section, WebConfig& out) {
  if (!section.value.IsMap()) return r.add(section, "expected a map of user: bcrypt hash");
  std::vector<std::string> users;  // every user is a known key; duplicates are the reader's
  for (auto it = section.value.begin(); it != section.value.end(); ++it)
    if (it->first.IsScalar()) users.push_back(it->first.Scalar());
  for (auto& e : r.entries(section, users)) {
    if (e.name.empty() || e.name.find(':') != std::string::npos) {
      r.add(r.where(e.key), section.path, "a user name must be non-empty and contain no ':'");
      continue;
    }
    std::string hash;
    if (!r.scalar(e, hash)) continue;
    // The value is never echoed: a plain password pasted here by mistake must not reach the logs.
    if (!is_bcrypt_hash(hash))
      r.add(e, "is not a bcrypt hash ($2a$/$2b$/$2y$…, e.g. from `htpasswd -nbB user password`)");
    else out.basic_auth_users.emplace(e.name, hash);
  }
}

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
  const YAML::Node root = parse_yaml(yaml_text, source);
  WebConfig out;
  out.source = source;
  Reader r(source);
  r.list_known_keys(true);
  if (root.IsDefined() && !root.IsNull() && !root.IsMap())
    r.add(r.where(root), "", "the top level must be a map (tls_server_config, basic_auth_users)");
  else if (root.IsMap())
    for (auto& e :
         r.entries(root, "", r.where(root), {"tls_server_config", "basic_auth_users"}, "key", kRefusedTopKeys)) {
      if (e.name == "tls_server_config" && !e.value.IsMap()) r.add(e, "expected a map");
      else if (e.name == "tls_server_config") read_tls(r, e, out);
      else read_users(r, e, out);
    }
  r.throw_if_any();
  return out;
}

WebConfig load_web_config_file(const std::string& path) {
  std::string text, problem;
  if (!read_file(path, text, problem)) throw ConfigError(path + ": cannot read: " + problem);
  return load_web_config_yaml(text, path);
}

}  // namespace natsexp
