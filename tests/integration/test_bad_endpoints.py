"""Monitoring ports that misbehave, next to a healthy one, in one exporter.

Three fake monitoring ports run in this process (http.server in threads): one accepts and never
answers, one answers garbage on every path, one answers a 50 MB body (over the exporter's 32 MB
cap). A real nats-server is the fourth target. Every scrape answers within its deadline, the real
target is fully reported, the fakes fail without leaking a series, and 200 scrapes later the
exporter holds no more file descriptors or threads than after the first few.
"""
import http.server
import os
import select
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

MARGIN = 1.5  # seconds of slack over the scrape deadline on a shared 2-core machine
HUGE_BYTES = 50 * 1024 * 1024
FAKES = ("hang", "garbage", "huge")
LOOP_SCRAPES = 200


class FakeMonitor:
    """A fake NATS monitoring port: mode is "hang", "garbage" or "huge"."""

    huge_body = None

    def __init__(self, mode):
        self.mode = mode
        self.stopping = threading.Event()
        self.requests = 0
        fake = self
        if mode == "huge" and FakeMonitor.huge_body is None:
            # Valid JSON when read whole, so only the size cap can make the exporter refuse it.
            FakeMonitor.huge_body = b'{"pad": "' + b"x" * (HUGE_BYTES - 11) + b'"}'

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests += 1
                getattr(fake, "answer_" + fake.mode)(self)

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # accept every connection at once (a slow accept is test_4's case)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer_hang(self, h):
        # Hold the connection without a byte of answer until the exporter gives up and closes it.
        conn = h.connection
        while not self.stopping.is_set():
            readable, _, _ = select.select([conn], [], [], 0.2)
            if readable:
                try:
                    if not conn.recv(4096):
                        return
                except OSError:
                    return
        h.close_connection = True

    def answer_garbage(self, h):
        path = h.path.split("?")[0]
        if path == "/varz":
            body = b'{"server_id": "NFAKE", "server_name": "fake", "connections": 3, "in_msgs": '  # truncated
        elif path == "/healthz":
            body = b"<html><body>OK</body></html>"
        elif path == "/jsz":
            body = b'[1, 2, 3'  # truncated array
        else:
            body = os.urandom(2048)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def answer_huge(self, h):
        body = memoryview(FakeMonitor.huge_body)
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            for off in range(0, len(body), 1 << 20):
                if self.stopping.is_set():
                    return
                h.wfile.write(body[off:off + (1 << 20)])
        except OSError:
            pass  # the exporter stopped reading: expected


class RawFake:
    """A monitoring port at the TCP level, for the cases http.server cannot show.

    "trickle": accepts, answers a status line and then one header line every 0.5 s, forever: the
    exporter keeps receiving bytes, so only an overall deadline ends the request.
    "slow-accept": its accept queue is full (backlog 0 plus one connection of ours) until
    `accept_after` seconds after arm(), so the exporter's connect completes only then (the kernel
    holds its handshake or drops its SYN until there is room); then it accepts and never answers."""

    def __init__(self, mode, accept_after=0.0):
        self.mode = mode
        self.accept_after = accept_after
        self.stopping = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0 if mode == "slow-accept" else 64)
        self.port = self.listener.getsockname()[1]
        self.filler = None
        if mode == "slow-accept":
            self.filler = socket.create_connection(("127.0.0.1", self.port))  # fills the accept queue
        self.armed = threading.Event()
        self.conns = []
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def arm(self):
        """Starts the slow-accept clock (call when the scrape starts)."""
        self.armed.set()

    def _accept_loop(self):
        if self.mode == "slow-accept":
            self.armed.wait()
            if self.stopping.wait(self.accept_after):
                return
        self.listener.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            if self.mode == "trickle":
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                i = 0
                while not self.stopping.wait(0.5):
                    conn.sendall(b"X-Slow-%d: a\r\n" % i)
                    i += 1
            else:
                while not self.stopping.is_set():
                    readable, _, _ = select.select([conn], [], [], 0.2)
                    if readable and not conn.recv(4096):
                        return
        except OSError:
            pass

    def stop(self):
        self.stopping.set()
        self.armed.set()
        self.thread.join(5)
        for c in self.conns + [self.filler, self.listener]:
            if c is not None:
                c.close()


class BadEndpoints(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = cls.temp_dir("natsexp-bad-")
        cls.fakes = {}
        for mode in FAKES:
            fake = cls.fakes[mode] = FakeMonitor(mode).start()
            cls.addClassCleanup(fake.stop)  # after start: shutdown() waits for a running serve loop
        os.makedirs(os.path.join(cls.dir, "nats"))
        cls.server = cls.start_server("real", workdir=os.path.join(cls.dir, "nats"))
        # One client connection, so the real target's connection count is not a default zero.
        cls.client = cls.raw_client(cls.server.port, name="bad-endpoints-test")
        cls.targets = [{"name": m, "url": f.url} for m, f in cls.fakes.items()]
        cls.targets.append({"name": "real", "url": cls.server.monitor_url})

    def exporter(self, timeout, name):
        # timeout_offset (kept from Prometheus' own timeout header) must be below the timeout.
        config = harness.write_exporter_config(os.path.join(self.dir, name), self.targets,
                                               extra={"scrape": {"timeout": timeout, "timeout_offset": "100ms"}})
        e = harness.Exporter([f"--config.file={config}"])
        self.addCleanup(e.__exit__, None, None, None)
        e.start()
        return e

    def scrape(self, exporter, deadline):
        # Wait a little longer than the bound, so an overrun reports its length.
        try:
            seconds, expo = harness.timed_scrape(exporter, timeout=deadline + MARGIN + 10)
        except TimeoutError:
            self.fail(f"/metrics did not answer within {deadline + MARGIN + 10:.1f}s (deadline {deadline}s)")
        self.assertLess(seconds, deadline + MARGIN, f"scrape took {seconds:.2f}s, deadline {deadline}s")
        return expo

    def check_targets(self, exporter, expo):
        success = {}
        for labels, v in expo.series("nats_exporter_collector_success"):
            success.setdefault(labels["server"], {})[labels["collector"]] = v
        self.assertEqual(set(success), set(FAKES) | {"real"})
        self.assertIn("varz", success["real"])
        self.assertEqual({c for c, v in success["real"].items() if v != 1.0}, set(),
                         f"real target failed: {success['real']}\n{exporter.output()[-3000:]}")
        self.assertEqual(expo.value("nats_up", server="real"), 1.0)
        self.assertEqual(expo.value("nats_server_connections", server_name="real"), 1.0)
        self.assertEqual(len(expo.series("nats_server_info", server_name="real")), 1)
        for fake in FAKES:
            self.assertEqual(set(success[fake]), set(success["real"]), fake)
            self.assertEqual(set(success[fake].values()), {0.0}, f"{fake}: {success[fake]}")
            # Only the self-metrics (nats_up, nats_exporter_*) may name a target that never answered.
            leaked = [(n, l) for n, l, _ in expo.samples
                      if l.get("server_name") == fake and not n.startswith(("nats_up", "nats_exporter_"))]
            self.assertEqual(leaked, [], f"series from the {fake} target")
        self.assertEqual(expo.value("nats_up", server="hang"), 0.0)
        self.assertEqual(expo.value("nats_up", server="huge"), 0.0)
        # Only the real server's identity appears on server-derived series.
        names = {l["server_name"] for n, l, _ in expo.samples
                 if "server_name" in l and not n.startswith(("nats_up", "nats_exporter_"))}
        self.assertEqual(names, {"real"})

    def test_1_each_scrape_answers_and_isolates_the_fakes(self):
        exporter = self.exporter("2s", "deadline-2s.yaml")
        for _ in range(3):
            expo = self.scrape(exporter, 2.0)
            self.check_targets(exporter, expo)
        for mode, fake in self.fakes.items():
            self.assertGreater(fake.requests, 0, f"the {mode} fake was never asked")
        self.assertIsNone(exporter.proc.poll(), "the exporter died")

    def test_2_no_fd_or_thread_leak_over_200_scrapes(self):
        exporter = self.exporter("300ms", "deadline-300ms.yaml")
        pid = exporter.proc.pid
        for _ in range(5):
            self.scrape(exporter, 0.3)
        fds0, threads0 = harness.open_fds(pid), harness.thread_count(pid)
        fd_peak = thread_peak = 0
        for i in range(LOOP_SCRAPES):
            expo = self.scrape(exporter, 0.3)
            self.assertEqual(len(expo.series("nats_up")), 4)
            if i % 20 == 0:
                fd_peak = max(fd_peak, harness.open_fds(pid))
                thread_peak = max(thread_peak, harness.thread_count(pid))
        fds1, threads1 = harness.open_fds(pid), harness.thread_count(pid)
        self.assertIsNone(exporter.proc.poll(), "the exporter died")
        self.assertLessEqual(fds1, fds0 + 5, f"fds: {fds0} after 5 scrapes, {fds1} after {LOOP_SCRAPES} more")
        self.assertLessEqual(threads1, threads0 + 2,
                             f"threads: {threads0} after 5 scrapes, {threads1} after {LOOP_SCRAPES} more")
        self.assertLessEqual(fd_peak, fds0 + 5, "fds grew during the loop")
        self.assertLessEqual(thread_peak, threads0 + 2, "threads grew during the loop")
        # After the loop the exporter still answers, and the hanging target still fails.
        self.assertEqual(set(v for l, v in expo.series("nats_exporter_collector_success", server="hang")), {0.0})
        self.assertEqual(expo.value("nats_up", server="hang"), 0.0)

    def test_3_trickling_port_is_cut_by_the_deadline(self):
        # Bytes keep coming, never a whole response: the scrape still ends by its deadline.
        fake = RawFake("trickle")
        self.addCleanup(fake.stop)
        config = harness.write_exporter_config(os.path.join(self.dir, "trickle.yaml"),
                                               [{"name": "trickle", "url": fake.url, "collectors": ["varz", "healthz"]},
                                                {"name": "real", "url": self.server.monitor_url}],
                                               scrape_timeout="2s")
        exporter = harness.Exporter([f"--config.file={config}"])
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        for _ in range(2):
            expo = self.scrape(exporter, 2.0)
            self.assertEqual(expo.value("nats_up", server="trickle"), 0.0)
            self.assertEqual({v for _, v in expo.series("nats_exporter_collector_success", server="trickle")}, {0.0})
            self.assertEqual(expo.value("nats_up", server="real"), 1.0)

    def test_4_slow_accept_then_hang_is_cut_by_the_deadline(self):
        # The connect takes ~3 s of a 5 s deadline (a full accept queue); then the answer never comes.
        # The read must get only what is left of the deadline, not a fresh 5 s.
        fake = RawFake("slow-accept", accept_after=3.0)
        self.addCleanup(fake.stop)
        config = harness.write_exporter_config(os.path.join(self.dir, "slow-accept.yaml"),
                                               [{"name": "slow", "url": fake.url}],
                                               scrape_timeout="5s", collectors=["varz"])
        exporter = harness.Exporter([f"--config.file={config}"])
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        fake.arm()
        expo = self.scrape(exporter, 5.0)
        self.assertGreater(len(fake.conns), 0, "the exporter never connected: the case was not exercised")
        self.assertEqual(expo.value("nats_up", server="slow"), 0.0)
        self.assertEqual(expo.value("nats_exporter_collector_success", server="slow", collector="varz"), 0.0)


if __name__ == "__main__":
    unittest.main()
