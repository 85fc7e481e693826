// Holds N raw NATS client connections for bench_scrape.py, one subscription each, in one thread
// (plain sockets + epoll): CONNECT {"verbose":false,"pedantic":false}, SUB bench.<i> 1, PING; then
// answers every PING from the server with PONG so the connections stay open as long as it runs.
//   conn_holder PORT N
// Prints "ready <established>" on stdout once every connection got its PONG (or failed), then holds
// until stdin closes or SIGTERM/SIGINT. Lost connections and -ERR lines are reported on stderr.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Conn {
  int fd = -1;
  bool connected = false;    // TCP connect completed and the handshake was sent
  bool established = false;  // got the PONG of our first PING
  std::string in;            // unparsed bytes
  std::string out;           // bytes still to send
  uint32_t mask = 0;         // the epoll events registered now
};

void raise_nofile() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

bool flush_out(Conn& c) {
  while (!c.out.empty()) {
    const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: conn_holder PORT N\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const long want = std::atol(argv[2]);
  raise_nofile();
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    std::perror("epoll_create1");
    return 1;
  }
  // stdin closing (the bench exited without stopping us) ends the hold too.
  epoll_event sev{};
  sev.events = EPOLLIN | EPOLLHUP;
  sev.data.u64 = ~0ULL;
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);  // fails harmlessly when stdin is not a pipe

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  std::vector<Conn> conns(static_cast<std::size_t>(want));
  long next = 0, in_flight = 0, established = 0, failed = 0, lost = 0;
  const long kMaxInFlight = 256;  // connects not yet answered by a PONG
  bool announced = false;

  auto close_conn = [&](std::size_t i, const char* why) {
    Conn& c = conns[i];
    if (c.fd < 0) return;
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
    if (c.established) {
      ++lost;
      --established;
      std::fprintf(stderr, "conn_holder: connection %zu lost: %s\n", i, why);
    } else {
      ++failed;
      --in_flight;
      std::fprintf(stderr, "conn_holder: connection %zu failed: %s\n", i, why);
    }
  };

  auto start_more = [&] {
    while (next < want && in_flight < kMaxInFlight) {
      const std::size_t i = static_cast<std::size_t>(next++);
      Conn& c = conns[i];
      c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c.fd < 0) {
        std::fprintf(stderr, "conn_holder: socket: %s\n", std::strerror(errno));
        ++failed;
        continue;
      }
      int one = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ++in_flight;
      if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
        close(c.fd);
        c.fd = -1;
        --in_flight;
        ++failed;
        std::fprintf(stderr, "conn_holder: connect: %s\n", std::strerror(errno));
        continue;
      }
      c.out = "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"bench-" + std::to_string(i) +
              "\",\"lang\":\"c\",\"version\":\"0.1\",\"protocol\":1}\r\nSUB bench." + std::to_string(i) +
              " 1\r\nPING\r\n";
      epoll_event ev{};
      ev.events = c.mask = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
      ev.data.u64 = i;
      epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
  };

  start_more();
  std::vector<epoll_event> events(1024);
  char buf[65536];
  while (!g_stop) {
    if (!announced && established + failed >= want) {
      std::printf("ready %ld\n", established);
      std::fflush(stdout);
      announced = true;
    }
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("epoll_wait");
      break;
    }
    for (int k = 0; k < n; ++k) {
      if (events[k].data.u64 == ~0ULL) {
        const ssize_t r = read(0, buf, sizeof buf);
        if (r <= 0) g_stop = 1;
        continue;
      }
      const std::size_t i = static_cast<std::size_t>(events[k].data.u64);
      Conn& c = conns[i];
      if (c.fd < 0) continue;
      if (events[k].events & EPOLLERR) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        close_conn(i, std::strerror(err));
        continue;
      }
      if (events[k].events & EPOLLOUT) {
        c.connected = true;
        if (!flush_out(c)) {
          close_conn(i, "send failed");
          continue;
        }
      }
      if (events[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
        bool closed = false;
        for (;;) {
          const ssize_t r = recv(c.fd, buf, sizeof buf, 0);
          if (r > 0) {
            c.in.append(buf, static_cast<std::size_t>(r));
            continue;
          }
          if (r == 0) closed = true;
          else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) closed = true;
          break;
        }
        std::size_t pos;
        while ((pos = c.in.find("\r\n")) != std::string::npos) {
          const std::string line = c.in.substr(0, pos);
          c.in.erase(0, pos + 2);
          if (line == "PING") {
            c.out += "PONG\r\n";
          } else if (line == "PONG") {
            if (!c.established) {
              c.established = true;
              ++established;
              --in_flight;
            }
          } else if (line.rfind("-ERR", 0) == 0) {
            std::fprintf(stderr, "conn_holder: connection %zu: %s\n", i, line.c_str());
          }
          // INFO, +OK and anything else: nothing to do (nobody publishes to bench.<i>).
        }
        if (closed) {
          close_conn(i, "closed by the server");
          continue;
        }
        if (!c.out.empty() && !flush_out(c)) {
          close_conn(i, "send failed");
          continue;
        }
      }
      // Poll for writes only while something waits to be sent (or the connect is in progress).
      const uint32_t mask = EPOLLIN | EPOLLRDHUP | ((!c.connected || !c.out.empty()) ? EPOLLOUT : 0u);
      if (mask != c.mask) {
        epoll_event ev{};
        ev.events = c.mask = mask;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
      }
    }
    start_more();
  }
  std::fprintf(stderr, "conn_holder: stopping with %ld connections (%ld failed, %ld lost)\n", established, failed,
               lost);
  for (auto& c : conns)
    if (c.fd >= 0) close(c.fd);
  return 0;
}
