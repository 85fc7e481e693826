// A small event-driven HTTP/1.1 server for the exporter's endpoint (used by exporter/http_server.cpp
// only). One thread owns every socket: it accepts, runs TLS handshakes, reads request heads and
// bodies under size limits and a per-request deadline, and writes responses, all non-blocking.
// Only complete requests reach the handler, on a pool of `threads` workers; a client that is slow,
// idle or hostile costs a connection slot and a bounded buffer, never a worker.
//
// Why not cpp-httplib 0.11 (Debian's compiled library): it gives each connection a worker thread
// for its whole life (so N idle clients stop an N-thread pool), listens with a backlog of 5, has no
// header count limit and buffers chunked bodies without a limit. See README "Securing the scrape
// endpoint".
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct ssl_ctx_st;

namespace natsexp::web {

struct Request {
  std::string method;   // "GET"
  std::string target;   // "/doctor?format=json", as sent
  std::string path;     // "/doctor", percent-decoded
  std::string query;    // "format=json", raw
  std::string version;  // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name (case-insensitive), or "".
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
  // A query parameter, decoded ('+' and %XX), or "".
  std::string param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  std::shared_ptr<const std::string> shared_body;  // when set, sent instead of `body`, never copied

  void set_content(std::string text, std::string type) {
    body = std::move(text);
    content_type = std::move(type);
  }
  // A body shared by many responses (one scrape answered to many clients): not copied, and gzipped
  // once for all of them.
  void set_content(std::shared_ptr<const std::string> text, std::string type) {
    shared_body = std::move(text);
    content_type = std::move(type);
  }
  void set_header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

namespace detail {
struct ReplyState;
}

// Answers one request. It may be kept and sent later from any thread (a scrape that many requests
// wait for holds no worker per request). The first send() counts; a Reply dropped unsent answers 500.
class Reply {
 public:
  explicit Reply(std::shared_ptr<detail::ReplyState> state) : state_(std::move(state)) {}
  void send(Response res) const;

 private:
  std::shared_ptr<detail::ReplyState> state_;
};

using Handler = std::function<void(const Request&, const Reply&)>;

struct Options {
  std::size_t threads = 8;  // handler workers
  // Open connections. At the cap, the one that has waited longest without a complete request is
  // closed to make room; when every slot holds a request in progress, new ones are closed at once.
  std::size_t max_connections = 1024;
  std::size_t max_header_bytes = 16384;                // request line and headers
  std::size_t max_headers = 100;                       // header lines
  std::size_t max_body_bytes = 65536;                  // decoded body, Content-Length or chunked
  std::chrono::milliseconds read_timeout{10000};       // accept (or first byte) to the request's last byte
  std::chrono::milliseconds write_timeout{10000};      // to write one response
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle between requests
  std::size_t keep_alive_max_requests = 100;
  int backlog = 4096;  // the kernel caps it at net.core.somaxconn
  // Requests for which this returns true are handled on the event loop thread itself, not queued
  // for a worker: only for handlers that never block (health probes).
  std::function<bool(const Request&)> run_inline;
  // When set, the server speaks TLS only: a fresh SSL_CTX is handed to this (false: bind fails).
  std::function<bool(ssl_ctx_st&)> tls_setup;
};

// Counters for the exporter's self-metrics; read from any thread.
struct Stats {
  std::atomic<std::uint64_t> open_connections{0};
  std::atomic<std::uint64_t> max_connections{0};  // effective, after the open-files limit
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> evicted{0};         // closed at the cap to make room
  std::atomic<std::uint64_t> refused{0};         // closed at once at the cap
  std::atomic<std::uint64_t> timed_out{0};       // read, idle keep-alive or write deadline
  std::atomic<std::uint64_t> body_too_large{0};  // 413
  std::atomic<std::uint64_t> head_too_large{0};  // 431
  std::atomic<std::uint64_t> bad_requests{0};    // 400, 501, 505
  std::atomic<std::uint64_t> tls_handshake_failures{0};
};

class Server {
 public:
  Server(Options options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on host:port (port 0: any free port). False with `error` set on failure.
  bool bind(const std::string& host, int port, std::string& error);
  int port() const;
  // Runs the event loop and the workers until stop(); then closes the listener at once, lets the
  // requests in flight finish and their responses go out, closes the rest, and returns.
  void serve();
  // Safe from any thread, also before serve().
  void stop();
  std::shared_ptr<const Stats> stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace natsexp::web
