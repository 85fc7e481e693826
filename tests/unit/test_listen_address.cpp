// --web.listen-address: host:port or :port.
#include <doctest/doctest.h>

#include <stdexcept>

#include "exporter/http_server.h"

using namespace natsexp;

TEST_CASE("listen addresses") {
  CHECK(parse_listen_address(":7777").host == "0.0.0.0");
  CHECK(parse_listen_address(":7777").port == 7777);
  CHECK_THROWS_AS(parse_listen_address("127.0.0.1:0"), std::invalid_argument);  // base/address.h: no port 0
  CHECK(parse_listen_address("[::1]:9").host == "::1");
  CHECK_THROWS_AS(parse_listen_address("7777"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address(":http"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address(":99999"), std::invalid_argument);
}
