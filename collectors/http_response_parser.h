// An HTTP/1.1 response parser that is fed bytes as they arrive (any split) and does no I/O, so it
// is unit-tested and fuzzed alone. It reads what a monitoring port sends: a status line, headers,
// and a body delimited by Content-Length, chunked transfer coding, or the end of the connection.
// Interim 1xx responses are skipped; 204 and 304 have no body. No decompression: the client never
// asks for an encoding (http_fetch.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace natsexp {

class HttpResponseParser {
 public:
  enum class State { need_more, done, failed };

  // A body larger than `max_body_bytes` fails the response (too_large()).
  explicit HttpResponseParser(std::size_t max_body_bytes) : max_body_(max_body_bytes) {}

  // Consumes bytes of the response. Bytes after the end of the response are not consumed: they
  // make the connection unusable for another request (leftover() says how many).
  State feed(std::string_view data);
  // The peer closed the connection: ends a body delimited by the close, fails anything else.
  State finish();

  State state() const { return state_; }
  bool started() const { return started_; }  // any byte arrived
  int status() const { return status_; }
  // The body so far; whole once state() is done.
  const std::string& body() const { return body_; }
  std::string take_body() { return std::move(body_); }
  // Why it failed (safe to log: never echoes the peer's bytes).
  const std::string& error() const { return error_; }
  bool too_large() const { return too_large_; }
  // The connection may carry another request: HTTP/1.1 without "Connection: close" (or 1.0 with
  // keep-alive), a body not delimited by the close, and nothing left over.
  bool reusable() const { return state_ == State::done && keep_alive_ && leftover_ == 0; }
  std::size_t leftover() const { return leftover_; }

 private:
  enum class Phase { status_line, headers, body_length, body_until_close, chunk_size, chunk_data, chunk_end, trailers };

  State fail(std::string why);
  State complete();
  // One header or status line ended; returns false once failed.
  bool on_line(std::string_view line);
  bool on_status_line(std::string_view line);
  bool on_header(std::string_view line);
  bool on_headers_end();
  bool on_chunk_size(std::string_view line);
  bool append_body(std::string_view data);

  std::size_t max_body_;
  State state_ = State::need_more;
  Phase phase_ = Phase::status_line;
  bool started_ = false;
  std::string line_;  // a line being assembled across feeds
  std::size_t header_bytes_ = 0;
  int status_ = 0;
  bool http11_ = true;
  bool keep_alive_ = true;
  bool chunked_ = false;
  bool has_length_ = false;
  std::size_t length_ = 0;  // Content-Length, or the current chunk's size
  std::string body_;
  std::string error_;
  bool too_large_ = false;
  std::size_t leftover_ = 0;
};

}  // namespace natsexp
