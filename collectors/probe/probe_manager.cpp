#include "collectors/probe/probe_manager.h"

#include <thread>

namespace natsexp::probe {

ProbeManager::ProbeManager(const std::vector<ProbeConfig>& probes) {
  probes_.reserve(probes.size());
  for (const auto& p : probes) probes_.push_back(std::make_unique<Probe>(p));
}

ProbeManager::~ProbeManager() { stop(); }

void ProbeManager::start() {
  for (auto& p : probes_) p->start();
}

void ProbeManager::stop() {
  // Each stop can wait for a drain; do them side by side so shutdown stays short.
  std::vector<std::thread> stoppers;
  stoppers.reserve(probes_.size());
  for (auto& p : probes_) stoppers.emplace_back([&p] { p->stop(); });
  for (auto& t : stoppers) t.join();
}

std::vector<ProbeSnapshot> ProbeManager::snapshots() const {
  std::vector<ProbeSnapshot> out;
  out.reserve(probes_.size());
  for (const auto& p : probes_) out.push_back(p->snapshot());
  return out;
}

void ProbeManager::contribute(MetricSet& out) { add_probe_metrics(snapshots(), out); }

}  // namespace natsexp::probe
