#include "exporter/web_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <zlib.h>

#include "base/log.h"

namespace natsexp::web {

namespace {

using Clock = std::chrono::steady_clock;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(const std::string& s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

bool gzip(const std::string& in, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.resize(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t produced = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return false;
  out.resize(produced);
  return true;
}

bool accepts_gzip(const Request& req) {
  std::string ae = req.header("Accept-Encoding");
  for (auto& c : ae) c = lower(c);
  std::size_t pos = 0;
  while (pos <= ae.size()) {
    std::size_t comma = ae.find(',', pos);
    if (comma == std::string::npos) comma = ae.size();
    std::string item = trim(ae.substr(pos, comma - pos));
    std::size_t semi = item.find(';');
    std::string coding = trim(item.substr(0, semi));
    if (coding == "gzip") {
      if (semi == std::string::npos) return true;
      std::string q = trim(item.substr(semi + 1));
      return !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000");
    }
    pos = comma + 1;
  }
  return false;
}

// A response as it goes on the wire: the head, then the body (shared, not copied, when large).
struct Wire {
  std::string head;
  std::shared_ptr<const std::string> body;
};

// The last gzipped shared body: one scrape answered to many clients is compressed once.
struct GzipCache {
  std::mutex mutex;
  std::shared_ptr<const std::string> source;
  std::shared_ptr<const std::string> zipped;
};

bool compressible(const std::string& type) {
  return type.rfind("text/", 0) == 0 || type.rfind("application/json", 0) == 0;
}

Wire serialize(bool head_only, bool gzip_ok, Response& res, bool keep_alive, GzipCache* cache) {
  std::shared_ptr<const std::string> body =
      res.shared_body ? std::move(res.shared_body) : std::make_shared<const std::string>(std::move(res.body));
  std::string body_encoding;
  const bool can_zip = compressible(res.content_type);
  if (can_zip && gzip_ok && !body->empty()) {
    std::shared_ptr<const std::string> zipped;
    if (cache) {
      std::lock_guard<std::mutex> lock(cache->mutex);
      if (cache->source == body) zipped = cache->zipped;
    }
    if (!zipped) {
      auto out = std::make_shared<std::string>();
      if (gzip(*body, *out)) zipped = std::move(out);
      if (zipped && cache && body.use_count() > 1) {  // shared: others may ask for the same bytes
        std::lock_guard<std::mutex> lock(cache->mutex);
        cache->source = body;
        cache->zipped = zipped;
      }
    }
    if (zipped) {
      body = std::move(zipped);
      body_encoding = "gzip";
    }
  }
  Wire w;
  w.head.reserve(256);
  w.head += "HTTP/1.1 " + std::to_string(res.status) + " " + reason(res.status) + "\r\n";
  if (!res.content_type.empty()) w.head += "Content-Type: " + res.content_type + "\r\n";
  if (!body_encoding.empty()) w.head += "Content-Encoding: " + body_encoding + "\r\n";
  if (can_zip) w.head += "Vary: Accept-Encoding\r\n";
  w.head += "Content-Length: " + std::to_string(body->size()) + "\r\n";
  w.head += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : res.headers) w.head += name + ": " + value + "\r\n";
  w.head += "\r\n";
  if (!head_only) {
    if (body->size() <= 16384) w.head += *body;  // one write for small answers
    else w.body = std::move(body);
  }
  return w;
}

std::string error_response(int status, const std::string& text) {
  Response res;
  res.status = status;
  res.set_content(text + "\n", "text/plain; charset=utf-8");
  return serialize(false, false, res, false, nullptr).head;
}

// Incremental chunked decoding (RFC 9112 7.1) with a limit on the decoded size.
struct ChunkDecoder {
  enum class Step { kSize, kData, kDataEnd, kTrailer, kDone };
  enum class Result { kNeedMore, kDone, kTooLarge, kBad };
  Step step = Step::kSize;
  std::size_t remaining = 0;
  std::size_t trailers = 0;

  // Consumes from `in` and appends to `body`.
  Result feed(std::string& in, std::string& body, std::size_t max_body, std::size_t max_line,
              std::size_t max_trailers) {
    std::size_t pos = 0;
    Result result = Result::kNeedMore;
    for (;;) {
      if (step == Step::kSize || step == Step::kTrailer || step == Step::kDataEnd) {
        const std::size_t eol = in.find("\r\n", pos);
        if (eol == std::string::npos) {
          if (in.size() - pos > max_line) result = Result::kBad;
          break;
        }
        const std::string line = in.substr(pos, eol - pos);
        pos = eol + 2;
        if (step == Step::kDataEnd) {
          if (!line.empty()) return Result::kBad;
          step = Step::kSize;
          continue;
        }
        if (step == Step::kTrailer) {
          if (line.empty()) {
            step = Step::kDone;
            result = Result::kDone;
            break;
          }
          if (++trailers > max_trailers) return Result::kTooLarge;
          continue;
        }
        // chunk-size [; extensions]
        std::size_t size = 0, digits = 0;
        for (char c : line) {
          const int v = hex_value(c);
          if (v < 0) break;
          if (++digits > 15) return Result::kBad;
          size = size * 16 + static_cast<std::size_t>(v);
        }
        if (digits == 0) return Result::kBad;
        if (digits < line.size() && line[digits] != ';' && line[digits] != ' ' && line[digits] != '\t')
          return Result::kBad;
        if (size == 0) {
          step = Step::kTrailer;
          continue;
        }
        if (body.size() + size > max_body) return Result::kTooLarge;  // refused before it is read
        remaining = size;
        step = Step::kData;
        continue;
      }
      if (step == Step::kData) {
        const std::size_t take = std::min(remaining, in.size() - pos);
        body.append(in, pos, take);
        pos += take;
        remaining -= take;
        if (remaining > 0) break;
        step = Step::kDataEnd;
        continue;
      }
      break;  // kDone
    }
    in.erase(0, pos);
    return result;
  }
};

// The open-files limit bounds how many connections we can hold; raise the soft limit to the hard.
std::size_t raise_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(lim.rlim_cur, 65536) : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
  }
  return lim.rlim_cur == RLIM_INFINITY ? 1 << 20 : static_cast<std::size_t>(lim.rlim_cur);
}

constexpr std::uint64_t kListenerId = 0;
constexpr std::uint64_t kWakeId = 1;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 4 << 20;
constexpr std::size_t kReadChunk = 16384;

}  // namespace

namespace detail {
struct ReplyState {
  explicit ReplyState(std::function<void(Response&&)> d) : deliver(std::move(d)) {}
  ReplyState(const ReplyState&) = delete;
  ReplyState& operator=(const ReplyState&) = delete;
  ~ReplyState() {
    if (sent.exchange(true)) return;
    Response res;  // never answered (a handler bug): the client is not left waiting
    res.status = 500;
    res.set_content("no answer\n", "text/plain; charset=utf-8");
    deliver(std::move(res));
  }
  std::function<void(Response&&)> deliver;
  std::atomic<bool> sent{false};
};
}  // namespace detail

void Reply::send(Response res) const {
  if (!state_ || state_->sent.exchange(true)) return;
  state_->deliver(std::move(res));
}

std::string Request::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return "";
}

bool Request::has_header(const std::string& name) const {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return true;
  return false;
}

std::string Request::param(const std::string& name) const {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string item = query.substr(pos, amp - pos);
    const std::size_t eq = item.find('=');
    if (percent_decode(item.substr(0, eq), true) == name)
      return eq == std::string::npos ? "" : percent_decode(item.substr(eq + 1), true);
    pos = amp + 1;
  }
  return "";
}

struct Server::Impl {
  enum class State { kHandshake, kReadHead, kReadBody, kBusy, kWrite, kLinger };
  enum class After { kNextRequest, kClose, kLinger };

  struct Conn {
    std::uint64_t id = 0;
    int fd = -1;
    SSL* ssl = nullptr;
    State state = State::kReadHead;
    std::string in;
    Request req;
    bool chunked = false;
    std::size_t content_length = 0;
    ChunkDecoder chunks;
    bool keep_alive = true;
    std::size_t requests = 0;
    std::string out;                              // the head (and a small body)
    std::shared_ptr<const std::string> out_body;  // a large body, shared
    std::size_t out_off = 0;                      // over out, then out_body
    After after = After::kNextRequest;
    Clock::time_point deadline;
    bool started = false;       // a byte of the current request has arrived
    std::size_t discarded = 0;  // bytes dropped while lingering
    std::uint32_t events = 0;
    bool registered = false;
  };

  struct Job {
    Request req;
    std::shared_ptr<detail::ReplyState> reply;
  };
  struct Done {
    std::uint64_t conn = 0;
    Wire wire;
    bool keep_alive = true;
  };

  Options opt;
  Handler handler;
  SSL_CTX* ssl_ctx = nullptr;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  int bound_port = 0;
  std::size_t max_connections = 0;
  std::atomic<bool> stopping{false};
  std::uint64_t next_id = 2;
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns;
  bool listener_in_epoll = false;
  Clock::time_point accept_paused_until{};
  std::uint64_t refused = 0;
  std::shared_ptr<Stats> stats = std::make_shared<Stats>();
  std::uint64_t evicted = 0;
  Clock::time_point last_eviction_log{};
  char read_buf[kReadChunk];  // the loop thread's
  Clock::time_point last_refusal_log{};

  std::mutex jobs_mutex;
  std::condition_variable jobs_cv;
  std::deque<Job> jobs;
  bool workers_exit = false;
  std::mutex done_mutex;
  std::vector<Done> done;
  GzipCache gzip_cache;

  Impl(Options o, Handler h) : opt(std::move(o)), handler(std::move(h)) {
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeId;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev);
  }

  ~Impl() {
    for (auto& [id, c] : conns) release(*c);
    conns.clear();
    if (listen_fd >= 0) close(listen_fd);
    if (wake_fd >= 0) close(wake_fd);
    if (epoll_fd >= 0) close(epoll_fd);
    if (ssl_ctx) SSL_CTX_free(ssl_ctx);
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(wake_fd, &one, sizeof one);
  }

  // ---- workers ----

  void worker() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(jobs_mutex);
        jobs_cv.wait(lock, [&] { return workers_exit || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      const Reply reply(std::move(job.reply));
      try {
        handler(job.req, reply);
      } catch (const std::exception& e) {
        log::error("request handler failed", {{"path", job.req.path}, {"err", e.what()}});
        Response res;
        res.status = 500;
        res.set_content("internal error\n", "text/plain; charset=utf-8");
        reply.send(std::move(res));
      } catch (...) {
        Response res;
        res.status = 500;
        reply.send(std::move(res));
      }
    }
  }

  // The Reply of a request on connection `conn`: its answer is serialized by whoever sends it, then
  // handed to the loop thread.
  std::shared_ptr<detail::ReplyState> make_reply(const Conn& c, bool keep_alive) {
    const bool head_only = c.req.method == "HEAD";
    const bool gzip_ok = accepts_gzip(c.req);
    const std::uint64_t id = c.id;
    return std::make_shared<detail::ReplyState>([this, id, keep_alive, head_only, gzip_ok](Response&& res) {
      const bool keep = keep_alive && !stopping;
      Done d{id, serialize(head_only, gzip_ok, res, keep, &gzip_cache), keep};
      {
        std::lock_guard<std::mutex> lock(done_mutex);
        done.push_back(std::move(d));
      }
      wake();
    });
  }

  // ---- connection plumbing ----

  void set_interest(Conn& c, std::uint32_t events) {
    if (events == 0) {
      if (c.registered) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
      c.registered = false;
      c.events = 0;
      return;
    }
    if (c.registered && c.events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd, c.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c.fd, &ev);
    c.registered = true;
    c.events = events;
  }

  void release(Conn& c) {
    if (c.ssl) SSL_free(c.ssl);
    c.ssl = nullptr;
    if (c.fd >= 0) close(c.fd);  // also removes it from epoll
    c.fd = -1;
  }

  void close_conn(Conn& c) {
    const std::uint64_t id = c.id;
    release(c);
    conns.erase(id);  // c is gone
    stats->open_connections = conns.size();
  }

  enum class Io { kOk, kWantRead, kWantWrite, kEof, kError };

  Io read_some(Conn& c, char* buf, std::size_t len, std::size_t& got) {
    got = 0;
    if (c.ssl) {
      ERR_clear_error();
      const int n = SSL_read(c.ssl, buf, static_cast<int>(len));
      if (n > 0) {
        got = static_cast<std::size_t>(n);
        return Io::kOk;
      }
      switch (SSL_get_error(c.ssl, n)) {
        case SSL_ERROR_WANT_READ: return Io::kWantRead;
        case SSL_ERROR_WANT_WRITE: return Io::kWantWrite;
        case SSL_ERROR_ZERO_RETURN: return Io::kEof;
        default: ERR_clear_error(); return Io::kError;
      }
    }
    const ssize_t n = recv(c.fd, buf, len, 0);
    if (n > 0) {
      got = static_cast<std::size_t>(n);
      return Io::kOk;
    }
    if (n == 0) return Io::kEof;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::kWantRead;
    return Io::kError;
  }

  Io write_some(Conn& c, const char* buf, std::size_t len, std::size_t& put) {
    put = 0;
    if (c.ssl) {
      ERR_clear_error();
      const int n = SSL_write(c.ssl, buf, static_cast<int>(std::min<std::size_t>(len, 1 << 20)));
      if (n > 0) {
        put = static_cast<std::size_t>(n);
        return Io::kOk;
      }
      switch (SSL_get_error(c.ssl, n)) {
        case SSL_ERROR_WANT_READ: return Io::kWantRead;
        case SSL_ERROR_WANT_WRITE: return Io::kWantWrite;
        default: ERR_clear_error(); return Io::kError;
      }
    }
    const ssize_t n = send(c.fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) {
      put = static_cast<std::size_t>(n);
      return Io::kOk;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::kWantWrite;
    return Io::kError;
  }

  void start_request(Conn& c, bool fresh) {
    c.state = c.ssl && fresh ? State::kHandshake : State::kReadHead;
    c.req = Request();
    c.chunked = false;
    c.content_length = 0;
    c.chunks = ChunkDecoder();
    c.started = !c.in.empty();
    c.deadline = Clock::now() + (fresh || c.started ? opt.read_timeout : opt.keep_alive_timeout);
  }

  void accept_all() {
    // A bounded batch: under a flood the listener stays readable and the other connections get
    // their turn between batches.
    for (int batch = 0; batch < 256; ++batch) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop accepting for a moment rather than spin on the listener.
          log::warn("cannot accept a connection: out of file descriptors", {{"err", std::strerror(errno)}});
          pause_accepting();
        }
        return;
      }
      if (conns.size() >= max_connections && !evict_oldest_waiting()) {
        // Every slot holds a request being handled or answered: the new connection is refused, not
        // queued. A plain-HTTP client learns why; a TLS client sees the connection close.
        if (!ssl_ctx) {
          static const std::string busy = error_response(503, "too many open connections");
          [[maybe_unused]] auto n = send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        close(fd);
        ++refused;
        ++stats->refused;
        const auto now = Clock::now();
        if (now - last_refusal_log > std::chrono::seconds(10)) {
          last_refusal_log = now;
          log::warn("refusing connections: --web.max-connections reached",
                    {{"max_connections", std::to_string(max_connections)}, {"refused_total", std::to_string(refused)}});
        }
        continue;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto conn = std::make_unique<Conn>();
      Conn& c = *conn;
      c.id = next_id++;
      c.fd = fd;
      if (ssl_ctx) {
        c.ssl = SSL_new(ssl_ctx);
        if (!c.ssl) {
          close(fd);
          continue;
        }
        SSL_set_fd(c.ssl, fd);
        SSL_set_accept_state(c.ssl);
      }
      conns.emplace(c.id, std::move(conn));
      stats->open_connections = conns.size();
      ++stats->accepted;
      start_request(c, true);
      set_interest(c, EPOLLIN);
    }
  }

  // At the connection cap, the connection that has waited longest without a complete request
  // (idle, trickling, mid-handshake, or lingering after an error) makes room for the new one: clients that hold slots
  // without asking anything cannot lock others out. False when every slot holds a request in progress.
  bool evict_oldest_waiting() {
    Conn* oldest = nullptr;
    for (const auto& [id, c] : conns) {
      const bool waiting = c->state == State::kHandshake || c->state == State::kReadHead ||
                           c->state == State::kReadBody || c->state == State::kLinger;
      if (waiting && (!oldest || c->id < oldest->id)) oldest = c.get();
    }
    if (!oldest) return false;
    ++evicted;
    ++stats->evicted;
    const auto now = Clock::now();
    if (now - last_eviction_log > std::chrono::seconds(10)) {
      last_eviction_log = now;
      log::warn("--web.max-connections reached: closing the connections that waited longest without a request",
                {{"max_connections", std::to_string(max_connections)}, {"closed_total", std::to_string(evicted)}});
    }
    close_conn(*oldest);
    return true;
  }

  void pause_accepting() {
    if (listener_in_epoll) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
    listener_in_epoll = false;
    accept_paused_until = Clock::now() + std::chrono::milliseconds(100);
  }

  void watch_listener() {
    if (listen_fd < 0 || listener_in_epoll) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerId;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
    listener_in_epoll = true;
  }

  // Answers with an error and closes; the rest of the request is never read into memory.
  void fail(Conn& c, int status, const std::string& text) {
    if (status == 413) ++stats->body_too_large;
    else if (status == 431) ++stats->head_too_large;
    else ++stats->bad_requests;
    c.in.clear();
    c.in.shrink_to_fit();
    c.req = Request();
    c.out = error_response(status, text);
    c.out_body.reset();
    c.out_off = 0;
    c.after = After::kLinger;
    c.state = State::kWrite;
    c.deadline = Clock::now() + opt.write_timeout;
    drive_write(c);
  }

  // Parses the head in c.in (it ends at `end`, the blank line). 0 on success, else an error status.
  int parse_head(Conn& c, std::size_t end, std::string& problem) {
    Request& r = c.req;
    std::size_t line_end = c.in.find("\r\n");
    const std::string line = c.in.substr(0, line_end);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
    if (sp2 == std::string::npos || line.find(' ', sp2 + 1) != std::string::npos) {
      problem = "malformed request line";
      return 400;
    }
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    r.version = line.substr(sp2 + 1);
    if (r.method.empty() || !std::all_of(r.method.begin(), r.method.end(), is_token_char)) {
      problem = "malformed method";
      return 400;
    }
    if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0") {
      problem = "HTTP/1.0 and HTTP/1.1 only";
      return r.version.rfind("HTTP/", 0) == 0 ? 505 : 400;
    }
    if (r.target.empty() || r.target[0] != '/') {
      problem = "the target must be a path";
      return 400;
    }
    for (char ch : r.target)
      if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) {
        problem = "control characters in the target";
        return 400;
      }
    const std::size_t q = r.target.find('?');
    r.path = percent_decode(r.target.substr(0, q), false);
    if (q != std::string::npos) r.query = r.target.substr(q + 1);

    std::size_t pos = line_end + 2;
    while (pos < end) {
      std::size_t eol = c.in.find("\r\n", pos);
      const std::string h = c.in.substr(pos, eol - pos);
      pos = eol + 2;
      if (h.find('\n') != std::string::npos || h.find('\r') != std::string::npos) {
        problem = "bare CR or LF in a header";
        return 400;
      }
      if (h[0] == ' ' || h[0] == '\t') {
        problem = "folded header lines are not accepted";
        return 400;
      }
      const std::size_t colon = h.find(':');
      if (colon == std::string::npos || colon == 0) {
        problem = "malformed header line";
        return 400;
      }
      const std::string name = h.substr(0, colon);
      if (!std::all_of(name.begin(), name.end(), is_token_char)) {
        problem = "malformed header name";
        return 400;
      }
      if (r.headers.size() >= opt.max_headers) {
        problem = "more than " + std::to_string(opt.max_headers) + " header lines";
        return 431;
      }
      r.headers.emplace_back(name, trim(h.substr(colon + 1)));
    }

    // Framing of the body: Content-Length or chunked, never both (request smuggling).
    bool has_length = false;
    for (const auto& [name, value] : r.headers) {
      if (iequals(name, "Content-Length")) {
        if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos) {
          problem = "malformed Content-Length";
          return 400;
        }
        const std::size_t n = std::stoull(value);
        if (has_length && n != c.content_length) {
          problem = "conflicting Content-Length headers";
          return 400;
        }
        has_length = true;
        c.content_length = n;
      } else if (iequals(name, "Transfer-Encoding")) {
        if (!iequals(value, "chunked") || c.chunked) {
          problem = "only Transfer-Encoding: chunked is accepted";
          return 501;
        }
        c.chunked = true;
      }
    }
    if (c.chunked && (has_length || r.version == "HTTP/1.0")) {
      problem = "Transfer-Encoding with Content-Length or in HTTP/1.0";
      return 400;
    }
    if (c.content_length > opt.max_body_bytes) {
      problem =
          "the request body is larger than --web.max-request-bytes (" + std::to_string(opt.max_body_bytes) + " bytes)";
      return 413;
    }
    const std::string connection = r.header("Connection");
    std::string conn_lower = connection;
    for (auto& ch : conn_lower) ch = lower(ch);
    if (r.version == "HTTP/1.0") c.keep_alive = conn_lower.find("keep-alive") != std::string::npos;
    else c.keep_alive = conn_lower.find("close") == std::string::npos;
    return 0;
  }

  // Consumes buffered input. True when more input is needed.
  bool process_input(Conn& c) {
    if (c.state == State::kReadHead) {
      const std::size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        // Tolerate blank lines before a request (RFC 9112 2.2).
        while (c.in.rfind("\r\n", 0) == 0) c.in.erase(0, 2);
        if (c.in.size() > opt.max_header_bytes) {
          fail(c, 431,
               "the request head is larger than --web.max-header-bytes (" + std::to_string(opt.max_header_bytes) +
                   " bytes)");
          return false;
        }
        return true;
      }
      if (end == 0) {
        c.in.erase(0, 2);
        return process_input(c);
      }
      if (end + 4 > opt.max_header_bytes) {
        fail(c, 431,
             "the request head is larger than --web.max-header-bytes (" + std::to_string(opt.max_header_bytes) +
                 " bytes)");
        return false;
      }
      std::string problem;
      const int status = parse_head(c, end + 2, problem);
      if (status != 0) {
        fail(c, status, problem);
        return false;
      }
      c.in.erase(0, end + 4);
      if (!c.chunked && c.content_length == 0) {
        dispatch(c);
        return false;
      }
      c.state = State::kReadBody;
      c.req.body.reserve(c.chunked ? 0 : c.content_length);
    }
    if (c.state == State::kReadBody) {
      if (!c.chunked) {
        const std::size_t take = std::min(c.content_length - c.req.body.size(), c.in.size());
        c.req.body.append(c.in, 0, take);
        c.in.erase(0, take);
        if (c.req.body.size() < c.content_length) return true;
        dispatch(c);
        return false;
      }
      switch (c.chunks.feed(c.in, c.req.body, opt.max_body_bytes, 4096, opt.max_headers)) {
        case ChunkDecoder::Result::kNeedMore: return true;
        case ChunkDecoder::Result::kDone: dispatch(c); return false;
        case ChunkDecoder::Result::kTooLarge:
          fail(c, 413,
               "the request body is larger than --web.max-request-bytes (" + std::to_string(opt.max_body_bytes) +
                   " bytes)");
          return false;
        case ChunkDecoder::Result::kBad: fail(c, 400, "malformed chunked body"); return false;
      }
    }
    return false;
  }

  void dispatch(Conn& c) {
    ++c.requests;
    const bool keep = c.keep_alive && c.requests < opt.keep_alive_max_requests;
    c.state = State::kBusy;
    set_interest(c, 0);
    auto reply = make_reply(c, keep);
    if (opt.run_inline && opt.run_inline(c.req)) {
      // Trivial, non-blocking pages (health probes) are answered on this thread, so they never
      // wait for a worker; the answer goes out through the done queue like any other.
      const Request req = std::move(c.req);
      c.req = Request();
      try {
        handler(req, Reply(std::move(reply)));
      } catch (...) {
        // The Reply, dropped unsent, answers 500.
      }
      return;
    }
    {
      std::lock_guard<std::mutex> lock(jobs_mutex);
      jobs.push_back(Job{std::move(c.req), std::move(reply)});
    }
    c.req = Request();
    jobs_cv.notify_one();
  }

  void drive_read(Conn& c) {
    for (;;) {
      if (c.state == State::kHandshake) {
        ERR_clear_error();
        const int r = SSL_accept(c.ssl);
        if (r == 1) {
          c.state = State::kReadHead;
          continue;
        }
        const int err = SSL_get_error(c.ssl, r);
        ERR_clear_error();
        if (err == SSL_ERROR_WANT_READ) return set_interest(c, EPOLLIN);
        if (err == SSL_ERROR_WANT_WRITE) return set_interest(c, EPOLLOUT);
        ++stats->tls_handshake_failures;
        return close_conn(c);  // a failed handshake: the client is told by TLS alert
      }
      if (c.state != State::kReadHead && c.state != State::kReadBody) return;
      if (!c.in.empty() && !process_input(c)) return;
      std::size_t got = 0;
      switch (read_some(c, read_buf, sizeof read_buf, got)) {
        case Io::kOk:
          if (!c.started) {
            c.started = true;
            c.deadline = Clock::now() + opt.read_timeout;
          }
          c.in.append(read_buf, got);
          if (!process_input(c)) return;
          continue;
        case Io::kWantRead: return set_interest(c, EPOLLIN);
        case Io::kWantWrite: return set_interest(c, EPOLLOUT);
        case Io::kEof:
        case Io::kError: return close_conn(c);
      }
    }
  }

  void drive_write(Conn& c) {
    for (;;) {
      const std::size_t total = c.out.size() + (c.out_body ? c.out_body->size() : 0);
      if (c.out_off >= total) break;
      const std::string& segment = c.out_off < c.out.size() ? c.out : *c.out_body;
      const std::size_t at = c.out_off < c.out.size() ? c.out_off : c.out_off - c.out.size();
      std::size_t put = 0;
      switch (write_some(c, segment.data() + at, segment.size() - at, put)) {
        case Io::kOk: c.out_off += put; continue;
        case Io::kWantRead: return set_interest(c, EPOLLIN);
        case Io::kWantWrite: return set_interest(c, EPOLLOUT);
        case Io::kEof:
        case Io::kError: return close_conn(c);
      }
    }
    c.out_body.reset();
    std::string().swap(c.out);
    c.out_off = 0;
    if (c.after == After::kNextRequest && !stopping) {
      start_request(c, false);
      set_interest(c, EPOLLIN);
      return drive_read(c);
    }
    if (c.after != After::kLinger) {
      if (c.ssl) {
        ERR_clear_error();
        SSL_shutdown(c.ssl);  // close_notify, best effort
        ERR_clear_error();
      }
      return close_conn(c);
    }
    // Lingering close: stop sending, then read and drop what the client still sends for a moment,
    // so that it reads our answer instead of a reset.
    if (c.ssl) {
      ERR_clear_error();
      SSL_shutdown(c.ssl);
      ERR_clear_error();
    }
    shutdown(c.fd, SHUT_WR);
    c.state = State::kLinger;
    c.deadline = Clock::now() + kLingerTime;
    set_interest(c, EPOLLIN);
    drive_linger(c);
  }

  void drive_linger(Conn& c) {
    for (int i = 0; i < 64; ++i) {
      const ssize_t n = recv(c.fd, read_buf, sizeof read_buf, 0);
      if (n > 0 && (c.discarded += static_cast<std::size_t>(n)) <= kMaxLingerBytes) continue;
      if (n > 0) return close_conn(c);  // it keeps sending: enough
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
      return close_conn(c);
    }
  }

  void on_event(std::uint64_t id) {
    auto it = conns.find(id);
    if (it == conns.end()) return;
    Conn& c = *it->second;
    switch (c.state) {
      case State::kHandshake:
      case State::kReadHead:
      case State::kReadBody: return drive_read(c);
      case State::kWrite: return drive_write(c);
      case State::kLinger: return drive_linger(c);
      case State::kBusy: return;
    }
  }

  void take_done() {
    std::vector<Done> finished;
    {
      std::lock_guard<std::mutex> lock(done_mutex);
      finished.swap(done);
    }
    for (auto& d : finished) {
      auto it = conns.find(d.conn);
      if (it == conns.end()) continue;
      Conn& c = *it->second;
      c.out = std::move(d.wire.head);
      c.out_body = std::move(d.wire.body);
      c.out_off = 0;
      c.after = d.keep_alive && !stopping ? After::kNextRequest : After::kClose;
      c.state = State::kWrite;
      c.deadline = Clock::now() + opt.write_timeout;
      drive_write(c);
    }
  }

  void expire(Clock::time_point now) {
    std::vector<std::uint64_t> late;
    for (const auto& [id, c] : conns)
      if (c->state != State::kBusy && c->deadline <= now) late.push_back(id);
    for (auto id : late) {
      Conn& c = *conns.at(id);
      // A keep-alive connection idle between requests is closed quietly: that is not a client fault.
      const bool idle_keep_alive = c.state == State::kReadHead && !c.started && c.requests > 0;
      if (!idle_keep_alive) ++stats->timed_out;
      close_conn(c);
    }
  }

  // How long the loop may sleep: until the next connection deadline or the end of an accept pause,
  // at most a second. A fixed short tick would wake an idle exporter ten times a second between
  // scrapes; stop() and finished responses wake it through wake_fd anyway.
  int wait_ms(Clock::time_point now) const {
    auto next = now + std::chrono::seconds(1);
    for (const auto& [id, c] : conns)
      if (c->state != State::kBusy) next = std::min(next, c->deadline);
    if (!listener_in_epoll && listen_fd >= 0) next = std::min(next, accept_paused_until);
    if (next <= now) return 0;
    // Rounded up, so the loop never wakes just before a deadline and spins until it passes.
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(next - now).count());
  }

  void begin_shutdown() {
    if (listen_fd >= 0) {
      if (listener_in_epoll) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      close(listen_fd);  // new connections are refused from now on
      listen_fd = -1;
      listener_in_epoll = false;
    }
    // Requests still being read, and idle keep-alive connections, are closed; responses being
    // worked on or written go out first.
    std::vector<std::uint64_t> idle;
    for (const auto& [id, c] : conns)
      if (c->state == State::kHandshake || c->state == State::kReadHead || c->state == State::kReadBody)
        idle.push_back(id);
    for (auto id : idle) close_conn(*conns.at(id));
  }

  void run() {
    std::vector<std::thread> workers;
    for (std::size_t i = 0; i < std::max<std::size_t>(opt.threads, 1); ++i) workers.emplace_back([this] { worker(); });
    watch_listener();
    bool shutting_down = false;
    epoll_event events[256];
    for (;;) {
      if (stopping && !shutting_down) {
        shutting_down = true;
        begin_shutdown();
      }
      if (shutting_down && conns.empty()) break;
      const int n = epoll_wait(epoll_fd, events, 256, wait_ms(Clock::now()));
      for (int i = 0; i < n; ++i) {
        const std::uint64_t id = events[i].data.u64;
        if (id == kListenerId) {
          if (!stopping) accept_all();
        } else if (id == kWakeId) {
          std::uint64_t count = 0;
          [[maybe_unused]] auto r = read(wake_fd, &count, sizeof count);
          take_done();
        } else {
          on_event(id);
        }
      }
      const auto now = Clock::now();
      expire(now);
      if (!listener_in_epoll && listen_fd >= 0 && !stopping && now >= accept_paused_until) watch_listener();
    }
    {
      std::lock_guard<std::mutex> lock(jobs_mutex);
      workers_exit = true;
    }
    jobs_cv.notify_all();
    for (auto& t : workers) t.join();
  }
};

Server::Server(Options options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

int Server::port() const { return impl_->bound_port; }

bool Server::bind(const std::string& host, int port, std::string& error) {
  Impl& m = *impl_;
  if (m.epoll_fd < 0 || m.wake_fd < 0) {
    error = std::string("epoll: ") + std::strerror(errno);
    return false;
  }
  if (m.opt.tls_setup) {
    m.ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (!m.ssl_ctx) {
      error = "cannot create a TLS context";
      return false;
    }
    SSL_CTX_set_mode(m.ssl_ctx,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    if (!m.opt.tls_setup(*m.ssl_ctx)) {
      error = "cannot set up TLS (see --web.config.file)";
      return false;
    }
  }
  // Every connection needs a descriptor, and scrapes need some of their own.
  const std::size_t files = raise_file_limit();
  const std::size_t reserve = 256;
  m.max_connections = m.opt.max_connections;
  m.stats->max_connections = m.max_connections;
  if (files < m.max_connections + reserve) {
    m.max_connections = files > 2 * reserve ? files - reserve : files / 2;
    m.stats->max_connections = m.max_connections;
    log::warn("the open-files limit caps --web.max-connections",
              {{"max_connections", std::to_string(m.max_connections)}, {"nofile", std::to_string(files)}});
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    error = std::string("cannot resolve the listen host: ") + gai_strerror(rc);
    return false;
  }
  error = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, m.opt.backlog) != 0) {
      error = std::strerror(errno);
      close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    m.bound_port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                               : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    m.listen_fd = fd;
    break;
  }
  freeaddrinfo(found);
  return m.listen_fd >= 0;
}

void Server::serve() { impl_->run(); }

std::shared_ptr<const Stats> Server::stats() const { return impl_->stats; }

void Server::stop() {
  impl_->stopping = true;
  impl_->wake();
}

}  // namespace natsexp::web
