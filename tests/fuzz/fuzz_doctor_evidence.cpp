// Feeds the doctor's evidence parsers garbage: one JSON document is read as /varz, a /connz page,
// /connz?state=closed, /subsz and /jsz, then the checks run on that evidence (once alone, once
// against a baseline of itself) and the report is rendered in every format.
// The parsers promise never to throw (a mistyped field only empties that value), and the checks and
// renderers take whatever the parsers give: here any exception is a failure, like a crash, hang,
// leak or sanitizer report.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collectors/connz_full_read.h"
#include "collectors/doctor/checks.h"
#include "collectors/doctor/evidence.h"
#include "collectors/doctor/report.h"
#include "tests/fuzz/fuzz_common.h"

namespace nd = natsexp::doctor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  natsexp::fuzz::Document doc = natsexp::fuzz::parse_document(natsexp::fuzz::as_text(data, size));
  if (!doc) return 0;

  nd::ServerEvidence evidence;
  evidence.target = "fuzz";
  const natsexp::JsonValue& root = doc->root();
  evidence.varz = nd::parse_varz(root);
  evidence.connections =
      std::make_shared<const std::vector<natsexp::ConnectionEvidence>>(natsexp::parse_connections(root));
  evidence.closed = natsexp::parse_closed_connections(root);
  for (const auto& c : *evidence.closed) (void)nd::is_slow_consumer_reason(c.reason);
  evidence.subsz = nd::parse_subsz(root);
  evidence.consumers = nd::parse_jsz_consumers(root, evidence.varz.server_name);
  evidence.closed_now = evidence.varz.now;

  const natsexp::DoctorConfig config;
  nd::Report report;
  nd::TargetReport target;
  target.name = "fuzz";
  target.reachable = true;
  target.server_name = evidence.varz.server_name;
  target.cluster = evidence.varz.cluster;
  target.version = evidence.varz.version;
  target.checks = nd::evaluate_server(evidence, nullptr, 1000, config);
  const nd::ServerBaseline baseline = nd::baseline_of(evidence, 1000);
  for (auto& r : nd::evaluate_server(evidence, &baseline, 1060, config)) target.checks.push_back(std::move(r));
  report.targets.push_back(std::move(target));
  report.combined.push_back(nd::check_missing_queue_group({&evidence}, config));
  for (const char* format : {"text", "json", "markdown", "html"}) (void)nd::render(report, format);
  (void)report.exit_code();
  return 0;
}

#ifndef NATSEXP_LIBFUZZER
int main(int argc, char** argv) {
  return natsexp::fuzz::replay_main(
      argc, argv, "fuzz_doctor_evidence", 0,
      {"[]", "{}", "null", "{\"connections\": [{\"subscriptions_list_detail\": 5}]}",
       "{\"connections\": [{\"cid\": -1, \"rtt\": \"x\", \"pending_bytes\": 1e308}]}",
       "{\"account_details\": [{\"stream_detail\": [{\"consumer_detail\": [{\"config\": 1}]}]}]}",
       "{\"now\": \"9999-99-99T99:99:99Z\", \"start\": \"\"}"});
}
#endif
