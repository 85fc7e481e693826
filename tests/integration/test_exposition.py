"""The full exposition with every collector on, against a real JetStream server holding a stream and
a consumer: promtool accepts it without a single remark, counters are named *_total, gzip works,
every collector succeeds and the target is up.
"""
import gzip
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

# The collectors on by default (collectors/registry.cpp).
DEFAULT_COLLECTORS = {"varz", "connz", "routez", "gatewayz", "leafz", "subsz", "accstatz", "jsz", "healthz"}
STREAM_MSGS = 25
FETCHED = 5


class FullExposition(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_server("n1")
        c = cls.client = cls.raw_client(cls.server.port, name="exposition-test")
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.ORDERS",
                          {"name": "ORDERS", "subjects": ["orders.>"], "storage": "file", "num_replicas": 1})
        for i in range(STREAM_MSGS):
            c.pub(f"orders.new.{i % 3}", b'{"id": %d}' % i)
        c.flush()
        harness.js_api_ok(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.processor",
                          {"stream_name": "ORDERS",
                           "config": {"durable_name": "processor", "ack_policy": "explicit",
                                      "ack_wait": 60 * 10**9}})
        # Take a few without acking them, so the consumer has ack-pending messages too.
        inbox, sid = harness.raw_inbox()
        c.sub(inbox, sid)
        harness.raw_pub_reply(c, "$JS.API.CONSUMER.MSG.NEXT.ORDERS.processor", inbox,
                              '{"batch": %d, "expires": 5000000000}' % FETCHED)
        for _ in range(FETCHED):
            harness.raw_next_msg(c)
        c.sub("orders.watch.>", "w1")  # a plain subscription as well
        c.flush()
        info = harness.js_api(c, "$JS.API.CONSUMER.INFO.ORDERS.processor")
        assert (info["num_pending"], info["num_ack_pending"]) == (STREAM_MSGS - FETCHED, FETCHED), info
        cls.exporter = cls.start_exporter([f"--nats.url={cls.server.monitor_url}", "--scrape.timeout=5s"])
        cls.expo = cls.exporter.scrape()

    def test_promtool_accepts_everything(self):
        code, output = harness.promtool_check_metrics(self.expo.text)
        self.assertEqual(code, 0, f"promtool exit {code}:\n{output}")
        self.assertEqual([line for line in output.splitlines() if line.strip()], [], output)

    def test_counters_end_in_total(self):
        counters = [name for name, kind in self.expo.types.items() if kind == "counter"]
        self.assertIn("nats_server_messages_received_total", counters)
        self.assertEqual([n for n in counters if not n.endswith("_total")], [])
        # Every family that has samples is declared, with HELP.
        for name in self.expo.names():
            family = name
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[: -len(suffix)] in self.expo.types:
                    family = name[: -len(suffix)]
            self.assertIn(family, self.expo.types, f"{name} has no # TYPE")
            self.assertTrue(self.expo.help.get(family), f"{family} has no HELP text")

    def test_every_collector_succeeds_and_target_up(self):
        success = {l["collector"]: v for l, v in self.expo.series("nats_exporter_collector_success")}
        self.assertTrue(DEFAULT_COLLECTORS <= set(success), f"collectors reported: {sorted(success)}")
        failed = {c: v for c, v in success.items() if v != 1.0}
        self.assertEqual(failed, {}, f"failed collectors; exporter log:\n{self.exporter.output()[-3000:]}")
        self.assertEqual([v for _, v in self.expo.series("nats_up")], [1.0])
        durations = {l["collector"]: v for l, v in self.expo.series("nats_exporter_collector_duration_seconds")}
        self.assertEqual(set(durations), set(success))
        for c, v in durations.items():
            self.assertTrue(0 <= v < 5, f"{c} took {v}s")

    def test_values_from_the_server(self):
        self.assertEqual(self.expo.value("nats_jetstream_stream_messages", stream="ORDERS"), STREAM_MSGS)
        self.assertEqual(self.expo.value("nats_jetstream_consumer_pending_messages", stream="ORDERS",
                                         consumer="processor"), STREAM_MSGS - FETCHED)
        self.assertEqual(self.expo.value("nats_jetstream_consumer_ack_pending_messages", stream="ORDERS",
                                         consumer="processor"), FETCHED)
        healthy = self.expo.series("nats_server_healthy")
        self.assertTrue(healthy)
        self.assertEqual({v for _, v in healthy}, {1.0}, healthy)
        info = self.expo.series("nats_server_info")
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0][0].get("server_id"), self.server.varz()["server_id"])
        # Every server-derived series names its server (self-metrics, probe and doctor are not
        # server-derived).
        for name, labels, _ in self.expo.samples:
            if name == "nats_up" or name.startswith(("nats_exporter_", "nats_probe_", "nats_doctor_")):
                continue
            self.assertEqual(labels.get("server_name"), "n1", f"{name}{labels}")
            self.assertIn("cluster", labels, f"{name}{labels}")

    def test_gzip(self):
        status, headers, body = harness.http_get(self.exporter.base + "/metrics",
                                                 headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("Content-Encoding"), "gzip")
        text = gzip.decompress(body).decode()
        self.assertLess(len(body), len(text))
        expo = harness.Exposition(text)
        self.assertEqual(expo.value("nats_jetstream_stream_messages", stream="ORDERS"), STREAM_MSGS)
        code, output = harness.promtool_check_metrics(text)
        self.assertEqual((code, output.strip()), (0, ""))
        # Without Accept-Encoding the body is plain text.
        status, headers, body = harness.http_get(self.exporter.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertNotIn("Content-Encoding", headers)
        self.assertTrue(body.startswith(b"# HELP ") or body.startswith(b"# TYPE "), body[:80])
        self.assertTrue(headers.get("Content-Type", "").startswith("text/plain"), headers)


if __name__ == "__main__":
    unittest.main()
