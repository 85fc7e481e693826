// The full read of a server's connections: every open connection with its subscriptions in
// detail (names, TLS, RTT, pending), and the latest closed ones. The doctor needs it; it is the
// most expensive thing we ask a server for (nats-server builds and sorts every connection for
// each /connz request, whatever the page), so it is one request sized from the connection count,
// shared by every user, and done at most once per interval (FullConnzCache).
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collectors/collector.h"
#include "collectors/doctor/evidence.h"

namespace natsexp {

struct FullConnzRead {
  // Each is empty when it could not be read; the error then says why.
  std::optional<std::vector<doctor::ConnectionEvidence>> connections;
  std::string connections_error;
  std::optional<std::vector<doctor::ClosedConnectionEvidence>> closed;
  std::string closed_error;
  std::optional<double> closed_now;  // the closed-connections document's "now", Unix seconds
  std::size_t requests = 0;          // /connz requests this read took
};

// Paths: doctor::connz_detail_path(limit, offset) and doctor::kClosedConnzPath.

// Reads every open connection with ONE request whose limit is `connection_count` (from /varz)
// plus a margin for connections opened meanwhile, paging on only while the document's `total`
// says there are more; then the closed connections. `max_page` caps the page (0: no cap; tests).
// Never throws: failures are in the result.
FullConnzRead read_full_connz(MonitorSource& source, std::optional<double> connection_count, std::size_t max_page = 0);

// One target's last full read, kept across scrapes and shared by the doctor collector, the connz
// collector (RTT on 2.9), /doctor and the CLI. Thread-safe; concurrent callers share one read.
class FullConnzCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit FullConnzCache(std::chrono::milliseconds interval) : interval_(interval) {}

  void set_interval(std::chrono::milliseconds interval);
  // A scrape begins (ends): a read made in between serves the rest of that scrape whatever the
  // interval, so its users share one read also when they run one after another (one task per
  // target) and the interval is shorter than the scrape (0s: a read at every scrape). Readers
  // outside a scrape (/doctor) follow the interval alone.
  void start_scrape();
  void end_scrape();
  // The last read when it is younger than the interval and its connections were read; otherwise a
  // new read through `source`.
  std::shared_ptr<const FullConnzRead> get(MonitorSource& source, std::optional<double> connection_count,
                                           std::size_t max_page = 0);
  // Seconds since the last read that got the connections; nullopt before the first.
  std::optional<double> age_seconds() const;
  // Full reads done (whether or not they succeeded).
  std::uint64_t reads() const;

  // The connz collector's memory of a server that refused /connz?sort=rtt (HTTP 400: before
  // nats-server 2.10), so it does not ask at every scrape. Forgotten after kRttSortRetry: the
  // server may have been upgraded since.
  static constexpr std::chrono::minutes kRttSortRetry{10};
  bool rtt_sort_refused() const;
  void note_rtt_sort_refused();

 private:
  mutable std::mutex mutex_;
  std::chrono::milliseconds interval_;
  std::shared_ptr<const FullConnzRead> last_;
  std::optional<Clock::time_point> last_at_;
  std::optional<Clock::time_point> scrape_started_;
  std::shared_future<std::shared_ptr<const FullConnzRead>> in_flight_;
  std::uint64_t reads_ = 0;
  std::optional<Clock::time_point> rtt_sort_refused_at_;
};

}  // namespace natsexp
