#include "base/boolean.h"

#include <string>

#include "base/text.h"

namespace natsexp {

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = strings::lower(strings::trim(std::string(text)));
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return std::nullopt;
}

}  // namespace natsexp
