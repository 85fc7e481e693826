#include "collectors/probe/nkey.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <vector>

#include "base/nkey_text.h"

namespace natsexp {

std::string nkey_public_from_seed(const std::string& seed) {
  std::vector<unsigned char> raw = decode_user_seed(seed);
  // The seed's first two bytes hold the seed prefix and the key type (5 bits each): the key type
  // becomes the public key's prefix byte.
  const auto prefix = static_cast<unsigned char>(((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data() + 2, 32), &EVP_PKEY_free);
  std::fill(raw.begin(), raw.end(), 0);
  if (!key) throw std::invalid_argument("the seed is not an Ed25519 key");
  std::vector<unsigned char> pub(32);
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size())
    throw std::invalid_argument("cannot derive the public key");
  return encode_nkey(prefix, pub);
}

}  // namespace natsexp
