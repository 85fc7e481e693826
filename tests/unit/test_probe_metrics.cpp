// The probe's histogram math and the translation of a snapshot into nats_probe_* families.
#include <doctest/doctest.h>

#include <limits>

#include "collectors/probe/snapshot.h"
#include "exporter/exposition.h"

using namespace natsexp;
using namespace natsexp::probe;

TEST_CASE("probe histogram: le semantics, cumulative counts, sum and +Inf") {
  LatencyHistogram h({0.001, 0.01, 0.1});
  h.observe(0.0005);  // bucket 0.001
  h.observe(0.001);   // exactly on a bound: counts in that bucket (le)
  h.observe(0.0010001);
  h.observe(0.05);
  h.observe(3.0);   // above every bound: only +Inf
  h.observe(-1.0);  // a clock oddity counts as 0
  CHECK(h.count() == 6);
  CHECK(h.sum() == doctest::Approx(0.0005 + 0.001 + 0.0010001 + 0.05 + 3.0));
  CHECK(h.cumulative() == std::vector<std::uint64_t>{3, 4, 5});
}

TEST_CASE("probe histogram: quantiles interpolate inside the bucket") {
  LatencyHistogram h({0.001, 0.002, 0.004});
  CHECK_FALSE(h.quantile(0.5));
  for (int i = 0; i < 50; ++i) h.observe(0.0005);
  for (int i = 0; i < 50; ++i) h.observe(0.0015);
  CHECK(*h.quantile(0.5) == doctest::Approx(0.001));
  CHECK(*h.quantile(0.75) == doctest::Approx(0.0015));
  CHECK(*h.quantile(0.25) == doctest::Approx(0.0005));
  h.observe(100);
  CHECK(*h.quantile(1.0) == doctest::Approx(0.004));  // in +Inf: the highest finite bound
}

TEST_CASE("probe histogram: the samples since an earlier copy, for the doctor's windows") {
  LatencyHistogram h({1, 2});
  for (int i = 0; i < 10; ++i) h.observe(0.5);
  const LatencyHistogram earlier = h;
  for (int i = 0; i < 10; ++i) h.observe(1.5);
  CHECK(*h.quantile(0.5) == doctest::Approx(1.0));  // all 20: 10 in (0, 1], 10 in (1, 2]
  CHECK(*h.quantile(0.75) == doctest::Approx(1.5));
  const LatencyHistogram window = h.since(earlier);
  CHECK(window.count() == 10);
  CHECK(window.sum() == doctest::Approx(15.0));
  CHECK(window.cumulative() == std::vector<std::uint64_t>{0, 10});
  CHECK(*window.quantile(0.5) == doctest::Approx(1.5));  // only the 10 in (1, 2]
  CHECK_FALSE(h.since(h).quantile(0.99));                // nothing new
  // Not an earlier copy (more samples, or other buckets: a reset): all of it.
  CHECK(earlier.since(h).count() == 10);
  CHECK(h.since(LatencyHistogram({1, 3})).count() == 20);
  for (int i = 0; i < 10; ++i) h.observe(5);     // above every bound
  CHECK(*h.since(earlier).quantile(0.99) == 2);  // in +Inf: the highest finite bound
}

TEST_CASE("probe snapshot: every family with its labels and values") {
  ProbeSnapshot r;
  r.name = "rtt";
  r.kind = ProbeKind::request;
  r.connected = true;
  r.reconnects = 2;
  r.disconnects = 3;
  r.async_errors["slow_consumer"] = 1;
  r.rtt_seconds = 0.00025;
  r.request_duration = LatencyHistogram({0.0001, 0.001});
  r.request_duration.observe(0.00005);
  r.request_duration.observe(0.0005);
  r.requests["ok"] = 2;
  r.requests["timeout"] = 1;
  r.subscriptions.push_back({"_nats_exporter.probe.h.rtt", {5, 640}, {10, 4096}, 7});
  r.in_messages = 10;
  r.out_messages = 11;
  r.in_bytes = 1280;
  r.out_bytes = 1408;

  ProbeSnapshot j;
  j.name = "js";
  j.kind = ProbeKind::jetstream_publish;
  j.publish_duration = LatencyHistogram({0.001});
  j.publish_duration.observe(0.002);
  j.publishes["ok"] = 1;
  j.publishes["no_stream"] = 4;

  ProbeSnapshot w;
  w.name = "watch";
  w.kind = ProbeKind::consumer_watch;
  w.consumer = ConsumerSnapshot{"ORDERS", "processor", 900, 100, 3, 1};
  w.consumer_info["ok"] = 5;

  ProbeSnapshot down = w;
  down.name = "watch-down";
  down.consumer.reset();  // the last read failed: no value rather than a stale one
  down.consumer_info["timeout"] = 1;

  MetricSet out;
  add_probe_metrics({r, j, w, down}, out);

  CHECK(out.value("nats_probe_connected", {{"probe", "rtt"}}) == 1.0);
  CHECK(out.value("nats_probe_connected", {{"probe", "js"}}) == 0.0);
  CHECK(out.value("nats_probe_reconnects_total", {{"probe", "rtt"}}) == 2.0);
  CHECK(out.value("nats_probe_disconnects_total", {{"probe", "rtt"}}) == 3.0);
  CHECK(out.value("nats_probe_async_errors_total", {{"probe", "rtt"}, {"kind", "slow_consumer"}}) == 1.0);
  CHECK(out.value("nats_probe_async_errors_total", {{"probe", "js"}, {"kind", "slow_consumer"}}) == 0.0);
  CHECK(out.value("nats_probe_rtt_seconds", {{"probe", "rtt"}}) == doctest::Approx(0.00025));
  CHECK_FALSE(out.value("nats_probe_rtt_seconds", {{"probe", "js"}}));
  CHECK(out.value("nats_probe_requests_total", {{"probe", "rtt"}, {"result", "ok"}}) == 2.0);
  CHECK(out.value("nats_probe_requests_total", {{"probe", "rtt"}, {"result", "timeout"}}) == 1.0);
  CHECK(out.value("nats_probe_requests_total", {{"probe", "rtt"}, {"result", "no_responders"}}) == 0.0);
  CHECK(out.value("nats_probe_requests_total", {{"probe", "rtt"}, {"result", "error"}}) == 0.0);
  CHECK(out.count("nats_probe_requests_total") == 4);  // only the request probe has them
  CHECK(out.value("nats_probe_request_duration_seconds", {{"probe", "rtt"}}) == 2.0);  // the count
  CHECK(out.value("nats_probe_jetstream_publishes_total", {{"probe", "js"}, {"result", "no_stream"}}) == 4.0);
  CHECK(out.value("nats_probe_jetstream_publish_duration_seconds", {{"probe", "js"}}) == 1.0);
  const Labels sub = {{"probe", "rtt"}, {"subject", "_nats_exporter.probe.h.rtt"}};
  CHECK(out.value("nats_probe_subscription_pending_messages", sub) == 5.0);
  CHECK(out.value("nats_probe_subscription_pending_bytes", sub) == 640.0);
  CHECK(out.value("nats_probe_subscription_pending_limit_messages", sub) == 10.0);
  CHECK(out.value("nats_probe_subscription_pending_limit_bytes", sub) == 4096.0);
  CHECK(out.value("nats_probe_subscription_dropped_messages_total", sub) == 7.0);
  const Labels cl = {{"probe", "watch"}, {"stream", "ORDERS"}, {"consumer", "processor"}};
  CHECK(out.value("nats_probe_consumer_pending_messages", cl) == 900.0);
  CHECK(out.value("nats_probe_consumer_ack_pending_messages", cl) == 100.0);
  CHECK(out.value("nats_probe_consumer_redelivered_messages", cl) == 3.0);
  CHECK(out.value("nats_probe_consumer_waiting_pulls", cl) == 1.0);
  CHECK(out.count("nats_probe_consumer_pending_messages") == 1);
  CHECK(out.value("nats_probe_consumer_info_requests_total", {{"probe", "watch-down"}, {"result", "timeout"}}) == 1.0);
  CHECK(out.value("nats_probe_client_in_messages_total", {{"probe", "rtt"}}) == 10.0);
  CHECK(out.value("nats_probe_client_out_messages_total", {{"probe", "rtt"}}) == 11.0);
  CHECK(out.value("nats_probe_client_in_bytes_total", {{"probe", "rtt"}}) == 1280.0);
  CHECK(out.value("nats_probe_client_out_bytes_total", {{"probe", "rtt"}}) == 1408.0);

  const std::string text = to_text_exposition(out.take());
  CHECK(text.find("# TYPE nats_probe_request_duration_seconds histogram") != std::string::npos);
  CHECK(text.find("nats_probe_request_duration_seconds_bucket{probe=\"rtt\",le=\"0.0001\"} 1") != std::string::npos);
  CHECK(text.find("nats_probe_request_duration_seconds_bucket{probe=\"rtt\",le=\"0.001\"} 2") != std::string::npos);
  CHECK(text.find("nats_probe_request_duration_seconds_bucket{probe=\"rtt\",le=\"+Inf\"} 2") != std::string::npos);
  CHECK(text.find("nats_probe_request_duration_seconds_sum{probe=\"rtt\"} 0.00055") != std::string::npos);
  CHECK(text.find("nats_probe_jetstream_publish_duration_seconds_bucket{probe=\"js\",le=\"0.001\"} 0") !=
        std::string::npos);
  CHECK(text.find("# TYPE nats_probe_reconnects_total counter") != std::string::npos);
}

TEST_CASE("probe snapshot: no probes, no families") {
  MetricSet out;
  add_probe_metrics({}, out);
  CHECK(out.take().empty());
}
