// The raw floor of bench_scrape.py: fetch the monitoring endpoints an exporter reads, with the same
// HTTP library (cpp-httplib, one client per request, TCP_NODELAY) and the same parallelism (one
// thread per endpoint), but no JSON parsing, translation or exposition. Only the paging fields are
// read, as any client must to know where to stop.
//
// What one round fetches (--mode):
//   paged   what nats-exporter's default configuration read per scrape up to the full-read cadence:
//           the eight single endpoints, /connz paged by 1024, and the doctor's
//           /connz?subs=detail paged by 1024 followed by the latest closed connections;
//   single  the eight single endpoints and the full read done as one request:
//           /connz?subs=detail with `limit` = the connection count (learned from the previous
//           round's `total`, paging only when `total` says there are more), then the closed ones;
//   light   the eight single endpoints and one /connz?sort=pending page of 256: what nats-exporter's
//           default configuration reads per scrape between full reads (nats-server 2.9, where no
//           connection has pending bytes).
//
//   raw_fetch PORT ITERATIONS [--mode=M]   prints "raw_fetch median_ms=… p99_ms=…"
//   raw_fetch PORT --serve [--mode=M]      one round per line read on stdin; answers each with
//                                          "ms=<wall> bytes=<bytes fetched> errors=<failed requests>";
//                                          ends at EOF
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace {

int g_port = 0;
std::atomic<std::size_t> g_bytes{0};
std::atomic<std::size_t> g_errors{0};  // requests without a 200 answer
std::size_t g_last_total = 1024;       // connections seen by the previous full read (single mode)

std::string get(const std::string& path) {
  httplib::Client client("127.0.0.1", g_port);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(60, 0);
  auto res = client.Get(path);
  if (!res || res->status != 200) {
    // /healthz answers 503 on a sick server but the exporter still reads it: not counted as an error.
    if (!res || path != "/healthz") ++g_errors;
    if (!res) return std::string();
  }
  g_bytes += res->body.size();
  return res->body;
}

std::size_t total_of(const std::string& body) {
  const auto at = body.find("\"total\":");
  return at == std::string::npos ? 0 : std::strtoull(body.c_str() + at + 8, nullptr, 10);
}

// Pages of `base` + "&limit=<limit>&offset=<n>" until `total` is covered; returns `total`.
std::size_t fetch_pages(const std::string& base, std::size_t limit) {
  std::size_t offset = 0, total = 0;
  for (int page = 0; page < 100; ++page) {
    const auto body = get(base + "&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset));
    total = total_of(body);
    offset += limit;
    if (offset >= total) break;
  }
  return total;
}

const char* const kClosed = "/connz?state=closed&sort=stop&auth=true&limit=1024";

void round(const std::string& mode) {
  const std::vector<std::string> paths = {"/varz",
                                          "/routez",
                                          "/gatewayz",
                                          "/leafz",
                                          "/subsz",
                                          "/accstatz?unused=1",
                                          "/jsz?accounts=true&streams=true&consumers=true&config=true",
                                          "/healthz"};
  std::vector<std::thread> threads;
  for (const auto& p : paths) threads.emplace_back([p] { get(p); });
  if (mode == "paged") {
    threads.emplace_back([] { fetch_pages("/connz?auth=true", 1024); });
    threads.emplace_back([] {
      fetch_pages("/connz?auth=true&subs=detail", 1024);
      get(kClosed);
    });
  } else if (mode == "single") {
    threads.emplace_back([] {
      const std::size_t limit = std::max<std::size_t>(g_last_total, 1);
      g_last_total = fetch_pages("/connz?auth=true&subs=detail", limit);
      get(kClosed);
    });
  } else {  // light
    threads.emplace_back([] { get("/connz?auth=true&sort=pending&limit=256&offset=0"); });
  }
  for (auto& t : threads) t.join();
}

double timed_round(const std::string& mode) {
  const auto t0 = std::chrono::steady_clock::now();
  round(mode);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: raw_fetch PORT ITERATIONS|--serve [--mode=paged|single|light]\n");
    return 2;
  }
  g_port = std::atoi(argv[1]);
  const bool serve = std::strcmp(argv[2], "--serve") == 0;
  std::string mode = "paged";
  for (int i = 3; i < argc; ++i)
    if (std::strncmp(argv[i], "--mode=", 7) == 0) mode = argv[i] + 7;
  if (mode != "paged" && mode != "single" && mode != "light") {
    std::fprintf(stderr, "raw_fetch: unknown mode %s\n", mode.c_str());
    return 2;
  }
  if (serve) {
    std::string line;
    while (std::getline(std::cin, line)) {
      g_bytes = 0;
      g_errors = 0;
      const double ms = timed_round(mode);
      std::printf("ms=%.3f bytes=%zu errors=%zu\n", ms, g_bytes.load(), g_errors.load());
      std::fflush(stdout);
    }
    return 0;
  }
  const int iterations = std::atoi(argv[2]);
  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) ms.push_back(timed_round(mode));
  if (ms.empty()) return 2;
  std::sort(ms.begin(), ms.end());
  std::printf("raw_fetch median_ms=%.3f p99_ms=%.3f\n", ms[ms.size() / 2],
              ms[std::min(ms.size() - 1, static_cast<std::size_t>(ms.size() * 0.99))]);
  return 0;
}
