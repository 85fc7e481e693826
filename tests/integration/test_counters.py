"""The server's traffic counters: typed counter, named *_total, and they move with real traffic.

A raw client publishes N messages to a raw subscriber between two scrapes; the message and byte
counters grow by at least that much and match the server's own /varz exactly once traffic stops.
A subscriber that never reads is then cut off as a slow consumer, and the counter shows it.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

N = 2000
PAYLOAD = b"x" * 100

COUNTERS = {  # exporter counter -> /varz field
    "nats_server_messages_received_total": "in_msgs",
    "nats_server_messages_sent_total": "out_msgs",
    "nats_server_bytes_received_total": "in_bytes",
    "nats_server_bytes_sent_total": "out_bytes",
    "nats_server_connections_total": "total_connections",
    "nats_server_slow_consumers_total": "slow_consumers",
}


class ServerCounters(unittest.TestCase):
    def setUp(self):
        # A small max_pending (max_payload may not exceed it) and a short write deadline, so a
        # subscriber that stops reading is a slow consumer within a second.
        self.server = harness.NatsServer("n1", jetstream=False,
                                         extra_conf='max_pending: 256KB\nmax_payload: 64KB\nwrite_deadline: "500ms"\n')
        self.addCleanup(self.server.__exit__, None, None, None)
        self.server.start()
        self.exporter = harness.Exporter([f"--nats.url={self.server.monitor_url}", "--collectors=varz",
                                          "--scrape.timeout=5s"])
        self.addCleanup(self.exporter.__exit__, None, None, None)
        self.exporter.start()

    def client(self, name):
        c = harness.RawNatsClient(self.server.port, name=name)
        self.addCleanup(c.close)
        return c

    def counters(self):
        expo = self.exporter.scrape()
        self.assertEqual(expo.value("nats_exporter_collector_success", collector="varz"), 1.0)
        for name in COUNTERS:
            self.assertEqual(expo.types.get(name), "counter", f"# TYPE of {name}")
        return {name: expo.value(name, server_name="n1") for name in COUNTERS}

    def assert_matches_varz(self, got):
        varz = self.server.varz()
        self.assertEqual(got, {name: float(varz[field]) for name, field in COUNTERS.items()})

    def test_traffic_moves_the_counters(self):
        sub = self.client("subscriber")
        sub.sub("traffic.>", "1")
        sub.flush()
        pub = self.client("publisher")
        before = self.counters()
        self.assert_matches_varz(before)  # the server is quiet: the scrape is exactly /varz

        for i in range(N):
            pub.pub(f"traffic.{i % 7}", PAYLOAD)
        pub.flush()
        for _ in range(N):
            m = harness.raw_next_msg(sub, timeout=10)
            self.assertEqual(m["data"], PAYLOAD)

        after = self.counters()
        self.assert_matches_varz(after)
        delta = {k: after[k] - before[k] for k in COUNTERS}
        self.assertGreaterEqual(delta["nats_server_messages_received_total"], N)
        self.assertGreaterEqual(delta["nats_server_messages_sent_total"], N)
        self.assertGreaterEqual(delta["nats_server_bytes_received_total"], N * len(PAYLOAD))
        self.assertGreaterEqual(delta["nats_server_bytes_sent_total"], N * len(PAYLOAD))
        # Messages are not bytes: with 100-byte payloads the message counters grow far less.
        self.assertLess(delta["nats_server_messages_received_total"], 2 * N)
        self.assertEqual(delta["nats_server_connections_total"], 0)
        self.assertEqual(after["nats_server_connections_total"], 2)
        self.assertEqual(after["nats_server_slow_consumers_total"], 0)

    def test_slow_consumer_is_counted(self):
        slow = self.client("slow")
        slow.sub("firehose", "1")
        slow.flush()
        pub = self.client("flood")
        before = self.counters()
        self.assertEqual(before["nats_server_slow_consumers_total"], 0)
        big = b"y" * 8192
        # Never read on `slow`: the server's pending bytes for it pass max_pending.
        for i in range(4000):  # 32 MB, far beyond socket buffers plus 256 KB
            pub.pub("firehose", big)
            if i % 200 == 0:
                pub.flush()
                if self.server.varz()["slow_consumers"] > 0:
                    break
        pub.flush()
        harness.wait_until(lambda: self.server.varz()["slow_consumers"] >= 1, 10, what="a slow consumer")
        after = self.counters()
        self.assertGreaterEqual(after["nats_server_slow_consumers_total"], 1)
        self.assertEqual(after["nats_server_slow_consumers_total"], self.server.varz()["slow_consumers"])
        self.assertGreater(after["nats_server_messages_received_total"], before["nats_server_messages_received_total"])


if __name__ == "__main__":
    unittest.main()
