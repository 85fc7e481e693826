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
#include "collectors/monitor_source_factory.h"
#include "collectors/scrape_contributor.h"
#include "collectors/system_account/source.h"
#include "collectors/targets.h"
#include "config/config.h"
#include "exporter/worker_pool.h"

namespace natsexp {

// The deadline of a scrape: the configured timeout, or Prometheus' own timeout (from the
// X-Prometheus-Scrape-Timeout-Seconds header) minus the offset when that is shorter.
std::chrono::milliseconds scrape_budget(const Config& config, std::optional<double> prometheus_timeout_seconds);

class Scraper {
 public:
  // `collectors` makes each scrape's collectors (it holds the Doctor the `doctor` collector uses);
  // `sources` makes each HTTP target's MonitorSource (null: an HttpSourceFactory of its own);
  // `system_account` holds the system-account source (null: one of its own). /doctor shares both.
  explicit Scraper(std::shared_ptr<const Config> config, CollectorFactory collectors = CollectorFactory(),
                   std::shared_ptr<MonitorSourceFactory> sources = nullptr,
                   std::shared_ptr<system_account::SourceKeeper> system_account = nullptr);

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
  std::shared_ptr<FullConnzCache> full_connz_of(const TargetKey& target) const;
  std::shared_ptr<const Config> config() const;

 private:
  // The target's labels: from this scrape (`fresh`), else from when it last answered, else its
  // name alone (`*known` false then).
  ServerIdentity identity_for(const TargetKey& key, const std::optional<ServerIdentity>& fresh, bool* known);

  mutable std::mutex config_mutex_;
  std::shared_ptr<const Config> config_;
  const CollectorFactory collectors_;
  const std::shared_ptr<MonitorSourceFactory> sources_;
  const std::shared_ptr<system_account::SourceKeeper> system_account_;

  SingleFlight<std::shared_ptr<const std::string>> in_flight_;

  // The identity a target had when it last answered /varz (or discovery), so a target whose /varz
  // fails this time keeps its labels instead of churning series.
  std::mutex identity_mutex_;
  std::map<TargetKey, ServerIdentity> last_identity_;

  std::atomic<std::uint64_t> scrapes_{0};

  FullConnzCaches full_connz_;

  // Declared last: destroyed first, so no task outlives what it uses.
  WorkerPool pool_{16};

  std::mutex contributors_mutex_;
  std::vector<std::shared_ptr<ScrapeContributor>> contributors_;
};

}  // namespace natsexp
