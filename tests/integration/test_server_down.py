"""NATS down: /metrics still answers within the deadline, nats_up and every collector say 0, and no
series of the server is presented (no stale values). When the server comes back on the same ports
the exporter reports it again, with the new server_id.
"""
import os
import signal
import sys
import tempfile
import shutil
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

DEADLINE = 2.0   # scrape.timeout in the config file
MARGIN = 1.5     # slack for a shared 2-core machine
TARGET = "main"  # the target's name: the `server` label of the self-metrics


class ServerDown(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="natsexp-down-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.server = harness.NatsServer("n1", workdir=os.path.join(self.dir, "nats"))
        os.makedirs(self.server.workdir)
        self.addCleanup(self.server.stop)
        self.server.start()
        config = harness.write_exporter_config(os.path.join(self.dir, "exporter.yaml"),
                                               [{"name": TARGET, "url": self.server.monitor_url}],
                                               scrape_timeout="2s")
        self.exporter = harness.Exporter([f"--config.file={config}"])
        self.addCleanup(self.exporter.__exit__, None, None, None)
        self.exporter.start()

    def scrape(self):
        seconds, expo = harness.timed_scrape(self.exporter, timeout=30)
        self.assertLess(seconds, DEADLINE + MARGIN, "the scrape overran its deadline")
        return expo

    def server_series(self, expo):
        # The self-metrics (nats_up, nats_exporter_*) carry the last known identity too, and must stay.
        return [(n, l, v) for n, l, v in expo.samples
                if "server_name" in l and not n.startswith(("nats_up", "nats_exporter_"))]

    def collectors(self, expo):
        return {l["collector"]: v for l, v in expo.series("nats_exporter_collector_success", server=TARGET)}

    def assert_up(self, expo):
        self.assertEqual(expo.value("nats_up", server=TARGET), 1.0)
        success = self.collectors(expo)
        self.assertIn("varz", success)
        self.assertEqual({c for c, v in success.items() if v != 1.0}, set(),
                         f"failed collectors: {success}\n{self.exporter.output()[-2000:]}")
        self.assertEqual(expo.value("nats_server_connections", server_name="n1"),
                         float(self.server.varz()["connections"]))

    def test_down_and_back(self):
        expo = self.scrape()
        self.assert_up(expo)
        first_id = expo.series("nats_server_info", server_name="n1")[0][0]["server_id"]
        self.assertEqual(first_id, self.server.varz()["server_id"])
        self.assertGreater(len(self.server_series(expo)), 10)

        self.server.stop()
        for _ in range(2):  # not once by luck: every scrape while it is down
            expo = self.scrape()
            self.assertEqual(expo.value("nats_up", server=TARGET), 0.0)
            success = self.collectors(expo)
            self.assertIn("varz", success)
            self.assertEqual(set(success.values()), {0.0}, success)
            self.assertEqual(self.server_series(expo), [], "series of a server that is down")
            # The exporter's own metrics are still served.
            self.assertTrue(expo.series("nats_exporter_collector_duration_seconds", server=TARGET))

        self.server.start()  # same ports, same store
        def back():
            e = self.scrape()
            return e if e.value("nats_up", server=TARGET) == 1.0 and self.server_series(e) else None
        expo = harness.wait_until(back, 20, interval=0.3, what="the server's series back")
        self.assert_up(expo)
        info = expo.series("nats_server_info", server_name="n1")
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0][0]["server_id"], self.server.varz()["server_id"])
        self.assertNotEqual(info[0][0]["server_id"], first_id)

    def test_hung_server_is_cut_by_the_deadline(self):
        # A server that is stopped (SIGSTOP) accepts TCP connections but never answers.
        self.assert_up(self.scrape())
        os.kill(self.server.proc.pid, signal.SIGSTOP)
        try:
            expo = self.scrape()
            self.assertEqual(expo.value("nats_up", server=TARGET), 0.0)
            self.assertEqual(set(self.collectors(expo).values()), {0.0})
            self.assertEqual(self.server_series(expo), [])
        finally:
            os.kill(self.server.proc.pid, signal.SIGCONT)
        expo = harness.wait_until(lambda: (lambda e: e if e.value("nats_up", server=TARGET) == 1.0 else None)(
            self.scrape()), 20, interval=0.3, what="nats_up 1 after SIGCONT")
        self.assert_up(expo)


if __name__ == "__main__":
    unittest.main()
