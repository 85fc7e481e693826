#include "collectors/leafz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_leafz(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_leafz_collector() {
  return std::make_unique<SingleEndpointCollector>("leafz", "/leafz", translate_leafz);
}

}  // namespace natsexp
