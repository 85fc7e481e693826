// The exporter's HTTP surface: /metrics, /healthz, /readyz, /doctor, POST /-/reload and a landing
// page on /, served by exporter/web_server.h (event-driven; limits from the web.* settings).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "exporter/scrape.h"

namespace natsexp {

namespace web {
class Server;
class Reply;
struct Request;
struct Response;
}  // namespace web

class WebSecurity;
namespace doctor {
class Doctor;
}

class HttpServer {
 public:
  // `doctor` answers /doctor (the one the `doctor` collector uses, so the page and the metrics share
  // the full reads of connections). `security` (optional, outlives the server): TLS and basic auth
  // from --web.config.file. Basic auth guards every page but /healthz and /readyz, which stay open
  // for orchestrator probes.
  HttpServer(std::shared_ptr<const Config> config, Scraper& scraper, std::shared_ptr<doctor::Doctor> doctor,
             std::shared_ptr<WebSecurity> security = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listen address. Returns false (and logs why) when it cannot.
  bool bind();
  // Serves until stop(). Call after bind().
  void serve();
  // Stops accepting; requests in flight finish first. Safe from any thread.
  void stop();
  // The bound port (useful with port 0).
  int port() const { return port_; }
  // The endpoint's own metrics (open connections, refusals, limits hit) for Scraper::add_contributor.
  std::shared_ptr<ScrapeContributor> self_metrics() const;
  // POST /-/reload calls `reload`, which returns "" on success or why it failed. Set before serve().
  void set_reload_handler(std::function<std::string()> reload) { reload_ = std::move(reload); }

 private:
  void handle(const web::Request& req, const web::Reply& reply);
  void handle_page(const web::Request& req, web::Response& res);
  void serve_metrics(const web::Request& req, const web::Reply& reply);
  void serve_doctor(const web::Request& req, web::Response& res);
  std::string landing_page() const;

  std::shared_ptr<const Config> config_;
  Scraper& scraper_;
  std::shared_ptr<doctor::Doctor> doctor_;
  std::shared_ptr<WebSecurity> security_;
  std::function<std::string()> reload_;
  struct MetricsFlights;  // scrapes in progress and the requests waiting for each
  std::unique_ptr<MetricsFlights> flights_;
  std::unique_ptr<web::Server> server_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
};

}  // namespace natsexp
