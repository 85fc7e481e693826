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

TEST_CASE("subject_problem: one grammar for subjects to publish to and to subscribe to") {
  CHECK(subject_problem("orders.new", false).empty());
  CHECK(subject_problem("orders.*.eu.>", true).empty());
  CHECK(subject_problem("", true) == "must not be empty");
  CHECK(subject_problem("a b", true) == "\"a b\" must not contain white space");
  CHECK(subject_problem("a..b", false) == "\"a..b\" has an empty token");
  CHECK(subject_problem("orders.*", false) == "\"orders.*\" must not contain wildcards (a probe publishes to it)");
  CHECK(subject_problem("a.>.b", true) == "\"a.>.b\": \">\" must be the last token");
  CHECK(subject_problem("a.b*", true) == "\"a.b*\": a wildcard must be a whole token");
}
