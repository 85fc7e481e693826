// Feeds the collectors garbage: the input's first byte chooses a collector (and its options), the
// rest is the JSON every path of the MonitorSource answers with. That covers every translator
// (varz, connz, routez, gatewayz, leafz, subsz, accstatz, jsz, healthz) and the doctor's readers
// of /varz, /connz, /connz?state=closed, /subsz and /jsz (the "doctor" collector).
// A collector may fail (throw); it may not crash, hang, leak or trip a sanitizer.
//
// Corpus files start with the selector byte: tests/fuzz/corpus/fuzz_collectors/README.md.
#include <cstdint>
#include <memory>
#include <string>

#include "collectors/collector.h"
#include "config/config.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

void collect_one(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const auto& names = natsexp::collector_names();
  const std::string& name = names[data[0] % names.size()];
  const unsigned variant = data[0] / names.size();
  natsexp::fuzz::Document doc = natsexp::fuzz::parse_document(natsexp::fuzz::as_text(data + 1, size - 1));
  if (!doc) return;

  natsexp::CollectorOptions options;
  options.connz_top_n = variant % 4;                 // 0..3 per-connection series
  options.connz_page_size = variant & 4 ? 2 : 1024;  // small pages: the paging loops

  natsexp::fuzz::OneDocumentSource source(doc);
  natsexp::MetricSet out;
  try {
    // A default factory gives the doctor collector a fresh Doctor: no baseline from an earlier
    // input, so a run is reproducible.
    natsexp::make_collector(name)->collect(source, options, out);
    out.take();
  } catch (const std::exception&) {
    // A failed collector is an allowed outcome; a crash is not.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  collect_one(data, size);
  return 0;
}

#ifndef NATSEXP_LIBFUZZER
int main(int argc, char** argv) {
  // Shapes the captures do not contain, each with selector 0 (the replay runs every selector).
  std::vector<std::string> extra;
  for (const char* odd :
       {"[]", "{}", "null", "42", "\"s\"", "{\"connections\": 5}", "{\"connections\": [1, \"x\", null]}",
        "{\"account_details\": [{\"stream_detail\": [{\"consumer_detail\": 7}]}]}", "{\"routes\": {\"a\": 1}}",
        "{\"outbound_gateways\": [1]}", "{\"leafs\": \"x\"}", "{\"status\": 1}",
        "{\"total\": 1e30, \"connections\": []}"})
    extra.push_back(std::string(1, '\0') + odd);
  return natsexp::fuzz::replay_main(argc, argv, "fuzz_collectors", static_cast<int>(natsexp::collector_names().size()),
                                    extra);
}
#endif
