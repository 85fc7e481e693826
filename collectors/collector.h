// The collector interface, in node_exporter's pattern: one collector per monitoring endpoint,
// registered by name, enabled by flags. The scrape times each one and reports its success.
//
// A collector reads JSON through a MonitorSource (the only I/O) and translates it into a MetricSet.
// The translation functions are pure and exposed in each collector's header for unit tests.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/endpoint_documents.h"
#include "collectors/fetch_error.h"
#include "collectors/json_fields.h"
#include "collectors/metric_set.h"

namespace natsexp {

// Reads one NATS server's monitoring endpoints. Implementations are thread-safe: the collectors of
// one target share one source and run in parallel.
class MonitorSource {
 public:
  virtual ~MonitorSource() = default;
  // GET `path_and_query` (e.g. "/connz?limit=1024&offset=0") and parse it as JSON. A non-2xx
  // status is a FetchError unless `any_status` is set (healthz answers 503 with a JSON reason).
  // Within one scrape, the same path is fetched once and the one parsed document is shared by every
  // collector asking for it (no copy); it is freed when the last holder lets go.
  virtual std::shared_ptr<const JsonDocument> get_json(const std::string& path_and_query, bool any_status = false) = 0;
  // The same for a document whose bulk is the top-level array `array_key` (the full read's /connz):
  // each element goes to `on_element`, and the document is never held parsed whole where the
  // source can avoid it (over HTTP: parse_json_elements). Not shared with get_json's readers.
  virtual JsonElements get_json_elements(const std::string& path_and_query, std::string_view array_key,
                                         const JsonElementCallback& on_element) {
    JsonElements out;
    out.rest = get_json(path_and_query);
    const JsonValue list = out.rest->root().find(array_key);
    for (const JsonValue& element : list) {
      on_element(element);
      ++out.elements;
    }
    return out;
  }
  // Fetches every path of `paths` now, at once, so the get_json calls that follow for them find the
  // answers waiting (a failed fetch is kept as their FetchError). False when the source cannot do
  // it (then nothing happened); can_prefetch() says so in advance.
  virtual bool prefetch(const std::vector<std::string>& /*paths*/) { return false; }
  virtual bool can_prefetch() const { return false; }
  // Past the scrape's deadline: ends the reads in progress and makes later ones fail at once.
  // Thread-safe. A source without I/O of its own has nothing to cancel.
  virtual void cancel() {}
};

class FullConnzCache;
namespace doctor {
class Doctor;
}

// Settings a collector may read. Filled from the config, per target.
struct CollectorOptions {
  std::size_t connz_top_n = 10;       // per-connection series for the top N by pending bytes and by RTT
  std::size_t connz_page_size = 256;  // connz sort=pending pages: at least the top N
  // The target's full read of every connection, kept across scrapes; null: read afresh each time.
  std::shared_ptr<FullConnzCache> full_connz;
};

// The name of the server this target is, as the collectors' leader checks need it (jsz).
struct ServerIdentity {
  std::string server_name;  // equals server_id when the server was given no name
  std::string cluster;
  std::string server_id;  // changes at every restart
};

class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view name() const = 0;
  // Reads what it needs from `source` and adds its families to `out`. Throws FetchError when the
  // endpoint as a whole is unusable; the scrape then drops everything this
  // collector added and reports it failed.
  virtual void collect(MonitorSource& source, const CollectorOptions& options, MetricSet& out) const = 0;
  // The path-and-query strings collect() will certainly ask get_json for first, exactly as it will
  // ask them, so the scrape can fetch them together beforehand (MonitorSource::prefetch). Reads
  // that depend on an answer (a next page) are not listed.
  virtual std::vector<std::string> first_reads(const CollectorOptions&) const { return {}; }
};

// The common case: a collector that GETs one path and translates it with a pure function. Its name
// is the endpoint's: the document must carry that endpoint's identifying keys (endpoint_documents.h).
class SingleEndpointCollector : public Collector {
 public:
  using Translate = void (*)(const JsonValue& document, MetricSet& out);
  SingleEndpointCollector(std::string name, std::string path, Translate translate)
      : name_(std::move(name)), path_(std::move(path)), translate_(translate) {}
  std::string_view name() const override { return name_; }
  std::vector<std::string> first_reads(const CollectorOptions&) const override { return {path_}; }
  void collect(MonitorSource& source, const CollectorOptions&, MetricSet& out) const override {
    const auto document = source.get_json(path_);
    require_endpoint_document(document->root(), name_);
    translate_(document->root(), out);
  }

 private:
  std::string name_;
  std::string path_;
  Translate translate_;
};

// Every collector, by name, in a stable order.
const std::vector<std::string>& collector_names();

// Makes collectors by name (the table in registry.cpp) and hands each what it needs beyond its
// MonitorSource: the `doctor` collector gets the Doctor given here.
class CollectorFactory {
 public:
  // Without a Doctor (tests, fuzzing), the doctor collector gets one of this factory's own, with
  // the default config and no probes.
  explicit CollectorFactory(std::shared_ptr<doctor::Doctor> doctor = nullptr);
  // The collector called `name`, or nullptr.
  std::unique_ptr<Collector> make(std::string_view name) const;

 private:
  std::shared_ptr<doctor::Doctor> doctor_;
};

// The collector called `name` from a default CollectorFactory, or nullptr.
std::unique_ptr<Collector> make_collector(std::string_view name);
// Collectors enabled when nothing says otherwise.
const std::vector<std::string>& default_collector_names();

// Reads the target's server identity from /varz (server_name, cluster.name).
ServerIdentity read_identity(const JsonValue& varz);

}  // namespace natsexp
