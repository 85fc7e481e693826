// The nkey code: the public key derived from a seed (collectors/probe/nkey.h) and the creds file
// and seed text parsers (base/nkey_text.h).
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "base/nkey_text.h"
#include "collectors/probe/nkey.h"

using namespace natsexp;

namespace {

// A published test key pair (NATS docs): seed and the user public key derived from it.
const char* const kSeed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
const char* const kPublic = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

}  // namespace

TEST_CASE("nkey: the public key of a seed; a bad seed is refused without echoing it") {
  CHECK(nkey_public_from_seed(kSeed) == kPublic);
  CHECK_THROWS_AS(nkey_public_from_seed("SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU4VY"),
                  std::invalid_argument);                                  // checksum
  CHECK_THROWS_AS(nkey_public_from_seed(kPublic), std::invalid_argument);  // a public key is no seed
  try {
    nkey_public_from_seed(std::string(kSeed).substr(0, 50));
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("SUAC") == std::string::npos);
  }
}

TEST_CASE("nkey: a creds file holds the user JWT and the seed") {
  const std::string creds = std::string(
                                "-----BEGIN NATS USER JWT-----\neyJhbGciOi.payload.sig\n------END NATS USER "
                                "JWT------\n\n************************* IMPORTANT *************************\n"
                                "-----BEGIN USER NKEY SEED-----\n") +
                            kSeed + "\n------END USER NKEY SEED------\n";
  std::string jwt, seed;
  parse_creds(creds, jwt, seed);
  CHECK(jwt == "eyJhbGciOi.payload.sig");
  CHECK(seed == kSeed);
  CHECK_NOTHROW(decode_user_seed(seed));
}
