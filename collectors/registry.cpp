#include "collectors/registry_list.h"

#include <algorithm>

#include "collectors/doctor/doctor.h"

namespace natsexp {

namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Collector> (*make)();
  bool on_by_default;
};

// The one list of collectors. Adding one: write collectors/NAME.{h,cpp}, add a line here.
const Entry kCollectors[] = {
    {"varz", make_varz_collector, true},         {"connz", make_connz_collector, true},
    {"routez", make_routez_collector, true},     {"gatewayz", make_gatewayz_collector, true},
    {"leafz", make_leafz_collector, true},       {"subsz", make_subsz_collector, true},
    {"accstatz", make_accstatz_collector, true}, {"jsz", make_jsz_collector, true},
    {"healthz", make_healthz_collector, true},   {"doctor", doctor::make_doctor_collector, true},
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

std::unique_ptr<Collector> make_collector(std::string_view name) {
  for (const auto& e : kCollectors)
    if (name == e.name) return e.make();
  return nullptr;
}

ServerIdentity read_identity(const JsonValue& varz) {
  ServerIdentity id;
  id.server_id = text_or(varz, "server_id");
  id.server_name = text_or(varz, "server_name", id.server_id);
  id.cluster = text_or(child(varz, "cluster"), "name");
  return id;
}

}  // namespace natsexp
