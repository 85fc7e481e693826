#include "collectors/connz_full_read.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace natsexp {

namespace {

std::optional<std::string> non_empty(const JsonValue& j, const char* key) {
  auto t = text(j, key);
  if (!t || t->empty()) return std::nullopt;
  return t;
}

constexpr std::size_t kMaxPages = 1024;  // hard stop whatever `total` claims
// Evidence slots reserved ahead of a page (mapped lazily: only the slots filled become resident);
// a bigger page grows the vector as usual, so a hostile /varz count cannot reserve gigabytes.
constexpr std::size_t kMaxReserved = 100000;

// Room for connections opened between /varz and /connz, so one request nearly always suffices.
std::size_t limit_for(std::optional<double> connection_count) {
  if (!connection_count || !std::isfinite(*connection_count) || *connection_count < 0) return 1024;
  const double n = std::min(*connection_count, 1e7);
  return static_cast<std::size_t>(n + std::max(64.0, n / 10));
}

// A full read is tens of thousands of small allocations (names, subjects); once they are freed,
// glibc keeps the pages unless asked. Give them back: a read is freed once per interval.
void release_read(const FullConnzRead* read) {
  delete read;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

std::optional<ConnectionEvidence> parse_connection(const JsonValue& c) {
  if (!c.is_object() || is_closed_connection(c)) return std::nullopt;
  ConnectionEvidence e;
  static_cast<ClientIdentity&>(e) = read_client_identity(c);
  e.rtt = duration(c, "rtt");
  e.pending_bytes = number(c, "pending_bytes");
  e.link = read_link_stats(c);
  e.tls_version = text_or(c, "tls_version");
  e.tls_cipher = text_or(c, "tls_cipher_suite");
  const JsonValue& subs = child(c, "subscriptions_list_detail");
  if (subs.is_array()) {
    for (const JsonValue& s : subs) {
      auto subject = non_empty(s, "subject");
      if (!subject) continue;
      e.subscriptions.push_back({*subject, text_or(s, "qgroup"), number(s, "msgs")});
    }
  } else {
    // Without subs=detail, servers list the subjects only (no queue group is known then).
    const JsonValue& plain = child(c, "subscriptions_list");
    if (plain.is_array())
      for (const JsonValue& s : plain)
        if (auto subject = s.as_string(); subject && !subject->empty())
          e.subscriptions.push_back({std::string(*subject), "", std::nullopt});
  }
  return e;
}

std::vector<ConnectionEvidence> parse_connections(const JsonValue& page) {
  std::vector<ConnectionEvidence> out;
  const JsonValue& list = child(page, "connections");
  if (!list.is_array()) return out;
  out.reserve(list.size());  // a full read holds every connection: no regrowth, no spare capacity
  for (const JsonValue& c : list)
    if (auto e = parse_connection(c)) out.push_back(std::move(*e));
  return out;
}

std::vector<ClosedConnectionEvidence> parse_closed_connections(const JsonValue& doc) {
  std::vector<ClosedConnectionEvidence> out;
  const JsonValue& list = child(doc, "connections");
  if (!list.is_array()) return out;
  for (const JsonValue& c : list) {
    if (!c.is_object()) continue;
    ClosedConnectionEvidence e;
    static_cast<ClientIdentity&>(e) = read_client_identity(c);
    e.reason = text_or(c, "reason");
    e.stop = timestamp(c, "stop");
    e.pending_bytes = number(c, "pending_bytes");
    out.push_back(std::move(e));
  }
  return out;
}

std::string connz_detail_path(std::size_t limit, std::size_t offset) {
  return "/connz?auth=true&subs=detail&limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
}

FullConnzRead read_full_connz(MonitorSource& source, std::optional<double> connection_count, std::size_t max_page) {
  FullConnzRead out;
  try {
    std::size_t limit = limit_for(connection_count);
    if (max_page && limit > max_page) limit = max_page;
    // Pages are appended as they come and deduplicated by cid at the end (a connection can move
    // between pages while we read), in place: no second copy of every connection.
    std::vector<ConnectionEvidence> all;
    std::unordered_set<std::uint64_t> seen;
    std::size_t anonymous = 0;  // connections without a cid: never deduplicated
    std::size_t offset = 0, max_pages = kMaxPages;
    for (std::size_t page = 0; page < max_pages; ++page) {
      // Each connection becomes evidence as it is parsed: the page is never held parsed whole.
      std::vector<ConnectionEvidence> parsed;
      parsed.reserve(std::min(limit, kMaxReserved));
      const JsonElements page_doc =
          source.get_json_elements(connz_detail_path(limit, offset), "connections", [&](const JsonValue& c) {
            if (auto e = parse_connection(c)) parsed.push_back(std::move(*e));
          });
      ++out.requests;
      const JsonValue doc = page_doc.rest->root();
      if (page == 0) require_endpoint_document(doc, "connz");
      const JsonValue list = child(doc, "connections");
      if (!list.is_array()) {
        if (page == 0) throw FetchError("connz: the document has no \"connections\" list");
        break;
      }
      if (page_doc.elements == 0) break;
      std::size_t fresh = 0;
      for (const auto& c : parsed) {
        if (!c.cid) ++anonymous;
        if (!c.cid || seen.insert(*c.cid).second) ++fresh;
      }
      if (all.empty()) {
        all = std::move(parsed);  // the one page of a read sized from /varz
      } else {
        all.reserve(all.size() + parsed.size());
        for (auto& c : parsed) all.push_back(std::move(c));
      }
      const std::optional<double> total = number(doc, "total");
      if (page == 0 && total && *total >= 0) {
        const double pages = std::floor(*total / static_cast<double>(page_doc.elements)) + 2;
        if (pages < static_cast<double>(max_pages)) max_pages = static_cast<std::size_t>(pages);
      }
      if (!total || static_cast<double>(seen.size() + anonymous) >= *total) break;
      if (fresh == 0) break;  // a server ignoring the offset would serve this page forever
      offset += page_doc.elements;
    }
    // By cid, the later page's copy of a connection winning; connections without a cid last.
    std::stable_sort(all.begin(), all.end(), [](const ConnectionEvidence& a, const ConnectionEvidence& b) {
      if (!a.cid || !b.cid) return a.cid.has_value() && !b.cid.has_value();
      return *a.cid < *b.cid;
    });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const bool superseded = all[i].cid && i + 1 < all.size() && all[i + 1].cid == all[i].cid;
      if (superseded) continue;
      if (kept != i) all[kept] = std::move(all[i]);
      ++kept;
    }
    all.erase(all.begin() + static_cast<std::ptrdiff_t>(kept), all.end());
    out.connections = std::move(all);
  } catch (const std::exception& e) {
    out.connections_error = e.what();
  }

  try {
    const auto closed_doc = source.get_json(kClosedConnzPath);
    ++out.requests;
    const JsonValue closed = closed_doc->root();
    require_endpoint_document(closed, "connz");
    if (!child(closed, "connections").is_array()) throw FetchError("no \"connections\" list");
    out.closed = parse_closed_connections(closed);
    out.closed_now = timestamp(closed, "now");
  } catch (const std::exception& e) {
    out.closed_error = e.what();
  }
  return out;
}

void FullConnzCache::start_scrape() {
  std::lock_guard<std::mutex> lock(mutex_);
  scrape_started_ = Clock::now();
}

void FullConnzCache::end_scrape() {
  std::lock_guard<std::mutex> lock(mutex_);
  scrape_started_.reset();
}

void FullConnzCache::set_interval(std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(mutex_);
  interval_ = interval;
}

std::shared_ptr<const FullConnzRead> FullConnzCache::get(MonitorSource& source, std::optional<double> connection_count,
                                                         std::size_t max_page) {
  std::promise<std::shared_ptr<const FullConnzRead>> promise;
  std::shared_future<std::shared_ptr<const FullConnzRead>> shared;
  bool leader = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (last_ && last_at_ &&
        (Clock::now() - *last_at_ < interval_ || (scrape_started_ && *last_at_ >= *scrape_started_)))
      return last_;
    if (!in_flight_.valid()) {
      in_flight_ = promise.get_future().share();
      leader = true;
    }
    shared = in_flight_;
  }
  if (!leader) return shared.get();  // a read is in flight: share it rather than ask the server twice
  {
    // The stale read goes now, not after the new one is built beside it (peak RSS); whoever still
    // uses it holds its own reference.
    std::lock_guard<std::mutex> lock(mutex_);
    last_.reset();
  }
  std::shared_ptr<const FullConnzRead> read(new FullConnzRead(read_full_connz(source, connection_count, max_page)),
                                            release_read);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++reads_;
    if (read->connections) {  // a failed read is retried at the next scrape, not kept for the interval
      last_ = read;
      last_at_ = Clock::now();
    }
    in_flight_ = {};
  }
  promise.set_value(read);
  return read;
}

std::optional<double> FullConnzCache::age_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!last_at_) return std::nullopt;
  return std::chrono::duration<double>(Clock::now() - *last_at_).count();
}

std::uint64_t FullConnzCache::reads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reads_;
}

bool FullConnzCache::rtt_sort_refused() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rtt_sort_refused_at_ && Clock::now() - *rtt_sort_refused_at_ < kRttSortRetry;
}

void FullConnzCache::note_rtt_sort_refused() {
  std::lock_guard<std::mutex> lock(mutex_);
  rtt_sort_refused_at_ = Clock::now();
}

}  // namespace natsexp
