// The one YAML reader of every config section (main, targets, probes, observations, doctor, web
// config). It walks maps as entries, names each problem `file:line: path: problem`, reports unknown
// keys with a did-you-mean and duplicate keys with the line of the first, reads typed values with
// the base/ parsers, reads secrets from a value, a `_file` or an `_env`, records origins, and caps
// what it reports at 20 problems. Messages never hold a secret value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace natsexp {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "nothing", "a single value", "a list" or "a map": what a YAML node is, for "expected a map, got …".
std::string yaml_kind(const YAML::Node& node);

// Throws one ConfigError listing `problems`, the first 20 and a count of the rest; nothing when empty.
void throw_problems(const std::vector<std::string>& problems);

// Parses YAML text; invalid YAML is a ConfigError `<source>:<line>: invalid YAML: …`.
YAML::Node parse_yaml(const std::string& text, const std::string& source);

// Reads a whole file (at most 64 MiB); false with `problem` (a strerror text) when it cannot.
bool read_file(const std::string& path, std::string& out, std::string& problem, std::size_t limit = 64 << 20);
// Whether `path` can be opened for reading (and is no directory): nullopt, or
// `cannot read "<path>": <reason>`. Every *_file key of every section is checked this one way.
std::optional<std::string> unreadable(const std::string& path);
// Reads a secret file and strips one trailing newline. Throws std::runtime_error with a message safe to
// show (`cannot read "<path>": <reason>`, never the content).
std::string read_secret_file(const std::string& path);
// The process environment as a map, so tests can pass their own.
std::map<std::string, std::string> process_environment();

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string name;  // the key
  std::string path;  // e.g. targets[0].tls.ca_file
};

class Reader {
 public:
  // `environment` resolves *_env keys; `origins`, when given, receives "file:line" per key path read.
  explicit Reader(std::string source, const std::map<std::string, std::string>* environment = nullptr,
                  std::map<std::string, std::string>* origins = nullptr);

  const std::string& source() const { return source_; }
  std::string where(const YAML::Node& node) const;
  std::string where(const Entry& e) const;  // the value's line, or the key's when the value is null

  void add(const std::string& at, const std::string& path, const std::string& problem);
  void add(const Entry& e, const std::string& problem) { add(where(e), e.path, problem); }
  void add_message(const std::string& message) { problems_.push_back(message); }
  const std::vector<std::string>& problems() const { return problems_; }
  void throw_if_any() const { throw_problems(problems_); }

  // The non-null entries of a map, after checking its type, unknown keys (with did-you-mean, or the
  // known keys when none is close) and duplicate keys (with the line of the first). `what` names a
  // key in messages ("key", "check"). Records the origin of each entry.
  // `refused`: keys of the format that nats-exporter does not implement, with why, named as such.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path, const std::string& map_where,
                             const std::vector<std::string>& known, const char* what = "key",
                             const std::map<std::string, std::string>& refused = {});
  std::vector<Entry> entries(const Entry& e, const std::vector<std::string>& known, const char* what = "key",
                             const std::map<std::string, std::string>& refused = {}) {
    return entries(e.value, e.path, where(e), known, what, refused);
  }
  // The items of a list entry, as entries named "" with paths `path[i]`; a problem when not a list.
  std::vector<Entry> items(const Entry& e, const char* expected);

  // Typed values: each returns false (with the problem added) when the value is not one; `out` is then
  // left as it was. Ranges are inclusive.
  bool scalar(const Entry& e, std::string& out, const char* expected = "a single value");
  bool string(const Entry& e, std::string& out) { return scalar(e, out, "a string"); }
  bool boolean(const Entry& e, bool& out);
  bool integer(const Entry& e, std::int64_t& out, std::int64_t lo, std::int64_t hi);
  bool count(const Entry& e, std::size_t& out, std::size_t lo, std::size_t hi);
  bool number(const Entry& e, double& out, double lo, double hi, bool lo_open = false);
  bool duration(const Entry& e, std::chrono::milliseconds& out, std::chrono::milliseconds lo,
                std::chrono::milliseconds hi);
  bool seconds(const Entry& e, double& out, double hi);  // sub-millisecond latency, > 0
  bool size(const Entry& e, std::size_t& out, std::size_t lo, std::size_t hi);
  // A file name that must be readable now.
  bool file(const Entry& e, std::string& out);
  // A secret: the value itself (`key`), the content of a file (`key_file`) or of an environment
  // variable (`key_env`), chosen by the entry's name suffix.
  bool secret(const Entry& e, std::string& out);
  // A list of strings (a single string is a list of one), each checked by `check` (a problem or "").
  bool strings(const Entry& e, std::vector<std::string>& out, std::string (*check)(const std::string&) = nullptr);

  // When no known key is close to an unknown one, list the known keys (for short, fixed sets).
  void list_known_keys(bool on) { list_known_ = on; }

  void set_origin(const std::string& path, const std::string& at) {
    if (origins_) (*origins_)[path] = at;
  }

 private:
  std::string source_;
  const std::map<std::string, std::string>* env_;
  std::map<std::string, std::string>* origins_;
  std::vector<std::string> problems_;
  bool list_known_ = false;

  template <typename T, typename Parse, typename Range>
  bool typed(const Entry& e, T& out, const char* expected, const std::string& bad, Parse parse, Range range);
};

// "0.5..1", "> 0 and <= 1", ">= 1": the range of a number, for messages.
std::string number_range_text(double lo, double hi, bool lo_open);

}  // namespace natsexp
