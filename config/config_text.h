// Text helpers shared by the config parsers (main config, probes, doctor, web config, command
// line), so every message quotes, suggests and names YAML shapes the same way.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace natsexp::config_text {

std::string lower(std::string s);
std::string trim(const std::string& s);
// A value quoted for a message: escaped, and cut after 120 characters. Never call it with a secret.
std::string quote(const std::string& s);
// Levenshtein distance, for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b);
// ` (did you mean "x"?)` when a candidate is close to `word` (or starts with it), else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);
// "nothing", "a single value", "a list" or "a map": what a YAML node is, for "expected a map, got …".
std::string yaml_kind(const YAML::Node& node);

}  // namespace natsexp::config_text
