// The one table of the doctor's checks (check_table.cpp), in the shape of the collectors' table:
// every check, server, probe and observation alike, is one CheckDefinition defined in its own file.
#pragma once

#include <string>
#include <vector>

#include "collectors/doctor/check_result.h"

namespace natsexp::doctor {

extern const CheckDefinition kMissingQueueGroup, kSlowConsumers, kPendingNearLimit, kConsumerBacklogGrowing,
    kWildcardHeavyInterest, kHighClientRtt, kWeakTls, kProbeSlowOrFailing, kReconnectStorm, kServerLimits,
    kAckSamplingIgnored;

struct CheckEntry {
  const std::string& id;
  const CheckDefinition& check;
};
// Every check, in doctor_check_ids() order (the config's, which is the reports' order).
const std::vector<CheckEntry>& doctor_checks();

}  // namespace natsexp::doctor

namespace natsexp::observations {

extern const doctor::CheckDefinition kServiceLatency, kLatencyTrackingSilent, kServiceTimeouts, kServiceUnavailable,
    kMaxDeliveriesExceeded, kAckTimeRising;

}  // namespace natsexp::observations
