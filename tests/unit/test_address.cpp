// base/address.h: host:port and URLs, one reading for listen addresses, monitoring and NATS URLs.
#include <doctest/doctest.h>

#include "base/address.h"

using namespace natsexp;

TEST_CASE("split_host_port: names, IPv6 literals, and ports 1..65535 only") {
  CHECK(split_host_port("nats-0:8222")->host == "nats-0");
  CHECK(split_host_port("nats-0:8222")->port == "8222");
  CHECK(split_host_port(":7777")->host.empty());
  CHECK(split_host_port("[::1]:9")->host == "[::1]");
  CHECK(split_host_port("[::1]")->port.empty());
  CHECK(split_host_port("nats-0")->port.empty());
  std::string why;
  for (const char* bad : {"h:0", "h:65536", "h:http", "h:", "[::1]x", "[]:1"}) {
    CAPTURE(bad);
    CHECK_FALSE(split_host_port(bad, &why));
  }
  CHECK_FALSE(split_host_port("h:0", &why));
  CHECK(why == "has an invalid port");
  CHECK_FALSE(split_host_port("a:b:1", &why));
  CHECK(why == "has an invalid host");
}

TEST_CASE("split_url: scheme, userinfo up to the last @, authority, path") {
  auto u = split_url("HTTPS://user:p@ss/w@nats:8222/base/?x");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->userinfo == "user:p@ss/w");
  CHECK(u->authority.host == "nats");
  CHECK(u->authority.port == "8222");
  CHECK(u->path == "/base/?x");
  std::string why;
  CHECK_FALSE(split_url("127.0.0.1:8222", &why));
  CHECK(why == "is not a URL");
  CHECK_FALSE(split_url("http://", &why));
  CHECK(why == "has no host");
  CHECK_FALSE(split_url("nats://h:0", &why));
  CHECK(why == "has an invalid port");
}

TEST_CASE("URL credentials: taken out percent-decoded, and redacted") {
  std::string url = "http://u%40x:p%3Aw@h:1/p", user, pass;
  CHECK(take_url_credentials(url, user, pass));
  CHECK(url == "http://h:1/p");
  CHECK(user == "u@x");
  CHECK(pass == "p:w");
  CHECK(redact_url("nats://tok@h:4222") == "nats://h:4222");
  CHECK_FALSE(take_url_credentials(url, user, pass));
}

TEST_CASE("split_url with schemes: one of them, else one message whether or not the text is a URL") {
  std::string why;
  CHECK(split_url("TLS://h:4222", &why, {"nats", "tls"})->scheme == "tls");
  CHECK_FALSE(split_url("http://h:4222", &why, {"nats", "tls"}));
  CHECK(why == "is not a nats:// or tls:// URL");
  CHECK_FALSE(split_url("h:8222", &why, {"http", "https"}));
  CHECK(why == "is not an http:// or https:// URL");
  CHECK_FALSE(split_url("http://h:0", &why, {"http", "https"}));
  CHECK(why == "has an invalid port");
}

TEST_CASE("port_or_default: the URL's port, else the scheme's") {
  CHECK(port_or_default(*split_url("https://h:9443")) == "9443");
  CHECK(port_or_default(*split_url("https://h/x")) == "443");
  CHECK(port_or_default(*split_url("HTTP://[::1]")) == "80");
  CHECK(port_or_default(*split_url("nats://h")) == "4222");
  CHECK(port_or_default(*split_url("tls://h")) == "4222");
}

TEST_CASE("parse_listen_address: host:port or :port, brackets dropped, ports 1..65535, one message per problem") {
  CHECK(parse_listen_address(":7777")->host == "0.0.0.0");
  CHECK(parse_listen_address(":7777")->port == 7777);
  CHECK(parse_listen_address("[::1]:9")->host == "::1");
  CHECK(parse_listen_address("127.0.0.1:9100")->host == "127.0.0.1");
  std::string why;
  CHECK_FALSE(parse_listen_address("7777", &why));
  CHECK(why == "\"7777\" is not host:port or :port");
  CHECK_FALSE(parse_listen_address("[::1]", &why));
  CHECK(why == "\"[::1]\" is not host:port or :port");
  CHECK_FALSE(parse_listen_address(":http", &why));
  CHECK(why == "\":http\" has an invalid port (1..65535)");
  for (const char* bad : {"127.0.0.1:0", ":99999", "h:"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_listen_address(bad, &why));
    CHECK(why.find("has an invalid port (1..65535)") != std::string::npos);
  }
}
