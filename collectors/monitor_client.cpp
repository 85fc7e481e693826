#include "collectors/monitor_client.h"

#include <httplib.h>

namespace natsexp {

namespace {

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
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw FetchError("monitoring URL has no scheme");
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") throw FetchError("monitoring URL scheme must be http or https");
  auto rest = url.substr(scheme_end + 3);
  auto at = rest.find('@');
  auto slash = rest.find('/');
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) rest = rest.substr(at + 1);  // userinfo
  slash = rest.find('/');
  std::string host_port = rest.substr(0, slash);
  if (host_port.empty()) throw FetchError("monitoring URL has no host");
  std::string base = slash == std::string::npos ? "" : rest.substr(slash);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return {scheme + "://" + host_port, base};
}

HttpMonitorSource::HttpMonitorSource(const TargetConfig& target, Clock::time_point deadline, std::size_t max_bytes)
    : target_(target), endpoint_(parse_monitor_url(target.url)), deadline_(deadline), max_bytes_(max_bytes) {}

std::shared_ptr<const JsonDocument> HttpMonitorSource::get_json(const std::string& path_and_query, bool any_status) {
  std::promise<std::shared_ptr<const JsonDocument>> promise;
  std::shared_future<std::shared_ptr<const JsonDocument>> result;
  bool mine = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(path_and_query);
    if (it == cache_.end()) {
      result = promise.get_future().share();
      cache_.emplace(path_and_query, result);
      mine = true;
    } else {
      result = it->second;
    }
  }
  if (mine) {
    try {
      promise.set_value(fetch(path_and_query, any_status));
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
  return result.get();
}

void HttpMonitorSource::cancel() {
  cancelled_ = true;
  std::lock_guard<std::mutex> lock(active_mutex_);
  for (auto* client : active_) client->stop();
}

std::shared_ptr<const JsonDocument> HttpMonitorSource::fetch(const std::string& path_and_query, bool any_status) {
  const std::string what = "GET " + path_and_query;
  auto left = deadline_ - Clock::now();
  if (left <= Clock::duration::zero()) throw FetchError(what + ": scrape deadline reached before the request");

  std::unique_ptr<httplib::Client> client;
  if (!target_.tls.cert_file.empty())
    client = std::make_unique<httplib::Client>(endpoint_.scheme_host_port, target_.tls.cert_file,
                                               target_.tls.key_file);
  else
    client = std::make_unique<httplib::Client>(endpoint_.scheme_host_port);
  client->set_tcp_nodelay(true);
  client->set_keep_alive(false);
  set_timeouts(*client, left);
  if (!target_.tls.ca_file.empty()) client->set_ca_cert_path(target_.tls.ca_file);
  if (target_.tls.insecure_skip_verify) client->enable_server_certificate_verification(false);
  if (!target_.username.empty()) client->set_basic_auth(target_.username, target_.password);
  if (!target_.bearer_token.empty()) client->set_bearer_token_auth(target_.bearer_token);

  {
    std::lock_guard<std::mutex> lock(active_mutex_);
    if (cancelled_) throw FetchError(what + ": scrape deadline reached before the request");
    active_.insert(client.get());
  }
  struct Deregister {
    HttpMonitorSource& self;
    httplib::Client* client;
    ~Deregister() {
      std::lock_guard<std::mutex> lock(self.active_mutex_);
      self.active_.erase(client);
    }
  } deregister{*this, client.get()};

  std::string body;
  bool too_large = false;
  bool too_late = false;
  ++requests_;
  auto res = client->Get(
      endpoint_.base_path + path_and_query, httplib::Headers{{"Accept", "application/json"}},
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
    if (err == httplib::Error::SSLServerVerification) detail += " (check the CA file or insecure_skip_verify)";
    throw FetchError(what + ": " + detail);
  }
  if (!any_status && (res->status < 200 || res->status > 299))
    throw FetchError(what + ": HTTP " + std::to_string(res->status));
  std::shared_ptr<const JsonDocument> doc;
  try {
    doc = parse_json(std::move(body));
  } catch (const FetchError& e) {
    throw FetchError(what + ": " + e.what());
  }
  // Parsing a body near the size cap takes a while; what arrives after the deadline is not used.
  if (Clock::now() >= deadline_) throw FetchError(what + ": scrape deadline reached while parsing the response");
  answered_ = true;
  return doc;
}

}  // namespace natsexp
