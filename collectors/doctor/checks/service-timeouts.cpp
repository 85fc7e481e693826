// service-timeouts: replies later than the export threshold (504).
#include "collectors/doctor/observation_checks.h"

#include "collectors/doctor/check_table.h"
#include "collectors/doctor/checks/observation_helpers.h"

namespace natsexp::observations {

const CheckDefinition kServiceTimeouts = {
    doctor::settings_of<&DoctorConfig::service_timeouts>,
    "Replies arrived after an export's response threshold (status 504): the server dropped them and the "
    "callers timed out.",
    "Make the responder answer within the export's threshold (its processing is the time: see the "
    "service-latency check), or raise the threshold in the export (threshold: 2s) if such replies are "
    "legitimate.",
    nullptr,
    nullptr,
    service_status_check<504>,
};

}  // namespace natsexp::observations
