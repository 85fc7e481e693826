// Minimal structured logging to stderr, in logfmt like Prometheus' own tools:
//   ts=2026-11-25T13:00:00.123Z level=warn msg="collector failed" server=n1 collector=jsz err="..."
// Callers pass values that are already free of secrets (see redact_url).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace natsexp::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

using Fields = std::initializer_list<std::pair<std::string_view, std::string>>;

void set_level(Level level);
// "debug", "info", "warn", "error"; anything else keeps the level and returns false.
bool set_level(std::string_view name);

void write(Level level, std::string_view message, Fields fields = {});
inline void debug(std::string_view m, Fields f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, Fields f = {}) { write(Level::info, m, f); }
inline void warn(std::string_view m, Fields f = {}) { write(Level::warn, m, f); }
inline void error(std::string_view m, Fields f = {}) { write(Level::error, m, f); }

}  // namespace natsexp::log
