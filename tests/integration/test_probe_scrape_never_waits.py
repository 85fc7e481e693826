"""A scrape never waits on the probes' network: while one probe is stuck connecting to a peer that
accepts TCP but never speaks NATS, and another waits for a reply that never comes, /metrics still
answers at once with the probes' last snapshot. Shutdown does not wait for a blocked request's
whole timeout: after a second's grace the probe's connection is closed under it.
"""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import probe_exporter, value, wait_metric  # noqa: E402


class MuteListener:
    """Accepts TCP connections and never sends anything (a NATS client waits for INFO)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


class ScrapeNeverWaits(unittest.TestCase):
    def test_stuck_probes_do_not_delay_scrapes(self):
        server = harness.NatsServer("n1", jetstream=False).start()
        self.addCleanup(server.__exit__, None, None, None)
        mute = MuteListener()
        self.addCleanup(mute.close)
        # A subscriber that never answers: the request waits for its whole timeout.
        silent = harness.RawNatsClient(server.port, name="silent")
        silent.sub("silent.service", "1")
        silent.flush()
        self.addCleanup(silent.close)
        probes = [
            {"name": "stuck-connect", "kind": "request", "servers": [f"nats://127.0.0.1:{mute.port}"],
             "interval": "1s", "connection": {"connect_timeout": "2s", "reconnect_wait": "100ms"}},
            {"name": "waiting-reply", "kind": "request", "servers": [server.url], "subject": "silent.service",
             "interval": "100ms", "timeout": "4s"},
        ]
        exporter = probe_exporter(server, probes)
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        time.sleep(0.3)  # both probes are now blocked in nats.c: connecting, and waiting for a reply
        slowest = 0.0
        for _ in range(10):
            t0 = time.monotonic()
            e = exporter.scrape()
            slowest = max(slowest, time.monotonic() - t0)
            self.assertEqual(value(e, "nats_probe_connected", probe="stuck-connect"), 0)
            self.assertEqual(value(e, "nats_probe_connected", probe="waiting-reply"), 1)
            time.sleep(0.1)
        print(f"slowest of 10 scrapes while the probes are blocked: {slowest * 1000:.1f} ms")
        self.assertLess(slowest, 0.5)
        e = wait_metric(exporter, lambda e: value(e, "nats_probe_requests_total", probe="waiting-reply",
                                                  result="timeout") >= 1, "the first timeout", timeout=15)
        self.assertEqual(value(e, "nats_probe_requests_total", probe="waiting-reply", result="ok"), 0)
        # Shutdown while the request probe is blocked in its next 4s wait: about 1s of grace, then
        # its connection is closed under it (the connecting probe is bounded by its 2s timeout).
        time.sleep(1.0)
        t0 = time.monotonic()
        code = exporter.stop()
        took = time.monotonic() - t0
        print(f"shutdown took {took:.2f}s")
        self.assertEqual(code, 0, exporter.output()[-3000:])
        self.assertLess(took, 3.5)
        self.assertIn('msg="probe stopped" probe=waiting-reply', exporter.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
