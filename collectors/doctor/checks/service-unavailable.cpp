// service-unavailable: requests without a responder (503).
#include "collectors/doctor/observation_checks.h"

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/observation_helpers.h"

namespace natsexp::observations {

const CheckDefinition kServiceUnavailable = {
    doctor::settings_of<&DoctorConfig::service_unavailable>,
    "Requests to an exported service found no responder (status 503): the callers wait for a timeout.",
    "Start the service's responders (their subscription is in the exporting account, on the exported "
    "subject), check that they subscribe to the right subject and account, and give them a queue group "
    "with enough members to survive restarts.",
    nullptr,
    nullptr,
    service_status_check<503>,
};

}  // namespace natsexp::observations
