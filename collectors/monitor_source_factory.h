// Makes the MonitorSource a run (a scrape, a /doctor report) reads one HTTP target through. The
// scrape and /doctor share one factory, so the page reuses the scrape's connections.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "collectors/collector.h"
#include "collectors/monitor_client.h"
#include "config/config.h"

namespace natsexp {

// The run calls cancel() on a source past its deadline. The default (HttpSourceFactory) keeps
// each target's HTTP connections across runs; tests hand in sources without I/O.
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

}  // namespace natsexp
