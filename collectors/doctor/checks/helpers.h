// What the server and probe checks (collectors/doctor/checks/*.cpp) share.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "collectors/doctor/checks.h"

namespace natsexp::doctor {

// Whether `previous` is an earlier evaluation of the same run of the same server.
bool usable(const ServerEvidence& now, const ServerBaseline* previous, double at);
// "n1", or "target (name)" when the config's name differs from the server's.
std::string server_label(const ServerEvidence& e);
// "<source> could not be read: <why>".
std::string missing(const ServerEvidence& e, const char* source);
// "client \"orders\" (cid 5, account APP, 10.0.0.1)".
std::string connection_label(const std::string& name, std::optional<std::uint64_t> cid, const std::string& account,
                             const std::string& ip, const std::string& server = "");
// "+3", "-2".
std::string signed_number(double v);
// Delta of a counter between two snapshots; the full value when there is no earlier one or it
// went down (a reset).
double delta(double now, std::optional<double> before);
// The same probe in `previous`, or null.
const probe::ProbeSnapshot* find_probe(const ProbeBaseline* previous, const probe::ProbeSnapshot& now);
// `key`'s count in `m`, or nullopt.
std::optional<double> count_in(const std::map<std::string, std::uint64_t>& m, const std::string& key);

}  // namespace natsexp::doctor
