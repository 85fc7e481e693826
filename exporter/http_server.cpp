#include "exporter/http_server.h"

#include <stdexcept>

#include <httplib.h>

#include "collectors/doctor/doctor.h"
#include "collectors/doctor/report.h"
#include "config/load.h"
#include "exporter/exposition.h"
#include "exporter/log.h"
#include "exporter/version.h"
#include "exporter/web_security.h"

namespace natsexp {

namespace {

using doctor::html_escape;  // one escaping rule for every page we serve

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

}  // namespace

ListenAddress parse_listen_address(const std::string& address) {
  ListenAddress out;
  std::string host, port;
  if (!address.empty() && address[0] == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      throw std::invalid_argument("\"" + address + "\" is not [ipv6]:port");
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("\"" + address + "\" has no :port");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("\"" + address + "\" has no valid port");
  out.port = std::stoi(port);
  if (out.port > 65535) throw std::invalid_argument("\"" + address + "\": port out of range");
  out.host = host.empty() ? "0.0.0.0" : host;
  return out;
}

namespace {
std::unique_ptr<httplib::Server> make_server(const std::shared_ptr<WebSecurity>& security) {
  if (!security || !security->tls()) return std::make_unique<httplib::Server>();
  WebSecurity* s = security.get();
  return std::make_unique<httplib::SSLServer>([s](SSL_CTX& ctx) { return s->setup_ssl_ctx(ctx); });
}
}  // namespace

HttpServer::HttpServer(std::shared_ptr<const Config> config, Scraper& scraper, std::shared_ptr<WebSecurity> security)
    : config_(std::move(config)), scraper_(scraper), security_(std::move(security)), server_(make_server(security_)) {
  const std::size_t threads = config_->web_max_threads;
  // httplib owns the queue it gets from this factory (its API takes a raw pointer).
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_tcp_nodelay(true);
  auto ms = [](std::chrono::milliseconds d) { return std::chrono::duration_cast<std::chrono::microseconds>(d); };
  server_->set_read_timeout(ms(config_->web_read_timeout));
  server_->set_write_timeout(ms(config_->web_write_timeout));
  server_->set_keep_alive_max_count(100);
  server_->set_keep_alive_timeout(5);
  server_->set_payload_max_length(config_->web_max_request_bytes);
  install_routes();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::install_routes() {
  if (security_) {
    // Basic auth before routing, so every page (metrics, landing page, reload, and routes added
    // later) is covered; the orchestrator's probes stay open and reveal nothing.
    server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.path == "/healthz" || req.path == "/readyz") return httplib::Server::HandlerResponse::Unhandled;
      if (security_->authorized(req.get_header_value("Authorization")))
        return httplib::Server::HandlerResponse::Unhandled;
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"nats-exporter\", charset=\"UTF-8\"");
      res.set_content("Unauthorized\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  server_->Post("/-/reload", [this](const httplib::Request&, httplib::Response& res) {
    const std::string problem = reload_ ? reload_() : "reload is not available";
    if (problem.empty()) {
      res.set_content("configuration reloaded\n", "text/plain; charset=utf-8");
    } else {
      res.status = 500;
      res.set_content("reload failed, the running configuration is kept: " + problem + "\n", "text/plain; charset=utf-8");
    }
  });
  server_->Get(config_->metrics_path, [this](const httplib::Request& req, httplib::Response& res) {
    std::optional<double> prometheus_timeout;
    if (req.has_header("X-Prometheus-Scrape-Timeout-Seconds")) {
      try {
        prometheus_timeout = std::stod(req.get_header_value("X-Prometheus-Scrape-Timeout-Seconds"));
      } catch (const std::exception&) {
        // A malformed header is ignored; the configured timeout applies.
      }
    }
    auto body = scraper_.scrape(prometheus_timeout);
    res.set_content(*body, kExpositionContentType);  // httplib gzips text/* when the client accepts it
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (ready_) {
      res.set_content("ready\n", "text/plain; charset=utf-8");
    } else {
      res.status = 503;
      res.set_content("not ready\n", "text/plain; charset=utf-8");
    }
  });
  // The latency doctor's report for the current targets (HTML; ?format=json|markdown|text).
  server_->Get("/doctor", [this](const httplib::Request& req, httplib::Response& res) {
    const auto page = doctor::http_page(*scraper_.config(), req.get_param_value("format"));
    res.status = page.status;
    res.set_content(page.body, page.content_type);
  });
  server_->Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(landing_page(), "text/html; charset=utf-8");
  });
}

std::string HttpServer::landing_page() const {
  const auto config = scraper_.config();
  std::string rows;
  for (const auto& t : config->targets)
    rows += "<tr><td>" + html_escape(t.name) + "</td><td>" + html_escape(redact_url(t.url)) + "</td><td>" +
            html_escape(join(enabled_collectors(*config, t), ", ")) + "</td></tr>\n";
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nats-exporter</title></head><body>\n"
         "<h1>nats-exporter</h1>\n<p>Version " +
         html_escape(kVersion) + " (" + html_escape(kRevision) +
         ")</p>\n<ul>\n<li><a href=\"" + html_escape(config->metrics_path) +
         "\">Metrics</a></li>\n<li><a href=\"/doctor\">Latency doctor</a></li>\n<li><a href=\"/healthz\">Health</a></li>\n<li><a href=\"/readyz\">Readiness</a></li>\n"
         "</ul>\n<h2>Targets</h2>\n<table border=\"1\" cellpadding=\"4\">\n"
         "<tr><th>server</th><th>monitoring URL</th><th>collectors</th></tr>\n" +
         rows + "</table>\n</body></html>\n";
}

bool HttpServer::bind() {
  if (!server_->is_valid()) {
    log::error("cannot set up TLS for the web server (see --web.config.file)");
    return false;
  }
  ListenAddress address;
  try {
    address = parse_listen_address(config_->listen_address);
  } catch (const std::invalid_argument& e) {
    log::error("invalid listen address", {{"err", e.what()}});
    return false;
  }
  if (address.port == 0) {
    port_ = server_->bind_to_any_port(address.host);
    if (port_ <= 0) {
      log::error("cannot listen", {{"address", config_->listen_address}});
      return false;
    }
  } else {
    if (!server_->bind_to_port(address.host, address.port)) {
      log::error("cannot listen", {{"address", config_->listen_address}, {"err", "bind failed (in use?)"}});
      return false;
    }
    port_ = address.port;
  }
  return true;
}

void HttpServer::serve() {
  ready_ = true;
  log::info("listening", {{"address", config_->listen_address}, {"port", std::to_string(port_)},
                          {"tls", security_ && security_->tls() ? "on" : "off"},
                          {"basic_auth", security_ && security_->basic_auth() ? "on" : "off"}});
  server_->listen_after_bind();
  ready_ = false;
}

void HttpServer::stop() {
  ready_ = false;
  if (server_ && server_->is_running()) server_->stop();
}

}  // namespace natsexp
