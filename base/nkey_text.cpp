#include "base/nkey_text.h"

#include <cctype>
#include <cstring>
#include <stdexcept>

#include "base/text.h"

namespace natsexp {

namespace {
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
}

std::vector<unsigned char> base32_decode(const std::string& text) {
  std::vector<unsigned char> out;
  unsigned buffer = 0;
  int bits = 0;
  for (char ch : text) {
    const char* pos = ch == '\0' ? nullptr : std::strchr(kBase32, std::toupper(static_cast<unsigned char>(ch)));
    if (pos == nullptr) throw std::invalid_argument("not base32 text");
    buffer = (buffer << 5) | static_cast<unsigned>(pos - kBase32);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string base32_encode(const std::vector<unsigned char>& data) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

unsigned crc16_xmodem(const unsigned char* data, std::size_t n) {
  unsigned crc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= static_cast<unsigned>(data[i]) << 8;
    for (int b = 0; b < 8; ++b) crc = ((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1) & 0xffff;
  }
  return crc;
}

std::vector<unsigned char> decode_user_seed(const std::string& seed_text) {
  std::vector<unsigned char> raw;
  try {
    raw = base32_decode(strings::trim(seed_text));
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("the seed is not base32 text");
  }
  if (raw.size() != 36) throw std::invalid_argument("the seed has the wrong length");
  if (crc16_xmodem(raw.data(), 34) != (raw[34] | (static_cast<unsigned>(raw[35]) << 8)))
    throw std::invalid_argument("the seed's checksum does not match");
  constexpr unsigned char kPrefixSeed = 18 << 3;  // 'S'
  if ((raw[0] & 0xf8) != kPrefixSeed) throw std::invalid_argument("not a seed (it must start with S)");
  return raw;
}

std::string encode_nkey(unsigned char prefix, const std::vector<unsigned char>& key) {
  std::vector<unsigned char> out{prefix};
  out.insert(out.end(), key.begin(), key.end());
  const unsigned crc = crc16_xmodem(out.data(), out.size());
  out.push_back(static_cast<unsigned char>(crc & 0xff));
  out.push_back(static_cast<unsigned char>(crc >> 8));
  return base32_encode(out);
}

void parse_creds(const std::string& text, std::string& user_jwt, std::string& nkey_seed) {
  // Each part sits between a "-----BEGIN ...-----" line and a "------END ...------" line.
  auto block = [&](const std::string& begin_marker) -> std::string {
    const std::size_t begin = text.find(begin_marker);
    if (begin == std::string::npos) return "";
    const std::size_t line_end = text.find('\n', begin);
    if (line_end == std::string::npos) return "";
    std::size_t end = text.find("------END", line_end);
    if (end == std::string::npos) end = text.find("-----END", line_end);
    if (end == std::string::npos) return "";
    return strings::trim(text.substr(line_end + 1, end - line_end - 1));
  };
  const std::string jwt = block("-----BEGIN NATS USER JWT-----");
  const std::string seed = block("-----BEGIN USER NKEY SEED-----");
  if (jwt.empty()) throw std::invalid_argument("no \"BEGIN NATS USER JWT\" block");
  if (seed.empty()) throw std::invalid_argument("no \"BEGIN USER NKEY SEED\" block");
  user_jwt = jwt;
  nkey_seed = seed;
}

}  // namespace natsexp
