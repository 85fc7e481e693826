// Parsing of the `probes:` list. See config/probe_config.h and docs/probe.md.
#include "config/probe_config.h"

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>
#include <tuple>

#include "base/address.h"
#include "base/nkey_text.h"
#include "base/subject.h"
#include "base/text.h"
#include "base/tls_identity.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using strings::quote;
using strings::trim;

const ItemKinds kKinds = {{"request", "jetstream-publish", "consumer-watch"},
                          {{"subject", "size", "responder", "buckets", "pending_limits"},
                           {"subject", "size", "buckets", "jetstream"},
                           {"stream", "consumer", "jetstream"}},
                          "a probe kind"};
constexpr double kIntMax = std::numeric_limits<int>::max();
constexpr double kMinute = 60 * 1000.0, kHour = 60 * kMinute;
using T = RowType;
constexpr char kStream[] = "stream", kConsumer[] = "consumer", kQueueGroup[] = "queue group";

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
    std::string why;
    auto u = split_url(url, &why, {"nats", "tls"});
    if (u && u->path.find_first_not_of('/') != std::string::npos) u.reset(), why = "must not have a path";
    if (!u) {
      r.add(item, quote(redact_url(url)) + " " + why);
      continue;
    }
    if (u->scheme == "tls") c.tls.enabled = true;
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

// A creds file (creds_file, creds_env) or an nkey seed (nkey_seed_file, nkey_seed_env).
void read_user_key(Reader& r, const Entry& e, ProbeConnectionConfig& c) {
  ProbeAuthConfig& a = c.auth;
  const bool creds = e.name.rfind("creds", 0) == 0;
  std::string text;
  if (!r.secret(e, text)) return;
  try {
    if (creds) {
      parse_creds(text, a.user_jwt, a.nkey_seed);
      decode_user_seed(a.nkey_seed);
    } else {
      decode_user_seed(text);
      a.nkey_seed = trim(text);
    }
  } catch (const std::invalid_argument& err) {
    r.add(e, std::string(creds ? "not a valid creds file: " : "not a valid nkey seed: ") + err.what());
  }
}

const std::vector<Row<ProbeTlsConfig>> kTlsRows = {
    row<ProbeTlsConfig>("ca_file", T::file, NATSEXP_FIELD(ca_file)),
    row<ProbeTlsConfig>("cert_file", T::file, NATSEXP_FIELD(cert_file)),
    checked_row<ProbeTlsConfig>("key_file", T::file, NATSEXP_FIELD(key_file), encrypted_key_problem),
    row<ProbeTlsConfig>("insecure_skip_verify", T::boolean, NATSEXP_FIELD(insecure_skip_verify)),
};

using C = ProbeConnectionConfig;
void read_tls(Reader& r, const Entry& e, C& c) {
  c.tls.enabled = true;
  read_rows(r, r.entries(e, keys_of(kTlsRows)), kTlsRows, c.tls);
  if (c.tls.cert_file.empty() != c.tls.key_file.empty()) r.add(e, "cert_file and key_file go together");
}

const std::vector<Row<C>> kConnectionRows = {
    row<C>("name", T::text, NATSEXP_FIELD(name)),
    row<C>("tls", T::custom, read_tls),
    row<C>("user", T::text, NATSEXP_FIELD(auth.user)),
    row<C>("password", T::secret, NATSEXP_FIELD(auth.password)),
    row<C>("password_file", T::secret, NATSEXP_FIELD(auth.password)),
    row<C>("password_env", T::secret, NATSEXP_FIELD(auth.password)),
    row<C>("token", T::secret, NATSEXP_FIELD(auth.token)),
    row<C>("token_file", T::secret, NATSEXP_FIELD(auth.token)),
    row<C>("token_env", T::secret, NATSEXP_FIELD(auth.token)),
    row<C>("creds_file", T::secret, read_user_key),
    row<C>("creds_env", T::secret, read_user_key),
    row<C>("nkey_seed_file", T::secret, read_user_key),
    row<C>("nkey_seed_env", T::secret, read_user_key),
    row<C>("connect_timeout", T::duration, NATSEXP_FIELD(connect_timeout), 1, 5 * kMinute),
    row<C>("reconnect_wait", T::duration, NATSEXP_FIELD(reconnect_wait), 0, kHour),
    row<C>("reconnect_jitter", T::duration, NATSEXP_FIELD(reconnect_jitter), 0, kHour),
    row<C>("reconnect_buffer_bytes", T::size, NATSEXP_FIELD(reconnect_buffer_bytes), 0, kIntMax),
    row<C>("ping_interval", T::duration, NATSEXP_FIELD(ping_interval), 100, kHour),
    row<C>("max_pings_out", T::count, NATSEXP_FIELD(max_pings_out), 1, 1000),
};

// The connection's cross-field rule: one authentication method (each given one way: read_rows).
void check_auth(Reader& r, const Entry& section, const std::vector<Entry>& entries) {
  std::set<std::string> methods;  // the auth methods given, to refuse mixing them
  const Entry *user = nullptr, *password = nullptr;
  for (const auto& e : entries) {
    const std::string m = secret_stem(e.name);
    if (m == "user") user = &e;
    else if (m == "password") password = &e;
    else if (m == "token" || m == "creds" || m == "nkey_seed") methods.insert(m == "nkey_seed" ? "nkey" : m);
  }
  if (user || password) methods.insert("user/password");  // sorts last
  if (password && !user) r.add(*password, "is set without user");
  if (user && !password) r.add(*user, "needs password, password_file or password_env");
  if (methods.size() > 1)
    r.add(section, "more than one authentication method (" + strings::join({methods.begin(), methods.end()}, ", ") +
                       "); use one");
}

void read_connection(Reader& r, const Entry& section, C& c) {
  const auto entries = r.entries(section, keys_of(kConnectionRows));
  read_rows(r, entries, kConnectionRows, c);
  check_auth(r, section, entries);
}

// A nested map read by its own rows.
template <typename S, const std::vector<Row<S>>& rows>
void read_section(Reader& r, const Entry& e, S& s) {
  read_rows(r, r.entries(e, keys_of(rows)), rows, s);
}

// A queue group (empty: none), stream or consumer name: one subject token, without wildcards.
template <const char* what>
std::string name_token_problem(const std::string& n) {
  return (n.empty() && what != kQueueGroup) || n.find_first_of(" \t\r\n.*>") != std::string::npos
             ? quote(n) + " is not a valid " + what + " name (no spaces, dots or wildcards)"
             : "";
}

using P = ProbeConfig;
const std::vector<Row<P>> kResponderRows = {
    row<P>("enabled", T::boolean, NATSEXP_FIELD(responder_enabled)),
    checked_row<P>("queue_group", T::text, NATSEXP_FIELD(responder_queue_group), name_token_problem<kQueueGroup>),
};
const std::vector<Row<P>> kPendingRows = {
    row<P>("messages", T::count, NATSEXP_FIELD(pending_limit_messages), 1, kIntMax),
    row<P>("bytes", T::size, NATSEXP_FIELD(pending_limit_bytes), 1, kIntMax),
};
const std::vector<Row<P>> kJetStreamRows = {
    row<P>("domain", T::text, NATSEXP_FIELD(jetstream_domain)),
    row<P>("api_prefix", T::text, NATSEXP_FIELD(jetstream_api_prefix)),
};

const std::vector<Row<P>> kProbeRows = {
    checked_row<P>("name", T::text, NATSEXP_FIELD(name), blank_problem),
    row<P>("interval", T::duration, NATSEXP_FIELD(interval), 10, kHour),
    row<P>("timeout", T::duration, NATSEXP_FIELD(timeout), 1, 5 * kMinute),
    checked_row<P>("subject", T::text, NATSEXP_FIELD(subject),
                   [](const std::string& s) { return subject_problem(s, false); }),
    row<P>("size", T::size, NATSEXP_FIELD(size), 0, 64 * 1024 * 1024),
    row<P>("responder", T::custom, read_section<P, kResponderRows>),
    row<P>("pending_limits", T::custom, read_section<P, kPendingRows>),
    row<P>("buckets", T::custom, [](Reader& r, const Entry& e, P& p) { read_buckets(r, e, p.buckets); }),
    checked_row<P>("stream", T::text, NATSEXP_FIELD(stream), name_token_problem<kStream>),
    checked_row<P>("consumer", T::text, NATSEXP_FIELD(consumer), name_token_problem<kConsumer>),
    row<P>("jetstream", T::custom,
           [](Reader& r, const Entry& e, P& p) {
             read_rows(r, r.entries(e, keys_of(kJetStreamRows)), kJetStreamRows, p);
             if (!p.jetstream_domain.empty() && !p.jetstream_api_prefix.empty())
               r.add(e, "set domain or api_prefix, not both");
           }),
};

void read_probe(Reader& r, const YAML::Node& node, const std::string& path, const std::string& item_where, P& p) {
  std::optional<std::size_t> kind;
  const auto entries = read_kind_item(r, node, path, item_where, keys_of(kProbeRows), kKinds, kind, p);
  if (kind) p.kind = static_cast<ProbeKind>(*kind);
  read_rows(r, entries, kProbeRows, p);
  if (!kind) return;
  // Per-kind requirements. The request probe's own subject (none given) is the probe's to pick.
  const bool subject_given = given(node, "subject") && !p.subject.empty();
  if (p.kind == ProbeKind::request && subject_given &&
      (!given(node, "responder") || !node["responder"].IsMap() || !given(node["responder"], "enabled")))
    p.responder_enabled = false;  // a real service's subject: never answer it
  if (p.kind != ProbeKind::request) p.responder_enabled = false;
  if (p.kind == ProbeKind::jetstream_publish && !subject_given)
    r.add(item_where, path + ".subject", "is required for kind jetstream-publish (a subject a stream captures)");
  if (p.kind == ProbeKind::consumer_watch)
    for (const char* key : {"stream", "consumer"})
      if (!node[key].IsDefined()) r.add(item_where, path + "." + key, "is required for kind consumer-watch");
}

}  // namespace

const char* probe_kind_name(ProbeKind kind) { return kKinds.names.at(static_cast<std::size_t>(kind)).c_str(); }

const std::vector<double>& default_probe_buckets() {
  static const std::vector<double> kBuckets = {25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
                                               25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0,  2.5,    5.0,  10.0};
  return kBuckets;
}

void read_buckets(Reader& r, const Entry& e, std::vector<double>& out) {
  std::vector<double> list;
  for (const auto& item : r.items(e, "a list of durations (e.g. [100us, 1ms, 10ms])")) {
    double v = 0;
    if (!r.seconds(item, v, std::numeric_limits<double>::max())) return;
    if (!list.empty() && v <= list.back())
      return r.add(item,
                   quote(item.value.Scalar()) + " must be greater than the bound before it (buckets are increasing)");
    list.push_back(v);
  }
  if (!e.value.IsSequence()) return;
  if (list.empty()) return r.add(e, "must hold at least one bound");
  out = list;
}

std::vector<ProbeConfig> read_probes(Reader& r, const YAML::Node& node) {
  return read_named_list(r, node, "probes", "probe", ProbeConfig{}, read_probe);
}

void read_servers_and_connection(Reader& r, const std::vector<Entry>& entries, NatsClientConfig& client) {
  for (const auto& e : entries)
    if (e.name == "connection") read_connection(r, e, client.connection);
  // After `connection`, so that credentials in a URL can be checked against the configured ones.
  for (const auto& e : entries)
    if (e.name == "servers") read_servers(r, e, client.servers, client.connection);
}

std::vector<Entry> read_kind_item(Reader& r, const YAML::Node& node, const std::string& path, const std::string& at,
                                  const std::vector<std::string>& keys, const ItemKinds& kinds,
                                  std::optional<std::size_t>& kind, NatsClientConfig& client) {
  // The kind first: it decides the other keys.
  if (const YAML::Node k = node["kind"]; given(node, "kind"))
    kind = r.choice(Entry{k, k, "kind", path + ".kind", ""}, kinds.names, kinds.what);
  else r.add(at, path + ".kind", "is required (" + strings::join(kinds.names, ", ", " or ") + ")");
  std::vector<std::string> known = {"kind", "servers", "connection"};
  known.insert(known.end(), keys.begin(), keys.end());
  const auto uses = [](const std::vector<std::string>& own, const std::string& key) {
    return std::find(own.begin(), own.end(), key) != own.end();
  };
  std::vector<Entry> entries;
  for (auto& e : r.entries(node, path, at, known)) {
    // A key of another kind gets a clearer message than "unknown key".
    const bool of_some_kinds =
        std::any_of(kinds.keys.begin(), kinds.keys.end(), [&](auto& own) { return uses(own, e.name); });
    if (kind && of_some_kinds && !uses(kinds.keys[*kind], e.name))
      r.add(r.where(e.key), e.path, "is not used by kind " + kinds.names[*kind]);
    else entries.push_back(e);
  }
  if (!given(node, "name")) r.add(at, path + ".name", "is required");
  read_servers_and_connection(r, entries, client);
  return entries;
}

bool same_connection_config(const ProbeConnectionConfig& a, const ProbeConnectionConfig& b) {
  const auto tie = [](const ProbeConnectionConfig& c) {
    return std::tie(c.name, c.tls.enabled, c.tls.ca_file, c.tls.cert_file, c.tls.key_file, c.tls.insecure_skip_verify,
                    c.auth.user, c.auth.password, c.auth.token, c.auth.user_jwt, c.auth.nkey_seed, c.connect_timeout,
                    c.reconnect_wait, c.reconnect_jitter, c.reconnect_buffer_bytes, c.ping_interval, c.max_pings_out);
  };
  return tie(a) == tie(b);
}

}  // namespace natsexp
