"""The probe across a server restart: when nats-server stops, nats_probe_connected drops to 0,
disconnects_total goes up and requests count as errors or timeouts; when it starts again on the
same port, reconnects_total goes up, connected is 1 and latency samples resume. /metrics keeps
answering throughout.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import assert_clean_exit, histogram, probe_exporter, value, wait_metric  # noqa: E402

DURATION = "nats_probe_request_duration_seconds"
REQUESTS = "nats_probe_requests_total"


def failures(e):
    return sum(value(e, REQUESTS, probe="rtt", result=r) for r in ("error", "timeout", "no_responders"))


class ProbeReconnect(unittest.TestCase):
    def test_stop_and_restart_on_the_same_port(self):
        server = harness.NatsServer("n1", jetstream=False).start()
        self.addCleanup(server.__exit__, None, None, None)
        probes = [{"name": "rtt", "kind": "request", "servers": [server.url], "interval": "100ms", "timeout": "500ms",
                   "connection": {"reconnect_wait": "200ms", "reconnect_jitter": "50ms", "ping_interval": "1s"}}]
        exporter = probe_exporter(server, probes)
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()

        up = wait_metric(exporter, lambda e: value(e, REQUESTS, 0, probe="rtt", result="ok") >= 5, "first samples")
        self.assertEqual(value(up, "nats_probe_connected", probe="rtt"), 1)
        self.assertEqual(value(up, "nats_probe_disconnects_total", probe="rtt"), 0)
        self.assertEqual(value(up, "nats_probe_reconnects_total", probe="rtt"), 0)
        failures_before = failures(up)

        server.stop()
        down = wait_metric(exporter, lambda e: value(e, "nats_probe_connected", probe="rtt") == 0, "connected 0")
        self.assertGreaterEqual(value(down, "nats_probe_disconnects_total", probe="rtt"), 1)
        self.assertFalse(down.has("nats_probe_rtt_seconds", probe="rtt"), "no RTT presented while disconnected")
        down = wait_metric(exporter, lambda e: failures(e) >= failures_before + 3,
                           "requests counted as errors or timeouts while the server is down")
        count_down = histogram(down, DURATION, probe="rtt")[1]
        time.sleep(0.5)
        still_down = exporter.scrape()
        self.assertEqual(histogram(still_down, DURATION, probe="rtt")[1], count_down,
                         "no latency samples while the server is down")
        self.assertEqual(value(still_down, "nats_probe_reconnects_total", probe="rtt"), 0)

        # The same ports and directory: a restart, not a new server.
        again = harness.NatsServer("n1", jetstream=False, port=server.port, http_port=server.http_port,
                                   workdir=server.workdir).start()
        self.addCleanup(again.stop)
        back = wait_metric(exporter, lambda e: value(e, "nats_probe_reconnects_total", probe="rtt") >= 1,
                           "reconnects_total to go up", timeout=30)
        back = wait_metric(exporter, lambda e: histogram(e, DURATION, probe="rtt")[1] >= count_down + 5,
                           "latency samples to resume")
        self.assertEqual(value(back, "nats_probe_connected", probe="rtt"), 1)
        self.assertEqual(value(back, "nats_probe_disconnects_total", probe="rtt"), 1)
        self.assertGreater(value(back, "nats_probe_rtt_seconds", probe="rtt"), 0)
        out = exporter.output()
        self.assertIn('msg="probe disconnected, reconnecting" probe=rtt', out)
        self.assertIn('msg="probe reconnected" probe=rtt', out)

        # Shut down while the server is gone again: the probe is reconnecting and must still stop
        # promptly and cleanly.
        again.stop()
        wait_metric(exporter, lambda e: value(e, "nats_probe_connected", probe="rtt") == 0, "connected 0 again")
        t0 = time.monotonic()
        assert_clean_exit(self, exporter)
        self.assertLess(time.monotonic() - t0, 8, "shutdown with a reconnecting probe")
        self.assertIn('msg="probe stopped" probe=rtt', exporter.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
