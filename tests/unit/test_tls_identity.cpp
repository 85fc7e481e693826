// base/tls_identity: the one loading of a server certificate chain and key (the web config's check
// and the web server's handshakes), on files made here.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/tls_identity.h"
#include "temp_dir.h"

using namespace natsexp;

namespace {

// A P-256 key and a self-signed certificate for it, as PEM text.
struct Pem {
  std::string cert, key;
};

std::string to_pem(int (*write)(BIO*, void*), void* object) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(write(bio.get(), object) == 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Pem self_signed() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  REQUIRE((key && cert));
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  return {to_pem([](BIO* b, void* c) { return PEM_write_bio_X509(b, static_cast<X509*>(c)); }, cert.get()),
          to_pem(
              [](BIO* b, void* k) {
                return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr, nullptr);
              },
              key.get())};
}

}  // namespace

TEST_CASE("tls identity: a matching pair loads and serves a handshake; each bad file is named") {
  testing::TempDir dir;
  const Pem a = self_signed(), b = self_signed();
  const std::string cert = dir.write("a.crt", a.cert), key = dir.write("a.key", a.key);
  const std::string other_key = dir.write("b.key", b.key), garbage = dir.write("junk.pem", "not pem\n");

  TlsIdentityProblems why;
  auto id = load_tls_identity(cert, key, why);
  REQUIRE(id);
  CHECK(why.cert.empty());
  CHECK(why.key.empty());
  CHECK_FALSE(why.mismatch);
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  CHECK(use_tls_identity(ssl.get(), *id));
  CHECK(X509_cmp(SSL_get_certificate(ssl.get()), SSL_CTX_get0_certificate(id->ctx)) == 0);

  CHECK_FALSE(load_tls_identity(cert, other_key, why));  // a key of another certificate
  CHECK(why.mismatch);
  CHECK(why.cert.empty());
  CHECK(why.key.empty());

  CHECK_FALSE(load_tls_identity(dir.file("absent.crt"), garbage, why));  // both files named
  CHECK_FALSE(why.cert.empty());
  CHECK_FALSE(why.key.empty());
  CHECK_FALSE(why.mismatch);

  CHECK_FALSE(load_tls_identity(cert, dir.file("absent.key"), why));
  CHECK(why.cert.empty());
  CHECK_FALSE(why.key.empty());
}

TEST_CASE("tls identity: a key encrypted with a passphrase is refused with why, never prompted for") {
  testing::TempDir dir;
  const Pem a = self_signed();
  const std::string cert = dir.write("a.crt", a.cert), plain = dir.write("a.key", a.key);
  // The same key, encrypted: without a callback of our own, OpenSSL would ask on the terminal.
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(a.key.data(), static_cast<int>(a.key.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  REQUIRE(key);
  static char passphrase[] = "secret-passphrase";
  const std::string encrypted_pem = to_pem(
      [](BIO* b, void* k) {
        return PEM_write_bio_PKCS8PrivateKey(b, static_cast<EVP_PKEY*>(k), EVP_aes_128_cbc(), passphrase,
                                             static_cast<int>(sizeof passphrase - 1), nullptr, nullptr);
      },
      key.get());
  REQUIRE(encrypted_pem.find("ENCRYPTED") != std::string::npos);
  const std::string encrypted = dir.write("enc.key", encrypted_pem);

  TlsIdentityProblems why;
  CHECK_FALSE(load_tls_identity(cert, encrypted, why));
  CHECK(why.key.find("encrypted with a passphrase") != std::string::npos);
  CHECK(why.key.find("secret") == std::string::npos);
  CHECK(encrypted_key_problem(encrypted) == why.key);
  CHECK(encrypted_key_problem(plain).empty());
  CHECK(encrypted_key_problem(dir.file("absent.key")).empty());  // the loading library's to report
}
