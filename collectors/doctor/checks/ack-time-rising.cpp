// ack-time-rising: a consumer's ack time p99 rises.
#include "collectors/doctor/observation_checks.h"

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/observation_helpers.h"

namespace natsexp::observations {

CheckResult check_ack_time_rising(const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous,
                                  double at, const DoctorConfig& config, std::map<std::string, double>& window_p99) {
  const auto& cfg = config.ack_time_rising;
  CheckResult r = begin_check(kAckTimeRising, config, "observations");
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
      const LatencyHistogram w = window(c.ack_time, was ? &was->ack_time : nullptr);
      if (w.count() < cfg.min_samples) continue;
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
                        format_number(static_cast<double>(w.count())) + " samples " + window_text(previous, at));
    }
  }
  if (r.status == Status::skipped) return r;
  if (!has_kind(now, ObservationKind::jetstream_events)) return skip(r, kNoJetStreamObservation);
  if (compared == 0)
    return skip(r, "needs two windows of " + std::to_string(cfg.min_samples) +
                       " ack samples per consumer (consumers with sample_freq and ack_policy explicit)");
  return conclude(std::move(r), lines, config.max_evidence,
                  plural(static_cast<double>(compared), "consumer", "consumers") + " without a rising ack time p99",
                  "consumer's", "consumers'", " ack time p99 rose at least " + format_number(cfg.factor) + "x");
}

const CheckDefinition kAckTimeRising = {
    doctor::settings_of<&DoctorConfig::ack_time_rising>,
    "The time from a message's delivery to its ack rises: the consumers' handlers get slower, so the "
    "backlog and redeliveries follow.",
    "Look at what the handlers wait for (databases, other services), add workers, and compare with the "
    "consumer's ack_wait: an ack time near ack_wait turns into redeliveries.",
    nullptr,
    nullptr,
    [](const std::vector<ObservationSnapshot>& now, const ObservationBaseline* previous, double at,
       const DoctorConfig& config,
       ObservationBaseline& next) { return check_ack_time_rising(now, previous, at, config, next.ack_p99); },
};

}  // namespace natsexp::observations
