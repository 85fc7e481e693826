#include "exporter/scrape.h"

#include <iterator>
#include <set>
#include <vector>

#include "base/fan_out.h"
#include "base/log.h"
#include "exporter/exposition.h"
#include "exporter/version.h"

namespace natsexp {

namespace {

using Seconds = std::chrono::duration<double>;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// What one collector of one target produced in this scrape.
struct CollectorRun {
  const TargetConfig* target = nullptr;
  std::string name;
  std::unique_ptr<Collector> collector;
  MonitorSource* source = nullptr;  // its target's; null when the target cannot be read
  const CollectorOptions* options = nullptr;
  bool batched = false;  // run in its target's one task (a prefetching source), not a task of its own
  MetricSet metrics;
  bool ok = false;
  // The collector's own time: its translation, the parse of what it reads, and its follow-up
  // reads. For a prefetching source the first reads' network time is not in it (they were fetched
  // together before any collector ran).
  double seconds = 0;
};

struct TargetRun {
  const TargetConfig* target = nullptr;
  TargetKey key;
  std::unique_ptr<MonitorSource> source;
  std::shared_ptr<MonitorSource> system_source;  // a system-account target's (no HTTP source then)
  MonitorSource* reader() const { return source ? source.get() : system_source.get(); }
  CollectorOptions options;
  std::optional<ServerIdentity> identity;  // from this scrape's /varz
  bool collector_reads_varz = false;       // the varz or doctor collector runs: /varz is read anyway
  bool prefetches = false;                 // read by one task: a batch, then its collectors in turn
};

void run_collector(CollectorRun& run) {
  const auto t0 = Clock::now();
  try {
    run.collector->collect(*run.source, *run.options, run.metrics);
    run.ok = true;
  } catch (const std::exception& e) {
    log::warn("collector failed", {{"server", run.target->name}, {"collector", run.name}, {"err", e.what()}});
  }
  run.seconds = Seconds(Clock::now() - t0).count();
}

// The identity of a target from its /varz; nullopt when it could not be read or names no server.
std::optional<ServerIdentity> read_target_identity(MonitorSource& source) {
  try {
    const auto varz = source.get_json("/varz");
    require_endpoint_document(varz->root(), "varz");  // a foreign document names no server
    return read_identity(varz->root());
  } catch (const std::exception&) {
    return std::nullopt;  // reported by the varz collector when it is on; the identity falls back
  }
}

void add_self_metrics(MetricSet& out) {
  out.gauge("nats_exporter_build_info", "nats-exporter's version; the value is always 1.")
      .add(1.0, {{"version", kVersion}, {"revision", kRevision}});
}

}  // namespace

milliseconds scrape_budget(const Config& config, std::optional<double> prometheus_timeout_seconds) {
  milliseconds budget = config.scrape_timeout;
  if (prometheus_timeout_seconds && *prometheus_timeout_seconds > 0) {
    auto theirs = duration_cast<milliseconds>(Seconds(*prometheus_timeout_seconds));
    auto with_margin = theirs - config.scrape_timeout_offset;
    // A tiny scrape_timeout in Prometheus must not leave us no time at all.
    if (with_margin < theirs / 2) with_margin = theirs / 2;
    if (with_margin < budget) budget = with_margin;
  }
  return budget;
}

Scraper::Scraper(std::shared_ptr<const Config> config, CollectorFactory collectors,
                 std::shared_ptr<MonitorSourceFactory> sources,
                 std::shared_ptr<system_account::SourceKeeper> system_account)
    : config_(std::move(config)),
      collectors_(std::move(collectors)),
      sources_(sources ? std::move(sources) : std::make_shared<HttpSourceFactory>()),
      system_account_(system_account ? std::move(system_account) : std::make_shared<system_account::SourceKeeper>()) {}

void Scraper::add_contributor(std::shared_ptr<ScrapeContributor> contributor) {
  std::lock_guard<std::mutex> lock(contributors_mutex_);
  contributors_.push_back(std::move(contributor));
}

void Scraper::set_config(std::shared_ptr<const Config> config) {
  std::lock_guard<std::mutex> lock(config_mutex_);
  config_ = std::move(config);
}

std::shared_ptr<const Config> Scraper::config() const {
  std::lock_guard<std::mutex> lock(config_mutex_);
  return config_;
}

ServerIdentity Scraper::identity_for(const TargetKey& key, const std::optional<ServerIdentity>& fresh, bool* known) {
  std::lock_guard<std::mutex> lock(identity_mutex_);
  *known = true;
  if (fresh) {
    ServerIdentity id = *fresh;
    // An unnamed server reports its server_id as its name, which changes at every restart; the
    // target's name is stable, so series survive restarts.
    if (id.server_name.empty() || id.server_name == id.server_id) id.server_name = key.name;
    last_identity_[key] = id;
    return id;
  }
  auto it = last_identity_.find(key);
  if (it != last_identity_.end()) return it->second;
  *known = false;
  return {key.name, "", ""};
}

std::shared_ptr<FullConnzCache> Scraper::full_connz_of(const TargetKey& target) const {
  return full_connz_.find(target);
}

MetricSet Scraper::collect(Clock::time_point deadline) {
  const auto config = this->config();
  const auto started = Clock::now();
  // A target's options; its full read, if any, may serve the whole of this scrape.
  const auto options_for = [&](const TargetKey& key) {
    CollectorOptions options;
    options.connz_top_n = config->connz_top_n;
    options.full_connz = full_connz_.get(key, config->connz_full_read_interval);
    if (options.full_connz) options.full_connz->start_scrape();
    return options;
  };

  // The servers the system account discovers are targets too (collectors/system_account/source.h).
  const auto system_account = system_account_->source_for(*config);
  std::vector<system_account::SystemTarget> system_targets;
  if (system_account) {
    system_targets = system_account->discover(deadline);
    if (system_account->tenant_mode())
      for (auto& st : system_targets) {
        std::vector<std::string> runnable;
        for (const auto& name : enabled_collectors(*config, st.target))
          if (system_account::tenant_collectors().count(name)) runnable.push_back(name);
        st.target.collectors = runnable;
      }
  }

  std::vector<TargetRun> targets;
  std::vector<CollectorRun> runs;
  targets.reserve(config->targets.size() + system_targets.size());
  for (const auto& target : config->targets) {
    TargetRun t;
    t.target = &target;
    t.key = {SourceKind::http, target.name};
    t.options = options_for(t.key);
    try {
      t.source = sources_->make(target, deadline, *config);
    } catch (const FetchError& e) {
      log::error("bad target URL", {{"server", target.name}, {"err", e.what()}});
    }
    for (const auto& name : enabled_collectors(*config, target)) {
      CollectorRun run;
      run.target = &target;
      run.name = name;
      run.collector = collectors_.make(name);
      t.collector_reads_varz = t.collector_reads_varz || (run.collector && (name == "varz" || name == "doctor"));
      runs.push_back(std::move(run));
    }
    targets.push_back(std::move(t));
  }
  for (auto& st : system_targets) {
    TargetRun t;
    t.target = &st.target;
    t.key = {SourceKind::system_account, st.target.name};
    t.system_source = st.source;
    // From the discovery reply: no /varz needed for the labels. A silent server has none, so it is
    // not up and keeps the labels it last had.
    if (st.source) t.identity = st.identity;
    t.options = options_for(t.key);
    targets.push_back(std::move(t));
    for (const auto& name : enabled_collectors(*config, st.target)) {
      CollectorRun run;
      run.target = &st.target;
      run.name = name;
      run.collector = collectors_.make(name);
      runs.push_back(std::move(run));
    }
  }

  // Forget what belongs to targets a reload removed.
  sources_->keep_only(*config);
  {
    std::set<TargetKey> keep;
    for (const auto& t : targets) keep.insert(t.key);
    full_connz_.keep_only(keep);
    // Servers the system account no longer lists would otherwise pile up here for good.
    std::lock_guard<std::mutex> lock(identity_mutex_);
    for (auto it = last_identity_.begin(); it != last_identity_.end();)
      it = keep.count(it->first) ? std::next(it) : last_identity_.erase(it);
  }

  // A target whose source prefetches (plain HTTP) is read by one task: /varz and every collector's
  // first reads in one batch, then its collectors one after another, their follow-up reads on the
  // same thread. Alone, it runs on this thread: no handoff at all. Other sources (HTTPS, the
  // system account) get one pool task per collector, as blocking reads need. Each task counts
  // itself done; at the deadline the sources cut whatever is still reading, so the wait ends
  // shortly after it.
  std::size_t tasks = 0, prefetching = 0;
  for (auto& t : targets) {
    t.prefetches = t.source && t.source->can_prefetch();
    if (t.prefetches) ++prefetching;
    for (auto& run : runs)
      if (run.target == t.target && run.collector) {
        run.source = t.reader();
        run.options = &t.options;
        run.batched = t.prefetches;
        if (!t.prefetches) ++tasks;
      }
  }
  const bool inline_target = prefetching == 1 && tasks == 0 && system_targets.empty();
  FanOut fetches;
  pool_.ensure_capacity(tasks + targets.size());
  for (auto& t : targets) {
    if (t.prefetches) {
      auto read_target = [&t, &runs] {
        std::vector<std::string> paths{"/varz"};  // the identity needs it; four collectors read it too
        for (auto& run : runs)
          if (run.target == t.target && run.collector)
            for (auto& path : run.collector->first_reads(t.options)) paths.push_back(std::move(path));
        t.source->prefetch(paths);
        for (auto& run : runs)
          if (run.target == t.target && run.source) run_collector(run);
        t.identity = read_target_identity(*t.source);
      };
      if (inline_target) read_target();
      else pool_.submit(fetches.task(read_target));
      continue;
    }
    // System-account targets have their identity from discovery. When a collector reads /varz, the
    // identity comes from the scrape's shared copy once the collectors are done (below): a task
    // of its own would only wait for theirs, two context switches per scrape.
    if (!t.source || t.collector_reads_varz) continue;
    pool_.submit(fetches.task([&t] { t.identity = read_target_identity(*t.source); }));
  }
  for (auto& run : runs) {
    if (run.source && !run.batched) pool_.submit(fetches.task([&run] { run_collector(run); }));
  }
  fetches.wait_until(deadline, [&targets] {
    for (auto& t : targets)
      if (t.source) t.source->cancel();
  });
  for (auto& t : targets)
    if (t.options.full_connz) t.options.full_connz->end_scrape();
  for (auto& t : targets)
    if (t.source && t.collector_reads_varz && !t.prefetches)
      t.identity = read_target_identity(*t.source);  // fetched already

  // Which targets answered: a port that answers something other than NATS' documents (a proxy,
  // another service) is not up.
  std::map<const TargetConfig*, bool> up_now;
  for (const auto& t : targets) {
    bool answered = t.identity.has_value();
    for (const auto& run : runs) answered = answered || (run.target == t.target && run.ok);
    up_now[t.target] = answered;
  }

  MetricSet out;
  std::map<const TargetConfig*, ServerIdentity> identities;
  std::vector<ReachedTarget> reached;
  for (auto& t : targets) {
    ReachedTarget r;
    r.kind = t.key.kind;
    r.identity = identities[t.target] = identity_for(t.key, t.identity, &r.identity_known);
    r.up = up_now[t.target];
    reached.push_back(std::move(r));
  }
  // A server reached both over HTTP and through the system account is reported once
  // (collectors/targets.h): the other side's target is dropped from this scrape's output.
  std::set<const TargetConfig*> dropped;
  if (system_account) {
    const auto left_out = reached_twice(reached, system_account->config().prefer_http);
    for (std::size_t i = 0; i < targets.size(); ++i)
      if (left_out[i]) dropped.insert(targets[i].target);
  }
  for (auto& t : targets) {
    if (dropped.count(t.target)) continue;
    const auto& identity = identities[t.target];
    Labels labels{{"server_name", identity.server_name}, {"cluster", identity.cluster}};
    for (const auto& [k, v] : t.target->labels) labels.emplace_back(k, v);
    for (auto& run : runs) {
      if (run.target != t.target || !run.ok) continue;
      run.metrics.add_labels(labels);
      out.merge(std::move(run.metrics));
    }
  }

  auto& up = out.gauge("nats_up",
                       "1 when the target's monitoring port answered this scrape with a NATS monitoring document "
                       "(its /varz, or any collector's endpoint), else 0.");
  auto& success = out.gauge("nats_exporter_collector_success", "1 when the collector succeeded in this scrape.");
  auto& took = out.gauge("nats_exporter_collector_duration_seconds", "How long the collector took in this scrape.");
  for (const auto& t : targets) {
    if (dropped.count(t.target)) continue;
    // server_name and cluster from the last good /varz (stable across restarts), so dashboards
    // can filter the self-metrics like every other series.
    const auto& id = identities[t.target];
    up.add(up_now[t.target] ? 1.0 : 0.0,
           {{"server", t.target->name}, {"server_name", id.server_name}, {"cluster", id.cluster}});
  }
  // The full read of every connection runs on its own cadence: say how old the one in use is.
  auto& age = out.gauge("nats_connz_full_read_age_seconds",
                        "Seconds since the last full read of every connection (/connz with subs=detail), which the "
                        "doctor and, before nats-server 2.10, the top N by RTT use; see --connz.full-read-interval.");
  auto& full_reads = out.counter("nats_exporter_connz_full_reads_total",
                                 "Full reads of every connection done since the exporter started.");
  for (const auto& t : targets) {
    if (dropped.count(t.target)) continue;
    const auto cache = t.options.full_connz;
    if (!cache || cache->reads() == 0) continue;
    const auto& id = identities[t.target];
    const Labels l{{"server", t.target->name}, {"server_name", id.server_name}, {"cluster", id.cluster}};
    // No server-derived series for a target that is down: the age would describe nothing current.
    if (up_now[t.target]) age.add(cache->age_seconds(), l);
    full_reads.add(static_cast<double>(cache->reads()), l);
  }
  for (const auto& run : runs) {
    if (dropped.count(run.target)) continue;
    const auto& id = identities[run.target];
    Labels l{{"server", run.target->name},
             {"collector", run.name},
             {"server_name", id.server_name},
             {"cluster", id.cluster}};
    success.add(run.ok ? 1.0 : 0.0, l);
    took.add(run.seconds, l);
  }
  if (system_account) system_account->contribute(out, config->collectors);
  {
    std::lock_guard<std::mutex> lock(contributors_mutex_);
    for (auto& c : contributors_) c->contribute(out);
  }
  add_self_metrics(out);
  out.gauge("nats_exporter_scrape_duration_seconds", "How long the whole collection took.")
      .set(Seconds(Clock::now() - started).count());
  out.counter("nats_exporter_scrapes_total", "Collections run since the exporter started.")
      .set(static_cast<double>(++scrapes_));
  return out;
}

std::shared_ptr<const std::string> Scraper::scrape(std::optional<double> prometheus_timeout_seconds) {
  // Join the collection already running rather than start a second one against the servers.
  return in_flight_.run([&] {
    const auto deadline = Clock::now() + scrape_budget(*config(), prometheus_timeout_seconds);
    auto metrics = collect(deadline);
    return std::make_shared<const std::string>(to_text_exposition(metrics.take()));
  });
}

}  // namespace natsexp
