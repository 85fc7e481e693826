#include "collectors/subsz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_subsz(const JsonValue& s, MetricSet& out) {
  // 2.9 prints the sublist statistics at the top level; 2.10+ adds server_id, now and paging fields
  // beside them, which are ignored here.
  using F = FieldMetric;
  set_fields(
      out, s,
      {{F::gauge, "nats_subsz_subscriptions", "Subscriptions in the server's subject routing table.",
        "num_subscriptions"},
       {F::gauge, "nats_subsz_cache_entries", "Subjects held in the routing table's match cache.", "num_cache"},
       {F::counter, "nats_subsz_inserts_total",
        "Subscriptions inserted into the routing table since the server started.", "num_inserts"},
       {F::counter, "nats_subsz_removes_total",
        "Subscriptions removed from the routing table since the server started.", "num_removes"},
       {F::counter, "nats_subsz_matches_total", "Subject lookups in the routing table since the server started.",
        "num_matches"},
       {F::gauge, "nats_subsz_cache_hit_ratio", "Share of routing-table lookups answered by the match cache (0..1).",
        "cache_hit_rate"},
       {F::gauge, "nats_subsz_fanout_average", "Average number of subscriptions a cached subject matches.",
        "avg_fanout"},
       {F::gauge, "nats_subsz_fanout_max", "Largest number of subscriptions a cached subject matches.", "max_fanout"}});
}

std::unique_ptr<Collector> make_subsz_collector() {
  return std::make_unique<SingleEndpointCollector>("subsz", "/subsz", translate_subsz);
}

}  // namespace natsexp
