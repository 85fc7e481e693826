// Reload (SIGHUP, POST /-/reload) and the probes' lifecycle.
//
// A reload re-reads the command line, the environment, --config.file and --web.config.file. A
// valid result takes effect at once: the scraper gets the new targets and collectors, the web
// security its users and certificate, and each probe whose settings changed is restarted (new
// probes start, removed ones stop, unchanged ones keep running and keep their histograms). An
// invalid result changes nothing; the reason is logged and returned.
//
// Self-metrics: nats_exporter_config_last_reload_successful,
// nats_exporter_config_last_reload_success_timestamp_seconds (start counts as a successful load),
// nats_exporter_config_reloads_total{result}.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/probe/snapshot.h"
#include "config/probe_config.h"
#include "exporter/scrape.h"

namespace natsexp {

class WebSecurity;
namespace probe {
class ProbeManager;
}

// Whether two probe configs describe the same probe (every setting but the origin line).
bool same_probe_config(const ProbeConfig& a, const ProbeConfig& b);

class Reloader : public ScrapeContributor {
 public:
  // `args` are the process's arguments, read again at each reload. `security` may be null.
  Reloader(std::vector<std::string> args, Scraper& scraper, std::shared_ptr<WebSecurity> security,
           const std::vector<ProbeConfig>& probes);
  ~Reloader() override;
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // Starts the probes given at construction.
  void start();
  // Re-reads the configuration; returns "" on success, else why it failed. One at a time.
  // `trigger` ("SIGHUP", "POST /-/reload") is logged.
  std::string reload(const std::string& trigger);
  // Drains and closes every probe connection (shutdown). Idempotent.
  void stop();

  // Called with each successfully reloaded config before the scraper gets it (the observations
  // apply their new list there). Set before the first reload.
  void set_reload_listener(std::function<void(const Config&)> listener) { listener_ = std::move(listener); }

  // The probes' latest snapshots (for the doctor).
  std::vector<probe::ProbeSnapshot> probe_snapshots() const;

  void contribute(MetricSet& out) override;

 private:
  struct RunningProbe {
    ProbeConfig config;
    std::shared_ptr<probe::ProbeManager> manager;  // one probe each, so probes restart one by one
  };

  const std::vector<std::string> args_;
  Scraper& scraper_;
  std::shared_ptr<WebSecurity> security_;

  std::function<void(const Config&)> listener_;
  std::mutex reload_mutex_;  // one reload at a time
  mutable std::mutex probes_mutex_;
  std::vector<RunningProbe> probes_;
  bool stopped_ = false;

  std::atomic<bool> last_successful_{true};
  std::atomic<double> last_success_time_{0};
  std::atomic<std::uint64_t> successes_{0};
  std::atomic<std::uint64_t> failures_{0};
};

}  // namespace natsexp
