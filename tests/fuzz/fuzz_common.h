// What the fuzz harnesses share: the one place they know the JSON document type, a MonitorSource
// that serves one document, and the replay driver of the plain (non-libFuzzer) build.
//
// Each harness is built twice from the same LLVMFuzzerTestOneInput:
//   - libFuzzer (clang, -DNATSEXP_FUZZ=ON, -DNATSEXP_LIBFUZZER): coverage-guided, see README.md;
//   - plain (CTest, GCC or clang): `fuzz_X --replay DIR [--mutations N]` runs every file under DIR,
//     then N mutations of them with a fixed seed, so a failure is reproducible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/collector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace natsexp::fuzz {

// ---- The JSON-type seam: the only code here that names the document type. -------------------------
using Document = std::shared_ptr<const JsonDocument>;

// Text -> document, as the monitoring client parses a response body; nullptr when it is not JSON
// (the client rejects such a body before any collector sees it).
inline Document parse_document(std::string_view text) {
  try {
    return parse_json(std::string(text));
  } catch (const FetchError&) {
    return nullptr;
  }
}

// Serves one document for every path, so each collector sees it as its endpoint.
class OneDocumentSource : public MonitorSource {
 public:
  explicit OneDocumentSource(Document doc) : doc_(std::move(doc)) {}
  Document get_json(const std::string&, bool) override { return doc_; }

 private:
  Document doc_;
};
// ------------------------------------------------------------------------------------------------------

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The replay build's mutations: cheap, structure-aware enough for JSON and YAML.
inline std::string mutate(std::string s, std::mt19937& rng) {
  if (s.empty()) return s;
  std::uniform_int_distribution<int> kind(0, 5);
  std::uniform_int_distribution<size_t> at(0, s.size() - 1);
  static const char* const kTokens[] = {"null",
                                        "true",
                                        "-1",
                                        "1e308",
                                        "\"\"",
                                        "[]",
                                        "{}",
                                        "18446744073709551615",
                                        "\"\xC2\xB5s\"",
                                        "-0.0",
                                        "\"1m\"",
                                        "[[[[[[[[]]]]]]]]",
                                        "~",
                                        "!!binary x",
                                        "&a",
                                        "*a",
                                        "99999999999999999999h",
                                        "-9223372036854775808"};
  switch (kind(rng)) {
    case 0: s.resize(at(rng)); break;                             // truncate
    case 1: s[at(rng)] = static_cast<char>(rng() & 0xff); break;  // flip a byte
    case 2: {                                                     // replace a value with a token
      auto colon = s.find(':', at(rng));
      if (colon == std::string::npos) break;
      auto end = s.find_first_of(",}\n", colon);
      if (end == std::string::npos) break;
      s.replace(colon + 1, end - colon - 1, kTokens[rng() % (sizeof kTokens / sizeof *kTokens)]);
      break;
    }
    case 3: s.erase(at(rng), rng() % 64); break;  // delete a span
    case 4: {                                     // duplicate a span
      auto p = at(rng);
      s.insert(p, s.substr(p, rng() % 128));
      break;
    }
    default: {  // turn an object into an array
      auto brace = s.find('{', at(rng));
      if (brace != std::string::npos) s[brace] = '[';
    }
  }
  return s;
}

inline void run_one(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// main() of the replay build. Every regular file under DIR is an input. With `selectors` > 0 the
// first byte of an input selects what it drives (fuzz_collectors): each input is then also run with
// every selector, so every collector sees every seed. `extra` adds shapes the corpus lacks.
inline int replay_main(int argc, char** argv, const char* name, int selectors, const std::vector<std::string>& extra) {
  std::string dir;
  int mutations = 1000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--replay" && i + 1 < argc) dir = argv[++i];
    else if (a == "--mutations" && i + 1 < argc) mutations = std::atoi(argv[++i]);
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: %s --replay DIR [--mutations N]\n", name);
    return 2;
  }
  std::vector<std::string> inputs;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    inputs.push_back(ss.str());
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no input under %s\n", name, dir.c_str());
    return 2;
  }
  for (const auto& e : extra) inputs.push_back(e);
  std::mt19937 rng(20261125);
  std::size_t runs = 0;
  const int per_input = mutations / static_cast<int>(inputs.size()) + 1;
  for (const auto& input : inputs) {
    run_one(input);
    ++runs;
    for (int s = 0; s < selectors && !input.empty(); ++s) {
      std::string other = input;
      other[0] = static_cast<char>(s);
      run_one(other);
      ++runs;
    }
    for (int m = 0; m < per_input; ++m) {
      auto mutated = mutate(input, rng);
      for (int k = rng() % 4; k > 0; --k) mutated = mutate(mutated, rng);
      run_one(mutated);
      ++runs;
    }
  }
  std::printf("%s: %zu runs over %zu inputs from %s, no crash\n", name, runs, inputs.size(), dir.c_str());
  return 0;
}

}  // namespace natsexp::fuzz
