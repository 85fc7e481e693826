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

// For a row whose upper bound is a cross-field rule of validate_config.
constexpr long long kNoLimit = std::numeric_limits<long long>::max();
constexpr long long kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute;

Setting row(const char* key, const char* flag, SettingType type) {
  Setting s;
  s.key = key, s.flag = flag, s.type = type;
  return s;
}

Setting text_row(const char* key, const char* flag, std::string& (*field)(Config&), const char* placeholder,
                 const char* help) {
  Setting s = row(key, flag, SettingType::text);
  s.text = field, s.placeholder = placeholder, s.help = help;
  return s;
}
Setting choice_row(const char* key, const char* flag, std::string& (*field)(Config&), std::vector<std::string> choices,
                   const char* placeholder, const char* help) {
  Setting s = text_row(key, flag, field, placeholder, help);
  s.type = SettingType::choice, s.choices = std::move(choices);
  return s;
}
Setting count_row(const char* key, const char* flag, std::size_t& (*field)(Config&), long long lo, long long hi,
                  const char* help) {
  Setting s = row(key, flag, SettingType::count);
  s.number = field, s.lo = lo, s.hi = hi, s.placeholder = "N", s.help = help;
  return s;
}
Setting size_row(const char* key, const char* flag, std::size_t& (*field)(Config&), long long lo, long long hi,
                 const char* help) {
  Setting s = count_row(key, flag, field, lo, hi, help);
  s.type = SettingType::size, s.placeholder = "SIZE";
  return s;
}
// lo_open: the duration must be > lo (a zero timeout makes no sense), else >= lo.
Setting duration_row(const char* key, const char* flag, milliseconds& (*field)(Config&), long long lo, bool lo_open,
                     long long hi, const char* help) {
  Setting s = row(key, flag, SettingType::duration);
  s.duration = field, s.lo = lo, s.lo_open = lo_open, s.hi = hi, s.placeholder = "DURATION", s.help = help;
  return s;
}
Setting flag_row(const char* flag, SettingType type, const char* placeholder, const char* default_text,
                 const char* help) {
  Setting s = row(nullptr, flag, type);
  s.placeholder = placeholder, s.default_text = default_text, s.help = help;
  return s;
}

std::vector<Setting> make_settings() {
  using T = SettingType;
  return {
      flag_row("config.file", T::flag, "FILE", "none", "YAML configuration file (see config/examples/full.yaml)."),
      flag_row("web.config.file", T::flag, "FILE", "none",
               "TLS and basic auth for this endpoint, exporter-toolkit format (tls_server_config, basic_auth_users)."),
      text_row(
          "web.listen_address", "web.listen-address", [](Config & c) -> auto& { return c.listen_address; }, "ADDR",
          "Address to serve metrics on: host:port or :port."),
      text_row(
          "web.metrics_path", "web.telemetry-path", [](Config & c) -> auto& { return c.metrics_path; }, "PATH",
          "Path of the metrics page."),
      count_row(
          "web.max_threads", "web.max-threads", [](Config & c) -> auto& { return c.web_max_threads; }, 1, 256,
          "HTTP worker threads (1..256); they run handlers only, connections do not hold them."),
      duration_row(
          "web.read_timeout", "web.read-timeout", [](Config & c) -> auto& { return c.web_read_timeout; }, 0, true,
          kHour, "Timeout to read a request's head and body, from the connection (or its first byte)."),
      duration_row(
          "web.write_timeout", "web.write-timeout", [](Config & c) -> auto& { return c.web_write_timeout; }, 0, true,
          kHour, "Timeout to write a response."),
      size_row(
          "web.max_request_bytes", "web.max-request-bytes", [](Config & c) -> auto& { return c.web_max_request_bytes; },
          1024, 64 << 20, "Largest request body accepted (Content-Length or chunked); larger ones get 413 unread."),
      size_row(
          "web.max_header_bytes", "web.max-header-bytes", [](Config & c) -> auto& { return c.web_max_header_bytes; },
          1024, 1 << 20, "Largest request line and headers (1KiB..1MiB; at most 100 header lines); beyond, 431."),
      count_row(
          "web.max_connections", "web.max-connections", [](Config & c) -> auto& { return c.web_max_connections; }, 1,
          65536,
          "Open connections to this endpoint (1..65536). At the cap, the one waiting longest without a\n"
          "      request is closed; if all hold requests in progress, new ones are refused (503 over HTTP)."),
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
      duration_row(
          "scrape.timeout", "scrape.timeout", [](Config & c) -> auto& { return c.scrape_timeout; }, 0, true,
          5 * kMinute, "Upper bound of one scrape (> 0, <= 5m)."),
      duration_row(
          "scrape.timeout_offset", "scrape.timeout-offset", [](Config & c) -> auto& { return c.scrape_timeout_offset; },
          0, false, kNoLimit, "Subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds."),
      size_row(
          "scrape.max_response_bytes", "scrape.max-response-bytes",
          [](Config & c) -> auto& { return c.max_response_bytes; }, 1024, 1 << 30,
          "Largest monitoring response read (bytes, or KB/MB/GB/KiB/MiB/GiB)."),
      count_row(
          "connz.top_n", "connz.top-n", [](Config & c) -> auto& { return c.connz_top_n; }, 0, 1000,
          "Per-connection series for the top N connections (0..1000)."),
      duration_row(
          "connz.full_read_interval", "connz.full-read-interval",
          [](Config & c) -> auto& { return c.connz_full_read_interval; }, 0, false, 24 * kHour,
          "At most how often every connection is read in full (doctor, RTT on 2.9); 0s: every scrape."),
      choice_row(
          "log.level", "log.level", [](Config & c) -> auto& { return c.log_level; }, {"debug", "info", "warn", "error"},
          "LEVEL", "debug, info, warn or error."),
      duration_row(
          "doctor.interval", "doctor.interval", [](Config & c) -> auto& { return c.doctor.interval; }, 0, false, kHour,
          "doctor: time between its two collections, for the growth checks (0s: collect once; <= 1h)."),
  };
}

std::string format_bytes_range(long long lo, long long hi) {
  return format_size(static_cast<std::size_t>(lo)) + ".." + format_size(static_cast<std::size_t>(hi));
}

std::string listen_address_problem(const std::string& addr) {
  std::string why;
  if (addr.find(':') == std::string::npos) return quote(addr) + " is not host:port or :port";
  auto hp = split_host_port(addr, &why);
  if (!hp)
    return quote(addr) + " " + (why == "has an invalid port" ? why + " (1..65535)" : "is not host:port or :port");
  if (hp->port.empty()) return quote(addr) + " is not host:port or :port";
  return "";
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

const Setting* find_setting_by_key(const std::string& key) {
  for (const auto& s : settings())
    if (s.key && key == s.key) return &s;
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
  if (s.text) return s.text(d);
  if (s.duration) return format_duration(s.duration(d));
  if (s.number) return s.type == SettingType::size ? format_size(s.number(d)) : std::to_string(s.number(d));
  return "none";
}

void set_setting(Config& c, const std::string& key, const std::string& value, const std::string& origin) {
  auto fail = [&](const std::string& problem) { throw ConfigError(origin + ": " + key + ": " + problem); };
  const Setting* s = find_setting_by_key(key);
  if (!s) fail("unknown setting");
  try {
    switch (s->type) {
      case SettingType::text: s->text(c) = value; break;
      case SettingType::choice: s->text(c) = strings::lower(strings::trim(value)); break;
      case SettingType::duration: s->duration(c) = parse_duration(value); break;
      case SettingType::size: s->number(c) = parse_size(value); break;
      case SettingType::count: {
        std::string t = strings::trim(value);
        if (!t.empty() && t[0] == '+') t.erase(0, 1);
        std::uint64_t v = 0;
        auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec == std::errc::result_out_of_range ||
            (ec == std::errc() && v > std::numeric_limits<std::uint32_t>::max()))
          fail(quote(value) + " is too large");
        if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
          fail("expected a non-negative integer, got " + (t.empty() ? std::string("nothing") : quote(value)));
        s->number(c) = static_cast<std::size_t>(v);
        break;
      }
      default: fail("unknown setting");
    }
  } catch (const std::invalid_argument& e) {
    fail(quote(value) + (s->type == SettingType::size ? " is not a valid size: " : " is not a valid duration: ") +
         e.what());
  }
  c.origins[key] = origin;
}

std::vector<std::string> check_settings(const Config& config) {
  std::vector<std::string> problems;
  Config& c = const_cast<Config&>(config);  // the field accessors are shared with set_setting; only read here
  for (const auto& s : settings()) {
    if (!s.key) continue;
    std::string why;
    if (s.type == SettingType::count || s.type == SettingType::size) {
      const auto v = static_cast<long long>(s.number(c));
      if (v < s.lo || v > s.hi)
        why = std::to_string(v) + " is out of range (" +
              (s.type == SettingType::size ? format_bytes_range(s.lo, s.hi)
                                           : std::to_string(s.lo) + ".." + std::to_string(s.hi)) +
              ")";
    } else if (s.type == SettingType::duration) {
      const long long v = s.duration(c).count();
      if (v < s.lo || v > s.hi || (s.lo_open && v == s.lo))
        why = quote(format_duration(s.duration(c))) + " is out of range (" +
              (s.lo_open ? "must be > " + format_duration(milliseconds(s.lo)) + " and <= "
                         : format_duration(milliseconds(s.lo)) + "..") +
              format_duration(milliseconds(s.hi)) + ")";
    } else if (s.type == SettingType::choice) {
      const std::string& v = s.text(c);
      std::string what = s.key;
      std::replace(what.begin(), what.end(), '.', ' ');
      if (std::find(s.choices.begin(), s.choices.end(), v) == s.choices.end())
        why = quote(v) + " is not a " + what + " (" + strings::join(s.choices, ", ") + ")" +
              strings::did_you_mean(v, s.choices);
    } else if (std::string(s.key) == "web.listen_address") {
      why = listen_address_problem(s.text(c));
    } else if (std::string(s.key) == "web.metrics_path") {
      const std::string& p = s.text(c);
      if (p.empty() || p[0] != '/' || p.find_first_of(" \t\r\n?#") != std::string::npos)
        why = quote(p) + " must be a path starting with /";
    }
    if (!why.empty()) problems.push_back(origin_of(config, s.key) + ": " + s.key + ": " + why);
  }
  return problems;
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
