// One client probe: its own NATS connection and thread, measuring every `interval`.
//
// The thread owns every nats.c handle. nats.c's callbacks (disconnected, reconnected, closed, the
// error handler) and the thread update a ProbeSnapshot under a mutex; snapshot() copies it and
// never touches the network.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "collectors/probe/nats_handle.h"
#include "collectors/probe/snapshot.h"
#include "config/probe_config.h"

namespace natsexp::probe {

// The subject of a request probe that names none, which its own responder answers:
// _nats_exporter.probe.<host>.<name>. The probe picks it, not the config, since it names the host
// the probe runs on.
std::string default_probe_subject(const std::string& probe_name);

class Probe {
 public:
  explicit Probe(ProbeConfig config);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Starts the thread. The first connection attempt happens on it, so start() never blocks.
  void start();
  // Stops the thread: drains and closes the connection. A thread blocked in a request gets a
  // second, then its connection is closed under it; a connection attempt in progress ends within
  // connect_timeout. Idempotent.
  void stop();

  ProbeSnapshot snapshot() const;
  const std::string& name() const { return config_.name; }

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  // Connects (and creates the responder or the JetStream context). False when the server could not
  // be reached or refused; the caller tries again after reconnect_wait + jitter.
  bool connect();
  void close_connection();
  void tick();
  // A tick without a connection: the action counts as result="error".
  void count_unavailable();
  void do_request();
  void do_publish();
  void do_consumer_info();
  void sample_connection();
  // Waits until `until` or stop(); returns false when stopping.
  bool sleep_until(Clock::time_point until);
  std::chrono::milliseconds jittered(std::chrono::milliseconds wait);
  // Logs a failure when the outcome of `action` changes, not at every interval.
  void note_outcome(const char* action, const std::string& result, const std::string& detail);

  static void on_disconnected(natsConnection* nc, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  static void on_closed(natsConnection* nc, void* closure);
  static void on_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
  static void on_request(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static natsStatus on_user_jwt(char** user_jwt, char** error_text, void* closure);
  static natsStatus on_sign(char** error_text, unsigned char** signature, int* signature_length, const char* nonce,
                            void* closure);

  const ProbeConfig config_;
  const std::string payload_;

  std::thread thread_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool exited_ = false;  // run() has returned

  // Held while nc_ is replaced or reset (by the probe thread) and while stop() closes it from
  // outside to end a blocked call. The probe thread reads nc_ without it: only it writes nc_.
  std::mutex handle_mutex_;

  // Touched by the probe thread only.
  NatsPtr<natsConnection> nc_;
  NatsPtr<natsSubscription> responder_;
  NatsPtr<jsCtx> js_;
  NatsPtr<natsStatistics> stats_;
  std::map<std::string, std::string> last_outcome_;
  // Traffic and drops of the connections closed so far, so the counters never go back.
  std::uint64_t in_messages_base_ = 0, out_messages_base_ = 0, in_bytes_base_ = 0, out_bytes_base_ = 0;
  std::uint64_t dropped_base_ = 0;

  // Set by the closed callback; close_connection waits for it before destroying the connection,
  // so no callback runs on a destroyed probe.
  std::mutex closed_mutex_;
  std::condition_variable closed_cv_;
  bool closed_ = false;

  mutable std::mutex mutex_;
  ProbeSnapshot snap_;
  struct Logged {
    Clock::time_point at;
    std::uint64_t count = 0;
  };
  std::map<std::string, Logged> async_error_logged_;  // under mutex_
};

}  // namespace natsexp::probe
