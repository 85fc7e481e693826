// TLS and basic auth on the exporter's HTTP endpoint (--web.config.file, config/web_config.h).
//
// Reload: basic_auth_users and the server certificate and key (e.g. rotated by cert-manager) take
// effect on the next request / handshake after SIGHUP or POST /-/reload. Turning TLS on or off, the
// client CA, client_auth_type and min_version are fixed at start: a reload that changes them is
// refused (the running settings stay, and the reload is reported as failed).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "base/tls_identity.h"
#include "config/web_config.h"

namespace natsexp {

class WebSecurity {
 public:
  explicit WebSecurity(WebConfig config);
  ~WebSecurity();
  WebSecurity(const WebSecurity&) = delete;
  WebSecurity& operator=(const WebSecurity&) = delete;

  bool tls() const { return tls_.has_value(); }
  bool basic_auth() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !users_.empty();
  }

  // Configures a server TLS context (httplib::SSLServer's setup callback). False on failure (logged).
  bool setup_ssl_ctx(ssl_ctx_st& ctx);

  // Whether a request with this Authorization header may see protected pages. True when no users
  // are configured. Costs one bcrypt verification (also for unknown users, so the time taken does
  // not tell which users exist), except for credentials that already succeeded (cached).
  bool authorized(const std::string& authorization_header) const;

  // Applies a reloaded config. Throws std::runtime_error (nothing changed) when it alters a setting
  // that is fixed at start, or when the new certificate cannot be loaded.
  void update(const WebConfig& config);

 private:
  using Identity = TlsIdentity;  // the certificate chain and key handed to each handshake
  static std::shared_ptr<const Identity> load_identity(const WebTlsConfig& tls);
  std::shared_ptr<const Identity> identity() const;

  mutable std::mutex mutex_;
  std::map<std::string, std::string> users_;
  mutable std::set<std::string> verified_;  // SHA-256 keys of successful verifications (bounded)
  std::optional<WebTlsConfig> tls_;         // as given at start
  std::shared_ptr<const Identity> identity_;
};

}  // namespace natsexp
