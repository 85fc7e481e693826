// max-deliveries-exceeded: messages that reached a consumer's max_deliver.
#include "collectors/doctor/observation_checks.h"

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/observation_helpers.h"

namespace natsexp::observations {

CheckResult check_max_deliveries_exceeded(const std::vector<ObservationSnapshot>& now,
                                          const ObservationBaseline* previous, double at, const DoctorConfig& config) {
  CheckResult r = begin_observation_check(kMaxDeliveriesExceeded, config, now, ObservationKind::jetstream_events);
  if (r.status == Status::skipped) return r;
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
  return conclude(std::move(r), lines, config.max_evidence, "no message reached max_deliver " + win, "consumer",
                  "consumers", " gave up on messages " + win);
}

const CheckDefinition kMaxDeliveriesExceeded = {
    doctor::settings_of<&DoctorConfig::max_deliveries_exceeded>,
    "Messages reached a JetStream consumer's max_deliver without being acknowledged: the server stops "
    "delivering them, so their work is never done (or done by hand).",
    "Find why the handler fails or takes longer than ack_wait for these messages (their deliveries and "
    "ack times are in nats_jetstream_ack_deliveries and nats_jetstream_ack_time_seconds); fix the "
    "handler, raise ack_wait or send in-progress acks for long work, and route poison messages to a "
    "dead-letter stream from the MAX_DELIVERIES advisory.",
    nullptr,
    nullptr,
    stateless<check_max_deliveries_exceeded>,
};

}  // namespace natsexp::observations
