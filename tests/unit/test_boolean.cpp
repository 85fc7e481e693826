// base/boolean.h: one boolean grammar for YAML, flags and environment variables.
#include <doctest/doctest.h>

#include "base/boolean.h"

using namespace natsexp;

TEST_CASE("parse_bool: true/yes/on/1 and false/no/off/0, any case") {
  for (const char* t : {"true", "TRUE", "yes", "On", "1", " true "}) CHECK(parse_bool(t) == true);
  for (const char* f : {"false", "No", "off", "0"}) CHECK(parse_bool(f) == false);
  for (const char* bad : {"", "maybe", "2", "truee"}) CHECK_FALSE(parse_bool(bad).has_value());
}
