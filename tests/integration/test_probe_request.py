"""The request probe against a real nats-server:

- at 20 requests/s for 3 s the latency histogram's count rises by about 60, every sample is inside
  the finite buckets, and the mean (_sum/_count) is below 5 ms on loopback;
- pointed at a subject nobody answers, it counts no_responders (and keeps running);
- pointed at a deliberately slow responder, it counts timeouts.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import histogram, probe_exporter, promtool_ok, value, wait_metric  # noqa: E402

DURATION = "nats_probe_request_duration_seconds"
REQUESTS = "nats_probe_requests_total"


class RequestProbe(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_server("n1", jetstream=False)
        cls.late = cls.responder(cls.server.port, "slow.service", delay=0.3, name="late-responder")
        probes = [
            {"name": "rtt", "kind": "request", "servers": [cls.server.url], "interval": "50ms", "timeout": "1s"},
            {"name": "nobody", "kind": "request", "servers": [cls.server.url], "subject": "nobody.listens",
             "interval": "100ms", "timeout": "1s"},
            {"name": "slow", "kind": "request", "servers": [cls.server.url], "subject": "slow.service",
             "interval": "200ms", "timeout": "100ms"},
        ]
        cls.exporter = probe_exporter(cls.server, probes)
        cls.addClassCleanup(cls.exporter.__exit__, None, None, None)
        cls.exporter.start()

    def test_rate_and_histogram(self):
        wait_metric(self.exporter, lambda e: value(e, REQUESTS, 0, probe="rtt", result="ok") >= 5,
                    "the rtt probe's first samples")
        e0 = self.exporter.scrape()
        t0 = time.monotonic()
        time.sleep(3.0)
        e1 = self.exporter.scrape()
        elapsed = time.monotonic() - t0
        _, c0, _ = histogram(e0, DURATION, probe="rtt")
        buckets, c1, total = histogram(e1, DURATION, probe="rtt")
        rose = c1 - c0
        expected = elapsed * 20
        print(f"histogram count rose by {rose:.0f} in {elapsed:.2f}s (expected ~{expected:.0f}); "
              f"mean {total / c1 * 1e3:.3f} ms over {c1:.0f} samples")
        self.assertGreaterEqual(rose, expected * 0.85)
        self.assertLessEqual(rose, expected * 1.1 + 1)
        # Every request succeeded and was recorded.
        self.assertEqual(value(e1, REQUESTS, probe="rtt", result="ok"), c1)
        for result in ("timeout", "no_responders", "error"):
            self.assertEqual(value(e1, REQUESTS, probe="rtt", result=result), 0, result)
        # The buckets: the documented defaults, cumulative, and every sample below the highest bound.
        les = [le for le, _ in buckets]
        self.assertEqual(les, [25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3,
                               100e-3, 250e-3, 500e-3, 1.0, 2.5, 5.0, 10.0, float("inf")])
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts))
        self.assertEqual(buckets[-1][1], c1)
        self.assertEqual(buckets[-2][1], c1, "samples above the highest finite bucket")
        self.assertLess(total / c1, 0.005, "mean request latency on loopback")
        self.assertEqual(e1.types[DURATION], "histogram")
        self.assertEqual(e1.types[REQUESTS], "counter")
        # RTT is sampled and plausible, the connection is up, traffic is counted.
        rtt = value(e1, "nats_probe_rtt_seconds", probe="rtt")
        self.assertGreater(rtt, 0)
        self.assertLess(rtt, 0.05)
        self.assertEqual(value(e1, "nats_probe_connected", probe="rtt"), 1)
        self.assertGreaterEqual(value(e1, "nats_probe_client_out_messages_total", probe="rtt"), c1)
        self.assertGreaterEqual(value(e1, "nats_probe_client_in_bytes_total", probe="rtt"), c1 * 128)
        promtool_ok(self, e1.text)

    def test_no_responders(self):
        e = wait_metric(self.exporter, lambda e: value(e, REQUESTS, 0, probe="nobody", result="no_responders") >= 3,
                        "no_responders results")
        self.assertEqual(value(e, REQUESTS, probe="nobody", result="ok"), 0)
        self.assertEqual(value(e, REQUESTS, probe="nobody", result="timeout"), 0)
        self.assertEqual(histogram(e, DURATION, probe="nobody")[1], 0)
        self.assertEqual(value(e, "nats_probe_connected", probe="nobody"), 1)
        # No responder subscription of its own for a probe pointed at a service subject.
        self.assertFalse(e.has("nats_probe_subscription_pending_messages", probe="nobody"))
        self.assertIsNone(self.exporter.proc.poll(), "the exporter must keep running")

    def test_slow_responder_times_out(self):
        e = wait_metric(self.exporter, lambda e: value(e, REQUESTS, 0, probe="slow", result="timeout") >= 3,
                        "timeouts against the slow responder")
        self.assertEqual(value(e, REQUESTS, probe="slow", result="ok"), 0)
        self.assertEqual(histogram(e, DURATION, probe="slow")[1], 0, "timeouts are not latency samples")
        self.assertGreaterEqual(self.late.answered, 1, "the slow responder did answer, too late")


if __name__ == "__main__":
    unittest.main(verbosity=2)
