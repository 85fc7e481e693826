// Reading files and the environment: config files, secret files, the *_env keys' variables. Messages
// name the path and the reason, never the content.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

namespace natsexp {

// Reads a whole file (at most 64 MiB); false with `problem` (a strerror text) when it cannot.
bool read_file(const std::string& path, std::string& out, std::string& problem, std::size_t limit = 64 << 20);
// Whether `path` can be opened for reading (and is no directory): nullopt, or
// `cannot read "<path>": <reason>`. Every *_file key of every section is checked this one way.
std::optional<std::string> unreadable(const std::string& path);
// Reads a secret file and strips one trailing newline. Throws std::runtime_error with a message safe to
// show (`cannot read "<path>": <reason>`, never the content).
std::string read_secret_file(const std::string& path);
// The value of the variable `name` in `environment`, without trailing newlines. Throws
// std::runtime_error when it is not set or empty (the message names the variable, never the value).
std::string read_secret_env(const std::map<std::string, std::string>& environment, const std::string& name);
// The process environment as a map, so tests can pass their own.
std::map<std::string, std::string> process_environment();

}  // namespace natsexp
