// base/text.h: the shared text helpers of every message.
#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "base/text.h"

using namespace natsexp;

TEST_CASE("text: lower, trim, join") {
  CHECK(strings::lower("MiB") == "mib");
  CHECK(strings::trim(" \ta b\n") == "a b");
  CHECK(strings::join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(strings::join({}, ", ").empty());
  CHECK(strings::join({"a", "b", "c"}, ", ", " or ") == "a, b or c");
  CHECK(strings::join({"a", "b"}, ", ", " or ") == "a or b");
  CHECK(strings::join({"a"}, ", ", " or ") == "a");
}

TEST_CASE("text: quote escapes and cuts, did_you_mean suggests close names") {
  CHECK(strings::quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\x0a\"");
  CHECK(strings::quote(std::string(200, 'x')).size() == 120 + 2 + 3);
  CHECK(strings::did_you_mean("timout", {"timeout", "interval"}) == " (did you mean \"timeout\"?)");
  CHECK(strings::did_you_mean("ca", {"ca_file", "cert_file"}) == " (did you mean \"ca_file\"?)");
  CHECK(strings::did_you_mean("zzz", {"timeout"}).empty());
  CHECK(strings::did_you_mean("NATS_EXPORTER_LOG_LEVLE", {"NATS_EXPORTER_LOG_LEVEL"}) ==
        " (did you mean \"NATS_EXPORTER_LOG_LEVEL\"?)");
  CHECK(strings::edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("text: openssl_error names the queued error and clears the queue") {
  ERR_clear_error();
  CHECK(strings::openssl_error() == "unknown error");
  CHECK(BIO_new_file("/nonexistent/natsexp", "r") == nullptr);  // queues an error
  CHECK(strings::openssl_error().find("error:") == 0);
  CHECK(ERR_peek_error() == 0);
}
