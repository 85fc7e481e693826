// A small HTTP/1.1 client for plain-HTTP monitoring ports: a batch of GETs to one server runs from
// the calling thread with non-blocking sockets and poll(), every request on its own connection at
// once, keep-alive connections kept across batches. Everything ends by one deadline (connect,
// write and read are bounded by poll timeouts taken from it), or when the cancel fd turns
// readable. TLS targets use cpp-httplib instead (monitor_client.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace natsexp {

// Where and how to send: the server's numeric address, and the header lines every request carries.
struct HttpPeer {
  std::string address;  // numeric IPv4 or IPv6
  std::uint16_t port = 80;
  std::string host_header;         // the URL's "host:port"
  std::string extra_header_lines;  // "Name: value\r\n" each (authorization)
};

// The answer to one GET: a status and a whole body, or an error.
struct HttpResult {
  int status = 0;
  std::string body;
  std::string error;  // empty when the response arrived whole; never holds the peer's bytes
  bool too_large = false;
  bool ok() const { return error.empty(); }
};

// The idle keep-alive connections to one server, kept across batches and shared by the threads
// that read it. A config reload makes a new set (the old connections close with it).
class IdleSockets {
 public:
  // An idle connection the server has not closed, or an empty fd.
  UniqueFd take();
  void give_back(UniqueFd fd);
  std::size_t idle() const;

 private:
  mutable std::mutex mutex_;
  std::vector<UniqueFd> idle_;
};

// GETs every path of `paths` (path and query, base path included) from `server` at once, one
// connection each (reused from `idle` where one waits), and returns their results in order. Never
// throws for a request's failure; each result says what went wrong. A reused connection that fails
// before any byte of the answer arrived (the server closed it while idle) is retried once on a new
// one. `cancel_fd` (or -1): when it turns readable, every request still running fails.
std::vector<HttpResult> http_get_all(const HttpPeer& server, const std::vector<std::string>& paths, IdleSockets& idle,
                                     std::chrono::steady_clock::time_point deadline, std::size_t max_body_bytes,
                                     int cancel_fd);

// "Authorization: Basic …" for user:password (RFC 7617).
std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace natsexp
