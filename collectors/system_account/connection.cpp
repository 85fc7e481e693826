#include "collectors/system_account/connection.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "collectors/collector.h"
#include "collectors/probe/connection_options.h"

namespace natsexp::system_account {

namespace {

using probe::NatsPtr;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{1000};
constexpr milliseconds kMaxBackoff{30000};

// nats.c's last error text without its source position ("(conn.c:1905): Authorization Violation").
std::string nats_error_text(natsStatus s) {
  std::string detail = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  std::string text = last ? last : "";
  if (!text.empty() && text[0] == '(' && text.find("): ") != std::string::npos)
    text = text.substr(text.find("): ") + 3);
  if (!text.empty() && detail.find(text) == std::string::npos) detail += ": " + text;
  return detail;
}

int64_t millis_until(Clock::time_point deadline) {
  return std::max<int64_t>(0, duration_cast<milliseconds>(deadline - Clock::now()).count());
}

// gzip (what the server sends for "Accept-Encoding: gzip") to text, capped so a hostile or broken
// reply cannot inflate without bound.
std::string gunzip(const char* data, std::size_t size) {
  constexpr std::size_t kMaxInflated = 256u * 1024 * 1024;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw FetchError("cannot start gzip decoding");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z.avail_in = static_cast<uInt>(size);
  std::string out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const std::size_t before = out.size();
    out.resize(before + std::max<std::size_t>(64 * 1024, size * 4));
    z.next_out = reinterpret_cast<Bytef*>(&out[before]);
    z.avail_out = static_cast<uInt>(out.size() - before);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      throw FetchError("the gzip reply is corrupt");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      throw FetchError("the gzip reply is truncated");
    }
    if (out.size() > kMaxInflated) {
      inflateEnd(&z);
      throw FetchError("the gzip reply inflates past 256 MiB");
    }
  }
  inflateEnd(&z);
  return out;
}

RawReply decode(natsMsg* msg) {
  RawReply r;
  const char* data = natsMsg_GetData(msg);
  const auto size = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
  r.wire_bytes = size;
  const char* encoding = nullptr;
  if (natsMsgHeader_Get(msg, "Content-Encoding", &encoding) == NATS_OK && encoding) {
    if (std::strcmp(encoding, "gzip") != 0) throw FetchError(std::string("unexpected Content-Encoding ") + encoding);
    r.body = gunzip(data, size);
  } else {
    r.body.assign(data ? data : "", size);
  }
  return r;
}

}  // namespace

SystemConnection::SystemConnection(const SystemAccountConfig& config) : config_(config) {}

SystemConnection::~SystemConnection() { close(); }

void SystemConnection::close() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!nc_) return;
  natsConnection_Close(nc_.get());
  // The callbacks use `this`: wait for the closed callback, the last one, before destroying.
  closed_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return closed_; });
  nc_.reset();
}

bool SystemConnection::ensure_connected(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (nc_ && !closed_) {
    const auto status = natsConnection_Status(nc_.get());
    // Reconnecting: nats.c is on it; requests fail fast until it is back.
    return status == NATS_CONN_STATUS_CONNECTED;
  }
  if (nc_) nc_.reset();  // closed by the server for good (e.g. credentials revoked)
  if (Clock::now() < next_attempt_) return false;
  probe::ConnectionCallbacks cb;
  cb.disconnected = &SystemConnection::on_disconnected;
  cb.reconnected = &SystemConnection::on_reconnected;
  cb.closed = &SystemConnection::on_closed;
  cb.user_jwt = &SystemConnection::on_user_jwt;
  cb.sign = &SystemConnection::on_sign;
  cb.closure = this;
  ProbeConnectionConfig connection = config_.connection;
  // The first connect must not outlast the scrape.
  const auto left = milliseconds(millis_until(deadline));
  if (left < connection.connect_timeout) connection.connect_timeout = std::max(milliseconds(50), left);
  NatsPtr<natsOptions> opts;
  natsStatus s = probe::make_connection_options(opts, config_.servers, connection, cb);
  NatsPtr<natsConnection> fresh;
  if (s == NATS_OK) {
    closed_ = false;
    s = natsConnection_Connect(fresh.out(), opts.get());
  }
  if (s != NATS_OK) {
    closed_ = true;
    ++connect_failures_;
    const std::string error = nats_error_text(s);
    // Logged when the reason changes, not at every retry.
    if (error != last_error_)
      log::error("system account: cannot connect", {{"origin", config_.origin}, {"err", error}});
    last_error_ = error;
    backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(kMaxBackoff, backoff_ * 2);
    next_attempt_ = Clock::now() + backoff_;
    return false;
  }
  nc_ = std::move(fresh);
  backoff_ = milliseconds(0);
  if (!last_error_.empty() || connect_failures_ == 0)
    log::info("system account: connected", {{"origin", config_.origin}});
  last_error_.clear();
  return true;
}

std::string SystemConnection::last_connect_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

std::size_t SystemConnection::max_payload() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return nc_ ? static_cast<std::size_t>(std::max<int64_t>(0, natsConnection_GetMaxPayload(nc_.get()))) : 0;
}

// Over this size a reply is asked compressed next time: a 1000-connection CONNZ page is ~600 KB,
// ~1 MB with subscriptions (max_payload's default), and a twelfth to a twentieth of it in gzip.
constexpr std::size_t kCompressAbove = 64 * 1024;

bool SystemConnection::wants_compression(const std::string& key) const {
  std::lock_guard<std::mutex> lock(sizes_mutex_);
  auto it = last_sizes_.find(key);
  return it != last_sizes_.end() && it->second > kCompressAbove;
}

void SystemConnection::note_reply_size(const std::string& key, std::size_t text_bytes) {
  std::lock_guard<std::mutex> lock(sizes_mutex_);
  last_sizes_[key] = text_bytes;
}

void SystemConnection::count_error(const std::string& kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++request_errors_[kind];
}

void SystemConnection::note_reply(std::size_t bytes) {
  std::size_t seen = largest_reply_.load();
  while (bytes > seen && !largest_reply_.compare_exchange_weak(seen, bytes)) {}
}

natsConnection* SystemConnection::live_connection() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (nc_ && !closed_) return nc_.get();
  }
  count_error("not_connected");
  throw FetchError("system account: not connected");
}

RawReply SystemConnection::request(const std::string& subject, const std::string& body, bool compress,
                                   Clock::time_point deadline) {
  natsConnection* nc = live_connection();
  NatsPtr<natsMsg> msg;
  natsStatus s = natsMsg_Create(msg.out(), subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
  if (s == NATS_OK && compress) s = natsMsgHeader_Set(msg.get(), "Accept-Encoding", "gzip");
  NatsPtr<natsMsg> reply;
  const int64_t wait = millis_until(deadline);
  if (s == NATS_OK) s = wait > 0 ? natsConnection_RequestMsg(reply.out(), nc, msg.get(), wait) : NATS_TIMEOUT;
  if (s == NATS_NO_RESPONDERS || (s == NATS_OK && natsMsg_IsNoResponders(reply.get()))) {
    count_error("no_responders");
    throw FetchError("no responder for " + subject + " (not in this server version, or not permitted for this user)");
  }
  if (s == NATS_TIMEOUT) {
    count_error("timeout");
    throw FetchError("no reply to " + subject + " before the deadline");
  }
  if (s != NATS_OK) {
    count_error("error");
    throw FetchError("request " + subject + ": " + natsStatus_GetText(s));
  }
  try {
    RawReply r = decode(reply.get());
    note_reply(r.wire_bytes);
    return r;
  } catch (const FetchError&) {
    count_error("decode");
    throw;
  }
}

std::vector<RawReply> SystemConnection::gather(const std::string& subject, const std::string& body,
                                               std::size_t expected, milliseconds gap, Clock::time_point deadline,
                                               bool* no_responders) {
  if (no_responders) *no_responders = false;
  natsConnection* nc = live_connection();
  natsInbox* inbox_raw = nullptr;
  natsStatus s = natsInbox_Create(&inbox_raw);
  std::unique_ptr<natsInbox, void (*)(natsInbox*)> inbox(inbox_raw, &natsInbox_Destroy);
  NatsPtr<natsSubscription> sub;
  if (s == NATS_OK) s = natsConnection_SubscribeSync(sub.out(), nc, inbox.get());
  if (s == NATS_OK)
    s = natsConnection_PublishRequest(nc, subject.c_str(), inbox.get(), body.data(), static_cast<int>(body.size()));
  if (s != NATS_OK) {
    count_error("error");
    throw FetchError("request " + subject + ": " + natsStatus_GetText(s));
  }
  std::vector<RawReply> replies;
  // The server the connection is on answers within milliseconds; nothing in 2 s means nobody will
  // (with gateways a request nobody serves may get no 503, it is forwarded optimistically).
  Clock::time_point quiet_until = std::min(deadline, Clock::now() + std::max(gap, milliseconds(2000)));
  while (expected == 0 || replies.size() < expected) {
    const auto until = std::min(deadline, quiet_until);
    const int64_t wait = millis_until(until);
    if (wait <= 0) break;
    NatsPtr<natsMsg> msg;
    s = natsSubscription_NextMsg(msg.out(), sub.get(), wait);
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) {
      count_error("error");
      break;
    }
    if (natsMsg_IsNoResponders(msg.get())) {  // nobody at all: the subject is not served
      if (no_responders && replies.empty()) *no_responders = true;
      break;
    }
    try {
      replies.push_back(decode(msg.get()));
      note_reply(replies.back().wire_bytes);
    } catch (const FetchError& e) {
      count_error("decode");
      log::warn("system account: undecodable reply", {{"subject", subject}, {"err", e.what()}});
    }
    quiet_until = Clock::now() + gap;
  }
  return replies;
}

void SystemConnection::contribute(MetricSet& out) {
  bool connected = false;
  std::uint64_t failures = 0, reconnects = 0;
  std::map<std::string, std::uint64_t> errors;
  std::size_t payload = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    connected = nc_ && !closed_ && natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED;
    failures = connect_failures_;
    reconnects = reconnects_;
    errors = request_errors_;
    if (nc_) payload = static_cast<std::size_t>(std::max<int64_t>(0, natsConnection_GetMaxPayload(nc_.get())));
  }
  out.gauge("nats_system_account_connected", "1 when the system-account source's NATS connection is up, else 0.")
      .set(connected ? 1.0 : 0.0);
  out.counter("nats_system_account_connect_failures_total",
              "Failed attempts to open the system-account source's connection (see the log for the reason).")
      .set(static_cast<double>(failures));
  out.counter("nats_system_account_reconnects_total", "Reconnections of the system-account source's connection.")
      .set(static_cast<double>(reconnects));
  auto& errs =
      out.counter("nats_system_account_request_errors_total",
                  "Failed system-account requests by kind: timeout, no_responders, not_connected, decode, error.");
  for (const char* kind : {"timeout", "no_responders", "not_connected", "decode", "error"})
    errs.add(static_cast<double>(errors.count(kind) ? errors[kind] : 0), {{"kind", kind}});
  if (payload > 0)
    out.gauge("nats_system_account_max_payload_bytes",
              "max_payload of the server the system-account source is connected to.")
        .set(static_cast<double>(payload));
  out.gauge("nats_system_account_reply_bytes_max",
            "The largest system-account reply of the last scrape, in bytes on the wire (compressed when it was); "
            "compare with max_payload.")
      .set(static_cast<double>(largest_reply_.load()));
}

void SystemConnection::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<SystemConnection*>(closure);
  log::warn("system account: disconnected, reconnecting", {{"origin", self->config_.origin}});
}

void SystemConnection::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<SystemConnection*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->reconnects_;
  }
  log::info("system account: reconnected", {{"origin", self->config_.origin}});
}

void SystemConnection::on_closed(natsConnection*, void* closure) {
  auto* self = static_cast<SystemConnection*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->closed_ = true;
  }
  self->closed_cv_.notify_all();
}

natsStatus SystemConnection::on_user_jwt(char** user_jwt, char** error_text, void* closure) {
  auto* self = static_cast<SystemConnection*>(closure);
  *error_text = nullptr;
  *user_jwt = strdup(self->config_.connection.auth.user_jwt.c_str());
  return *user_jwt ? NATS_OK : NATS_NO_MEMORY;
}

natsStatus SystemConnection::on_sign(char** error_text, unsigned char** signature, int* signature_length,
                                     const char* nonce, void* closure) {
  auto* self = static_cast<SystemConnection*>(closure);
  *error_text = nullptr;
  natsStatus s = nats_Sign(self->config_.connection.auth.nkey_seed.c_str(), nonce, signature, signature_length);
  if (s != NATS_OK) *error_text = strdup("cannot sign the server nonce with the configured nkey seed");
  return s;
}

}  // namespace natsexp::system_account
