// The one place that does I/O with a NATS monitoring port: HTTP(S) GETs under a hard deadline and
// a size cap, shared per path within one scrape.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "collectors/collector.h"
#include "config/config.h"

namespace httplib {
class Client;
}

namespace natsexp {

using Clock = std::chrono::steady_clock;

// A target's monitoring URL split for the HTTP client: "https://host:8222" and a base path ("" or "/nats").
struct MonitorEndpoint {
  std::string scheme_host_port;
  std::string base_path;
};
// Throws FetchError on a URL that is not http(s)://host[:port][/path].
MonitorEndpoint parse_monitor_url(const std::string& url);

// Reads one target for the length of one scrape. Every request ends by `deadline`: connect, TLS,
// and reads are bounded by the time left, and a body that is still arriving at the deadline or
// grows past `max_bytes` is abandoned. Thread-safe; a path asked for twice is fetched once.
class HttpMonitorSource : public MonitorSource {
 public:
  HttpMonitorSource(const TargetConfig& target, Clock::time_point deadline, std::size_t max_bytes);

  std::shared_ptr<const JsonDocument> get_json(const std::string& path_and_query, bool any_status = false) override;

  // Cuts every request still running (the scrape's deadline has passed): their sockets are shut
  // down, so a peer that trickles bytes or never answers cannot hold the scrape. Later requests
  // fail at once. Safe from any thread, and to call repeatedly.
  void cancel();

  // True when at least one request of this scrape got a parsable answer.
  bool answered() const { return answered_.load(); }
  // How many HTTP requests were sent (for self-metrics and tests).
  std::size_t requests_sent() const { return requests_.load(); }

 private:
  std::shared_ptr<const JsonDocument> fetch(const std::string& path_and_query, bool any_status);

  const TargetConfig& target_;
  MonitorEndpoint endpoint_;
  Clock::time_point deadline_;
  std::size_t max_bytes_;
  std::atomic<bool> answered_{false};
  std::atomic<std::size_t> requests_{0};
  std::mutex mutex_;
  std::map<std::string, std::shared_future<std::shared_ptr<const JsonDocument>>> cache_;
  std::atomic<bool> cancelled_{false};
  std::mutex active_mutex_;
  std::set<httplib::Client*> active_;  // requests in flight, for cancel()
};

}  // namespace natsexp
