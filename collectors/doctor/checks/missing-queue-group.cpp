// missing-queue-group: several connections of one client name subscribe to one subject without a queue group.
#include "collectors/doctor/checks.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "base/subject.h"
#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_missing_queue_group(const std::vector<const ServerEvidence*>& servers, const DoctorConfig& config) {
  const auto& cfg = config.missing_queue_group;
  std::string scope = servers.size() == 1 ? "server " + server_label(*servers.front()) : "all targets";
  CheckResult r = begin_check(kMissingQueueGroup, config, scope);
  if (r.status == Status::skipped) return r;

  struct Member {
    std::string server;
    std::optional<std::uint64_t> cid;
    std::string ip;
    std::optional<double> msgs;
  };
  // (where, account, client name, subject) -> connections
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::vector<Member>> groups;
  std::size_t read = 0;
  std::vector<std::string> unread;
  for (const ServerEvidence* s : servers) {
    if (!s->connections) {
      unread.push_back(missing(*s, "connz") + " (" + server_label(*s) + ")");
      continue;
    }
    ++read;
    const std::string where = s->varz.cluster.empty() ? "server " + s->varz.server_name : "cluster " + s->varz.cluster;
    for (const auto& c : *s->connections) {
      if (c.name.empty()) continue;  // nothing says two unnamed connections are one service
      std::set<std::string> seen_here;
      for (const auto& sub : c.subscriptions) {
        if (!sub.queue.empty()) continue;
        if (std::any_of(cfg.ignore_subjects.begin(), cfg.ignore_subjects.end(),
                        [&](const std::string& p) { return subject_matches(p, sub.subject); }))
          continue;
        if (!seen_here.insert(sub.subject).second) continue;  // one connection counts once per subject
        groups[{where, c.account, c.name, sub.subject}].push_back(
            {servers.size() > 1 ? server_label(*s) : "", c.cid, c.ip, sub.msgs});
      }
    }
  }
  if (read == 0) return skip(r, unread.empty() ? "no server to examine" : unread.front());

  struct Hit {
    std::size_t n;
    std::string line;
  };
  std::vector<Hit> hits;
  for (const auto& [key, members] : groups) {
    if (members.size() < cfg.min_connections) continue;
    const auto& [where, account, name, subject] = key;
    std::string line = "client " + quoted(name) + (account.empty() ? "" : " (account " + account + ")") +
                       " subscribes to " + quoted(subject) + " without a queue group on " +
                       std::to_string(members.size()) + " connections, so each message is processed " +
                       std::to_string(members.size()) + " times:";
    for (std::size_t i = 0; i < members.size(); ++i) {
      const Member& m = members[i];
      line += (i ? "," : "") + std::string(" cid ") + (m.cid ? std::to_string(*m.cid) : "?");
      if (!m.server.empty()) line += " on " + m.server;
      std::vector<std::string> details;
      if (!m.ip.empty()) details.push_back(m.ip);
      if (m.msgs) details.push_back(format_number(*m.msgs) + " msgs");
      if (!details.empty()) {
        line += " (";
        for (std::size_t k = 0; k < details.size(); ++k) line += (k ? ", " : "") + details[k];
        line += ")";
      }
    }
    hits.push_back({members.size(), line});
  }
  std::stable_sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.n > b.n; });
  if (hits.empty()) {
    r.summary = "no subject is subscribed by " + std::to_string(cfg.min_connections) +
                " or more connections of one client name without a queue group";
    return r;
  }
  std::vector<std::string> lines;
  for (const auto& h : hits) lines.push_back(h.line);
  add_evidence(r, lines, config.max_evidence);
  finding(r, hits.size(),
          plural(static_cast<double>(hits.size()), "subject is", "subjects are") + " subscribed by " +
              std::to_string(cfg.min_connections) + "+ instances of one client without a queue group");
  return r;
}

const CheckDefinition kMissingQueueGroup = {
    settings_of<&DoctorConfig::missing_queue_group>,
    "Several instances of one service subscribe to the same subject without a queue group, so every "
    "instance receives and processes every message.",
    "Subscribe with a queue group (e.g. QueueSubscribe(subject, \"<service name>\")): NATS then delivers each "
    "message to one member of the group. If every instance really must see every message (cache "
    "invalidation, configuration broadcast), add the subject to "
    "doctor.checks.missing-queue-group.ignore_subjects.",
    [](const ServerEvidence& now, const ServerBaseline*, double, const DoctorConfig& config) {
      return check_missing_queue_group({&now}, config);
    },
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
