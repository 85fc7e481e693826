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

const char* const kEnvPrefix = "NATS_EXPORTER_";
const char* const kDefaultUrl = "http://127.0.0.1:8222";

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

  std::vector<Given> all(const std::string& flag) const {
    std::vector<Given> out;
    std::copy_if(settings.begin(), settings.end(), std::back_inserter(out),
                 [&](const Given& g) { return g.flag == flag; });
    return out;
  }
  std::optional<Given> last(const std::string& flag) const {
    auto given = all(flag);
    return given.empty() ? std::nullopt : std::optional<Given>(given.back());
  }
};

std::string quote_arg(const std::string& s) { return "\"" + s + "\""; }  // an argument as given, unescaped

// Adds the value of `flag` to `layer` (a variable stands for a flag): a collector toggle, or a value that
// the flag's row reads later. `value`: none for a bare --flag, which turns a switch or a toggle on.
void add_value(Layer& layer, const std::string& flag, const std::optional<std::string>& value,
               const std::string& origin, const CollectorCatalog& catalog) {
  const bool negate = flag.rfind("no-collector.", 0) == 0;
  if (!negate && flag.rfind("collector.", 0) != 0)
    return layer.settings.push_back({flag, value.value_or("true"), origin});
  const std::string collector = flag.substr(negate ? 13 : 10);
  if (std::find(catalog.known.begin(), catalog.known.end(), collector) == catalog.known.end())
    throw ConfigError(origin + ": unknown collector " + quote_arg(collector) +
                      " (known: " + strings::join(catalog.known, ", ") + ")");
  const auto on = value ? parse_bool(*value) : std::optional<bool>(true);
  if (!on) throw ConfigError(origin + ": expected true or false");
  layer.toggles.push_back({collector, *on != negate, origin});
}

// Reads NATS_EXPORTER_* variables; unknown ones become warnings.
Layer read_environment(const std::map<std::string, std::string>& environment, const CollectorCatalog& catalog,
                       std::vector<std::string>& warnings) {
  Layer layer;
  std::vector<std::string> known;
  for (const auto& f : settings()) known.push_back(environment_name(f.flag));
  for (const auto& [name, value] : environment) {
    if (name.rfind(kEnvPrefix, 0) != 0 || value.empty()) continue;  // an empty variable is unset
    const std::string origin = "environment " + name;
    std::string flag;  // the flag the variable stands for
    for (const auto& f : settings())
      if (name == environment_name(f.flag)) flag = f.flag;
    for (const auto& c : catalog.known)
      for (const std::string toggle : {"collector.", "no-collector."})
        if (name == environment_name(toggle + c)) flag = toggle + c;
    if (const Setting* f = find_setting_by_flag(flag); f && f->type == RowType::repeated) {
      std::istringstream words(value);  // several values separated by spaces
      for (std::string word; words >> word;) add_value(layer, flag, word, origin, catalog);
    } else if (!flag.empty()) {
      add_value(layer, flag, value, origin, catalog);
    } else {
      warnings.push_back(origin + ": unknown variable, ignored" + strings::did_you_mean(name, known));
    }
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

    if (name == "format") {  // doctor's output format, not a setting
      if (has_value) parsed.format = value;
      else if (i + 1 < args.size()) parsed.format = args[++i];
      else throw ConfigError(origin + ": needs a value (--format=text|json|markdown)");
      continue;
    }
    const bool toggle = name.rfind("collector.", 0) == 0 || name.rfind("no-collector.", 0) == 0;
    const Setting* flag = find_setting_by_flag(name);
    if (!flag && !toggle) throw ConfigError(origin + ": unknown flag (see --help)");
    if (has_value || toggle || flag->type == RowType::switch_)
      add_value(parsed.flags, name, has_value ? std::optional<std::string>(value) : std::nullopt, origin, catalog);
    else if (i + 1 < args.size()) add_value(parsed.flags, name, args[++i], origin, catalog);
    else throw ConfigError(origin + ": needs a value (--" + name + "=" + flag_placeholder(*flag) + ")");
  }
  return parsed;
}

// The value of `flag`: from the flags when given there, else from the environment.
std::optional<Given> effective(const Layer& env, const Layer& flags, const std::string& flag) {
  if (auto s = flags.last(flag)) return s;
  return env.last(flag);
}

void erase_origins(Config& cfg, const std::string& prefix) {
  for (auto it = cfg.origins.begin(); it != cfg.origins.end();) {
    if (it->first == prefix || it->first.rfind(prefix + "[", 0) == 0 || it->first.rfind(prefix + ".", 0) == 0)
      it = cfg.origins.erase(it);
    else ++it;
  }
}

// Collectors: the file's list (or the defaults), then --collectors and --[no-]collector.NAME,
// environment before flags; within a layer --collectors first, then the toggles in order. Each name
// keeps the origin of what put it in the list.
void apply_collectors(Config& cfg, const Layer& env, const Layer& flags, const CollectorCatalog& catalog) {
  std::vector<std::pair<std::string, std::string>> list;  // name, origin
  const auto& start = cfg.collectors.empty() && !cfg.origins.count("collectors") ? catalog.defaults : cfg.collectors;
  for (std::size_t i = 0; i < start.size(); ++i)
    list.push_back({start[i], origin_of(cfg, "collectors[" + std::to_string(i) + "]")});
  std::string whole;  // the origin of the last change
  for (const Layer* layer : {&env, &flags}) {
    if (auto s = layer->last("collectors")) {
      list.clear();
      std::istringstream in(s->value);
      for (std::string item; std::getline(in, item, ',');)
        if (!strings::trim(item).empty()) list.push_back({strings::trim(item), s->origin});
      whole = s->origin;
    }
    for (const auto& t : layer->toggles) {
      const auto named = [&](const auto& c) { return c.first == t.collector; };
      if (!t.on) list.erase(std::remove_if(list.begin(), list.end(), named), list.end());
      else if (std::none_of(list.begin(), list.end(), named)) list.push_back({t.collector, t.origin});
      whole = t.origin;
    }
  }
  if (whole.empty()) return;
  erase_origins(cfg, "collectors");
  cfg.origins["collectors"] = whole;
  cfg.collectors.clear();
  for (std::size_t i = 0; i < list.size(); ++i) {
    cfg.collectors.push_back(list[i].first);
    cfg.origins["collectors[" + std::to_string(i) + "]"] = list[i].second;
  }
}

std::string target_path(std::size_t i) { return "targets[" + std::to_string(i) + "]"; }

// Strips the leading "flag " / "environment " for "cannot be used together with ..." messages.
std::string what_of(const Given& s) {
  return s.origin.rfind("flag ", 0) == 0 ? s.origin.substr(5) : s.origin.substr(12);
}

// The row of a target with this key or flag.
const Row<TargetConfig>* target_row(const std::string& key, const std::string& flag = "") {
  for (const auto& row : target_rows())
    if (key == row.key || (row.flag && flag == row.flag)) return &row;
  return nullptr;
}

void apply_targets_and_auth(Config& cfg, const Layer& env, const Layer& flags, const std::string& config_file,
                            const std::map<std::string, std::string>& environment, std::vector<std::string>& errors) {
  Reader r("", &environment, &cfg.origins);  // the values are read by the rows of a target, as the file's
  // Targets: --nats.url replaces the file's; with neither, the local default.
  std::vector<Given> urls;
  for (const Layer* layer : {&env, &flags})
    if (auto given = layer->all("nats.url"); !given.empty()) urls = given;
  if (!urls.empty()) {
    erase_origins(cfg, "targets");
    cfg.targets.clear();
    cfg.origins["targets"] = urls.front().origin;
    for (const auto& u : urls) {
      const std::string p = target_path(cfg.targets.size());
      const YAML::Node value(u.value);
      cfg.origins[p] = cfg.origins[p + ".url"] = u.origin;
      read_row(r, Entry{value, value, "url", p + ".url", u.origin}, *target_row("url"), cfg.targets.emplace_back());
    }
  } else if (cfg.targets.empty() && config_file.empty()) {
    cfg.targets.emplace_back().url = kDefaultUrl;
    cfg.origins["targets"] = "default target";
  }

  // Auth and TLS: the other --nats.* flags, read by their rows into one target, the flags over the
  // environment; two ways to give one value (--nats.password, --nats.password-file) in one layer are refused.
  TargetConfig over;
  std::map<std::string, Given> set;  // the key of the target it sets ("basic_auth.password") -> the value
  for (const Layer* layer : {&env, &flags}) {
    std::map<std::string, Given> in_layer;
    for (const auto& g : layer->settings) {
      const Row<TargetConfig>* row = target_row("", g.flag);
      if (!row || g.flag == "nats.url") continue;
      const std::string full = row->key, name = full.substr(full.rfind('.') + 1);
      const std::string key = row->type == RowType::secret ? secret_stem(full) : full;  // password_file sets password
      if (auto prev = in_layer.find(key); prev != in_layer.end() && prev->second.flag != g.flag)
        errors.push_back(g.origin + ": cannot be used together with " + what_of(prev->second));
      in_layer[key] = g;
      const YAML::Node value(g.value);
      if (r.value(Entry{value, value, name, "", g.origin}, *row, row->ref(over))) set[key] = g;
    }
  }
  errors.insert(errors.end(), r.problems().begin(), r.problems().end());
  if (set.count("bearer_token") && (set.count("basic_auth.username") || set.count("basic_auth.password"))) {
    const Given& basic = set.count("basic_auth.username") ? set["basic_auth.username"] : set["basic_auth.password"];
    errors.push_back(set["bearer_token"].origin + ": cannot be used together with " + what_of(basic) +
                     " (bearer token or basic auth, not both)");
  }
  if (!errors.empty()) return;
  for (const bool tls : {false, true}) {
    std::vector<std::string> keys;
    for (const auto& [key, g] : set)
      if ((key.rfind("tls.", 0) == 0) == tls) keys.push_back(key);
    if (keys.empty()) continue;
    std::size_t applied = 0;
    for (std::size_t i = 0; i < cfg.targets.size(); ++i) {
      TargetConfig& t = cfg.targets[i];
      if (tls ? !t.tls.ca_file.empty() || !t.tls.cert_file.empty() || !t.tls.key_file.empty() ||
                    t.tls.insecure_skip_verify
              : !t.username.empty() || !t.password.empty() || !t.bearer_token.empty())
        continue;  // its own
      // The target has none of its own: the flags' values, or the defaults where no flag is given.
      if (tls) t.tls = over.tls;
      else t.username = over.username, t.password = over.password, t.bearer_token = over.bearer_token;
      for (const auto& key : keys) cfg.origins[target_path(i) + "." + key] = set[key].origin;
      ++applied;
    }
    if (applied == 0)
      cfg.warnings.push_back(set[keys.front()].origin + ": ignored: every target has " +
                             (tls ? "TLS settings" : "credentials") + " of its own");
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

  // Scalar settings: environment first, then flags on top, each value read by its row as the file's are.
  Reader reader(cfg.source, &environment, &cfg.origins);
  for (const Layer* layer : {&env, &flags}) {
    for (const auto& s : layer->settings) {
      const Setting* f = find_setting_by_flag(s.flag);
      const YAML::Node value(s.value);
      if (f && f->key && reader.value(Entry{value, value, f->key, f->key, s.origin}, *f, f->ref(cfg)))
        cfg.origins[f->key] = s.origin;
    }
  }
  std::vector<std::string> errors = reader.problems();

  apply_collectors(cfg, env, flags, catalog);
  apply_targets_and_auth(cfg, env, flags, cl.config_file, environment, errors);
  throw_problems(errors);
  cfg = validate_config(cfg, catalog);
  if (auto web = effective(env, flags, "web.config.file")) {
    cl.web_config_file = web->value;
    cl.web = load_web_config_file(web->value);
  }
  return cl;
}

}  // namespace natsexp
