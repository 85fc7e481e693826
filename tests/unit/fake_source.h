// A MonitorSource for unit tests: serves fixture files (or inline JSON) by path, counts requests.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "collectors/collector.h"

namespace natsexp::testing {

inline std::string fixture_path(const std::string& name) { return std::string(NATSEXP_FIXTURES_DIR) + "/" + name; }

inline json load_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

class FakeSource : public MonitorSource {
 public:
  // Serves `document` for requests whose path+query equals `path_and_query`, or whose path (before
  // '?') equals it when no exact entry exists.
  FakeSource& serve(const std::string& path_and_query, json document) {
    documents_[path_and_query] = std::move(document);
    return *this;
  }
  json get_json(const std::string& path_and_query, bool = false) override {
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
  std::map<std::string, json> documents_;
  std::map<std::string, int> requests_;
};

}  // namespace natsexp::testing
