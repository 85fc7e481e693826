// The one boolean grammar, for YAML values, flags and environment variables: true, yes, on, 1 and
// false, no, off, 0, in any case, surrounding white space ignored.
#pragma once

#include <optional>
#include <string_view>

namespace natsexp {

std::optional<bool> parse_bool(std::string_view text);

}  // namespace natsexp
