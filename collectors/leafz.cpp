#include "collectors/leafz.h"

#include "collectors/link_stats.h"
#include "collectors/registry_list.h"

namespace natsexp {

void translate_leafz(const JsonValue& document, MetricSet& out) {
  require_object(document, "leafz");
  const JsonValue& leafs = child(document, "leafs");
  std::optional<double> count = number(document, "leafnodes");
  if (!count && leafs.is_array()) count = static_cast<double>(leafs.size());
  out.gauge("nats_leafz_leafnodes", "Leaf node connections open now.").set(count);
  if (!leafs.is_array()) return;

  const LinkKind kind{"nats_leafnode", "leaf node connection"};
  UniqueLabels unique;
  for (const JsonValue& leaf : leafs) {
    if (!leaf.is_object()) continue;
    const std::string address = address_label(leaf);
    std::string remote = text_or(leaf, "name");  // 2.10+
    if (remote.empty()) remote = address;
    // 2.9 has no pending field in leafz: that series is simply absent.
    add_link_stats(out, kind, leaf,
                   unique.claim({{"remote", remote}, {"account", text_or(leaf, "account")}, {"address", address}}));
  }
}

std::unique_ptr<Collector> make_leafz_collector() {
  return std::make_unique<SingleEndpointCollector>("leafz", "/leafz", translate_leafz);
}

}  // namespace natsexp
