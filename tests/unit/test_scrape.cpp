// The scrape without HTTP: Scraper with a MonitorSourceFactory that hands out FakeSources.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collectors/scrape_contributor.h"
#include "exporter/scrape.h"
#include "tests/unit/fake_source.h"

using namespace natsexp;
using natsexp::testing::FakeSource;
using natsexp::testing::load_fixture_json;

namespace {

using namespace std::chrono_literals;

// What the test controls of one target: the documents it serves, and optionally a gate that holds
// every request until it opens (or until the scrape cancels the source).
struct FakeTarget {
  std::mutex mutex;  // collectors of one target read in parallel; FakeSource counts in a map
  FakeSource documents;
  std::condition_variable cv;
  bool gated = false, open = false;
  int cancels = 0, waiting = 0;
  bool prefetching = false;             // the source batches the first reads, as plain HTTP does
  std::vector<std::string> prefetched;  // what the scrape asked it to fetch first

  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    open = true;
    cv.notify_all();
  }
  int requests(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex);
    return documents.requests(path);
  }
};

// One scrape's source of one target: reads through the FakeTarget; cancel() fails what waits.
class GatedSource : public MonitorSource {
 public:
  explicit GatedSource(std::shared_ptr<FakeTarget> target) : target_(std::move(target)) {}
  std::shared_ptr<const JsonDocument> get_json(const std::string& path, bool any_status) override {
    std::unique_lock<std::mutex> lock(target_->mutex);
    ++target_->waiting;
    target_->cv.notify_all();
    target_->cv.wait(lock, [&] { return !target_->gated || target_->open || cancelled_; });
    --target_->waiting;
    if (cancelled_) throw FetchError("cancelled");
    return target_->documents.get_json(path, any_status);
  }
  bool can_prefetch() const override { return target_->prefetching; }
  bool prefetch(const std::vector<std::string>& paths) override {
    std::lock_guard<std::mutex> lock(target_->mutex);
    if (!target_->prefetching) return false;
    target_->prefetched.insert(target_->prefetched.end(), paths.begin(), paths.end());
    return true;
  }
  void cancel() override {
    std::lock_guard<std::mutex> lock(target_->mutex);
    cancelled_ = true;
    ++target_->cancels;
    target_->cv.notify_all();
  }

 private:
  std::shared_ptr<FakeTarget> target_;
  bool cancelled_ = false;  // under target_->mutex
};

class FakeSources : public MonitorSourceFactory {
 public:
  explicit FakeSources(std::map<std::string, std::shared_ptr<FakeTarget>> targets) : targets_(std::move(targets)) {}
  std::unique_ptr<MonitorSource> make(const TargetConfig& target, Clock::time_point, const Config&) override {
    ++made;
    auto it = targets_.find(target.name);
    if (it == targets_.end()) throw FetchError("bad URL");
    return std::make_unique<GatedSource>(it->second);
  }
  std::atomic<int> made{0};

 private:
  std::map<std::string, std::shared_ptr<FakeTarget>> targets_;
};

struct CountingContributor : ScrapeContributor {
  std::atomic<int> calls{0};
  void contribute(MetricSet& out) override {
    ++calls;
    out.gauge("test_contributed", "A contributor's family.").set(1.0);
  }
};

std::shared_ptr<const Config> config_with(const std::vector<std::string>& targets,
                                          std::vector<std::string> collectors) {
  auto c = std::make_shared<Config>();
  c->collectors = std::move(collectors);
  for (const auto& name : targets) {
    TargetConfig t;
    t.name = name;
    t.url = "http://" + name + ":8222";
    c->targets.push_back(t);
  }
  return c;
}

json varz_named(const std::string& server_name, const std::string& cluster) {
  json v = load_fixture_json("varz.json");
  v["server_name"] = server_name;
  v["cluster"]["name"] = cluster;
  return v;
}

struct Fixture {
  std::shared_ptr<FakeTarget> t1 = std::make_shared<FakeTarget>();
  std::shared_ptr<FakeTarget> t2 = std::make_shared<FakeTarget>();
  FakeSources* sources = nullptr;  // owned by the scraper

  Scraper make(std::shared_ptr<const Config> config) {
    auto owned =
        std::make_unique<FakeSources>(std::map<std::string, std::shared_ptr<FakeTarget>>{{"t1", t1}, {"t2", t2}});
    sources = owned.get();
    return Scraper(std::move(config), CollectorFactory(), std::move(owned));
  }
};

}  // namespace

TEST_CASE("scrape: the identity comes from /varz, then from the last good /varz, else the target's name") {
  Fixture f;
  f.t1->documents.serve("/varz", varz_named("n1", "c1"));
  json unnamed = load_fixture_json("varz.json");
  unnamed["server_name"] = unnamed["server_id"];  // an unnamed server reports its id as its name
  f.t2->documents.serve("/varz", unnamed);
  Scraper scraper = f.make(config_with({"t1", "t2"}, {"varz"}));

  MetricSet first = scraper.collect(Clock::now() + 5s);
  CHECK(first.value("nats_up", {{"server", "t1"}, {"server_name", "n1"}, {"cluster", "c1"}}) == 1);
  // The id changes at every restart; the target's name is stable.
  CHECK(first.value("nats_up", {{"server", "t2"}, {"server_name", "t2"}}) == 1);
  CHECK(first.value("nats_server_info", {{"server_name", "n1"}, {"cluster", "c1"}}).has_value());

  // t1's /varz fails now: its series keep the labels of the last good one.
  f.t1->documents = FakeSource();
  MetricSet second = scraper.collect(Clock::now() + 5s);
  CHECK(second.value("nats_up", {{"server", "t1"}, {"server_name", "n1"}, {"cluster", "c1"}}) == 0);
  CHECK(second.value("nats_exporter_collector_success",
                     {{"server", "t1"}, {"collector", "varz"}, {"server_name", "n1"}}) == 0);

  // A reload that removes t1 forgets its identity: added back and silent, it is named after itself.
  scraper.set_config(config_with({"t2"}, {"varz"}));
  scraper.collect(Clock::now() + 5s);
  scraper.set_config(config_with({"t1", "t2"}, {"varz"}));
  MetricSet readded = scraper.collect(Clock::now() + 5s);
  CHECK(readded.value("nats_up", {{"server", "t1"}, {"server_name", "t1"}, {"cluster", ""}}) == 0);

  // A target that never answered is named after itself.
  Fixture g;
  Scraper fresh = g.make(config_with({"t1"}, {"varz"}));
  MetricSet never = fresh.collect(Clock::now() + 5s);
  CHECK(never.value("nats_up", {{"server", "t1"}, {"server_name", "t1"}, {"cluster", ""}}) == 0);
}

TEST_CASE("scrape: the identity is read from /varz whether or not a collector reads /varz") {
  for (const std::vector<std::string>& collectors :
       {std::vector<std::string>{"routez"}, std::vector<std::string>{"varz"}, std::vector<std::string>{"doctor"},
        std::vector<std::string>{"varz", "routez", "doctor"}}) {
    CAPTURE(collectors.front());
    CAPTURE(collectors.size());
    Fixture f;
    f.t1->documents.serve("/varz", varz_named("n1", "c1"));
    f.t1->documents.serve("/routez", load_fixture_json("routez.json"));
    Scraper scraper = f.make(config_with({"t1"}, collectors));
    MetricSet out = scraper.collect(Clock::now() + 5s);
    CHECK(out.value("nats_up", {{"server", "t1"}, {"server_name", "n1"}, {"cluster", "c1"}}) == 1);
    CHECK(f.t1->requests("/varz") >= 1);
  }
}

TEST_CASE("scrape: a failed collector's families are dropped, the target's other collectors still report") {
  Fixture f;
  f.t1->documents.serve("/varz", varz_named("n1", "c1"));  // no /subsz: that collector fails
  Scraper scraper = f.make(config_with({"t1"}, {"varz", "subsz"}));
  MetricSet out = scraper.collect(Clock::now() + 5s);
  CHECK(out.find("nats_subsz_subscriptions") == nullptr);
  CHECK(out.count("nats_server_info") == 1);
  CHECK(out.value("nats_exporter_collector_success", {{"collector", "subsz"}}) == 0);
  CHECK(out.value("nats_exporter_collector_success", {{"collector", "varz"}}) == 1);
  CHECK(out.value("nats_up", {{"server", "t1"}}) == 1);
  // A target whose source cannot even be made (a bad URL) is down and runs no collector.
  auto config = std::make_shared<Config>(*config_with({"t1"}, {"varz"}));
  config->targets.push_back(TargetConfig{});
  config->targets.back().name = "unknown";
  Scraper with_bad = f.make(config);
  MetricSet bad = with_bad.collect(Clock::now() + 5s);
  CHECK(bad.value("nats_up", {{"server", "unknown"}}) == 0);
  CHECK(bad.value("nats_exporter_collector_success", {{"server", "unknown"}, {"collector", "varz"}}) == 0);
}

TEST_CASE("scrape: at the deadline the sources are cancelled and the collection ends") {
  Fixture f;
  f.t1->documents.serve("/varz", varz_named("n1", "c1"));
  f.t2->documents.serve("/varz", varz_named("n2", "c1"));
  f.t2->gated = true;  // t2 never answers
  Scraper scraper = f.make(config_with({"t1", "t2"}, {"varz"}));
  const auto started = Clock::now();
  MetricSet out = scraper.collect(started + 300ms);
  const auto took = Clock::now() - started;
  CHECK(took >= 300ms);
  CHECK(took < 3s);
  CHECK(f.t2->cancels >= 1);
  CHECK(out.value("nats_up", {{"server", "t1"}}) == 1);
  CHECK(out.value("nats_up", {{"server", "t2"}}) == 0);
  CHECK(out.value("nats_exporter_collector_success", {{"server", "t2"}, {"collector", "varz"}}) == 0);
}

TEST_CASE("scrape: self-metrics and contributors join every collection") {
  Fixture f;
  f.t1->documents.serve("/varz", varz_named("n1", "c1"));
  Scraper scraper = f.make(config_with({"t1"}, {"varz"}));
  auto contributor = std::make_shared<CountingContributor>();
  scraper.add_contributor(contributor);
  MetricSet first = scraper.collect(Clock::now() + 5s);
  CHECK(first.value("nats_exporter_scrapes_total") == 1);
  CHECK(first.count("nats_exporter_build_info") == 1);
  CHECK(first.value("nats_exporter_scrape_duration_seconds").has_value());
  CHECK(first
            .value("nats_exporter_collector_duration_seconds",
                   {{"server", "t1"}, {"collector", "varz"}, {"server_name", "n1"}, {"cluster", "c1"}})
            .has_value());
  CHECK(first.value("test_contributed") == 1);
  MetricSet second = scraper.collect(Clock::now() + 5s);
  CHECK(second.value("nats_exporter_scrapes_total") == 2);
  CHECK(contributor->calls == 2);
  // One /varz per target and scrape, however many collectors read it (the source is per scrape).
  CHECK(f.t1->requests("/varz") == 4);  // the identity read and the varz collector, twice
}

TEST_CASE("scrape: callers arriving during a collection share it (single flight)") {
  Fixture f;
  f.t1->documents.serve("/varz", varz_named("n1", "c1"));
  f.t1->gated = true;
  Scraper scraper = f.make(config_with({"t1"}, {"varz"}));
  auto first = std::async(std::launch::async, [&] { return scraper.scrape(); });
  {
    // Wait until the first collection is reading, then send a second caller.
    std::unique_lock<std::mutex> lock(f.t1->mutex);
    f.t1->cv.wait(lock, [&] { return f.t1->waiting > 0; });
  }
  auto second = std::async(std::launch::async, [&] { return scraper.scrape(); });
  std::this_thread::sleep_for(200ms);  // let it join the flight
  f.t1->release();
  const auto a = first.get();
  const auto b = second.get();
  CHECK(a.get() == b.get());  // the same body, not a copy
  CHECK(f.sources->made == 1);
  CHECK(a->find("nats_exporter_scrapes_total 1") != std::string::npos);
  // A caller after the flight ended starts a new collection.
  f.t1->gated = false;
  const auto c = scraper.scrape();
  CHECK(c.get() != a.get());
  CHECK(f.sources->made == 2);
}

namespace {

// The exposition without the lines that measure time (durations, the full read's age).
std::string without_timings(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.rfind("nats_exporter_collector_duration_seconds{", 0) != 0 &&
        line.rfind("nats_exporter_scrape_duration_seconds ", 0) != 0 &&
        line.rfind("nats_connz_full_read_age_seconds{", 0) != 0)
      out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("scrape: a prefetching source gives the same exposition, and each first read is asked for as declared") {
  std::string expositions[2];
  for (int prefetching = 0; prefetching < 2; ++prefetching) {
    Fixture f;
    natsexp::testing::serve_n1(f.t1->documents);
    f.t1->prefetching = prefetching == 1;
    auto config = std::make_shared<Config>();
    config->collectors = default_collector_names();  // the doctor included
    TargetConfig t;
    t.name = "t1";
    t.url = "http://t1:8222";
    config->targets.push_back(t);
    auto scraper = f.make(config);
    expositions[prefetching] = without_timings(*scraper.scrape());
    if (prefetching == 0) {
      CHECK(f.t1->prefetched.empty());
      continue;
    }
    // /varz first, then each collector's declared reads; each was then read with exactly that string.
    REQUIRE(f.t1->prefetched.size() > 8);
    CHECK(f.t1->prefetched.front() == "/varz");
    for (const auto& path : f.t1->prefetched) {
      CAPTURE(path);
      CHECK(f.t1->requests(path) >= 1);
    }
  }
  CHECK(expositions[0].find("nats_exporter_collector_success{server=\"t1\",collector=\"connz\"") != std::string::npos);
  CHECK(expositions[0] == expositions[1]);
}
