#include "base/tls_identity.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "base/text.h"

namespace natsexp {

namespace {

using PrivateKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// The key in `key_file`, or nullptr with `problem` set (and `encrypted` when it needs a passphrase).
PrivateKey read_private_key(const std::string& key_file, std::string& problem, bool* encrypted = nullptr) {
  ERR_clear_error();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(key_file.c_str(), "r"), BIO_free);
  // Without a callback, OpenSSL asks for an encrypted key's passphrase on the terminal: an exporter
  // started from a shell would stop there. This one answers no passphrase and notes the question.
  bool asked_passphrase = false;
  const auto no_passphrase = [](char*, int, int, void* asked) {
    *static_cast<bool*>(asked) = true;
    return 0;
  };
  PrivateKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, &asked_passphrase) : nullptr,
                 EVP_PKEY_free);
  if (encrypted) *encrypted = !key && asked_passphrase;
  if (!key && asked_passphrase) {
    ERR_clear_error();
    problem =
        "the key is encrypted with a passphrase, which nats-exporter does not read: store it decrypted "
        "(openssl pkey -in KEY -out PLAIN) and protect it with file permissions";
  } else if (!key) {
    problem = strings::openssl_error();
  }
  return key;
}

}  // namespace

TlsIdentity::~TlsIdentity() { SSL_CTX_free(ctx); }

std::shared_ptr<const TlsIdentity> load_tls_identity(const std::string& cert_file, const std::string& key_file,
                                                     TlsIdentityProblems& problems) {
  problems = {};
  auto id = std::make_shared<TlsIdentity>();
  ERR_clear_error();
  id->ctx = SSL_CTX_new(TLS_server_method());
  // Through a context, as the server uses it: the certificate is checked against its security level.
  const bool cert_ok = id->ctx && SSL_CTX_use_certificate_chain_file(id->ctx, cert_file.c_str()) == 1;
  if (!cert_ok) problems.cert = strings::openssl_error();
  // The key on its own first, so that a key that reads fine but belongs to another certificate is
  // named as such.
  std::string key_problem;
  const auto key = read_private_key(key_file, key_problem);
  if (!key) {
    problems.key = key_problem;
  } else if (cert_ok && (SSL_CTX_use_PrivateKey(id->ctx, key.get()) != 1 || SSL_CTX_check_private_key(id->ctx) != 1)) {
    ERR_clear_error();
    problems.mismatch = true;
  }
  if (!problems.cert.empty() || !problems.key.empty() || problems.mismatch) return nullptr;
  return id;
}

std::string encrypted_key_problem(const std::string& key_file) {
  std::string problem;
  bool encrypted = false;
  read_private_key(key_file, problem, &encrypted);
  return encrypted ? problem : "";
}

bool use_tls_identity(SSL* ssl, const TlsIdentity& identity) {
  STACK_OF(X509)* chain = nullptr;  // the intermediates after the leaf
  SSL_CTX_get0_chain_certs(identity.ctx, &chain);
  return SSL_use_certificate(ssl, SSL_CTX_get0_certificate(identity.ctx)) == 1 &&
         SSL_use_PrivateKey(ssl, SSL_CTX_get0_privatekey(identity.ctx)) == 1 && SSL_set1_chain(ssl, chain) == 1;
}

}  // namespace natsexp
