// Node n1 of the 2.9.10 fixtures served at the paths the doctor reads, shared by the doctor tests.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "collectors/doctor/evidence.h"
#include "collectors/jsz.h"
#include "tests/unit/fake_source.h"

namespace natsexp::testing {

inline FakeSource n1_doctor_source() {
  FakeSource source;
  source.serve("/varz", load_fixture("varz.json"))
      .serve("/connz", load_fixture("connz_subs_detail.json"))  // any page size: the full read sizes it from /varz
      .serve(kClosedConnzPath, load_fixture("connz_state_closed.json"))
      .serve("/subsz", load_fixture("subsz.json"))
      .serve(kJszPath, load_fixture("jsz_all.json"));
  return source;
}

// Evidence shares its list of open connections read-only (the full read's); tests build theirs.
inline std::shared_ptr<const std::vector<ConnectionEvidence>> connection_list(
    std::vector<ConnectionEvidence> connections = {}) {
  return std::make_shared<const std::vector<ConnectionEvidence>>(std::move(connections));
}

// `e` with `c` added to its open connections (a new list: the old one may be shared).
inline void add_connection(doctor::ServerEvidence& e, ConnectionEvidence c) {
  std::vector<ConnectionEvidence> list = e.connections ? *e.connections : std::vector<ConnectionEvidence>{};
  list.push_back(std::move(c));
  e.connections = connection_list(std::move(list));
}

}  // namespace natsexp::testing
