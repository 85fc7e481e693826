"""The JetStream probes against a real nats-server with JetStream:

- consumer-watch on a durable consumer with exactly 900 messages pending and 100 delivered but not
  acknowledged reports 900 and 100 (and 0 redelivered, 0 waiting pulls); a consumer that does not
  exist counts not_found and shows no backlog series;
- jetstream-publish records acknowledgement latencies into a stream, and against a subject no
  stream captures counts failures (result="no_stream"), with no latency samples.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import assert_clean_exit, histogram, probe_exporter, promtool_ok, value, wait_metric  # noqa: E402

HOUR_NS = 3600 * 10**9
PUBLISHES = "nats_probe_jetstream_publishes_total"
PUBLISH_DURATION = "nats_probe_jetstream_publish_duration_seconds"


class JetStreamProbes(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_server("n1", jetstream=True)
        c = cls.client = cls.raw_client(cls.server.port, name="setup")
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.ORDERS",
                          {"name": "ORDERS", "subjects": ["orders.>"], "storage": "memory"})
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.PROBE",
                          {"name": "PROBE", "subjects": ["probe.js.>"], "storage": "file", "max_msgs": 1000,
                           "discard": "old"})
        for i in range(1000):
            c.pub("orders.new", f"order {i}".encode())
        c.flush()
        harness.wait_until(lambda: harness.js_api(c, "$JS.API.STREAM.INFO.ORDERS")["state"]["messages"] == 1000,
                           what="1000 messages in ORDERS")
        harness.js_api_ok(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.processor",
                          {"stream_name": "ORDERS",
                           "config": {"durable_name": "processor", "ack_policy": "explicit", "ack_wait": HOUR_NS,
                                      "deliver_policy": "all", "max_ack_pending": 10000}})
        # Pull exactly 100 messages and never acknowledge them.
        inbox, sid = harness.raw_inbox()
        c.sub(inbox, sid)
        harness.raw_pub_reply(c, "$JS.API.CONSUMER.MSG.NEXT.ORDERS.processor", inbox,
                              b'{"batch": 100, "no_wait": true}')
        got = 0
        while got < 100:
            m = harness.raw_next_msg(c, timeout=10)
            if m["sid"] == sid and m["data"]:
                got += 1
        info = harness.js_api(c, "$JS.API.CONSUMER.INFO.ORDERS.processor")
        assert info["num_pending"] == 900 and info["num_ack_pending"] == 100, info

        url = cls.server.url
        probes = [
            {"name": "orders-processor", "kind": "consumer-watch", "servers": [url], "stream": "ORDERS",
             "consumer": "processor", "interval": "200ms"},
            {"name": "missing", "kind": "consumer-watch", "servers": [url], "stream": "ORDERS",
             "consumer": "nobody", "interval": "200ms"},
            {"name": "js-write", "kind": "jetstream-publish", "servers": [url], "subject": "probe.js.write",
             "interval": "100ms", "timeout": "2s"},
            {"name": "js-nowhere", "kind": "jetstream-publish", "servers": [url], "subject": "nostream.here",
             "interval": "100ms", "timeout": "1s"},
        ]
        cls.exporter = probe_exporter(cls.server, probes)
        cls.addClassCleanup(cls.exporter.__exit__, None, None, None)
        cls.exporter.start()

    def test_consumer_watch_reports_the_leaders_numbers(self):
        labels = {"probe": "orders-processor", "stream": "ORDERS", "consumer": "processor"}
        e = wait_metric(self.exporter, lambda e: e.has("nats_probe_consumer_pending_messages", **labels),
                        "consumer-watch series")
        self.assertEqual(value(e, "nats_probe_consumer_pending_messages", **labels), 900)
        self.assertEqual(value(e, "nats_probe_consumer_ack_pending_messages", **labels), 100)
        self.assertEqual(value(e, "nats_probe_consumer_redelivered_messages", **labels), 0)
        self.assertEqual(value(e, "nats_probe_consumer_waiting_pulls", **labels), 0)
        self.assertGreaterEqual(value(e, "nats_probe_consumer_info_requests_total", probe="orders-processor",
                                      result="ok"), 1)
        self.assertEqual(value(e, "nats_probe_consumer_info_requests_total", probe="orders-processor",
                               result="error"), 0)

    def test_missing_consumer_is_not_found(self):
        e = wait_metric(self.exporter,
                        lambda e: value(e, "nats_probe_consumer_info_requests_total", 0, probe="missing",
                                        result="not_found") >= 2, "not_found results")
        self.assertEqual(value(e, "nats_probe_consumer_info_requests_total", probe="missing", result="ok"), 0)
        self.assertFalse(e.has("nats_probe_consumer_pending_messages", probe="missing"))

    def test_publish_records_ack_latency(self):
        e = wait_metric(self.exporter, lambda e: value(e, PUBLISHES, 0, probe="js-write", result="ok") >= 10,
                        "acknowledged publishes")
        buckets, count, total = histogram(e, PUBLISH_DURATION, probe="js-write")
        ok = value(e, PUBLISHES, probe="js-write", result="ok")
        self.assertGreaterEqual(count, 10)
        self.assertLessEqual(abs(count - ok), 1)  # the two are read from one snapshot
        self.assertEqual(buckets[-2][1], count, "every ack latency inside the buckets")
        self.assertGreater(total, 0)
        self.assertLess(total / count, 0.5, "mean ack latency on loopback")
        for result in ("timeout", "no_stream", "error"):
            self.assertEqual(value(e, PUBLISHES, probe="js-write", result=result), 0, result)
        # The stream did store them.
        stored = harness.js_api(self.client, "$JS.API.STREAM.INFO.PROBE")["state"]["messages"]
        self.assertGreaterEqual(stored, count)
        self.assertEqual(e.types[PUBLISH_DURATION], "histogram")
        promtool_ok(self, e.text)

    def test_zz_clean_shutdown(self):
        # Runs last (unittest sorts by name): all four probes drain and close, exit code 0.
        assert_clean_exit(self, self.exporter)

    def test_publish_without_stream_counts_failures(self):
        e = wait_metric(self.exporter, lambda e: value(e, PUBLISHES, 0, probe="js-nowhere", result="no_stream") >= 3,
                        "no_stream results")
        self.assertEqual(value(e, PUBLISHES, probe="js-nowhere", result="ok"), 0)
        self.assertEqual(histogram(e, PUBLISH_DURATION, probe="js-nowhere")[1], 0)
        self.assertIn('probe=js-nowhere action="jetstream publish" result=no_stream', self.exporter.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
