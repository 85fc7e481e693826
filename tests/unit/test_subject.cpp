// base/subject.h: NATS subject wildcards.
#include <doctest/doctest.h>

#include "base/subject.h"

using namespace natsexp;

TEST_CASE("subject_matches: * is one token, > one or more at the end") {
  CHECK(subject_matches(">", "a"));
  CHECK(subject_matches(">", "a.b.c"));
  CHECK(subject_matches("_INBOX.>", "_INBOX.abc.*"));
  CHECK_FALSE(subject_matches("_INBOX.>", "_INBOX"));
  CHECK(subject_matches("orders.*", "orders.new"));
  CHECK_FALSE(subject_matches("orders.*", "orders.new.eu"));
  CHECK_FALSE(subject_matches("orders.*", "orders"));
  CHECK(subject_matches("orders.new", "orders.new"));
  CHECK_FALSE(subject_matches("orders.new", "orders.old"));
  CHECK(subject_matches("*.>", "a.b"));
  CHECK_FALSE(subject_matches("*.>", "a"));
}
