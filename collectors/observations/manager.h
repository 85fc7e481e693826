// All configured observations: starts them, applies a reloaded list (unchanged observations keep
// running and keep their histograms; changed ones restart; new ones start; removed ones stop), and
// contributes their metrics to every scrape from snapshots (no network at scrape time).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "collectors/observations/observation.h"
#include "collectors/observations/state.h"
#include "collectors/scrape_contributor.h"
#include "config/observation_config.h"

namespace natsexp::observations {

// Whether two configs describe the same observation (every setting but the origin line): apply()
// keeps such an observation running.
bool same_observation_config(const ObservationConfig& a, const ObservationConfig& b);

class ObservationManager : public ScrapeContributor {
 public:
  explicit ObservationManager(const std::vector<ObservationConfig>& configs);
  ~ObservationManager() override;
  ObservationManager(const ObservationManager&) = delete;
  ObservationManager& operator=(const ObservationManager&) = delete;

  // Starts every observation's thread; returns at once.
  void start();
  // Applies a reloaded list (see above); the stops happen outside the lock, side by side.
  void apply(const std::vector<ObservationConfig>& configs);
  // Closes every connection and joins the threads. Idempotent; apply() does nothing afterwards.
  void stop();

  void contribute(MetricSet& out) override;
  std::vector<ObservationSnapshot> snapshots() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Observation>> running_;
  bool started_ = false, stopped_ = false;
};

}  // namespace natsexp::observations
