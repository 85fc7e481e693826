// One scrape: every enabled collector of every target, in parallel, under one deadline; then the
// self-metrics. Concurrent callers share the collection in flight (single flight).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/single_flight.h"
#include "collectors/collector.h"
#include "collectors/connz_full_read.h"
#include "collectors/monitor_client.h"
#include "collectors/scrape_contributor.h"
#include "collectors/system_account/source.h"
#include "config/config.h"
#include "exporter/worker_pool.h"

namespace natsexp {

// The deadline of a scrape: the configured timeout, or Prometheus' own timeout (from the
// X-Prometheus-Scrape-Timeout-Seconds header) minus the offset when that is shorter.
std::chrono::milliseconds scrape_budget(const Config& config, std::optional<double> prometheus_timeout_seconds);

// Makes the MonitorSource a scrape reads one target through. The scrape calls cancel() on it past
// the deadline. The default (HttpMonitorSources) keeps each target's HTTP connections across
// scrapes; tests hand in sources without I/O.
class MonitorSourceFactory {
 public:
  virtual ~MonitorSourceFactory() = default;
  // Throws FetchError when the target cannot be read at all (a bad URL).
  virtual std::unique_ptr<MonitorSource> make(const TargetConfig& target, Clock::time_point deadline,
                                              const Config& config) = 0;
  // Called once per collection with the config in use: forget what belongs to removed targets.
  virtual void keep_only(const Config&) {}
};

// HttpMonitorSources over connections kept per target, renewed when its endpoint, TLS or
// credentials change (a reload).
class HttpSourceFactory : public MonitorSourceFactory {
 public:
  std::unique_ptr<MonitorSource> make(const TargetConfig& target, Clock::time_point deadline,
                                      const Config& config) override;
  void keep_only(const Config& config) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<MonitorConnections>> connections_;  // by target name
};

class Scraper {
 public:
  // `collectors` makes each scrape's collectors (it holds the Doctor the `doctor` collector uses);
  // `sources` makes each target's MonitorSource (null: HttpSourceFactory).
  explicit Scraper(std::shared_ptr<const Config> config, CollectorFactory collectors = CollectorFactory(),
                   std::unique_ptr<MonitorSourceFactory> sources = nullptr);

  // Adds a contributor whose families join every collection from now on.
  void add_contributor(std::shared_ptr<ScrapeContributor> contributor);

  // Collects everything and returns the text exposition. A caller arriving while a collection is
  // running waits for it and gets the same body.
  std::shared_ptr<const std::string> scrape(std::optional<double> prometheus_timeout_seconds = std::nullopt);

  // One collection without single flight, ending by `deadline`.
  MetricSet collect(Clock::time_point deadline);

  // Swaps in a new config (reload). The next collection uses it.
  void set_config(std::shared_ptr<const Config> config);
  // The target's full read of every connection (kept across scrapes), or null before its first
  // scrape: /doctor shares it.
  std::shared_ptr<FullConnzCache> full_connz_of(const std::string& target_name);
  std::shared_ptr<const Config> config() const;

 private:
  ServerIdentity identity_for(const TargetConfig& target, const std::optional<ServerIdentity>& fresh);
  std::shared_ptr<FullConnzCache> full_connz_for(const TargetConfig& target, std::chrono::milliseconds interval);
  // The system-account source of this config (`system_account:`), kept across scrapes; null when
  // the section is absent. A reload that changes the config makes a new one.
  std::shared_ptr<system_account::SystemAccountSource> system_account_for(const Config& config);

  mutable std::mutex config_mutex_;
  std::shared_ptr<const Config> config_;
  const CollectorFactory collectors_;
  const std::unique_ptr<MonitorSourceFactory> sources_;

  SingleFlight<std::shared_ptr<const std::string>> in_flight_;

  // The identity a target had when it last answered /varz, so a target whose /varz fails this time
  // keeps its labels instead of churning series.
  std::mutex identity_mutex_;
  std::map<std::string, ServerIdentity> last_identity_;

  std::atomic<std::uint64_t> scrapes_{0};

  std::mutex full_connz_mutex_;
  std::map<std::string, std::shared_ptr<FullConnzCache>> full_connz_;  // by target name

  std::mutex system_account_mutex_;
  const Config* system_account_config_ = nullptr;
  std::shared_ptr<system_account::SystemAccountSource> system_account_;

  // Declared last: destroyed first, so no task outlives what it uses.
  WorkerPool pool_{16};

  std::mutex contributors_mutex_;
  std::vector<std::shared_ptr<ScrapeContributor>> contributors_;
};

}  // namespace natsexp
