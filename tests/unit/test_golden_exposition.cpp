// The golden exposition, as node_exporter's e2e output: every endpoint collector run on the real
// captures of node n1 (tests/fixtures/nats-server-2.9.10/), its text exposition compared with the
// committed tests/golden/<collector>.prom. A renamed metric, a changed HELP or type, a label or a value
// that moves shows up as a diff in review. After an intended change, regenerate every file with
//
//   NATSEXP_UPDATE_GOLDEN=1 build/tests/unit_tests -ts=golden
//
// and commit the result.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "collectors/collector.h"
#include "exporter/exposition.h"
#include "fake_source.h"

namespace natsexp {
namespace {

using testing::FakeSource;

FakeSource n1_source() {
  FakeSource source;
  testing::serve_n1(source);
  return source;
}

std::string golden_path(const std::string& collector) {
  return std::string(NATSEXP_SOURCE_DIR) + "/tests/golden/" + collector + ".prom";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool updating() {
  const char* v = std::getenv("NATSEXP_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

}  // namespace

TEST_SUITE("golden") {
  TEST_CASE("every endpoint collector's exposition of the n1 captures equals its golden file") {
    int compared = 0;
    for (const auto& name : collector_names()) {
      if (name == "doctor") continue;  // not a translator: it judges, and its reads span endpoints
      CAPTURE(name);
      auto source = n1_source();
      MetricSet out;
      make_collector(name)->collect(source, CollectorOptions{}, out);
      const std::string text = to_text_exposition(out.take());
      CHECK(text.find("# TYPE") != std::string::npos);
      const std::string path = golden_path(name);
      if (updating()) {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
        MESSAGE("wrote " << path);
      }
      const std::string golden = read_file(path);
      // On a difference the two texts are printed; `diff` them after regenerating to see the change.
      CHECK_MESSAGE(text == golden, path << " differs from the collector's output; regenerate with "
                                            "NATSEXP_UPDATE_GOLDEN=1 build/tests/unit_tests -ts=golden");
      ++compared;
    }
    CHECK(compared == 9);
  }
}

}  // namespace natsexp
