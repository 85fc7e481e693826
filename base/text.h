// Text helpers shared by every folder: one lower, one join, one quote for messages, one
// did-you-mean, one OpenSSL error text, so that every message looks the same.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace natsexp::strings {

std::string lower(std::string s);
std::string trim(const std::string& s);
// The items with `sep` between them, and `last_sep` (when given) before the last: "a, b or c".
std::string join(const std::vector<std::string>& items, const std::string& sep, const std::string& last_sep = "");
// A value quoted for a message: escaped, and cut after 120 characters. Never call it with a secret.
std::string quote(const std::string& s);
// Levenshtein distance, for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b);
// ` (did you mean "x"?)` when a candidate is close to `word` (or starts with it), in any case; else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
// The oldest error on this thread's OpenSSL error queue, as text, and clears the queue.
std::string openssl_error();

}  // namespace natsexp::strings
