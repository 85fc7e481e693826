#include "collectors/monitor_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <thread>

#include <httplib.h>

#include "base/address.h"

namespace natsexp {

namespace {

// Per target: a scrape reads about ten endpoints of a target at once (one per collector, /varz
// shared). Fewer idle clients than that reconnected the surplus at every scrape (a new socket, and
// a new httplib client whose URL parsing alone is a regex), about a third of the idle scrape's CPU.
constexpr std::size_t kMaxIdleClients = 16;
constexpr std::size_t kSharedForScrapeBytes = 256 << 10;  // documents above this are not kept by the cache

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// httplib takes its timeouts as (seconds, microseconds); never hand it zero, which means "no limit"
// in some code paths.
void set_timeouts(httplib::Client& client, Clock::duration left) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
  if (us < 1000) us = 1000;
  const time_t sec = static_cast<time_t>(us / 1000000);
  const time_t usec = static_cast<time_t>(us % 1000000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

}  // namespace

MonitorEndpoint parse_monitor_url(const std::string& url) {
  std::string why;
  const auto u = split_url(url, &why, {"http", "https"});
  if (!u) throw FetchError("monitoring URL " + why);  // never the URL itself: it may hold credentials
  const HostPort& a = u->authority;
  MonitorEndpoint out;
  out.scheme_host_port = u->scheme + "://" + a.host + (a.port.empty() ? "" : ":" + a.port);
  out.base_path = u->path;
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  out.host = a.host.front() == '[' ? a.host.substr(1, a.host.size() - 2) : a.host;
  out.port = static_cast<std::uint16_t>(std::stoi(port_or_default(*u)));
  return out;
}

// One host name lookup, shared by every request that needs it while it runs.
struct MonitorConnections::Resolution {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::string address;  // numeric, on success
  std::string error;    // on failure
};

MonitorConnections::MonitorConnections(const TargetConfig& target)
    : target_(target), endpoint_(parse_monitor_url(target.url)), host_(endpoint_.host) {
  host_is_ip_ = is_ip_literal(host_);
  plain_http_ = endpoint_.scheme_host_port.rfind("http://", 0) == 0;
  if (!target_.username.empty()) authorization_ = basic_authorization(target_.username, target_.password);
  if (!target_.bearer_token.empty()) authorization_ += "Authorization: Bearer " + target_.bearer_token + "\r\n";
}

HttpPeer MonitorConnections::http_peer(const std::string& resolved_address) const {
  HttpPeer server;
  server.address = resolved_address.empty() ? host_ : resolved_address;
  server.port = endpoint_.port;
  server.host_header = endpoint_.scheme_host_port.substr(endpoint_.scheme_host_port.find("://") + 3);
  server.extra_header_lines = authorization_;
  return server;
}

MonitorConnections::~MonitorConnections() = default;

std::unique_ptr<httplib::Client> MonitorConnections::take() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  std::unique_ptr<httplib::Client> client;
  if (!target_.tls.cert_file.empty())
    client = std::make_unique<httplib::Client>(endpoint_.scheme_host_port, target_.tls.cert_file, target_.tls.key_file);
  else client = std::make_unique<httplib::Client>(endpoint_.scheme_host_port);
  client->set_tcp_nodelay(true);  // without it a keep-alive client waits for delayed ACKs
  client->set_keep_alive(true);
  if (!target_.tls.ca_file.empty()) client->set_ca_cert_path(target_.tls.ca_file);
  if (target_.tls.insecure_skip_verify) client->enable_server_certificate_verification(false);
  if (!target_.username.empty()) client->set_basic_auth(target_.username, target_.password);
  if (!target_.bearer_token.empty()) client->set_bearer_token_auth(target_.bearer_token);
  return client;
}

void MonitorConnections::give_back(std::unique_ptr<httplib::Client> client) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < kMaxIdleClients) idle_.push_back(std::move(client));
}

std::string MonitorConnections::resolve(Clock::time_point deadline) {
  if (host_is_ip_) return "";
  std::shared_ptr<Resolution> r;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A finished lookup is redone at the next scrape (addresses change); one in flight is joined.
    bool running = false;
    if (resolving_) {
      std::lock_guard<std::mutex> rlock(resolving_->mutex);
      running = !resolving_->done;
    }
    if (!running) {
      resolving_ = std::make_shared<Resolution>();
      // Detached: getaddrinfo cannot be cancelled. It owns its state, so a lookup that outlives
      // the scrape (or the exporter's config) touches nothing else; at most one runs per target.
      std::thread([r = resolving_, host = host_] {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* result = nullptr;
        const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
        std::string address, error;
        if (rc != 0 || !result) {
          error = gai_strerror(rc);
        } else {
          char buf[INET6_ADDRSTRLEN] = {};
          const void* addr =
              result->ai_family == AF_INET6
                  ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(result->ai_addr)->sin6_addr)
                  : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr);
          if (inet_ntop(result->ai_family, addr, buf, sizeof buf)) address = buf;
          else error = "unusable address";
        }
        if (result) freeaddrinfo(result);
        {
          std::lock_guard<std::mutex> result_lock(r->mutex);
          r->address = std::move(address);
          r->error = std::move(error);
          r->done = true;
        }
        r->done_cv.notify_all();
      }).detach();
    }
    r = resolving_;
  }
  std::unique_lock<std::mutex> lock(r->mutex);
  if (!r->done_cv.wait_until(lock, deadline, [&] { return r->done; }))
    throw FetchError("resolving the monitoring host " + host_ + ": scrape deadline reached");
  if (!r->error.empty()) throw FetchError("resolving the monitoring host " + host_ + ": " + r->error);
  return r->address;
}

HttpMonitorSource::HttpMonitorSource(const TargetConfig& target, Clock::time_point deadline, std::size_t max_bytes)
    : HttpMonitorSource(std::make_shared<MonitorConnections>(target), deadline, max_bytes) {}

HttpMonitorSource::HttpMonitorSource(std::shared_ptr<MonitorConnections> connections, Clock::time_point deadline,
                                     std::size_t max_bytes)
    : connections_(std::move(connections)), deadline_(deadline), max_bytes_(max_bytes) {
  if (connections_->plain_http()) {
    cancel_fd_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!cancel_fd_) throw FetchError("eventfd: cannot make the scrape's cancel signal");
  }
}

std::shared_ptr<const JsonDocument> HttpMonitorSource::get_json(const std::string& path_and_query, bool any_status) {
  std::promise<std::shared_ptr<const JsonDocument>> promise;
  std::shared_future<std::shared_ptr<const JsonDocument>> result;
  bool mine = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Cached& entry = cache_[path_and_query];
    if (entry.pending.valid()) {
      result = entry.pending;
    } else if (auto held = entry.large.lock()) {
      return held;
    } else {  // never fetched, or a large document all its readers let go of: fetch (again)
      result = promise.get_future().share();
      entry.pending = result;
      mine = true;
    }
  }
  if (mine) {
    try {
      auto doc = fetch(path_and_query, any_status);
      if (doc->text_bytes() > kSharedForScrapeBytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        Cached& entry = cache_[path_and_query];
        entry.pending = {};  // waiters hold their own copy of the future
        entry.large = doc;
      }
      promise.set_value(std::move(doc));
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
  return result.get();
}

void HttpMonitorSource::cancel() {
  cancelled_ = true;
  if (cancel_fd_) {  // readable from now on: every poll of this scrape's requests returns at once
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(cancel_fd_.get(), &one, sizeof one);
  }
  std::lock_guard<std::mutex> lock(active_mutex_);
  for (auto* client : active_) client->stop();
}

JsonElements HttpMonitorSource::get_json_elements(const std::string& path_and_query, std::string_view array_key,
                                                  const JsonElementCallback& on_element) {
  JsonElements out;
  out.rest = fetch(path_and_query, false, [&](std::string body) {
    auto split = parse_json_elements(std::move(body), array_key, on_element);
    out.elements = split.elements;
    return split.rest;
  });
  return out;
}

const std::string& HttpMonitorSource::address() {
  std::lock_guard<std::mutex> lock(address_mutex_);
  if (!address_resolved_) {
    address_ = connections_->resolve(deadline_);
    address_resolved_ = true;
  }
  return address_;
}

bool HttpMonitorSource::prefetch(const std::vector<std::string>& paths) {
  if (!connections_->plain_http()) return false;
  std::vector<std::string> wanted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& path : paths)
      if (!prefetched_.count(path) && !cache_.count(path) &&
          std::find(wanted.begin(), wanted.end(), path) == wanted.end())
        wanted.push_back(path);
  }
  if (wanted.empty() || cancelled_ || Clock::now() >= deadline_) return true;  // get_json reports it
  std::string resolved;
  try {
    resolved = address();
  } catch (const FetchError&) {
    return true;  // each get_json reports the resolution's failure
  }
  std::vector<std::string> full_paths;
  for (const auto& path : wanted) full_paths.push_back(connections_->endpoint().base_path + path);
  requests_ += wanted.size();
  auto results = http_get_all(connections_->http_peer(resolved), full_paths, connections_->idle_sockets(), deadline_,
                              max_bytes_, cancel_fd_.get());
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < wanted.size(); ++i) prefetched_.emplace(wanted[i], std::move(results[i]));
  return true;
}

HttpMonitorSource::Answer HttpMonitorSource::answer(const std::string& what, const std::string& path_and_query) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = prefetched_.find(path_and_query);
    if (it != prefetched_.end()) {
      HttpResult result = std::move(it->second);
      prefetched_.erase(it);
      if (!result.ok()) throw FetchError(what + ": " + result.error);
      return {result.status, std::move(result.body)};
    }
  }
  if (Clock::now() >= deadline_) throw FetchError(what + ": scrape deadline reached before the request");
  address();  // resolved once per scrape, before the first request
  return connections_->plain_http() ? get_plain(what, path_and_query) : get_httplib(what, path_and_query);
}

HttpMonitorSource::Answer HttpMonitorSource::get_plain(const std::string& what, const std::string& path_and_query) {
  if (cancelled_) throw FetchError(what + ": scrape deadline reached before the request");
  ++requests_;
  auto results = http_get_all(connections_->http_peer(address()), {connections_->endpoint().base_path + path_and_query},
                              connections_->idle_sockets(), deadline_, max_bytes_, cancel_fd_.get());
  if (!results[0].ok()) throw FetchError(what + ": " + results[0].error);
  return {results[0].status, std::move(results[0].body)};
}

HttpMonitorSource::Answer HttpMonitorSource::get_httplib(const std::string& what, const std::string& path_and_query) {
  std::unique_ptr<httplib::Client> client = connections_->take();
  if (!address_.empty()) client->set_hostname_addr_map({{connections_->endpoint().host, address_}});
  set_timeouts(*client, deadline_ - Clock::now());

  {
    std::lock_guard<std::mutex> lock(active_mutex_);
    if (cancelled_) throw FetchError(what + ": scrape deadline reached before the request");
    active_.insert(client.get());
  }
  struct Deregister {
    HttpMonitorSource& self;
    httplib::Client* client;
    ~Deregister() { release(); }
    void release() {
      if (!client) return;
      std::lock_guard<std::mutex> lock(self.active_mutex_);
      self.active_.erase(client);
      client = nullptr;
    }
  } deregister{*this, client.get()};

  std::string body;
  bool too_large = false;
  bool too_late = false;
  ++requests_;
  auto res = client->Get(
      connections_->endpoint().base_path + path_and_query, httplib::Headers{{"Accept", "application/json"}},
      [&](const httplib::Response&) { return true; },
      [&](const char* data, std::size_t len) {
        if (body.size() + len > max_bytes_) {
          too_large = true;
          return false;
        }
        if (Clock::now() >= deadline_) {
          too_late = true;
          return false;
        }
        body.append(data, len);
        return true;
      });
  if (too_large) throw FetchError(what + ": response larger than " + std::to_string(max_bytes_) + " bytes");
  if (too_late) throw FetchError(what + ": scrape deadline reached while reading the response");
  if (!res) {
    auto err = res.error();
    if (cancelled_ || Clock::now() >= deadline_)
      throw FetchError(what + ": scrape deadline reached (" + httplib::to_string(err) + ")");
    std::string detail = httplib::to_string(err);
    const auto& tls = connections_->target().tls;
    if (err == httplib::Error::SSLServerVerification)
      detail = tls.ca_file.empty()
                   ? "the monitoring server's certificate was not trusted by the system's CA certificates "
                     "(set tls.ca_file, or insecure_skip_verify)"
                   : "the monitoring server's certificate was not trusted by the CA file " + tls.ca_file;
    throw FetchError(what + ": " + detail);
  }
  deregister.release();  // before another request of this scrape can take the client
  if (!cancelled_) connections_->give_back(std::move(client));  // its connection stays open for the next request
  return {res->status, std::move(body)};
}

std::shared_ptr<const JsonDocument> HttpMonitorSource::fetch(
    const std::string& path_and_query, bool any_status,
    const std::function<std::shared_ptr<const JsonDocument>(std::string)>& parse) {
  const std::string what = "GET " + path_and_query;
  Answer res = answer(what, path_and_query);
  if (!any_status && (res.status < 200 || res.status > 299))
    throw FetchError(what + ": HTTP " + std::to_string(res.status), res.status);
  std::shared_ptr<const JsonDocument> doc;
  try {
    doc = parse ? parse(std::move(res.body)) : parse_json(std::move(res.body));
  } catch (const FetchError& e) {
    throw FetchError(what + ": " + e.what());
  }
  // Parsing a body near the size cap takes a while; what arrives after the deadline is not used.
  if (Clock::now() >= deadline_) throw FetchError(what + ": scrape deadline reached while parsing the response");
  answered_ = true;
  return doc;
}

}  // namespace natsexp
