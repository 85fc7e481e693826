#include "collectors/http_fetch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "collectors/http_response_parser.h"

namespace natsexp {

namespace {

using Clock = std::chrono::steady_clock;

// A scrape reads about ten endpoints of a server at once; more idle connections than that would
// only hold the server's sockets.
constexpr std::size_t kMaxIdle = 16;

// Where the socket connects: the numeric address and port as a sockaddr.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
};

bool to_socket_address(const HttpPeer& server, SocketAddress& out) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, server.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(server.port);
    out.length = sizeof(sockaddr_in);
    out.family = AF_INET;
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET6, server.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(server.port);
    out.length = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    return true;
  }
  return false;
}

// An idle connection is usable while the server has neither closed it nor sent anything unasked.
bool still_open(int fd) {
  char byte;
  const ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::string system_error(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

// One GET in flight.
struct Exchange {
  enum class Step { connecting, writing, reading, finished };
  HttpResult* result = nullptr;
  const std::string* request = nullptr;
  UniqueFd fd;
  bool reused = false;   // the connection served an earlier request
  bool retried = false;  // already moved to a new connection once
  Step step = Step::finished;
  std::size_t written = 0;
  HttpResponseParser parser{0};
};

class Batch {
 public:
  Batch(const HttpPeer& server, IdleSockets& idle, Clock::time_point deadline, std::size_t max_body, int cancel_fd)
      : server_(server), idle_(idle), deadline_(deadline), max_body_(max_body), cancel_fd_(cancel_fd) {}

  std::vector<HttpResult> run(const std::vector<std::string>& paths) {
    std::vector<HttpResult> results(paths.size());
    std::vector<std::string> requests;
    requests.reserve(paths.size());
    for (const auto& path : paths) requests.push_back(request_for(path));
    std::vector<Exchange> exchanges(paths.size());
    if (!to_socket_address(server_, address_)) {
      for (auto& r : results) r.error = "not a numeric address: " + server_.address;
      return results;
    }
    for (std::size_t i = 0; i < paths.size(); ++i) {
      exchanges[i].result = &results[i];
      exchanges[i].request = &requests[i];
      start(exchanges[i]);
    }
    wait_for(exchanges);
    return results;
  }

 private:
  std::string request_for(const std::string& path) const {
    // The headers cpp-httplib sent for us, minus its User-Agent; no Accept-Encoding, so the server
    // answers uncompressed (nats-server does not compress its monitoring pages anyway).
    return "GET " + path + " HTTP/1.1\r\nHost: " + server_.host_header +
           "\r\nAccept: application/json\r\nUser-Agent: nats-exporter\r\n" + server_.extra_header_lines + "\r\n";
  }

  void start(Exchange& ex) {
    ex.parser = HttpResponseParser(max_body_);
    ex.written = 0;
    ex.reused = false;
    if (!ex.retried) {
      while (UniqueFd fd = idle_.take()) {
        if (!still_open(fd.get())) continue;
        ex.fd = std::move(fd);
        ex.reused = true;
        ex.step = Exchange::Step::writing;
        write(ex);
        return;
      }
    }
    ex.fd = UniqueFd(socket(address_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!ex.fd) return fail(ex, system_error("socket", errno));
    const int one = 1;  // requests are one small write: never wait for a delayed ACK
    setsockopt(ex.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(ex.fd.get(), reinterpret_cast<const sockaddr*>(&address_.storage), address_.length) == 0) {
      ex.step = Exchange::Step::writing;
      return write(ex);
    }
    if (errno != EINPROGRESS) return fail(ex, system_error("connect", errno));
    ex.step = Exchange::Step::connecting;
  }

  void fail(Exchange& ex, std::string why) {
    ex.result->error = std::move(why);
    ex.fd.reset();
    ex.step = Exchange::Step::finished;
  }

  // A reused connection that failed before the answer began: the server closed it while it was
  // idle. The request is sent again once, on a new connection.
  void fail_or_retry(Exchange& ex, std::string why) {
    if (ex.reused && !ex.retried && !ex.parser.started()) {
      ex.fd.reset();
      ex.retried = true;
      return start(ex);
    }
    fail(ex, std::move(why));
  }

  void connected(Exchange& ex) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(ex.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return fail(ex, system_error("connect", err));
    ex.step = Exchange::Step::writing;
    write(ex);
  }

  void write(Exchange& ex) {
    const std::string& request = *ex.request;
    while (ex.written < request.size()) {
      const ssize_t n = send(ex.fd.get(), request.data() + ex.written, request.size() - ex.written, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // poll says when
        if (errno == EINTR) continue;
        return fail_or_retry(ex, system_error("send", errno));
      }
      ex.written += static_cast<std::size_t>(n);
    }
    ex.step = Exchange::Step::reading;
  }

  void read(Exchange& ex) {
    for (;;) {
      const ssize_t n = recv(ex.fd.get(), buffer_, sizeof buffer_, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        return fail_or_retry(ex, system_error("recv", errno));
      }
      const auto state = n == 0 ? ex.parser.finish() : ex.parser.feed({buffer_, static_cast<std::size_t>(n)});
      if (state == HttpResponseParser::State::need_more) continue;
      if (state == HttpResponseParser::State::failed) {
        ex.result->too_large = ex.parser.too_large();
        return fail_or_retry(ex, ex.parser.error());
      }
      ex.result->status = ex.parser.status();
      ex.result->body = ex.parser.take_body();
      if (ex.parser.reusable()) idle_.give_back(std::move(ex.fd));
      ex.fd.reset();
      ex.step = Exchange::Step::finished;
      return;
    }
  }

  static const char* cut_while(Exchange::Step step) {
    switch (step) {
      case Exchange::Step::connecting: return "connecting";
      case Exchange::Step::writing: return "sending the request";
      default: return "reading the response";
    }
  }

  // Everything still running fails with `why` (the deadline, or the scrape was cancelled).
  void cut(std::vector<Exchange>& exchanges, const char* why) {
    for (auto& ex : exchanges)
      if (ex.step != Exchange::Step::finished) fail(ex, std::string(why) + " while " + cut_while(ex.step));
  }

  void wait_for(std::vector<Exchange>& exchanges) {
    std::vector<pollfd> fds;
    std::vector<Exchange*> polled;
    for (;;) {
      fds.clear();
      polled.clear();
      if (cancel_fd_ >= 0) fds.push_back({cancel_fd_, POLLIN, 0});
      for (auto& ex : exchanges) {
        if (ex.step == Exchange::Step::finished) continue;
        fds.push_back({ex.fd.get(), static_cast<short>(ex.step == Exchange::Step::reading ? POLLIN : POLLOUT), 0});
        polled.push_back(&ex);
      }
      if (polled.empty()) return;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
      if (left <= 0) return cut(exchanges, "scrape deadline reached");
      const int rc = poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 60000)));
      if (rc < 0 && errno != EINTR) {
        const std::string why = system_error("poll", errno);
        return cut(exchanges, why.c_str());
      }
      if (rc <= 0) continue;
      const std::size_t first = cancel_fd_ >= 0 ? 1 : 0;
      if (first == 1 && fds[0].revents != 0) return cut(exchanges, "scrape deadline reached (cancelled)");
      for (std::size_t i = 0; i < polled.size(); ++i) {
        if (fds[first + i].revents == 0) continue;
        Exchange& ex = *polled[i];
        switch (ex.step) {
          case Exchange::Step::connecting: connected(ex); break;
          case Exchange::Step::writing: write(ex); break;
          case Exchange::Step::reading: read(ex); break;
          case Exchange::Step::finished: break;
        }
      }
    }
  }

  const HttpPeer& server_;
  IdleSockets& idle_;
  Clock::time_point deadline_;
  std::size_t max_body_;
  int cancel_fd_;
  SocketAddress address_;
  char buffer_[64 << 10];
};

char base64_digit(unsigned v) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  return digits[v & 63];
}

}  // namespace

UniqueFd IdleSockets::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.empty()) return UniqueFd();
  UniqueFd fd = std::move(idle_.back());
  idle_.pop_back();
  return fd;
}

void IdleSockets::give_back(UniqueFd fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(fd));
}

std::size_t IdleSockets::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

std::vector<HttpResult> http_get_all(const HttpPeer& server, const std::vector<std::string>& paths, IdleSockets& idle,
                                     Clock::time_point deadline, std::size_t max_body_bytes, int cancel_fd) {
  // On the heap: the batch holds its 64 KiB read buffer, too much for a pool thread's stack.
  auto batch = std::make_unique<Batch>(server, idle, deadline, max_body_bytes, cancel_fd);
  return batch->run(paths);
}

std::string basic_authorization(const std::string& user, const std::string& password) {
  const std::string in = user + ":" + password;
  std::string out = "Authorization: Basic ";
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {base64_digit(v >> 18), base64_digit(v >> 12), base64_digit(v >> 6), base64_digit(v)};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {base64_digit(v >> 18), base64_digit(v >> 12), '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {base64_digit(v >> 18), base64_digit(v >> 12), base64_digit(v >> 6), '='};
  }
  return out + "\r\n";
}

}  // namespace natsexp
