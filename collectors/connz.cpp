#include "collectors/connz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_connz(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_connz_collector() {
  return std::make_unique<SingleEndpointCollector>("connz", "/connz", translate_connz);
}

}  // namespace natsexp
