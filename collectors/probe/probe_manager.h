// All configured probes: starts them on their own threads, stops them, and contributes their
// metrics to every scrape from snapshots (no network at scrape time).
#pragma once

#include <memory>
#include <vector>

#include "collectors/probe/probe.h"
#include "collectors/probe/snapshot.h"
#include "collectors/scrape_contributor.h"
#include "config/probe_config.h"

namespace natsexp::probe {

class ProbeManager : public ScrapeContributor {
 public:
  explicit ProbeManager(const std::vector<ProbeConfig>& probes);
  ~ProbeManager() override;
  ProbeManager(const ProbeManager&) = delete;
  ProbeManager& operator=(const ProbeManager&) = delete;

  // Starts every probe's thread; returns at once (connections are made on those threads).
  void start();
  // Drains and closes every connection and joins the threads, all probes in parallel (a few seconds
  // at most). Idempotent.
  void stop();

  void contribute(MetricSet& out) override;
  std::vector<ProbeSnapshot> snapshots() const;
  std::size_t size() const { return probes_.size(); }

 private:
  std::vector<std::unique_ptr<Probe>> probes_;
};

}  // namespace natsexp::probe
