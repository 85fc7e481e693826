// ack-sampling-ignored: sample_freq on a consumer that never publishes ack samples.
#include "collectors/doctor/checks.h"

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/helpers.h"

namespace natsexp::doctor {

CheckResult check_ack_sampling_ignored(const ServerEvidence& now, const DoctorConfig& config) {
  CheckResult r = begin_check(kAckSamplingIgnored, config, "server " + server_label(now));
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
  return conclude(std::move(r), lines, config.max_evidence,
                  std::to_string(sampled) + (sampled == 1 ? " consumer samples" : " consumers sample") +
                      " ack times, all with ack_policy explicit",
                  "consumer sets", "consumers set",
                  " sample_freq without ack_policy explicit: no ack samples will be published");
}

const CheckDefinition kAckSamplingIgnored = {
    settings_of<&DoctorConfig::ack_sampling_ignored>,
    "A JetStream consumer sets sample_freq but does not acknowledge explicitly: the server publishes ack "
    "samples ($JS.EVENT.METRIC.CONSUMER.ACK.<stream>.<consumer>) only for ack_policy explicit, so its ack "
    "time is never measured.",
    "Use ack_policy: explicit on the consumers whose ack time you want to see (each message acked on its "
    "own), or remove sample_freq. See docs/observations.md.",
    [](const ServerEvidence& now, const ServerBaseline*, double, const DoctorConfig& config) {
      return check_ack_sampling_ignored(now, config);
    },
    nullptr,
    nullptr,
};

}  // namespace natsexp::doctor
