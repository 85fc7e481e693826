// YAML loading, value parsing and validation of the configuration. See config/load.h.
//
// Two stages. The loaders (YAML file here, flags and environment in command_line.cpp) check the
// shape and syntax of each value and record where it came from in Config::origins. validate_config
// then checks the meaning of the final, merged config and uses the origins to name the file and
// line (or the flag, or the variable) of each problem. Secrets are never quoted in a message.
#include "config/load.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "collectors/collector.h"
#include "config/doctor_config.h"
#include "config/config_text.h"
#include "config/probe_config.h"

extern char** environ;

namespace natsexp {

namespace {

using std::chrono::milliseconds;
using config_text::did_you_mean;
using config_text::edit_distance;
using config_text::lower;
using config_text::quote;
using config_text::trim;
using config_text::yaml_kind;

// ---------------------------------------------------------------------------------------------
// Small text helpers

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string message(const std::string& where, const std::string& path, const std::string& problem) {
  std::string m = where;
  if (!path.empty()) m += ": " + path;
  return m + ": " + problem;
}

// Collects problems so that one run reports all of them.
class Problems {
 public:
  void add(const std::string& where, const std::string& path, const std::string& problem) {
    messages_.push_back(message(where, path, problem));
  }
  void add_message(const std::string& m) { messages_.push_back(m); }
  void throw_if_any() const {
    if (messages_.empty()) return;
    constexpr std::size_t kMax = 20;
    std::vector<std::string> shown(messages_.begin(),
                                   messages_.begin() + static_cast<std::ptrdiff_t>(std::min(kMax, messages_.size())));
    if (messages_.size() > kMax) shown.push_back("... and " + std::to_string(messages_.size() - kMax) + " more problems");
    throw ConfigError(join(shown, "\n"));
  }

 private:
  std::vector<std::string> messages_;
};

// ---------------------------------------------------------------------------------------------
// Files

// Opens a regular file for reading; returns the fd, or -1 with `problem` set.
int open_readable(const std::string& path, std::string& problem) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    problem = std::strerror(errno);
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    problem = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    problem = std::strerror(EISDIR);
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads a whole file; returns false with `problem` set (a strerror text).
bool read_whole_file(const std::string& path, std::string& out, std::string& problem,
                     std::size_t limit = 64 * 1024 * 1024) {
  int fd = open_readable(path, problem);
  if (fd < 0) return false;
  out.clear();
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      problem = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) {
      problem = "file too large";
      ::close(fd);
      return false;
    }
  }
  ::close(fd);
  return true;
}

std::optional<std::string> unreadable(const std::string& path) {
  std::string problem;
  int fd = open_readable(path, problem);
  if (fd < 0) return "cannot read " + quote(path) + ": " + problem;
  ::close(fd);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Numbers and URLs

std::uint64_t parse_unsigned(const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) throw std::invalid_argument("expected a non-negative integer, got nothing");
  if (t[0] == '-') throw std::invalid_argument("expected a non-negative integer, got " + quote(text));
  if (t[0] == '+') t.erase(0, 1);
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc::result_out_of_range) throw std::invalid_argument(quote(text) + " is too large");
  if (ec != std::errc() || ptr != t.data() + t.size() || t.empty())
    throw std::invalid_argument("expected a non-negative integer, got " + quote(text));
  return v;
}

bool parse_bool_text(const std::string& text, bool& out) {
  std::string t = lower(trim(text));
  if (t == "true" || t == "yes" || t == "on" || t == "1") {
    out = true;
    return true;
  }
  if (t == "false" || t == "no" || t == "off" || t == "0") {
    out = false;
    return true;
  }
  return false;
}

struct UrlParts {
  std::string scheme, host, port, path;
  bool has_userinfo = false;
};

// Index where the userinfo ends ('@'), or npos. The last '@' counts, so that a password holding
// '/', '?', '#' or '@' is never mistaken for a host or a path (URLs of monitoring ports have no '@'
// in their path).
std::size_t userinfo_end(const std::string& url, std::size_t start) {
  std::size_t at = url.rfind('@');
  if (at == std::string::npos || at < start) return std::string::npos;
  return at;
}

std::size_t authority_start(const std::string& url) {
  std::size_t p = url.find("://");
  return p == std::string::npos ? 0 : p + 3;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) && std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Splits an http(s) URL; returns a problem (with the URL quoted, redacted) or nullopt.
std::optional<std::string> split_url(const std::string& url, UrlParts& u) {
  const std::string shown = quote(redact_url(url));
  std::size_t sep = url.find("://");
  if (sep == std::string::npos) return shown + " is not an http:// or https:// URL";
  u.scheme = lower(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return shown + " is not an http:// or https:// URL";
  std::size_t start = sep + 3;
  std::size_t at = userinfo_end(url, start);
  u.has_userinfo = at != std::string::npos;
  std::size_t host_start = u.has_userinfo ? at + 1 : start;
  std::size_t end = url.find_first_of("/?#", host_start);
  if (end == std::string::npos) end = url.size();
  std::string hostport = url.substr(host_start, end - host_start);
  std::string rest = url.substr(end);
  if (hostport.empty()) return shown + " has no host";
  if (hostport[0] == '[') {
    std::size_t close = hostport.find(']');
    if (close == std::string::npos) return shown + " has an invalid host";
    u.host = hostport.substr(0, close + 1);
    std::string after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return shown + " has an invalid host";
      u.port = after.substr(1);
      if (u.port.empty()) return shown + " has an invalid port";
    }
  } else {
    std::size_t colon = hostport.rfind(':');
    if (colon != std::string::npos) {
      u.host = hostport.substr(0, colon);
      u.port = hostport.substr(colon + 1);
      if (u.port.empty()) return shown + " has an invalid port";
    } else {
      u.host = hostport;
    }
  }
  if (u.host.empty() || u.host == "[]") return shown + " has no host";
  for (char ch : u.host)
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == '%' || (ch == ':' && u.host[0] != '['))
      return shown + " has an invalid host";
  if (!u.port.empty()) {
    if (u.port.size() > 5 || !std::all_of(u.port.begin(), u.port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return shown + " has an invalid port";
    int p = std::stoi(u.port);
    if (p < 1 || p > 65535) return shown + " has an invalid port";
  }
  if (rest.find_first_of("?#") != std::string::npos) return shown + " must not have a query or fragment";
  for (char ch : rest)
    if (std::isspace(static_cast<unsigned char>(ch))) return shown + " has an invalid path";
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  u.path = rest;
  return std::nullopt;
}

std::optional<std::string> listen_address_problem(const std::string& addr) {
  const std::string bad = quote(addr) + " is not host:port or :port";
  std::size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return bad;
  std::string host = addr.substr(0, colon), port = addr.substr(colon + 1);
  if (!host.empty() && host[0] == '[') {
    if (host.size() < 3 || host.back() != ']') return bad;
  } else if (host.find(':') != std::string::npos) {
    return bad;
  }
  for (char ch : host)
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == '/') return bad;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return quote(addr) + " has an invalid port";
  int p = std::stoi(port);
  if (p < 1 || p > 65535) return quote(addr) + " has an invalid port (1..65535)";
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// YAML

const std::vector<std::string> kTopKeys = {"web",  "scrape", "collectors",   "connz", "log",
                                           "targets", "probes", "observations", "doctor",
                                           "system_account"};
const std::vector<std::string> kWebKeys = {"listen_address",    "metrics_path",     "max_threads",
                                           "read_timeout",      "write_timeout",    "max_request_bytes",
                                           "max_header_bytes",  "max_connections"};
const std::vector<std::string> kScrapeKeys = {"timeout", "timeout_offset", "max_response_bytes"};
const std::vector<std::string> kConnzKeys = {"top_n", "full_read_interval"};
const std::vector<std::string> kLogKeys = {"level"};
const std::vector<std::string> kTargetKeys = {"name", "url",        "labels",       "collectors",
                                              "tls",  "basic_auth", "bearer_token", "bearer_token_file"};
const std::vector<std::string> kTlsKeys = {"ca_file", "cert_file", "key_file", "insecure_skip_verify"};
const std::vector<std::string> kBasicAuthKeys = {"username", "password", "password_file"};

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string name;  // the key
  std::string path;  // e.g. targets[0].tls.ca_file
};

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

class YamlReader {
 public:
  YamlReader(std::string source, Config& config, Problems& problems)
      : source_(std::move(source)), cfg_(config), problems_(problems) {}

  void read_document(const YAML::Node& root) {
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      problems_.add(where(root), "", "the top level must be a map of settings, got " + yaml_kind(root));
      return;
    }
    for (auto& e : entries(root, "", where(root), kTopKeys)) {
      if (e.name == "web") {
        settings(e, kWebKeys);
      } else if (e.name == "scrape") {
        settings(e, kScrapeKeys);
      } else if (e.name == "connz") {
        settings(e, kConnzKeys);
      } else if (e.name == "log") {
        settings(e, kLogKeys);
      } else if (e.name == "collectors") {
        std::vector<std::string> list;
        if (string_list(e, list)) {
          cfg_.collectors = list;
          cfg_.origins["collectors"] = where(e);
        }
      } else if (e.name == "targets") {
        targets(e);
      } else if (e.name == "probes") {
        try {
          cfg_.probes = parse_probes(e.value, source_);
        } catch (const ConfigError& err) {
          problems_.add_message(err.what());
        }
      } else if (e.name == "observations") {
        try {
          cfg_.observations = parse_observations(e.value, source_);
        } catch (const ConfigError& err) {
          problems_.add_message(err.what());
        }
      } else if (e.name == "system_account") {
        std::vector<std::string> problems;
        cfg_.system_account = parse_system_account(e.value, source_, process_environment(), problems);
        for (const auto& problem : problems) problems_.add_message(problem);
      } else if (e.name == "doctor") {
        try {
          cfg_.doctor = parse_doctor(e.value, source_);
        } catch (const ConfigError& err) {
          problems_.add_message(err.what());
        }
      }
    }
  }

 private:
  std::string where(const YAML::Mark& m) const {
    if (m.line < 0) return source_;
    return source_ + ":" + std::to_string(m.line + 1);
  }
  std::string where(const YAML::Node& n) const { return where(n.Mark()); }
  std::string where(const Entry& e) const {
    // A null value's mark points past the key; the key's line is the one to show.
    if (e.value.IsDefined() && !e.value.IsNull() && e.value.Mark().line >= 0) return where(e.value);
    return where(e.key);
  }

  // The non-null entries of a map, after checking its type, unknown keys and duplicate keys.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path, const std::string& map_where,
                             const std::vector<std::string>& known) {
    std::vector<Entry> out;
    if (!map.IsMap()) {
      problems_.add(map_where, path.empty() ? "top level" : path, "expected a map, got " + yaml_kind(map));
      return out;
    }
    std::map<std::string, int> seen;  // key -> 1-based line of its first use
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        problems_.add(where(key), path.empty() ? "top level" : path, "keys must be plain names, got " + yaml_kind(key));
        continue;
      }
      const std::string name = key.Scalar();
      const std::string p = child_path(path, name);
      auto [pos, fresh] = seen.emplace(name, key.Mark().line + 1);
      if (!fresh) {
        problems_.add(where(key), p, "duplicate key (first given at line " + std::to_string(pos->second) + ")");
        continue;
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        problems_.add(where(key), p, "unknown key" + did_you_mean(name, known));
        continue;
      }
      if (it->second.IsNull()) continue;
      out.push_back(Entry{key, it->second, name, p});
    }
    return out;
  }

  std::vector<Entry> entries(const Entry& e, const std::vector<std::string>& known) {
    return entries(e.value, e.path, where(e), known);
  }

  bool scalar(const Entry& e, std::string& out, const char* expected = "a single value") {
    if (!e.value.IsScalar()) {
      problems_.add(where(e), e.path, std::string("expected ") + expected + ", got " + yaml_kind(e.value));
      return false;
    }
    out = e.value.Scalar();
    return true;
  }

  void settings(const Entry& section, const std::vector<std::string>& known) {
    for (auto& e : entries(section, known)) {
      std::string text;
      if (!scalar(e, text)) continue;
      try {
        set_setting(cfg_, e.path, text, where(e));
      } catch (const ConfigError& err) {
        problems_.add_message(err.what());
      }
    }
  }

  bool string_list(const Entry& e, std::vector<std::string>& out) {
    if (!e.value.IsSequence()) {
      problems_.add(where(e), e.path, "expected a list, got " + yaml_kind(e.value));
      return false;
    }
    bool ok = true;
    std::size_t i = 0;
    for (auto it = e.value.begin(); it != e.value.end(); ++it, ++i) {
      const std::string p = e.path + "[" + std::to_string(i) + "]";
      if (!it->IsScalar()) {
        problems_.add(it->IsNull() ? where(e) : where(*it), p, "expected a name, got " + yaml_kind(*it));
        ok = false;
        continue;
      }
      out.push_back(it->Scalar());
      cfg_.origins[p] = where(*it);
    }
    return ok;
  }

  void targets(const Entry& e) {
    if (!e.value.IsSequence()) {
      problems_.add(where(e), e.path, "expected a list of targets, got " + yaml_kind(e.value));
      return;
    }
    cfg_.origins["targets"] = where(e);
    std::size_t i = 0;
    for (auto it = e.value.begin(); it != e.value.end(); ++it, ++i) {
      const std::string p = "targets[" + std::to_string(i) + "]";
      Entry item{e.key, *it, "", p};
      TargetConfig t;
      cfg_.origins[p] = where(item);
      if (it->IsMap()) target(item, t);
      else problems_.add(where(item), p, "expected a map with at least a url, got " + yaml_kind(*it));
      cfg_.targets.push_back(std::move(t));
    }
  }

  void target(const Entry& item, TargetConfig& t) {
    const std::string& p = item.path;
    bool basic_auth_given = false, url_credentials = false;
    std::string url_where;
    std::optional<Entry> password_entry, password_file_entry, token_entry, token_file_entry;
    for (auto& e : entries(item, kTargetKeys)) {
      if (e.name == "name" || e.name == "url" || e.name == "bearer_token" || e.name == "bearer_token_file") {
        std::string text;
        if (!scalar(e, text, "a string")) continue;
        if (e.name == "name") {
          t.name = text;
          cfg_.origins[e.path] = where(e);
        } else if (e.name == "url") {
          t.url = text;
          url_where = where(e);
          cfg_.origins[e.path] = url_where;
          std::string user, pass;
          if (take_url_credentials(t.url, user, pass)) {
            url_credentials = true;
            t.username = user;
            t.password = pass;
            cfg_.origins[p + ".basic_auth.username"] = url_where;
            cfg_.origins[p + ".basic_auth.password"] = url_where;
          }
        } else if (e.name == "bearer_token") {
          token_entry = e;
          t.bearer_token = text;
          cfg_.origins[p + ".bearer_token"] = where(e);
        } else {
          token_file_entry = e;
          if (!token_entry) secret_file(e, text, t.bearer_token, p + ".bearer_token");
        }
      } else if (e.name == "labels") {
        labels(e, t);
      } else if (e.name == "collectors") {
        std::vector<std::string> list;
        if (string_list(e, list)) {
          t.collectors = list;
          cfg_.origins[e.path] = where(e);
        }
      } else if (e.name == "tls") {
        cfg_.origins[e.path] = where(e);
        for (auto& f : entries(e, kTlsKeys)) {
          std::string text;
          if (!scalar(f, text)) continue;
          cfg_.origins[f.path] = where(f);
          if (f.name == "ca_file") t.tls.ca_file = text;
          else if (f.name == "cert_file") t.tls.cert_file = text;
          else if (f.name == "key_file") t.tls.key_file = text;
          else if (!parse_bool_text(text, t.tls.insecure_skip_verify))
            problems_.add(where(f), f.path, "expected true or false, got " + quote(text));
        }
      } else if (e.name == "basic_auth") {
        basic_auth_given = true;
        cfg_.origins[e.path] = where(e);
        for (auto& f : entries(e, kBasicAuthKeys)) {
          std::string text;
          if (!scalar(f, text, "a string")) continue;
          if (f.name == "username") {
            t.username = text;
            cfg_.origins[f.path] = where(f);
          } else if (f.name == "password") {
            password_entry = f;
            t.password = text;
            cfg_.origins[p + ".basic_auth.password"] = where(f);
          } else {
            password_file_entry = f;
          }
        }
        if (password_file_entry) {
          if (password_entry)
            problems_.add(where(*password_file_entry), password_file_entry->path,
                          "cannot be used together with basic_auth.password");
          else
            secret_file(*password_file_entry, password_file_entry->value.Scalar(), t.password,
                        p + ".basic_auth.password");
        }
      }
    }
    if (token_entry && token_file_entry)
      problems_.add(where(*token_file_entry), token_file_entry->path, "cannot be used together with bearer_token");
    if (url_credentials && basic_auth_given)
      problems_.add(url_where, p + ".url", "has user:password in it and basic_auth is set too; use one of them");
  }

  void labels(const Entry& e, TargetConfig& t) {
    if (!e.value.IsMap()) {
      problems_.add(where(e), e.path, "expected a map of label names to values, got " + yaml_kind(e.value));
      return;
    }
    std::map<std::string, int> seen;  // label -> 1-based line of its first use
    for (auto l = e.value.begin(); l != e.value.end(); ++l) {
      if (!l->first.IsScalar()) {
        problems_.add(where(l->first), e.path, "label names must be plain names, got " + yaml_kind(l->first));
        continue;
      }
      const std::string name = l->first.Scalar();
      const std::string p = e.path + "." + name;
      auto [pos, fresh] = seen.emplace(name, l->first.Mark().line + 1);
      if (!fresh) {
        problems_.add(where(l->first), p, "duplicate key (first given at line " + std::to_string(pos->second) + ")");
        continue;
      }
      if (!l->second.IsScalar() && !l->second.IsNull()) {
        problems_.add(where(l->second), p, "expected a label value, got " + yaml_kind(l->second));
        continue;
      }
      t.labels[name] = l->second.IsNull() ? "" : l->second.Scalar();
      cfg_.origins[p] = where(l->first);
    }
  }

  void secret_file(const Entry& e, const std::string& path, std::string& out, const std::string& secret_path) {
    cfg_.origins[e.path] = where(e);
    cfg_.origins[secret_path] = where(e);
    try {
      out = read_secret_file(path);
    } catch (const std::exception& err) {
      problems_.add(where(e), e.path, err.what());
    }
  }

  std::string source_;
  Config& cfg_;
  Problems& problems_;
};

std::string origin_of(const Config& c, std::string path) {
  for (;;) {
    auto it = c.origins.find(path);
    if (it != c.origins.end()) return it->second;
    std::size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    path.erase(cut);
  }
  return c.source.empty() ? "config" : c.source;
}

void check_collectors(const std::vector<std::string>& list, const std::string& path, const Config& c,
                      Problems& p) {
  const auto& known = collector_names();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string item = path + "[" + std::to_string(i) + "]";
    if (std::find(known.begin(), known.end(), list[i]) == known.end()) {
      std::string hint = did_you_mean(list[i], known);
      p.add(origin_of(c, item), item,
            "unknown collector " + quote(list[i]) + (hint.empty() ? " (known: " + join(known, ", ") + ")" : hint));
    } else if (!seen.insert(list[i]).second) {
      p.add(origin_of(c, item), item, "collector " + quote(list[i]) + " is listed twice");
    }
  }
}

bool valid_label_name(const std::string& n) {
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
  });
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// Public functions

std::chrono::milliseconds parse_duration(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) throw std::invalid_argument("empty duration");
  if (t[0] == '-') throw std::invalid_argument("negative durations are not allowed");
  struct Unit {
    const char* name;
    long double ns;
  };
  static const Unit kUnits[] = {
      {"ns", 1},          {"us", 1e3},          {"\xC2\xB5s", 1e3},   {"\xCE\xBCs", 1e3},
      {"ms", 1e6},        {"s", 1e9},           {"m", 60e9},          {"h", 3600e9},
      {"d", 86400e9},     {"w", 7 * 86400e9},
  };
  long double total_ns = 0;
  std::size_t i = t[0] == '+' ? 1 : 0;
  if (i == t.size()) throw std::invalid_argument("not a duration");
  while (i < t.size()) {
    std::size_t start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    std::size_t int_end = i;
    std::size_t frac_start = i, frac_end = i;
    if (i < t.size() && t[i] == '.') {
      frac_start = ++i;
      while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
      frac_end = i;
    }
    if (int_end == start && frac_end == frac_start) throw std::invalid_argument("not a duration");
    if (i == t.size()) throw std::invalid_argument("missing unit (e.g. \"10s\", \"500ms\")");
    const Unit* unit = nullptr;
    std::size_t best = 0;
    for (const auto& u : kUnits) {
      std::size_t len = std::strlen(u.name);
      if (t.compare(i, len, u.name) == 0 && len > best) {
        unit = &u;
        best = len;
      }
    }
    if (!unit) {
      std::size_t j = i;
      while (j < t.size() && !std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
      throw std::invalid_argument("unknown unit " + quote(t.substr(i, j - i)) +
                                  " (use ms, s, m, h, d or w)");
    }
    i += best;
    long double value = 0;
    for (std::size_t k = start; k < int_end; ++k) value = value * 10 + (t[k] - '0');
    long double scale = 0.1L;
    for (std::size_t k = frac_start; k < frac_end; ++k, scale /= 10) value += (t[k] - '0') * scale;
    total_ns += value * unit->ns;
    if (total_ns > 100.0L * 365 * 86400e9) throw std::invalid_argument("too large");
  }
  long double ns = std::round(total_ns);
  long double ms = ns / 1e6L;
  if (std::fabs(ms - std::round(ms)) > 1e-6L) throw std::invalid_argument("finer than a millisecond");
  return milliseconds(static_cast<long long>(std::llround(ms)));
}

std::string format_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  if (rest) out += std::to_string(rest) + "ms";
  return out;
}

std::size_t parse_size(const std::string& text) {
  const std::string t = trim(text);
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  const std::string number = t.substr(0, i);
  const std::string unit = lower(trim(t.substr(i)));
  if (number.empty() || std::count(number.begin(), number.end(), '.') > 1 || number == ".")
    throw std::invalid_argument("not a size (e.g. 65536, \"64KiB\", \"32MiB\")");
  struct Unit {
    const char* name;
    std::uint64_t factor;
  };
  static const Unit kUnits[] = {{"", 1},
                                {"b", 1},
                                {"kb", 1000},
                                {"mb", 1000 * 1000},
                                {"gb", 1000 * 1000 * 1000},
                                {"kib", 1024},
                                {"mib", 1024 * 1024},
                                {"gib", 1024ULL * 1024 * 1024}};
  const Unit* u = nullptr;
  for (const auto& k : kUnits)
    if (unit == k.name) u = &k;
  if (!u) throw std::invalid_argument("unknown size unit " + quote(t.substr(i)) + " (use B, KB, MB, GB, KiB, MiB or GiB)");
  const std::uint64_t max = std::numeric_limits<std::size_t>::max() / 2;
  if (number.find('.') == std::string::npos) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || ptr != number.data() + number.size() || v > max / u->factor)
      throw std::invalid_argument("too large");
    return static_cast<std::size_t>(v * u->factor);
  }
  if (u->factor == 1) throw std::invalid_argument("a number of bytes must be whole");
  long double v = std::stold(number) * static_cast<long double>(u->factor);
  if (v > static_cast<long double>(max)) throw std::invalid_argument("too large");
  return static_cast<std::size_t>(v);
}

void set_setting(Config& c, const std::string& key, const std::string& value, const std::string& origin) {
  auto fail = [&](const std::string& problem) { throw ConfigError(message(origin, key, problem)); };
  auto duration = [&](milliseconds& out) {
    try {
      out = parse_duration(value);
    } catch (const std::invalid_argument& e) {
      fail(quote(value) + " is not a valid duration: " + e.what());
    }
  };
  auto size = [&](std::size_t& out) {
    try {
      out = parse_size(value);
    } catch (const std::invalid_argument& e) {
      fail(quote(value) + " is not a valid size: " + e.what());
    }
  };
  auto integer = [&](std::size_t& out) {
    try {
      std::uint64_t v = parse_unsigned(value);
      if (v > std::numeric_limits<std::uint32_t>::max()) fail(quote(value) + " is too large");
      out = static_cast<std::size_t>(v);
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
  };
  if (key == "web.listen_address") c.listen_address = value;
  else if (key == "web.metrics_path") c.metrics_path = value;
  else if (key == "web.max_threads") integer(c.web_max_threads);
  else if (key == "web.read_timeout") duration(c.web_read_timeout);
  else if (key == "web.write_timeout") duration(c.web_write_timeout);
  else if (key == "web.max_request_bytes") size(c.web_max_request_bytes);
  else if (key == "web.max_header_bytes") size(c.web_max_header_bytes);
  else if (key == "web.max_connections") integer(c.web_max_connections);
  else if (key == "scrape.timeout") duration(c.scrape_timeout);
  else if (key == "scrape.timeout_offset") duration(c.scrape_timeout_offset);
  else if (key == "scrape.max_response_bytes") size(c.max_response_bytes);
  else if (key == "connz.top_n") integer(c.connz_top_n);
  else if (key == "connz.full_read_interval") duration(c.connz_full_read_interval);
  else if (key == "log.level") c.log_level = lower(trim(value));
  else if (key == "doctor.interval") duration(c.doctor.interval);
  else fail("unknown setting");
  c.origins[key] = origin;
}

bool take_url_credentials(std::string& url, std::string& username, std::string& password) {
  std::size_t start = authority_start(url);
  std::size_t at = userinfo_end(url, start);
  if (at == std::string::npos) return false;
  std::string userinfo = url.substr(start, at - start);
  std::size_t colon = userinfo.find(':');
  username = percent_decode(userinfo.substr(0, colon));
  password = colon == std::string::npos ? "" : percent_decode(userinfo.substr(colon + 1));
  url.erase(start, at + 1 - start);
  return true;
}

std::string redact_url(const std::string& url) {
  std::string copy = url, user, pass;
  take_url_credentials(copy, user, pass);
  return copy;
}

std::string read_secret_file(const std::string& path) {
  std::string content, problem;
  if (!read_whole_file(path, content, problem, 1024 * 1024))
    throw std::runtime_error("cannot read " + quote(path) + ": " + problem);
  if (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  if (content.empty()) throw std::runtime_error(quote(path) + " is empty");
  return content;
}

Config load_config_yaml(const std::string& yaml_text, const std::string& source) {
  const std::string name = source.empty() ? "<config>" : source;
  Config config;
  config.source = source;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.line >= 0 ? name + ":" + std::to_string(e.mark.line + 1) : name;
    throw ConfigError(where + ": invalid YAML: " + e.msg);
  }
  Problems problems;
  try {
    YamlReader(name, config, problems).read_document(root);
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.line >= 0 ? name + ":" + std::to_string(e.mark.line + 1) : name;
    problems.add(where, "", "invalid YAML: " + e.msg);
  }
  problems.throw_if_any();
  return config;
}

Config load_config_file(const std::string& path) {
  std::string text, problem;
  if (!read_whole_file(path, text, problem)) throw ConfigError(path + ": cannot read: " + problem);
  return load_config_yaml(text, path);
}

void validate_config(Config& c) {
  Problems p;
  auto at = [&](const std::string& path) { return origin_of(c, path); };
  auto check = [&](bool ok, const std::string& path, const std::string& problem) {
    if (!ok) p.add(at(path), path, problem);
  };
  auto range = [&](std::size_t v, std::size_t lo, std::size_t hi, const std::string& path) {
    check(v >= lo && v <= hi, path,
          std::to_string(v) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
  };
  auto duration_range = [&](milliseconds v, milliseconds hi, const std::string& path) {
    check(v.count() > 0 && v <= hi, path,
          quote(format_duration(v)) + " is out of range (must be > 0s and <= " + format_duration(hi) + ")");
  };

  // web
  if (auto why = listen_address_problem(c.listen_address)) p.add(at("web.listen_address"), "web.listen_address", *why);
  check(!c.metrics_path.empty() && c.metrics_path[0] == '/' &&
            c.metrics_path.find_first_of(" \t\r\n?#") == std::string::npos,
        "web.metrics_path", quote(c.metrics_path) + " must be a path starting with /");
  range(c.web_max_threads, 1, 256, "web.max_threads");
  duration_range(c.web_read_timeout, std::chrono::hours(1), "web.read_timeout");
  duration_range(c.web_write_timeout, std::chrono::hours(1), "web.write_timeout");
  check(c.web_max_request_bytes >= 1024 && c.web_max_request_bytes <= 64 * 1024 * 1024, "web.max_request_bytes",
        std::to_string(c.web_max_request_bytes) + " is out of range (1KiB..64MiB)");
  check(c.web_max_header_bytes >= 1024 && c.web_max_header_bytes <= 1024 * 1024, "web.max_header_bytes",
        std::to_string(c.web_max_header_bytes) + " is out of range (1KiB..1MiB)");
  range(c.web_max_connections, 1, 65536, "web.max_connections");

  // scrape
  duration_range(c.scrape_timeout, std::chrono::minutes(5), "scrape.timeout");
  check(c.scrape_timeout_offset.count() >= 0 && c.scrape_timeout_offset < c.scrape_timeout,
        "scrape.timeout_offset",
        quote(format_duration(c.scrape_timeout_offset)) + " must be shorter than scrape.timeout (" +
            format_duration(c.scrape_timeout) + ")");
  check(c.max_response_bytes >= 1024 && c.max_response_bytes <= 1024ULL * 1024 * 1024, "scrape.max_response_bytes",
        std::to_string(c.max_response_bytes) + " is out of range (1KiB..1GiB)");

  // collectors, connz, log
  if (c.collectors.empty() && !c.origins.count("collectors")) c.collectors = default_collector_names();
  check_collectors(c.collectors, "collectors", c, p);
  range(c.connz_top_n, 0, 1000, "connz.top_n");
  check(c.connz_full_read_interval <= std::chrono::hours(24), "connz.full_read_interval",
        quote(format_duration(c.connz_full_read_interval)) + " is out of range (0s..24h)");
  check(c.doctor.interval <= std::chrono::hours(1), "doctor.interval",
        quote(format_duration(c.doctor.interval)) + " is out of range (0s..1h)");
  static const std::vector<std::string> kLevels = {"debug", "info", "warn", "error"};
  if (std::find(kLevels.begin(), kLevels.end(), c.log_level) == kLevels.end())
    p.add(at("log.level"), "log.level",
          quote(c.log_level) + " is not a log level (debug, info, warn, error)" + did_you_mean(c.log_level, kLevels));

  // targets
  // A probes-only exporter is valid: consumer-watch exists for where no monitoring port is reachable.
  if (c.targets.empty() && c.probes.empty() && c.observations.empty() && !c.system_account.enabled)
    p.add(at("targets"), "targets", "no target and no probe configured (add targets or probes to the config file, or use --nats.url)");
  std::map<std::string, std::size_t> names;
  static const std::set<std::string> kReserved = {"server", "server_name", "cluster", "collector"};
  for (std::size_t i = 0; i < c.targets.size(); ++i) {
    TargetConfig& t = c.targets[i];
    const std::string tp = "targets[" + std::to_string(i) + "]";
    UrlParts u;
    bool url_ok = false;
    if (t.url.empty()) {
      p.add(at(tp + ".url"), tp + ".url", "is required (e.g. http://127.0.0.1:8222)");
    } else if (auto why = split_url(t.url, u)) {
      p.add(at(tp + ".url"), tp + ".url", *why);
    } else {
      url_ok = true;
      if (u.has_userinfo) {
        std::string user, pass;
        take_url_credentials(t.url, user, pass);
        if (!t.username.empty() || !t.password.empty() || !t.bearer_token.empty()) {
          p.add(at(tp + ".url"), tp + ".url", "has user:password in it and other credentials are set too; use one");
        } else {
          t.username = user;
          t.password = pass;
        }
      }
      t.url = u.scheme + "://" + u.host + (u.port.empty() ? "" : ":" + u.port) + u.path;
    }
    if (t.name.empty() && url_ok) t.name = u.host + ":" + (u.port.empty() ? (u.scheme == "https" ? "443" : "80") : u.port);
    if (!t.name.empty()) {
      auto [pos, fresh] = names.emplace(t.name, i);
      if (!fresh)
        p.add(at(tp + ".name"), tp + ".name",
              "duplicate target name " + quote(t.name) + " (already used by targets[" + std::to_string(pos->second) +
                  "]; set a unique name)");
    } else if (url_ok) {
      p.add(at(tp + ".name"), tp + ".name", "must not be empty");
    }
    for (const auto& [label, value] : t.labels) {
      const std::string lp = tp + ".labels." + label;
      if (!valid_label_name(label))
        p.add(at(lp), lp, "label name " + quote(label) + " is not valid (must match [a-zA-Z_][a-zA-Z0-9_]*)");
      else if (label.rfind("__", 0) == 0)
        p.add(at(lp), lp, "label name " + quote(label) + " is reserved (starts with __)");
      else if (kReserved.count(label))
        p.add(at(lp), lp, "label name " + quote(label) + " is reserved for the exporter's own labels");
    }
    if (t.collectors) check_collectors(*t.collectors, tp + ".collectors", c, p);
    // TLS
    const std::string tls = tp + ".tls";
    if (t.tls.cert_file.empty() != t.tls.key_file.empty()) {
      const std::string given = t.tls.cert_file.empty() ? "key_file" : "cert_file";
      const std::string missing = t.tls.cert_file.empty() ? "cert_file" : "key_file";
      p.add(at(tls + "." + given), tls + "." + given, "needs tls." + missing + " too (cert_file and key_file go together)");
    }
    for (const auto& [key, file] : {std::pair<std::string, std::string>{"ca_file", t.tls.ca_file},
                                    {"cert_file", t.tls.cert_file},
                                    {"key_file", t.tls.key_file}})
      if (!file.empty())
        if (auto why = unreadable(file)) p.add(at(tls + "." + key), tls + "." + key, *why);
    // Auth
    if (!t.password.empty() && t.username.empty())
      p.add(at(tp + ".basic_auth.password"), tp + ".basic_auth.password", "is set without basic_auth.username");
    if (!t.bearer_token.empty() && (!t.username.empty() || !t.password.empty()))
      p.add(at(tp + ".bearer_token"), tp + ".bearer_token", "cannot be used together with basic_auth");
  }
  p.throw_if_any();
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    std::size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

}  // namespace natsexp
