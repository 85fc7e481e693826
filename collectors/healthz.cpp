#include "collectors/healthz.h"

#include "collectors/registry_list.h"

namespace natsexp {

void translate_healthz(const JsonValue& document, MetricSet& out) {
  const auto status = text(document, "status");
  if (!status) return;
  out.gauge("nats_server_healthy", "1 when the server's /healthz reports status \"ok\", else 0.")
      .set(*status == "ok" ? 1.0 : 0.0);
}

namespace {

class HealthzCollector : public Collector {
 public:
  std::string_view name() const override { return "healthz"; }
  std::vector<std::string> first_reads(const CollectorOptions&) const override { return {"/healthz"}; }
  void collect(MonitorSource& source, const CollectorOptions&, MetricSet& out) const override {
    const auto doc = source.get_json("/healthz", /*any_status=*/true);
    const JsonValue document = doc->root();
    // Without a status the body says nothing about health: report the collector failed rather than
    // succeeding with no data.
    require_endpoint_document(document, "healthz");
    if (!text(document, "status")) throw FetchError("healthz: \"status\" is not a string");
    translate_healthz(document, out);
  }
};

}  // namespace

std::unique_ptr<Collector> make_healthz_collector() { return std::make_unique<HealthzCollector>(); }

}  // namespace natsexp
