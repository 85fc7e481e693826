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

#include "collectors/collector.h"
#include "config/config_text.h"
#include "config/load.h"

namespace natsexp {

namespace {

enum class Kind { kValue, kBool, kRepeated };

struct Flag {
  const char* name;     // without the leading --
  Kind kind;
  const char* setting;  // the YAML key set_setting() takes, or nullptr when handled here
  const char* value;    // placeholder in --help
  const char* help;
};

const Flag kFlags[] = {
    {"config.file", Kind::kValue, nullptr, "FILE", "YAML configuration file (see config/examples/full.yaml)."},
    {"web.config.file", Kind::kValue, nullptr, "FILE",
     "TLS and basic auth for this endpoint, exporter-toolkit format (tls_server_config, basic_auth_users)."},
    {"web.listen-address", Kind::kValue, "web.listen_address", "ADDR", "Address to serve metrics on: host:port or :port."},
    {"web.telemetry-path", Kind::kValue, "web.metrics_path", "PATH", "Path of the metrics page."},
    {"web.max-threads", Kind::kValue, "web.max_threads", "N", "HTTP worker threads (1..256)."},
    {"web.read-timeout", Kind::kValue, "web.read_timeout", "DURATION", "Timeout to read a request."},
    {"web.write-timeout", Kind::kValue, "web.write_timeout", "DURATION", "Timeout to write a response."},
    {"web.max-request-bytes", Kind::kValue, "web.max_request_bytes", "SIZE",
     "Largest request body accepted (Content-Length or chunked); larger ones get 413 unread."},
    {"web.max-header-bytes", Kind::kValue, "web.max_header_bytes", "SIZE",
     "Largest request line and headers (1KiB..1MiB; at most 100 header lines); beyond, 431."},
    {"web.max-connections", Kind::kValue, "web.max_connections", "N",
     "Open connections to this endpoint (1..65536). At the cap, the one waiting longest without a\n"
     "      request is closed; if all hold requests in progress, new ones are refused (503 over HTTP)."},
    {"nats.url", Kind::kRepeated, nullptr, "URL",
     "Monitoring URL of a NATS server (http:// or https://). Repeat for several servers. Replaces the\n"
     "      targets of the config file. user:pass@ in the URL is used as basic auth."},
    {"nats.user", Kind::kValue, nullptr, "USER", "Basic auth user for the monitoring port."},
    {"nats.password", Kind::kValue, nullptr, "PASSWORD", "Basic auth password (prefer --nats.password-file)."},
    {"nats.password-file", Kind::kValue, nullptr, "FILE", "File holding the basic auth password."},
    {"nats.token", Kind::kValue, nullptr, "TOKEN", "Bearer token for the monitoring port (prefer --nats.token-file)."},
    {"nats.token-file", Kind::kValue, nullptr, "FILE", "File holding the bearer token."},
    {"nats.ca-file", Kind::kValue, nullptr, "FILE", "CA certificates to verify an https:// monitoring port."},
    {"nats.cert-file", Kind::kValue, nullptr, "FILE", "Client certificate (with --nats.key-file)."},
    {"nats.key-file", Kind::kValue, nullptr, "FILE", "Client private key (with --nats.cert-file)."},
    {"nats.insecure-skip-verify", Kind::kBool, nullptr, "", "Do not verify the server's certificate."},
    {"collectors", Kind::kValue, nullptr, "LIST", "Comma-separated collectors to enable; replaces the list."},
    {"scrape.timeout", Kind::kValue, "scrape.timeout", "DURATION", "Upper bound of one scrape (> 0, <= 5m)."},
    {"scrape.timeout-offset", Kind::kValue, "scrape.timeout_offset", "DURATION",
     "Subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds."},
    {"scrape.max-response-bytes", Kind::kValue, "scrape.max_response_bytes", "SIZE",
     "Largest monitoring response read (bytes, or KB/MB/GB/KiB/MiB/GiB)."},
    {"connz.top-n", Kind::kValue, "connz.top_n", "N", "Per-connection series for the top N connections (0..1000)."},
    {"connz.full-read-interval", Kind::kValue, "connz.full_read_interval", "DURATION",
     "At most how often every connection is read in full (doctor, RTT on 2.9); 0s: every scrape."},
    {"log.level", Kind::kValue, "log.level", "LEVEL", "debug, info, warn or error."},
    {"doctor.interval", Kind::kValue, "doctor.interval", "DURATION",
     "doctor: time between its two collections, for the growth checks (0s: collect once; <= 1h)."},
};

// TLS flags that apply to targets; they are read in this order.
const char* const kTlsFlags[] = {"nats.ca-file", "nats.cert-file", "nats.key-file", "nats.insecure-skip-verify"};

const char* const kEnvPrefix = "NATS_EXPORTER_";
const char* const kDefaultUrl = "http://127.0.0.1:8222";

const Flag* find_flag(const std::string& name) {
  for (const auto& f : kFlags)
    if (name == f.name) return &f;
  return nullptr;
}

std::string env_name(const std::string& flag) {
  std::string out = kEnvPrefix;
  for (char ch : flag) out += (ch == '.' || ch == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

bool parse_bool(const std::string& text, bool& out) {
  std::string t;
  for (char ch : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (t == "true" || t == "1" || t == "yes" || t == "on") return out = true, true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return out = false, true;
  return false;
}

bool is_collector(const std::string& name) {
  const auto& names = collector_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string known_collectors() {
  std::string out;
  for (const auto& n : collector_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// One value from the command line or the environment.
struct Setting {
  std::string flag;    // flag name, e.g. "nats.url"
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
  std::vector<Setting> settings;  // in order of appearance
  std::vector<Toggle> toggles;

  bool has(const std::string& flag) const {
    return std::any_of(settings.begin(), settings.end(), [&](const Setting& s) { return s.flag == flag; });
  }
  std::vector<Setting> all(const std::string& flag) const {
    std::vector<Setting> out;
    for (const auto& s : settings)
      if (s.flag == flag) out.push_back(s);
    return out;
  }
  std::optional<Setting> last(const std::string& flag) const {
    std::optional<Setting> out;
    for (const auto& s : settings)
      if (s.flag == flag) out = s;
    return out;
  }
};

std::string quote_arg(const std::string& s) { return "\"" + s + "\""; }

// Reads NATS_EXPORTER_* variables; unknown ones become warnings.
Layer read_environment(const std::map<std::string, std::string>& environment, std::vector<std::string>& warnings) {
  Layer layer;
  const std::string prefix = kEnvPrefix;
  std::vector<std::string> known;
  for (const auto& f : kFlags) known.push_back(env_name(f.name));
  for (const auto& [name, value] : environment) {
    if (name.rfind(prefix, 0) != 0) continue;
    if (value.empty()) continue;  // an empty variable is unset
    const std::string origin = "environment " + name;
    bool matched = false;
    for (const auto& f : kFlags) {
      if (name != env_name(f.name)) continue;
      matched = true;
      if (f.kind == Kind::kRepeated) {
        std::istringstream words(value);
        std::string word;
        while (words >> word) layer.settings.push_back({f.name, word, origin});
      } else {
        layer.settings.push_back({f.name, value, origin});
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
    if (!collector.empty() && is_collector(collector)) {
      bool on = false;
      if (!parse_bool(value, on))
        throw ConfigError(origin + ": expected true or false");
      layer.toggles.push_back({collector, on != negate, origin});
      continue;
    }
    std::string hint;
    std::size_t best = 3;  // suggest only names at most two edits away
    for (const auto& k : known) {
      std::size_t d = config_text::edit_distance(name, k);
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

Parsed read_args(const std::vector<std::string>& args) {
  Parsed parsed;
  bool command_seen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.command = "help";
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
      throw ConfigError("argument " + quote_arg(arg) + ": unknown command (the commands are check-config and doctor; see --help)");
    }
    // Never echo the value part: it may be a secret.
    std::string body = arg.rfind("--", 0) == 0 ? arg.substr(2) : arg.substr(1);
    std::size_t eq = body.find('=');
    const std::string name = body.substr(0, eq);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? body.substr(eq + 1) : "";
    const std::string origin = "flag --" + name;
    if (arg.rfind("--", 0) != 0 || name.empty()) throw ConfigError("flag " + arg.substr(0, arg.find('=')) + ": unknown flag (see --help)");

    bool negate = false;
    std::string collector;
    if (name.rfind("collector.", 0) == 0) collector = name.substr(10);
    else if (name.rfind("no-collector.", 0) == 0) collector = name.substr(13), negate = true;
    if (!collector.empty()) {
      if (!is_collector(collector))
        throw ConfigError(origin + ": unknown collector " + quote_arg(collector) + " (known: " + known_collectors() + ")");
      bool on = true;
      if (has_value && !parse_bool(value, on)) throw ConfigError(origin + ": expected true or false");
      parsed.flags.toggles.push_back({collector, on != negate, origin});
      continue;
    }
    if (name == "format") {  // doctor's output format, not a setting
      if (has_value) parsed.format = value;
      else if (i + 1 < args.size()) parsed.format = args[++i];
      else throw ConfigError(origin + ": needs a value (--format=text|json|markdown)");
      continue;
    }
    const Flag* flag = find_flag(name);
    if (!flag) throw ConfigError(origin + ": unknown flag (see --help)");
    if (flag->kind == Kind::kBool) {
      bool on = true;
      if (has_value && !parse_bool(value, on)) throw ConfigError(origin + ": expected true or false");
      parsed.flags.settings.push_back({name, on ? "true" : "false", origin});
      continue;
    }
    if (has_value) {
      parsed.flags.settings.push_back({name, value, origin});
    } else if (i + 1 < args.size()) {
      parsed.flags.settings.push_back({name, args[++i], origin});
    } else {
      throw ConfigError(origin + ": needs a value (--" + name + "=" + flag->value + ")");
    }
  }
  return parsed;
}

// The value of `flag`: from the flags when given there, else from the environment.
std::optional<Setting> effective(const Layer& env, const Layer& flags, const std::string& flag) {
  if (auto s = flags.last(flag)) return s;
  return env.last(flag);
}

// For a pair such as password / password-file: the layer that decides is the highest one that
// sets either, so a flag --nats.password-file overrides NATS_EXPORTER_NATS_PASSWORD.
std::pair<std::optional<Setting>, std::optional<Setting>> effective_pair(const Layer& env, const Layer& flags,
                                                                         const std::string& a,
                                                                         const std::string& b) {
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
    else
      ++it;
  }
}

std::string target_path(std::size_t i) { return "targets[" + std::to_string(i) + "]"; }

// Strips the leading "flag " / "environment " for "cannot be used together with ..." messages.
std::string what_of(const Setting& s) { return s.origin.rfind("flag ", 0) == 0 ? s.origin.substr(5) : s.origin.substr(12); }

void apply_targets_and_auth(Config& cfg, const Layer& env, const Layer& flags, const std::string& config_file,
                            std::vector<std::string>& errors) {
  // Targets: --nats.url replaces the file's; with neither, the local default.
  std::vector<Setting> urls = flags.has("nats.url") ? flags.all("nats.url") : env.all("nats.url");
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
      const Setting& s = user ? *user : password ? *password : *token;
      cfg.warnings.push_back(s.origin + ": ignored: every target has credentials of its own");
    }
  }

  // TLS.
  std::vector<Setting> tls;
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
          bool on = false;
          if (!parse_bool(s.value, on)) errors.push_back(s.origin + ": expected true or false");
          t.tls.insecure_skip_verify = on;
          cfg.origins[p + "insecure_skip_verify"] = s.origin;
        }
      }
      ++applied;
    }
    if (applied == 0) cfg.warnings.push_back(tls.front().origin + ": ignored: every target has TLS settings of its own");
  }
}

std::string format_size(std::size_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + "KiB";
  return std::to_string(bytes);
}

std::string default_of(const Flag& f) {
  const Config d;
  const std::string name = f.name;
  if (name == "web.listen-address") return d.listen_address;
  if (name == "web.telemetry-path") return d.metrics_path;
  if (name == "web.max-threads") return std::to_string(d.web_max_threads);
  if (name == "web.read-timeout") return format_duration(d.web_read_timeout);
  if (name == "web.write-timeout") return format_duration(d.web_write_timeout);
  if (name == "web.max-request-bytes") return format_size(d.web_max_request_bytes);
  if (name == "web.max-header-bytes") return format_size(d.web_max_header_bytes);
  if (name == "web.max-connections") return std::to_string(d.web_max_connections);
  if (name == "scrape.timeout") return format_duration(d.scrape_timeout);
  if (name == "scrape.timeout-offset") return format_duration(d.scrape_timeout_offset);
  if (name == "scrape.max-response-bytes") return format_size(d.max_response_bytes);
  if (name == "connz.top-n") return std::to_string(d.connz_top_n);
  if (name == "connz.full-read-interval") return format_duration(d.connz_full_read_interval);
  if (name == "log.level") return d.log_level;
  if (name == "doctor.interval") return format_duration(d.doctor.interval);
  if (name == "nats.insecure-skip-verify") return "false";
  if (name == "nats.url") return std::string(kDefaultUrl) + " when neither --config.file nor --nats.url is given";
  if (name == "collectors") {
    std::string out;
    for (const auto& n : default_collector_names()) out += (out.empty() ? "" : ",") + n;
    return out;
  }
  return "none";
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& environment) {
  CommandLine cl;
  Parsed parsed = read_args(args);
  cl.command = parsed.command;
  if (cl.command == "help" || cl.command == "version") return cl;
  if (parsed.format) {
    if (cl.command != "doctor") throw ConfigError("flag --format: only for the doctor command (see --help)");
    if (*parsed.format != "text" && *parsed.format != "json" && *parsed.format != "markdown")
      throw ConfigError("flag --format: " + quote_arg(*parsed.format) + " is not a format (text, json or markdown)");
    cl.format = *parsed.format;
  }

  std::vector<std::string> warnings;
  const Layer env = read_environment(environment, warnings);
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
      const Flag* f = find_flag(s.flag);
      if (!f || !f->setting) continue;
      try {
        set_setting(cfg, f->setting, s.value, s.origin);
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
  if (list.empty() && !from_file) list = default_collector_names();
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
    for (std::size_t i = 0; i < list.size(); ++i) cfg.origins["collectors[" + std::to_string(i) + "]"] = list_origins[i];
  }

  apply_targets_and_auth(cfg, env, flags, cl.config_file, errors);
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    throw ConfigError(all);
  }
  validate_config(cfg);
  if (auto web = effective(env, flags, "web.config.file")) {
    cl.web_config_file = web->value;
    cl.web = load_web_config_file(web->value);
  }
  return cl;
}

std::string usage_text() {
  std::ostringstream out;
  out << "nats-exporter: a Prometheus exporter for NATS servers.\n"
         "\n"
         "Usage:\n"
         "  nats-exporter [flags]                 run the exporter\n"
         "  nats-exporter check-config [flags]    check the configuration, exit 0 (good) or 2 (bad)\n"
         "  nats-exporter doctor [flags] [--format=text|json|markdown]\n"
         "                                        the latency doctor: collect from the targets (twice,\n"
         "                                        --doctor.interval apart), print the findings; exit 0 (no\n"
         "                                        finding), 1 (warnings) or 2 (critical findings or an\n"
         "                                        unreachable target)\n"
         "  nats-exporter --help | -h             show this help\n"
         "  nats-exporter --version               show the version\n"
         "\n"
         "Flags (--name=value or --name value):\n";
  for (const auto& f : kFlags) {
    out << "  --" << f.name;
    if (f.kind != Kind::kBool) out << "=" << f.value;
    out << "\n      " << f.help << "\n      default: " << default_of(f) << "; environment: " << env_name(f.name);
    if (f.kind == Kind::kRepeated) out << " (several URLs separated by spaces)";
    out << "\n";
  }
  out << "  --collector.NAME, --no-collector.NAME\n"
         "      Turn one collector on or off, on top of the list from the file, --collectors or the default.\n"
         "      NAME is one of: "
      << known_collectors()
      << ".\n"
         "      environment: NATS_EXPORTER_COLLECTOR_NAME=true|false\n"
         "\n"
         "The --nats.user/password/token and --nats.*-file flags apply to every target that has no\n"
         "credentials (or no TLS settings) of its own: the --nats.url targets, or the config file's.\n"
         "\n"
         "Environment: every flag can be set as NATS_EXPORTER_<NAME>, NAME being the flag name in upper\n"
         "case with dots and dashes as underscores: --nats.password is NATS_EXPORTER_NATS_PASSWORD,\n"
         "--scrape.timeout is NATS_EXPORTER_SCRAPE_TIMEOUT. Empty variables are ignored; unknown\n"
         "NATS_EXPORTER_* variables are reported as warnings. Precedence: built-in defaults < config\n"
         "file < environment < flags.\n"
         "\n"
         "doctor: the report goes to stdout. A configuration error also exits 2, but prints its message\n"
         "to stderr and no report: check for a report (or use --format=json and parse it) to tell them\n"
         "apart. With probes in the config, they run during --doctor.interval and are judged too. The\n"
         "thresholds are in the doctor: section (config/examples/doctor.yaml); the running exporter\n"
         "serves the same report on /doctor and nats_doctor_finding{check,severity} on /metrics.\n"
         "\n"
         "Durations are written like 500ms, 10s, 1m30s, 2h; sizes as bytes or with KB, MB, GB, KiB, MiB,\n"
         "GiB. Example config: config/examples/full.yaml.\n";
  return out.str();
}

}  // namespace natsexp
