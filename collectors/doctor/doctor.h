// The latency doctor's engine: gathers evidence, runs the checks against the previous evaluation,
// and keeps the baselines. Its findings reach users as metrics (doctor_collector.h, and the
// contributor side below), as a report (doctor_command.h) and as a page (exporter/http_server.cpp).
//
// Where it runs:
// - /metrics: the collector named `doctor` (doctor_collector.h; on by default,
//   `--no-collector.doctor` turns it off) runs inside the scrape like every collector, with the scrape's MonitorSource
//   and deadline, so it shares that scrape's /varz, /subsz and /jsz fetches and does no I/O outside a scrape. Its own
//   reads are /connz?subs=detail (paged) and the latest closed connections. The probe checks come
//   from the Doctor's ScrapeContributor side (probe snapshots, no I/O).
// - /doctor and the CLI: Doctor::run gathers from every HTTP target and every server the system
//   account discovers, in parallel under the scrape timeout, through the Sources it was given: the
//   page shares the scrape's (its HTTP connections, its system-account connection, its full reads
//   of connections); the CLI makes its own.
// The growth checks compare with the previous evaluation of the same channel: scrapes compare with
// the previous scrape, /doctor with the previous /doctor load, the CLI with its first collection.
// So opening /doctor never hides a rise from the alerting metrics.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/single_flight.h"
#include "collectors/doctor/checks.h"
#include "collectors/doctor/evidence.h"
#include "collectors/doctor/observation_checks.h"
#include "collectors/doctor/report.h"
#include "collectors/monitor_source_factory.h"
#include "collectors/probe/snapshot.h"
#include "collectors/scrape_contributor.h"
#include "collectors/system_account/source.h"
#include "collectors/targets.h"
#include "config/config.h"

namespace natsexp::doctor {

// Seconds on the monotonic clock, the time base of baselines.
double monotonic_seconds();

// Adds nats_doctor_finding{check,severity} and nats_doctor_check_skipped{check} for `results`.
void add_finding_metrics(const std::vector<CheckResult>& results, MetricSet& out);

class Doctor : public ScrapeContributor {
 public:
  enum class Channel { scrape, page };

  // What run() reads the servers through. Each member may be null: an HttpSourceFactory and a
  // system-account SourceKeeper of the Doctor's own (the CLI's case), and no full reads to share.
  struct Sources {
    std::shared_ptr<MonitorSourceFactory> http;
    std::shared_ptr<system_account::SourceKeeper> system_account;
    // A target's full read of its connections (the scrape's), so opening the page does not read
    // every connection again; null (or a null result): each run reads afresh.
    std::function<std::shared_ptr<FullConnzCache>(const TargetKey&)> full_connz;
  };

  // A Doctor with a fixed config.
  explicit Doctor(std::shared_ptr<const Config> config, Sources sources = {});
  // A Doctor that asks `config_source` for the current config at each evaluation, so it follows
  // reloads (main passes the scraper's, and the scraper's sources).
  explicit Doctor(std::function<std::shared_ptr<const Config>()> config_source, Sources sources = {});

  std::shared_ptr<const Config> config() const;
  // Where the probe checks get the probes' snapshots; without one, they are skipped.
  void set_probe_source(std::function<std::vector<probe::ProbeSnapshot>()> source);

  // Where the observation checks get the observations' snapshots; without one, they are skipped.
  void set_observation_source(std::function<std::vector<observations::ObservationSnapshot>()> source);

  // One server's checks, compared with the previous evaluation of the same server (server_id) in
  // `channel`, which this evaluation then replaces.
  std::vector<CheckResult> evaluate_server(const ServerEvidence& evidence, double at, Channel channel);
  // The probe checks, likewise.
  std::vector<CheckResult> evaluate_probes(double at, Channel channel);

  // The observation checks, likewise.
  std::vector<CheckResult> evaluate_observations(double at, Channel channel);

  // ScrapeContributor: the probe and observation checks (scrape channel) and nats_doctor_checks_evaluated_total.
  void contribute(MetricSet& out) override;

  // Gathers every HTTP target of `config` and every server its system account discovers, in
  // parallel (under the scrape timeout), evaluates everything in `channel` and returns the report.
  // A server reached both ways is in it once (collectors/targets.h: reached_twice). With several
  // targets, missing-queue-group is judged over all of them together (instances spread over a
  // cluster's nodes). Concurrent calls share one run.
  Report run(const Config& config, Channel channel = Channel::page);

  std::uint64_t checks_evaluated() const { return evaluated_.load(); }

 private:
  struct History {
    std::map<std::string, ServerBaseline> servers;  // by server_id
    std::optional<ProbeBaseline> probes;
    std::optional<observations::ObservationBaseline> observations;
  };
  // The connection checks' results (is_connection_check) of one server and target, kept with what
  // they were computed from. Both channels use it: the results depend on no baseline.
  struct ConnectionResults {
    // Not held (a stale full read is freed as soon as the cache lets it go): while it lives, its
    // address is the key.
    std::weak_ptr<const std::vector<ConnectionEvidence>> connections;
    std::shared_ptr<const Config> config;        // likewise
    std::string inputs;                          // connection_check_inputs()
    std::map<std::string, CheckResult> results;  // by check id
    double used_at = 0;
  };
  History& history(Channel channel) { return channel == Channel::scrape ? scrape_ : page_; }
  void count(const std::vector<CheckResult>& results);
  // What `source` (a member set under probe_mutex_) returns now; empty without one.
  template <typename T>
  std::vector<T> snapshots(const std::function<std::vector<T>()>& source) const;
  Report run_once(const Config& config, Channel channel);

  const std::function<std::shared_ptr<const Config>()> config_source_;
  mutable std::mutex probe_mutex_;
  std::function<std::vector<probe::ProbeSnapshot>()> probe_source_;                     // under probe_mutex_
  std::function<std::vector<observations::ObservationSnapshot>()> observation_source_;  // under probe_mutex_
  const Sources sources_;  // http and system_account set by the constructor

  std::mutex history_mutex_;
  History scrape_, page_;
  std::map<std::pair<std::string, std::string>, ConnectionResults> connection_results_;  // by (server_id, target)

  SingleFlight<Report> running_;

  std::atomic<std::uint64_t> evaluated_{0};
};

}  // namespace natsexp::doctor
