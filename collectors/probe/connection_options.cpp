#include "collectors/probe/connection_options.h"

#include <stdexcept>

#include "collectors/probe/nkey.h"

namespace natsexp::probe {

natsStatus make_connection_options(NatsPtr<natsOptions>& opts, const std::vector<std::string>& servers,
                                   const ProbeConnectionConfig& c, const ConnectionCallbacks& cb) {
  natsStatus s = natsOptions_Create(opts.out());
  if (s != NATS_OK) return s;
  std::vector<const char*> urls;
  for (const auto& u : servers) urls.push_back(u.c_str());
  auto set = [&](natsStatus status) {
    if (s == NATS_OK) s = status;
  };
  set(natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size())));
  set(natsOptions_SetName(opts.get(), c.name.c_str()));
  set(natsOptions_SetTimeout(opts.get(), c.connect_timeout.count()));
  set(natsOptions_SetMaxReconnect(opts.get(), -1));  // never give up
  set(natsOptions_SetReconnectWait(opts.get(), c.reconnect_wait.count()));
  set(natsOptions_SetReconnectJitter(opts.get(), c.reconnect_jitter.count(), c.reconnect_jitter.count()));
  set(natsOptions_SetReconnectBufSize(opts.get(), static_cast<int>(c.reconnect_buffer_bytes)));
  set(natsOptions_SetPingInterval(opts.get(), c.ping_interval.count()));
  set(natsOptions_SetMaxPingsOut(opts.get(), c.max_pings_out));
  set(natsOptions_SetErrorHandler(opts.get(), cb.error, cb.closure));
  set(natsOptions_SetClosedCB(opts.get(), cb.closed, cb.closure));
  set(natsOptions_SetDisconnectedCB(opts.get(), cb.disconnected, cb.closure));
  set(natsOptions_SetReconnectedCB(opts.get(), cb.reconnected, cb.closure));
  if (c.tls.enabled) {
    set(natsOptions_SetSecure(opts.get(), true));
    if (!c.tls.ca_file.empty()) set(natsOptions_LoadCATrustedCertificates(opts.get(), c.tls.ca_file.c_str()));
    if (!c.tls.cert_file.empty())
      set(natsOptions_LoadCertificatesChain(opts.get(), c.tls.cert_file.c_str(), c.tls.key_file.c_str()));
    if (c.tls.insecure_skip_verify) set(natsOptions_SkipServerVerification(opts.get(), true));
  }
  const ProbeAuthConfig& a = c.auth;
  if (!a.user_jwt.empty()) {
    set(natsOptions_SetUserCredentialsCallbacks(opts.get(), cb.user_jwt, cb.closure, cb.sign, cb.closure));
  } else if (!a.nkey_seed.empty()) {
    // The config checked the seed's shape; the public key is derived here, where the crypto is.
    std::string public_key;
    try {
      public_key = nkey_public_from_seed(a.nkey_seed);
    } catch (const std::invalid_argument&) {
      return NATS_INVALID_ARG;
    }
    set(natsOptions_SetNKey(opts.get(), public_key.c_str(), cb.sign, cb.closure));
  } else if (!a.token.empty()) {
    set(natsOptions_SetToken(opts.get(), a.token.c_str()));
  } else if (!a.user.empty()) {
    set(natsOptions_SetUserInfo(opts.get(), a.user.c_str(), a.password.c_str()));
  }
  return s;
}

}  // namespace natsexp::probe
