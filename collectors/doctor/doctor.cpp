#include "collectors/doctor/doctor.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <thread>

#include "base/fan_out.h"
#include "collectors/connz_full_read.h"
#include "collectors/doctor/check_table.h"
#include "collectors/monitor_client.h"
#include "config/load.h"

namespace natsexp::doctor {

namespace {

constexpr double kForgetAfterSeconds = 3600;  // baselines of servers not seen for this long are dropped

std::string rfc3339_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One target's gathering for a report.
struct Job {
  TargetKey key;
  TargetConfig target;        // a copy: a discovered server's lives for this run only
  ServerIdentity discovered;  // a discovered server's identity, from the discovery reply
  std::shared_ptr<MonitorSource> source;
  std::shared_ptr<FullConnzCache> full_connz;  // the scrape's, when there is one
  std::optional<ServerEvidence> evidence;
  std::string error;
};

Doctor::Sources with_defaults(Doctor::Sources sources) {
  if (!sources.http) sources.http = std::make_shared<HttpSourceFactory>();
  if (!sources.system_account) sources.system_account = std::make_shared<system_account::SourceKeeper>();
  return sources;
}

// The reported-once rule's view of a job (collectors/targets.h).
ReachedTarget reached(const Job& job) {
  ReachedTarget r;
  r.kind = job.key.kind;
  r.up = job.evidence.has_value();
  if (job.evidence) {
    const auto& v = job.evidence->varz;
    r.identity = {v.server_name, v.cluster, v.server_id};
  } else if (job.key.kind == SourceKind::system_account) {
    r.identity = job.discovered;
  } else {
    r.identity = {job.target.name, "", ""};  // never read in this run: only its name is known
    r.identity_known = false;
  }
  return r;
}

}  // namespace

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void add_finding_metrics(const std::vector<CheckResult>& results, MetricSet& out) {
  auto& finding = out.gauge("nats_doctor_finding",
                            "Objects (connections, subjects, consumers, probes, settings) affected by the doctor "
                            "check's finding; 0 when the check passes or is skipped. See /doctor for the evidence.");
  for (const auto& r : results)
    finding.add(r.status == Status::finding ? static_cast<double>(r.affected) : 0.0,
                {{"check", r.id}, {"severity", doctor_severity_name(r.severity)}});
  auto& skipped = out.gauge("nats_doctor_check_skipped",
                            "1 when the doctor check could not be evaluated (disabled, or its evidence could not be "
                            "read), else 0.");
  for (const auto& r : results) skipped.add(r.status == Status::skipped ? 1.0 : 0.0, {{"check", r.id}});
}

Doctor::Doctor(std::shared_ptr<const Config> config, Sources sources)
    : config_source_([config = std::move(config)] { return config; }), sources_(with_defaults(std::move(sources))) {}

Doctor::Doctor(std::function<std::shared_ptr<const Config>()> config_source, Sources sources)
    : config_source_(std::move(config_source)), sources_(with_defaults(std::move(sources))) {}

std::shared_ptr<const Config> Doctor::config() const {
  auto config = config_source_ ? config_source_() : nullptr;
  if (!config) {
    static const auto kDefault = std::make_shared<const Config>();
    return kDefault;
  }
  return config;
}

void Doctor::set_probe_source(std::function<std::vector<probe::ProbeSnapshot>()> source) {
  std::lock_guard<std::mutex> lock(probe_mutex_);
  probe_source_ = std::move(source);
}

void Doctor::set_observation_source(std::function<std::vector<observations::ObservationSnapshot>()> source) {
  std::lock_guard<std::mutex> lock(probe_mutex_);
  observation_source_ = std::move(source);
}

void Doctor::count(const std::vector<CheckResult>& results) {
  for (const auto& r : results)
    if (r.status != Status::skipped) ++evaluated_;
}

std::vector<CheckResult> Doctor::evaluate_server(const ServerEvidence& evidence, double at, Channel channel) {
  const auto cfg = config();
  const auto key = std::make_pair(evidence.varz.server_id, evidence.target);
  const std::string inputs = evidence.connections ? connection_check_inputs(evidence) : std::string();
  std::optional<ServerBaseline> previous;
  std::map<std::string, CheckResult> reuse;
  {
    std::lock_guard<std::mutex> lock(history_mutex_);
    auto& servers = history(channel).servers;
    auto it = servers.find(evidence.varz.server_id);
    if (it != servers.end()) previous = it->second;
    auto kept = connection_results_.find(key);
    if (evidence.connections && kept != connection_results_.end() &&
        kept->second.connections.lock() == evidence.connections && kept->second.config == cfg &&
        kept->second.inputs == inputs) {
      reuse = kept->second.results;  // the same full read: the same results
      kept->second.used_at = at;
    }
  }
  const bool reused = !reuse.empty();
  auto results = doctor::evaluate_server(evidence, previous ? &*previous : nullptr, at, cfg->doctor, reuse);
  {
    std::lock_guard<std::mutex> lock(history_mutex_);
    auto& servers = history(channel).servers;
    auto& slot = servers[evidence.varz.server_id];
    if (slot.at <= at) slot = baseline_of(evidence, at);  // a slower, older evaluation never replaces a newer one
    for (auto it = servers.begin(); it != servers.end();)
      it = at - it->second.at > kForgetAfterSeconds ? servers.erase(it) : std::next(it);
    if (evidence.connections && !reused) {
      ConnectionResults kept{evidence.connections, cfg, inputs, {}, at};
      for (const auto& r : results)
        if (is_connection_check(r.id)) kept.results.emplace(r.id, r);
      connection_results_[key] = std::move(kept);
    }
    for (auto it = connection_results_.begin(); it != connection_results_.end();)  // of reads that are gone
      it = it->second.connections.expired() || at - it->second.used_at > kForgetAfterSeconds
               ? connection_results_.erase(it)
               : std::next(it);
  }
  count(results);
  return results;
}

template <typename T>
std::vector<T> Doctor::snapshots(const std::function<std::vector<T>()>& source) const {
  std::function<std::vector<T>()> copy;
  {
    std::lock_guard<std::mutex> lock(probe_mutex_);  // a setter may run meanwhile
    copy = source;
  }
  return copy ? copy() : std::vector<T>{};  // outside the lock: the source takes its own
}

std::vector<CheckResult> Doctor::evaluate_probes(double at, Channel channel) {
  const auto cfg = config();
  std::vector<probe::ProbeSnapshot> now = snapshots(probe_source_);
  std::lock_guard<std::mutex> lock(history_mutex_);
  auto& previous = history(channel).probes;
  auto results = doctor::evaluate_probes(now, previous ? &*previous : nullptr, at, cfg->doctor);
  if (!previous || previous->at <= at) previous = ProbeBaseline{at, std::move(now)};
  count(results);
  return results;
}

std::vector<CheckResult> Doctor::evaluate_observations(double at, Channel channel) {
  const auto cfg = config();
  std::vector<observations::ObservationSnapshot> now = snapshots(observation_source_);
  if (now.empty()) return {};  // without observations their checks are not part of the report
  std::lock_guard<std::mutex> lock(history_mutex_);
  auto& previous = history(channel).observations;
  observations::ObservationBaseline next;
  auto results = observations::evaluate_observations(now, previous ? &*previous : nullptr, at, cfg->doctor, next);
  if (!previous || previous->at <= at) previous = std::move(next);
  count(results);
  return results;
}

void Doctor::contribute(MetricSet& out) {
  const double at = monotonic_seconds();
  auto results = evaluate_probes(at, Channel::scrape);
  for (auto& r : evaluate_observations(at, Channel::scrape)) results.push_back(std::move(r));
  add_finding_metrics(results, out);
  out.counter("nats_doctor_checks_evaluated_total",
              "Doctor checks evaluated (not skipped) since the exporter started: per target and scrape, per probe "
              "evaluation, and per /doctor page.")
      .set(static_cast<double>(evaluated_.load()));
}

Report Doctor::run(const Config& config, Channel channel) {
  return running_.run([&] { return run_once(config, channel); });
}

Report Doctor::run_once(const Config& config, Channel channel) {
  const auto deadline = Clock::now() + config.scrape_timeout;
  std::deque<Job> jobs;  // a deque: the gathering threads hold references while jobs are added
  FanOut gathering;
  std::vector<std::thread> threads;
  const auto start = [&](Job& job) {
    if (sources_.full_connz) job.full_connz = sources_.full_connz(job.key);
    threads.emplace_back(gathering.task([&job] {
      try {
        job.evidence = gather_evidence(*job.source, job.full_connz.get());
      } catch (const std::exception& e) {
        job.error = e.what();
      }
    }));
  };
  for (const auto& target : config.targets) {
    Job& job = jobs.emplace_back();
    job.key = {SourceKind::http, target.name};
    job.target = target;
    try {
      job.source = sources_.http->make(target, deadline, config);
    } catch (const std::exception& e) {
      job.error = e.what();
      continue;
    }
    start(job);
  }
  // The HTTP targets are being read meanwhile: discovery takes a round trip and a gap.
  const auto system_account = sources_.system_account->source_for(config);
  if (system_account) {
    auto discovered = system_account->discover(deadline, /*for_scrape=*/false);
    const bool tenant = system_account->tenant_mode();
    for (auto& st : discovered) {
      Job& job = jobs.emplace_back();
      job.key = {SourceKind::system_account, st.target.name};
      job.target = st.target;
      job.discovered = st.identity;
      if (tenant) {
        job.error = "tenant mode: the doctor reads /varz, which needs a user of the system account";
      } else if (!st.source) {
        job.error = "did not answer the system account's discovery";
      } else {
        job.source = st.source;
        start(job);
      }
    }
  }
  // Past the deadline, cut what is still reading, as the scrape does.
  gathering.wait_until(deadline, [&jobs] {
    for (auto& j : jobs)
      if (j.source) j.source->cancel();
  });
  for (auto& t : threads) t.join();

  std::vector<bool> left_out(jobs.size(), false);
  if (system_account) {
    std::vector<ReachedTarget> all;
    for (const auto& job : jobs) all.push_back(reached(job));
    left_out = reached_twice(all, system_account->config().prefer_http);
  }

  const double at = monotonic_seconds();
  Report report;
  report.generated_at = rfc3339_now();
  {
    std::lock_guard<std::mutex> lock(history_mutex_);
    double latest = 0;
    for (const auto& [id, b] : history(channel).servers) latest = std::max(latest, b.at);
    if (latest > 0 && latest < at) report.interval_seconds = at - latest;
  }
  std::vector<const ServerEvidence*> reachable;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (left_out[i]) continue;
    Job& job = jobs[i];
    TargetReport t;
    t.name = job.target.name;
    t.url = redact_url(job.target.url);
    if (!job.evidence) {
      t.error = job.error.empty() ? "no answer before the deadline" : job.error;
      report.targets.push_back(std::move(t));
      continue;
    }
    ServerEvidence& ev = *job.evidence;
    ev.target = job.target.name;
    t.reachable = true;
    if (ev.varz.server_name != ev.varz.server_id) t.server_name = ev.varz.server_name;  // unnamed: the id says nothing
    t.cluster = ev.varz.cluster;
    t.version = ev.varz.version;
    t.problems = ev.problems;
    t.checks = evaluate_server(ev, at, channel);
    reachable.push_back(&ev);
    report.targets.push_back(std::move(t));
  }
  if (reachable.size() > 1) {
    // Instances of one service are spread over a cluster's nodes: judge the targets together.
    const std::string& combined = check_id(kMissingQueueGroup);
    for (auto& t : report.targets)
      t.checks.erase(
          std::remove_if(t.checks.begin(), t.checks.end(), [&](const CheckResult& c) { return c.id == combined; }),
          t.checks.end());
    report.combined.push_back(check_missing_queue_group(reachable, config.doctor));
  }
  report.probes = evaluate_probes(at, channel);
  report.observations = evaluate_observations(at, channel);
  return report;
}

}  // namespace natsexp::doctor
