#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "collectors/http_response_parser.h"

using namespace natsexp;
using State = HttpResponseParser::State;

namespace {

// Feeds `bytes` in reads of `piece` bytes (0: one read), then, if `close`, the peer's close.
HttpResponseParser parse(std::string_view bytes, std::size_t piece = 0, bool close = false, std::size_t cap = 1 << 20) {
  HttpResponseParser p(cap);
  while (!bytes.empty() && p.state() == State::need_more) {
    const std::size_t n = piece == 0 ? bytes.size() : std::min(piece, bytes.size());
    p.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  if (close) p.finish();
  return p;
}

}  // namespace

TEST_CASE("http response: a Content-Length body, whole or split at every byte") {
  const std::string r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 11\r\n\r\n{\"a\":12345}";
  for (std::size_t piece : {0, 1, 2, 7, 64}) {
    auto p = parse(r, piece);
    REQUIRE(p.state() == State::done);
    CHECK(p.status() == 200);
    CHECK(p.body() == "{\"a\":12345}");
    CHECK(p.reusable());
  }
}

TEST_CASE("http response: chunked with extensions and trailers, split at every byte") {
  const std::string r =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;name=value\r\n{\"a\"\r\nA\r\n:123456789\r\n1 \r\n}\r\n0\r\nX-Checksum: 1\r\nX-More: 2\r\n\r\n";
  for (std::size_t piece : {0, 1, 3, 5}) {
    auto p = parse(r, piece);
    REQUIRE(p.state() == State::done);
    CHECK(p.body() == "{\"a\":123456789}");
    CHECK(p.reusable());
  }
}

TEST_CASE("http response: bytes after the response make the connection unusable") {
  auto p = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}extra");
  CHECK(p.state() == State::done);
  CHECK(p.body() == "{}");
  CHECK(p.leftover() == 5);
  CHECK_FALSE(p.reusable());
}

TEST_CASE("http response: Connection: close and HTTP/1.0 end the connection's use") {
  CHECK_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").reusable());
  CHECK_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").reusable());
  CHECK(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").reusable());
}

TEST_CASE("http response: a body without length ends at the close") {
  auto p = parse("HTTP/1.1 200 OK\r\n\r\n{\"x\":1}", 3);
  CHECK(p.state() == State::need_more);
  CHECK(p.finish() == State::done);
  CHECK(p.body() == "{\"x\":1}");
  CHECK_FALSE(p.reusable());
}

TEST_CASE("http response: an early close fails, saying whether anything arrived") {
  auto none = parse("", 0, true);
  CHECK(none.state() == State::failed);
  CHECK_FALSE(none.started());
  CHECK(none.error() == "connection closed without a response");
  auto part = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\"", 0, true);
  CHECK(part.state() == State::failed);
  CHECK(part.started());
  CHECK(part.error() == "connection closed before the response ended");
  CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, true).state() == State::failed);
}

TEST_CASE("http response: a body over the cap fails as too large, announced or not") {
  auto announced = parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 0, false, 10);
  CHECK(announced.state() == State::failed);
  CHECK(announced.too_large());
  CHECK(announced.error() == "response larger than 10 bytes");
  auto chunked = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 0, false, 10);
  CHECK(chunked.too_large());
  auto until_close = parse("HTTP/1.1 200 OK\r\n\r\n0123456789A", 4, false, 10);
  CHECK(until_close.too_large());
  CHECK(until_close.body().size() <= 10);
}

TEST_CASE("http response: interim 1xx responses are skipped; 204 and 304 have no body") {
  auto p = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}", 1);
  REQUIRE(p.state() == State::done);
  CHECK(p.status() == 503);
  CHECK(p.body() == "{}");
  auto empty = parse("HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(empty.state() == State::done);
  CHECK(empty.body().empty());
  CHECK(empty.reusable());
  CHECK(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").state() == State::done);
}

TEST_CASE("http response: garbage fails without echoing it") {
  for (const char* bad : {"SSH-2.0-OpenSSH_9.2\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"}) {
    auto p = parse(bad);
    CHECK_MESSAGE(p.state() == State::failed, bad);
    CHECK(p.error().find("OpenSSH") == std::string::npos);
  }
}

TEST_CASE("http response: endless headers are cut at 64 KiB") {
  std::string r = "HTTP/1.1 200 OK\r\n";
  while (r.size() < (70 << 10)) r += "X-Filler: " + std::string(100, 'x') + "\r\n";
  CHECK(parse(r, 4096).state() == State::failed);
  CHECK(parse("HTTP/1.1 200 OK\r\nX: " + std::string(70 << 10, 'y'), 1000).state() == State::failed);
}
