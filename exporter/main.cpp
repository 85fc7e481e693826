// nats-exporter: flags and subcommands, signal handling, wiring of the scraper and HTTP server.
#include <malloc.h>

#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "collectors/collector.h"
#include "collectors/doctor/doctor.h"
#include "collectors/doctor/doctor_command.h"
#include "collectors/observations/manager.h"
#include "config/command_line.h"
#include "config/load.h"
#include "exporter/http_server.h"
#include "exporter/reload.h"
#include "exporter/scrape.h"
#include "exporter/usage.h"
#include "exporter/version.h"
#include "exporter/web_security.h"

using namespace natsexp;

namespace {

constexpr int kExitConfigError = 2;

void print_config_summary(const Config& config) {
  std::cout << "config OK: " << (config.source.empty() ? "<flags>" : config.source) << "\n";
  std::cout << "  listen " << config.listen_address << config.metrics_path << ", scrape timeout "
            << config.scrape_timeout.count() << "ms\n";
  for (const auto& t : config.targets) {
    std::cout << "  target " << t.name << " " << redact_url(t.url) << " collectors:";
    for (const auto& c : enabled_collectors(config, t)) std::cout << " " << c;
    std::cout << "\n";
  }
  if (config.system_account.enabled)
    std::cout << "  system account via " << config.system_account.servers.size() << " server URL(s), prefer "
              << (config.system_account.prefer_http ? "http" : "system_account") << "\n";
  for (const auto& p : config.probes)
    std::cout << "  probe " << p.name << " (" << probe_kind_name(p.kind) << ") every " << p.interval.count() << "ms\n";
  for (const auto& o : config.observations)
    std::cout << "  observation " << o.name << " (" << observation_kind_name(o.kind) << ")"
              << (o.subject.empty() ? "" : " on " + o.subject) << "\n";
}

// Signals are taken by one thread with sigwait, so no handler runs inside library code.
sigset_t exporter_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

int run(const std::vector<std::string>& args, const CommandLine& command_line) {
  log::set_level(command_line.config.log_level);
  auto config = std::make_shared<const Config>(command_line.config);
  // The latency doctor: the `doctor` collector and /doctor use this one. It follows the scraper's
  // current config (so reloads apply) and shares its sources (HTTP connections, the system
  // account's connection) and full reads of connections; the scraper is made next, with the
  // doctor, and outlives every evaluation (they run inside its scrapes and inside the HTTP
  // server's requests, both over before run() returns).
  std::unique_ptr<Scraper> scraper_holder;
  doctor::Doctor::Sources sources;
  sources.http = std::make_shared<HttpSourceFactory>();
  sources.system_account = std::make_shared<system_account::SourceKeeper>();
  sources.full_connz = [&scraper_holder](const TargetKey& target) { return scraper_holder->full_connz_of(target); };
  auto latency_doctor =
      std::make_shared<doctor::Doctor>([&scraper_holder] { return scraper_holder->config(); }, sources);
  scraper_holder =
      std::make_unique<Scraper>(config, CollectorFactory(latency_doctor), sources.http, sources.system_account);
  Scraper& scraper = *scraper_holder;
  std::shared_ptr<WebSecurity> security;
  if (!command_line.web_config_file.empty()) {
    try {
      security = std::make_shared<WebSecurity>(command_line.web);
    } catch (const std::exception& e) {
      log::error("cannot use --web.config.file", {{"err", e.what()}});
      return kExitConfigError;
    }
  }
  HttpServer server(config, scraper, latency_doctor, security);
  if (!server.bind()) return 1;
  scraper.add_contributor(server.self_metrics());
  // The client probes run on their own threads; scrapes read their snapshots. The reloader owns
  // them, so a reload can restart the ones whose settings changed.
  auto reloader = std::make_shared<Reloader>(args, scraper, security, config->probes);
  scraper.add_contributor(reloader);
  reloader->start();
  // Observations subscribe to what the servers publish about real traffic; scrapes read snapshots.
  auto observation_manager = std::make_shared<observations::ObservationManager>(config->observations);
  scraper.add_contributor(observation_manager);
  observation_manager->start();
  reloader->set_reload_listener(
      [observation_manager](const Config& next) { observation_manager->apply(next.observations); });
  // The doctor's probe and observation checks read their snapshots.
  latency_doctor->set_probe_source([reloader] { return reloader->probe_snapshots(); });
  latency_doctor->set_observation_source([observation_manager] { return observation_manager->snapshots(); });
  scraper.add_contributor(latency_doctor);
  server.set_reload_handler([&reloader] { return reloader->reload("POST /-/reload"); });

  std::thread signals([&] {
    sigset_t set = exporter_signals();
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        reloader->reload("SIGHUP");
        continue;
      }
      log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      server.stop();
      return;
    }
  });
  log::info("starting nats-exporter", {{"version", kVersion}, {"targets", std::to_string(config->targets.size())}});
  server.serve();
  // serve() also returns when the listener fails; wake the signal thread so it can end.
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  reloader->stop();  // drains and closes the probes' NATS connections
  observation_manager->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Each scrape spreads its JSON over short-lived threads; glibc would give each its own arena and
  // keep them. Two arenas cut peak RSS at 2000 connections from 68 to 26 MiB (tests/bench).
  mallopt(M_ARENA_MAX, 2);
  // A full read's buffers (the 6 MB /connz body, the parsed document, the connection list) are
  // mapped and unmapped whole, rather than left in the heap after glibc's adaptive threshold rose.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set = exporter_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts, so every thread inherits it

  std::vector<std::string> args(argv + 1, argv + argc);
  CommandLine command_line;
  try {
    command_line = parse_command_line(args, process_environment(), {collector_names(), default_collector_names()});
  } catch (const ConfigError& e) {
    std::cerr << "nats-exporter: " << e.what() << "\n";
    return kExitConfigError;
  }
  if (command_line.command == "help" || command_line.command == "help-markdown") {
    const CollectorCatalog catalog{collector_names(), default_collector_names()};
    std::cout << (command_line.command == "help" ? usage_text(catalog) : flags_markdown(catalog));
    return 0;
  }
  if (command_line.command == "version") {
    std::cout << "nats-exporter " << kVersion << " (" << kRevision << ")\n";
    return 0;
  }
  for (const auto& warning : command_line.config.warnings) log::warn(warning);
  if (command_line.command == "check-config") {
    print_config_summary(command_line.config);
    return 0;
  }
  if (command_line.command == "doctor") {
    log::set_level(command_line.config.log_level == "debug" ? "debug" : "warn");  // stdout is the report
    return doctor::run_cli(command_line.config, command_line.format, std::cout, std::cerr);
  }
  return run(args, command_line);
}
