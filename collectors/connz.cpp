#include "collectors/connz.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "collectors/connection_fields.h"
#include "collectors/connz_full_read.h"
#include "collectors/link_stats.h"
#include "collectors/registry_list.h"

namespace natsexp {

namespace {

constexpr std::size_t kMaxPages = 1024;  // hard stop whatever `total` claims

// What connz keeps of one connection: the label values and the numbers.
struct Record : ClientIdentity {
  LinkStats stats;
};

Record record_of(const JsonValue& conn) {
  Record r;
  static_cast<ClientIdentity&>(r) = read_client_identity(conn);
  r.stats = read_link_stats(conn);
  return r;
}

Record record_of(const ConnectionEvidence& c) {
  Record r;
  static_cast<ClientIdentity&>(r) = c;
  r.stats = c.link;
  return r;
}

std::optional<double> pending_of(const Record& r) { return r.stats.pending_bytes; }
std::optional<double> rtt_of(const Record& r) { return r.stats.rtt_seconds; }

// The open connections read so far, each once (by cid).
class Connections {
 public:
  // True when `r` is a connection not seen before; a cid seen before is replaced by these (newer)
  // values and gives false.
  bool add(Record r) {
    if (!r.cid) {  // cannot be deduplicated nor labelled: counted in the aggregates only
      anonymous_.push_back(std::move(r));
      return true;
    }
    const std::uint64_t cid = *r.cid;
    return by_cid_.insert_or_assign(cid, std::move(r)).second;
  }
  bool add(const JsonValue& conn) { return conn.is_object() && !is_closed_connection(conn) && add(record_of(conn)); }

  std::size_t size() const { return by_cid_.size() + anonymous_.size(); }
  bool contains(std::uint64_t cid) const { return by_cid_.count(cid) != 0; }

  // The sum of a field over the connections that have it; nullopt when none has it, unless there
  // is no connection at all (0 is then the truth).
  std::optional<double> sum(std::optional<double> (*key)(const Record&)) const {
    double total = 0;
    bool seen = false;
    each([&](const Record& r) {
      if (auto v = key(r)) total += *v, seen = true;
    });
    if (seen || size() == 0) return total;
    return std::nullopt;
  }
  std::optional<double> max(std::optional<double> (*key)(const Record&)) const {
    std::optional<double> best;
    each([&](const Record& r) {
      if (auto v = key(r); v && (!best || *v > *best)) best = v;
    });
    return best;
  }

  // The `n` connections (with a cid) whose key is highest and above zero, ties to the lower cid.
  std::vector<const Record*> top(std::size_t n, std::optional<double> (*key)(const Record&)) const {
    std::vector<std::pair<double, const Record*>> ranked;
    for (const auto& [cid, r] : by_cid_)
      if (auto k = key(r); k && *k > 0) ranked.emplace_back(*k, &r);
    const std::size_t take = std::min(n, ranked.size());
    auto higher = [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : *a.second->cid < *b.second->cid;
    };
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(take), ranked.end(), higher);
    std::vector<const Record*> out;
    for (std::size_t i = 0; i < take; ++i) out.push_back(ranked[i].second);
    return out;
  }

 private:
  template <typename F>
  void each(F f) const {
    for (const auto& [cid, r] : by_cid_) f(r);
    for (const auto& r : anonymous_) f(r);
  }

  std::map<std::uint64_t, Record> by_cid_;
  std::vector<Record> anonymous_;
};

// What one scrape reports, however it was read.
struct ConnzView {
  std::optional<double> connections;
  std::optional<double> pending_bytes;
  std::optional<double> max_rtt;
  std::vector<const Record*> by_pending, by_rtt;
};

void emit(const ConnzView& v, MetricSet& out) {
  out.gauge("nats_connz_connections", "Client connections open now (/connz \"total\", as /varz \"connections\").")
      .set(v.connections);
  out.gauge("nats_connz_pending_bytes",
            "Bytes the server holds for all open client connections, waiting to be written to them (exact: "
            "every connection with pending bytes is read).")
      .set(v.pending_bytes);
  out.gauge("nats_connz_max_rtt_seconds",
            "Highest round-trip time the server measured among the open client connections (before nats-server "
            "2.10: from the full read, see nats_connz_full_read_age_seconds).")
      .set(v.max_rtt);

  // Ascending cid, a stable order; a connection in both rankings shows the sort=pending page's
  // values, the freshest (the RTT ranking may come from the full read).
  std::map<std::uint64_t, const Record*> chosen;
  for (const Record* r : v.by_rtt) chosen[*r->cid] = r;
  for (const Record* r : v.by_pending) chosen[*r->cid] = r;
  const LinkKind kind{"nats_connz_connection", "client connection"};
  for (const auto& [cid, r] : chosen)
    add_link_stats(out, kind, r->stats,
                   {{"cid", std::to_string(cid)},
                    {"name", r->name},
                    {"ip", r->ip},
                    {"account", r->account},
                    {"lang", r->lang},
                    {"version", r->version}});
}

// A full read's view: everything from one set of connections.
void emit_all(const Connections& conns, std::size_t top_n, MetricSet& out) {
  emit({static_cast<double>(conns.size()), conns.sum(pending_of), conns.max(rtt_of), conns.top(top_n, pending_of),
        conns.top(top_n, rtt_of)},
       out);
}

std::string sorted_path(const char* sort, std::size_t limit, std::size_t offset) {
  return std::string("/connz?auth=true&sort=") + sort + "&limit=" + std::to_string(limit) +
         "&offset=" + std::to_string(offset);
}

struct SortedRead {
  std::optional<double> total;  // the first page's
  bool complete = false;        // ended where `more` said, or at the end of the list (not at a guard)
};

// Reads /connz sorted by `sort` (highest first) in pages of `limit` into `conns`, fetching the
// next page only while `more(last connection of the page)` says so. A first page that is not a
// connz document throws; a later malformed page ends it.
template <typename More>
SortedRead read_sorted(MonitorSource& source, const char* sort, std::size_t limit, Connections& conns, More more) {
  SortedRead read;
  std::optional<double>& first_total = read.total;
  std::size_t offset = 0, max_pages = kMaxPages;
  for (std::size_t page = 0; page < max_pages; ++page) {
    const auto page_doc = source.get_json(sorted_path(sort, limit, offset));
    const JsonValue doc = page_doc->root();
    if (page == 0) require_endpoint_document(doc, "connz");
    const JsonValue list = child(doc, "connections");
    if (!list.is_array()) {
      if (page == 0) throw FetchError("connz: the first page has no \"connections\" list");
      break;
    }
    const std::optional<double> total = number(doc, "total");
    if (page == 0) {
      if (total && *total >= 0) {
        first_total = total;
        // The server may cap the page below `limit`: size the guard on what it actually returned.
        const double pages = std::floor(*total / static_cast<double>(std::max<std::size_t>(list.size(), 1))) + 2;
        if (pages < static_cast<double>(max_pages)) max_pages = static_cast<std::size_t>(pages);
      }
    }
    read.complete = true;
    if (list.empty()) break;
    std::size_t fresh = 0;
    std::optional<JsonValue> last;
    for (const JsonValue& c : list) {
      if (conns.add(c)) ++fresh;
      last = c;
    }
    if (list.size() < limit) break;  // the end of the list
    if (!last->is_object() || !more(record_of(*last))) break;
    read.complete = false;
    if (fresh == 0) break;  // nothing new: a server ignoring the offset would serve this page forever
    offset += list.size();
  }
  return read;
}

// nats-server refuses an unknown sort option (sort=rtt before 2.10) with HTTP 400, and in a
// system-account reply with error code 500 (its $SYS handlers report every option error as 500).
// Either way the server answered and said no: the full read is the fallback.
bool is_bad_request(const FetchError& e) { return e.status() == 400 || e.status() == 500; }

}  // namespace

void translate_connz(const std::vector<JsonValue>& connections, std::size_t top_n, MetricSet& out) {
  Connections conns;
  for (const JsonValue& c : connections) conns.add(c);
  emit_all(conns, top_n, out);
}

void translate_connz(const JsonValue& document, MetricSet& out) {
  const JsonValue& list = child(document, "connections");
  if (!list.is_array()) throw FetchError("connz: the document has no \"connections\" list");
  Connections conns;
  for (const JsonValue& c : list) conns.add(c);
  emit_all(conns, CollectorOptions{}.connz_top_n, out);
}

// The same pages collect() asks for first: keep the two in step.
std::vector<std::string> ConnzCollector::first_reads(const CollectorOptions& options) const {
  const std::size_t top_n = options.connz_top_n;
  std::vector<std::string> paths{sorted_path("pending", std::max<std::size_t>({options.connz_page_size, top_n, 1}), 0)};
  if (!options.full_connz || !options.full_connz->rtt_sort_refused()) paths.push_back(sorted_path("rtt", top_n + 1, 0));
  return paths;
}

void ConnzCollector::collect(MonitorSource& source, const CollectorOptions& options, MetricSet& out) const {
  const std::size_t top_n = options.connz_top_n;
  ConnzView view;

  // Pending: every connection with pending bytes, for the exact total and the top N.
  Connections pending;
  const std::size_t page = std::max<std::size_t>({options.connz_page_size, top_n, 1});
  const SortedRead pending_read = read_sorted(
      source, "pending", page, pending, [](const Record& last) { return last.stats.pending_bytes.value_or(0) > 0; });
  view.connections = pending_read.total;
  if (!view.connections) {
    // No usable "total": /varz says the same, and the scrape has read it already (shared, no request).
    try {
      const auto varz = source.get_json("/varz");
      view.connections = number(varz->root(), "connections");
    } catch (const FetchError&) {}
  }
  view.pending_bytes = pending.sum(pending_of);
  view.by_pending = pending.top(top_n, pending_of);

  // RTT: sort=rtt on 2.10+, else the full read.
  Connections rtt;
  FullConnzCache* cache = options.full_connz.get();
  bool sorted_by_server = false;
  if (!cache || !cache->rtt_sort_refused()) {
    try {
      // One more than N: ties at the boundary are read to the end, so the lower cid wins as in a full read.
      read_sorted(source, "rtt", top_n + 1, rtt, [&rtt, top_n](const Record& last) {
        if (top_n == 0) return false;  // the first connection alone gives the maximum
        const auto ranked = rtt.top(top_n, rtt_of);
        const double key = last.stats.rtt_seconds.value_or(0);
        return key > 0 && (ranked.size() < top_n || key >= *ranked.back()->stats.rtt_seconds);
      });
      sorted_by_server = true;
    } catch (const FetchError& e) {
      if (!is_bad_request(e)) throw;
      if (cache) cache->note_rtt_sort_refused();
    }
  }
  if (sorted_by_server) {
    view.max_rtt = rtt.max(rtt_of);
  } else {
    const auto full = cache ? cache->get(source, view.connections)
                            : std::make_shared<const FullConnzRead>(read_full_connz(source, view.connections));
    if (full->connections) {
      // This runs at every scrape over every connection of the kept read: rank pointers, and
      // make Records of the top N only.
      std::vector<std::pair<double, const ConnectionEvidence*>> ranked;
      for (const auto& c : *full->connections) {
        const std::optional<double>& key = c.link.rtt_seconds;
        if (key && (!view.max_rtt || *key > *view.max_rtt)) view.max_rtt = key;
        if (key && *key > 0 && c.cid) ranked.emplace_back(*key, &c);
      }
      const std::size_t take = std::min(top_n, ranked.size());
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(take), ranked.end(),
                        [](const auto& a, const auto& b) {
                          return a.first != b.first ? a.first > b.first : *a.second->cid < *b.second->cid;
                        });
      for (std::size_t i = 0; i < take; ++i) {
        Record r = record_of(*ranked[i].second);
        // The full read may be older than this scrape: a connection the sort=pending pages did
        // not list has no pending bytes now (when they were read to the end).
        if (!pending.contains(*r.cid))
          r.stats.pending_bytes = pending_read.complete ? std::optional<double>(0) : std::nullopt;
        rtt.add(std::move(r));
      }
    }
  }
  view.by_rtt = rtt.top(top_n, rtt_of);
  emit(view, out);
}

std::unique_ptr<Collector> make_connz_collector() { return std::make_unique<ConnzCollector>(); }

}  // namespace natsexp
