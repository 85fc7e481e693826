// Factories of the built-in collectors; only registry.cpp needs this list.
#pragma once

#include <memory>

#include "collectors/collector.h"

namespace natsexp {

std::unique_ptr<Collector> make_varz_collector();
std::unique_ptr<Collector> make_connz_collector();
std::unique_ptr<Collector> make_routez_collector();
std::unique_ptr<Collector> make_gatewayz_collector();
std::unique_ptr<Collector> make_leafz_collector();
std::unique_ptr<Collector> make_subsz_collector();
std::unique_ptr<Collector> make_accstatz_collector();
std::unique_ptr<Collector> make_jsz_collector();
std::unique_ptr<Collector> make_healthz_collector();

}  // namespace natsexp
