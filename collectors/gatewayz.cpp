#include "collectors/gatewayz.h"

#include "collectors/link_stats.h"
#include "collectors/registry_list.h"

namespace natsexp {

void translate_gatewayz(const JsonValue& document, MetricSet& out) {
  require_object(document, "gatewayz");
  const LinkKind kind{"nats_gateway", "gateway connection"};
  UniqueLabels unique;
  // Declared first so the counts lead the output; their values are set once counted.
  const std::string outbound_help = "Remote clusters this server has an outbound gateway connection to.";
  const std::string inbound_help = "Remote clusters with at least one inbound gateway connection to this server.";
  out.gauge("nats_gatewayz_outbound_gateways", outbound_help);
  out.gauge("nats_gatewayz_inbound_gateways", inbound_help);

  // outbound_gateways: {"C2": {"configured": true, "connection": {...}}}, one per remote cluster.
  double outbound = 0;
  const JsonValue& outbounds = child(document, "outbound_gateways");
  if (outbounds.is_object()) {
    for (const auto& [key, gw] : outbounds.members()) {
      const std::string name(key);
      const JsonValue& conn = child(gw, "connection");
      if (!conn.is_object()) continue;  // no live connection: nothing to report for it
      ++outbound;
      const Labels labels =
          unique.claim({{"gateway", name}, {"direction", "outbound"}, {"cid", id_label(conn, "cid")}});
      add_link_stats(out, kind, conn, labels);
      // Only outbound entries carry it: nats-server never fills "configured" for inbound ones.
      out.gauge("nats_gateway_configured",
                "1 when the outbound gateway is in this server's configuration, 0 when it was discovered.")
          .add(bool_to_number(boolean(gw, "configured")), labels);
    }
  }

  // inbound_gateways: {"C2": [{"configured": false, "connection": {...}}, ...]}.
  double inbound = 0;
  const JsonValue& inbounds = child(document, "inbound_gateways");
  if (inbounds.is_object()) {
    for (const auto& [key, list] : inbounds.members()) {
      const std::string name(key);  // a plain variable: lambdas may capture it (structured bindings: not before C++20)
      bool connected = false;
      auto one = [&](const JsonValue& gw) {
        const JsonValue& conn = child(gw, "connection");
        if (!conn.is_object()) return;
        connected = true;
        add_link_stats(out, kind, conn,
                       unique.claim({{"gateway", name}, {"direction", "inbound"}, {"cid", id_label(conn, "cid")}}));
      };
      if (list.is_array())
        for (const JsonValue& gw : list) one(gw);
      else one(list);  // tolerate a single object where a list is expected
      if (connected) ++inbound;
    }
  }

  out.gauge("nats_gatewayz_outbound_gateways", outbound_help).set(outbound);
  out.gauge("nats_gatewayz_inbound_gateways", inbound_help).set(inbound);
}

std::unique_ptr<Collector> make_gatewayz_collector() {
  return std::make_unique<SingleEndpointCollector>("gatewayz", "/gatewayz", translate_gatewayz);
}

}  // namespace natsexp
