// The system-account source's one NATS connection: connects on demand with exponential backoff,
// lets nats.c reconnect once connected, and sends requests under the scrape's deadline, either to
// one responder (request) or to all (gather: replies until an expected count or a quiet gap).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/metric_set.h"
#include "collectors/probe/nats_handle.h"
#include "config/system_account_config.h"

namespace natsexp::system_account {

using Clock = std::chrono::steady_clock;

// One reply, its body decompressed.
struct RawReply {
  std::string body;
  std::size_t wire_bytes = 0;  // as received (compressed when it was)
};

class SystemConnection {
 public:
  explicit SystemConnection(const SystemAccountConfig& config);
  ~SystemConnection();
  SystemConnection(const SystemConnection&) = delete;
  SystemConnection& operator=(const SystemConnection&) = delete;

  // True when connected now. Tries to connect when not, unless the backoff since the last failure
  // has not passed; the attempt ends by `deadline`.
  bool ensure_connected(Clock::time_point deadline);
  // The reason of the last failed connect ("" when connected), safe to show: no secret.
  std::string last_connect_error() const;

  // One request, the first reply. Throws FetchError: not connected, timeout at `deadline`, no
  // responders (503: the subject does not exist in this server version, or is not permitted), or
  // a body that cannot be decompressed.
  RawReply request(const std::string& subject, const std::string& body, bool compress, Clock::time_point deadline);

  // Every reply to one request, until `expected` replies (0: unknown), `gap` after the last reply,
  // or `deadline`. A no-responders status (nobody serves the subject for this user) is an empty
  // result with `*no_responders` set. Throws FetchError when not connected.
  std::vector<RawReply> gather(const std::string& subject, const std::string& body, std::size_t expected,
                               std::chrono::milliseconds gap, Clock::time_point deadline,
                               bool* no_responders = nullptr);

  // Connection and request metrics: nats_system_account_connected, …_reconnects_total,
  // …_connect_failures_total, …_request_errors_total{kind}, …_max_payload_bytes,
  // …_reply_bytes_max (the largest reply of the last scrape on the wire).
  void contribute(MetricSet& out);
  // Starts a new scrape's reply-size maximum.
  void begin_scrape() { largest_reply_.store(0); }
  std::size_t max_payload() const;

  // Whether to ask `key`'s next reply gzip-compressed: when its last reply was large. Compressing
  // costs the server a gzip writer per reply, which small replies do not repay.
  bool wants_compression(const std::string& key) const;
  void note_reply_size(const std::string& key, std::size_t text_bytes);

 private:
  // The connection to send on; a FetchError (counted as not_connected) when there is none.
  natsConnection* live_connection();
  void count_error(const std::string& kind);
  void note_reply(std::size_t bytes);
  void close();

  static void on_disconnected(natsConnection* nc, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  static void on_closed(natsConnection* nc, void* closure);
  static natsStatus on_user_jwt(char** user_jwt, char** error_text, void* closure);
  static natsStatus on_sign(char** error_text, unsigned char** signature, int* signature_length, const char* nonce,
                            void* closure);

  SystemAccountConfig config_;
  mutable std::mutex mutex_;  // the handle and the fields below
  probe::NatsPtr<natsConnection> nc_;
  bool closed_ = true;  // nats.c's closed callback has run for the handle (or there is none)
  std::condition_variable closed_cv_;
  Clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  std::uint64_t connect_failures_ = 0;
  std::uint64_t reconnects_ = 0;
  std::map<std::string, std::uint64_t> request_errors_;
  std::atomic<std::size_t> largest_reply_{0};
  mutable std::mutex sizes_mutex_;
  std::map<std::string, std::size_t> last_sizes_;  // by server and endpoint
};

}  // namespace natsexp::system_account
