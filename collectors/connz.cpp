#include "collectors/connz.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "collectors/connection_fields.h"
#include "collectors/link_stats.h"
#include "collectors/registry_list.h"

namespace natsexp {

namespace {

constexpr std::size_t kServerMaxPage = 1024;  // nats-server's own cap on one /connz page
constexpr std::size_t kMaxPages = 1024;       // hard stop whatever `total` claims

// What connz keeps of one connection while it pages: the label values and the numbers.
struct Record : ClientIdentity {
  LinkStats stats;
};

class ConnzAggregator {
 public:
  // Takes one element of a page's "connections". True when it is an open connection not seen
  // before; a cid seen before is replaced by these (newer) values and gives false.
  bool add(const JsonValue& conn) {
    if (!conn.is_object() || is_closed_connection(conn)) return false;
    Record r;
    static_cast<ClientIdentity&>(r) = read_client_identity(conn);
    r.stats = read_link_stats(conn);
    if (!r.cid) {  // cannot be deduplicated nor labelled: counted in the aggregates only
      anonymous_.push_back(std::move(r));
      return true;
    }
    const std::uint64_t cid = *r.cid;
    return by_cid_.insert_or_assign(cid, std::move(r)).second;
  }

  std::size_t size() const { return by_cid_.size() + anonymous_.size(); }

  void emit(std::size_t top_n, MetricSet& out) const {
    Sum pending, subs, in_msgs, out_msgs, in_bytes, out_bytes;
    std::optional<double> max_rtt;
    auto each = [&](const Record& r) {
      pending.add(r.stats.pending_bytes);
      subs.add(r.stats.subscriptions);
      in_msgs.add(r.stats.in_msgs);
      out_msgs.add(r.stats.out_msgs);
      in_bytes.add(r.stats.in_bytes);
      out_bytes.add(r.stats.out_bytes);
      if (r.stats.rtt_seconds && (!max_rtt || *r.stats.rtt_seconds > *max_rtt)) max_rtt = r.stats.rtt_seconds;
    };
    for (const auto& [cid, r] : by_cid_) each(r);
    for (const auto& r : anonymous_) each(r);
    const bool none = size() == 0;  // no connection: every sum is a true zero

    out.gauge("nats_connz_connections", "Client connections open now, counted over every /connz page.")
        .set(static_cast<double>(size()));
    out.gauge("nats_connz_pending_bytes",
              "Bytes the server holds for all open client connections, waiting to be written to them.")
        .set(pending.value(none));
    out.gauge("nats_connz_subscriptions", "Subscriptions of all open client connections.").set(subs.value(none));
    const std::string drops = " Drops when a connection closes: use the nats_server_*_total counters for rates.";
    out.gauge("nats_connz_messages_received",
              "Messages the server received from the open client connections, summed." + drops)
        .set(in_msgs.value(none));
    out.gauge("nats_connz_messages_sent", "Messages the server sent to the open client connections, summed." + drops)
        .set(out_msgs.value(none));
    out.gauge("nats_connz_bytes_received",
              "Payload bytes the server received from the open client connections, summed." + drops)
        .set(in_bytes.value(none));
    out.gauge("nats_connz_bytes_sent", "Payload bytes the server sent to the open client connections, summed." + drops)
        .set(out_bytes.value(none));
    out.gauge("nats_connz_max_rtt_seconds",
              "Highest round-trip time the server measured among the open client connections.")
        .set(max_rtt);

    if (top_n == 0) return;
    std::set<std::uint64_t> chosen;
    pick_top(top_n, chosen, [](const Record& r) { return r.stats.pending_bytes; });
    pick_top(top_n, chosen, [](const Record& r) { return r.stats.rtt_seconds; });
    const LinkKind kind{"nats_connz_connection", "client connection"};
    for (std::uint64_t cid : chosen) {  // ascending cid: a stable order
      const Record& r = by_cid_.at(cid);
      add_link_stats(out, kind, r.stats,
                     {{"cid", std::to_string(cid)},
                      {"name", r.name},
                      {"ip", r.ip},
                      {"account", r.account},
                      {"lang", r.lang},
                      {"version", r.version}});
    }
  }

 private:
  // A sum over the connections that have the field; nullopt when none has it (unless there are
  // no connections at all, where 0 is the truth).
  struct Sum {
    double total = 0;
    bool seen = false;
    void add(std::optional<double> v) {
      if (!v) return;
      total += *v;
      seen = true;
    }
    std::optional<double> value(bool no_connections) const {
      if (seen || no_connections) return total;
      return std::nullopt;
    }
  };

  // Adds to `chosen` the cids of the `n` connections with the highest key (those with a key),
  // ties to the lower cid.
  template <typename Key>
  void pick_top(std::size_t n, std::set<std::uint64_t>& chosen, Key key) const {
    std::vector<std::pair<double, std::uint64_t>> ranked;
    ranked.reserve(by_cid_.size());
    for (const auto& [cid, r] : by_cid_)
      if (auto k = key(r)) ranked.emplace_back(*k, cid);
    const std::size_t take = std::min(n, ranked.size());
    auto higher = [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(take), ranked.end(), higher);
    for (std::size_t i = 0; i < take; ++i) chosen.insert(ranked[i].second);
  }

  std::map<std::uint64_t, Record> by_cid_;
  std::vector<Record> anonymous_;
};

}  // namespace

void translate_connz(const std::vector<JsonValue>& connections, std::size_t top_n, MetricSet& out) {
  ConnzAggregator conns;
  for (const JsonValue& c : connections) conns.add(c);
  conns.emit(top_n, out);
}

void translate_connz(const JsonValue& document, MetricSet& out) {
  const JsonValue& list = child(document, "connections");
  if (!list.is_array()) throw FetchError("connz: the document has no \"connections\" list");
  ConnzAggregator conns;
  for (const JsonValue& c : list) conns.add(c);
  conns.emit(CollectorOptions{}.connz_top_n, out);
}

void ConnzCollector::collect(MonitorSource& source, const CollectorOptions& options, MetricSet& out) const {
  const std::size_t limit = options.connz_page_size ? options.connz_page_size : kServerMaxPage;
  ConnzAggregator conns;
  std::size_t offset = 0;
  std::size_t max_pages = kMaxPages;
  for (std::size_t page = 0; page < max_pages; ++page) {
    const auto page_doc =
        source.get_json("/connz?auth=true&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset));
    const JsonValue doc = page_doc->root();
    if (page == 0) require_endpoint_document(doc, "connz");
    const JsonValue& list = child(doc, "connections");
    if (!list.is_array()) {
      if (page == 0) throw FetchError("connz: the first page has no \"connections\" list");
      break;  // a malformed later page: report what the earlier pages gave
    }
    if (list.empty()) break;
    std::size_t fresh = 0;
    for (const JsonValue& c : list)
      if (conns.add(c)) ++fresh;
    const std::optional<double> total = number(doc, "total");
    if (page == 0 && total && *total >= 0) {
      // The server may cap the page below `limit`: size the guard on what it actually returned.
      const double pages = std::floor(*total / static_cast<double>(list.size())) + 2;
      if (pages < static_cast<double>(max_pages)) max_pages = static_cast<std::size_t>(pages);
    }
    if (total && static_cast<double>(conns.size()) >= *total) break;
    if (fresh == 0) break;  // nothing new: a server ignoring the offset would serve this page forever
    offset += list.size();
  }
  conns.emit(options.connz_top_n, out);
}

std::unique_ptr<Collector> make_connz_collector() { return std::make_unique<ConnzCollector>(); }

}  // namespace natsexp
