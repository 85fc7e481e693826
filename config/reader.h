// The one YAML reader of every config section (main, targets, probes, observations, doctor, web
// config). It walks maps as entries, names each problem `file:line: path: problem`, reports unknown
// keys with a did-you-mean and duplicate keys with the line of the first, reads typed values with
// the base/ parsers, reads secrets from a value, a `_file` or an `_env`, records origins, and caps
// what it reports at 20 problems. Messages never hold a secret value.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/file.h"  // read_file, unreadable, read_secret_file, process_environment
#include "base/text.h"

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

// Rows: every section (the main settings, targets, probes, connections, observations, the system
// account, the doctor's checks) declares its keys as rows that bind a key to a field, its type and
// range, and for the main settings a flag (whose environment variable derives from it) and help.
// The reader, the flags, the environment, --help, the defaults and the single-field checks are all
// derived from rows; a new setting is one row plus the code that uses it.
enum class RowType {
  text,      // a string; `check`, when set, names a problem with it
  choice,    // one of `choices`, lower-cased
  secret,    // a string from the value, a `_file` or an `_env` (Reader::secret), or the row's `read`
  file,      // a file name readable now, whose content `check` (when set) accepts
  boolean,   // true or false
  count,     // a whole number in lo..hi
  number,    // a number in lo..hi (lo excluded when lo_open)
  seconds,   // a duration kept as seconds, > 0 and <= hi
  duration,  // lo..hi milliseconds (lo excluded when lo_open)
  size,      // lo..hi bytes
  strings,   // a list of strings (one string is a list of one), each checked by `check`
  custom,    // read by the row's own `read`, for keys whose value is a structure or an enum
  flag,      // a flag the command line handles itself (no key, no field): a value
  switch_,   // same, a boolean flag (--x or --x=false)
  repeated,  // same, may be given several times (the environment separates values by spaces)
};

// The key of the secret that `key` gives: "password" for password, password_file and password_env.
std::string secret_stem(const std::string& key);

using FieldRef = std::variant<std::monostate, std::string*, bool*, std::size_t*, int*, double*,
                              std::chrono::milliseconds*, std::vector<std::string>*>;

struct RowSpec {
  const char* key = nullptr;  // the YAML key (a dotted path for the main settings); none for a flag
  RowType type = RowType::text;
  double lo = 0, hi = 0;
  bool lo_open = false;
  std::string (*check)(const std::string&) = nullptr;  // text, strings, file: a problem or ""
  std::vector<std::string> choices;                    // choice
  const char* flag = nullptr;                          // main settings: the flag, without "--"
  const char* placeholder = "";                        // --flag=PLACEHOLDER
  const char* help = "";
  const char* default_text = nullptr;  // for flags without a field; else derived from S{}
};

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string name;  // the key
  std::string path;  // e.g. targets[0].tls.ca_file
  std::string at;    // for a value from a flag or the environment: its origin ("flag --x"), else ""
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
  const std::vector<std::string>& problems() const { return problems_; }
  void throw_if_any() const { throw_problems(problems_); }

  // The non-null entries of a map, after checking its type, unknown keys (with did-you-mean, or the
  // known keys when none is close) and duplicate keys (with the line of the first). `what` names a
  // key in messages ("key", "check"); no `known` keys: any key (the keys are data: labels, users).
  // Records the origin of each entry.
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
  // left as it was.
  bool scalar(const Entry& e, std::string& out, const char* expected = "a single value");
  bool string(const Entry& e, std::string& out) { return scalar(e, out, "a string"); }
  bool boolean(const Entry& e, bool& out);
  bool seconds(const Entry& e, double& out, double hi);  // sub-millisecond latency, > 0
  // A secret: the value itself (`key`), the content of a file (`key_file`) or of an environment
  // variable (`key_env`), chosen by the entry's name suffix.
  bool secret(const Entry& e, std::string& out);
  // One of `names` (trimmed and in any case, unless `exact`): its index, or nullopt with
  // "<value> is not <what> (a, b or c)" and a did-you-mean added. `what`: "a severity".
  std::optional<std::size_t> choice(const Entry& e, const std::vector<std::string>& names, const char* what,
                                    bool exact = false);
  // The value of a row of the YAML-only types (text .. strings) into `out`.
  bool value(const Entry& e, const RowSpec& row, FieldRef out);

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
};

// A row of the section type S: where its value goes.
template <typename S>
struct Row : RowSpec {
  std::variant<std::monostate, std::string& (*)(S&), bool& (*)(S&), std::size_t& (*)(S&), int& (*)(S&), double& (*)(S&),
               std::chrono::milliseconds& (*)(S&), std::vector<std::string>& (*)(S&)>
      field;
  void (*read)(Reader&, const Entry&, S&) = nullptr;  // custom

  FieldRef ref(S& s) const {
    return std::visit(
        [&](auto f) -> FieldRef {
          if constexpr (std::is_same_v<decltype(f), std::monostate>) return {};
          else return &f(s);
        },
        field);
  }
};

// The field `member` of a section, for row(): NATSEXP_FIELD(connect_timeout).
#define NATSEXP_FIELD(member) \
  [](auto& s) -> auto& { return s.member; }

// A row of S; `field` is NATSEXP_FIELD(member) or, for RowType::custom, a reader function.
template <typename S, typename F>
Row<S> row(const char* key, RowType type, F field, double lo = 0, double hi = 0, bool lo_open = false) {
  Row<S> r;
  r.key = key, r.type = type, r.lo = lo, r.hi = hi, r.lo_open = lo_open;
  if constexpr (std::is_invocable_v<F, Reader&, const Entry&, S&>) {
    r.read = field;
  } else {
    using T = std::remove_reference_t<decltype(field(std::declval<S&>()))>;
    r.field = static_cast<T& (*)(S&)>(field);
  }
  return r;
}
template <typename S, typename F>
Row<S> checked_row(const char* key, RowType type, F field, std::string (*check)(const std::string&)) {
  Row<S> r = row<S>(key, type, field);
  r.check = check;
  return r;
}

// The keys of a map read by `rows`, whose keys may be dotted ("tls.ca_file" is `ca_file` in the map
// `tls`): the distinct first parts of the row keys under `prefix`, after the keys `others` (read by
// other code).
template <typename S>
std::vector<std::string> keys_of(const std::vector<Row<S>>& rows, std::vector<std::string> others = {},
                                 const std::string& prefix = "") {
  std::vector<std::string> out = std::move(others);
  for (const auto& r : rows) {
    if (!r.key || std::string(r.key).rfind(prefix, 0) != 0) continue;
    const std::string rest = std::string(r.key).substr(prefix.size());
    if (std::find(out.begin(), out.end(), rest.substr(0, rest.find('.'))) == out.end())
      out.push_back(rest.substr(0, rest.find('.')));
  }
  return out;
}

// Reads one entry by its row: the typed value into the row's field, or the row's own reader.
template <typename S>
void read_row(Reader& r, const Entry& e, const Row<S>& row, S& s) {
  if (row.read) row.read(r, e, s);
  else r.value(e, row, row.ref(s));
}

// Reads the entries of a map by `rows`, each entry by the row of its key, or as a map of the rows
// whose keys start with its key and a dot; entries without a row are the caller's.
// A secret is given one way: a second of `password`, `password_file` and `password_env` is refused.
template <typename S>
void read_rows(Reader& r, const std::vector<Entry>& entries, const std::vector<Row<S>>& rows, S& s,
               const std::string& prefix = "") {
  std::map<std::string, std::string> secrets;  // the secret's key without _file or _env -> the key given
  for (const auto& e : entries) {
    const std::string key = prefix + e.name;
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const Row<S>& w) { return w.key && key == w.key; });
    if (row != rows.end() && row->type == RowType::secret)
      if (auto [first, fresh] = secrets.emplace(secret_stem(key), key); !fresh) {
        r.add(e, "cannot be used together with " + first->second);
        continue;
      }
    if (row != rows.end()) read_row(r, e, *row, s);
    else if (const auto inner = keys_of(rows, {}, key + "."); !inner.empty())
      read_rows(r, r.entries(e, inner), rows, s, key + ".");
  }
}

// Whether `map` has `key` with a non-null value.
inline bool given(const YAML::Node& map, const char* key) {
  return map.IsDefined() && map.IsMap() && map[key].IsDefined() && !map[key].IsNull();
}

// A list of named items (`probes:`, `observations:`): each a map read by `read_one` into a copy of
// `proto`, with its origin recorded; names are unique. `noun` names an item: "probe".
template <typename T>
std::vector<T> read_named_list(Reader& r, const YAML::Node& node, const std::string& key, const std::string& noun,
                               const T& proto,
                               void (*read_one)(Reader&, const YAML::Node&, const std::string&, const std::string&,
                                                T&)) {
  std::vector<T> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) {
    r.add(r.where(node), key, "expected a list of " + noun + "s, got " + yaml_kind(node));
    return out;
  }
  std::map<std::string, std::size_t> names;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const std::string path = key + "[" + std::to_string(i) + "]";
    const std::string at = it->IsNull() ? r.where(node) : r.where(*it);
    if (!it->IsMap()) {
      r.add(at, path, "expected a map with at least a name and a kind, got " + yaml_kind(*it));
      continue;
    }
    T item = proto;
    item.origin = at;
    read_one(r, *it, path, at, item);
    if (!item.name.empty())
      if (auto [pos, fresh] = names.emplace(item.name, i); !fresh)
        r.add(at, path + ".name",
              "duplicate " + noun + " name " + strings::quote(item.name) + " (already used by " + key + "[" +
                  std::to_string(pos->second) + "])");
    out.push_back(std::move(item));
  }
  return out;
}

// A check for text rows: a blank value is a problem.
inline std::string blank_problem(const std::string& s) { return strings::trim(s).empty() ? "must not be empty" : ""; }

}  // namespace natsexp
