#include "collectors/accstatz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_accstatz(const json&, MetricSet&) {}

std::unique_ptr<Collector> make_accstatz_collector() {
  return std::make_unique<SingleEndpointCollector>("accstatz", "/accstatz", translate_accstatz);
}

}  // namespace natsexp
