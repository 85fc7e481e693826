// Parsing of the `probes:` list. See config/probe_config.h and docs/probe.md.
#include "config/probe_config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <stdexcept>

#include "base/address.h"
#include "base/duration.h"
#include "base/nkey_text.h"
#include "base/subject.h"
#include "base/text.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using std::chrono::milliseconds;
using strings::quote;
using strings::trim;

// A subject token made of the characters NATS allows in one token.
std::string subject_token(const std::string& s) {
  std::string out;
  for (char ch : s) out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
  return out.empty() ? "_" : out;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// nats:// or tls:// URL; returns a problem (with credentials removed from the shown URL) or "".
std::string nats_url_problem(const std::string& url, bool& tls_scheme) {
  const std::string shown = quote(redact_url(url));
  std::string why;
  auto u = split_url(url, &why);
  if ((!u && why == "is not a URL") || (u && u->scheme != "nats" && u->scheme != "tls"))
    return shown + " is not a nats:// or tls:// URL";
  if (!u) return shown + " " + why;
  tls_scheme = u->scheme == "tls";
  if (u->path.find_first_not_of('/') != std::string::npos) return shown + " must not have a path";
  return "";
}

const std::vector<std::string> kCommonKeys = {"name", "kind", "servers", "connection", "interval", "timeout"};
const std::vector<std::string> kRequestKeys = {"subject", "size", "responder", "buckets", "pending_limits"};
const std::vector<std::string> kPublishKeys = {"subject", "size", "buckets", "jetstream"};
const std::vector<std::string> kWatchKeys = {"stream", "consumer", "jetstream"};
const std::vector<std::string> kConnectionKeys = {"name",
                                                  "tls",
                                                  "user",
                                                  "password",
                                                  "password_file",
                                                  "password_env",
                                                  "token",
                                                  "token_file",
                                                  "token_env",
                                                  "creds_file",
                                                  "creds_env",
                                                  "nkey_seed_file",
                                                  "nkey_seed_env",
                                                  "connect_timeout",
                                                  "reconnect_wait",
                                                  "reconnect_jitter",
                                                  "reconnect_buffer_bytes",
                                                  "ping_interval",
                                                  "max_pings_out"};
const std::vector<std::string> kTlsKeys = {"ca_file", "cert_file", "key_file", "insecure_skip_verify"};
const std::vector<std::string> kResponderKeys = {"enabled", "queue_group"};
const std::vector<std::string> kPendingKeys = {"messages", "bytes"};
const std::vector<std::string> kJetStreamKeys = {"domain", "api_prefix"};
constexpr std::size_t kIntMax = static_cast<std::size_t>(std::numeric_limits<int>::max());

const std::vector<std::string>& kind_keys(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::request: return kRequestKeys;
    case ProbeKind::jetstream_publish: return kPublishKeys;
    case ProbeKind::consumer_watch: return kWatchKeys;
  }
  return kRequestKeys;
}

void read_servers(Reader& r, const Entry& e, std::vector<std::string>& servers, ProbeConnectionConfig& c) {
  std::vector<Entry> urls;
  if (e.value.IsScalar()) urls.push_back(e);
  else if (e.value.IsSequence()) urls = r.items(e, "a list of URLs");
  else return r.add(e, "expected a URL or a list of URLs, got " + yaml_kind(e.value));
  if (urls.empty()) return r.add(e, "must name at least one server");
  std::vector<std::string> out;
  for (const auto& item : urls) {
    std::string url;
    if (!r.scalar(item, url, "a URL")) return;
    bool tls = false;
    if (auto why = nats_url_problem(url, tls); !why.empty()) {
      r.add(item, why);
      continue;
    }
    if (tls) c.tls.enabled = true;
    std::string user, pass;
    if (take_url_credentials(url, user, pass)) {
      // nats://user:pass@host or nats://token@host: the credentials move out of the URL so that it
      // can be logged.
      ProbeAuthConfig& a = c.auth;
      const bool other = !a.token.empty() || !a.user_jwt.empty() || !a.nkey_seed.empty() ||
                         ((!a.user.empty() || !a.password.empty()) && (a.user != user || a.password != pass));
      if (other) r.add(item, "has credentials in it and the connection sets others; use one");
      else if (pass.empty() && !user.empty()) a.token = user;
      else a.user = user, a.password = pass;
    }
    out.push_back(url);
  }
  servers = out;
}

void read_buckets(Reader& r, const Entry& e, std::vector<double>& out) {
  std::vector<double> list;
  for (const auto& item : r.items(e, "a list of durations (e.g. [100us, 1ms, 10ms])")) {
    std::string text;
    if (!r.scalar(item, text, "a duration")) return;
    double v = 0;
    try {
      v = parse_seconds(text);
    } catch (const std::invalid_argument& err) {
      return r.add(item, quote(text) + " is not a valid bucket bound: " + err.what());
    }
    if (!list.empty() && v <= list.back())
      return r.add(item, quote(text) + " must be greater than the bound before it (buckets are increasing)");
    list.push_back(v);
  }
  if (!e.value.IsSequence()) return;
  if (list.empty()) return r.add(e, "must hold at least one bound");
  out = list;
}

void read_connection(Reader& r, const Entry& section, ProbeConnectionConfig& c) {
  ProbeAuthConfig& a = c.auth;
  std::vector<std::string> methods;  // the auth methods given, to refuse mixing them
  std::optional<Entry> user_entry, password_entry;
  std::map<std::string, int> given;  // method -> how many of method, method_file, method_env
  auto one_of = [&](const Entry& e, const std::string& method) {
    if (++given[method] > 1) r.add(e, "give only one of " + method + ", " + method + "_file or " + method + "_env");
    else if (method != "password") methods.push_back(method == "nkey_seed" ? "nkey" : method);
  };
  auto method_of = [](const std::string& name) {
    for (const char* m : {"password", "token", "creds", "nkey_seed"})
      if (name.rfind(m, 0) == 0) return std::string(m);
    return std::string();
  };
  for (auto& e : r.entries(section, kConnectionKeys)) {
    const std::string method = method_of(e.name);
    if (e.name == "name") {
      r.string(e, c.name);
    } else if (e.name == "tls") {
      c.tls.enabled = true;
      for (auto& f : r.entries(e, kTlsKeys)) {
        if (f.name == "insecure_skip_verify") r.boolean(f, c.tls.insecure_skip_verify);
        else r.file(f, f.name == "ca_file" ? c.tls.ca_file : f.name == "cert_file" ? c.tls.cert_file : c.tls.key_file);
      }
      if (c.tls.cert_file.empty() != c.tls.key_file.empty()) r.add(e, "cert_file and key_file go together");
    } else if (e.name == "user") {
      if (r.string(e, a.user)) user_entry = e;
    } else if (method == "password" || method == "token") {
      one_of(e, method);
      if (method == "password") password_entry = e;
      r.secret(e, method == "password" ? a.password : a.token);
    } else if (method == "creds" || method == "nkey_seed") {
      one_of(e, method);
      std::string text;
      if (!r.secret(e, text)) continue;
      try {
        if (method == "creds") {
          parse_creds(text, a.user_jwt, a.nkey_seed);
          decode_user_seed(a.nkey_seed);
        } else {
          decode_user_seed(text);
          a.nkey_seed = trim(text);
        }
      } catch (const std::invalid_argument& err) {
        r.add(e, std::string(method == "creds" ? "not a valid creds file: " : "not a valid nkey seed: ") + err.what());
      }
    } else if (e.name == "connect_timeout") {
      r.duration(e, c.connect_timeout, milliseconds(1), std::chrono::minutes(5));
    } else if (e.name == "reconnect_wait") {
      r.duration(e, c.reconnect_wait, milliseconds(0), std::chrono::hours(1));
    } else if (e.name == "reconnect_jitter") {
      r.duration(e, c.reconnect_jitter, milliseconds(0), std::chrono::hours(1));
    } else if (e.name == "reconnect_buffer_bytes") {
      r.size(e, c.reconnect_buffer_bytes, 0, kIntMax);
    } else if (e.name == "ping_interval") {
      r.duration(e, c.ping_interval, milliseconds(100), std::chrono::hours(1));
    } else if (e.name == "max_pings_out") {
      std::int64_t v = 0;
      if (r.integer(e, v, 1, 1000)) c.max_pings_out = static_cast<int>(v);
    }
  }
  if (user_entry || password_entry) methods.push_back("user/password");
  if (password_entry && !user_entry) r.add(*password_entry, "is set without user");
  if (user_entry && !password_entry) r.add(*user_entry, "needs password, password_file or password_env");
  if (methods.size() > 1)
    r.add(section, "more than one authentication method (" + strings::join(methods, ", ") + "); use one");
}

void read_probe(Reader& r, const YAML::Node& node, const std::string& path, const std::string& item_where,
                ProbeConfig& p) {
  // The kind decides which keys are allowed, so it is read first.
  bool kind_ok = false;
  const YAML::Node kind_node = node["kind"];
  if (!kind_node.IsDefined() || kind_node.IsNull()) {
    r.add(item_where, path + ".kind", "is required (request, jetstream-publish or consumer-watch)");
  } else if (!kind_node.IsScalar()) {
    r.add(r.where(kind_node), path + ".kind",
          "expected request, jetstream-publish or consumer-watch, got " + yaml_kind(kind_node));
  } else {
    const std::string k = strings::lower(trim(kind_node.Scalar()));
    kind_ok = true;
    if (k == "request") p.kind = ProbeKind::request;
    else if (k == "jetstream-publish") p.kind = ProbeKind::jetstream_publish;
    else if (k == "consumer-watch") p.kind = ProbeKind::consumer_watch;
    else {
      kind_ok = false;
      r.add(r.where(kind_node), path + ".kind",
            quote(kind_node.Scalar()) + " is not a probe kind (request, jetstream-publish, consumer-watch)" +
                strings::did_you_mean(k, {"request", "jetstream-publish", "consumer-watch"}));
    }
  }
  std::vector<std::string> all = kCommonKeys;
  for (const auto* list : {&kRequestKeys, &kPublishKeys, &kWatchKeys})
    for (const auto& k : *list)
      if (std::find(all.begin(), all.end(), k) == all.end()) all.push_back(k);
  std::vector<std::string> known = kCommonKeys;
  if (kind_ok) known.insert(known.end(), kind_keys(p.kind).begin(), kind_keys(p.kind).end());
  else known = all;  // the kind is already reported; do not add a problem per key
  bool subject_given = false, responder_enabled_given = false, name_seen = false;
  std::optional<Entry> servers_entry;
  for (auto& e : r.entries(node, path, item_where, all)) {
    if (std::find(known.begin(), known.end(), e.name) == known.end()) {
      // A key of another kind gets a clearer message than "unknown key".
      r.add(r.where(e.key), e.path, std::string("is not used by kind ") + probe_kind_name(p.kind));
    } else if (e.name == "name") {
      name_seen = true;
      if (r.string(e, p.name) && trim(p.name).empty()) r.add(e, "must not be empty");
    } else if (e.name == "servers") {
      servers_entry = e;
    } else if (e.name == "connection") {
      read_connection(r, e, p.connection);
    } else if (e.name == "interval") {
      r.duration(e, p.interval, milliseconds(10), std::chrono::hours(1));
    } else if (e.name == "timeout") {
      r.duration(e, p.timeout, milliseconds(1), std::chrono::minutes(5));
    } else if (e.name == "subject") {
      if (!r.string(e, p.subject)) continue;
      subject_given = true;
      if (auto why = subject_problem(p.subject, false); !why.empty()) r.add(e, why);
    } else if (e.name == "size") {
      r.size(e, p.size, 0, 64 * 1024 * 1024);
    } else if (e.name == "responder") {
      for (auto& f : r.entries(e, kResponderKeys)) {
        if (f.name == "enabled") {
          responder_enabled_given = r.boolean(f, p.responder_enabled) || responder_enabled_given;
        } else if (r.string(f, p.responder_queue_group) &&
                   p.responder_queue_group.find_first_of(" \t\r\n.*>") != std::string::npos) {
          r.add(f, quote(p.responder_queue_group) + " is not a valid queue group name (no spaces, dots or wildcards)");
        }
      }
    } else if (e.name == "pending_limits") {
      for (auto& f : r.entries(e, kPendingKeys)) {
        std::size_t v = 0;
        if (f.name == "messages" ? r.count(f, v, 1, kIntMax) : r.size(f, v, 1, kIntMax))
          (f.name == "messages" ? p.pending_limit_messages : p.pending_limit_bytes) = static_cast<int>(v);
      }
    } else if (e.name == "buckets") {
      read_buckets(r, e, p.buckets);
    } else if (e.name == "stream" || e.name == "consumer") {
      std::string& out = e.name == "stream" ? p.stream : p.consumer;
      if (r.string(e, out) && (out.empty() || out.find_first_of(" \t\r\n.*>") != std::string::npos))
        r.add(e, quote(out) + " is not a valid " + e.name + " name (no spaces, dots or wildcards)");
    } else if (e.name == "jetstream") {
      for (auto& f : r.entries(e, kJetStreamKeys))
        r.string(f, f.name == "domain" ? p.jetstream_domain : p.jetstream_api_prefix);
      if (!p.jetstream_domain.empty() && !p.jetstream_api_prefix.empty())
        r.add(e, "set domain or api_prefix, not both");
    }
  }
  // After `connection`, so that credentials in a URL can be checked against the configured ones.
  if (servers_entry) read_servers(r, *servers_entry, p.servers, p.connection);
  // Per-kind requirements and defaults.
  if (!name_seen) r.add(item_where, path + ".name", "is required");
  if (!kind_ok) return;
  if (p.kind == ProbeKind::request) {
    if (!subject_given) p.subject = "_nats_exporter.probe." + subject_token(host_name()) + "." + subject_token(p.name);
    else if (!responder_enabled_given) p.responder_enabled = false;  // a real service's subject: never answer it
  } else {
    p.responder_enabled = false;
  }
  if (p.kind == ProbeKind::jetstream_publish && !subject_given)
    r.add(item_where, path + ".subject", "is required for kind jetstream-publish (a subject a stream captures)");
  if (p.kind == ProbeKind::consumer_watch)
    for (const char* key : {"stream", "consumer"})
      if (!node[key].IsDefined()) r.add(item_where, path + "." + key, "is required for kind consumer-watch");
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

std::vector<ProbeConfig> read_probes(Reader& r, const YAML::Node& node) {
  std::vector<ProbeConfig> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) {
    r.add(r.where(node), "probes", "expected a list of probes, got " + yaml_kind(node));
    return out;
  }
  std::map<std::string, std::size_t> names;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    const std::string path = "probes[" + std::to_string(i) + "]";
    const std::string item_where = it->IsNull() ? r.where(node) : r.where(*it);
    if (!it->IsMap()) {
      r.add(item_where, path, "expected a map with at least a name and a kind, got " + yaml_kind(*it));
      continue;
    }
    ProbeConfig probe;
    probe.origin = item_where;
    read_probe(r, *it, path, item_where, probe);
    if (!probe.name.empty()) {
      auto [pos, fresh] = names.emplace(probe.name, i);
      if (!fresh)
        r.add(item_where, path + ".name",
              "duplicate probe name " + quote(probe.name) + " (already used by probes[" + std::to_string(pos->second) +
                  "])");
    }
    out.push_back(std::move(probe));
  }
  return out;
}

void read_connection_keys(Reader& r, const YAML::Node& item, const std::string& path, std::vector<std::string>& servers,
                          ProbeConnectionConfig& connection, std::vector<double>* buckets) {
  if (!item.IsMap()) return;
  std::optional<Entry> servers_entry;
  for (auto it = item.begin(); it != item.end(); ++it) {
    if (!it->first.IsScalar() || it->second.IsNull()) continue;
    const std::string name = it->first.Scalar();
    Entry e{it->first, it->second, name, path + "." + name};
    if (name == "connection") read_connection(r, e, connection);
    else if (name == "servers") servers_entry = e;
    else if (name == "buckets" && buckets) read_buckets(r, e, *buckets);
  }
  // After `connection`, so that credentials in a URL can be checked against the configured ones.
  if (servers_entry) read_servers(r, *servers_entry, servers, connection);
}

std::vector<ProbeConfig> parse_probes(const YAML::Node& probes_node, const std::string& source,
                                      const std::map<std::string, std::string>& environment) {
  Reader r(source, &environment);
  auto probes = read_probes(r, probes_node);
  r.throw_if_any();
  return probes;
}

std::vector<ProbeConfig> parse_probes(const YAML::Node& probes_node, const std::string& source) {
  const auto environment = process_environment();
  return parse_probes(probes_node, source, environment);
}

}  // namespace natsexp
