// FetchError, the one failure of reading a monitoring endpoint, in a header of its own: the readers
// below the collector interface (the JSON parser, the document checks) throw it too, and must not
// include that interface for it.
#pragma once

#include <stdexcept>
#include <string>

namespace natsexp {

// Thrown by a MonitorSource when an endpoint cannot be read: refused, timed out, non-2xx, too
// large, or not JSON. The message is safe to log (no credentials).
class FetchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // `status`: the server refused the request with this HTTP status (over HTTP) or error code (in a
  // system-account reply's envelope, which uses the same codes), so callers can tell a refusal
  // (400: an option this server version does not know) from a transport failure.
  FetchError(const std::string& what, int status) : std::runtime_error(what), status_(status) {}
  // 0 when the server did not answer with a status.
  int status() const { return status_; }

 private:
  int status_ = 0;
};

}  // namespace natsexp
