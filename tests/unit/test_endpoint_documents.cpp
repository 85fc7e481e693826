// Issue 10 §2: a document that is not the endpoint's reply fails its collector; the real ones pass.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "collectors/accstatz.h"
#include "collectors/endpoint_documents.h"
#include "collectors/jsz.h"
#include "tests/unit/doctor_fixtures.h"
#include "tests/unit/fake_source.h"

using namespace natsexp;
using namespace natsexp::testing;

namespace {

// Serves one document for every path, as a foreign service on the monitoring port would.
class OneDocumentSource : public MonitorSource {
 public:
  explicit OneDocumentSource(TestDocument doc) : doc_(std::move(doc)) {}
  std::shared_ptr<const JsonDocument> get_json(const std::string&, bool) override { return doc_.document; }

 private:
  TestDocument doc_;
};

// n1's captures at the paths every collector reads.
FakeSource n1_everything() {
  FakeSource source = n1_doctor_source();
  source.serve("/connz", load_fixture("connz.json"))
      .serve("/routez", load_fixture("routez.json"))
      .serve("/gatewayz", load_fixture("gatewayz.json"))
      .serve("/leafz", load_fixture("leafz_subs.json"))
      .serve("/accstatz", load_fixture("accstatz.json"))
      .serve("/healthz", load_fixture("healthz.json"));
  return source;
}

}  // namespace

TEST_CASE("endpoint documents: every collector fails a non-object root and a foreign object") {
  for (const char* garbage : {"[]", "null", "42", R"({"connections":"many"})", R"({"server_id":"X"})"}) {
    for (const auto& name : collector_names()) {
      CAPTURE(garbage);
      CAPTURE(name);
      OneDocumentSource source(parse_text(garbage));
      MetricSet out;
      CHECK_THROWS_AS(make_collector(name)->collect(source, CollectorOptions{}, out), FetchError);
    }
  }
}

TEST_CASE("endpoint documents: the 2.9.10 captures pass every collector") {
  FakeSource source = n1_everything();
  for (const auto& name : collector_names()) {
    CAPTURE(name);
    MetricSet out;
    CHECK_NOTHROW(make_collector(name)->collect(source, CollectorOptions{}, out));
  }
}

TEST_CASE("endpoint documents: the reasons name the endpoint and the missing key") {
  auto reason = [](const char* text, const char* endpoint) {
    try {
      require_endpoint_document(parse_text(text), endpoint);
    } catch (const FetchError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(reason(R"({"connections":"many"})", "varz") == "varz: the document is not a /varz reply (no \"server_id\")");
  CHECK(reason(R"({"server_id":"X"})", "jsz") == "jsz: the document is not a /jsz reply (no \"now\")");
  CHECK(reason("[]", "subsz") == "subsz: the document is not a JSON object but array");
  CHECK(reason("null", "healthz") == "healthz: the document is not a JSON object but null");
  CHECK(reason(R"({"num_subscriptions":0})", "subsz") == "accepted");
  CHECK(reason(R"({"status":"ok"})", "healthz") == "accepted");
  // A jsz that says it is disabled is still a jsz reply (server_id and now are there).
  CHECK(reason(R"({"server_id":"X","now":"2026-11-25T12:53:59Z","disabled":true})", "jsz") == "accepted");
}

TEST_CASE("endpoint documents: a wrong-typed value costs only that value") {
  FakeSource source;
  source.serve("/varz",
               parse_text(R"({"server_id":"X","now":"2026-11-25T12:53:59Z","connections":"seven","in_msgs":5})"));
  MetricSet out;
  make_collector("varz")->collect(source, CollectorOptions{}, out);
  CHECK_FALSE(out.value("nats_server_connections"));
  CHECK(out.value("nats_server_messages_received_total") == 5);
}
