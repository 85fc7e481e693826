// One observation: its own NATS connection (nats.c) subscribed to what the server publishes about
// real traffic, and an ObservationState fed by the message handler.
//
// A supervisor thread makes the first connection (synchronously, so a refusal is logged with the
// server's reason) and retries every reconnect_wait + jitter while there is none; once connected,
// nats.c reconnects forever and re-subscribes by itself. If nats.c gives up on a connection (e.g.
// the credentials are refused after a reconnect), the thread starts a new one. Messages are handled
// on nats.c's delivery thread, which updates the state under a mutex; snapshot() copies it and never
// touches the network.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "collectors/observations/state.h"
#include "collectors/probe/nats_handle.h"
#include "config/observation_config.h"

namespace natsexp::observations {

// The subjects an observation subscribes to.
std::vector<std::string> subscription_subjects(const ObservationConfig& config);

class Observation {
 public:
  explicit Observation(ObservationConfig config);
  ~Observation();
  Observation(const Observation&) = delete;
  Observation& operator=(const Observation&) = delete;

  // Starts the supervisor thread; never blocks on the network.
  void start();
  // Closes the connection and joins the thread. Idempotent.
  void stop();

  ObservationSnapshot snapshot() const;
  const ObservationConfig& config() const { return config_; }

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  bool connect();
  void close_connection();
  bool sleep_for(std::chrono::milliseconds wait);
  void note_outcome(const std::string& result, const std::string& detail);

  static void on_message(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_complete(void* closure);
  static void on_disconnected(natsConnection* nc, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  static void on_closed(natsConnection* nc, void* closure);
  static void on_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
  static natsStatus on_user_jwt(char** user_jwt, char** error_text, void* closure);
  static natsStatus on_sign(char** error_text, unsigned char** signature, int* signature_length, const char* nonce,
                            void* closure);

  const ObservationConfig config_;

  std::thread thread_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;

  // Touched by the supervisor thread only.
  probe::NatsPtr<natsConnection> nc_;
  std::vector<probe::NatsPtr<natsSubscription>> subs_;
  std::string last_outcome_;

  std::mutex closed_mutex_;
  std::condition_variable closed_cv_;
  bool closed_ = false;
  std::size_t active_subs_ = 0;  // subscriptions whose complete callback has not run yet

  mutable std::mutex mutex_;
  ObservationState state_;
  Clock::time_point last_parse_error_log_{};
};

}  // namespace natsexp::observations
