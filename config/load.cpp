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
#include <set>

#include "base/text.h"

namespace natsexp {

namespace {

using strings::did_you_mean;
using strings::quote;

const std::vector<std::string> kSectionKeys = {"collectors",   "targets", "probes",
                                               "observations", "doctor",  "system_account"};
const std::vector<std::string> kTargetKeys = {"name", "url",        "labels",       "collectors",
                                              "tls",  "basic_auth", "bearer_token", "bearer_token_file"};
const std::vector<std::string> kTlsKeys = {"ca_file", "cert_file", "key_file", "insecure_skip_verify"};
const std::vector<std::string> kBasicAuthKeys = {"username", "password", "password_file"};

// The sections of the settings rows (web, scrape, connz, log) with their keys; doctor.interval is
// read by the doctor's section.
std::map<std::string, std::vector<std::string>> row_sections() {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& s : settings()) {
    if (!s.key) continue;
    const std::string key = s.key;
    const std::size_t dot = key.find('.');
    if (key.compare(0, dot, "doctor") != 0) out[key.substr(0, dot)].push_back(key.substr(dot + 1));
  }
  return out;
}

class MainReader {
 public:
  MainReader(Reader& r, Config& c) : r_(r), cfg_(c) {}

  void read_document(const YAML::Node& root) {
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      r_.add(r_.where(root), "", "the top level must be a map of settings, got " + yaml_kind(root));
      return;
    }
    static const auto sections = row_sections();
    std::vector<std::string> top = kSectionKeys;
    for (const auto& [name, keys] : sections) top.push_back(name);
    for (auto& e : r_.entries(root, "", r_.where(root), top)) {
      if (auto it = sections.find(e.name); it != sections.end()) {
        for (auto& f : r_.entries(e, it->second)) {
          std::string text;
          if (!r_.scalar(f, text)) continue;
          try {
            set_setting(cfg_, f.path, text, r_.where(f));
          } catch (const ConfigError& err) {
            r_.add_message(err.what());
          }
        }
      } else if (e.name == "collectors") {
        std::vector<std::string> list;
        if (names(e, list)) cfg_.collectors = list;
      } else if (e.name == "targets") {
        for (auto& item : r_.items(e, "a list of targets")) {
          TargetConfig t;
          if (item.value.IsMap()) target(item, t);
          else r_.add(item, "expected a map with at least a url, got " + yaml_kind(item.value));
          cfg_.targets.push_back(std::move(t));
        }
      } else if (e.name == "probes") {
        cfg_.probes = read_probes(r_, e.value);
      } else if (e.name == "observations") {
        cfg_.observations = read_observations(r_, e.value);
      } else if (e.name == "system_account") {
        cfg_.system_account = read_system_account(r_, e.value);
      } else if (e.name == "doctor") {
        cfg_.doctor = read_doctor(r_, e.value);
      }
    }
  }

 private:
  bool names(const Entry& e, std::vector<std::string>& out) {
    bool ok = true;
    for (auto& item : r_.items(e, "a list")) {
      std::string name;
      if (r_.scalar(item, name, "a name")) out.push_back(name);
      else ok = false;
    }
    return ok && e.value.IsSequence();
  }

  void target(const Entry& item, TargetConfig& t) {
    const std::string& p = item.path;
    bool basic_auth_given = false, url_credentials = false;
    std::optional<Entry> url_entry, token_entry, token_file_entry;
    for (auto& e : r_.entries(item, kTargetKeys)) {
      if (e.name == "name") {
        r_.string(e, t.name);
      } else if (e.name == "url") {
        if (!r_.string(e, t.url)) continue;
        url_entry = e;
        if (take_url_credentials(t.url, t.username, t.password)) {
          url_credentials = true;
          r_.set_origin(p + ".basic_auth.username", r_.where(e));
          r_.set_origin(p + ".basic_auth.password", r_.where(e));
        }
      } else if (e.name == "bearer_token" || e.name == "bearer_token_file") {
        (e.name == "bearer_token" ? token_entry : token_file_entry) = e;
        if (e.name == "bearer_token" || !token_entry)
          if (r_.secret(e, t.bearer_token)) r_.set_origin(p + ".bearer_token", r_.where(e));
      } else if (e.name == "labels") {
        labels(e, t);
      } else if (e.name == "collectors") {
        std::vector<std::string> list;
        if (names(e, list)) t.collectors = list;
      } else if (e.name == "tls") {
        for (auto& f : r_.entries(e, kTlsKeys)) {
          if (f.name == "insecure_skip_verify") r_.boolean(f, t.tls.insecure_skip_verify);
          else
            r_.scalar(f, f.name == "ca_file"     ? t.tls.ca_file
                         : f.name == "cert_file" ? t.tls.cert_file
                                                 : t.tls.key_file);
        }
      } else if (e.name == "basic_auth") {
        basic_auth_given = true;
        std::optional<Entry> password, password_file;
        for (auto& f : r_.entries(e, kBasicAuthKeys)) {
          if (f.name == "username") r_.string(f, t.username);
          else (f.name == "password" ? password : password_file) = f;
        }
        if (password && password_file) r_.add(*password_file, "cannot be used together with basic_auth.password");
        else if (password || password_file)
          if (const Entry& f = password ? *password : *password_file; r_.secret(f, t.password))
            r_.set_origin(p + ".basic_auth.password", r_.where(f));
      }
    }
    if (token_entry && token_file_entry) r_.add(*token_file_entry, "cannot be used together with bearer_token");
    if (url_credentials && basic_auth_given)
      r_.add(*url_entry, "has user:password in it and basic_auth is set too; use one of them");
  }

  void labels(const Entry& e, TargetConfig& t) {
    if (!e.value.IsMap()) {
      r_.add(e, "expected a map of label names to values, got " + yaml_kind(e.value));
      return;
    }
    std::vector<std::string> all;  // every label is a known key: the names are checked by validate_config
    for (auto l = e.value.begin(); l != e.value.end(); ++l)
      if (l->first.IsScalar()) all.push_back(l->first.Scalar());
    for (auto l = e.value.begin(); l != e.value.end(); ++l)
      if (l->first.IsScalar() && l->second.IsNull()) t.labels[l->first.Scalar()] = "";
    for (auto& l : r_.entries(e, all)) {
      std::string value;
      if (r_.scalar(l, value, "a label value")) t.labels[l.name] = value;
    }
  }

  Reader& r_;
  Config& cfg_;
};

bool valid_label_name(const std::string& n) {
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
}

// An http(s) URL of a monitoring port, normalised (no credentials, no trailing slash); or a problem.
std::optional<std::string> monitoring_url_problem(const std::string& url, Url& u) {
  const std::string shown = quote(redact_url(url));
  std::string why;
  auto parsed = split_url(url, &why);
  if (!parsed && why == "is not a URL") return shown + " is not an http:// or https:// URL";
  if (parsed && parsed->scheme != "http" && parsed->scheme != "https")
    return shown + " is not an http:// or https:// URL";
  if (!parsed) return shown + " " + why;
  u = *parsed;
  if (u.path.find_first_of("?#") != std::string::npos) return shown + " must not have a query or fragment";
  if (std::any_of(u.path.begin(), u.path.end(), [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); }))
    return shown + " has an invalid path";
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  return std::nullopt;
}

}  // namespace

Config load_config_yaml(const std::string& yaml_text, const std::string& source) {
  Config config;
  config.source = source;
  const YAML::Node root = parse_yaml(yaml_text, source.empty() ? "<config>" : source);
  const auto environment = process_environment();
  Reader r(source, &environment, &config.origins);
  try {
    MainReader(r, config).read_document(root);
  } catch (const YAML::Exception& e) {
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
  std::vector<std::string> problems = check_settings(c);
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
    bool url_ok = false;
    if (t.url.empty()) {
      add(tp + ".url", "is required (e.g. http://127.0.0.1:8222)");
    } else if (auto why = monitoring_url_problem(t.url, u)) {
      add(tp + ".url", *why);
    } else {
      url_ok = true;
      if (u.has_userinfo) {
        std::string user, pass;
        take_url_credentials(t.url, user, pass);
        if (!t.username.empty() || !t.password.empty() || !t.bearer_token.empty())
          add(tp + ".url", "has user:password in it and other credentials are set too; use one");
        else t.username = user, t.password = pass;
      }
      const HostPort& a = u.authority;
      t.url = u.scheme + "://" + a.host + (a.port.empty() ? "" : ":" + a.port) + u.path;
      if (t.name.empty()) t.name = a.host + ":" + (a.port.empty() ? (u.scheme == "https" ? "443" : "80") : a.port);
    }
    if (!t.name.empty()) {
      auto [pos, fresh] = names.emplace(t.name, i);
      if (!fresh)
        add(tp + ".name", "duplicate target name " + quote(t.name) + " (already used by targets[" +
                              std::to_string(pos->second) + "]; set a unique name)");
    } else if (url_ok) {
      add(tp + ".name", "must not be empty");
    }
    for (const auto& [label, value] : t.labels) {
      const std::string lp = tp + ".labels." + label;
      if (!valid_label_name(label))
        add(lp, "label name " + quote(label) + " is not valid (must match [a-zA-Z_][a-zA-Z0-9_]*)");
      else if (label.rfind("__", 0) == 0) add(lp, "label name " + quote(label) + " is reserved (starts with __)");
      else if (kReserved.count(label))
        add(lp, "label name " + quote(label) + " is reserved for the exporter's own labels");
    }
    if (t.collectors) check_collectors(*t.collectors, tp + ".collectors");
    const std::string tls = tp + ".tls.";
    if (t.tls.cert_file.empty() != t.tls.key_file.empty()) {
      const bool has_cert = !t.tls.cert_file.empty();
      add(tls + (has_cert ? "cert_file" : "key_file"), std::string("needs tls.") +
                                                           (has_cert ? "key_file" : "cert_file") +
                                                           " too (cert_file and key_file go together)");
    }
    for (const auto& [key, file] : {std::pair<const char*, const std::string&>{"ca_file", t.tls.ca_file},
                                    {"cert_file", t.tls.cert_file},
                                    {"key_file", t.tls.key_file}})
      if (!file.empty())
        if (auto why = unreadable(file)) add(tls + key, *why);
    if (!t.password.empty() && t.username.empty())
      add(tp + ".basic_auth.password", "is set without basic_auth.username");
    if (!t.bearer_token.empty() && (!t.username.empty() || !t.password.empty()))
      add(tp + ".bearer_token", "cannot be used together with basic_auth");
  }
  throw_problems(problems);
  return c;
}

}  // namespace natsexp
