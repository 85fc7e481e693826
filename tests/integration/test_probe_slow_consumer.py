"""A probe subscription with small pending limits, flooded: the client reports a slow consumer
(nats_probe_async_errors_total{kind="slow_consumer"} goes up, once per episode) and the
subscription's dropped counter goes up. The watched subscription is the request probe's built-in
responder; a raw publisher floods its subject with messages that carry no reply subject. The probe
keeps measuring afterwards.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import assert_clean_exit, histogram, probe_exporter, promtool_ok, value, wait_metric  # noqa: E402

SUBJECT = "probe.flooded"


class ProbeSlowConsumer(unittest.TestCase):
    def test_flooded_subscription(self):
        server = harness.NatsServer("n1", jetstream=False).start()
        self.addCleanup(server.__exit__, None, None, None)
        probes = [{"name": "flooded", "kind": "request", "servers": [server.url], "subject": SUBJECT,
                   "responder": {"enabled": True}, "interval": "100ms", "timeout": "1s",
                   "pending_limits": {"messages": 10, "bytes": "8KiB"}}]
        exporter = probe_exporter(server, probes)
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        labels = {"probe": "flooded", "subject": SUBJECT}

        e = wait_metric(exporter, lambda e: value(e, "nats_probe_requests_total", 0, probe="flooded", result="ok") >= 3,
                        "the probe answering itself")
        self.assertEqual(value(e, "nats_probe_subscription_pending_limit_messages", **labels), 10)
        self.assertEqual(value(e, "nats_probe_subscription_pending_limit_bytes", **labels), 8192)
        self.assertEqual(value(e, "nats_probe_subscription_dropped_messages_total", **labels), 0)
        self.assertEqual(value(e, "nats_probe_async_errors_total", probe="flooded", kind="slow_consumer"), 0)

        flooder = harness.RawNatsClient(server.port, name="flooder")
        self.addCleanup(flooder.close)
        payload = b"f" * 512
        chunk = (f"PUB {SUBJECT} {len(payload)}\r\n".encode() + payload + b"\r\n") * 500
        for _ in range(40):  # 20000 messages, 10 MB, as fast as the socket takes them
            flooder.send(chunk)
        flooder.flush()

        e = wait_metric(exporter,
                        lambda e: value(e, "nats_probe_subscription_dropped_messages_total", **labels) > 0 and
                        value(e, "nats_probe_async_errors_total", probe="flooded", kind="slow_consumer") >= 1,
                        "slow_consumer error and dropped messages")
        dropped = value(e, "nats_probe_subscription_dropped_messages_total", **labels)
        episodes = value(e, "nats_probe_async_errors_total", probe="flooded", kind="slow_consumer")
        print(f"dropped {dropped:.0f} of 20000 flooded messages in {episodes:.0f} slow-consumer episode(s)")
        self.assertLessEqual(dropped, 20000)
        self.assertLess(episodes, dropped, "slow_consumer is reported per episode, not per dropped message")
        self.assertEqual(e.types["nats_probe_subscription_dropped_messages_total"], "counter")
        self.assertIn('msg="probe asynchronous error" probe=flooded kind=slow_consumer', exporter.output())

        # The probe goes on measuring after the flood.
        count = histogram(e, "nats_probe_request_duration_seconds", probe="flooded")[1]
        e = wait_metric(exporter, lambda e: histogram(e, "nats_probe_request_duration_seconds",
                                                      probe="flooded")[1] >= count + 3, "samples after the flood")
        self.assertEqual(value(e, "nats_probe_connected", probe="flooded"), 1)
        promtool_ok(self, e.text)
        assert_clean_exit(self, exporter)


if __name__ == "__main__":
    unittest.main(verbosity=2)
