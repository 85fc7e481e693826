// The one place that does I/O with a NATS monitoring port: HTTP(S) GETs under a hard deadline and
// a size cap, shared per path within one scrape.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "collectors/collector.h"
#include "collectors/http_fetch.h"
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
  std::string host;         // without IPv6 brackets
  std::uint16_t port = 80;  // as given, else the scheme's default
};
// Throws FetchError on a URL that is not http(s)://host[:port][/path].
MonitorEndpoint parse_monitor_url(const std::string& url);

// The monitoring connections of one target, kept across scrapes: idle keep-alive connections (one
// per concurrent request, so a request never waits for another's socket) and the host name's
// resolution in flight. Over plain HTTP they are our own client's sockets (http_fetch.h); over
// HTTPS, cpp-httplib clients. The scrape keeps one per target; a config reload makes new ones.
class MonitorConnections {
 public:
  explicit MonitorConnections(const TargetConfig& target);  // throws FetchError on a bad URL
  ~MonitorConnections();
  MonitorConnections(const MonitorConnections&) = delete;
  MonitorConnections& operator=(const MonitorConnections&) = delete;

  const MonitorEndpoint& endpoint() const { return endpoint_; }
  const TargetConfig& target() const { return target_; }
  // True for an http:// target: read with http_get_all over idle_sockets(), not cpp-httplib.
  bool plain_http() const { return plain_http_; }
  // Where http_get_all sends, given the host's resolution ("" for an IP literal).
  HttpPeer http_peer(const std::string& resolved_address) const;
  IdleSockets& idle_sockets() { return idle_sockets_; }
  // An idle connected client, or a new one configured for the target (TLS, auth, keep-alive).
  std::unique_ptr<httplib::Client> take();
  // A client whose last request completed: kept for the next request (at most a few idle).
  void give_back(std::unique_ptr<httplib::Client> client);

  // The address of the URL's host, resolved at most once at a time: a resolver that hangs holds
  // one background thread, never the scrape past `deadline`. Empty when the host is an IP literal.
  // Throws FetchError when resolution fails or does not end by `deadline`.
  std::string resolve(Clock::time_point deadline);

 private:
  struct Resolution;
  TargetConfig target_;
  MonitorEndpoint endpoint_;
  std::string host_;  // the URL's host, without brackets
  bool host_is_ip_ = false;
  bool plain_http_ = false;
  std::string authorization_;  // the header line(s) every plain-HTTP request carries
  IdleSockets idle_sockets_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;
  std::shared_ptr<Resolution> resolving_;  // the lookup in flight or last done
};

// Reads one target for the length of one scrape. Every request ends by `deadline`: connect, TLS,
// and reads are bounded by the time left, and a body that is still arriving at the deadline or
// grows past `max_bytes` is abandoned. Thread-safe; a path asked for twice is fetched once.
class HttpMonitorSource : public MonitorSource {
 public:
  HttpMonitorSource(const TargetConfig& target, Clock::time_point deadline, std::size_t max_bytes);
  // The same over connections kept across scrapes.
  HttpMonitorSource(std::shared_ptr<MonitorConnections> connections, Clock::time_point deadline, std::size_t max_bytes);

  std::shared_ptr<const JsonDocument> get_json(const std::string& path_and_query, bool any_status = false) override;
  // Over plain HTTP: GETs every path at once (one thread, one connection each) and keeps the
  // answers for this scrape's get_json calls, which then send nothing. False over HTTPS.
  bool prefetch(const std::vector<std::string>& paths) override;
  bool can_prefetch() const override { return connections_->plain_http(); }
  // Parsed as it is split (parse_json_elements), outside the per-scrape cache.
  JsonElements get_json_elements(const std::string& path_and_query, std::string_view array_key,
                                 const JsonElementCallback& on_element) override;

  // Cuts every request still running (the scrape's deadline has passed): their sockets are shut
  // down, so a peer that trickles bytes or never answers cannot hold the scrape. Later requests
  // fail at once. Safe from any thread, and to call repeatedly.
  void cancel() override;

  // True when at least one request of this scrape got a parsable answer.
  bool answered() const { return answered_.load(); }
  // How many HTTP requests were sent (for self-metrics and tests).
  std::size_t requests_sent() const { return requests_.load(); }

 private:
  // A response as it came: a status and a whole body.
  struct Answer {
    int status = 0;
    std::string body;
  };
  // The answer to GET `path_and_query`: prefetched, or read now (our client or cpp-httplib).
  // Throws FetchError with `what` in front.
  Answer answer(const std::string& what, const std::string& path_and_query);
  Answer get_plain(const std::string& what, const std::string& path_and_query);
  Answer get_httplib(const std::string& what, const std::string& path_and_query);
  // The host's resolution, once per scrape.
  const std::string& address();
  // `parse` turns the body into the document (parse_json unless given).
  std::shared_ptr<const JsonDocument> fetch(
      const std::string& path_and_query, bool any_status,
      const std::function<std::shared_ptr<const JsonDocument>(std::string)>& parse = {});

  std::shared_ptr<MonitorConnections> connections_;
  Clock::time_point deadline_;
  std::size_t max_bytes_;
  std::atomic<bool> answered_{false};
  std::atomic<std::size_t> requests_{0};
  std::mutex mutex_;
  // Small documents stay shared for the whole scrape (/varz has four readers); a large one (a
  // /connz) is held only by its readers and freed as soon as the last one has translated it.
  struct Cached {
    std::shared_future<std::shared_ptr<const JsonDocument>> pending;  // until the fetch ends
    std::weak_ptr<const JsonDocument> large;
  };
  std::map<std::string, Cached> cache_;
  std::mutex address_mutex_;
  bool address_resolved_ = false;
  std::string address_;  // the host's resolution for this scrape ("" for an IP literal)
  std::atomic<bool> cancelled_{false};
  UniqueFd cancel_fd_;                            // plain HTTP: an eventfd in every poll set, written by cancel()
  std::map<std::string, HttpResult> prefetched_;  // by path and query, until its get_json takes it
  std::mutex active_mutex_;
  std::set<httplib::Client*> active_;  // requests in flight, for cancel()
};

}  // namespace natsexp
