// connz: the client connections of this server (/connz), read with as few requests as the metrics
// need, so that a scrape's cost does not grow with the number of connections beyond one request's.
//
// nats-server builds and sorts every connection for each /connz request whatever the page, so a
// scrape asks as little as it can:
//   - the count is the first page's "total" (the same number as /varz "connections");
//   - the top N by pending bytes and the exact total of pending bytes come from
//     /connz?auth=true&sort=pending pages, the next page fetched only while the last connection of
//     a page still has pending bytes (nearly always one request);
//   - the top N by RTT comes from /connz?auth=true&sort=rtt on nats-server 2.10+, and before 2.10
//     (which answers "invalid sorting option: rtt") from the target's full read of every
//     connection (connz_full_read.h), made at most once per --connz.full-read-interval.
// Per-connection series are the union of both top N: connections with pending bytes, and
// connections whose RTT the server has measured (a zero RTT is one it has not).
#pragma once

#include <cstddef>
#include <vector>

#include "collectors/collector.h"

namespace natsexp {

// Pure: what a read of every connection gives. `connections` are the elements of one or more
// pages' "connections" arrays; elements that are not objects, and closed connections (with "stop"
// or "reason", as state=closed/all documents have them), are skipped; a cid seen twice
// (connections shift between pages) counts once, with its last values. Per-connection series for
// the union of the `top_n` highest by pending bytes (of those with pending bytes > 0) and the
// `top_n` highest by RTT (of those with RTT > 0), ties broken by lower cid; top_n 0 means none.
// Never throws. The collector's paged reading gives the same metrics (the unit tests compare them).
void translate_connz(const std::vector<JsonValue>& connections, std::size_t top_n, MetricSet& out);

// One /connz document (a single page) with the default top N (CollectorOptions). Throws FetchError
// when it is not an object with a "connections" array.
void translate_connz(const JsonValue& document, MetricSet& out);

// The per-scrape reading described above. A first sort=pending page that is not a connz document,
// or a sort=rtt request failing otherwise than with HTTP 400, is a FetchError; a later malformed
// page ends that paging. Pages stop at an empty or short page, a page that adds no new connection
// (a server ignoring the offset), or after total/page + 2 pages.
class ConnzCollector : public Collector {
 public:
  std::string_view name() const override { return "connz"; }
  void collect(MonitorSource& source, const CollectorOptions& options, MetricSet& out) const override;
  // The first sort=pending page, and the first sort=rtt page unless this server refused it before.
  std::vector<std::string> first_reads(const CollectorOptions& options) const override;
};

}  // namespace natsexp
