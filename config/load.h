// Loading and validating the configuration: YAML file, then environment, then flags.
//
// Every problem is a ConfigError whose message names the file, the line, the key and what is wrong,
// e.g. `config.yaml:12: targets[0].url: "ftp://x" is not an http:// or https:// URL`. main() prints it
// and exits 2. Messages never contain secret values.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"

namespace natsexp {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses YAML text. `source` names it in messages (a path, or "<flags>").
Config load_config_yaml(const std::string& yaml_text, const std::string& source);
// Reads and parses a file; a missing or unreadable file is a ConfigError naming it.
Config load_config_file(const std::string& path);

// Parses a duration such as "500ms", "10s", "1m30s" (Prometheus/Go style). Throws std::invalid_argument.
std::chrono::milliseconds parse_duration(const std::string& text);

// Checks the whole config (URLs, names, collectors, ranges) and fills defaults (target names,
// the collector list). Throws ConfigError.
void validate_config(Config& config);

// Returns the URL with any user:password removed, for logs and labels.
std::string redact_url(const std::string& url);

// The process environment as a map, so tests can pass their own.
std::map<std::string, std::string> process_environment();

}  // namespace natsexp
