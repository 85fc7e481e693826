#include "base/size.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "base/text.h"

namespace natsexp {

using strings::lower;
using strings::quote;
using strings::trim;

std::size_t parse_size(const std::string& text) {
  const std::string t = trim(text);
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  const std::string number = t.substr(0, i);
  const std::string unit = lower(trim(t.substr(i)));
  if (number.empty() || std::count(number.begin(), number.end(), '.') > 1 || number == ".")
    throw std::invalid_argument("not a size (e.g. 65536, \"64KiB\", \"32MiB\")");
  struct Unit {
    const char* name;
    std::uint64_t factor;
  };
  static const Unit kUnits[] = {{"", 1},
                                {"b", 1},
                                {"kb", 1000},
                                {"mb", 1000 * 1000},
                                {"gb", 1000 * 1000 * 1000},
                                {"kib", 1024},
                                {"mib", 1024 * 1024},
                                {"gib", 1024ULL * 1024 * 1024}};
  const Unit* u = nullptr;
  for (const auto& k : kUnits)
    if (unit == k.name) u = &k;
  if (!u)
    throw std::invalid_argument("unknown size unit " + quote(t.substr(i)) + " (use B, KB, MB, GB, KiB, MiB or GiB)");
  const std::uint64_t max = std::numeric_limits<std::size_t>::max() / 2;
  if (number.find('.') == std::string::npos) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || ptr != number.data() + number.size() || v > max / u->factor)
      throw std::invalid_argument("too large");
    return static_cast<std::size_t>(v * u->factor);
  }
  if (u->factor == 1) throw std::invalid_argument("a number of bytes must be whole");
  long double v = std::stold(number) * static_cast<long double>(u->factor);
  if (v > static_cast<long double>(max)) throw std::invalid_argument("too large");
  return static_cast<std::size_t>(v);
}

std::string format_size(std::size_t bytes) {
  if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + "KiB";
  return std::to_string(bytes);
}

}  // namespace natsexp
