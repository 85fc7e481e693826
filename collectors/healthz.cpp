#include "collectors/healthz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_healthz(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_healthz_collector() {
  return std::make_unique<SingleEndpointCollector>("healthz", "/healthz", translate_healthz);
}

}  // namespace natsexp
