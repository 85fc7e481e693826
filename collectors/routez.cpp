#include "collectors/routez.h"

#include "collectors/link_stats.h"
#include "collectors/registry_list.h"

namespace natsexp {

void translate_routez(const JsonValue& document, MetricSet& out) {
  require_object(document, "routez");
  const JsonValue& routes = child(document, "routes");
  std::optional<double> num_routes = number(document, "num_routes");
  if (!num_routes && routes.is_array()) num_routes = static_cast<double>(routes.size());
  out.gauge("nats_routez_routes", "Cluster route connections open now.").set(num_routes);
  if (!routes.is_array()) return;

  const LinkKind kind{"nats_route", "route"};
  UniqueLabels unique;
  for (const JsonValue& route : routes) {
    if (!route.is_object()) continue;
    std::string remote = text_or(route, "remote_name");  // 2.10+
    if (remote.empty()) remote = text_or(route, "remote_id");
    add_link_stats(out, kind, route, unique.claim({{"remote", remote}, {"rid", id_label(route, "rid")}}));
  }
}

std::unique_ptr<Collector> make_routez_collector() {
  return std::make_unique<SingleEndpointCollector>("routez", "/routez", translate_routez);
}

}  // namespace natsexp
