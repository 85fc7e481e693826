// Loading and validating the configuration: YAML file, then environment, then flags.
//
// Every problem is a ConfigError whose message names the file, the line, the key and what is wrong,
// e.g. `config.yaml:12: targets[0].url: "ftp://x" is not an http:// or https:// URL`. main() prints it
// and exits 2. Messages never contain secret values.
#pragma once

#include <chrono>
#include <cstddef>
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

// Parses YAML text. `source` names it in messages (a path, or "<flags>"). Checks the shape: unknown
// or duplicate keys, types, number/duration/size syntax; reads password_file and bearer_token_file.
// It does not call validate_config (flags may still add the targets): call it, or use
// parse_command_line. An empty text is a valid empty config.
Config load_config_yaml(const std::string& yaml_text, const std::string& source);
// Reads and parses a file; a missing or unreadable file is a ConfigError naming it
// (`<path>: cannot read: No such file or directory`). Sets `source` to `path`.
Config load_config_file(const std::string& path);

// Parses a duration such as "500ms", "10s", "1m30s" (Prometheus/Go style). Throws std::invalid_argument.
std::chrono::milliseconds parse_duration(const std::string& text);

// Checks the whole config (URLs, names, collectors, ranges) and fills defaults (target names,
// the collector list). Throws ConfigError.
void validate_config(Config& config);

// Returns the URL with any user:password removed, for logs and labels.
std::string redact_url(const std::string& url);

// --- helpers shared by the YAML loader and the command line ---

// Parses a byte size: "65536", "32MiB", "1.5 GB" (B, KB, MB, GB = 1000^n; KiB, MiB, GiB = 1024^n;
// suffixes are case-insensitive). Throws std::invalid_argument.
std::size_t parse_size(const std::string& text);

// Formats a duration the way parse_duration reads it: "1m30s", "500ms", "0s".
std::string format_duration(std::chrono::milliseconds duration);

// Sets one scalar setting, named by its YAML key path, from text, and records `origin` for it:
// web.listen_address, web.metrics_path, web.max_threads, web.read_timeout, web.write_timeout,
// web.max_request_bytes, web.max_header_bytes, web.max_connections, scrape.timeout, scrape.timeout_offset, scrape.max_response_bytes,
// connz.top_n, log.level, doctor.interval. Checks syntax only (ranges are validate_config's). Throws ConfigError
// "<origin>: <key>: <problem>".
void set_setting(Config& config, const std::string& key, const std::string& value, const std::string& origin);

// If `url` carries user:password@, removes it from `url` and stores the percent-decoded parts in
// `username` and `password`. Returns whether it did.
bool take_url_credentials(std::string& url, std::string& username, std::string& password);

// Reads a secret file (password_file, bearer_token_file) and strips one trailing newline. Throws
// std::runtime_error with a message safe to show (`cannot read "<path>": <reason>`, never the content).
std::string read_secret_file(const std::string& path);

// The process environment as a map, so tests can pass their own.
std::map<std::string, std::string> process_environment();

}  // namespace natsexp
