// The baseline for bench_scrape.py: fetch the endpoints the exporter reads, with the same HTTP
// library and the same parallelism (one thread per endpoint, connz paged), but no JSON parsing,
// translation or exposition. Prints one line: "raw_fetch median_ms=… p99_ms=…".
//   raw_fetch PORT ITERATIONS
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace {

std::string get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_tcp_nodelay(true);
  auto res = client.Get(path);
  return res ? res->body : std::string();
}

void fetch_connz_pages(int port) {
  std::size_t offset = 0;
  for (int page = 0; page < 100; ++page) {
    auto body = get(port, "/connz?auth=true&limit=1024&offset=" + std::to_string(offset));
    // Only the paging fields are read, as any client must to know where to stop.
    auto total_at = body.find("\"total\":");
    auto total = total_at == std::string::npos ? 0 : std::strtoull(body.c_str() + total_at + 8, nullptr, 10);
    offset += 1024;
    if (offset >= total) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: raw_fetch PORT ITERATIONS\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int iterations = std::atoi(argv[2]);
  const std::vector<std::string> paths = {"/varz", "/routez", "/gatewayz", "/leafz", "/subsz", "/accstatz?unused=1",
                                          "/jsz?accounts=true&streams=true&consumers=true&config=true", "/healthz"};
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (const auto& p : paths) threads.emplace_back([&, p] { get(port, p); });
    threads.emplace_back([&] { fetch_connz_pages(port); });
    for (auto& t : threads) t.join();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("raw_fetch median_ms=%.3f p99_ms=%.3f\n", ms[ms.size() / 2],
              ms[std::min(ms.size() - 1, static_cast<std::size_t>(ms.size() * 0.99))]);
  return 0;
}
