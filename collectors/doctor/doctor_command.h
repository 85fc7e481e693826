// `nats-exporter doctor`: the doctor's report on the command line.
#pragma once

#include <ostream>
#include <string>

#include "config/config.h"

namespace natsexp::doctor {

// Collects (twice, doctor.interval apart, unless it is 0), prints the report in `format` to `out`
// and returns the exit code (0 no finding, 1 warnings, 2 critical findings or an unreachable
// target). With probes or observations in the config and an interval, they run during the interval
// and their checks are part of the report.
int run_cli(const Config& config, const std::string& format, std::ostream& out, std::ostream& err);

}  // namespace natsexp::doctor
