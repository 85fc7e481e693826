// Pure parsers of what nats-server publishes about real traffic (unit-tested on real 2.9.10
// captures, tests/fixtures/nats-server-2.9.10/system-and-events/):
// - io.nats.server.metric.v1.service_latency, on an export's latency subject;
// - io.nats.jetstream.metric.v1.consumer_ack, on $JS.EVENT.METRIC.CONSUMER.ACK.<stream>.<consumer>;
// - io.nats.jetstream.advisory.v1.*, on $JS.EVENT.ADVISORY.>.
//
// Every field is optional and unknown fields are ignored (newer servers add `nonce`, `reply`…). A
// message that is not a JSON object, or lacks what its kind needs, is a parse error (nullopt with
// the reason); an advisory of a type we do not know is an `unknown` event, not an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace natsexp::observations {

struct ServiceLatencySample {
  std::string subject;    // where it arrived: the export's latency subject
  int status = 0;         // 200, 400, 408, 503, 504…
  std::string responder;  // the responder connection's name; "" when absent or unnamed
  // Seconds. The parts are present on status 200; total = requestor_rtt + responder_rtt + service + system.
  double total = 0, service = 0, system = 0;
  double requestor_rtt = 0, responder_rtt = 0;
  bool has_requestor_rtt = false, has_responder_rtt = false;
};

std::optional<ServiceLatencySample> parse_service_latency(std::string_view subject, std::string_view payload,
                                                          std::string* error = nullptr);

enum class JetStreamEventKind {
  ack_sample,      // consumer_ack metric
  max_deliveries,  // advisory max_deliver
  nak,             // advisory nak (subject …CONSUMER.MSG_NAKED…)
  terminated,      // advisory terminated
  api_audit,       // advisory api_audit (api_error set when the response carries an error)
  leader_elected,  // stream or consumer leader elected
  quorum_lost,     // stream or consumer quorum lost
  other_known,     // stream/consumer action, snapshot, restore, out of storage, server removed…
  unknown,         // a type this version does not know (counted, not rejected)
};

// "ack", "max_deliveries", "nak", "terminated", "api", "leader_elected", "quorum_lost", "other", "unknown".
const char* event_kind_name(JetStreamEventKind kind);

struct JetStreamEvent {
  JetStreamEventKind kind = JetStreamEventKind::unknown;
  std::string type;  // the message's "type", e.g. io.nats.jetstream.advisory.v1.nak
  std::string stream, consumer;
  double ack_time = 0;           // ack_sample: seconds since the latest delivery
  std::uint64_t deliveries = 0;  // ack_sample, nak, terminated, max_deliveries
  std::string api;               // api_audit: the API subject with names folded out
  bool api_error = false;        // api_audit: the response carried an "error"
  int api_error_code = 0;        // its "code" (e.g. 404), 0 when absent
  std::string target;            // leader_elected, quorum_lost: "stream" or "consumer"
};

std::optional<JetStreamEvent> parse_jetstream_event(std::string_view subject, std::string_view payload,
                                                    std::string* error = nullptr);

// A JetStream API subject with stream, consumer and other names replaced by `*`, so it can be a
// label: $JS.API.CONSUMER.INFO.ORDERS.PROC -> $JS.API.CONSUMER.INFO.*.*,
// $JS.API.STREAM.MSG.GET.ORDERS -> $JS.API.STREAM.MSG.GET.*, $JS.API.INFO stays. A domain prefix
// ($JS.<domain>.API.…) becomes $JS.*.API.…. Anything else: "other".
std::string fold_api_subject(std::string_view subject);

}  // namespace natsexp::observations
