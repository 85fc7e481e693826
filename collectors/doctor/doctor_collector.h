// The `doctor` collector: the server checks of one target inside the scrape, with the scrape's
// MonitorSource (see doctor.h, "Where it runs"), reported as nats_doctor_finding and
// nats_doctor_check_skipped. The collector factory (collectors/registry.cpp) hands it its Doctor.
#pragma once

#include <memory>
#include <string_view>

#include "collectors/collector.h"

namespace natsexp::doctor {

class Doctor;

class DoctorCollector : public Collector {
 public:
  explicit DoctorCollector(std::shared_ptr<Doctor> doctor) : doctor_(std::move(doctor)) {}
  std::string_view name() const override { return "doctor"; }
  void collect(MonitorSource& source, const CollectorOptions& options, MetricSet& out) const override;
  // What gather_evidence reads at every scrape; the full read of every connection follows its own
  // cadence and is read when due.
  std::vector<std::string> first_reads(const CollectorOptions&) const override;

 private:
  std::shared_ptr<Doctor> doctor_;
};

std::unique_ptr<Collector> make_doctor_collector(const std::shared_ptr<Doctor>& doctor);

}  // namespace natsexp::doctor
