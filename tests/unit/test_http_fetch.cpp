// Our HTTP client (collectors/http_fetch.h) and HttpMonitorSource's prefetch against a scripted
// server on a loopback port: one thread, poll(), scripted answers.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "collectors/http_fetch.h"
#include "collectors/monitor_client.h"

using namespace natsexp;
using namespace std::chrono_literals;

namespace {

// What the server does with one request: `answer` is sent ("" sends nothing and holds the
// connection); then the connection is closed if `close`.
struct Reply {
  std::string answer;
  bool close = false;
};

Reply json_reply(const std::string& body, bool close = false) {
  return {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body,
          close};
}

// A loopback HTTP server run by one thread. `script(path, request index on its connection)`
// decides each reply. Counts connections; keeps the request heads it saw.
class ScriptedServer {
 public:
  using Script = std::function<Reply(const std::string& path, int nth_on_connection)>;
  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listener_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(listen(listener_.get(), 64) == 0);
    stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }
  // Closes every open connection once the replies so far are sent (a server dropping idle ones).
  void close_idle() { close_idle_ = true; }

 private:
  struct Conn {
    UniqueFd fd;
    std::string in;
    int served = 0;
  };

  void run() {
    std::vector<Conn> conns;
    for (;;) {
      if (close_idle_.exchange(false)) conns.clear();
      std::vector<pollfd> fds{{stop_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
      for (auto& c : conns) fds.push_back({c.fd.get(), POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) < 0) return;
      if (fds[0].revents) return;
      const std::size_t polled = conns.size();  // a connection accepted now is polled next time
      if (fds[1].revents) {
        conns.push_back({UniqueFd(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)), "", 0});
        ++connections_;
      }
      for (std::size_t i = 0; i < polled; ++i) {
        if (!(fds[2 + i].revents)) continue;
        char buf[4096];
        const ssize_t n = recv(conns[i].fd.get(), buf, sizeof buf, 0);
        if (n <= 0) {
          conns[i].fd.reset();
          continue;
        }
        conns[i].in.append(buf, static_cast<std::size_t>(n));
        const auto end = conns[i].in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        const std::string head = conns[i].in.substr(0, end);
        conns[i].in.erase(0, end + 4);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          heads_.push_back(head);
        }
        ++requests_;
        const std::string path = head.substr(4, head.find(' ', 4) - 4);
        const Reply r = script_(path, conns[i].served++);
        if (!r.answer.empty()) [[maybe_unused]]
          auto sent = send(conns[i].fd.get(), r.answer.data(), r.answer.size(), MSG_NOSIGNAL);
        if (r.close) conns[i].fd.reset();
      }
      for (auto it = conns.begin(); it != conns.end();) it = it->fd ? it + 1 : conns.erase(it);
    }
  }

  Script script_;
  UniqueFd listener_, stop_;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0}, requests_{0};
  std::atomic<bool> close_idle_{false};
  std::mutex mutex_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

HttpPeer peer_of(const ScriptedServer& server, std::string auth = "") {
  return {"127.0.0.1", server.port(), "127.0.0.1:" + std::to_string(server.port()), std::move(auth)};
}

Reply echo_path(const std::string& path, int) { return json_reply("{\"path\":\"" + path + "\"}"); }

auto in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

}  // namespace

TEST_CASE("http fetch: a batch runs at once, one connection each, kept for the next batch") {
  ScriptedServer server(echo_path);
  IdleSockets idle;
  auto results = http_get_all(peer_of(server), {"/varz", "/connz?x=1", "/subsz"}, idle, in(5000ms), 1 << 20, -1);
  REQUIRE(results.size() == 3);
  CHECK(results[0].ok());
  CHECK(results[0].status == 200);
  CHECK(results[0].body == "{\"path\":\"/varz\"}");
  CHECK(results[1].body == "{\"path\":\"/connz?x=1\"}");
  CHECK(server.connections() == 3);
  CHECK(idle.idle() == 3);
  results = http_get_all(peer_of(server), {"/a", "/b"}, idle, in(5000ms), 1 << 20, -1);
  CHECK(results[1].body == "{\"path\":\"/b\"}");
  CHECK(server.connections() == 3);  // reused
}

TEST_CASE("http fetch: the request carries Host, Accept and the authorization, and asks for no encoding") {
  ScriptedServer server(echo_path);
  IdleSockets idle;
  http_get_all(peer_of(server, basic_authorization("u", "p")), {"/varz"}, idle, in(5000ms), 1 << 20, -1);
  const auto heads = server.heads();
  REQUIRE(heads.size() == 1);
  CHECK(heads[0].rfind("GET /varz HTTP/1.1\r\n", 0) == 0);
  CHECK(heads[0].find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") != std::string::npos);
  CHECK(heads[0].find("\r\nAccept: application/json\r\n") != std::string::npos);
  CHECK(heads[0].find("\r\nAuthorization: Basic dTpw") != std::string::npos);
  CHECK(heads[0].find("Accept-Encoding") == std::string::npos);
  CHECK(basic_authorization("Aladdin", "open sesame") == "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n");
}

TEST_CASE("http fetch: an idle connection the server closed is replaced") {
  ScriptedServer server(echo_path);
  IdleSockets idle;
  CHECK(http_get_all(peer_of(server), {"/varz"}, idle, in(5000ms), 1 << 20, -1)[0].ok());
  server.close_idle();
  std::this_thread::sleep_for(100ms);
  const auto r = http_get_all(peer_of(server), {"/varz"}, idle, in(5000ms), 1 << 20, -1);
  CHECK(r[0].ok());
  CHECK(server.connections() == 2);
}

TEST_CASE("http fetch: a reused connection closed before any byte is retried once on a new one") {
  // The second request on any connection is dropped unanswered (a server that timed the connection out).
  ScriptedServer server([](const std::string& path, int nth) {
    return nth > 0 ? Reply{"", true} : echo_path(path, 0);
  });
  IdleSockets idle;
  CHECK(http_get_all(peer_of(server), {"/varz"}, idle, in(5000ms), 1 << 20, -1)[0].ok());
  const auto r = http_get_all(peer_of(server), {"/varz"}, idle, in(5000ms), 1 << 20, -1);
  CHECK(r[0].ok());
  CHECK(r[0].body == "{\"path\":\"/varz\"}");
  CHECK(server.connections() == 2);
  // A new connection that closes without an answer is not retried.
  ScriptedServer rude([](const std::string&, int) { return Reply{"", true}; });
  IdleSockets none;
  const auto failed = http_get_all(peer_of(rude), {"/varz"}, none, in(5000ms), 1 << 20, -1);
  CHECK(failed[0].error == "connection closed without a response");
  CHECK(rude.connections() == 1);
}

TEST_CASE("http fetch: a server that never answers is cut at the deadline; others in the batch still answer") {
  ScriptedServer server([](const std::string& path, int) { return path == "/hang" ? Reply{} : echo_path(path, 0); });
  IdleSockets idle;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = http_get_all(peer_of(server), {"/hang", "/varz"}, idle, in(300ms), 1 << 20, -1);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r[0].error == "scrape deadline reached while reading the response");
  CHECK(r[1].ok());
  CHECK(took >= 250ms);
  CHECK(took < 2000ms);
  CHECK(idle.idle() == 1);  // the hung connection is not kept
}

TEST_CASE("http fetch: cancel from another thread ends the batch") {
  ScriptedServer server([](const std::string&, int) { return Reply{}; });
  IdleSockets idle;
  UniqueFd cancel(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(cancel.get(), &one, sizeof one);
  });
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = http_get_all(peer_of(server), {"/a", "/b"}, idle, in(10000ms), 1 << 20, cancel.get());
  canceller.join();
  CHECK(std::chrono::steady_clock::now() - t0 < 5000ms);
  CHECK(r[0].error.find("cancelled") != std::string::npos);
  CHECK(r[1].error.find("cancelled") != std::string::npos);
}

TEST_CASE("http fetch: refused, too large, chunked and garbage answers") {
  IdleSockets idle;
  // A port nothing listens on: bind one and close it.
  std::uint16_t closed_port = 0;
  {
    ScriptedServer s(echo_path);
    closed_port = s.port();
  }
  const auto refused = http_get_all({"127.0.0.1", closed_port, "x", ""}, {"/varz"}, idle, in(2000ms), 1 << 20, -1);
  CHECK(refused[0].error == "connect: Connection refused");

  ScriptedServer server([](const std::string& path, int) {
    if (path == "/big") return json_reply(std::string(2000, ' ') + "{}");
    if (path == "/chunked")
      return Reply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n"};
    return Reply{"SSH-2.0-OpenSSH\r\n\r\n", true};
  });
  const auto r = http_get_all(peer_of(server), {"/big", "/chunked", "/garbage"}, idle, in(5000ms), 1000, -1);
  CHECK(r[0].too_large);
  CHECK(r[0].error == "response larger than 1000 bytes");
  CHECK(r[1].body == "{\"a\":1}");
  CHECK(r[2].error == "not an HTTP/1.x status line");
}

TEST_CASE("HttpMonitorSource: prefetched paths are answered without another request") {
  ScriptedServer server([](const std::string& path, int) {
    if (path == "/healthz") return Reply{"HTTP/1.1 503 Unavailable\r\nContent-Length: 17\r\n\r\n{\"status\":\"down\"}"};
    return echo_path(path, 0);
  });
  TargetConfig t;
  t.name = "s";
  t.url = "http://127.0.0.1:" + std::to_string(server.port());
  HttpMonitorSource source(t, in(5000ms), 1 << 20);
  REQUIRE(source.can_prefetch());
  CHECK(source.prefetch({"/varz", "/healthz", "/varz"}));
  CHECK(server.requests() == 2);
  CHECK(source.get_json("/varz")->root().find("path").as_string() == std::string("/varz"));
  CHECK(source.get_json("/healthz", true)->root().find("status").as_string() == std::string("down"));
  CHECK(server.requests() == 2);
  CHECK(source.get_json("/subsz")->root().find("path").as_string() == std::string("/subsz"));  // a follow-up read
  CHECK(server.requests() == 3);
  CHECK(server.connections() == 2);  // the follow-up reused an idle connection
}
