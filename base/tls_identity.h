// A TLS server identity, the certificate chain and the private key, loaded from PEM files. The web
// config's check (at start and reload) and the web server's handshakes load them this one way, so a
// file that passes the check is a file the server can use.
#pragma once

#include <memory>
#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace natsexp {

struct TlsIdentity {
  ssl_ctx_st* ctx = nullptr;  // holds the chain and the key, checked to match
  TlsIdentity() = default;
  TlsIdentity(const TlsIdentity&) = delete;
  TlsIdentity& operator=(const TlsIdentity&) = delete;
  ~TlsIdentity();
};

// Why an identity did not load: OpenSSL's reason per file, or a key that is not the certificate's.
struct TlsIdentityProblems {
  std::string cert;
  std::string key;
  bool mismatch = false;
};

// The identity of `cert_file` (the certificate, then any intermediates) and `key_file`, or nullptr
// with `problems` set. The key is read even when the certificate is not, so both are named.
std::shared_ptr<const TlsIdentity> load_tls_identity(const std::string& cert_file, const std::string& key_file,
                                                     TlsIdentityProblems& problems);

// Why the private key in `key_file` is refused when it is encrypted with a passphrase, else "": the
// check for keys that other libraries load (the monitoring client's, a probe's), which would prompt
// for the passphrase on the terminal mid-scrape. Other problems with the file are theirs to report.
std::string encrypted_key_problem(const std::string& key_file);

// Hands the identity to one handshake (from the server context's certificate callback).
bool use_tls_identity(ssl_st* ssl, const TlsIdentity& identity);

}  // namespace natsexp
