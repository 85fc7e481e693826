// Feeds every collector garbage: mutated and truncated real captures, and structurally odd JSON.
// Nothing may crash; a collector may only fail with an exception.
//
// Two builds of the same entry point:
//   - plain (CTest): `fuzz_collectors --replay DIR --mutations N` mutates each file of DIR N times
//     with a fixed seed, so a failure is reproducible;
//   - libFuzzer (clang -fsanitize=fuzzer -DNATSEXP_LIBFUZZER): see tests/fuzz/README.md.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "collectors/collector.h"

namespace {

using Document = std::shared_ptr<const natsexp::JsonDocument>;

// Serves one document for every path, so each collector sees it as its endpoint (and jsz as /varz).
class OneDocumentSource : public natsexp::MonitorSource {
 public:
  explicit OneDocumentSource(Document doc) : doc_(std::move(doc)) {}
  Document get_json(const std::string&, bool) override { return doc_; }

 private:
  Document doc_;
};

void run_all_collectors(const uint8_t* data, size_t size) {
  Document doc;
  try {
    doc = natsexp::parse_json(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const natsexp::FetchError&) {
    return;  // the HTTP client rejects non-JSON before any collector sees it
  }
  natsexp::CollectorOptions options;
  options.connz_top_n = 3;
  for (const auto& name : natsexp::collector_names()) {
    OneDocumentSource source(doc);
    natsexp::MetricSet out;
    try {
      natsexp::make_collector(name)->collect(source, options, out);
      out.take();
    } catch (const std::exception&) {
      // A failed collector is an allowed outcome; a crash is not.
    }
  }
}

std::string mutate(std::string s, std::mt19937& rng) {
  if (s.empty()) return s;
  std::uniform_int_distribution<int> kind(0, 5);
  std::uniform_int_distribution<size_t> at(0, s.size() - 1);
  static const char* const kTokens[] = {"null", "true", "-1", "1e308", "\"\"", "[]", "{}", "18446744073709551615",
                                        "\"\xC2\xB5s\"", "-0.0", "\"1m\"", "[[[[[[[[]]]]]]]]"};
  switch (kind(rng)) {
    case 0: s.resize(at(rng)); break;                                   // truncate
    case 1: s[at(rng)] = static_cast<char>(rng() & 0xff); break;        // flip a byte
    case 2: {                                                           // replace a value with a token
      auto colon = s.find(':', at(rng));
      if (colon == std::string::npos) break;
      auto end = s.find_first_of(",}\n", colon);
      if (end == std::string::npos) break;
      s.replace(colon + 1, end - colon - 1, kTokens[rng() % (sizeof kTokens / sizeof *kTokens)]);
      break;
    }
    case 3: s.erase(at(rng), rng() % 64); break;                        // delete a span
    case 4: {                                                           // duplicate a span
      auto p = at(rng);
      s.insert(p, s.substr(p, rng() % 128));
      break;
    }
    default: {                                                          // turn an object into an array
      auto brace = s.find('{', at(rng));
      if (brace != std::string::npos) s[brace] = '[';
    }
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run_all_collectors(data, size);
  return 0;
}

#ifndef NATSEXP_LIBFUZZER
int main(int argc, char** argv) {
  std::string dir;
  int mutations = 1000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--replay" && i + 1 < argc) dir = argv[++i];
    else if (a == "--mutations" && i + 1 < argc) mutations = std::atoi(argv[++i]);
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: fuzz_collectors --replay DIR [--mutations N]\n");
    return 2;
  }
  std::vector<std::string> inputs;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    inputs.push_back(ss.str());
  }
  // Shapes the captures do not contain.
  for (const char* odd : {"[]", "{}", "null", "42", "\"s\"", "{\"connections\": 5}", "{\"connections\": [1, \"x\", null]}",
                          "{\"account_details\": [{\"stream_detail\": [{\"consumer_detail\": 7}]}]}",
                          "{\"routes\": {\"a\": 1}}", "{\"outbound_gateways\": [1]}", "{\"leafs\": \"x\"}",
                          "{\"status\": 1}", "{\"total\": 1e30, \"connections\": []}"})
    inputs.emplace_back(odd);
  std::mt19937 rng(20261125);
  std::size_t runs = 0;
  for (const auto& input : inputs) {
    run_all_collectors(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    ++runs;
    for (int m = 0; m < mutations / static_cast<int>(inputs.size()) + 1; ++m) {
      auto mutated = mutate(input, rng);
      for (int k = rng() % 4; k > 0; --k) mutated = mutate(mutated, rng);
      run_all_collectors(reinterpret_cast<const uint8_t*>(mutated.data()), mutated.size());
      ++runs;
    }
  }
  std::printf("fuzz_collectors: %zu inputs through %zu collectors, no crash\n", runs,
              natsexp::collector_names().size());
  return 0;
}
#endif
