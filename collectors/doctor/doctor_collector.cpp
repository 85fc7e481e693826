#include "collectors/doctor/doctor_collector.h"

#include "base/log.h"
#include "collectors/doctor/doctor.h"
#include "collectors/jsz.h"

namespace natsexp::doctor {

void DoctorCollector::collect(MonitorSource& source, const CollectorOptions& options, MetricSet& out) const {
  ServerEvidence evidence = gather_evidence(source, options.full_connz.get());
  for (const auto& [what, why] : evidence.problems)
    log::debug("doctor: a source could not be read",
               {{"server", evidence.varz.server_name}, {"source", what}, {"err", why}});
  add_finding_metrics(doctor_->evaluate_server(evidence, monotonic_seconds(), Doctor::Channel::scrape), out);
}

std::vector<std::string> DoctorCollector::first_reads(const CollectorOptions&) const {
  return {"/varz", "/subsz", kJszPath};
}

std::unique_ptr<Collector> make_doctor_collector(const std::shared_ptr<Doctor>& doctor) {
  return std::make_unique<DoctorCollector>(doctor);
}

}  // namespace natsexp::doctor
