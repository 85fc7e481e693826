// The exporter's configuration model: what the YAML file, the flags and the environment describe.
// Loading and validation live in config/load.h; this header is plain data.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/doctor_config.h"
#include "config/observation_config.h"
#include "config/probe_config.h"
#include "config/system_account_config.h"

namespace natsexp {

// One NATS server whose monitoring endpoints the exporter reads.
struct TargetConfig {
  std::string name;          // the `server` label of the self-metrics; defaults to host:port of the URL
  std::string url;           // e.g. http://127.0.0.1:8222, https://nats-0:8222 (no credentials in it)
  TlsClientConfig tls;       // for an https:// monitoring port
  std::string username;      // basic auth on the monitoring port
  std::string password;      // secret
  std::string bearer_token;  // secret
  std::map<std::string, std::string> labels;           // static labels added to every series of this target
  std::optional<std::vector<std::string>> collectors;  // overrides the global list for this target
};

struct Config {
  std::string source;  // the config file path, or "" when built from flags alone (for messages)

  std::string listen_address = ":7777";
  std::string metrics_path = "/metrics";
  std::size_t web_max_threads = 8;
  std::chrono::milliseconds web_read_timeout{10000};
  std::chrono::milliseconds web_write_timeout{10000};
  std::size_t web_max_request_bytes = 64 * 1024;  // request body, Content-Length or chunked
  std::size_t web_max_header_bytes = 16 * 1024;   // request line and headers (at most 100 header lines)
  std::size_t web_max_connections = 1024;         // open connections; beyond, new ones are refused

  std::chrono::milliseconds scrape_timeout{10000};       // upper bound of one scrape
  std::chrono::milliseconds scrape_timeout_offset{500};  // kept from Prometheus' own timeout header
  std::size_t max_response_bytes = 32 * 1024 * 1024;     // per monitoring response

  std::vector<std::string> collectors;  // enabled collectors (global)
  std::size_t connz_top_n = 10;
  // How often every connection is read in full (/connz with subs=detail, for the doctor and, on
  // 2.9, the top N by RTT); 0 = at every scrape.
  std::chrono::milliseconds connz_full_read_interval{120000};  // 2m: see docs/benchmarks.md

  std::string log_level = "info";

  std::vector<TargetConfig> targets;

  std::vector<ProbeConfig> probes;  // the client probes (`probes:`, see config/probe_config.h)

  // What the servers publish about real traffic (`observations:`, see config/observation_config.h).
  std::vector<ObservationConfig> observations;

  // Every server read over one NATS connection (`system_account:`, see config/system_account_config.h).
  SystemAccountConfig system_account;

  DoctorConfig doctor;  // the latency doctor's thresholds (`doctor:`, see config/doctor_config.h)

  // Where each setting came from, by key path ("scrape.timeout", "targets[0].url"): "file.yaml:12",
  // "flag --nats.url" or "environment NATS_EXPORTER_NATS_URL". Filled by the loaders, read by
  // validate_config for its messages; a path without an entry falls back to its parent's.
  std::map<std::string, std::string> origins;
  // Problems that do not stop the exporter (e.g. an unknown NATS_EXPORTER_* variable); main() logs them.
  std::vector<std::string> warnings;
};

// The collectors the exporter has (`known`) and those on when the config names none (`defaults`):
// passed in by the caller, since config/ depends on no collector.
struct CollectorCatalog {
  std::vector<std::string> known;
  std::vector<std::string> defaults;
};

// The collectors that are on for `target`.
inline const std::vector<std::string>& enabled_collectors(const Config& config, const TargetConfig& target) {
  return target.collectors ? *target.collectors : config.collectors;
}

}  // namespace natsexp
