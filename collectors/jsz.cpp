#include "collectors/jsz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_jsz(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_jsz_collector() {
  return std::make_unique<SingleEndpointCollector>("jsz", "/jsz", translate_jsz);
}

}  // namespace natsexp
