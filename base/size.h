// The one byte-size grammar: "65536", "32MiB", "1.5 GB" (B, KB, MB, GB = 1000^n; KiB, MiB, GiB =
// 1024^n; suffixes are case-insensitive).
#pragma once

#include <cstddef>
#include <string>

namespace natsexp {

// Throws std::invalid_argument with the reason.
std::size_t parse_size(const std::string& text);
// "64KiB", "32MiB" when the size is a whole number of them, else the number of bytes.
std::string format_size(std::size_t bytes);

}  // namespace natsexp
