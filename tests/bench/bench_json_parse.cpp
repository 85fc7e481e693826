// Parse-and-free cost of a large /connz body: nlohmann's tree (what the exporter used before) and
// our JsonDocument (simdjson DOM), on a synthetic /connz of N connections built by repeating the
// fixture's connection objects with fresh cids. Prints figures, asserts nothing; not a test.
//
//   build/tests/bench_json_parse [--connections 10000] [--rounds 20]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectors/collector.h"
#include "collectors/json.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string synthetic_connz(const nlohmann::json& fixture, std::size_t n) {
  nlohmann::json doc = fixture;
  const auto& templates = fixture.at("connections");
  nlohmann::json conns = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i) {
    nlohmann::json c = templates.at(i % templates.size());
    c["cid"] = i + 1;
    conns.push_back(std::move(c));
  }
  doc["connections"] = std::move(conns);
  doc["num_connections"] = n;
  doc["total"] = n;
  doc["limit"] = n;
  return doc.dump();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Touches every connection's pending_bytes, as a translator would, so a lazy parser cannot cheat.
template <typename Sum>
double timed(const std::string& body, int rounds, Sum parse_and_sum, double& checksum) {
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    checksum += parse_and_sum(body);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return median(ms);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t connections = 10000;
  int rounds = 20;
  std::string fixture = std::string(NATSEXP_FIXTURES_DIR) + "/connz_subs_detail.json";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--connections")) connections = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--fixture")) fixture = argv[i + 1];
  }
  const std::string body = synthetic_connz(nlohmann::json::parse(read_file(fixture)), connections);
  double checksum = 0;
  const double tree = timed(
      body, rounds,
      [](const std::string& text) {
        const auto doc = nlohmann::json::parse(text);  // freed at the end of the lambda: timed too
        double sum = 0;
        for (const auto& c : doc.at("connections")) sum += c.value("pending_bytes", 0.0);
        return sum;
      },
      checksum);
  const double dom = timed(
      body, rounds,
      [](const std::string& text) {
        const auto doc = natsexp::parse_json(text);  // the copy stands for the fetcher's own body buffer
        double sum = 0;
        for (const natsexp::JsonValue c : doc->root().find("connections"))
          sum += c.find("pending_bytes").as_number().value_or(0);
        return sum;
      },
      checksum);
  std::printf("/connz with %zu connections (subs=detail), %.1f MB, median of %d rounds, parse + read + free:\n",
              connections, static_cast<double>(body.size()) / 1e6, rounds);
  std::printf("  nlohmann tree        %8.2f ms\n", tree);
  std::printf("  JsonDocument (simdjson DOM) %8.2f ms   (x%.1f)\n", dom, tree / dom);
  std::printf("(checksum %.0f)\n", checksum);
  return 0;
}
