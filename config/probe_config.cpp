// Parsing of the `probes:` list. See config/probe_config.h and README.md ("The client probe").
#include "config/probe_config.h"

#include <openssl/evp.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "config/config_text.h"
#include "config/load.h"

namespace natsexp {

namespace {

using std::chrono::milliseconds;
using config_text::lower;
using config_text::quote;
using config_text::trim;
using config_text::yaml_kind;

// A subject token made of the characters NATS allows in one token.
std::string subject_token(const std::string& s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    out += (std::isalnum(c) || ch == '-' || ch == '_') ? ch : '_';
  }
  return out.empty() ? "_" : out;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// A subject to publish to: non-empty tokens, no spaces. Wildcards are refused for publishing.
std::optional<std::string> subject_problem(const std::string& subject) {
  if (subject.empty()) return "must not be empty";
  for (char ch : subject)
    if (std::isspace(static_cast<unsigned char>(ch)) || static_cast<unsigned char>(ch) < 0x20)
      return quote(subject) + " must not contain white space";
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = subject.find('.', start);
    std::string token = subject.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (token.empty()) return quote(subject) + " has an empty token";
    if (token == "*" || token == ">") return quote(subject) + " must not contain wildcards (a probe publishes to it)";
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

// nats:// or tls:// URL; returns a problem (with credentials removed from the shown URL) or nullopt.
std::optional<std::string> nats_url_problem(const std::string& url, bool& tls_scheme) {
  const std::string shown = quote(redact_url(url));
  std::size_t sep = url.find("://");
  if (sep == std::string::npos) return shown + " is not a nats:// or tls:// URL";
  const std::string scheme = lower(url.substr(0, sep));
  if (scheme != "nats" && scheme != "tls") return shown + " is not a nats:// or tls:// URL";
  tls_scheme = scheme == "tls";
  std::string rest = redact_url(url).substr(sep + 3);
  std::size_t end = rest.find_first_of("/?#");
  if (end != std::string::npos) {
    if (rest.find_first_not_of('/', end) != std::string::npos) return shown + " must not have a path";
    rest = rest.substr(0, end);
  }
  if (rest.empty()) return shown + " has no host";
  std::string host = rest, port;
  if (rest[0] == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string::npos) return shown + " has an invalid host";
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return shown + " has an invalid host";
      port = rest.substr(close + 2);
      if (port.empty()) return shown + " has an invalid port";
    }
  } else if (std::size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) return shown + " has an invalid port";
  }
  if (host.empty() || host == "[]") return shown + " has no host";
  for (char ch : host)
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == '@' || (ch == ':' && host[0] != '['))
      return shown + " has an invalid host";
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return shown + " has an invalid port";
    int p = std::stoi(port);
    if (p < 1 || p > 65535) return shown + " has an invalid port";
  }
  return std::nullopt;
}

const std::vector<std::string> kCommonKeys = {"name", "kind", "servers", "connection", "interval", "timeout"};
const std::vector<std::string> kRequestKeys = {"subject", "size", "responder", "buckets", "pending_limits"};
const std::vector<std::string> kPublishKeys = {"subject", "size", "buckets", "jetstream"};
const std::vector<std::string> kWatchKeys = {"stream", "consumer", "jetstream"};
const std::vector<std::string> kConnectionKeys = {
    "name",           "tls",           "user",          "password",        "password_file",
    "password_env",   "token",         "token_file",    "token_env",       "creds_file",
    "creds_env",      "nkey_seed_file", "nkey_seed_env", "connect_timeout", "reconnect_wait",
    "reconnect_jitter", "reconnect_buffer_bytes", "ping_interval", "max_pings_out"};
const std::vector<std::string> kTlsKeys = {"ca_file", "cert_file", "key_file", "insecure_skip_verify"};
const std::vector<std::string> kResponderKeys = {"enabled", "queue_group"};
const std::vector<std::string> kPendingKeys = {"messages", "bytes"};
const std::vector<std::string> kJetStreamKeys = {"domain", "api_prefix"};

const std::vector<std::string>& kind_keys(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::request: return kRequestKeys;
    case ProbeKind::jetstream_publish: return kPublishKeys;
    case ProbeKind::consumer_watch: return kWatchKeys;
  }
  return kRequestKeys;
}

struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string name;
  std::string path;
};

class ProbeReader {
 public:
  ProbeReader(std::string source, const std::map<std::string, std::string>& environment)
      : source_(std::move(source)), env_(environment) {}

  std::vector<ProbeConfig> read(const YAML::Node& node) {
    std::vector<ProbeConfig> out;
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsSequence()) {
      add(where(node), "probes", "expected a list of probes, got " + yaml_kind(node));
      return out;
    }
    std::map<std::string, std::size_t> names;
    std::size_t i = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++i) {
      const std::string path = "probes[" + std::to_string(i) + "]";
      const std::string item_where = it->IsNull() ? where(node) : where(*it);
      if (!it->IsMap()) {
        add(item_where, path, "expected a map with at least a name and a kind, got " + yaml_kind(*it));
        continue;
      }
      ProbeConfig probe;
      probe.origin = item_where;
      read_probe(*it, path, item_where, probe);
      if (!probe.name.empty()) {
        auto [pos, fresh] = names.emplace(probe.name, i);
        if (!fresh)
          add(item_where, path + ".name",
              "duplicate probe name " + quote(probe.name) + " (already used by probes[" + std::to_string(pos->second) +
                  "])");
      }
      out.push_back(std::move(probe));
    }
    return out;
  }

  // The `servers`, `connection` and (when `buckets_out` is given) `buckets` keys of one list item
  // of another section, read exactly as a probe's. Other keys are the caller's.
  void connection_keys(const YAML::Node& item, const std::string& path, std::vector<std::string>& servers_out,
                       ProbeConnectionConfig& connection_out, std::vector<double>* buckets_out) {
    ProbeConfig tmp;
    tmp.servers = servers_out;
    tmp.connection = connection_out;
    std::optional<Entry> servers_entry;
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (!it->first.IsScalar() || it->second.IsNull()) continue;
      const std::string name = it->first.Scalar();
      Entry e{it->first, it->second, name, path + "." + name};
      if (name == "connection") connection(e, tmp.connection);
      else if (name == "servers") servers_entry = e;
      else if (name == "buckets" && buckets_out) buckets(e, *buckets_out);
    }
    // After `connection`, so that credentials in a URL can be checked against the configured ones.
    if (servers_entry) servers(*servers_entry, tmp);
    servers_out = tmp.servers;
    connection_out = tmp.connection;
  }
  const std::vector<std::string>& problems() const { return problems_; }

  void throw_if_any() const {
    if (problems_.empty()) return;
    std::string all;
    for (const auto& p : problems_) all += (all.empty() ? "" : "\n") + p;
    throw ConfigError(all);
  }

 private:
  std::string where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return source_;
    return source_ + ":" + std::to_string(m.line + 1);
  }
  std::string where(const Entry& e) const {
    if (e.value.IsDefined() && !e.value.IsNull() && e.value.Mark().line >= 0) return where(e.value);
    return where(e.key);
  }
  void add(const std::string& at, const std::string& path, const std::string& problem) {
    problems_.push_back(at + ": " + path + ": " + problem);
  }
  void add(const Entry& e, const std::string& problem) { add(where(e), e.path, problem); }

  // Entries of a map, after checking unknown and duplicate keys. Null values are skipped.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path, const std::string& map_where,
                             const std::vector<std::string>& known, const std::string& unknown_hint = "") {
    std::vector<Entry> out;
    if (!map.IsMap()) {
      add(map_where, path, "expected a map, got " + yaml_kind(map));
      return out;
    }
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        add(where(it->first), path, "keys must be plain names, got " + yaml_kind(it->first));
        continue;
      }
      const std::string name = it->first.Scalar();
      const std::string p = path + "." + name;
      if (!seen.insert(name).second) {
        add(where(it->first), p, "duplicate key");
        continue;
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        add(where(it->first), p, "unknown key" + unknown_hint);
        continue;
      }
      if (it->second.IsNull()) continue;
      out.push_back(Entry{it->first, it->second, name, p});
    }
    return out;
  }
  std::vector<Entry> entries(const Entry& e, const std::vector<std::string>& known) {
    return entries(e.value, e.path, where(e), known);
  }

  bool scalar(const Entry& e, std::string& out, const char* expected = "a single value") {
    if (!e.value.IsScalar()) {
      add(e, std::string("expected ") + expected + ", got " + yaml_kind(e.value));
      return false;
    }
    out = e.value.Scalar();
    return true;
  }

  void duration(const Entry& e, milliseconds& out, milliseconds lo, milliseconds hi) {
    std::string text;
    if (!scalar(e, text, "a duration")) return;
    milliseconds d{};
    try {
      d = parse_duration(text);
    } catch (const std::invalid_argument& err) {
      add(e, quote(text) + " is not a valid duration: " + err.what());
      return;
    }
    if (d < lo || d > hi) {
      add(e, quote(text) + " is out of range (" + format_duration(lo) + ".." + format_duration(hi) + ")");
      return;
    }
    out = d;
  }

  bool boolean(const Entry& e, bool& out) {
    std::string text;
    if (!scalar(e, text, "true or false")) return false;
    const std::string t = lower(trim(text));
    if (t == "true" || t == "yes" || t == "on") out = true;
    else if (t == "false" || t == "no" || t == "off") out = false;
    else {
      add(e, "expected true or false, got " + quote(text));
      return false;
    }
    return true;
  }

  bool size(const Entry& e, std::size_t& out, std::size_t lo, std::size_t hi) {
    std::string text;
    if (!scalar(e, text, "a size")) return false;
    std::size_t v = 0;
    try {
      v = parse_size(text);
    } catch (const std::invalid_argument& err) {
      add(e, quote(text) + " is not a valid size: " + err.what());
      return false;
    }
    if (v < lo || v > hi) {
      add(e, quote(text) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + " bytes)");
      return false;
    }
    out = v;
    return true;
  }

  bool integer(const Entry& e, long long& out, long long lo, long long hi) {
    std::string text;
    if (!scalar(e, text, "a whole number")) return false;
    const std::string t = trim(text);
    long long v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
      add(e, "expected a whole number, got " + quote(text));
      return false;
    }
    if (v < lo || v > hi) {
      add(e, quote(text) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
      return false;
    }
    out = v;
    return true;
  }

  bool string_value(const Entry& e, std::string& out) { return scalar(e, out, "a string"); }

  // A secret from the YAML value, a file or an environment variable. The message never holds it.
  bool secret_from_file(const Entry& e, std::string& out) {
    std::string path;
    if (!string_value(e, path)) return false;
    try {
      out = read_secret_file(path);
    } catch (const std::exception& err) {
      add(e, err.what());
      return false;
    }
    return true;
  }
  bool secret_from_env(const Entry& e, std::string& out) {
    std::string var;
    if (!string_value(e, var)) return false;
    auto it = env_.find(var);
    if (var.empty() || it == env_.end()) {
      add(e, "environment variable " + quote(var) + " is not set");
      return false;
    }
    std::string value = it->second;
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    if (value.empty()) {
      add(e, "environment variable " + quote(var) + " is empty");
      return false;
    }
    out = value;
    return true;
  }

  void read_probe(const YAML::Node& node, const std::string& path, const std::string& item_where, ProbeConfig& p) {
    // The kind decides which keys are allowed, so it is read first.
    bool kind_ok = false;
    const YAML::Node kind_node = node["kind"];
    if (!kind_node.IsDefined() || kind_node.IsNull()) {
      add(item_where, path + ".kind", "is required (request, jetstream-publish or consumer-watch)");
    } else if (!kind_node.IsScalar()) {
      add(where(kind_node), path + ".kind", "expected request, jetstream-publish or consumer-watch, got " + yaml_kind(kind_node));
    } else {
      const std::string k = lower(trim(kind_node.Scalar()));
      kind_ok = true;
      if (k == "request") p.kind = ProbeKind::request;
      else if (k == "jetstream-publish") p.kind = ProbeKind::jetstream_publish;
      else if (k == "consumer-watch") p.kind = ProbeKind::consumer_watch;
      else {
        kind_ok = false;
        add(where(kind_node), path + ".kind",
            quote(kind_node.Scalar()) + " is not a probe kind (request, jetstream-publish, consumer-watch)");
      }
    }
    std::vector<std::string> known = kCommonKeys;
    std::vector<std::string> all = kCommonKeys;
    for (const auto* list : {&kRequestKeys, &kPublishKeys, &kWatchKeys})
      for (const auto& k : *list)
        if (std::find(all.begin(), all.end(), k) == all.end()) all.push_back(k);
    if (kind_ok) {
      const auto& extra = kind_keys(p.kind);
      known.insert(known.end(), extra.begin(), extra.end());
    } else {
      known = all;  // the kind is already reported; do not add a problem per key
    }
    // Keys that belong to another kind get a clearer message than "unknown key".
    bool subject_given = false, responder_enabled_given = false;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string name = it->first.Scalar();
      if (std::find(known.begin(), known.end(), name) == known.end() &&
          std::find(all.begin(), all.end(), name) != all.end())
        add(where(it->first), path + "." + name,
            std::string("is not used by kind ") + probe_kind_name(p.kind));
    }
    std::vector<std::string> accepted = known;
    for (const auto& k : all)
      if (std::find(accepted.begin(), accepted.end(), k) == accepted.end()) accepted.push_back(k);
    std::optional<Entry> servers_entry;
    bool name_seen = false;
    for (auto& e : entries(node, path, item_where, accepted)) {
      if (std::find(known.begin(), known.end(), e.name) == known.end()) continue;  // reported above
      if (e.name == "name") {
        name_seen = true;
        if (string_value(e, p.name) && trim(p.name).empty()) add(e, "must not be empty");
      } else if (e.name == "kind") {
        // read above
      } else if (e.name == "servers") {
        servers_entry = e;
      } else if (e.name == "connection") {
        connection(e, p.connection);
      } else if (e.name == "interval") {
        duration(e, p.interval, milliseconds(10), std::chrono::hours(1));
      } else if (e.name == "timeout") {
        duration(e, p.timeout, milliseconds(1), std::chrono::minutes(5));
      } else if (e.name == "subject") {
        if (string_value(e, p.subject)) {
          subject_given = true;
          if (auto why = subject_problem(p.subject)) add(e, *why);
        }
      } else if (e.name == "size") {
        size(e, p.size, 0, 64 * 1024 * 1024);
      } else if (e.name == "responder") {
        for (auto& f : entries(e, kResponderKeys)) {
          if (f.name == "enabled") {
            if (boolean(f, p.responder_enabled)) responder_enabled_given = true;
          } else if (string_value(f, p.responder_queue_group)) {
            const std::string& q = p.responder_queue_group;
            if (q.find_first_of(" \t\r\n.*>") != std::string::npos)
              add(f, quote(q) + " is not a valid queue group name (no spaces, dots or wildcards)");
          }
        }
      } else if (e.name == "pending_limits") {
        for (auto& f : entries(e, kPendingKeys)) {
          if (f.name == "messages") {
            long long v = 0;
            if (integer(f, v, 1, std::numeric_limits<int>::max())) p.pending_limit_messages = static_cast<int>(v);
          } else {
            std::size_t v = 0;
            if (size(f, v, 1, static_cast<std::size_t>(std::numeric_limits<int>::max())))
              p.pending_limit_bytes = static_cast<int>(v);
          }
        }
      } else if (e.name == "buckets") {
        buckets(e, p.buckets);
      } else if (e.name == "stream" || e.name == "consumer") {
        std::string& out = e.name == "stream" ? p.stream : p.consumer;
        if (string_value(e, out) && (out.empty() || out.find_first_of(" \t\r\n.*>") != std::string::npos))
          add(e, quote(out) + " is not a valid " + e.name + " name (no spaces, dots or wildcards)");
      } else if (e.name == "jetstream") {
        for (auto& f : entries(e, kJetStreamKeys)) {
          std::string& out = f.name == "domain" ? p.jetstream_domain : p.jetstream_api_prefix;
          string_value(f, out);
        }
        if (!p.jetstream_domain.empty() && !p.jetstream_api_prefix.empty())
          add(e, "set domain or api_prefix, not both");
      }
    }
    // After `connection`, so that credentials in a URL can be checked against the configured ones.
    if (servers_entry) servers(*servers_entry, p);
    // Per-kind requirements and defaults.
    if (!name_seen) add(item_where, path + ".name", "is required");
    if (!kind_ok) return;
    if (p.kind == ProbeKind::request) {
      if (!subject_given) {
        p.subject = "_nats_exporter.probe." + subject_token(host_name()) + "." + subject_token(p.name);
      } else if (!responder_enabled_given) {
        p.responder_enabled = false;  // a given subject is a real service's: never answer it ourselves
      }
    } else {
      p.responder_enabled = false;
    }
    if (p.kind == ProbeKind::jetstream_publish && !subject_given)
      add(item_where, path + ".subject", "is required for kind jetstream-publish (a subject a stream captures)");
    if (p.kind == ProbeKind::consumer_watch) {
      if (!node["stream"].IsDefined()) add(item_where, path + ".stream", "is required for kind consumer-watch");
      if (!node["consumer"].IsDefined()) add(item_where, path + ".consumer", "is required for kind consumer-watch");
    }
  }

  void servers(const Entry& e, ProbeConfig& p) {
    std::vector<std::pair<std::string, std::string>> urls;  // (url, where)
    if (e.value.IsScalar()) {
      urls.emplace_back(e.value.Scalar(), where(e));
    } else if (e.value.IsSequence()) {
      for (auto it = e.value.begin(); it != e.value.end(); ++it) {
        if (!it->IsScalar()) {
          add(where(e), e.path + "[" + std::to_string(urls.size()) + "]", "expected a URL, got " + yaml_kind(*it));
          return;
        }
        urls.emplace_back(it->Scalar(), where(*it));
      }
    } else {
      add(e, "expected a URL or a list of URLs, got " + yaml_kind(e.value));
      return;
    }
    if (urls.empty()) {
      add(e, "must name at least one server");
      return;
    }
    p.servers.clear();
    for (std::size_t i = 0; i < urls.size(); ++i) {
      std::string url = urls[i].first;
      const std::string up = e.value.IsSequence() ? e.path + "[" + std::to_string(i) + "]" : e.path;
      bool tls = false;
      if (auto why = nats_url_problem(url, tls)) {
        add(urls[i].second, up, *why);
        continue;
      }
      if (tls) p.connection.tls.enabled = true;
      std::string user, pass;
      if (take_url_credentials(url, user, pass)) {
        // nats://user:pass@host or nats://token@host: the credentials move out of the URL so that it
        // can be logged.
        ProbeAuthConfig& a = p.connection.auth;
        bool other = !a.token.empty() || !a.user_jwt.empty() || !a.nkey_seed.empty() ||
                     ((!a.user.empty() || !a.password.empty()) && (a.user != user || a.password != pass));
        if (other) {
          add(urls[i].second, up, "has credentials in it and the connection sets others; use one");
        } else if (pass.empty() && !user.empty()) {
          a.token = user;
        } else {
          a.user = user;
          a.password = pass;
        }
      }
      p.servers.push_back(url);
    }
  }

  void buckets(const Entry& e, std::vector<double>& out) {
    if (!e.value.IsSequence()) {
      add(e, "expected a list of durations (e.g. [100us, 1ms, 10ms]), got " + yaml_kind(e.value));
      return;
    }
    std::vector<double> list;
    std::size_t i = 0;
    for (auto it = e.value.begin(); it != e.value.end(); ++it, ++i) {
      const std::string bp = e.path + "[" + std::to_string(i) + "]";
      const std::string at = it->IsNull() ? where(e) : where(*it);
      if (!it->IsScalar()) {
        add(at, bp, "expected a duration, got " + yaml_kind(*it));
        return;
      }
      double v = 0;
      try {
        v = parse_seconds(it->Scalar());
      } catch (const std::invalid_argument& err) {
        add(at, bp, quote(it->Scalar()) + " is not a valid bucket bound: " + err.what());
        return;
      }
      if (!list.empty() && v <= list.back()) {
        add(at, bp, quote(it->Scalar()) + " must be greater than the bound before it (buckets are increasing)");
        return;
      }
      list.push_back(v);
    }
    if (list.empty()) {
      add(e, "must hold at least one bound");
      return;
    }
    out = list;
  }

  void connection(const Entry& section, ProbeConnectionConfig& c) {
    ProbeAuthConfig& a = c.auth;
    std::vector<std::string> methods;  // the auth methods given, to refuse mixing them
    std::optional<Entry> user_entry, password_entry;
    auto one_of = [&](const Entry& e, const std::string& method, int& count) {
      if (++count > 1) add(e, "give only one of " + method + ", " + method + "_file or " + method + "_env");
    };
    int password_count = 0, token_count = 0, creds_count = 0, nkey_count = 0;
    for (auto& e : entries(section, kConnectionKeys)) {
      if (e.name == "name") {
        string_value(e, c.name);
      } else if (e.name == "tls") {
        c.tls.enabled = true;
        for (auto& f : entries(e, kTlsKeys)) {
          if (f.name == "insecure_skip_verify") {
            boolean(f, c.tls.insecure_skip_verify);
            continue;
          }
          std::string file;
          if (!string_value(f, file)) continue;
          if (f.name == "ca_file") c.tls.ca_file = file;
          else if (f.name == "cert_file") c.tls.cert_file = file;
          else c.tls.key_file = file;
          if (::access(file.c_str(), R_OK) != 0)
            add(f, "cannot read " + quote(file) + ": " + std::strerror(errno));
        }
        if (c.tls.cert_file.empty() != c.tls.key_file.empty())
          add(e, "cert_file and key_file go together");
      } else if (e.name == "user") {
        if (string_value(e, a.user)) user_entry = e;
      } else if (e.name == "password" || e.name == "password_file" || e.name == "password_env") {
        one_of(e, "password", password_count);
        password_entry = e;
        if (e.name == "password") string_value(e, a.password);
        else if (e.name == "password_file") secret_from_file(e, a.password);
        else secret_from_env(e, a.password);
      } else if (e.name == "token" || e.name == "token_file" || e.name == "token_env") {
        one_of(e, "token", token_count);
        if (token_count == 1) methods.push_back("token");
        if (e.name == "token") string_value(e, a.token);
        else if (e.name == "token_file") secret_from_file(e, a.token);
        else secret_from_env(e, a.token);
      } else if (e.name == "creds_file" || e.name == "creds_env") {
        one_of(e, "creds", creds_count);
        if (creds_count == 1) methods.push_back("creds");
        std::string text;
        if (!(e.name == "creds_file" ? secret_from_file(e, text) : secret_from_env(e, text))) continue;
        try {
          parse_creds(text, a.user_jwt, a.nkey_seed);
          nkey_public_from_seed(a.nkey_seed);  // checks the seed
        } catch (const std::invalid_argument& err) {
          add(e, std::string("not a valid creds file: ") + err.what());
        }
      } else if (e.name == "nkey_seed_file" || e.name == "nkey_seed_env") {
        one_of(e, "nkey_seed", nkey_count);
        if (nkey_count == 1) methods.push_back("nkey");
        std::string seed;
        if (!(e.name == "nkey_seed_file" ? secret_from_file(e, seed) : secret_from_env(e, seed))) continue;
        seed = trim(seed);
        try {
          a.nkey_public = nkey_public_from_seed(seed);
          a.nkey_seed = seed;
        } catch (const std::invalid_argument& err) {
          add(e, std::string("not a valid nkey seed: ") + err.what());
        }
      } else if (e.name == "connect_timeout") {
        duration(e, c.connect_timeout, milliseconds(1), std::chrono::minutes(5));
      } else if (e.name == "reconnect_wait") {
        duration(e, c.reconnect_wait, milliseconds(0), std::chrono::hours(1));
      } else if (e.name == "reconnect_jitter") {
        duration(e, c.reconnect_jitter, milliseconds(0), std::chrono::hours(1));
      } else if (e.name == "reconnect_buffer_bytes") {
        size(e, c.reconnect_buffer_bytes, 0, static_cast<std::size_t>(std::numeric_limits<int>::max()));
      } else if (e.name == "ping_interval") {
        duration(e, c.ping_interval, milliseconds(100), std::chrono::hours(1));
      } else if (e.name == "max_pings_out") {
        long long v = 0;
        if (integer(e, v, 1, 1000)) c.max_pings_out = static_cast<int>(v);
      }
    }
    if (user_entry || password_entry) methods.push_back("user/password");
    if (password_entry && !user_entry) add(*password_entry, "is set without user");
    if (user_entry && !password_entry) add(*user_entry, "needs password, password_file or password_env");
    if (methods.size() > 1) {
      std::string list;
      for (const auto& m : methods) list += (list.empty() ? "" : ", ") + m;
      add(section, "more than one authentication method (" + list + "); use one");
    }
  }

  std::string source_;
  const std::map<std::string, std::string>& env_;
  std::vector<std::string> problems_;
};

// --- nkeys: RFC 4648 base32 without padding, CRC-16/XMODEM, Ed25519 ---

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::vector<unsigned char> base32_decode(const std::string& text) {
  std::vector<unsigned char> out;
  unsigned buffer = 0;
  int bits = 0;
  for (char ch : text) {
    const char* pos = std::strchr(kBase32, std::toupper(static_cast<unsigned char>(ch)));
    if (ch == '\0' || pos == nullptr) throw std::invalid_argument("not base32 text");
    buffer = (buffer << 5) | static_cast<unsigned>(pos - kBase32);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string base32_encode(const std::vector<unsigned char>& data) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::uint16_t crc16(const unsigned char* data, std::size_t n) {
  std::uint16_t crc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= static_cast<std::uint16_t>(data[i] << 8);
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021) : static_cast<std::uint16_t>(crc << 1);
  }
  return crc;
}

}  // namespace

const char* probe_kind_name(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::request: return "request";
    case ProbeKind::jetstream_publish: return "jetstream-publish";
    case ProbeKind::consumer_watch: return "consumer-watch";
  }
  return "request";
}

const std::vector<double>& default_probe_buckets() {
  static const std::vector<double> kBuckets = {25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
                                               25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0,  2.5,    5.0,  10.0};
  return kBuckets;
}

double parse_seconds(const std::string& text) {
  const std::string t = trim(text);
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.' || t[i] == 'e' || t[i] == 'E' ||
                          ((t[i] == '-' || t[i] == '+') && i > 0 && (t[i - 1] == 'e' || t[i - 1] == 'E'))))
    ++i;
  const std::string number = t.substr(0, i), unit = t.substr(i);
  if (number.empty()) throw std::invalid_argument("expected a duration such as 250us, 2.5ms or 1s");
  double v = 0;
  try {
    std::size_t used = 0;
    v = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument("bad number");
  } catch (const std::exception&) {
    throw std::invalid_argument("expected a duration such as 250us, 2.5ms or 1s");
  }
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"\xC2\xB5s", 1e-6}, {"\xCE\xBCs", 1e-6}, {"ns", 1e-9}, {"m", 60}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    double seconds = v * factor;
    if (!std::isfinite(seconds) || seconds <= 0) throw std::invalid_argument("must be greater than zero");
    return seconds;
  }
  throw std::invalid_argument("unknown unit " + quote(unit) + " (use ns, us, ms, s or m)");
}

std::string nkey_public_from_seed(const std::string& seed_text) {
  const std::string seed = trim(seed_text);
  std::vector<unsigned char> raw;
  try {
    raw = base32_decode(seed);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("the seed is not base32 text");
  }
  if (raw.size() != 36) throw std::invalid_argument("the seed has the wrong length");
  const std::uint16_t want = static_cast<std::uint16_t>(raw[34] | (raw[35] << 8));
  if (crc16(raw.data(), 34) != want) throw std::invalid_argument("the seed's checksum does not match");
  constexpr unsigned char kPrefixSeed = 18 << 3;
  if ((raw[0] & 0xf8) != kPrefixSeed) throw std::invalid_argument("not a seed (it must start with S)");
  const unsigned char prefix = static_cast<unsigned char>(((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data() + 2, 32), &EVP_PKEY_free);
  if (!key) throw std::invalid_argument("the seed is not an Ed25519 key");
  std::array<unsigned char, 32> pub{};
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size())
    throw std::invalid_argument("cannot derive the public key");
  std::vector<unsigned char> out;
  out.push_back(prefix);
  out.insert(out.end(), pub.begin(), pub.end());
  const std::uint16_t crc = crc16(out.data(), out.size());
  out.push_back(static_cast<unsigned char>(crc & 0xff));
  out.push_back(static_cast<unsigned char>(crc >> 8));
  std::fill(raw.begin(), raw.end(), 0);
  return base32_encode(out);
}

void parse_creds(const std::string& text, std::string& user_jwt, std::string& nkey_seed) {
  // Each part sits between a "-----BEGIN ...-----" line and a "------END ...------" line.
  auto block = [&](const std::string& begin_marker) -> std::string {
    std::size_t begin = text.find(begin_marker);
    if (begin == std::string::npos) return "";
    std::size_t line_end = text.find('\n', begin);
    if (line_end == std::string::npos) return "";
    std::size_t end = text.find("------END", line_end);
    if (end == std::string::npos) end = text.find("-----END", line_end);
    if (end == std::string::npos) return "";
    return trim(text.substr(line_end + 1, end - line_end - 1));
  };
  std::string jwt = block("-----BEGIN NATS USER JWT-----");
  std::string seed = block("-----BEGIN USER NKEY SEED-----");
  if (jwt.empty()) throw std::invalid_argument("no \"BEGIN NATS USER JWT\" block");
  if (seed.empty()) throw std::invalid_argument("no \"BEGIN USER NKEY SEED\" block");
  user_jwt = jwt;
  nkey_seed = seed;
}

std::vector<ProbeConfig> parse_probes(const YAML::Node& probes_node, const std::string& source,
                                      const std::map<std::string, std::string>& environment) {
  ProbeReader reader(source.empty() ? "<config>" : source, environment);
  std::vector<ProbeConfig> probes = reader.read(probes_node);
  reader.throw_if_any();
  return probes;
}

void parse_connection_keys(const YAML::Node& item, const std::string& path, const std::string& source,
                           const std::map<std::string, std::string>& environment, std::vector<std::string>& servers,
                           ProbeConnectionConfig& connection, std::vector<double>* buckets,
                           std::vector<std::string>& problems) {
  ProbeReader reader(source.empty() ? "<config>" : source, environment);
  if (item.IsMap()) reader.connection_keys(item, path, servers, connection, buckets);
  problems.insert(problems.end(), reader.problems().begin(), reader.problems().end());
}

std::vector<ProbeConfig> parse_probes(const YAML::Node& probes_node, const std::string& source) {
  return parse_probes(probes_node, source, process_environment());
}

}  // namespace natsexp
