// Feeds the HTTP response parser (collectors/http_response_parser.h) hostile bytes. The first byte
// of an input picks how the rest is split into reads (1..16 bytes each, or whole) and the body size
// cap; the rest is what the peer sends, then it closes. Besides crashes and sanitizer reports, the
// parser must give the same answer however the bytes are split, and never hold more than its cap.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/http_response_parser.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using natsexp::HttpResponseParser;

HttpResponseParser parse(std::string_view bytes, std::size_t piece, std::size_t cap) {
  HttpResponseParser parser(cap);
  while (!bytes.empty() && parser.state() == HttpResponseParser::State::need_more) {
    const std::size_t n = piece == 0 ? bytes.size() : std::min(piece, bytes.size());
    parser.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  parser.finish();
  return parser;
}

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_http_response: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] % 17;  // 0: everything in one read
  const std::size_t cap = (data[0] & 0x80) ? 16 : (1 << 20);
  const std::string_view bytes = natsexp::fuzz::as_text(data + 1, size - 1);

  const HttpResponseParser whole = parse(bytes, 0, cap);
  const HttpResponseParser split = parse(bytes, piece == 0 ? 1 : piece, cap);
  require(whole.state() != HttpResponseParser::State::need_more, "finish() left the response open");
  require(whole.state() == split.state(), "the split changed the outcome");
  require(whole.body().size() <= cap && split.body().size() <= cap, "body above the cap");
  if (whole.state() == HttpResponseParser::State::done) {
    require(whole.status() == split.status() && whole.body() == split.body(), "the split changed the response");
    require(whole.status() >= 200 && whole.status() <= 999, "a final response with a non-final status");
  }
  return 0;
}

#ifndef NATSEXP_LIBFUZZER
int main(int argc, char** argv) {
  return natsexp::fuzz::replay_main(
      argc, argv, "fuzz_http_response", 0,
      {"", "\x01", "\x05HTTP/1.1 200 OK\r\n\r\n", "\x83HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"});
}
#endif
