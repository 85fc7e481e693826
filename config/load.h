// Loading and validating the configuration: YAML file, then environment, then flags.
//
// Every problem is a ConfigError whose message names the file, the line, the key and what is wrong,
// e.g. `config.yaml:12: targets[0].url: "ftp://x" is not an http:// or https:// URL`. main() prints it
// and exits 2. Messages never contain secret values.
#pragma once

#include <string>
#include <vector>

#include "base/address.h"   // redact_url, take_url_credentials
#include "base/duration.h"  // parse_duration, format_duration
#include "base/size.h"      // parse_size
#include "config/config.h"
#include "config/reader.h"  // ConfigError, read_secret_file, process_environment
#include "config/settings.h"

namespace natsexp {

// Parses YAML text. `source` names it in messages (a path, or "<flags>"). Checks the shape: unknown
// or duplicate keys, types, number/duration/size syntax; reads password_file and bearer_token_file.
// It does not call validate_config (flags may still add the targets): call it, or use
// parse_command_line. An empty text is a valid empty config.
Config load_config_yaml(const std::string& yaml_text, const std::string& source);
// Reads and parses a file; a missing or unreadable file is a ConfigError naming it
// (`<path>: cannot read: No such file or directory`). Sets `source` to `path`.
Config load_config_file(const std::string& path);

// The rows of a target (`targets[]`); those with a flag are the --nats.* flags.
const std::vector<Row<TargetConfig>>& target_rows();

// Checks the whole config (URLs, names, collectors, ranges) and returns it normalised: the default
// collector list filled in, credentials moved out of target URLs, targets named. `collectors` are
// the known and default collector names (the registry's; config/ does not know the collectors).
// Throws ConfigError listing every problem.
Config validate_config(const Config& config, const CollectorCatalog& collectors);

}  // namespace natsexp
