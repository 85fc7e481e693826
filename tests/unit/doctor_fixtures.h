// Node n1 of the 2.9.10 fixtures served at the paths the doctor reads, shared by the doctor tests.
#pragma once

#include "collectors/doctor/evidence.h"
#include "collectors/jsz.h"
#include "tests/unit/fake_source.h"

namespace natsexp::testing {

inline FakeSource n1_doctor_source() {
  FakeSource source;
  source.serve("/varz", load_fixture("varz.json"))
      .serve("/connz", load_fixture("connz_subs_detail.json"))  // any page size: the full read sizes it from /varz
      .serve(doctor::kClosedConnzPath, load_fixture("connz_state_closed.json"))
      .serve("/subsz", load_fixture("subsz.json"))
      .serve(kJszPath, load_fixture("jsz_all.json"));
  return source;
}

}  // namespace natsexp::testing
