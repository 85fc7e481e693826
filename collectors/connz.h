// connz: the client connections of this server (/connz), paged to the end.
//
// The server returns at most 1024 connections per request, so the collector asks for
// /connz?auth=true&limit=<page size>&offset=<n> until it has them all. It reports aggregates over
// every open connection, and per-connection series only for the top N connections by pending bytes
// and the top N by RTT (their union), to keep cardinality bounded.
#pragma once

#include <cstddef>
#include <vector>

#include "collectors/collector.h"

namespace natsexp {

// Pure: the metrics of the open connections in `connections` (the elements of one or more pages'
// "connections" arrays). Elements that are not objects, and closed connections (with "stop" or
// "reason", as state=closed/all documents have them), are skipped; a cid seen twice (connections
// shift between pages) counts once, with its last values. Per-connection series for the union of
// the `top_n` highest by pending bytes and the `top_n` highest by RTT, ties broken by lower cid;
// top_n 0 means none. Never throws.
void translate_connz(const std::vector<JsonValue>& connections, std::size_t top_n, MetricSet& out);

// One /connz document (a single page) with the default top N (CollectorOptions). Throws FetchError
// when it is not an object with a "connections" array.
void translate_connz(const JsonValue& document, MetricSet& out);

// Pages through /connz with CollectorOptions::connz_page_size and translates all of it. Stops when
// it has the document's `total`, at an empty page, at a page that adds no new connection (a server
// ignoring the offset), or after total/page + 2 pages. A first page that is not a connz document
// is a FetchError; a later malformed page ends the paging and what came before is reported.
class ConnzCollector : public Collector {
 public:
  std::string_view name() const override { return "connz"; }
  void collect(MonitorSource& source, const CollectorOptions& options, MetricSet& out) const override;
};

}  // namespace natsexp
