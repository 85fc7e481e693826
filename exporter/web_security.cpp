#include "exporter/web_security.h"

#include <crypt.h>

#include <cctype>
#include <stdexcept>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/log.h"
#include "base/text.h"

namespace natsexp {

namespace {

// Verified instead of a real hash when the user is unknown, so that an unknown user costs as much
// as a known one. Cost 10, the htpasswd -B default; the password it hashes does not matter.
const char* const kDummyHash = "$2b$10$yLZia4G2Yg0clJO/O7z1Vuti.55G29cNfRlgQlbcZbH9XEPoNMOHK";

bool base64_decode(const std::string& in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return false;
  std::vector<unsigned char> buf(in.size() / 4 * 3);
  int n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (in[in.size() - 1] == '=') --len;
  if (in[in.size() - 2] == '=') --len;
  out.assign(reinterpret_cast<const char*>(buf.data()), len);
  return true;
}

// True when `password` hashes to `hash` (bcrypt via libxcrypt), compared in constant time.
bool bcrypt_matches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // ~32 KiB, zeroed: too big for a worker's stack
  const char* result = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (!result) return false;
  const std::string computed(result);
  if (computed.size() != hash.size()) return false;
  return CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

// SHA-256 of user, password and hash: the key of a verification that succeeded.
std::string cache_key(const std::string& user, const std::string& password, const std::string& hash) {
  std::string input = user;
  input.push_back('\0');
  input += password;
  input.push_back('\0');
  input += hash;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest), len);
}

constexpr std::size_t kMaxCachedVerifications = 64;

int accept_any_certificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

}  // namespace

WebSecurity::WebSecurity(WebConfig config) : users_(std::move(config.basic_auth_users)), tls_(config.tls) {
  if (tls_) {
    identity_ = load_identity(*tls_);
    if (!identity_) throw std::runtime_error("cannot load the web TLS certificate");
  }
}

WebSecurity::~WebSecurity() = default;

std::shared_ptr<const WebSecurity::Identity> WebSecurity::load_identity(const WebTlsConfig& tls) {
  TlsIdentityProblems why;
  auto id = load_tls_identity(tls.cert_file, tls.key_file, why);
  if (!why.cert.empty())
    log::error("cannot read the web TLS certificate", {{"file", tls.cert_file}, {"err", why.cert}});
  if (!why.key.empty()) log::error("cannot read the web TLS key", {{"file", tls.key_file}, {"err", why.key}});
  if (why.mismatch) log::error("the web TLS key does not match its certificate", {{"file", tls.key_file}});
  return id;
}

std::shared_ptr<const WebSecurity::Identity> WebSecurity::identity() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return identity_;
}

bool WebSecurity::setup_ssl_ctx(ssl_ctx_st& ctx) {
  if (!tls_) return false;
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION |
                                SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_min_proto_version(&ctx, tls_->min_tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  // The certificate is chosen per handshake, from the identity loaded last: a reload rotates it
  // without a restart.
  SSL_CTX_set_cert_cb(
      &ctx,
      [](SSL* ssl, void* arg) -> int {
        auto id = static_cast<WebSecurity*>(arg)->identity();
        return id && use_tls_identity(ssl, *id) ? 1 : 0;
      },
      this);
  if (!tls_->client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&ctx, tls_->client_ca_file.c_str(), nullptr) != 1) {
      log::error("cannot load the web client CA", {{"file", tls_->client_ca_file}, {"err", strings::openssl_error()}});
      return false;
    }
    // The CA names sent in the CertificateRequest, so clients pick the right certificate.
    SSL_CTX_set_client_CA_list(&ctx, SSL_load_client_CA_file(tls_->client_ca_file.c_str()));
  }
  switch (tls_->client_auth_type) {
    case ClientAuthType::kNoClientCert: SSL_CTX_set_verify(&ctx, SSL_VERIFY_NONE, nullptr); break;
    case ClientAuthType::kRequestClientCert: SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, accept_any_certificate); break;
    case ClientAuthType::kRequireAnyClientCert:
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
      break;
    case ClientAuthType::kVerifyClientCertIfGiven: SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, nullptr); break;
    case ClientAuthType::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  return true;
}

bool WebSecurity::authorized(const std::string& header) const {
  std::string expected_hash;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (users_.empty()) return true;
  }
  // "Basic <base64(user:password)>", the scheme case-insensitive.
  const std::string scheme = strings::lower(header.substr(0, 6));
  std::string credentials;
  std::string user, password;
  bool well_formed = scheme == "basic " && base64_decode(header.substr(6), credentials);
  if (well_formed) {
    auto colon = credentials.find(':');
    well_formed = colon != std::string::npos;
    if (well_formed) user = credentials.substr(0, colon), password = credentials.substr(colon + 1);
  }
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = users_.find(user);
    known = well_formed && it != users_.end();
    expected_hash = known ? it->second : kDummyHash;
  }
  // bcrypt at cost 10 takes ~100 ms of CPU; like exporter-toolkit, remember the verifications that
  // succeeded (by a SHA-256 of user, password and hash), so a scrape every few seconds does not pay
  // it each time. Failures are never cached: every wrong guess costs the full bcrypt.
  const std::string key = known ? cache_key(user, password, expected_hash) : std::string();
  if (!key.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (verified_.count(key)) return true;
  }
  const bool matches = bcrypt_matches(password, expected_hash);
  if (known && matches && !key.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (verified_.size() >= kMaxCachedVerifications) verified_.clear();
    verified_.insert(key);
  }
  return known && matches;
}

void WebSecurity::update(const WebConfig& config) {
  if (config.tls.has_value() != tls_.has_value())
    throw std::runtime_error("turning TLS on or off in --web.config.file needs a restart");
  std::shared_ptr<const Identity> fresh;
  if (tls_) {
    const auto& now = *config.tls;
    if (now.client_ca_file != tls_->client_ca_file || now.client_auth_type != tls_->client_auth_type ||
        now.min_tls13 != tls_->min_tls13)
      throw std::runtime_error(
          "client_ca_file, client_auth_type and min_version in --web.config.file change at restart only");
    fresh = load_identity(now);
    if (!fresh) throw std::runtime_error("cannot load the new web TLS certificate or key (see the log)");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  users_ = config.basic_auth_users;
  verified_.clear();
  if (fresh) {
    identity_ = std::move(fresh);
    tls_->cert_file = config.tls->cert_file;
    tls_->key_file = config.tls->key_file;
  }
}

}  // namespace natsexp
