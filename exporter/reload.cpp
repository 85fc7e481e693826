#include "exporter/reload.h"

#include <chrono>
#include <thread>
#include <tuple>

#include "base/log.h"
#include "collectors/collector.h"
#include "collectors/probe/probe_manager.h"
#include "config/command_line.h"
#include "config/load.h"
#include "exporter/web_security.h"

namespace natsexp {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

auto tie_probe(const ProbeConfig& p) {
  return std::tie(p.name, p.kind, p.servers, p.interval, p.timeout, p.subject, p.size, p.responder_enabled,
                  p.responder_queue_group, p.pending_limit_messages, p.pending_limit_bytes, p.stream, p.consumer,
                  p.jetstream_domain, p.jetstream_api_prefix, p.buckets);
}

std::shared_ptr<probe::ProbeManager> start_probe(const ProbeConfig& config) {
  auto manager = std::make_shared<probe::ProbeManager>(std::vector<ProbeConfig>{config});
  manager->start();
  return manager;
}

// Stops probes side by side: each stop drains a connection and may take a moment.
void stop_all(std::vector<std::shared_ptr<probe::ProbeManager>>& managers) {
  std::vector<std::thread> stoppers;
  stoppers.reserve(managers.size());
  for (auto& m : managers) stoppers.emplace_back([m] { m->stop(); });
  for (auto& t : stoppers) t.join();
  managers.clear();
}

}  // namespace

bool same_probe_config(const ProbeConfig& a, const ProbeConfig& b) {
  return tie_probe(a) == tie_probe(b) && same_connection_config(a.connection, b.connection);
}

Reloader::Reloader(std::vector<std::string> args, Scraper& scraper, std::shared_ptr<WebSecurity> security,
                   const std::vector<ProbeConfig>& probes)
    : args_(std::move(args)), scraper_(scraper), security_(std::move(security)) {
  for (const auto& p : probes)
    probes_.push_back({p, std::make_shared<probe::ProbeManager>(std::vector<ProbeConfig>{p})});
  last_success_time_ = now_seconds();
}

Reloader::~Reloader() { stop(); }

void Reloader::start() {
  std::lock_guard<std::mutex> lock(probes_mutex_);
  for (auto& p : probes_) p.manager->start();
}

void Reloader::stop() {
  std::vector<std::shared_ptr<probe::ProbeManager>> managers;
  {
    std::lock_guard<std::mutex> lock(probes_mutex_);
    stopped_ = true;
    for (auto& p : probes_) managers.push_back(p.manager);
  }
  stop_all(managers);
}

std::string Reloader::reload(const std::string& trigger) {
  std::lock_guard<std::mutex> reload_lock(reload_mutex_);
  CommandLine next;
  try {
    next = parse_command_line(args_, process_environment(), {collector_names(), default_collector_names()});
    if (security_) {
      security_->update(next.web);
    } else if (next.web.tls || next.web.basic_auth()) {
      throw std::runtime_error("--web.config.file was not in use at start: enabling TLS or basic auth needs a restart");
    }
  } catch (const std::exception& e) {
    last_successful_ = false;
    ++failures_;
    log::error("reload failed, keeping the running configuration", {{"trigger", trigger}, {"err", e.what()}});
    return e.what();
  }
  for (const auto& warning : next.config.warnings) log::warn(warning);

  const auto old = scraper_.config();
  if (next.config.listen_address != old->listen_address || next.config.metrics_path != old->metrics_path ||
      next.config.web_max_threads != old->web_max_threads || next.config.web_read_timeout != old->web_read_timeout ||
      next.config.web_write_timeout != old->web_write_timeout ||
      next.config.web_max_request_bytes != old->web_max_request_bytes)
    log::warn("web.* settings (listen address, metrics path, threads, timeouts) change at restart only");
  log::set_level(next.config.log_level);

  // Probes: keep the unchanged ones running, restart the changed ones, start new ones, stop the rest.
  std::vector<RunningProbe> kept;
  std::vector<std::shared_ptr<probe::ProbeManager>> retired;
  std::size_t restarted = 0, started = 0, unchanged = 0;
  {
    std::lock_guard<std::mutex> lock(probes_mutex_);
    if (stopped_) return "shutting down";
    std::vector<bool> reused(probes_.size(), false);
    for (const auto& wanted : next.config.probes) {
      bool found = false;
      for (std::size_t i = 0; i < probes_.size(); ++i) {
        if (reused[i] || probes_[i].config.name != wanted.name) continue;
        found = true;
        reused[i] = true;
        if (same_probe_config(probes_[i].config, wanted)) {
          kept.push_back(probes_[i]);
          ++unchanged;
        } else {
          retired.push_back(probes_[i].manager);
          kept.push_back({wanted, start_probe(wanted)});
          ++restarted;
        }
        break;
      }
      if (!found) {
        kept.push_back({wanted, start_probe(wanted)});
        ++started;
      }
    }
    for (std::size_t i = 0; i < probes_.size(); ++i)
      if (!reused[i]) retired.push_back(probes_[i].manager);
    probes_ = std::move(kept);
  }
  const std::size_t stopped = retired.size() - restarted;
  stop_all(retired);  // outside the lock: scrapes keep reading the running probes meanwhile
  if (listener_) listener_(next.config);

  scraper_.set_config(std::make_shared<const Config>(std::move(next.config)));
  last_successful_ = true;
  last_success_time_ = now_seconds();
  ++successes_;
  log::info("configuration reloaded", {{"trigger", trigger},
                                       {"targets", std::to_string(scraper_.config()->targets.size())},
                                       {"probes_unchanged", std::to_string(unchanged)},
                                       {"probes_restarted", std::to_string(restarted)},
                                       {"probes_started", std::to_string(started)},
                                       {"probes_stopped", std::to_string(stopped)}});
  return "";
}

std::vector<probe::ProbeSnapshot> Reloader::probe_snapshots() const {
  std::vector<std::shared_ptr<probe::ProbeManager>> managers;
  {
    std::lock_guard<std::mutex> lock(probes_mutex_);
    for (const auto& p : probes_) managers.push_back(p.manager);
  }
  std::vector<probe::ProbeSnapshot> out;
  for (const auto& m : managers)
    for (auto& s : m->snapshots()) out.push_back(std::move(s));
  return out;
}

void Reloader::contribute(MetricSet& out) {
  probe::add_probe_metrics(probe_snapshots(), out);
  out.gauge("nats_exporter_config_last_reload_successful",
            "1 when the last configuration load (start, SIGHUP or POST /-/reload) succeeded.")
      .set(last_successful_ ? 1.0 : 0.0);
  out.gauge("nats_exporter_config_last_reload_success_timestamp_seconds",
            "Unix time of the last successful configuration load.")
      .set(last_success_time_.load());
  out.counter("nats_exporter_config_reloads_total", "Configuration reloads by result.")
      .add(static_cast<double>(successes_.load()), {{"result", "success"}})
      .add(static_cast<double>(failures_.load()), {{"result", "failure"}});
}

}  // namespace natsexp
