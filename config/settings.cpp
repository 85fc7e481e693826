// The rows of the main config's scalar settings and flags. See config/settings.h.
#include "config/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

#include "base/address.h"
#include "base/duration.h"
#include "base/size.h"
#include "base/text.h"
#include "config/reader.h"

namespace natsexp {

namespace {

using std::chrono::milliseconds;
using strings::quote;

constexpr double kMinute = 60 * 1000.0, kHour = 60 * kMinute;

using T = RowType;

std::string metrics_path_problem(const std::string& p) {
  if (p.empty() || p[0] != '/' || p.find_first_of(" \t\r\n?#") != std::string::npos)
    return quote(p) + " must be a path starting with /";
  return "";
}

// A row of Config with its flag (the environment variable derives from it) and its help.
template <typename F>
Setting setting(const char* key, T type, F field, const char* flag, const char* help, double lo = 0, double hi = 0,
                bool lo_open = false) {
  Setting s = row<Config>(key, type, field, lo, hi, lo_open);
  s.flag = flag, s.help = help;
  return s;
}
// A flag the command line handles itself.
Setting flag_row(const char* flag, T type, const char* placeholder, const char* default_text, const char* help) {
  Setting s;
  s.flag = flag, s.type = type, s.placeholder = placeholder, s.default_text = default_text, s.help = help;
  return s;
}

std::vector<Setting> make_settings() {
  Setting listen = setting("web.listen_address", T::text, NATSEXP_FIELD(listen_address), "web.listen-address",
                           "Address to serve metrics on: host:port or :port.");
  listen.placeholder = "ADDR", listen.check = [](const std::string& a) -> std::string {
    std::string why;
    return parse_listen_address(a, &why) ? "" : why;
  };
  Setting path = setting("web.metrics_path", T::text, NATSEXP_FIELD(metrics_path), "web.telemetry-path",
                         "Path of the metrics page.");
  path.placeholder = "PATH", path.check = metrics_path_problem;
  Setting level = setting("log.level", T::choice, NATSEXP_FIELD(log_level), "log.level", "debug, info, warn or error.");
  level.choices = {"debug", "info", "warn", "error"}, level.placeholder = "LEVEL";
  return {
      flag_row("config.file", T::flag, "FILE", "none", "YAML configuration file (see config/examples/full.yaml)."),
      flag_row("web.config.file", T::flag, "FILE", "none",
               "TLS and basic auth for this endpoint, exporter-toolkit format (tls_server_config, basic_auth_users)."),
      listen,
      path,
      setting("web.max_threads", T::count, NATSEXP_FIELD(web_max_threads), "web.max-threads",
              "HTTP worker threads (1..256); they run handlers only, connections do not hold them.", 1, 256),
      setting("web.read_timeout", T::duration, NATSEXP_FIELD(web_read_timeout), "web.read-timeout",
              "Timeout to read a request's head and body, from the connection (or its first byte).", 0, kHour, true),
      setting("web.write_timeout", T::duration, NATSEXP_FIELD(web_write_timeout), "web.write-timeout",
              "Timeout to write a response.", 0, kHour, true),
      setting("web.max_request_bytes", T::size, NATSEXP_FIELD(web_max_request_bytes), "web.max-request-bytes",
              "Largest request body accepted (Content-Length or chunked); larger ones get 413 unread.", 1024, 64 << 20),
      setting("web.max_header_bytes", T::size, NATSEXP_FIELD(web_max_header_bytes), "web.max-header-bytes",
              "Largest request line and headers (1KiB..1MiB; at most 100 header lines); beyond, 431.", 1024, 1 << 20),
      setting("web.max_connections", T::count, NATSEXP_FIELD(web_max_connections), "web.max-connections",
              "Open connections to this endpoint (1..65536). At the cap, the one waiting longest without a\n"
              "      request is closed; if all hold requests in progress, new ones are refused (503 over HTTP).",
              1, 65536),
      flag_row("nats.url", T::repeated, "URL",
               "http://127.0.0.1:8222 when neither --config.file nor --nats.url is given",
               "Monitoring URL of a NATS server (http:// or https://). Repeat for several servers. Replaces the\n"
               "      targets of the config file. user:pass@ in the URL is used as basic auth."),
      flag_row("nats.user", T::flag, "USER", "none", "Basic auth user for the monitoring port."),
      flag_row("nats.password", T::flag, "PASSWORD", "none", "Basic auth password (prefer --nats.password-file)."),
      flag_row("nats.password-file", T::flag, "FILE", "none", "File holding the basic auth password."),
      flag_row("nats.token", T::flag, "TOKEN", "none",
               "Bearer token for the monitoring port (prefer --nats.token-file)."),
      flag_row("nats.token-file", T::flag, "FILE", "none", "File holding the bearer token."),
      flag_row("nats.ca-file", T::flag, "FILE", "none", "CA certificates to verify an https:// monitoring port."),
      flag_row("nats.cert-file", T::flag, "FILE", "none", "Client certificate (with --nats.key-file)."),
      flag_row("nats.key-file", T::flag, "FILE", "none", "Client private key (with --nats.cert-file)."),
      flag_row("nats.insecure-skip-verify", T::switch_, "", "false", "Do not verify the server's certificate."),
      flag_row("collectors", T::flag, "LIST", nullptr, "Comma-separated collectors to enable; replaces the list."),
      setting("scrape.timeout", T::duration, NATSEXP_FIELD(scrape_timeout), "scrape.timeout",
              "Upper bound of one scrape (> 0, <= 5m).", 0, 5 * kMinute, true),
      setting("scrape.timeout_offset", T::duration, NATSEXP_FIELD(scrape_timeout_offset), "scrape.timeout-offset",
              "Subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds.", 0, 5 * kMinute),
      setting("scrape.max_response_bytes", T::size, NATSEXP_FIELD(max_response_bytes), "scrape.max-response-bytes",
              "Largest monitoring response read (bytes, or KB/MB/GB/KiB/MiB/GiB).", 1024, 1 << 30),
      setting("connz.top_n", T::count, NATSEXP_FIELD(connz_top_n), "connz.top-n",
              "Per-connection series for the top N connections (0..1000).", 0, 1000),
      setting(
          "connz.full_read_interval", T::duration, NATSEXP_FIELD(connz_full_read_interval), "connz.full-read-interval",
          "At most how often every connection is read in full (doctor, RTT on 2.9); 0s: every scrape.", 0, 24 * kHour),
      level,
      setting("doctor.interval", T::duration, NATSEXP_FIELD(doctor.interval), "doctor.interval",
              "doctor: time between its two collections, for the growth checks (0s: collect once; <= 1h).", 0, kHour),
  };
}

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> rows = make_settings();
  return rows;
}

const Setting* find_setting_by_flag(const std::string& flag) {
  for (const auto& s : settings())
    if (s.flag && flag == s.flag) return &s;
  return nullptr;
}

std::string environment_name(const std::string& flag) {
  std::string out = "NATS_EXPORTER_";
  for (char ch : flag)
    out += (ch == '.' || ch == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string setting_default(const Setting& s) {
  if (s.default_text) return s.default_text;
  Config d;
  const FieldRef v = s.ref(d);
  if (auto* text = std::get_if<std::string*>(&v)) return **text;
  if (auto* ms = std::get_if<milliseconds*>(&v)) return format_duration(**ms);
  if (auto* n = std::get_if<std::size_t*>(&v)) return s.type == T::size ? format_size(**n) : std::to_string(**n);
  return "none";
}

std::string flag_placeholder(const Setting& s) {
  if (*s.placeholder || s.type == T::switch_) return s.placeholder;
  return s.type == T::count ? "N" : s.type == T::size ? "SIZE" : s.type == T::duration ? "DURATION" : "VALUE";
}

std::string origin_of(const Config& c, std::string path) {
  for (;;) {
    auto it = c.origins.find(path);
    if (it != c.origins.end()) return it->second;
    const std::size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) break;
    path.erase(cut);
  }
  return c.source.empty() ? "config" : c.source;
}

}  // namespace natsexp
