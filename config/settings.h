// The rows of the main config's scalar settings and of the command line's flags. Each row binds a
// YAML key to its Config field, type, range, flag and help; the environment variable is the flag's
// name (NATS_EXPORTER_ + upper case, dots and dashes as underscores). The YAML reader, the flags,
// the environment, --help, --help=markdown, the defaults and the single-field checks are all derived
// from these rows: a new scalar setting is one row plus the code that uses it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "config/config.h"

namespace natsexp {

enum class SettingType {
  text,      // a string
  choice,    // one of `choices`, lower-cased
  count,     // a whole number in lo..hi
  duration,  // lo..hi milliseconds (lo excluded when lo_open)
  size,      // lo..hi bytes
  flag,      // a flag the command line handles itself (no field): a value
  switch_,   // same, a boolean flag (--x or --x=false)
  repeated,  // same, may be given several times (the environment separates values by spaces)
};

struct Setting {
  const char* key = nullptr;   // YAML key path ("scrape.timeout"); nullptr for a flag without a YAML key
  const char* flag = nullptr;  // flag name without the leading "--"
  SettingType type = SettingType::text;
  std::string& (*text)(Config&) = nullptr;
  std::size_t& (*number)(Config&) = nullptr;  // count and size
  std::chrono::milliseconds& (*duration)(Config&) = nullptr;
  long long lo = 0, hi = 0;
  bool lo_open = false;
  std::vector<std::string> choices;
  const char* placeholder = "";  // in --help: --flag=PLACEHOLDER
  const char* help = "";
  const char* default_text = nullptr;  // for flags without a field; else derived from Config{}
};

// Every row, in --help order.
const std::vector<Setting>& settings();
const Setting* find_setting_by_flag(const std::string& flag);
const Setting* find_setting_by_key(const std::string& key);

// NATS_EXPORTER_<FLAG>.
std::string environment_name(const std::string& flag);
// The default of a row, as --help shows it.
std::string setting_default(const Setting& s);

// Sets one scalar setting from text and records `origin` for it. Checks syntax only (ranges are
// check_settings'). Throws ConfigError "<origin>: <key>: <problem>".
void set_setting(Config& config, const std::string& key, const std::string& value, const std::string& origin);

// The single-field checks of every row: "<origin>: <key>: <problem>" per problem.
std::vector<std::string> check_settings(const Config& config);

// Where `path` was set ("file.yaml:12", "flag --x"), falling back to its parents, then to the file.
std::string origin_of(const Config& config, std::string path);

}  // namespace natsexp
