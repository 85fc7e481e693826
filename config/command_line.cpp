// The command line and NATS_EXPORTER_* environment. See config/command_line.h.
//
// Layers, lowest first: built-in defaults, the config file, the environment, the flags. Each value
// set here records its origin ("flag --scrape.timeout", "environment NATS_EXPORTER_SCRAPE_TIMEOUT")
// so that validate_config names it in its messages.
#include "config/command_line.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>

#include "base/boolean.h"
#include "base/text.h"
#include "config/load.h"
#include "config/settings.h"

namespace natsexp {

namespace {

// TLS flags that apply to targets; they are read in this order.
const char* const kTlsFlags[] = {"nats.ca-file", "nats.cert-file", "nats.key-file", "nats.insecure-skip-verify"};

const char* const kEnvPrefix = "NATS_EXPORTER_";
const char* const kDefaultUrl = "http://127.0.0.1:8222";

bool is_collector(const CollectorCatalog& catalog, const std::string& name) {
  return std::find(catalog.known.begin(), catalog.known.end(), name) != catalog.known.end();
}

// One value from the command line or the environment.
struct Given {
  std::string flag;  // flag name, e.g. "nats.url"
  std::string value;
  std::string origin;  // "flag --nats.url" or "environment NATS_EXPORTER_NATS_URL"
};

struct Toggle {
  std::string collector;
  bool on;
  std::string origin;
};

// One layer of overrides: the environment or the flags.
struct Layer {
  std::vector<Given> settings;  // in order of appearance
  std::vector<Toggle> toggles;

  bool has(const std::string& flag) const {
    return std::any_of(settings.begin(), settings.end(), [&](const Given& s) { return s.flag == flag; });
  }
  std::vector<Given> all(const std::string& flag) const {
    std::vector<Given> out;
    for (const auto& s : settings)
      if (s.flag == flag) out.push_back(s);
    return out;
  }
  std::optional<Given> last(const std::string& flag) const {
    std::optional<Given> out;
    for (const auto& s : settings)
      if (s.flag == flag) out = s;
    return out;
  }
};

std::string quote_arg(const std::string& s) { return "\"" + s + "\""; }  // an argument as given, unescaped

// Reads NATS_EXPORTER_* variables; unknown ones become warnings.
Layer read_environment(const std::map<std::string, std::string>& environment, const CollectorCatalog& catalog,
                       std::vector<std::string>& warnings) {
  Layer layer;
  const std::string prefix = kEnvPrefix;
  std::vector<std::string> known;
  for (const auto& f : settings()) known.push_back(environment_name(f.flag));
  for (const auto& [name, value] : environment) {
    if (name.rfind(prefix, 0) != 0) continue;
    if (value.empty()) continue;  // an empty variable is unset
    const std::string origin = "environment " + name;
    bool matched = false;
    for (const auto& f : settings()) {
      if (name != environment_name(f.flag)) continue;
      matched = true;
      if (f.type == RowType::repeated) {
        std::istringstream words(value);
        std::string word;
        while (words >> word) layer.settings.push_back({f.flag, word, origin});
      } else {
        layer.settings.push_back({f.flag, value, origin});
      }
    }
    if (matched) continue;
    std::string rest = name.substr(prefix.size());
    bool negate = false;
    if (rest.rfind("NO_COLLECTOR_", 0) == 0) {
      negate = true;
      rest = rest.substr(13);
    } else if (rest.rfind("COLLECTOR_", 0) == 0) {
      rest = rest.substr(10);
    } else {
      rest.clear();
    }
    std::string collector;
    for (char ch : rest) collector += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!collector.empty() && is_collector(catalog, collector)) {
      auto on = parse_bool(value);
      if (!on) throw ConfigError(origin + ": expected true or false");
      layer.toggles.push_back({collector, *on != negate, origin});
      continue;
    }
    std::string hint;
    std::size_t best = 3;  // suggest only names at most two edits away
    for (const auto& k : known) {
      std::size_t d = strings::edit_distance(name, k);
      if (d < best) {
        best = d;
        hint = k;
      }
    }
    warnings.push_back(origin + ": unknown variable, ignored" + (hint.empty() ? "" : " (did you mean " + hint + "?)"));
  }
  return layer;
}

struct Parsed {
  std::string command = "run";
  Layer flags;
  std::optional<std::string> format;  // doctor --format
};

Parsed read_args(const std::vector<std::string>& args, const CollectorCatalog& catalog) {
  Parsed parsed;
  bool command_seen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h" || arg == "--help=markdown") {
      parsed.command = arg == "--help=markdown" ? "help-markdown" : "help";
      return parsed;
    }
    if (arg == "--version") {
      parsed.command = "version";
      return parsed;
    }
    if (arg.empty() || arg[0] != '-') {
      if (!command_seen && (arg == "check-config" || arg == "doctor")) {
        parsed.command = arg;
        command_seen = true;
        continue;
      }
      if (command_seen) throw ConfigError("argument " + quote_arg(arg) + ": unexpected argument (see --help)");
      throw ConfigError("argument " + quote_arg(arg) +
                        ": unknown command (the commands are check-config and doctor; see --help)");
    }
    // Never echo the value part: it may be a secret.
    std::string body = arg.rfind("--", 0) == 0 ? arg.substr(2) : arg.substr(1);
    std::size_t eq = body.find('=');
    const std::string name = body.substr(0, eq);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? body.substr(eq + 1) : "";
    const std::string origin = "flag --" + name;
    if (arg.rfind("--", 0) != 0 || name.empty())
      throw ConfigError("flag " + arg.substr(0, arg.find('=')) + ": unknown flag (see --help)");

    bool negate = false;
    std::string collector;
    if (name.rfind("collector.", 0) == 0) collector = name.substr(10);
    else if (name.rfind("no-collector.", 0) == 0) collector = name.substr(13), negate = true;
    if (!collector.empty()) {
      if (!is_collector(catalog, collector))
        throw ConfigError(origin + ": unknown collector " + quote_arg(collector) +
                          " (known: " + strings::join(catalog.known, ", ") + ")");
      auto on = has_value ? parse_bool(value) : std::optional<bool>(true);
      if (!on) throw ConfigError(origin + ": expected true or false");
      parsed.flags.toggles.push_back({collector, *on != negate, origin});
      continue;
    }
    if (name == "format") {  // doctor's output format, not a setting
      if (has_value) parsed.format = value;
      else if (i + 1 < args.size()) parsed.format = args[++i];
      else throw ConfigError(origin + ": needs a value (--format=text|json|markdown)");
      continue;
    }
    const Setting* flag = find_setting_by_flag(name);
    if (!flag) throw ConfigError(origin + ": unknown flag (see --help)");
    if (flag->type == RowType::switch_) {
      auto on = has_value ? parse_bool(value) : std::optional<bool>(true);
      if (!on) throw ConfigError(origin + ": expected true or false");
      parsed.flags.settings.push_back({name, *on ? "true" : "false", origin});
      continue;
    }
    if (has_value) {
      parsed.flags.settings.push_back({name, value, origin});
    } else if (i + 1 < args.size()) {
      parsed.flags.settings.push_back({name, args[++i], origin});
    } else {
      throw ConfigError(origin + ": needs a value (--" + name + "=" + flag_placeholder(*flag) + ")");
    }
  }
  return parsed;
}

// The value of `flag`: from the flags when given there, else from the environment.
std::optional<Given> effective(const Layer& env, const Layer& flags, const std::string& flag) {
  if (auto s = flags.last(flag)) return s;
  return env.last(flag);
}

// For a pair such as password / password-file: the layer that decides is the highest one that
// sets either, so a flag --nats.password-file overrides NATS_EXPORTER_NATS_PASSWORD.
std::pair<std::optional<Given>, std::optional<Given>> effective_pair(const Layer& env, const Layer& flags,
                                                                     const std::string& a, const std::string& b) {
  const Layer& layer = (flags.has(a) || flags.has(b)) ? flags : env;
  return {layer.last(a), layer.last(b)};
}

void apply_collectors(Config& cfg, const Layer& layer, std::vector<std::string>& list,
                      std::vector<std::string>& origins, bool& touched) {
  if (auto s = layer.last("collectors")) {
    list.clear();
    origins.clear();
    std::string item;
    std::istringstream in(s->value);
    while (std::getline(in, item, ',')) {
      auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
      if (b == std::string::npos) continue;
      list.push_back(item.substr(b, e - b + 1));
      origins.push_back(s->origin);
    }
    cfg.origins["collectors"] = s->origin;
    touched = true;
  }
  for (const auto& t : layer.toggles) {
    auto it = std::find(list.begin(), list.end(), t.collector);
    if (t.on && it == list.end()) {
      list.push_back(t.collector);
      origins.push_back(t.origin);
    } else if (!t.on) {
      while (it != list.end()) {
        origins.erase(origins.begin() + (it - list.begin()));
        list.erase(it);
        it = std::find(list.begin(), list.end(), t.collector);
      }
    }
    cfg.origins["collectors"] = t.origin;
    touched = true;
  }
}

void erase_origins(Config& cfg, const std::string& prefix) {
  for (auto it = cfg.origins.begin(); it != cfg.origins.end();) {
    if (it->first == prefix || it->first.rfind(prefix + "[", 0) == 0 || it->first.rfind(prefix + ".", 0) == 0)
      it = cfg.origins.erase(it);
    else ++it;
  }
}

std::string target_path(std::size_t i) { return "targets[" + std::to_string(i) + "]"; }

// Strips the leading "flag " / "environment " for "cannot be used together with ..." messages.
std::string what_of(const Given& s) {
  return s.origin.rfind("flag ", 0) == 0 ? s.origin.substr(5) : s.origin.substr(12);
}

void apply_targets_and_auth(Config& cfg, const Layer& env, const Layer& flags, const std::string& config_file,
                            std::vector<std::string>& errors) {
  // Targets: --nats.url replaces the file's; with neither, the local default.
  std::vector<Given> urls = flags.has("nats.url") ? flags.all("nats.url") : env.all("nats.url");
  if (!urls.empty()) {
    erase_origins(cfg, "targets");
    cfg.targets.clear();
    cfg.origins["targets"] = urls.front().origin;
    for (const auto& u : urls) {
      TargetConfig t;
      t.url = u.value;
      const std::string p = target_path(cfg.targets.size());
      cfg.origins[p] = u.origin;
      cfg.origins[p + ".url"] = u.origin;
      if (take_url_credentials(t.url, t.username, t.password)) {
        cfg.origins[p + ".basic_auth.username"] = u.origin;
        cfg.origins[p + ".basic_auth.password"] = u.origin;
      }
      cfg.targets.push_back(std::move(t));
    }
  } else if (cfg.targets.empty() && config_file.empty()) {
    TargetConfig t;
    t.url = kDefaultUrl;
    cfg.targets.push_back(t);
    cfg.origins["targets"] = "default target";
  }

  // Auth.
  auto user = effective(env, flags, "nats.user");
  auto [password, password_file] = effective_pair(env, flags, "nats.password", "nats.password-file");
  auto [token, token_file] = effective_pair(env, flags, "nats.token", "nats.token-file");
  if (password && password_file)
    errors.push_back(password_file->origin + ": cannot be used together with " + what_of(*password));
  if (token && token_file) errors.push_back(token_file->origin + ": cannot be used together with " + what_of(*token));
  std::string password_value = password ? password->value : "";
  std::string token_value = token ? token->value : "";
  if (password_file && !password) {
    try {
      password_value = read_secret_file(password_file->value);
      password = password_file;
    } catch (const std::exception& e) {
      errors.push_back(password_file->origin + ": " + e.what());
    }
  }
  if (token_file && !token) {
    try {
      token_value = read_secret_file(token_file->value);
      token = token_file;
    } catch (const std::exception& e) {
      errors.push_back(token_file->origin + ": " + e.what());
    }
  }
  if (token && (user || password))
    errors.push_back(token->origin + ": cannot be used together with " + what_of(user ? *user : *password) +
                     " (bearer token or basic auth, not both)");
  if (!errors.empty()) return;
  if (user || password || token) {
    std::size_t applied = 0;
    for (std::size_t i = 0; i < cfg.targets.size(); ++i) {
      TargetConfig& t = cfg.targets[i];
      if (!t.username.empty() || !t.password.empty() || !t.bearer_token.empty()) continue;  // its own auth
      const std::string p = target_path(i);
      if (user) t.username = user->value, cfg.origins[p + ".basic_auth.username"] = user->origin;
      if (password) t.password = password_value, cfg.origins[p + ".basic_auth.password"] = password->origin;
      if (token) t.bearer_token = token_value, cfg.origins[p + ".bearer_token"] = token->origin;
      ++applied;
    }
    if (applied == 0) {
      const Given& s = user ? *user : password ? *password : *token;
      cfg.warnings.push_back(s.origin + ": ignored: every target has credentials of its own");
    }
  }

  // TLS.
  std::vector<Given> tls;
  for (const char* f : kTlsFlags)
    if (auto s = effective(env, flags, f)) tls.push_back(*s);
  if (!tls.empty()) {
    std::size_t applied = 0;
    for (std::size_t i = 0; i < cfg.targets.size(); ++i) {
      TargetConfig& t = cfg.targets[i];
      if (!t.tls.ca_file.empty() || !t.tls.cert_file.empty() || !t.tls.key_file.empty() || t.tls.insecure_skip_verify)
        continue;  // its own TLS settings
      const std::string p = target_path(i) + ".tls.";
      for (const auto& s : tls) {
        if (s.flag == "nats.ca-file") t.tls.ca_file = s.value, cfg.origins[p + "ca_file"] = s.origin;
        if (s.flag == "nats.cert-file") t.tls.cert_file = s.value, cfg.origins[p + "cert_file"] = s.origin;
        if (s.flag == "nats.key-file") t.tls.key_file = s.value, cfg.origins[p + "key_file"] = s.origin;
        if (s.flag == "nats.insecure-skip-verify") {
          auto on = parse_bool(s.value);
          if (!on) errors.push_back(s.origin + ": expected true or false");
          t.tls.insecure_skip_verify = on.value_or(false);
          cfg.origins[p + "insecure_skip_verify"] = s.origin;
        }
      }
      ++applied;
    }
    if (applied == 0)
      cfg.warnings.push_back(tls.front().origin + ": ignored: every target has TLS settings of its own");
  }
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& environment, const CollectorCatalog& catalog) {
  CommandLine cl;
  Parsed parsed = read_args(args, catalog);
  cl.command = parsed.command;
  if (cl.command == "help" || cl.command == "help-markdown" || cl.command == "version") return cl;
  if (parsed.format) {
    if (cl.command != "doctor") throw ConfigError("flag --format: only for the doctor command (see --help)");
    if (*parsed.format != "text" && *parsed.format != "json" && *parsed.format != "markdown")
      throw ConfigError("flag --format: " + quote_arg(*parsed.format) + " is not a format (text, json or markdown)");
    cl.format = *parsed.format;
  }

  std::vector<std::string> warnings;
  const Layer env = read_environment(environment, catalog, warnings);
  const Layer& flags = parsed.flags;

  if (auto file = effective(env, flags, "config.file")) {
    cl.config_file = file->value;
    cl.config = load_config_file(file->value);
  }
  Config& cfg = cl.config;
  cfg.source = cl.config_file;
  cfg.warnings = warnings;

  std::vector<std::string> errors;
  // Scalar settings: environment first, then flags on top.
  for (const Layer* layer : {&env, &flags}) {
    for (const auto& s : layer->settings) {
      const Setting* f = find_setting_by_flag(s.flag);
      if (!f || !f->key) continue;
      try {
        set_setting(cfg, f->key, s.value, s.origin);
      } catch (const ConfigError& e) {
        errors.push_back(e.what());
      }
    }
  }

  // Collectors: the file's list (or the defaults), then --collectors and --[no-]collector.NAME,
  // environment before flags; within a layer --collectors first, then the toggles in order.
  std::vector<std::string> list = cfg.collectors;
  std::vector<std::string> list_origins;
  const bool from_file = cfg.origins.count("collectors") > 0;
  if (list.empty() && !from_file) list = catalog.defaults;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto it = cfg.origins.find("collectors[" + std::to_string(i) + "]");
    list_origins.push_back(it != cfg.origins.end() ? it->second : from_file ? cfg.origins["collectors"] : "default");
  }
  bool touched = false;
  apply_collectors(cfg, env, list, list_origins, touched);
  apply_collectors(cfg, flags, list, list_origins, touched);
  if (touched) {
    const std::string whole = cfg.origins["collectors"];
    erase_origins(cfg, "collectors");
    cfg.origins["collectors"] = whole;
    cfg.collectors = list;
    for (std::size_t i = 0; i < list.size(); ++i)
      cfg.origins["collectors[" + std::to_string(i) + "]"] = list_origins[i];
  }

  apply_targets_and_auth(cfg, env, flags, cl.config_file, errors);
  throw_problems(errors);
  cfg = validate_config(cfg, catalog);
  if (auto web = effective(env, flags, "web.config.file")) {
    cl.web_config_file = web->value;
    cl.web = load_web_config_file(web->value);
  }
  return cl;
}

}  // namespace natsexp
