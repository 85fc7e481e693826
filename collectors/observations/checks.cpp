#include "collectors/observations/checks.h"

#include <algorithm>

namespace natsexp::observations {

namespace {

using doctor::add_evidence;
using doctor::CheckResult;
using doctor::finding;
using doctor::format_number;
using doctor::format_percent;
using doctor::format_seconds;
using doctor::plural;
using doctor::quoted;
using doctor::skip;
using doctor::Status;

struct Text {
  const char* title;
  const char* remedy;
};

const Text& text_of(const std::string& id) {
  static const std::map<std::string, Text> kTexts = {
      {"service-latency",
       {"Where the time of your services' real requests goes, as the server measured it (service latency "
        "tracking): NATS (the requestor's and the responder's round trips to their servers, and the time "
        "between servers) or the service itself (its processing).",
        "When the verdict is NATS: look at the client RTTs (nats_service_latency_requestor_rtt_seconds and "
        "responder_rtt_seconds; clients far from their server, overloaded client hosts), at routes and "
        "gateways (system time: the request crosses servers or clusters), and at slow consumers on the path. "
        "When the verdict is the service: the responder's own processing is the time; profile the handler, "
        "add instances to its queue group, and check what it waits for (databases, other services)."}},
      {"latency-tracking-silent",
       {"An observation subscribes to service latency messages but none has arrived, so the verdict cannot "
        "be given.",
        "The server publishes a latency message only for requests that cross an account boundary: a request "
        "made inside the exporting account produces nothing. Check that the export has latency: {sampling, "
        "subject} and the subject matches the observation's, that the callers import the service (with "
        "share: true for the requestor's details), that the observation connects as a user of the exporting "
        "account, and that sampling is not `headers` without traceparent/B3/Uber-Trace-Id headers on the "
        "requests. See docs/observations.md."}},
      {"service-timeouts",
       {"Replies arrived after an export's response threshold (status 504): the server dropped them and the "
        "callers timed out.",
        "Make the responder answer within the export's threshold (its processing is the time: see the "
        "service-latency check), or raise the threshold in the export (threshold: 2s) if such replies are "
        "legitimate."}},
      {"service-unavailable",
       {"Requests to an exported service found no responder (status 503): the callers wait for a timeout.",
        "Start the service's responders (their subscription is in the exporting account, on the exported "
        "subject), check that they subscribe to the right subject and account, and give them a queue group "
        "with enough members to survive restarts."}},
      {"max-deliveries-exceeded",
       {"Messages reached a JetStream consumer's max_deliver without being acknowledged: the server stops "
        "delivering them, so their work is never done (or done by hand).",
        "Find why the handler fails or takes longer than ack_wait for these messages (their deliveries and "
        "ack times are in nats_jetstream_ack_deliveries and nats_jetstream_ack_time_seconds); fix the "
        "handler, raise ack_wait or send in-progress acks for long work, and route poison messages to a "
        "dead-letter stream from the MAX_DELIVERIES advisory."}},
      {"ack-time-rising",
       {"The time from a message's delivery to its ack rises: the consumers' handlers get slower, so the "
        "backlog and redeliveries follow.",
        "Look at what the handlers wait for (databases, other services), add workers, and compare with the "
        "consumer's ack_wait: an ack time near ack_wait turns into redeliveries."}},
  };
  return kTexts.at(id);
}

CheckResult begin(const std::string& id, const DoctorConfig& config, std::string scope) {
  const Text& t = text_of(id);
  return doctor::begin_check(id, config, std::move(scope), t.title, t.remedy);
}

bool has_kind(const std::vector<ObservationSnapshot>& now, ObservationKind kind) {
  return std::any_of(now.begin(), now.end(), [kind](const ObservationSnapshot& o) { return o.kind == kind; });
}

const char* kNoServiceObservation = "no service-latency observation is configured (observations: in the config file)";
const char* kNoJetStreamObservation = "no jetstream-events observation is configured (observations: in the config file)";

const ObservationSnapshot* find_observation(const ObservationBaseline* previous, const ObservationSnapshot& o) {
  if (!previous) return nullptr;
  for (const auto& p : previous->observations)
    if (p.name == o.name && p.kind == o.kind) return &p;
  return nullptr;
}

// The samples of `now` since `before` (same buckets, not fewer samples), else all of `now`.
struct Window {
  std::vector<double> bounds, cumulative;
  double total = 0;
  std::optional<double> quantile(double q) const { return doctor::bucket_quantile(q, bounds, cumulative, total); }
};

Window window(const LatencyHistogram& now, const LatencyHistogram* before) {
  Window w;
  w.bounds = now.upper_bounds();
  const auto cum_now = now.cumulative();
  const bool same = before && before->upper_bounds() == w.bounds && before->count() <= now.count();
  const auto cum_before = same ? before->cumulative() : std::vector<std::uint64_t>{};
  w.cumulative.resize(cum_now.size());
  for (std::size_t i = 0; i < cum_now.size(); ++i)
    w.cumulative[i] = static_cast<double>(cum_now[i]) - (same ? static_cast<double>(cum_before[i]) : 0.0);
  w.total = static_cast<double>(now.count()) - (same ? static_cast<double>(before->count()) : 0.0);
  return w;
}

std::uint64_t since(std::uint64_t now, std::optional<std::uint64_t> before) {
  if (!before || *before > now) return now;  // a restarted observation starts from 0
  return now - *before;
}

std::string window_text(const ObservationBaseline* previous, double at) {
  return previous ? "in the last " + format_seconds(at - previous->at) : "since the observation started";
}

double ratio(double part, double whole) { return whole > 0 ? std::min(1.0, part / whole) : 0.0; }

}  // namespace

std::string ServiceVerdict::text() const {
  std::string out = quoted(service) + ": p50 " + format_seconds(p50) + ", p99 " + format_seconds(p99) + " over " +
                    format_number(samples) + " requests; NATS share " + format_percent(share_p50) + " at p50, " +
                    format_percent(share_p99) + " at p99: ";
  if (nats)
    out += "NATS is the cause (network or servers: requestor RTT p99 " + format_seconds(requestor_rtt_p99) +
           ", responder RTT p99 " + format_seconds(responder_rtt_p99) + ", system p99 " + format_seconds(system_p99) +
           "; look at RTTs, routes and gateways, and slow consumers)";
  else
    out += "the service is the cause (its own processing: p99 " + format_seconds(service_p99) + ")";
  return out;
}

std::optional<ServiceVerdict> service_verdict(const std::string& service, const ServiceStats& now,
                                              const ServiceStats* before, std::size_t min_samples, double nats_share) {
  const Window total = window(now.all.total, before ? &before->all.total : nullptr);
  if (total.total < static_cast<double>(std::max<std::size_t>(min_samples, 1))) return std::nullopt;
  const Window nats = window(now.all.nats, before ? &before->all.nats : nullptr);
  ServiceVerdict v;
  v.service = service;
  v.samples = total.total;
  v.p50 = total.quantile(0.5).value_or(0);
  v.p99 = total.quantile(0.99).value_or(0);
  v.nats_p50 = nats.quantile(0.5).value_or(0);
  v.nats_p99 = nats.quantile(0.99).value_or(0);
  v.share_p50 = ratio(v.nats_p50, v.p50);
  v.share_p99 = ratio(v.nats_p99, v.p99);
  v.service_p99 = window(now.all.service, before ? &before->all.service : nullptr).quantile(0.99).value_or(0);
  v.requestor_rtt_p99 =
      window(now.all.requestor_rtt, before ? &before->all.requestor_rtt : nullptr).quantile(0.99).value_or(0);
  v.responder_rtt_p99 =
      window(now.all.responder_rtt, before ? &before->all.responder_rtt : nullptr).quantile(0.99).value_or(0);
  v.system_p99 = window(now.all.system, before ? &before->all.system : nullptr).quantile(0.99).value_or(0);
  v.nats = v.share_p99 >= nats_share;
  return v;
}

CheckResult check_service_latency(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                                  double at, const DoctorConfig& config) {
  const auto& cfg = config.service_latency;
  CheckResult r = begin("service-latency", config, "observations");
  if (r.status == Status::skipped) return r;
  if (!has_kind(now, ObservationKind::service_latency)) return skip(r, kNoServiceObservation);
  if (previous && !(previous->at < at)) previous = nullptr;
  std::vector<std::string> slow, fine;
  std::size_t judged = 0, waiting = 0;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::service_latency) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    for (const auto& [service, stats] : o.services) {
      const ServiceStats* prev = nullptr;
      if (before) {
        auto it = before->services.find(service);
        if (it != before->services.end()) prev = &it->second;
      }
      auto v = service_verdict(service, stats, prev, cfg.min_samples, cfg.nats_share);
      if (!v) {
        ++waiting;
        continue;
      }
      ++judged;
      if (v->p99 > cfg.p99_seconds) slow.push_back(v->text() + " (SLO " + format_seconds(cfg.p99_seconds) + ")");
      else fine.push_back(v->text());
    }
  }
  const std::string win = window_text(previous, at);
  if (judged == 0)
    return skip(r, "no service had " + std::to_string(cfg.min_samples) + " successful requests " + win +
                       (waiting ? " (" + std::to_string(waiting) + " seen with fewer)" : ""));
  if (slow.empty()) {
    r.summary = plural(static_cast<double>(judged), "service", "services") + " within the p99 SLO of " +
                format_seconds(cfg.p99_seconds) + " " + win;
    for (std::size_t i = 0; i < fine.size() && i < 3; ++i) r.summary += (i ? "; " : ": ") + fine[i];
    add_evidence(r, fine, config.max_evidence);
    return r;
  }
  add_evidence(r, slow, config.max_evidence);
  finding(r, slow.size(),
          plural(static_cast<double>(slow.size()), "service is", "services are") + " above the p99 SLO of " +
              format_seconds(cfg.p99_seconds) + " " + win + " (of " + std::to_string(judged) + " judged)");
  return r;
}

CheckResult check_latency_tracking_silent(const std::vector<ObservationSnapshot>& now,
                                          const ObservationBaseline* previous, double at, const DoctorConfig& config) {
  CheckResult r = begin("latency-tracking-silent", config, "observations");
  if (r.status == Status::skipped) return r;
  if (!has_kind(now, ObservationKind::service_latency)) return skip(r, kNoServiceObservation);
  if (!previous || !(previous->at < at)) return skip(r, "needs a previous evaluation (the observations need time to see traffic)");
  std::vector<std::string> lines;
  std::size_t judged = 0;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::service_latency) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    // Connected now and at the previous evaluation: it had the whole window to see something.
    if (!o.connected || !before || !before->connected) continue;
    ++judged;
    if (o.messages == 0)
      lines.push_back("observation " + quoted(o.name) + " on " + quoted(o.subject) +
                      ": connected, no latency message received since it started");
  }
  if (judged == 0) return skip(r, "no service-latency observation was connected at two evaluations");
  if (lines.empty()) {
    r.summary = plural(static_cast<double>(judged), "observation receives", "observations receive") + " latency messages";
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(), plural(static_cast<double>(lines.size()), "observation has", "observations have") +
                               " received no latency message");
  return r;
}

CheckResult check_service_status(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                                 double at, const DoctorConfig& config, int status) {
  const bool timeouts = status == 504;
  CheckResult r = begin(timeouts ? "service-timeouts" : "service-unavailable", config, "observations");
  if (r.status == Status::skipped) return r;
  if (!has_kind(now, ObservationKind::service_latency)) return skip(r, kNoServiceObservation);
  if (previous && !(previous->at < at)) previous = nullptr;
  const double min_count = timeouts ? config.service_timeouts.min_count : config.service_unavailable.min_count;
  const std::string win = window_text(previous, at);
  std::vector<std::string> lines;
  std::size_t services = 0;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::service_latency) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    for (const auto& [service, stats] : o.services) {
      ++services;
      auto it = stats.statuses.find(status);
      const std::uint64_t n = it == stats.statuses.end() ? 0 : it->second;
      std::optional<std::uint64_t> was;
      if (before) {
        auto bs = before->services.find(service);
        if (bs != before->services.end()) {
          auto bt = bs->second.statuses.find(status);
          was = bt == bs->second.statuses.end() ? 0 : bt->second;
        }
      }
      const double d = static_cast<double>(since(n, was));
      if (d >= min_count && d > 0)
        lines.push_back(quoted(service) + ": " + format_number(d) + " " + (timeouts ? "replies too late (504)" : "requests without a responder (503)") +
                        " " + win);
    }
  }
  if (lines.empty()) {
    r.summary = "no " + std::string(timeouts ? "504" : "503") + " " + win + " (" +
                plural(static_cast<double>(services), "service", "services") + " seen)";
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "service", "services") +
              (timeouts ? " dropped late replies (504)" : " had no responder (503)") + " " + win);
  return r;
}

CheckResult check_max_deliveries(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                                 double at, const DoctorConfig& config) {
  CheckResult r = begin("max-deliveries-exceeded", config, "observations");
  if (r.status == Status::skipped) return r;
  if (!has_kind(now, ObservationKind::jetstream_events)) return skip(r, kNoJetStreamObservation);
  if (previous && !(previous->at < at)) previous = nullptr;
  const std::string win = window_text(previous, at);
  std::vector<std::string> lines;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::jetstream_events) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    for (const auto& [key, c] : o.consumers) {
      std::optional<std::uint64_t> was;
      if (before) {
        auto it = before->consumers.find(key);
        if (it != before->consumers.end()) was = it->second.max_deliveries;
      }
      const double d = static_cast<double>(since(c.max_deliveries, was));
      if (d > 0 && d >= config.max_deliveries_exceeded.min_count)
        lines.push_back("consumer " + quoted(key.second) + " of stream " + quoted(key.first) + ": " +
                        plural(d, "message", "messages") + " reached max_deliver " + win);
    }
  }
  if (lines.empty()) {
    r.summary = "no message reached max_deliver " + win;
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "consumer", "consumers") + " gave up on messages " + win);
  return r;
}

CheckResult check_ack_time_rising(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                                  double at, const DoctorConfig& config, std::map<std::string, double>& window_p99) {
  const auto& cfg = config.ack_time_rising;
  CheckResult r = begin("ack-time-rising", config, "observations");
  // The windows are measured even when skipped, so enabling the check later has a baseline.
  if (previous && !(previous->at < at)) previous = nullptr;
  std::vector<std::string> lines;
  std::size_t compared = 0;
  for (const auto& o : now) {
    if (o.kind != ObservationKind::jetstream_events) continue;
    const ObservationSnapshot* before = find_observation(previous, o);
    for (const auto& [key, c] : o.consumers) {
      const ConsumerStats* was = nullptr;
      if (before) {
        auto it = before->consumers.find(key);
        if (it != before->consumers.end()) was = &it->second;
      }
      const Window w = window(c.ack_time, was ? &was->ack_time : nullptr);
      if (w.total < static_cast<double>(cfg.min_samples)) continue;
      const auto p99 = w.quantile(0.99);
      if (!p99) continue;
      const std::string id = o.name + "\n" + key.first + "\n" + key.second;
      window_p99[id] = *p99;
      if (!previous || !was) continue;
      auto prev = previous->ack_p99.find(id);
      if (prev == previous->ack_p99.end()) continue;
      ++compared;
      if (*p99 >= cfg.min_p99_seconds && *p99 >= cfg.factor * prev->second)
        lines.push_back("consumer " + quoted(key.second) + " of stream " + quoted(key.first) + ": ack time p99 " +
                        format_seconds(prev->second) + " -> " + format_seconds(*p99) + " over " +
                        format_number(w.total) + " samples " + window_text(previous, at));
    }
  }
  if (r.status == Status::skipped) return r;
  if (!has_kind(now, ObservationKind::jetstream_events)) return skip(r, kNoJetStreamObservation);
  if (compared == 0)
    return skip(r, "needs two windows of " + std::to_string(cfg.min_samples) +
                       " ack samples per consumer (consumers with sample_freq and ack_policy explicit)");
  if (lines.empty()) {
    r.summary = plural(static_cast<double>(compared), "consumer", "consumers") + " without a rising ack time p99";
    return r;
  }
  add_evidence(r, lines, config.max_evidence);
  finding(r, lines.size(),
          plural(static_cast<double>(lines.size()), "consumer's", "consumers'") + " ack time p99 rose at least " +
              format_number(cfg.factor) + "x");
  return r;
}

std::vector<CheckResult> evaluate_observations(const std::vector<ObservationSnapshot>& now,
                                               const ObservationBaseline* previous, double at,
                                               const DoctorConfig& config, ObservationBaseline& next) {
  next = ObservationBaseline{};
  next.at = at;
  next.observations = now;
  return {check_service_latency(now, previous, at, config),
          check_latency_tracking_silent(now, previous, at, config),
          check_service_status(now, previous, at, config, 504),
          check_service_status(now, previous, at, config, 503),
          check_max_deliveries(now, previous, at, config),
          check_ack_time_rising(now, previous, at, config, next.ack_p99)};
}

}  // namespace natsexp::observations
