#include "collectors/registry_list.h"

#include <algorithm>

#include "collectors/doctor/doctor.h"
#include "collectors/doctor/doctor_collector.h"

namespace natsexp {

namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Collector> (*make)(const std::shared_ptr<doctor::Doctor>& doctor);
  bool on_by_default;
};

// A collector that needs nothing but its MonitorSource.
template <std::unique_ptr<Collector> (*Make)()>
std::unique_ptr<Collector> plain(const std::shared_ptr<doctor::Doctor>&) {
  return Make();
}

// The one list of collectors. Adding one: write collectors/NAME.{h,cpp}, add a line here.
const Entry kCollectors[] = {
    {"varz", plain<make_varz_collector>, true},         {"connz", plain<make_connz_collector>, true},
    {"routez", plain<make_routez_collector>, true},     {"gatewayz", plain<make_gatewayz_collector>, true},
    {"leafz", plain<make_leafz_collector>, true},       {"subsz", plain<make_subsz_collector>, true},
    {"accstatz", plain<make_accstatz_collector>, true}, {"jsz", plain<make_jsz_collector>, true},
    {"healthz", plain<make_healthz_collector>, true},   {"doctor", doctor::make_doctor_collector, true},
};

}  // namespace

const std::vector<std::string>& collector_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& e : kCollectors) v.emplace_back(e.name);
    return v;
  }();
  return names;
}

const std::vector<std::string>& default_collector_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& e : kCollectors)
      if (e.on_by_default) v.emplace_back(e.name);
    return v;
  }();
  return names;
}

CollectorFactory::CollectorFactory(std::shared_ptr<doctor::Doctor> doctor)
    : doctor_(doctor ? std::move(doctor) : std::make_shared<doctor::Doctor>(std::make_shared<const Config>())) {}

std::unique_ptr<Collector> CollectorFactory::make(std::string_view name) const {
  for (const auto& e : kCollectors)
    if (name == e.name) return e.make(doctor_);
  return nullptr;
}

std::unique_ptr<Collector> make_collector(std::string_view name) { return CollectorFactory().make(name); }

ServerIdentity read_identity(const JsonValue& varz) {
  ServerIdentity id;
  id.server_id = text_or(varz, "server_id");
  id.server_name = text_or(varz, "server_name", id.server_id);
  id.cluster = text_or(child(varz, "cluster"), "name");
  return id;
}

}  // namespace natsexp
