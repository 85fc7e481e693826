#include "collectors/doctor/checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

namespace natsexp::doctor {

namespace {

struct Text {
  const char* title;
  const char* remedy;
};

const Text& text_of(const std::string& id) {
  static const std::map<std::string, Text> kTexts = {
      {"missing-queue-group",
       {"Several instances of one service subscribe to the same subject without a queue group, so every "
        "instance receives and processes every message.",
        "Subscribe with a queue group (e.g. QueueSubscribe(subject, \"<service name>\")): NATS then delivers each "
        "message to one member of the group. If every instance really must see every message (cache "
        "invalidation, configuration broadcast), add the subject to "
        "doctor.checks.missing-queue-group.ignore_subjects."}},
      {"slow-consumers",
       {"The server is cutting off clients that do not read their messages fast enough; until it does, their "
        "messages wait in its buffers and arrive late, and afterwards they are lost for that client.",
        "Find out why the named clients fall behind: a blocked event loop or callback, a slow handler, too "
        "little CPU, long GC pauses. Hand messages to workers instead of processing them in the callback, "
        "spread the load over a queue group with more members, subscribe to fewer or narrower subjects, and "
        "raise the client library's pending limits if bursts are expected. Raising max_pending or "
        "write_deadline on the server only buys time."}},
      {"pending-near-limit",
       {"The server holds a large share of max_pending for some connections: those clients read slower than "
        "they receive, their messages queue up (latency), and they are close to being cut off as slow "
        "consumers.",
        "Make the named clients read faster or send them less: process messages asynchronously, use a queue "
        "group to spread the load, narrow their subscriptions. A larger max_pending only delays the cut-off "
        "and lets the queue (and the latency) grow."}},
      {"consumer-backlog-growing",
       {"JetStream consumers fall behind: their backlog grows, their unacknowledged messages are at "
        "max_ack_pending (the server delivers nothing more until acks arrive), or messages are redelivered "
        "(processed twice, late).",
        "Add workers (pull consumers scale by fetching from more instances), acknowledge as soon as a message "
        "is handled, and make the handler faster. Raise max_ack_pending when the workers can hold more "
        "messages in flight. Redeliveries mean ack_wait is shorter than the processing time: raise ack_wait "
        "or send in-progress acks (AckProgress) during long work."}},
      {"wildcard-heavy-interest",
       {"Subscriptions on broad wildcards (>, *.>) receive far more than their subscriber needs, and a low "
        "match-cache hit ratio with a high fanout makes the server do a full subject lookup and many copies "
        "for every message.",
        "Subscribe to the subjects the client uses (orders.*.created rather than >), give each kind of "
        "message its own subject hierarchy, and use a JetStream consumer with a filter subject for "
        "audit or archive taps instead of a live > subscription. A monitoring tap belongs in its own "
        "account or on its own server."}},
      {"high-client-rtt",
       {"Some clients have a high round-trip time to the server: every request/reply, flush and "
        "acknowledgement pays it at least once.",
        "Connect clients to a server near them (same zone or region: a cluster member or a leaf node per "
        "site), look for overloaded client hosts (the RTT includes the client's own scheduling delay), and "
        "avoid proxies and load balancers in the path."}},
      {"weak-tls",
       {"Clients connect with an outdated TLS version or a weak cipher suite.",
        "Upgrade the named clients' TLS libraries and restrict the server's tls block to TLS 1.2 or later "
        "with AEAD cipher suites (tls { cipher_suites: [...] }, and min_version where the server version "
        "supports it)."}},
      {"probe-slow-or-failing",
       {"The exporter's own client (the probe) sees what your applications see: its requests are slow or "
        "fail.",
        "no_responders: nothing subscribes to the subject (the service is down, or the subject or account is "
        "wrong). timeout: the responder is slow or overloaded; compare with its own processing time. A high "
        "p99 with clean server checks means the time is spent in the responding service or on the network: "
        "compare the p99 with the probe's RTT. A disconnected probe cannot reach the server at all."}},
      {"reconnect-storm",
       {"Connections are set up over and over: each one costs a TCP (and TLS) handshake, authentication and "
        "re-subscription, and messages published meanwhile wait in client buffers or are lost.",
        "Keep one long-lived connection per process instead of connecting per request (short-lived jobs, "
        "serverless functions and scripts in loops are the usual cause); look in the server log for why "
        "connections close (authorization, slow consumer, maximum connections, stale connection); check the "
        "network path and the clients' ping and reconnect settings."}},
      {"server-limits",
       {"Server settings that invite latency.",
        "Keep max_pending at several times max_payload, keep max_payload small (8 MB at most; chunk large "
        "data, e.g. with the JetStream object store), and keep write_deadline close to what the slowest "
        "legitimate client needs, so a stuck client is cut off before its messages are seconds old."}},
      {"ack-sampling-ignored",
       {"A JetStream consumer sets sample_freq but does not acknowledge explicitly: the server publishes ack "
        "samples ($JS.EVENT.METRIC.CONSUMER.ACK.<stream>.<consumer>) only for ack_policy explicit, so its ack "
        "time is never measured.",
        "Use ack_policy: explicit on the consumers whose ack time you want to see (each message acked on its "
        "own), or remove sample_freq. See docs/observations.md."}},
  };
  return kTexts.at(id);
}

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

CheckResult begin(const std::string& id, const DoctorConfig& config, std::string scope) {
  const Text& t = text_of(id);
  return begin_check(id, config, std::move(scope), t.title, t.remedy);
}

std::string missing(const ServerEvidence& e, const char* source) {
  auto it = e.problems.find(source);
  return std::string(source) + " could not be read" + (it != e.problems.end() ? ": " + it->second : "");
}

std::string connection_label(const std::string& name, std::optional<std::uint64_t> cid, const std::string& account,
                             const std::string& ip, const std::string& server = "") {
  std::string out = name.empty() ? "an unnamed client" : "client " + quoted(name);
  std::vector<std::string> parts;
  if (cid) parts.push_back("cid " + std::to_string(*cid) + (server.empty() ? "" : " on " + server));
  if (!account.empty()) parts.push_back("account " + account);
  if (!ip.empty()) parts.push_back(ip);
  if (parts.empty()) return out;
  out += " (";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + ")";
}

std::string signed_number(double v) { return (v >= 0 ? "+" : "") + format_number(v); }

std::vector<std::string> split_tokens(const std::string& subject) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = subject.find('.', start);
    out.push_back(subject.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

// `>`, `*.>`, `*.*.>`: a full wildcard with no literal token before it.
bool is_broad(const std::string& subject) {
  const auto tokens = split_tokens(subject);
  if (tokens.back() != ">") return false;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
    if (tokens[i] != "*") return false;
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Delta of a counter between two snapshots; the full value when there is no earlier one or it
// went down (a reset).
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

}  // namespace

const char* status_name(Status status) {
  switch (status) {
    case Status::passed: return "passed";
    case Status::finding: return "finding";
    case Status::skipped: return "skipped";
  }
  return "passed";
}

std::string format_number(double v) {
  char buf[64];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

std::string format_seconds(double s) {
  char buf[64];
  const double a = std::fabs(s);
  if (a == 0) return "0s";
  if (a < 1e-3) std::snprintf(buf, sizeof buf, "%.0f\xC2\xB5s", s * 1e6);
  else if (a < 1) std::snprintf(buf, sizeof buf, "%.3gms", s * 1e3);
  else if (a < 60) std::snprintf(buf, sizeof buf, "%.3gs", s);
  else {
    const long long total = std::llround(a);
    const long long h = total / 3600, m = total / 60 % 60, sec = total % 60;
    std::string out = s < 0 ? "-" : "";
    if (h) out += std::to_string(h) + "h";
    if (m || h) out += std::to_string(m) + "m";
    out += std::to_string(sec) + "s";
    return out;
  }
  return buf;
}

std::string format_bytes(double bytes) {
  char buf[96];
  const double a = std::fabs(bytes);
  if (a >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%s B (%.1f GiB)", format_number(bytes).c_str(), bytes / (1024.0 * 1024 * 1024));
  else if (a >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%s B (%.1f MiB)", format_number(bytes).c_str(), bytes / (1024.0 * 1024));
  else if (a >= 1024)
    std::snprintf(buf, sizeof buf, "%s B (%.1f KiB)", format_number(bytes).c_str(), bytes / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%s B", format_number(bytes).c_str());
  return buf;
}

std::string format_percent(double ratio) {
  char buf[32];
  const double p = ratio * 100;
  if (std::fabs(p - std::round(p)) < 0.05) std::snprintf(buf, sizeof buf, "%.0f%%", p);
  else std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

std::optional<double> bucket_quantile(double q, const std::vector<double>& bounds, const std::vector<double>& cumulative,
                                      double total) {
  if (!(total > 0) || bounds.empty() || bounds.size() != cumulative.size()) return std::nullopt;
  const double rank = q * total;
  double lower_bound = 0, lower_count = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (cumulative[i] >= rank) {
      const double in_bucket = cumulative[i] - lower_count;
      if (in_bucket <= 0) return bounds[i];
      return lower_bound + (bounds[i] - lower_bound) * (rank - lower_count) / in_bucket;
    }
    lower_bound = bounds[i];
    lower_count = cumulative[i];
  }
  return bounds.back();  // in +Inf: the highest finite bound, as Prometheus answers
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

// 1 ---------------------------------------------------------------------------------------------

CheckResult check_missing_queue_group(const std::vector<const ServerEvidence*>& servers, const DoctorConfig& config) {
  const auto& cfg = config.missing_queue_group;
  std::string scope = servers.size() == 1 ? "server " + server_label(*servers.front()) : "all targets";
  CheckResult r = begin("missing-queue-group", config, scope);
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

// 2 ---------------------------------------------------------------------------------------------

CheckResult check_slow_consumers(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                 const DoctorConfig& config) {
  const auto& cfg = config.slow_consumers;
  CheckResult r = begin("slow-consumers", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  const bool have_previous = usable(now, previous, at);

  std::vector<std::string> lines, notes;
  double rise = 0;
  if (have_previous && now.varz.slow_consumers && previous->slow_consumers) {
    rise = *now.varz.slow_consumers - *previous->slow_consumers;
    if (rise >= cfg.min_increase)
      lines.push_back("slow_consumers rose by " + format_number(rise) + " (from " +
                      format_number(*previous->slow_consumers) + " to " + format_number(*now.varz.slow_consumers) +
                      ") in the last " + format_seconds(at - previous->at));
    else
      notes.push_back("slow_consumers " + (rise == 0 ? "unchanged at " + format_number(*now.varz.slow_consumers)
                                                     : "rose by " + format_number(rise)) +
                      " over the last " + format_seconds(at - previous->at));
  } else if (now.varz.slow_consumers) {
    notes.push_back(plural(*now.varz.slow_consumers, "slow consumer", "slow consumers") +
                    " since the server started (the rise needs a previous evaluation)");
  }
  if (!now.varz.slow_consumer_stats.empty() && rise >= cfg.min_increase) {
    std::string kinds;
    for (const auto& [kind, n] : now.varz.slow_consumer_stats) kinds += (kinds.empty() ? "" : ", ") + kind + " " + format_number(n);
    lines.push_back("slow consumers since start by kind: " + kinds);
  }

  std::size_t named = 0;
  if (now.closed && cfg.window.count() > 0) {
    const std::optional<double> ref = now.closed_now ? now.closed_now : now.varz.now;
    const double window = static_cast<double>(cfg.window.count()) / 1000.0;
    for (const auto& c : *now.closed) {
      if (!is_slow_consumer_reason(c.reason)) continue;
      if (!c.stop || !ref || *ref - *c.stop > window) continue;
      ++named;
      std::string line = connection_label(c.name, c.cid, c.account, c.ip) + " was closed " +
                         format_seconds(std::max(0.0, *ref - *c.stop)) + " ago: " + c.reason;
      if (c.pending_bytes && *c.pending_bytes > 0) line += ", " + format_bytes(*c.pending_bytes) + " were pending";
      lines.push_back(line);
    }
  } else if (!now.closed && !have_previous) {
    return skip(r, missing(now, "closed connections") + ", and there is no previous evaluation to compare with");
  }
  const std::string window_text = format_seconds(static_cast<double>(cfg.window.count()) / 1000.0);
  const double counted = rise >= cfg.min_increase ? rise : 0;
  if (counted == 0 && named == 0) {
    std::string summary = "no connection was closed as a slow consumer in the last " + window_text;
    for (const auto& n : notes) summary += "; " + n;
    r.summary = summary;
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  const double affected = std::max(counted, static_cast<double>(named));
  std::string summary = plural(affected, "slow consumer", "slow consumers");
  if (counted > 0) summary += ": the server's count rose by " + format_number(counted);
  if (named > 0)
    summary += std::string(counted > 0 ? "; " : ": ") + plural(static_cast<double>(named), "connection", "connections") +
               " closed as slow consumers in the last " + window_text;
  finding(r, static_cast<std::size_t>(affected), summary);
  return r;
}

// 3 ---------------------------------------------------------------------------------------------

CheckResult check_pending_near_limit(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.pending_near_limit;
  CheckResult r = begin("pending-near-limit", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections) return skip(r, missing(now, "connz"));
  const bool known = now.varz.max_pending && *now.varz.max_pending > 0;
  const double max_pending = known ? *now.varz.max_pending : 64.0 * 1024 * 1024;  // nats-server's default
  const double threshold = cfg.ratio * max_pending;
  struct Hit {
    double pending;
    std::string line;
  };
  std::vector<Hit> hits;
  double highest = 0;
  for (const auto& c : *now.connections) {
    if (!c.pending_bytes) continue;
    highest = std::max(highest, *c.pending_bytes);
    if (*c.pending_bytes <= threshold) continue;
    hits.push_back({*c.pending_bytes, connection_label(c.name, c.cid, c.account, c.ip) + ": " +
                                          format_bytes(*c.pending_bytes) + " pending, " +
                                          format_percent(*c.pending_bytes / max_pending) + " of max_pending"});
  }
  const std::string limit_text = "max_pending " + format_bytes(max_pending) + (known ? "" : " (the default)");
  if (hits.empty()) {
    r.summary = "no connection has more than " + format_percent(cfg.ratio) + " of " + limit_text +
                " pending (highest: " + format_bytes(highest) + ")";
    return r;
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.pending > b.pending; });
  std::vector<std::string> lines;
  for (const auto& h : hits) lines.push_back(h.line);
  add_evidence(r, lines, config.max_evidence);
  finding(r, hits.size(),
          plural(static_cast<double>(hits.size()), "connection has", "connections have") + " more than " +
              format_percent(cfg.ratio) + " of " + limit_text + " pending");
  return r;
}

// 4 ---------------------------------------------------------------------------------------------

CheckResult check_consumer_backlog(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                   const DoctorConfig& config) {
  const auto& cfg = config.consumer_backlog;
  CheckResult r = begin("consumer-backlog-growing", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (now.jetstream_disabled) return skip(r, "JetStream is not enabled on this server");
  if (!now.consumers) return skip(r, missing(now, "jsz"));
  const bool have_previous = usable(now, previous, at);
  const std::string since = have_previous ? format_seconds(at - previous->at) : "";

  std::vector<std::string> lines;
  for (const auto& c : *now.consumers) {
    std::vector<std::string> why;
    const ServerBaseline::Consumer* before = nullptr;
    if (have_previous) {
      auto it = previous->consumers.find(consumer_key(c));
      if (it != previous->consumers.end()) before = &it->second;
    }
    if (before && before->num_pending && c.num_pending) {
      const double growth = *c.num_pending - *before->num_pending;
      if (growth >= cfg.min_growth)
        why.push_back("num_pending " + format_number(*before->num_pending) + " -> " + format_number(*c.num_pending) +
                      " (" + signed_number(growth) + " in " + since + ")");
    }
    if (c.num_ack_pending && c.max_ack_pending && *c.max_ack_pending > 0 &&
        *c.num_ack_pending >= cfg.ack_pending_ratio * *c.max_ack_pending)
      why.push_back("num_ack_pending " + format_number(*c.num_ack_pending) + " of max_ack_pending " +
                    format_number(*c.max_ack_pending) + " (" + format_percent(*c.num_ack_pending / *c.max_ack_pending) +
                    "): no new deliveries until acks arrive");
    if (before && before->num_redelivered && c.num_redelivered) {
      const double more = *c.num_redelivered - *before->num_redelivered;
      if (more >= cfg.min_redeliveries)
        why.push_back("num_redelivered " + format_number(*before->num_redelivered) + " -> " +
                      format_number(*c.num_redelivered) + " (" + signed_number(more) + " in " + since + ")");
    }
    if (why.empty()) continue;
    std::string line = consumer_key(c) + ": ";
    for (std::size_t i = 0; i < why.size(); ++i) line += (i ? "; " : "") + why[i];
    lines.push_back(line);
  }
  const std::string n = plural(static_cast<double>(now.consumers->size()), "consumer", "consumers");
  if (lines.empty()) {
    r.summary = n + " led by this server: none at max_ack_pending" +
                (have_previous ? ", none growing by " + format_number(cfg.min_growth) + "+ or redelivering in the last " + since
                               : " (growth needs a previous evaluation)");
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "consumer falls", "consumers fall") + " behind (of " + n +
              " led by this server)");
  return r;
}

// 5 ---------------------------------------------------------------------------------------------

CheckResult check_wildcard_interest(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.wildcard_interest;
  CheckResult r = begin("wildcard-heavy-interest", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections && !now.subsz) return skip(r, missing(now, "connz") + "; " + missing(now, "subsz"));

  struct Broad {
    std::size_t literal_stars;  // the number of `*` before `>`: fewer is broader
    double msgs;
    std::string line;
  };
  std::vector<Broad> broad;
  std::size_t total = 0;
  if (now.connections) {
    for (const auto& c : *now.connections) {
      for (const auto& s : c.subscriptions) {
        if (s.subject.rfind("_INBOX.", 0) == 0) continue;  // request/reply inboxes are not interest
        ++total;
        if (!is_broad(s.subject)) continue;
        std::string line = quoted(s.subject) + (s.queue.empty() ? "" : " (queue " + s.queue + ")") + " by " +
                           connection_label(c.name, c.cid, c.account, c.ip);
        if (s.msgs) line += ": " + format_number(*s.msgs) + " messages delivered";
        broad.push_back({split_tokens(s.subject).size() - 1, s.msgs.value_or(0), line});
      }
    }
  }
  std::vector<std::string> lines;
  std::size_t affected = 0;
  std::vector<std::string> parts;
  const double share = total ? static_cast<double>(broad.size()) / static_cast<double>(total) : 0;
  if (now.connections) {
    if (!broad.empty() && share >= cfg.broad_share) {
      lines.push_back(std::to_string(broad.size()) + " of " + std::to_string(total) + " client subscriptions (" +
                      format_percent(share) + ") are on broad wildcards (threshold " + format_percent(cfg.broad_share) +
                      ")");
      std::stable_sort(broad.begin(), broad.end(), [](const Broad& a, const Broad& b) {
        return a.literal_stars != b.literal_stars ? a.literal_stars < b.literal_stars : a.msgs > b.msgs;
      });
      for (const auto& b : broad) lines.push_back(b.line);
      affected += broad.size();
      parts.push_back(format_percent(share) + " of client subscriptions on broad wildcards");
    }
  }
  if (now.subsz && now.subsz->cache_hit_rate && now.subsz->max_fanout) {
    const auto& s = *now.subsz;
    const double matches = s.num_matches.value_or(0);
    if (*s.cache_hit_rate < cfg.max_cache_hit_ratio && *s.max_fanout >= cfg.min_fanout && matches >= cfg.min_matches) {
      lines.insert(lines.begin(), "match cache hit ratio " + format_percent(*s.cache_hit_rate) + " (below " +
                                      format_percent(cfg.max_cache_hit_ratio) + ") with a max fanout of " +
                                      format_number(*s.max_fanout) + " (at least " + format_number(cfg.min_fanout) +
                                      ") over " + format_number(matches) + " lookups");
      affected += 1;
      parts.insert(parts.begin(), "low match-cache hit ratio with high fanout");
    }
  }
  if (affected == 0) {
    std::string summary = std::to_string(broad.size()) + " of " + std::to_string(total) +
                          " client subscriptions on broad wildcards";
    if (total) summary += " (" + format_percent(share) + ", threshold " + format_percent(cfg.broad_share) + ")";
    if (!now.connections) summary = missing(now, "connz");
    if (now.subsz && now.subsz->cache_hit_rate)
      summary += "; match cache hit ratio " + format_percent(*now.subsz->cache_hit_rate) + ", max fanout " +
                 format_number(now.subsz->max_fanout.value_or(0));
    r.summary = summary;
    return r;
  }
  add_evidence(r, lines, config.max_evidence + 1);
  std::string summary;
  for (std::size_t i = 0; i < parts.size(); ++i) summary += (i ? "; " : "") + parts[i];
  finding(r, affected, summary);
  return r;
}

// 6 ---------------------------------------------------------------------------------------------

CheckResult check_high_client_rtt(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.high_client_rtt;
  CheckResult r = begin("high-client-rtt", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections) return skip(r, missing(now, "connz"));
  struct Hit {
    double rtt;
    std::string line;
  };
  std::vector<Hit> hits;
  double highest = 0;
  std::size_t measured = 0;
  for (const auto& c : *now.connections) {
    if (!c.rtt) continue;
    ++measured;
    highest = std::max(highest, *c.rtt);
    if (*c.rtt <= cfg.rtt_seconds) continue;
    std::string line = connection_label(c.name, c.cid, c.account, c.ip);
    if (!c.lang.empty()) line += " [" + c.lang + (c.version.empty() ? "" : " " + c.version) + "]";
    hits.push_back({*c.rtt, line + ": RTT " + format_seconds(*c.rtt)});
  }
  if (hits.empty()) {
    r.summary = "no client RTT above " + format_seconds(cfg.rtt_seconds) + " (" + std::to_string(measured) +
                " measured, highest " + format_seconds(highest) + ")";
    return r;
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.rtt > b.rtt; });
  std::vector<std::string> lines;
  for (const auto& h : hits) lines.push_back(h.line);
  add_evidence(r, lines, config.max_evidence);
  finding(r, hits.size(),
          plural(static_cast<double>(hits.size()), "client has", "clients have") + " an RTT above " +
              format_seconds(cfg.rtt_seconds) + " (highest " + format_seconds(highest) + ")");
  return r;
}

// 7 ---------------------------------------------------------------------------------------------

CheckResult check_weak_tls(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.weak_tls;
  CheckResult r = begin("weak-tls", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!now.connections) return skip(r, missing(now, "connz"));
  std::vector<std::string> lines;
  std::size_t tls = 0;
  for (const auto& c : *now.connections) {
    if (c.tls_version.empty() && c.tls_cipher.empty()) continue;
    ++tls;
    std::vector<std::string> why;
    // "1.0" < "1.2" as text for every version nats-server prints; an unknown one is reported.
    const bool known_version = c.tls_version.size() == 3 && c.tls_version[0] == '1' && c.tls_version[1] == '.';
    if (!c.tls_version.empty() && (!known_version || c.tls_version < cfg.min_version))
      why.push_back("TLS " + c.tls_version + " (below " + cfg.min_version + ")");
    const std::string cipher = lower(c.tls_cipher);
    for (const auto& weak : cfg.weak_ciphers)
      if (!weak.empty() && cipher.find(lower(weak)) != std::string::npos) {
        why.push_back("weak cipher suite " + c.tls_cipher);
        break;
      }
    if (why.empty()) continue;
    std::string line = connection_label(c.name, c.cid, c.account, c.ip);
    if (!c.lang.empty()) line += " [" + c.lang + (c.version.empty() ? "" : " " + c.version) + "]";
    line += ": ";
    for (std::size_t i = 0; i < why.size(); ++i) line += (i ? ", " : "") + why[i];
    lines.push_back(line);
  }
  if (lines.empty()) {
    r.summary = tls ? std::to_string(tls) + " TLS connections, all TLS " + cfg.min_version + "+ without a weak cipher suite"
                    : "no client connection uses TLS";
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "connection uses", "connections use") +
              " an old TLS version or a weak cipher suite (of " + std::to_string(tls) + " TLS connections)");
  return r;
}

// 8 ---------------------------------------------------------------------------------------------

CheckResult check_probe_slow_or_failing(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                        double at, const DoctorConfig& config) {
  const auto& cfg = config.probe_slow_or_failing;
  CheckResult r = begin("probe-slow-or-failing", config, "probes");
  if (r.status == Status::skipped) return r;
  if (now.empty()) return skip(r, "no probe is configured (probes: in the config file)");
  if (previous && !(previous->at < at)) previous = nullptr;
  const std::string window = previous ? "in the last " + format_seconds(at - previous->at) : "since the probe started";

  std::vector<std::string> lines, fine;
  for (const auto& p : now) {
    const probe::ProbeSnapshot* before = find_probe(previous, p);
    std::vector<std::string> why;
    if (!p.connected) why.push_back("disconnected from the server");
    // Failures of the probe's own kind of action.
    const std::map<std::string, std::uint64_t>* results = &p.requests;
    const std::map<std::string, std::uint64_t>* earlier = before ? &before->requests : nullptr;
    std::vector<std::string> failure_kinds = {"timeout", "no_responders", "error"};
    const probe::LatencyHistogram* hist = &p.request_duration;
    const probe::LatencyHistogram* hist_before = before ? &before->request_duration : nullptr;
    const char* unit = "requests";
    if (p.kind == ProbeKind::jetstream_publish) {
      results = &p.publishes;
      earlier = before ? &before->publishes : nullptr;
      failure_kinds = {"timeout", "no_stream", "error"};
      hist = &p.publish_duration;
      hist_before = before ? &before->publish_duration : nullptr;
      unit = "publishes";
    } else if (p.kind == ProbeKind::consumer_watch) {
      results = &p.consumer_info;
      earlier = before ? &before->consumer_info : nullptr;
      failure_kinds = {"not_found", "timeout", "error"};
      hist = nullptr;
      unit = "consumer info requests";
    }
    double failed = 0;
    std::string failures;
    for (const auto& k : failure_kinds) {
      const double n = delta(count_in(*results, k).value_or(0), earlier ? count_in(*earlier, k) : std::nullopt);
      if (n <= 0) continue;
      failed += n;
      failures += (failures.empty() ? "" : ", ") + format_number(n) + " " + k;
    }
    if (failed >= cfg.min_failures) why.push_back(failures + " " + window);
    std::string latency;
    if (hist && !hist->upper_bounds().empty()) {
      const auto& bounds = hist->upper_bounds();
      const auto cum_now = hist->cumulative();
      std::vector<double> cum(cum_now.size());
      double total = static_cast<double>(hist->count());
      const bool same_buckets = hist_before && hist_before->upper_bounds() == bounds && hist_before->count() <= hist->count();
      const auto cum_before = same_buckets ? hist_before->cumulative() : std::vector<std::uint64_t>{};
      for (std::size_t i = 0; i < cum.size(); ++i)
        cum[i] = static_cast<double>(cum_now[i]) - (same_buckets ? static_cast<double>(cum_before[i]) : 0.0);
      if (same_buckets) total -= static_cast<double>(hist_before->count());
      if (total >= static_cast<double>(cfg.min_samples)) {
        if (auto p99 = bucket_quantile(0.99, bounds, cum, total)) {
          latency = "p99 " + format_seconds(*p99) + " over " + format_number(total) + " " + unit + " " + window;
          if (*p99 > cfg.p99_seconds) why.push_back(latency + " (SLO " + format_seconds(cfg.p99_seconds) + ")");
        }
      } else {
        latency = format_number(total) + " " + unit + " " + window + " (p99 needs " + std::to_string(cfg.min_samples) + ")";
      }
    }
    if (why.empty()) {
      fine.push_back(quoted(p.name) + (latency.empty() ? "" : ": " + latency));
      continue;
    }
    std::string line = "probe " + quoted(p.name) + " (" + probe_kind_name(p.kind) + "): ";
    for (std::size_t i = 0; i < why.size(); ++i) line += (i ? "; " : "") + why[i];
    lines.push_back(line);
  }
  if (lines.empty()) {
    std::string summary = std::to_string(now.size()) + (now.size() == 1 ? " probe" : " probes") + " within the SLO of " +
                          format_seconds(cfg.p99_seconds) + " and without failures";
    if (!fine.empty()) {
      summary += " (";
      for (std::size_t i = 0; i < fine.size() && i < 3; ++i) summary += (i ? "; " : "") + fine[i];
      summary += ")";
    }
    r.summary = summary;
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "probe is", "probes are") + " slow or failing (of " +
              std::to_string(now.size()) + ")");
  return r;
}

// 9 ---------------------------------------------------------------------------------------------

CheckResult check_connection_churn(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                   const DoctorConfig& config) {
  const auto& cfg = config.reconnect_storm;
  CheckResult r = begin("reconnect-storm", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (!usable(now, previous, at)) return skip(r, "connection churn needs a previous evaluation of this server");
  if (!now.varz.total_connections || !now.varz.connections || !previous->total_connections || !previous->connections)
    return skip(r, "varz has no total_connections or connections");
  const double seconds = at - previous->at;
  const double opened = std::max(0.0, *now.varz.total_connections - *previous->total_connections);
  const double net = *now.varz.connections - *previous->connections;
  const double per_minute = opened / seconds * 60;
  const double ratio = opened / std::max(1.0, std::fabs(net));
  const std::string numbers = format_number(opened) + " connections opened in the last " + format_seconds(seconds) +
                              " (" + format_number(std::round(per_minute)) + " per minute) while open connections changed by " +
                              signed_number(net);
  if (!(per_minute >= cfg.connects_per_minute && ratio >= cfg.churn_ratio)) {
    r.summary = numbers;
    return r;
  }
  r.evidence.push_back(numbers + ": " + format_number(std::round(ratio)) + " new connections per open one (thresholds " +
                       format_number(cfg.connects_per_minute) + " per minute, " + format_number(cfg.churn_ratio) + "x)");
  // Who churns: the connections that closed during the window, by client name.
  if (now.closed) {
    const std::optional<double> ref = now.closed_now ? now.closed_now : now.varz.now;
    std::map<std::string, std::size_t> by_client;
    for (const auto& c : *now.closed)
      if (c.stop && ref && *ref - *c.stop <= seconds) ++by_client[c.name.empty() ? "an unnamed client" : "client " + quoted(c.name) + (c.account.empty() ? "" : " (account " + c.account + ")")];
    std::vector<std::pair<std::size_t, std::string>> sorted;
    for (const auto& [who, n] : by_client) sorted.emplace_back(n, who);
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> lines;
    for (const auto& [n, who] : sorted)
      lines.push_back(who + ": " + plural(static_cast<double>(n), "connection", "connections") + " closed in that time");
    add_evidence(r, lines, config.max_evidence);
  }
  finding(r, static_cast<std::size_t>(opened), "connection churn: " + numbers);
  return r;
}

CheckResult check_probe_reconnects(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                   double at, const DoctorConfig& config) {
  const auto& cfg = config.reconnect_storm;
  CheckResult r = begin("reconnect-storm", config, "probes");
  if (r.status == Status::skipped) return r;
  if (now.empty()) return skip(r, "no probe is configured (probes: in the config file)");
  if (previous && !(previous->at < at)) previous = nullptr;
  const std::string window = previous ? "in the last " + format_seconds(at - previous->at) : "since the probe started";
  std::vector<std::string> lines;
  double total = 0;
  for (const auto& p : now) {
    const probe::ProbeSnapshot* before = find_probe(previous, p);
    const double reconnects = delta(static_cast<double>(p.reconnects),
                                    before ? std::optional<double>(static_cast<double>(before->reconnects)) : std::nullopt);
    const double disconnects = delta(static_cast<double>(p.disconnects),
                                     before ? std::optional<double>(static_cast<double>(before->disconnects)) : std::nullopt);
    total += reconnects;
    if (reconnects < cfg.min_reconnects) continue;
    lines.push_back("probe " + quoted(p.name) + ": " + plural(reconnects, "reconnect", "reconnects") + " and " +
                    plural(disconnects, "disconnect", "disconnects") + " " + window +
                    (p.connected ? "" : "; disconnected now"));
  }
  if (lines.empty()) {
    r.summary = plural(total, "probe reconnect", "probe reconnects") + " " + window + " (threshold " +
                format_number(cfg.min_reconnects) + " per probe)";
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(), plural(static_cast<double>(lines.size()), "probe reconnects", "probes reconnect") + " repeatedly");
  return r;
}

// 10 --------------------------------------------------------------------------------------------

CheckResult check_server_limits(const ServerEvidence& now, const DoctorConfig& config) {
  const auto& cfg = config.server_limits;
  CheckResult r = begin("server-limits", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  const auto& v = now.varz;
  std::vector<std::string> lines, fine;
  if (v.max_pending && v.max_payload && *v.max_payload > 0) {
    const double times = *v.max_pending / *v.max_payload;
    if (times < cfg.min_pending_payloads)
      lines.push_back("max_pending " + format_bytes(*v.max_pending) + " is only " + format_number(std::round(times * 10) / 10) +
                      "x max_payload " + format_bytes(*v.max_payload) + " (threshold " +
                      format_number(cfg.min_pending_payloads) +
                      "x): a few large messages fill a client's buffer and get it cut off as a slow consumer");
    else
      fine.push_back("max_pending " + format_number(std::round(times * 10) / 10) + "x max_payload");
  }
  if (v.max_payload && *v.max_payload > static_cast<double>(cfg.max_payload_bytes))
    lines.push_back("max_payload " + format_bytes(*v.max_payload) + " is above " +
                    format_bytes(static_cast<double>(cfg.max_payload_bytes)) +
                    ": a large message holds up every message behind it on the same connection");
  std::optional<double> max_rtt;
  std::string slowest;
  if (now.connections)
    for (const auto& c : *now.connections)
      if (c.rtt && *c.rtt > 0 && (!max_rtt || *c.rtt > *max_rtt)) {
        max_rtt = c.rtt;
        slowest = c.name.empty() ? "" : " (" + quoted(c.name) + ")";
      }
  if (v.write_deadline && max_rtt) {
    const double times = *v.write_deadline / *max_rtt;
    if (times > cfg.write_deadline_rtt_factor)
      lines.push_back("write_deadline " + format_seconds(*v.write_deadline) + " is " + format_number(std::round(times)) +
                      "x the highest client RTT " + format_seconds(*max_rtt) + slowest + " (threshold " +
                      format_number(cfg.write_deadline_rtt_factor) +
                      "x): a client that stops reading keeps receiving for up to " + format_seconds(*v.write_deadline) +
                      " before the server cuts it off, and its messages are that late");
    else
      fine.push_back("write_deadline " + format_seconds(*v.write_deadline) + " is " + format_number(std::round(times)) +
                     "x the highest client RTT");
  }
  if (lines.empty()) {
    std::string summary = "no setting out of line";
    if (!fine.empty()) {
      summary += " (";
      for (std::size_t i = 0; i < fine.size(); ++i) summary += (i ? "; " : "") + fine[i];
      summary += ")";
    }
    r.summary = summary;
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(), plural(static_cast<double>(lines.size()), "setting invites", "settings invite") + " latency");
  return r;
}

// 15 --------------------------------------------------------------------------------------------

CheckResult check_ack_sampling_ignored(const ServerEvidence& now, const DoctorConfig& config) {
  CheckResult r = begin("ack-sampling-ignored", config, "server " + server_label(now));
  if (r.status == Status::skipped) return r;
  if (now.jetstream_disabled) return skip(r, "JetStream is not enabled on this server");
  if (!now.consumers) return skip(r, missing(now, "jsz"));
  std::vector<std::string> lines;
  std::size_t sampled = 0;
  for (const auto& c : *now.consumers) {
    if (c.sample_freq.empty()) continue;
    ++sampled;
    if (c.ack_policy == "explicit") continue;
    lines.push_back("consumer " + quoted(c.name) + " of stream " + quoted(c.stream) + " (account " + c.account +
                    "): sample_freq " + c.sample_freq + " with ack_policy " +
                    (c.ack_policy.empty() ? std::string("unknown") : c.ack_policy));
  }
  if (lines.empty()) {
    r.summary = std::to_string(sampled) + (sampled == 1 ? " consumer samples" : " consumers sample") +
                " ack times, all with ack_policy explicit";
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "consumer sets", "consumers set") +
              " sample_freq without ack_policy explicit: no ack samples will be published");
  return r;
}

// -----------------------------------------------------------------------------------------------

std::vector<CheckResult> evaluate_server(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                         const DoctorConfig& config) {
  if (!usable(now, previous, at)) previous = nullptr;
  std::vector<CheckResult> out;
  out.push_back(check_missing_queue_group({&now}, config));
  out.push_back(check_slow_consumers(now, previous, at, config));
  out.push_back(check_pending_near_limit(now, config));
  out.push_back(check_consumer_backlog(now, previous, at, config));
  out.push_back(check_wildcard_interest(now, config));
  out.push_back(check_high_client_rtt(now, config));
  out.push_back(check_weak_tls(now, config));
  out.push_back(check_connection_churn(now, previous, at, config));
  out.push_back(check_server_limits(now, config));
  out.push_back(check_ack_sampling_ignored(now, config));
  return out;
}

std::vector<CheckResult> evaluate_probes(const std::vector<probe::ProbeSnapshot>& now, const ProbeBaseline* previous,
                                         double at, const DoctorConfig& config) {
  return {check_probe_slow_or_failing(now, previous, at, config), check_probe_reconnects(now, previous, at, config)};
}

CheckResult begin_check(const std::string& id, const DoctorConfig& config, std::string scope, const char* title,
                        const char* remedy) {
  CheckResult r;
  r.id = id;
  r.scope = std::move(scope);
  const DoctorCheckSettings* settings = doctor_check_settings(config, id);
  r.severity = settings ? settings->severity : DoctorSeverity::warning;
  r.title = title;
  r.remedy = remedy;
  if (settings && !settings->enabled) {
    r.status = Status::skipped;
    r.summary = "disabled in the config (doctor.checks." + id + ".enabled)";
  }
  return r;
}

CheckResult skip(CheckResult r, std::string why) {
  r.status = Status::skipped;
  r.summary = std::move(why);
  return r;
}

void finding(CheckResult& r, std::size_t affected, std::string summary) {
  r.status = Status::finding;
  r.affected = affected;
  r.summary = std::move(summary);
}

void add_evidence(CheckResult& r, const std::vector<std::string>& lines, std::size_t max) {
  const std::size_t shown = std::min(max, lines.size());
  for (std::size_t i = 0; i < shown; ++i) r.evidence.push_back(lines[i]);
  if (lines.size() > shown) r.evidence.push_back("... and " + std::to_string(lines.size() - shown) + " more");
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string plural(double n, const char* one, const char* many) {
  return format_number(n) + " " + (n == 1 ? one : many);
}

}  // namespace natsexp::doctor
