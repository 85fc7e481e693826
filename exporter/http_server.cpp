#include "exporter/http_server.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include "base/address.h"
#include "base/log.h"
#include "base/text.h"
#include "collectors/doctor/doctor.h"
#include "collectors/doctor/report.h"
#include "collectors/metric_set.h"
#include "config/load.h"
#include "exporter/exposition.h"
#include "exporter/version.h"
#include "exporter/web_security.h"
#include "exporter/web_server.h"

namespace natsexp {

namespace {

using doctor::html_escape;  // one escaping rule for every page we serve

}  // namespace

HttpServer::HttpServer(std::shared_ptr<const Config> config, Scraper& scraper, std::shared_ptr<doctor::Doctor> doctor,
                       std::shared_ptr<WebSecurity> security)
    : config_(std::move(config)),
      scraper_(scraper),
      doctor_(std::move(doctor)),
      security_(std::move(security)),
      flights_(std::make_unique<MetricsFlights>()) {
  web::Options options;
  options.threads = config_->web_max_threads;
  options.max_connections = config_->web_max_connections;
  options.max_header_bytes = config_->web_max_header_bytes;
  options.max_body_bytes = config_->web_max_request_bytes;
  options.read_timeout = config_->web_read_timeout;
  options.write_timeout = config_->web_write_timeout;
  // /healthz and /readyz need no auth and never block: answered on the I/O thread, so orchestrator
  // probes pass even while every worker waits on a slow scrape.
  options.run_inline = [](const web::Request& req) {
    return (req.method == "GET" || req.method == "HEAD") && (req.path == "/healthz" || req.path == "/readyz");
  };
  if (security_ && security_->tls()) {
    WebSecurity* s = security_.get();
    options.tls_setup = [s](ssl_ctx_st& ctx) { return s->setup_ssl_ctx(ctx); };
  }
  server_ = std::make_unique<web::Server>(
      std::move(options), [this](const web::Request& req, const web::Reply& reply) { handle(req, reply); });
}

HttpServer::~HttpServer() { stop(); }

namespace {
class WebMetrics : public ScrapeContributor {
 public:
  explicit WebMetrics(std::shared_ptr<const web::Stats> stats) : stats_(std::move(stats)) {}
  void contribute(MetricSet& out) override {
    const web::Stats& s = *stats_;
    auto v = [](const std::atomic<std::uint64_t>& a) { return static_cast<double>(a.load()); };
    out.gauge("nats_exporter_http_connections", "Open connections to the exporter's HTTP endpoint.")
        .set(v(s.open_connections));
    out.gauge("nats_exporter_http_connections_max", "Open connections allowed (--web.max-connections).")
        .set(v(s.max_connections));
    out.counter("nats_exporter_http_connections_total", "Connections accepted by the exporter's HTTP endpoint.")
        .add(v(s.accepted));
    out.counter("nats_exporter_http_rejected_total",
                "Connections and requests the HTTP endpoint cut or refused, by reason.")
        .add(v(s.evicted), {{"reason", "evicted_at_max_connections"}})
        .add(v(s.refused), {{"reason", "refused_at_max_connections"}})
        .add(v(s.timed_out), {{"reason", "timeout"}})
        .add(v(s.body_too_large), {{"reason", "body_too_large"}})
        .add(v(s.head_too_large), {{"reason", "head_too_large"}})
        .add(v(s.bad_requests), {{"reason", "bad_request"}})
        .add(v(s.tls_handshake_failures), {{"reason", "tls_handshake_failed"}});
  }

 private:
  std::shared_ptr<const web::Stats> stats_;
};
}  // namespace

std::shared_ptr<ScrapeContributor> HttpServer::self_metrics() const {
  return std::make_shared<WebMetrics>(server_->stats());
}

// GET /metrics requests that arrive while a scrape with the same Prometheus timeout runs wait for
// it without holding a worker: 500 parallel scrapes cost one worker and one collection, not 500/N
// rounds of --web.max-threads collections.
struct HttpServer::MetricsFlights {
  struct Flight {
    std::optional<double> timeout;
    std::vector<web::Reply> waiting;
  };
  std::mutex mutex;
  std::vector<std::shared_ptr<Flight>> running;
};

void HttpServer::handle(const web::Request& req, const web::Reply& reply) {
  const std::string& path = req.path;
  // Basic auth before routing, so every page (metrics, landing page, reload, unknown paths and
  // routes added later) is covered; the orchestrator's probes stay open and reveal nothing.
  if (security_ && path != "/healthz" && path != "/readyz" && !security_->authorized(req.header("Authorization"))) {
    web::Response res;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"nats-exporter\", charset=\"UTF-8\"");
    res.set_content("Unauthorized\n", "text/plain; charset=utf-8");
    return reply.send(std::move(res));
  }
  if (path == config_->metrics_path && (req.method == "GET" || req.method == "HEAD")) return serve_metrics(req, reply);
  web::Response res;
  handle_page(req, res);
  reply.send(std::move(res));
}

void HttpServer::serve_metrics(const web::Request& req, const web::Reply& reply) {
  std::optional<double> prometheus_timeout;
  if (req.has_header("X-Prometheus-Scrape-Timeout-Seconds")) {
    try {
      prometheus_timeout = std::stod(req.header("X-Prometheus-Scrape-Timeout-Seconds"));
    } catch (const std::exception&) {
      // A malformed header is ignored; the configured timeout applies.
    }
  }
  auto flight = std::make_shared<MetricsFlights::Flight>();
  flight->timeout = prometheus_timeout;
  {
    std::lock_guard<std::mutex> lock(flights_->mutex);
    for (const auto& f : flights_->running)
      if (f->timeout == prometheus_timeout) {
        f->waiting.push_back(reply);  // answered by the worker running that scrape
        return;
      }
    flight->waiting.push_back(reply);
    flights_->running.push_back(flight);
  }
  std::shared_ptr<const std::string> body;
  std::string problem;
  try {
    body = scraper_.scrape(prometheus_timeout);
  } catch (const std::exception& e) {
    problem = e.what();
  }
  std::vector<web::Reply> waiting;
  {
    std::lock_guard<std::mutex> lock(flights_->mutex);
    auto& running = flights_->running;
    running.erase(std::remove(running.begin(), running.end(), flight), running.end());
    waiting.swap(flight->waiting);
  }
  if (!body) log::error("scrape failed", {{"err", problem}});
  for (const auto& w : waiting) {
    web::Response res;
    if (body) {
      res.set_content(body, kExpositionContentType);  // shared, and gzipped once, for all of them
    } else {
      res.status = 500;
      res.set_content("scrape failed\n", "text/plain; charset=utf-8");
    }
    w.send(std::move(res));
  }
}

void HttpServer::handle_page(const web::Request& req, web::Response& res) {
  const std::string& path = req.path;  // authorized already (handle())
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto wrong_method = [&](const char* allow) {
    res.status = 405;
    res.set_header("Allow", allow);
    res.set_content("method not allowed\n", "text/plain; charset=utf-8");
  };
  if (path == "/-/reload") {
    if (req.method != "POST") return wrong_method("POST");
    const std::string problem = reload_ ? reload_() : "reload is not available";
    if (problem.empty()) {
      res.set_content("configuration reloaded\n", "text/plain; charset=utf-8");
    } else {
      res.status = 500;
      res.set_content("reload failed, the running configuration is kept: " + problem + "\n",
                      "text/plain; charset=utf-8");
    }
    return;
  }
  const bool known =
      path == config_->metrics_path || path == "/healthz" || path == "/readyz" || path == "/doctor" || path == "/";
  if (!known) {
    res.status = 404;
    res.set_content("not found\n", "text/plain; charset=utf-8");
    return;
  }
  if (!get) return wrong_method("GET, HEAD");
  if (path == config_->metrics_path) {
    res.status = 500;  // GET and HEAD go to serve_metrics(); others got 405 above
    res.set_content("unexpected\n", "text/plain; charset=utf-8");
  } else if (path == "/healthz") {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  } else if (path == "/readyz") {
    if (ready_) {
      res.set_content("ready\n", "text/plain; charset=utf-8");
    } else {
      res.status = 503;
      res.set_content("not ready\n", "text/plain; charset=utf-8");
    }
  } else if (path == "/doctor") {
    serve_doctor(req, res);
  } else {
    res.set_content(landing_page(), "text/html; charset=utf-8");
  }
}

// The latency doctor's report for the current targets: HTML, or ?format=json|markdown|md|text.
void HttpServer::serve_doctor(const web::Request& req, web::Response& res) {
  static const std::map<std::string, std::string> kTypes = {{"html", "text/html; charset=utf-8"},
                                                            {"json", "application/json"},
                                                            {"markdown", "text/markdown; charset=utf-8"},
                                                            {"md", "text/markdown; charset=utf-8"},
                                                            {"text", "text/plain; charset=utf-8"}};
  const std::string requested = req.param("format");
  const std::string format = requested.empty() ? "html" : requested;
  const auto type = kTypes.find(format);
  if (!doctor_) {
    res.status = 404;
    res.set_content("not found\n", "text/plain; charset=utf-8");
    return;
  }
  if (type == kTypes.end()) {
    res.status = 400;
    res.set_content("unknown format (use html, json, markdown or text)\n", "text/plain; charset=utf-8");
    return;
  }
  const doctor::Report report = doctor_->run(*scraper_.config(), doctor::Doctor::Channel::page);
  res.set_content(*doctor::render(report, format), type->second);
}

std::string HttpServer::landing_page() const {
  const auto config = scraper_.config();
  std::string rows;
  for (const auto& t : config->targets)
    rows += "<tr><td>" + html_escape(t.name) + "</td><td>" + html_escape(redact_url(t.url)) + "</td><td>" +
            html_escape(strings::join(enabled_collectors(*config, t), ", ")) + "</td></tr>\n";
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nats-exporter</title></head><body>\n"
         "<h1>nats-exporter</h1>\n<p>Version " +
         html_escape(kVersion) + " (" + html_escape(kRevision) + ")</p>\n<ul>\n<li><a href=\"" +
         html_escape(config->metrics_path) +
         "\">Metrics</a></li>\n<li><a href=\"/doctor\">Latency doctor</a></li>\n<li><a "
         "href=\"/healthz\">Health</a></li>\n<li><a href=\"/readyz\">Readiness</a></li>\n"
         "</ul>\n<h2>Targets</h2>\n<table border=\"1\" cellpadding=\"4\">\n"
         "<tr><th>server</th><th>monitoring URL</th><th>collectors</th></tr>\n" +
         rows + "</table>\n</body></html>\n";
}

bool HttpServer::bind() {
  std::string error;
  const auto address = parse_listen_address(config_->listen_address, &error);
  if (!address) {
    log::error("invalid listen address", {{"err", error}});
    return false;
  }
  if (!server_->bind(address->host, address->port, error)) {
    log::error("cannot listen", {{"address", config_->listen_address}, {"err", error}});
    return false;
  }
  port_ = server_->port();
  return true;
}

void HttpServer::serve() {
  ready_ = true;
  log::info("listening", {{"address", config_->listen_address},
                          {"port", std::to_string(port_)},
                          {"tls", security_ && security_->tls() ? "on" : "off"},
                          {"basic_auth", security_ && security_->basic_auth() ? "on" : "off"},
                          {"max_connections", std::to_string(config_->web_max_connections)},
                          {"max_threads", std::to_string(config_->web_max_threads)}});
  server_->serve();
  ready_ = false;
}

void HttpServer::stop() {
  ready_ = false;
  if (server_) server_->stop();
}

}  // namespace natsexp
