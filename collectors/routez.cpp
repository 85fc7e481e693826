#include "collectors/routez.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_routez(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_routez_collector() {
  return std::make_unique<SingleEndpointCollector>("routez", "/routez", translate_routez);
}

}  // namespace natsexp
