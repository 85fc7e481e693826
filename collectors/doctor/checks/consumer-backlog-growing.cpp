// consumer-backlog-growing: JetStream consumers fall behind.
#include "collectors/doctor/checks.h"

#include "base/text.h"
#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_consumer_backlog_growing(const ServerEvidence& now, const ServerBaseline* previous, double at,
                                           const DoctorConfig& config) {
  const auto& cfg = config.consumer_backlog;
  CheckResult r = begin_check(kConsumerBacklogGrowing, config, "server " + server_label(now));
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
    line += strings::join(why, "; ");
    lines.push_back(line);
  }
  const std::string n = plural(static_cast<double>(now.consumers->size()), "consumer", "consumers");
  return conclude(std::move(r), lines, config.max_evidence,
                  n + " led by this server: none at max_ack_pending" +
                      (have_previous ? ", none growing by " + format_number(cfg.min_growth) +
                                           "+ or redelivering in the last " + since
                                     : " (growth needs a previous evaluation)"),
                  "consumer falls", "consumers fall", " behind (of " + n + " led by this server)");
}

const CheckDefinition kConsumerBacklogGrowing = {
    settings_of<&DoctorConfig::consumer_backlog>,
    "JetStream consumers fall behind: their backlog grows, their unacknowledged messages are at "
    "max_ack_pending (the server delivers nothing more until acks arrive), or messages are redelivered "
    "(processed twice, late).",
    "Add workers (pull consumers scale by fetching from more instances), acknowledge as soon as a message "
    "is handled, and make the handler faster. Raise max_ack_pending when the workers can hold more "
    "messages in flight. Redeliveries mean ack_wait is shorter than the processing time: raise ack_wait "
    "or send in-progress acks (AckProgress) during long work.",
    check_consumer_backlog_growing,
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
