// Test helpers: documents built with nlohmann (literals, edits of fixtures) and read through the
// exporter's own parser, and a MonitorSource that serves them by path and counts requests.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "collectors/collector.h"

namespace natsexp {
// Tests write JSON with nlohmann; the code under test reads it as a JsonDocument.
using json = nlohmann::json;
}  // namespace natsexp

namespace natsexp::testing {

// A parsed document that stands for its root where a JsonValue is expected.
struct TestDocument {
  std::shared_ptr<const JsonDocument> document;
  JsonValue root() const { return document->root(); }
  operator JsonValue() const { return document->root(); }  // NOLINT: implicit on purpose
};

// Parses JSON text as the exporter does (throws FetchError when it is not JSON).
inline TestDocument parse_text(std::string text) { return {parse_json(std::move(text))}; }
// `j` serialized and parsed as the exporter would parse it from the wire.
inline TestDocument parsed(const json& j) { return parse_text(j.dump()); }

inline std::string fixture_path(const std::string& name) { return std::string(NATSEXP_FIXTURES_DIR) + "/" + name; }

inline std::string fixture_text(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline TestDocument load_fixture(const std::string& name) { return parse_text(fixture_text(name)); }
// A fixture as an nlohmann tree, for tests that edit it before serving it.
inline json load_fixture_json(const std::string& name) { return json::parse(fixture_text(name)); }

class FakeSource : public MonitorSource {
 public:
  // Serves `document` for requests whose path+query equals `path_and_query`, or whose path (before
  // '?') equals it when no exact entry exists.
  FakeSource& serve(const std::string& path_and_query, const json& document) {
    return serve(path_and_query, parsed(document));
  }
  FakeSource& serve(const std::string& path_and_query, const TestDocument& document) {
    documents_[path_and_query] = document.document;
    return *this;
  }
  std::shared_ptr<const JsonDocument> get_json(const std::string& path_and_query, bool = false) override {
    ++requests_[path_and_query];
    auto it = documents_.find(path_and_query);
    if (it == documents_.end()) it = documents_.find(path_and_query.substr(0, path_and_query.find('?')));
    if (it == documents_.end()) throw FetchError("no document for " + path_and_query);
    return it->second;
  }
  int requests(const std::string& path_and_query) const {
    auto it = requests_.find(path_and_query);
    return it == requests_.end() ? 0 : it->second;
  }
  const std::map<std::string, int>& all_requests() const { return requests_; }

 private:
  std::map<std::string, std::shared_ptr<const JsonDocument>> documents_;
  std::map<std::string, int> requests_;
};

// Every endpoint of node n1 from the captures (tests/fixtures/nats-server-2.9.10/; the fixtures'
// README maps files to queries). FakeSource matches a query by its path when no exact entry exists,
// so every page of /connz gets the one capture, which holds all of n1's connections.
inline FakeSource& serve_n1(FakeSource& source) {
  source.serve("/varz", load_fixture("varz.json"))
      .serve("/connz", load_fixture("connz.json"))
      .serve("/routez", load_fixture("routez.json"))
      .serve("/gatewayz", load_fixture("gatewayz.json"))
      .serve("/leafz", load_fixture("leafz_subs.json"))
      .serve("/subsz", load_fixture("subsz.json"))
      .serve("/accstatz", load_fixture("accstatz_unused.json"))
      .serve("/jsz", load_fixture("jsz_all.json"))
      .serve("/healthz", load_fixture("healthz.json"));
  return source;
}

}  // namespace natsexp::testing
