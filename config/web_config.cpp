// --web.config.file loading and validation. See config/web_config.h.
#include "config/web_config.h"

#include <map>
#include <memory>
#include <vector>

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include "base/text.h"
#include "base/tls_identity.h"
#include "config/reader.h"

namespace natsexp {

namespace {

// In ClientAuthType's order; exporter-toolkit's names, case-sensitive as there.
const std::vector<std::string> kAuthTypes = {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                                             "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};

// exporter-toolkit keys we do not implement: named, so a migrated file fails with a clear reason.
const std::map<std::string, std::string> kRefusedTopKeys = {
    {"http_server_config", " (HTTP/1.1 only, no custom headers)"}};
const std::map<std::string, std::string> kRefusedTlsKeys = {{"cipher_suites", ""},
                                                            {"curve_preferences", ""},
                                                            {"max_version", ""},
                                                            {"prefer_server_cipher_suites", ""},
                                                            {"client_allowed_sans", ""}};

// Loads the certificate chain and the key the way the server will (base/tls_identity.h), and the CA.
void check_files(Reader& r, const WebTlsConfig& t, const Entry& cert_at, const Entry& key_at, const Entry& ca_at) {
  TlsIdentityProblems why;
  load_tls_identity(t.cert_file, t.key_file, why);
  if (!why.cert.empty()) r.add(cert_at, "cannot load " + strings::quote(t.cert_file) + ": " + why.cert);
  if (!why.key.empty()) r.add(key_at, "cannot load " + strings::quote(t.key_file) + ": " + why.key);
  if (why.mismatch) r.add(key_at, "does not match the certificate in cert_file");
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!t.client_ca_file.empty() &&
      (!ctx || SSL_CTX_load_verify_locations(ctx.get(), t.client_ca_file.c_str(), nullptr) != 1))
    r.add(ca_at, "cannot load " + strings::quote(t.client_ca_file) + ": " + strings::openssl_error());
}

void read_auth_type(Reader& r, const Entry& e, WebTlsConfig& t) {
  if (auto i = r.choice(e, kAuthTypes, "a client auth type", true)) t.client_auth_type = ClientAuthType(*i);
}

void read_min_version(Reader& r, const Entry& e, WebTlsConfig& t) {
  if (e.value.IsScalar() && (e.value.Scalar() == "TLS10" || e.value.Scalar() == "TLS11"))
    return r.add(
        e, strings::quote(e.value.Scalar()) + " is not accepted: TLS 1.0 and 1.1 are insecure (use TLS12 or TLS13)");
  if (auto v = r.choice(e, {"TLS12", "TLS13"}, "a TLS version", true)) t.min_tls13 = *v == 1;
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
  // The entry of `key`, else the section's, with the path of `named` (default: the key).
  auto where = [&](const char* key, const char* named = nullptr) {
    Entry e = at.count(key) ? at[key] : section;
    e.path = section.path + "." + (named ? named : key);
    return e;
  };
  if (t.cert_file.empty()) r.add(where("cert_file"), "is required");
  if (t.key_file.empty()) r.add(where("key_file"), "is required");
  const bool verifies = t.client_auth_type == ClientAuthType::kVerifyClientCertIfGiven ||
                        t.client_auth_type == ClientAuthType::kRequireAndVerifyClientCert;
  if (verifies && t.client_ca_file.empty())
    r.add(where("client_auth_type", "client_ca_file"),
          std::string("is required with client_auth_type ") + client_auth_type_name(t.client_auth_type));
  if (!t.client_ca_file.empty() && !at.count("client_auth_type"))
    r.add(where("client_ca_file", "client_auth_type"),
          "client_ca_file is set but client_auth_type is not (say e.g. RequireAndVerifyClientCert)");
  if (!t.cert_file.empty() && !t.key_file.empty())
    check_files(r, t, where("cert_file"), where("key_file"), where("client_ca_file"));
  out.tls = t;
}

void read_users(Reader& r, const Entry& section, WebConfig& out) {
  if (!section.value.IsMap()) return r.add(section, "expected a map of user: bcrypt hash");
  for (auto& e : r.entries(section, {})) {  // any user name; duplicates are the reader's
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

const char* client_auth_type_name(ClientAuthType type) { return kAuthTypes.at(static_cast<std::size_t>(type)).c_str(); }

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
