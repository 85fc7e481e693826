// The rows of the main config's scalar settings and of the command line's flags (config/reader.h:
// Row). Each row binds a YAML key to its Config field, type, range, flag and help; the environment variable is the
// flag's name (NATS_EXPORTER_ + upper case, dots and dashes as underscores). The YAML reader, the flags, the
// environment, --help, --help=markdown, the defaults and the single-field checks are all derived from these rows: a new
// scalar setting is one row plus the code that uses it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/reader.h"

namespace natsexp {

// A row of the main settings (a key of Config) or of the flags the command line handles itself.
using Setting = Row<Config>;

// Every row, in --help order.
const std::vector<Setting>& settings();
const Setting* find_setting_by_flag(const std::string& flag);

// NATS_EXPORTER_<FLAG>.
std::string environment_name(const std::string& flag);
// The default of a row, as --help shows it.
std::string setting_default(const Setting& s);
// --flag=PLACEHOLDER in --help: the row's own, else one for its type ("DURATION"); "" for a switch.
std::string flag_placeholder(const Setting& s);

// Where `path` was set ("file.yaml:12", "flag --x"), falling back to its parents, then to the file.
std::string origin_of(const Config& config, std::string path);

}  // namespace natsexp
