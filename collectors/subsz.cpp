#include "collectors/subsz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_subsz(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_subsz_collector() {
  return std::make_unique<SingleEndpointCollector>("subsz", "/subsz", translate_subsz);
}

}  // namespace natsexp
