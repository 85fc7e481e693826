#include "collectors/doctor/doctor_command.h"

#include <memory>
#include <thread>

#include "collectors/doctor/doctor.h"
#include "collectors/observations/manager.h"
#include "collectors/probe/probe_manager.h"

namespace natsexp::doctor {

int run_cli(const Config& config, const std::string& format, std::ostream& out, std::ostream& err) {
  if (!render(Report{}, format)) {
    err << "nats-exporter doctor: unknown format \"" << format << "\" (text, json or markdown)\n";
    return 2;
  }
  auto shared = std::make_shared<const Config>(config);
  Doctor doctor(shared);
  std::shared_ptr<probe::ProbeManager> probes;
  const auto interval = config.doctor.interval;
  if (!config.probes.empty() && interval.count() > 0) {
    probes = std::make_shared<probe::ProbeManager>(config.probes);
    probes->start();
    doctor.set_probe_source([probes] { return probes->snapshots(); });
  }
  std::shared_ptr<observations::ObservationManager> observed;
  if (!config.observations.empty() && interval.count() > 0) {
    observed = std::make_shared<observations::ObservationManager>(config.observations);
    observed->start();
    doctor.set_observation_source([observed] { return observed->snapshots(); });
  }
  Report report = doctor.run(config);
  if (interval.count() > 0) {
    std::this_thread::sleep_for(interval);
    report = doctor.run(config);
    report.evaluations = 2;
  }
  if (probes) probes->stop();
  if (observed) observed->stop();
  if (!config.probes.empty() && interval.count() == 0)
    for (auto& r : report.probes)
      if (r.status == Status::skipped) r.summary = "the probes run only during --doctor.interval (it is 0s)";
  out << *render(report, format);
  out.flush();
  return report.exit_code();
}

}  // namespace natsexp::doctor
