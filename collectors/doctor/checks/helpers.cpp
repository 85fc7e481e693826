#include "collectors/doctor/checks/helpers.h"

#include "base/text.h"

namespace natsexp::doctor {

bool usable(const ServerEvidence& now, const ServerBaseline* previous, double at) {
  if (!previous || !(previous->at < at)) return false;
  if (previous->server_id != now.varz.server_id) return false;
  if (previous->start && now.varz.start && *previous->start != *now.varz.start) return false;
  return true;
}

std::string server_label(const ServerEvidence& e) {
  const std::string& name = e.varz.server_name;
  if (e.target.empty() || e.target == name) return name.empty() ? e.target : name;
  if (name.empty() || name == e.varz.server_id) return e.target;
  return e.target + " (" + name + ")";
}

std::string missing(const ServerEvidence& e, const char* source) {
  auto it = e.problems.find(source);
  return std::string(source) + " could not be read" + (it != e.problems.end() ? ": " + it->second : "");
}

std::string connection_label(const std::string& name, std::optional<std::uint64_t> cid, const std::string& account,
                             const std::string& ip, const std::string& server) {
  std::string out = name.empty() ? "an unnamed client" : "client " + quoted(name);
  std::vector<std::string> parts;
  if (cid) parts.push_back("cid " + std::to_string(*cid) + (server.empty() ? "" : " on " + server));
  if (!account.empty()) parts.push_back("account " + account);
  if (!ip.empty()) parts.push_back(ip);
  if (parts.empty()) return out;
  out += " (";
  out += strings::join(parts, ", ");
  return out + ")";
}

std::string signed_number(double v) { return (v >= 0 ? "+" : "") + format_number(v); }

double delta(double now, std::optional<double> before) {
  if (!before || *before > now) return now;
  return now - *before;
}

const probe::ProbeSnapshot* find_probe(const ProbeBaseline* previous, const probe::ProbeSnapshot& now) {
  if (!previous) return nullptr;
  for (const auto& p : previous->probes)
    if (p.name == now.name && p.kind == now.kind) return &p;
  return nullptr;
}

std::optional<double> count_in(const std::map<std::string, std::uint64_t>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return static_cast<double>(it->second);
}

std::string consumer_key(const ConsumerEvidence& c) { return c.account + " > " + c.stream + " > " + c.name; }

ServerBaseline baseline_of(const ServerEvidence& e, double at) {
  ServerBaseline b;
  b.at = at;
  b.server_id = e.varz.server_id;
  b.start = e.varz.start;
  b.slow_consumers = e.varz.slow_consumers;
  b.total_connections = e.varz.total_connections;
  b.connections = e.varz.connections;
  if (e.consumers)
    for (const auto& c : *e.consumers) b.consumers[consumer_key(c)] = {c.num_pending, c.num_redelivered};
  return b;
}

}  // namespace natsexp::doctor
