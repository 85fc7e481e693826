#include "collectors/observations/observation.h"

#include <cstring>
#include <random>

#include "base/address.h"
#include "base/log.h"
#include "collectors/probe/connection_options.h"
#include "config/load.h"

namespace natsexp::observations {

namespace {

using probe::ConnectionCallbacks;
using probe::make_connection_options;
using probe::NatsPtr;
using probe::status_text;

constexpr std::int64_t kCloseWaitMs = 5000;
constexpr auto kParseErrorLogEvery = std::chrono::seconds(10);

// The server's -ERR text or a socket error, never credentials; nats.c's "(conn.c:1905): " prefix removed.
std::string connect_error(natsStatus s) {
  std::string detail = status_text(s);
  std::string text = nats_GetLastError(nullptr) ? nats_GetLastError(nullptr) : "";
  if (!text.empty() && text[0] == '(' && text.find("): ") != std::string::npos)
    text = text.substr(text.find("): ") + 3);
  if (!text.empty() && detail.find(text) == std::string::npos) detail += ": " + text;
  return detail;
}

}  // namespace

std::vector<std::string> subscription_subjects(const ObservationConfig& config) {
  if (config.kind == ObservationKind::service_latency) return {config.subject};
  return {"$JS.EVENT.METRIC.>", "$JS.EVENT.ADVISORY.>"};
}

Observation::Observation(ObservationConfig config) : config_(std::move(config)), state_(config_) {}

Observation::~Observation() { stop(); }

void Observation::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Observation::stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ObservationSnapshot Observation::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_.snapshot();
}

bool Observation::sleep_for(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(wake_mutex_);
  wake_.wait_for(lock, wait, [this] { return stopping_; });
  return !stopping_;
}

void Observation::note_outcome(const std::string& result, const std::string& detail) {
  if (last_outcome_ == result) return;
  const bool was_ok = last_outcome_.empty() || last_outcome_ == "ok";
  last_outcome_ = result;
  if (result == "ok") {
    if (!was_ok) log::info("observation recovered", {{"observation", config_.name}});
    return;
  }
  log::warn(
      "observation cannot connect",
      {{"observation", config_.name}, {"servers", redact_urls(config_.servers)}, {"result", result}, {"err", detail}});
}

void Observation::run() {
  log::info("observation starting", {{"observation", config_.name},
                                     {"kind", observation_kind_name(config_.kind)},
                                     {"servers", redact_urls(config_.servers)}});
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(wake_mutex_);
      if (stopping_) break;
    }
    if (nc_ && natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CLOSED) {
      // nats.c gave up on this connection: start a new one. A sidecar never stops trying.
      note_outcome("closed", "the connection was closed (e.g. credentials refused after a reconnect)");
      close_connection();
    }
    auto wait = config_.connection.reconnect_wait;
    if (!nc_ && !connect()) {
      const auto jitter = config_.connection.reconnect_jitter.count();
      if (jitter > 0) wait += std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, jitter)(rng));
    }
    if (wait < std::chrono::milliseconds(100)) wait = std::chrono::milliseconds(100);
    if (!sleep_for(wait)) break;
  }
  close_connection();
  log::info("observation stopped", {{"observation", config_.name}});
}

bool Observation::connect() {
  const ProbeConnectionConfig& c = config_.connection;
  ConnectionCallbacks callbacks;
  callbacks.disconnected = &Observation::on_disconnected;
  callbacks.reconnected = &Observation::on_reconnected;
  callbacks.closed = &Observation::on_closed;
  callbacks.error = &Observation::on_error;
  callbacks.user_jwt = &Observation::on_user_jwt;
  callbacks.sign = &Observation::on_sign;
  callbacks.closure = this;
  NatsPtr<natsOptions> opts;
  natsStatus s = make_connection_options(opts, config_.servers, c, callbacks);
  if (s != NATS_OK) {
    note_outcome("error", "connection options: " + status_text(s));
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(closed_mutex_);
    closed_ = false;
  }
  s = natsConnection_Connect(nc_.out(), opts.get());
  if (s != NATS_OK) {
    note_outcome(s == NATS_CONNECTION_AUTH_FAILED ? "auth_failed" : "error", connect_error(s));
    nc_.reset();
    return false;
  }
  for (const auto& subject : subscription_subjects(config_)) {
    NatsPtr<natsSubscription> sub;
    natsStatus ss = natsConnection_Subscribe(sub.out(), nc_.get(), subject.c_str(), &Observation::on_message, this);
    // Bursts of advisories must not be dropped by nats.c's default 65536-message limit too early.
    if (ss == NATS_OK) ss = natsSubscription_SetPendingLimits(sub.get(), 1 << 20, 256 << 20);
    if (ss == NATS_OK) {
      ss = natsSubscription_SetOnCompleteCB(sub.get(), &Observation::on_complete, this);
      if (ss == NATS_OK) {
        std::lock_guard<std::mutex> lock(closed_mutex_);
        ++active_subs_;
      }
    }
    if (ss != NATS_OK) {
      log::warn("observation cannot subscribe",
                {{"observation", config_.name}, {"subject", subject}, {"err", status_text(ss)}});
      continue;
    }
    subs_.push_back(std::move(sub));
  }
  // A permission error on SUB comes back asynchronously (on_error); the flush makes it arrive now.
  natsConnection_FlushTimeout(nc_.get(), c.connect_timeout.count());
  note_outcome("ok", "");
  log::info("observation connected", {{"observation", config_.name}, {"servers", redact_urls(config_.servers)}});
  std::lock_guard<std::mutex> lock(mutex_);
  state_.snapshot().connected = natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED;
  return true;
}

void Observation::close_connection() {
  if (!nc_) return;
  if (natsConnection_Status(nc_.get()) != NATS_CONN_STATUS_CLOSED) natsConnection_Close(nc_.get());
  {
    std::unique_lock<std::mutex> lock(closed_mutex_);
    if (!closed_cv_.wait_for(lock, std::chrono::milliseconds(kCloseWaitMs),
                             [this] { return closed_ && active_subs_ == 0; }))
      log::warn("observation connection did not report closed in time", {{"observation", config_.name}});
  }
  // Each subscription's complete callback ran after its last message handler returned, so no
  // handler runs on a destroyed Observation.
  subs_.clear();
  {
    std::lock_guard<std::mutex> lock(closed_mutex_);
    active_subs_ = 0;
  }
  nc_.reset();
  std::lock_guard<std::mutex> lock(mutex_);
  state_.snapshot().connected = false;
}

// --- nats.c callbacks, on nats.c's threads; `closure` is the Observation, alive until
// close_connection has seen the closed callback and destroyed the subscriptions.

void Observation::on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<Observation*>(closure);
  NatsPtr<natsMsg> owned(msg);
  const std::string_view subject = natsMsg_GetSubject(msg);
  const std::string_view payload(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  std::string error;
  bool log_it = false;
  if (self->config_.kind == ObservationKind::service_latency) {
    auto sample = parse_service_latency(subject, payload, &error);  // parsed outside the lock
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (sample) self->state_.add(*sample);
    else self->state_.add_parse_error();
    if (!sample && Clock::now() - self->last_parse_error_log_ >= kParseErrorLogEvery) {
      self->last_parse_error_log_ = Clock::now();
      log_it = true;
    }
  } else {
    auto event = parse_jetstream_event(subject, payload, &error);
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (event) self->state_.add(*event);
    else self->state_.add_parse_error();
    if (!event && Clock::now() - self->last_parse_error_log_ >= kParseErrorLogEvery) {
      self->last_parse_error_log_ = Clock::now();
      log_it = true;
    }
  }
  if (log_it)
    log::warn("observation cannot parse a message",
              {{"observation", self->config_.name}, {"subject", std::string(subject)}, {"err", error}});
}

void Observation::on_complete(void* closure) {
  auto* self = static_cast<Observation*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->closed_mutex_);
    if (self->active_subs_ > 0) --self->active_subs_;
  }
  self->closed_cv_.notify_all();
}

void Observation::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<Observation*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->state_.snapshot().disconnects;
    self->state_.snapshot().connected = false;
  }
  bool stopping;
  {
    std::lock_guard<std::mutex> lock(self->wake_mutex_);
    stopping = self->stopping_;
  }
  if (!stopping) log::warn("observation disconnected, reconnecting", {{"observation", self->config_.name}});
}

void Observation::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<Observation*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->state_.snapshot().reconnects;
    self->state_.snapshot().connected = true;
  }
  log::info("observation reconnected", {{"observation", self->config_.name}});
}

void Observation::on_closed(natsConnection*, void* closure) {
  auto* self = static_cast<Observation*>(closure);
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->state_.snapshot().connected = false;
  }
  {
    std::lock_guard<std::mutex> lock(self->closed_mutex_);
    self->closed_ = true;
  }
  self->closed_cv_.notify_all();
}

void Observation::on_error(natsConnection*, natsSubscription* sub, natsStatus err, void* closure) {
  auto* self = static_cast<Observation*>(closure);
  const char* subject = sub ? natsSubscription_GetSubject(sub) : nullptr;
  log::warn("observation asynchronous error",
            {{"observation", self->config_.name}, {"subject", subject ? subject : ""}, {"err", status_text(err)}});
}

natsStatus Observation::on_user_jwt(char** user_jwt, char** error_text, void* closure) {
  auto* self = static_cast<Observation*>(closure);
  *error_text = nullptr;
  *user_jwt = strdup(self->config_.connection.auth.user_jwt.c_str());
  return *user_jwt ? NATS_OK : NATS_NO_MEMORY;
}

natsStatus Observation::on_sign(char** error_text, unsigned char** signature, int* signature_length, const char* nonce,
                                void* closure) {
  auto* self = static_cast<Observation*>(closure);
  *error_text = nullptr;
  natsStatus s = nats_Sign(self->config_.connection.auth.nkey_seed.c_str(), nonce, signature, signature_length);
  if (s != NATS_OK) *error_text = strdup("cannot sign the server nonce with the configured nkey seed");
  return s;
}

}  // namespace natsexp::observations
