// The text form of NATS nkeys and .creds files: RFC 4648 base32 without padding, with a
// CRC-16/XMODEM at the end. No cryptography here: the probe derives public keys
// (collectors/probe/nkey.h); the config only checks that a seed has the right shape.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace natsexp {

std::vector<unsigned char> base32_decode(const std::string& text);  // throws std::invalid_argument
std::string base32_encode(const std::vector<unsigned char>& data);
unsigned crc16_xmodem(const unsigned char* data, std::size_t size);

// The 36 raw bytes of an encoded user seed ("SU…": prefix, type, 32 key bytes, CRC), checked.
// Throws std::invalid_argument with a message that never contains the seed.
std::vector<unsigned char> decode_user_seed(const std::string& seed);
// An encoded key from a one-byte prefix and its bytes, with its CRC.
std::string encode_nkey(unsigned char prefix, const std::vector<unsigned char>& key);

// Splits the text of a .creds file into the user JWT and the nkey seed. Throws std::invalid_argument
// (message without secrets) when either part is missing.
void parse_creds(const std::string& text, std::string& user_jwt, std::string& nkey_seed);

}  // namespace natsexp
