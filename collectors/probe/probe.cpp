#include "collectors/probe/probe.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <random>

#include "base/address.h"
#include "base/log.h"
#include "collectors/probe/connection_options.h"
#include "config/load.h"

namespace natsexp::probe {

namespace {

constexpr std::int64_t kDrainTimeoutMs = 2000;
constexpr auto kAsyncErrorLogEvery = std::chrono::seconds(10);
constexpr auto kStopGrace = std::chrono::milliseconds(1000);

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

const char* async_error_kind(natsStatus err) {
  switch (err) {
    case NATS_SLOW_CONSUMER: return "slow_consumer";
    case NATS_NOT_PERMITTED: return "permission_violation";
    default: return "other";
  }
}

// The connection's last error text, which never holds credentials (nats.c reports the server's
// -ERR text or a socket error there). Falls back to the status text.
std::string last_error(natsConnection* nc, natsStatus s) {
  const char* text = nullptr;
  if (nc) natsConnection_GetLastError(nc, &text);
  std::string out = status_text(s);
  if (text && *text && out.find(text) == std::string::npos) out += ": " + std::string(text);
  return out;
}

// A subject token made of the characters NATS allows in one token.
std::string subject_token(const std::string& s) {
  std::string out;
  for (char ch : s) out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') ? ch : '_';
  return out.empty() ? "_" : out;
}

ProbeConfig with_subject(ProbeConfig c) {
  if (c.kind == ProbeKind::request && c.subject.empty()) c.subject = default_probe_subject(c.name);
  return c;
}

}  // namespace

std::string default_probe_subject(const std::string& probe_name) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  return "_nats_exporter.probe." + subject_token(host) + "." + subject_token(probe_name);
}

Probe::Probe(ProbeConfig config) : config_(with_subject(std::move(config))), payload_(config_.size, 'x') {
  snap_.name = config_.name;
  snap_.kind = config_.kind;
  snap_.request_duration = LatencyHistogram(config_.buckets);
  snap_.publish_duration = LatencyHistogram(config_.buckets);
  snap_.watched_stream = config_.stream;
  snap_.watched_consumer = config_.consumer;
}

Probe::~Probe() { stop(); }

void Probe::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stopping_ = false;
    exited_ = false;
  }
  thread_ = std::thread([this] {
    run();
    {
      std::lock_guard<std::mutex> lock(wake_mutex_);
      exited_ = true;
    }
    wake_.notify_all();
  });
}

void Probe::stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;
  // The thread may be blocked in a request or a publish for up to `timeout`. Give it a moment to
  // finish on its own (and drain), then close the connection under it: the blocked call returns
  // at once and the thread ends.
  {
    std::unique_lock<std::mutex> lock(wake_mutex_);
    if (!wake_.wait_for(lock, kStopGrace, [this] { return exited_; })) {
      lock.unlock();
      std::lock_guard<std::mutex> handle_lock(handle_mutex_);
      if (nc_) natsConnection_Close(nc_.get());
    }
  }
  thread_.join();
}

ProbeSnapshot Probe::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snap_;
}

bool Probe::sleep_until(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(wake_mutex_);
  wake_.wait_until(lock, until, [this] { return stopping_; });
  return !stopping_;
}

std::chrono::milliseconds Probe::jittered(std::chrono::milliseconds wait) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto jitter = config_.connection.reconnect_jitter.count();
  if (jitter <= 0) return wait;
  std::uniform_int_distribution<long long> dist(0, jitter);
  return wait + std::chrono::milliseconds(dist(rng));
}

void Probe::note_outcome(const char* action, const std::string& result, const std::string& detail) {
  std::string& last = last_outcome_[action];
  if (last == result) return;
  const bool was_ok = last.empty() || last == "ok";
  last = result;
  if (result == "ok") {
    if (!was_ok) log::info("probe recovered", {{"probe", config_.name}, {"action", action}});
    return;
  }
  log::warn("probe failing", {{"probe", config_.name}, {"action", action}, {"result", result}, {"err", detail}});
}

void Probe::run() {
  log::info("probe starting", {{"probe", config_.name},
                               {"kind", probe_kind_name(config_.kind)},
                               {"servers", redact_urls(config_.servers)},
                               {"interval", format_duration(config_.interval)}});
  // Two schedules: a tick every interval (measure, or count the failure while there is no
  // connection), and connection attempts every reconnect_wait + jitter while there is none. Once a
  // connection exists nats.c reconnects it by itself, forever.
  auto next_tick = Clock::now();
  auto next_connect = next_tick;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(wake_mutex_);
      if (stopping_) break;
    }
    auto now = Clock::now();
    if (!nc_ && now >= next_connect) {
      if (!connect()) next_connect = Clock::now() + jittered(config_.connection.reconnect_wait);
    } else if (nc_ && natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CLOSED) {
      // nats.c gave up on this connection (e.g. the server refused the credentials after a
      // reconnect): start a new one after the reconnect wait. A sidecar never stops trying.
      note_outcome("connect", "closed", last_error(nc_.get(), NATS_CONNECTION_CLOSED));
      close_connection();
      next_connect = Clock::now() + jittered(config_.connection.reconnect_wait);
    }
    now = Clock::now();
    if (now >= next_tick) {
      if (nc_) tick();
      else count_unavailable();
      next_tick += config_.interval;
      now = Clock::now();
      if (next_tick < now) next_tick = now + config_.interval;  // fell behind (a long timeout): skip, no burst
    }
    auto wake = next_tick;
    if (!nc_ && next_connect < wake) wake = next_connect;
    if (!sleep_until(wake)) break;
  }
  close_connection();
  log::info("probe stopped", {{"probe", config_.name}});
}

bool Probe::connect() {
  const ProbeConnectionConfig& c = config_.connection;
  ConnectionCallbacks callbacks;
  callbacks.disconnected = &Probe::on_disconnected;
  callbacks.reconnected = &Probe::on_reconnected;
  callbacks.closed = &Probe::on_closed;
  callbacks.error = &Probe::on_error;
  callbacks.user_jwt = &Probe::on_user_jwt;
  callbacks.sign = &Probe::on_sign;
  callbacks.closure = this;
  NatsPtr<natsOptions> opts;
  natsStatus s = make_connection_options(opts, config_.servers, c, callbacks);
  if (s != NATS_OK) {
    // Only local problems get here (e.g. a CA file that is not PEM); their text holds no secret.
    note_outcome("connect", "error",
                 "connection options: " + last_error(nullptr, s) + " " + nats_GetLastError(nullptr));
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(closed_mutex_);
    closed_ = false;
  }
  // The first connection is attempted here, synchronously, so that a refusal (credentials, TLS)
  // is reported with the server's reason; the caller retries. Once connected, nats.c reconnects.
  {
    NatsPtr<natsConnection> fresh;
    s = natsConnection_Connect(fresh.out(), opts.get());
    std::lock_guard<std::mutex> lock(handle_mutex_);
    nc_ = std::move(fresh);
  }
  if (s != NATS_OK) {
    std::string detail = status_text(s);
    std::string text = nats_GetLastError(nullptr) ? nats_GetLastError(nullptr) : "";
    // nats.c prefixes its own source position: "(conn.c:1905): Authorization Violation".
    if (!text.empty() && text[0] == '(' && text.find("): ") != std::string::npos)
      text = text.substr(text.find("): ") + 3);
    if (!text.empty() && detail.find(text) == std::string::npos) detail += ": " + text;
    note_outcome("connect", s == NATS_CONNECTION_AUTH_FAILED ? "auth_failed" : "error", detail);
    {
      std::lock_guard<std::mutex> lock(handle_mutex_);
      nc_.reset();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    snap_.connected = false;
    return false;
  }
  note_outcome("connect", "ok", "");
  log::info("probe connected", {{"probe", config_.name}, {"servers", redact_urls(config_.servers)}});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    snap_.connected = true;
  }
  if (!stats_) natsStatistics_Create(stats_.out());
  if (config_.kind == ProbeKind::request && config_.responder_enabled) {
    natsStatus sub_status =
        config_.responder_queue_group.empty()
            ? natsConnection_Subscribe(responder_.out(), nc_.get(), config_.subject.c_str(), &Probe::on_request,
                                       nullptr)
            : natsConnection_QueueSubscribe(responder_.out(), nc_.get(), config_.subject.c_str(),
                                            config_.responder_queue_group.c_str(), &Probe::on_request, nullptr);
    if (sub_status == NATS_OK)
      sub_status = natsSubscription_SetPendingLimits(responder_.get(), config_.pending_limit_messages,
                                                     config_.pending_limit_bytes);
    if (sub_status != NATS_OK) note_outcome("responder", "error", last_error(nc_.get(), sub_status));
  }
  if (config_.kind != ProbeKind::request) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = config_.timeout.count();
    if (!config_.jetstream_domain.empty()) jo.Domain = config_.jetstream_domain.c_str();
    if (!config_.jetstream_api_prefix.empty()) jo.Prefix = config_.jetstream_api_prefix.c_str();
    natsStatus js_status = natsConnection_JetStream(js_.out(), nc_.get(), &jo);
    if (js_status != NATS_OK) note_outcome("jetstream", "error", last_error(nc_.get(), js_status));
  }
  return true;
}

void Probe::close_connection() {
  if (!nc_) return;
  // Count what this connection did into the bases before it goes.
  if (stats_ && natsConnection_GetStats(nc_.get(), stats_.get()) == NATS_OK) {
    std::uint64_t in_m = 0, in_b = 0, out_m = 0, out_b = 0, rc = 0;
    natsStatistics_GetCounts(stats_.get(), &in_m, &in_b, &out_m, &out_b, &rc);
    in_messages_base_ += in_m;
    in_bytes_base_ += in_b;
    out_messages_base_ += out_m;
    out_bytes_base_ += out_b;
  }
  if (responder_) {
    std::int64_t dropped = 0;
    if (natsSubscription_GetDropped(responder_.get(), &dropped) == NATS_OK && dropped > 0)
      dropped_base_ += static_cast<std::uint64_t>(dropped);
  }
  const natsConnStatus status = natsConnection_Status(nc_.get());
  if (status != NATS_CONN_STATUS_CLOSED) {
    // Drain lets the responder answer what it already received; it closes the connection at the end.
    natsStatus s = status == NATS_CONN_STATUS_CONNECTED ? natsConnection_DrainTimeout(nc_.get(), kDrainTimeoutMs)
                                                        : NATS_ILLEGAL_STATE;
    if (s != NATS_OK) natsConnection_Close(nc_.get());
  }
  {
    std::unique_lock<std::mutex> lock(closed_mutex_);
    if (!closed_cv_.wait_for(lock, std::chrono::milliseconds(kDrainTimeoutMs + 3000), [this] { return closed_; }))
      log::warn("probe connection did not report closed in time", {{"probe", config_.name}});
  }
  responder_.reset();
  js_.reset();
  {
    std::lock_guard<std::mutex> lock(handle_mutex_);
    nc_.reset();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  snap_.connected = false;
  snap_.rtt_seconds.reset();
  snap_.consumer.reset();
  snap_.in_messages = in_messages_base_;
  snap_.in_bytes = in_bytes_base_;
  snap_.out_messages = out_messages_base_;
  snap_.out_bytes = out_bytes_base_;
  for (auto& sub : snap_.subscriptions) {
    sub.pending = {};
    sub.dropped_messages = dropped_base_;
  }
}

void Probe::count_unavailable() {
  std::lock_guard<std::mutex> lock(mutex_);
  switch (config_.kind) {
    case ProbeKind::request: ++snap_.requests["error"]; break;
    case ProbeKind::jetstream_publish: ++snap_.publishes["error"]; break;
    case ProbeKind::consumer_watch: ++snap_.consumer_info["error"]; break;
  }
}

void Probe::tick() {
  switch (config_.kind) {
    case ProbeKind::request: do_request(); break;
    case ProbeKind::jetstream_publish: do_publish(); break;
    case ProbeKind::consumer_watch: do_consumer_info(); break;
  }
  sample_connection();
}

void Probe::do_request() {
  std::string result;
  std::string detail;
  if (natsConnection_Status(nc_.get()) != NATS_CONN_STATUS_CONNECTED) {
    // Not sent: a request queued in the reconnect buffer would measure the outage, not NATS.
    result = "error";
    detail = "not connected";
  } else {
    NatsPtr<natsMsg> reply;
    const auto t0 = Clock::now();
    natsStatus s = natsConnection_Request(reply.out(), nc_.get(), config_.subject.c_str(), payload_.data(),
                                          static_cast<int>(payload_.size()), config_.timeout.count());
    const auto t1 = Clock::now();
    switch (s) {
      case NATS_OK: result = "ok"; break;
      case NATS_TIMEOUT: result = "timeout"; break;
      case NATS_NO_RESPONDERS: result = "no_responders"; break;
      default: result = "error"; break;
    }
    if (s != NATS_OK) detail = last_error(nc_.get(), s);
    std::lock_guard<std::mutex> lock(mutex_);
    if (s == NATS_OK) snap_.request_duration.observe(seconds_between(t0, t1));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++snap_.requests[result];
  }
  note_outcome("request", result, detail + " (subject " + config_.subject + ")");
}

void Probe::do_publish() {
  std::string result;
  std::string detail;
  if (natsConnection_Status(nc_.get()) != NATS_CONN_STATUS_CONNECTED || !js_) {
    result = "error";
    detail = js_ ? "not connected" : "no JetStream context";
  } else {
    NatsPtr<jsPubAck> ack;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = config_.timeout.count();
    jsErrCode code = static_cast<jsErrCode>(0);
    const auto t0 = Clock::now();
    natsStatus s = js_Publish(ack.out(), js_.get(), config_.subject.c_str(), payload_.data(),
                              static_cast<int>(payload_.size()), &po, &code);
    const auto t1 = Clock::now();
    switch (s) {
      case NATS_OK: result = "ok"; break;
      case NATS_TIMEOUT: result = "timeout"; break;
      case NATS_NO_RESPONDERS: result = "no_stream"; break;  // nothing captures the subject
      default: result = "error"; break;
    }
    if (s != NATS_OK) {
      detail = last_error(nc_.get(), s);
      if (code != 0) detail += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (s == NATS_OK) snap_.publish_duration.observe(seconds_between(t0, t1));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++snap_.publishes[result];
  }
  note_outcome("jetstream publish", result, detail + " (subject " + config_.subject + ")");
}

void Probe::do_consumer_info() {
  std::string result;
  std::string detail;
  std::optional<ConsumerSnapshot> info;
  if (natsConnection_Status(nc_.get()) != NATS_CONN_STATUS_CONNECTED || !js_) {
    result = "error";
    detail = js_ ? "not connected" : "no JetStream context";
  } else {
    NatsPtr<jsConsumerInfo> ci;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s =
        js_GetConsumerInfo(ci.out(), js_.get(), config_.stream.c_str(), config_.consumer.c_str(), nullptr, &code);
    if (s == NATS_OK && ci) {
      result = "ok";
      ConsumerSnapshot c;
      c.stream = config_.stream;
      c.consumer = config_.consumer;
      c.pending_messages = ci->NumPending;
      c.ack_pending_messages = ci->NumAckPending;
      c.redelivered_messages = ci->NumRedelivered;
      c.waiting_pulls = ci->NumWaiting;
      info = c;
    } else {
      if (s == NATS_NOT_FOUND || code == JSConsumerNotFoundErr || code == JSStreamNotFoundErr) result = "not_found";
      else if (s == NATS_TIMEOUT) result = "timeout";
      else result = "error";
      detail = last_error(nc_.get(), s);
      if (code != 0) detail += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++snap_.consumer_info[result];
    snap_.consumer = info;  // a failed read shows no value rather than a stale one
  }
  note_outcome("consumer info", result, detail + " (stream " + config_.stream + ", consumer " + config_.consumer + ")");
}

void Probe::sample_connection() {
  const bool up = natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED;
  std::optional<double> rtt;
  if (up) {
    // The PING/PONG round trip. natsConnection_GetRTT does the same with a fixed 10s wait; the
    // probe's own timeout bounds it here.
    const auto t0 = Clock::now();
    if (natsConnection_FlushTimeout(nc_.get(), config_.timeout.count()) == NATS_OK)
      rtt = seconds_between(t0, Clock::now());
  }
  std::uint64_t in_m = 0, in_b = 0, out_m = 0, out_b = 0, rc = 0;
  if (stats_ && natsConnection_GetStats(nc_.get(), stats_.get()) == NATS_OK)
    natsStatistics_GetCounts(stats_.get(), &in_m, &in_b, &out_m, &out_b, &rc);
  std::optional<SubscriptionSnapshot> sub;
  if (responder_) {
    SubscriptionSnapshot s;
    s.subject = config_.subject;
    int msgs = 0, bytes = 0, limit_msgs = 0, limit_bytes = 0;
    std::int64_t dropped = 0;
    natsSubscription_GetPending(responder_.get(), &msgs, &bytes);
    natsSubscription_GetPendingLimits(responder_.get(), &limit_msgs, &limit_bytes);
    natsSubscription_GetDropped(responder_.get(), &dropped);
    s.pending = {msgs, bytes};
    s.pending_limit = {limit_msgs, limit_bytes};
    s.dropped_messages = dropped_base_ + static_cast<std::uint64_t>(std::max<std::int64_t>(dropped, 0));
    sub = s;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  snap_.connected = up;
  snap_.rtt_seconds = rtt;
  snap_.in_messages = in_messages_base_ + in_m;
  snap_.in_bytes = in_bytes_base_ + in_b;
  snap_.out_messages = out_messages_base_ + out_m;
  snap_.out_bytes = out_bytes_base_ + out_b;
  if (sub) {
    snap_.subscriptions.assign(1, *sub);
  }
}

// --- nats.c callbacks. They run on nats.c's threads; `closure` is the Probe, alive until the
// closed callback has run (see close_connection).

void Probe::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<Probe*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->snap_.disconnects;
    self->snap_.connected = false;
    self->snap_.rtt_seconds.reset();
  }
  bool stopping;
  {
    std::lock_guard<std::mutex> lock(self->wake_mutex_);
    stopping = self->stopping_;
  }
  if (!stopping) log::warn("probe disconnected, reconnecting", {{"probe", self->config_.name}});
}

void Probe::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<Probe*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->snap_.reconnects;
    self->snap_.connected = true;
  }
  log::info("probe reconnected", {{"probe", self->config_.name}});
}

void Probe::on_closed(natsConnection*, void* closure) {
  auto* self = static_cast<Probe*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->snap_.connected = false;
  }
  {
    std::lock_guard<std::mutex> lock(self->closed_mutex_);
    self->closed_ = true;
  }
  self->closed_cv_.notify_all();
}

void Probe::on_error(natsConnection* nc, natsSubscription*, natsStatus err, void* closure) {
  auto* self = static_cast<Probe*>(closure);
  const char* kind = async_error_kind(err);
  std::uint64_t since_last_log = 0;
  bool log_it = false;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->snap_.async_errors[kind];
    // A flood can make hundreds of slow-consumer episodes a second: log one line per kind per
    // kAsyncErrorLogEvery with the count since the previous line; the counter has them all.
    auto& last = self->async_error_logged_[kind];
    const auto now = Clock::now();
    if (last.count == 0 || now - last.at >= kAsyncErrorLogEvery) {
      log_it = true;
      since_last_log = self->snap_.async_errors[kind] - last.count;
      last.at = now;
      last.count = self->snap_.async_errors[kind];
    }
  }
  if (log_it)
    log::warn("probe asynchronous error", {{"probe", self->config_.name},
                                           {"kind", kind},
                                           {"count", std::to_string(since_last_log)},
                                           {"err", last_error(nc, err)}});
}

void Probe::on_request(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  // The built-in responder: echoes the payload to the reply subject. It uses nothing of the Probe,
  // so it is safe whenever nats.c runs it.
  NatsPtr<natsMsg> owned(msg);
  const char* reply = natsMsg_GetReply(msg);
  if (reply && *reply) natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
}

natsStatus Probe::on_user_jwt(char** user_jwt, char** error_text, void* closure) {
  auto* self = static_cast<Probe*>(closure);
  *error_text = nullptr;
  *user_jwt = strdup(self->config_.connection.auth.user_jwt.c_str());
  return *user_jwt ? NATS_OK : NATS_NO_MEMORY;
}

natsStatus Probe::on_sign(char** error_text, unsigned char** signature, int* signature_length, const char* nonce,
                          void* closure) {
  auto* self = static_cast<Probe*>(closure);
  *error_text = nullptr;
  natsStatus s = nats_Sign(self->config_.connection.auth.nkey_seed.c_str(), nonce, signature, signature_length);
  if (s != NATS_OK) *error_text = strdup("cannot sign the server nonce with the configured nkey seed");
  return s;
}

}  // namespace natsexp::probe
