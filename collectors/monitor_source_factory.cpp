#include "collectors/monitor_source_factory.h"

namespace natsexp {

namespace {

bool same_endpoint(const TargetConfig& a, const TargetConfig& b) {
  return a.url == b.url && a.tls.ca_file == b.tls.ca_file && a.tls.cert_file == b.tls.cert_file &&
         a.tls.key_file == b.tls.key_file && a.tls.insecure_skip_verify == b.tls.insecure_skip_verify &&
         a.username == b.username && a.password == b.password && a.bearer_token == b.bearer_token;
}

bool configured(const Config& config, const std::string& target_name) {
  for (const auto& target : config.targets)
    if (target.name == target_name) return true;
  return false;
}

}  // namespace

std::unique_ptr<MonitorSource> HttpSourceFactory::make(const TargetConfig& target, Clock::time_point deadline,
                                                       const Config& config) {
  std::shared_ptr<MonitorConnections> connections;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = connections_[target.name];
    if (!slot || !same_endpoint(slot->target(), target)) slot = std::make_shared<MonitorConnections>(target);
    connections = slot;
  }
  return std::make_unique<HttpMonitorSource>(std::move(connections), deadline, config.max_response_bytes);
}

void HttpSourceFactory::keep_only(const Config& config) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = connections_.begin(); it != connections_.end();)
    it = configured(config, it->first) ? std::next(it) : connections_.erase(it);
}

}  // namespace natsexp
