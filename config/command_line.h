// The command line: subcommands, flags and NATS_EXPORTER_* environment variables.
//
//   nats-exporter [flags]                 run the exporter
//   nats-exporter check-config [flags]    validate the config, exit 0 or 2
//   nats-exporter doctor [flags]          the latency doctor's report, exit 0, 1 or 2
//   nats-exporter --help | --help=markdown | --version   (the texts: exporter/usage.h)
//
// Flags override the config file; NATS_EXPORTER_<FLAG> (dots and dashes as underscores, upper
// case, e.g. NATS_EXPORTER_NATS_PASSWORD) sits between the file and the flags, for secrets.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/web_config.h"

namespace natsexp {

struct CommandLine {
  std::string command;          // "run", "check-config", "doctor", "help", "help-markdown", "version"
  std::string format = "text";  // doctor: --format (text, json or markdown)
  std::string config_file;      // --config.file, "" when not given
  Config config;                // loaded, overridden and validated
  std::string web_config_file;  // --web.config.file, "" when not given
  WebConfig web;                // its TLS and basic auth settings, loaded and validated
};

// Throws ConfigError (exit 2) on an unknown flag, a bad value or a bad config file. `collectors`: the
// known and default collector names, from the collector registry.
CommandLine parse_command_line(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& environment,
                               const CollectorCatalog& collectors);

}  // namespace natsexp
