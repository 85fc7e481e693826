// YAML loading and validation of the configuration. See config/load.h.
//
// Two stages. The loaders (YAML file here, flags and environment in command_line.cpp) check the
// shape and syntax of each value and record where it came from in Config::origins. validate_config
// then checks the meaning of the final, merged config, using the origins to name the file and line
// (or the flag, or the variable) of each problem, and returns it normalised. Secrets are never
// quoted in a message.
#include "config/load.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "base/text.h"
#include "base/tls_identity.h"

namespace natsexp {

namespace {

using strings::did_you_mean;
using strings::quote;

using T = RowType;
using TC = TargetConfig;

// A list of collector names (validate_config checks them), for the file's list or a target's own.
template <typename S>
void read_collectors(Reader& r, const Entry& e, S& s) {
  std::vector<std::string> list;
  bool ok = e.value.IsSequence();
  for (auto& item : r.items(e, "a list")) ok = r.scalar(item, list.emplace_back(), "a name") && ok;
  if (ok) s.collectors = list;
}

// The URL; user:pass@ in it moves to basic auth, so that the URL can be logged.
void read_url(Reader& r, const Entry& e, TC& t) {
  if (!r.string(e, t.url) || !take_url_credentials(t.url, t.username, t.password)) return;
  const std::string target = e.path.substr(0, e.path.rfind('.'));
  r.set_origin(target + ".basic_auth.username", r.where(e));
  r.set_origin(target + ".basic_auth.password", r.where(e));
}

void read_labels(Reader& r, const Entry& e, TC& t) {
  if (!e.value.IsMap()) return r.add(e, "expected a map of label names to values, got " + yaml_kind(e.value));
  for (auto l = e.value.begin(); l != e.value.end(); ++l)
    if (l->first.IsScalar() && l->second.IsNull()) t.labels[l->first.Scalar()] = "";
  for (auto& l : r.entries(e, {})) {  // any name: validate_config checks them
    std::string value;
    if (r.scalar(l, value, "a label value")) t.labels[l.name] = value;
  }
}

// A row of a target that a --nats.* flag also sets (on every target without its own, see
// parse_command_line).
Row<TC> flag_row(const char* flag, Row<TC> r) {
  r.flag = flag;
  return r;
}

void read_target(Reader& r, const Entry& item, TC& t) {
  if (!item.value.IsMap()) return r.add(item, "expected a map with at least a url, got " + yaml_kind(item.value));
  read_rows(r, r.entries(item, keys_of(target_rows())), target_rows(), t);
  // Credentials in the URL or in basic_auth, not both.
  const YAML::Node& v = item.value;
  std::string url = given(v, "url") && v["url"].IsScalar() ? v["url"].Scalar() : "", user, password;
  if (given(v, "basic_auth") && take_url_credentials(url, user, password))
    r.add(r.where(v["url"]), item.path + ".url", "has user:password in it and basic_auth is set too; use one of them");
}

// The sections of the file beside the settings rows, each read by its own code.
const std::vector<Row<Config>> kSections = {
    row<Config>("collectors", T::custom, read_collectors<Config>),
    row<Config>("targets", T::custom,
                [](Reader& r, const Entry& e, Config& c) {
                  for (auto& item : r.items(e, "a list of targets")) read_target(r, item, c.targets.emplace_back());
                }),
    row<Config>("probes", T::custom, [](Reader& r, const Entry& e, Config& c) { c.probes = read_probes(r, e.value); }),
    row<Config>("observations", T::custom,
                [](Reader& r, const Entry& e, Config& c) { c.observations = read_observations(r, e.value); }),
    row<Config>("system_account", T::custom,
                [](Reader& r, const Entry& e, Config& c) { c.system_account = read_system_account(r, e.value); }),
    // Before the settings: the doctor's section holds doctor.interval too.
    row<Config>("doctor", T::custom, [](Reader& r, const Entry& e, Config& c) { c.doctor = read_doctor(r, e.value); }),
};

bool valid_label_name(const std::string& n) { return std::regex_match(n, std::regex("[a-zA-Z_][a-zA-Z0-9_]*")); }

// An http(s) URL of a monitoring port, normalised (no credentials, no trailing slash); or a problem.
std::optional<std::string> monitoring_url_problem(const std::string& url, Url& u) {
  std::string why;
  auto parsed = split_url(url, &why, {"http", "https"});
  const auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
  if (parsed && parsed->path.find_first_of("?#") != std::string::npos) why = "must not have a query or fragment";
  else if (parsed && std::any_of(parsed->path.begin(), parsed->path.end(), space)) why = "has an invalid path";
  else if (parsed) {
    u = *parsed;
    while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
    return std::nullopt;
  }
  return quote(redact_url(url)) + " " + why;
}

}  // namespace

const std::vector<Row<TargetConfig>>& target_rows() {
  static const std::vector<Row<TC>> rows = {
      row<TC>("name", T::text, NATSEXP_FIELD(name)),
      row<TC>("url", T::custom, read_url),
      row<TC>("labels", T::custom, read_labels),
      row<TC>("collectors", T::custom, read_collectors<TC>),
      flag_row("nats.ca-file", row<TC>("tls.ca_file", T::file, NATSEXP_FIELD(tls.ca_file))),
      flag_row("nats.cert-file", row<TC>("tls.cert_file", T::file, NATSEXP_FIELD(tls.cert_file))),
      // The client libraries would ask for an encrypted key's passphrase on the terminal.
      flag_row("nats.key-file",
               checked_row<TC>("tls.key_file", T::file, NATSEXP_FIELD(tls.key_file), encrypted_key_problem)),
      flag_row("nats.insecure-skip-verify",
               row<TC>("tls.insecure_skip_verify", T::boolean, NATSEXP_FIELD(tls.insecure_skip_verify))),
      flag_row("nats.user", row<TC>("basic_auth.username", T::text, NATSEXP_FIELD(username))),
      flag_row("nats.password", row<TC>("basic_auth.password", T::secret, NATSEXP_FIELD(password))),
      flag_row("nats.password-file", row<TC>("basic_auth.password_file", T::secret, NATSEXP_FIELD(password))),
      flag_row("nats.token", row<TC>("bearer_token", T::secret, NATSEXP_FIELD(bearer_token))),
      flag_row("nats.token-file", row<TC>("bearer_token_file", T::secret, NATSEXP_FIELD(bearer_token))),
  };
  return rows;
}

Config load_config_yaml(const std::string& yaml_text, const std::string& source) {
  Config config;
  config.source = source;
  const YAML::Node root = parse_yaml(yaml_text, source.empty() ? "<config>" : source);
  const auto environment = process_environment();
  Reader r(source, &environment, &config.origins);
  static const std::vector<Row<Config>> rows = [] {
    std::vector<Row<Config>> all = kSections;
    for (const auto& s : settings()) all.push_back(s);
    return all;
  }();
  try {
    if (!root.IsNull() && !root.IsMap())
      r.add(r.where(root), "", "the top level must be a map of settings, got " + yaml_kind(root));
    else if (!root.IsNull()) read_rows(r, r.entries(root, "", r.where(root), keys_of(rows)), rows, config);
  } catch (const YAML::Exception& e) {  // a node read the wrong way: kept beside the problems found before it
    r.add(e.mark.line >= 0 ? r.source() + ":" + std::to_string(e.mark.line + 1) : r.source(), "",
          "invalid YAML: " + e.msg);
  }
  r.throw_if_any();
  return config;
}

Config load_config_file(const std::string& path) {
  std::string text, problem;
  if (!read_file(path, text, problem)) throw ConfigError(path + ": cannot read: " + problem);
  return load_config_yaml(text, path);
}

Config validate_config(const Config& in, const CollectorCatalog& catalog) {
  Config c = in;
  std::vector<std::string> problems;
  auto add = [&](const std::string& path, const std::string& problem) {
    problems.push_back(origin_of(c, path) + ": " + path + ": " + problem);
  };
  auto check_collectors = [&](const std::vector<std::string>& list, const std::string& path) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      if (std::find(catalog.known.begin(), catalog.known.end(), list[i]) == catalog.known.end()) {
        const std::string hint = did_you_mean(list[i], catalog.known);
        add(item, "unknown collector " + quote(list[i]) +
                      (hint.empty() ? " (known: " + strings::join(catalog.known, ", ") + ")" : hint));
      } else if (!seen.insert(list[i]).second) {
        add(item, "collector " + quote(list[i]) + " is listed twice");
      }
    }
  };

  if (c.scrape_timeout_offset >= c.scrape_timeout)
    add("scrape.timeout_offset", quote(format_duration(c.scrape_timeout_offset)) +
                                     " must be shorter than scrape.timeout (" + format_duration(c.scrape_timeout) +
                                     ")");
  if (c.collectors.empty() && !c.origins.count("collectors")) c.collectors = catalog.defaults;
  check_collectors(c.collectors, "collectors");

  // A probes-only exporter is valid: consumer-watch exists for where no monitoring port is reachable.
  if (c.targets.empty() && c.probes.empty() && c.observations.empty() && !c.system_account.enabled)
    add("targets", "no target and no probe configured (add targets or probes to the config file, or use --nats.url)");
  std::map<std::string, std::size_t> names;
  static const std::set<std::string> kReserved = {"server", "server_name", "cluster", "collector"};
  for (std::size_t i = 0; i < c.targets.size(); ++i) {
    TargetConfig& t = c.targets[i];
    const std::string tp = "targets[" + std::to_string(i) + "]";
    Url u;
    if (t.url.empty()) {
      add(tp + ".url", "is required (e.g. http://127.0.0.1:8222)");
    } else if (auto why = monitoring_url_problem(t.url, u)) {
      add(tp + ".url", *why);
    } else {
      std::string user, pass;  // for a config built in code: the readers take credentials out of the URL
      if (take_url_credentials(t.url, user, pass) && !(t.username + t.password + t.bearer_token).empty())
        add(tp + ".url", "has user:password in it and other credentials are set too; use one");
      else if (!user.empty() || !pass.empty()) t.username = user, t.password = pass;
      const HostPort& a = u.authority;
      t.url = u.scheme + "://" + a.host + (a.port.empty() ? "" : ":" + a.port) + u.path;
      if (t.name.empty()) t.name = a.host + ":" + port_or_default(u);
    }
    if (auto [pos, fresh] = names.emplace(t.name, i); !t.name.empty() && !fresh)
      add(tp + ".name", "duplicate target name " + quote(t.name) + " (already used by targets[" +
                            std::to_string(pos->second) + "]; set a unique name)");
    for (const auto& [label, value] : t.labels) {
      const std::string lp = tp + ".labels." + label;
      if (!valid_label_name(label))
        add(lp, "label name " + quote(label) + " is not valid (must match [a-zA-Z_][a-zA-Z0-9_]*)");
      else if (label.rfind("__", 0) == 0) add(lp, "label name " + quote(label) + " is reserved (starts with __)");
      else if (kReserved.count(label))
        add(lp, "label name " + quote(label) + " is reserved for the exporter's own labels");
    }
    if (t.collectors) check_collectors(*t.collectors, tp + ".collectors");
    if (const bool cert = !t.tls.cert_file.empty(); cert == t.tls.key_file.empty())
      add(tp + ".tls." + (cert ? "cert_file" : "key_file"),
          std::string("needs tls.") + (cert ? "key_file" : "cert_file") + " too (cert_file and key_file go together)");
    if (!t.password.empty() && t.username.empty())
      add(tp + ".basic_auth.password", "is set without basic_auth.username");
    if (!t.bearer_token.empty() && (!t.username.empty() || !t.password.empty()))
      add(tp + ".bearer_token", "cannot be used together with basic_auth");
  }
  throw_problems(problems);
  return c;
}

}  // namespace natsexp
