#include "collectors/gatewayz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_gatewayz(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_gatewayz_collector() {
  return std::make_unique<SingleEndpointCollector>("gatewayz", "/gatewayz", translate_gatewayz);
}

}  // namespace natsexp
