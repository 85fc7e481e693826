"""Reload (SIGHUP, POST /-/reload) and shutdown (SIGTERM) with real nats-servers and probes.

- A valid new config takes effect: a new target appears, the probe whose settings changed is
  restarted (its counters start again, it connects to its new server), an unchanged probe keeps
  running (its counters keep growing), a removed probe's series go away.
- An invalid config keeps the old one running, says why (HTTP 500 body and the log, file:line), and
  sets nats_exporter_config_last_reload_successful 0 until a good reload.
- SIGTERM during a slow scrape: the listener closes at once (new connections refused), the scrape
  in flight is answered in full, the probe connections are closed, the process exits 0 quickly.
"""
import http.server
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import value, wait_metric  # noqa: E402

OK = "nats_exporter_config_last_reload_successful"
STAMP = "nats_exporter_config_last_reload_success_timestamp_seconds"
REQUESTS = "nats_probe_requests_total"


def post(url, timeout=30):
    req = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def connections(server):
    return server.varz()["connections"]


class Reload(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="natsexp-reload-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.n1 = harness.NatsServer("n1", jetstream=False)
        self.addCleanup(self.n1.__exit__, None, None, None)
        self.n1.start()
        self.n2 = harness.NatsServer("n2", jetstream=False)
        self.addCleanup(self.n2.__exit__, None, None, None)
        self.n2.start()
        self.config = os.path.join(self.dir, "exporter.yaml")

    def write(self, targets, probes, extra=None):
        doc = {"collectors": ["varz"],
               "targets": [{"name": t.name, "url": t.monitor_url} for t in targets],
               "probes": [{"name": name, "kind": "request", "servers": [server.url], "interval": interval,
                           "timeout": "1s"} for name, server, interval in probes]}
        doc.update(extra or {})
        with open(self.config, "w") as f:
            f.write(json.dumps(doc, indent=2) + "\n")

    def test_reload_applies_a_good_config_and_keeps_the_old_on_a_bad_one(self):
        self.write([self.n1], [("moving", self.n1, "50ms"), ("steady", self.n1, "50ms"), ("leaving", self.n1, "50ms")])
        exporter = harness.Exporter([f"--config.file={self.config}"])
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        e = wait_metric(exporter, lambda x: all(value(x, REQUESTS, 0, probe=p, result="ok") >= 10
                                                for p in ("moving", "steady", "leaving")), "three probes running")
        self.assertEqual(value(e, OK), 1)
        stamp0 = value(e, STAMP)
        self.assertFalse(e.has("nats_up", server="n2"))
        self.assertEqual(connections(self.n2), 0)
        time.sleep(1.1)  # the success timestamp has one-second resolution at worst

        # A good config: n2 added, "moving" now probes n2 (restarted), "steady" unchanged, "leaving" gone.
        self.write([self.n1, self.n2], [("moving", self.n2, "50ms"), ("steady", self.n1, "50ms")])
        steady_before = value(exporter.scrape(), REQUESTS, probe="steady", result="ok")
        moving_before = value(exporter.scrape(), REQUESTS, probe="moving", result="ok")
        os.kill(exporter.proc.pid, signal.SIGHUP)
        e = wait_metric(exporter, lambda x: x.has("nats_up", server="n2"), "the new target after SIGHUP")
        self.assertEqual(value(e, "nats_up", server="n2"), 1)
        self.assertEqual(value(e, OK), 1)
        self.assertGreater(value(e, STAMP), stamp0)
        self.assertFalse(e.has(REQUESTS, probe="leaving"), "a removed probe's series are gone")
        harness.wait_until(lambda: connections(self.n2) == 1, 10, what="the restarted probe on n2")
        self.assertLess(value(e, REQUESTS, probe="moving", result="ok"), moving_before,
                        "the changed probe was restarted (its counter started again)")
        self.assertGreaterEqual(value(e, REQUESTS, probe="steady", result="ok"), steady_before,
                                "the unchanged probe kept running")
        self.assertIn("configuration reloaded", exporter.output())
        self.assertIn("probes_restarted=1", exporter.output().replace('"', ""))

        # A bad config: kept out, reported, and the old one keeps serving.
        self.write([self.n1], [("moving", self.n1, "50ms")], extra={"scrape": {"timout": "5s"}})
        status, body = post(exporter.base + "/-/reload")
        self.assertEqual(status, 500)
        self.assertIn(f"{self.config}:", body)
        self.assertIn("scrape.timout: unknown key", body)
        e = exporter.scrape()
        self.assertEqual(value(e, OK), 0)
        self.assertEqual(value(e, "nats_up", server="n2"), 1, "the running config is kept")
        self.assertEqual(value(e, "nats_exporter_config_reloads_total", result="failure"), 1)
        os.kill(exporter.proc.pid, signal.SIGHUP)
        harness.wait_until(lambda: value(exporter.scrape(), "nats_exporter_config_reloads_total",
                                         result="failure") == 2, 10, what="the SIGHUP reload to fail too")
        self.assertIn("reload failed, keeping the running configuration", exporter.output())
        self.assertEqual(value(exporter.scrape(), OK), 0)

        # Fixed: back to 1; n2 removed again.
        self.write([self.n1], [("moving", self.n2, "50ms"), ("steady", self.n1, "50ms")])
        status, body = post(exporter.base + "/-/reload")
        self.assertEqual(status, 200, body)
        e = exporter.scrape()
        self.assertEqual(value(e, OK), 1)
        self.assertFalse(e.has("nats_up", server="n2"))
        self.assertEqual(value(e, "nats_exporter_config_reloads_total", result="success"), 2)
        self.assertIsNone(exporter.proc.poll())

    def test_reload_is_get_proof(self):
        self.write([self.n1], [])
        exporter = harness.Exporter([f"--config.file={self.config}"])
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        status, _, _ = harness.http_get(exporter.base + "/-/reload")
        self.assertNotEqual(status, 200, "a GET (a crawler, a link) must not reload")


class SlowVarz(http.server.BaseHTTPRequestHandler):
    """Answers /varz after `delay` seconds with the real server's document."""
    delay = 2.0
    upstream = None
    started = None

    def do_GET(self):  # noqa: N802 - http.server's name
        SlowVarz.started.set()
        body = urllib.request.urlopen(SlowVarz.upstream + "/varz", timeout=10).read()
        time.sleep(SlowVarz.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Shutdown(unittest.TestCase):
    def test_sigterm_finishes_the_scrape_in_flight_and_exits_0(self):
        nats = harness.NatsServer("n1", jetstream=False)
        self.addCleanup(nats.__exit__, None, None, None)
        nats.start()
        SlowVarz.upstream = nats.monitor_url
        SlowVarz.started = threading.Event()
        mock = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowVarz)
        threading.Thread(target=mock.serve_forever, daemon=True).start()
        self.addCleanup(mock.server_close)
        self.addCleanup(mock.shutdown)

        d = tempfile.mkdtemp(prefix="natsexp-shutdown-")
        self.addCleanup(shutil.rmtree, d, True)
        cfg = os.path.join(d, "c.yaml")
        with open(cfg, "w") as f:
            json.dump({"collectors": ["varz"], "targets": [{"name": "slow", "url": f"http://127.0.0.1:{mock.server_port}"}],
                       "probes": [{"name": "p1", "kind": "request", "servers": [nats.url], "interval": "50ms"},
                                  {"name": "p2", "kind": "request", "servers": [nats.url], "interval": "50ms"}]}, f)
        exporter = harness.Exporter([f"--config.file={cfg}"])
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        harness.wait_until(lambda: connections(nats) == 2, 10, what="two probe connections")

        result = {}

        def scrape():
            result["answer"] = harness.http_get(exporter.base + "/metrics", timeout=30)
        t = threading.Thread(target=scrape)
        t.start()
        self.assertTrue(SlowVarz.started.wait(10), "the scrape reached the slow endpoint")
        t0 = time.monotonic()
        os.kill(exporter.proc.pid, signal.SIGTERM)

        # Stop accepting: new connections are refused while the scrape is still running.
        def refused():
            try:
                socket.create_connection(("127.0.0.1", exporter.port), timeout=1).close()
                return False
            except ConnectionRefusedError:
                return True
        harness.wait_until(refused, 1.5, interval=0.02, what="the listener to close")
        self.assertTrue(t.is_alive(), "the scrape is still in flight when the listener is closed")

        t.join(20)
        status, _, body = result["answer"]
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertRegex(text, r'nats_up\{server="slow",server_name="[^"]*",cluster="[^"]*"\} 1')
        self.assertIn('nats_probe_connected{probe="p1"} 1', text)
        exporter.proc.wait(timeout=10)
        elapsed = time.monotonic() - t0
        self.assertEqual(exporter.proc.returncode, 0, exporter.output())
        self.assertLess(elapsed, SlowVarz.delay + 3.0, f"exit took {elapsed:.1f}s")
        print(f"SIGTERM -> exit 0 in {elapsed:.2f}s (scrape in flight needed {SlowVarz.delay}s)")
        self.assertIn("shutting down", exporter.output())
        harness.wait_until(lambda: connections(nats) == 0, 5, what="the probe connections to be gone")
        self.assertNotIn("ERROR: AddressSanitizer", exporter.output())
        self.assertNotIn("runtime error", exporter.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
