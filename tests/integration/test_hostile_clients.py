"""The exporter's endpoint under hostile and careless clients, against the real binary and a real
nats-server: idle and trickling connections (slowloris), a burst of parallel scrapes, bodies above
--web.max-request-bytes (chunked or not), oversized request heads, and TLS clients that never finish
the handshake. Standard library only; every loop and wait is bounded.

EXPORTER_HOSTILE_CONNECTIONS (default 200) sets how many idle/trickling connections are held.
"""
import gzip
import os
import select
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from tls_helpers import client_context, https_get, make_ca, make_cert  # noqa: E402

HOSTILE = int(os.environ.get("EXPORTER_HOSTILE_CONNECTIONS", "200"))
SCRAPE_TIMEOUT = 3.0      # --scrape.timeout
READ_TIMEOUT = 4.0        # --web.read-timeout: a request's head and body must arrive within it
WITNESS_DEADLINE = 2.0    # what another client may wait while the hostile ones are held


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def read_response(sock, timeout, buffered=None):
    """Reads one HTTP response (head and Content-Length body); returns (status, head, body) or raises.
    `buffered` (a bytearray) carries bytes read past the response to the next call."""
    sock.settimeout(timeout)
    data = bytes(buffered) if buffered is not None else b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in data:
        if time.monotonic() > deadline:
            raise TimeoutError("no response head")
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head ({data[:80]!r})")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        if time.monotonic() > deadline:
            raise TimeoutError("body incomplete")
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    if buffered is not None:
        buffered[:] = body[length:]
    return status, head.decode("latin-1"), body[:length]


def raw_request(port, text, timeout=10.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(text)
        return read_response(s, timeout)


def closed_by_peer(sock, timeout=0.0):
    """True when the peer closed (or reset) the connection; reads and drops whatever it sent."""
    try:
        r, _, _ = select.select([sock], [], [], timeout)
        if not r:
            return False
        return sock.recv(65536) == b"" or True  # an answer (e.g. 408/400) and close count as cut
    except OSError:
        return True


def stop_and_check(exporter):
    """Stops the exporter (SIGTERM): it must exit 0 with no sanitizer report (ASan/UBSan builds)."""
    if exporter.proc is None:
        return
    code = exporter.stop()  # raises on a sanitizer report
    out = exporter.output()
    exporter.__exit__(None, None, None)
    if code != 0:
        raise AssertionError(f"exporter exited {code}: {out[-2000:]}")


class Witness:
    """Requests from a well-behaved client, timed."""

    def __init__(self, base, ssl_context=None):
        self.base = base
        self.ctx = ssl_context
        self.times = []

    def get(self, path):
        t0 = time.monotonic()
        try:
            if self.ctx:
                status = https_get(self.base + path, self.ctx, timeout=WITNESS_DEADLINE * 3)[0]
            else:
                status = harness.http_get(self.base + path, timeout=WITNESS_DEADLINE * 3)[0]
        except OSError as e:
            status = repr(e)
        elapsed = time.monotonic() - t0
        self.times.append((path, status, elapsed))
        return status, elapsed

    def round(self, paths=("/metrics", "/healthz", "/readyz")):
        for p in paths:
            self.get(p)

    def check(self, test):
        slow = [(p, s, round(t, 2)) for p, s, t in self.times if s != 200 or t > WITNESS_DEADLINE]
        worst = max(t for _, _, t in self.times)
        print(f"  {len(self.times)} witness requests, slowest {worst:.3f}s")
        test.assertEqual(slow, [], f"witness requests not answered 200 within {WITNESS_DEADLINE}s")


def open_many(port, n, first_bytes=b""):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if first_bytes:
            s.sendall(first_bytes)
        socks.append(s)
    return socks


def check_parallel_scrapes(test, port, n, deadline):
    """n scrapes sent at once: none may fail or be reset, each answers within deadline + 1 s."""
    barrier = threading.Barrier(n, timeout=60)
    results = [None] * n

    def scrape(i):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        t0 = time.monotonic()
        try:
            status, _, body = raw_request(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                          timeout=deadline + 30)
            results[i] = (status, time.monotonic() - t0, b"nats_up" in body)
        except OSError as e:
            results[i] = (repr(e), time.monotonic() - t0, False)
    threads = [threading.Thread(target=scrape, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline + 60)
    failed = [r for r in results if r is None or r[0] != 200 or not r[2]]
    times = sorted(r[1] for r in results if r)
    print(f"  {n} parallel scrapes (deadline {deadline}s): median {times[len(times) // 2]:.2f}s, "
          f"slowest {times[-1]:.2f}s, {len(failed)} failed")
    test.assertEqual(failed[:5], [], f"{len(failed)} of {n} scrapes failed")
    test.assertLess(times[-1], deadline + 1.0)


class HostileClients(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        harness.raise_fd_limit(20000)
        cls.nats = cls.start_server(name="hostile", jetstream=False)
        cls.exporter = cls.start_exporter([f"--nats.url={cls.nats.monitor_url}", "--collectors=varz,healthz",
                                           f"--scrape.timeout={int(SCRAPE_TIMEOUT)}s",
                                           f"--web.read-timeout={int(READ_TIMEOUT)}s"])
        cls.port = cls.exporter.port

    @classmethod
    def tearDownClass(cls):
        stop_and_check(cls.exporter)  # a clean exit after all that; the class cleanups stop the rest

    def setUp(self):
        self.assertIsNone(self.exporter.proc.poll(), self.exporter.output()[-2000:])

    def tearDown(self):
        self.assertIsNone(self.exporter.proc.poll(), "the exporter is still running")

    def test_idle_connections_do_not_take_the_endpoint(self):
        socks = open_many(self.port, HOSTILE, b"GET /metrics HTTP/1.")
        try:
            w = Witness(self.exporter.base)
            for _ in range(3):
                w.round()
            w.check(self)
            # The head deadline (--web.read-timeout) cuts them: none is held for ever.
            deadline = time.monotonic() + READ_TIMEOUT + 5
            open_ = list(socks)
            while open_ and time.monotonic() < deadline:
                open_ = [s for s in open_ if not closed_by_peer(s, 0.05)]
            self.assertEqual(len(open_), 0, f"{len(open_)} idle connections still open after the read timeout")
            self.assertGreaterEqual(self.exporter.scrape().value("nats_exporter_http_rejected_total", reason="timeout"),
                                    HOSTILE)
        finally:
            for s in socks:
                s.close()

    def test_trickling_connections_do_not_take_the_endpoint(self):
        request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
        socks = open_many(self.port, HOSTILE)
        cut = set()
        stop = threading.Event()

        def trickle():
            i = 0
            while not stop.is_set() and i < len(request):
                for n, s in enumerate(socks):
                    if n in cut:
                        continue
                    try:
                        s.send(request[i:i + 1])
                    except OSError:
                        cut.add(n)
                i += 1
                stop.wait(1.0)
        t = threading.Thread(target=trickle)
        t.start()
        try:
            time.sleep(1.5)
            w = Witness(self.exporter.base)
            t_end = time.monotonic() + 3
            while time.monotonic() < t_end:
                w.round()
            w.check(self)
            # A byte every second does not keep a request alive past --web.read-timeout.
            deadline = time.monotonic() + READ_TIMEOUT + 5
            while len(cut) < len(socks) and time.monotonic() < deadline:
                for n, s in enumerate(socks):
                    if n not in cut and closed_by_peer(s, 0):
                        cut.add(n)
                time.sleep(0.2)
            self.assertEqual(len(cut), len(socks), f"{len(socks) - len(cut)} trickling connections outlived the read timeout")
        finally:
            stop.set()
            t.join()
            for s in socks:
                s.close()

    def test_500_parallel_scrapes_none_reset_each_within_deadline(self):
        check_parallel_scrapes(self, self.port, 500, SCRAPE_TIMEOUT)

    def test_500_parallel_scrapes_while_each_collection_takes_the_whole_deadline(self):
        # A second target that accepts and never answers makes every collection last the whole
        # deadline: requests waiting for a scrape must not each hold one of the 8 workers.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        self.addCleanup(silent.close)
        config = os.path.join(self.nats.workdir, "slow-target.yaml")
        with open(config, "w") as f:
            f.write(f"scrape: {{timeout: 2s}}\ncollectors: [varz]\ntargets:\n"
                    f"  - {{name: real, url: {self.nats.monitor_url}}}\n"
                    f"  - {{name: silent, url: 'http://127.0.0.1:{silent.getsockname()[1]}'}}\n")
        exporter = harness.Exporter([f"--config.file={config}"]).start()
        self.addCleanup(exporter.__exit__, None, None, None)
        check_parallel_scrapes(self, exporter.port, 500, 2.0)
        stop_and_check(exporter)

    def _stream_body(self, head, chunk, total, timeout=30.0):
        """Sends `head`, then `chunk` repeatedly (up to `total` bytes) while watching for an answer.
        Returns (status or None, bytes sent)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(head)
            sent = 0
            deadline = time.monotonic() + timeout
            while sent < total and time.monotonic() < deadline:
                r, w, _ = select.select([s], [s], [], 1.0)
                if r:
                    break
                if w:
                    try:
                        sent += s.send(chunk)
                    except OSError:
                        break
            try:
                return read_response(s, 5.0)[0], sent
            except (OSError, ValueError):
                return None, sent
        finally:
            s.close()

    def test_oversized_bodies_are_refused_before_they_are_read(self):
        pid = self.exporter.proc.pid
        baseline = rss_kib(pid)
        reloads_before = self.exporter.output().count("reload")
        mib = 1024 * 1024
        data = b"x" * 65536
        chunk = b"%x\r\n" % len(data) + data + b"\r\n"
        # A 200 MB chunked body to every kind of path: refused with 413, not buffered.
        for path in (b"/-/reload", b"/metrics", b"/", b"/nope"):
            with self.subTest(path=path.decode()):
                status, sent = self._stream_body(
                    b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", chunk, 200 * mib)
                self.assertEqual(status, 413)
                self.assertLess(sent, 200 * mib, "the exporter read the whole body")
                print(f"  chunked POST {path.decode()}: 413 after the client sent {sent / mib:.1f} MiB")
        # A declared length above the limit: 413 at once, the body never sent.
        status, _, body = raw_request(self.port, b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n")
        self.assertEqual(status, 413)
        self.assertIn(b"max-request-bytes", body)
        # The same 200 MB, sent as fast as the exporter reads it, with a Content-Length.
        status, sent = self._stream_body(b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n",
                                         data, 200 * mib)
        self.assertEqual(status, 413)
        # Just over the limit (64 KiB + 1) in small chunks: still refused.
        small = b"".join(b"400\r\n" + b"y" * 1024 + b"\r\n" for _ in range(65)) + b"0\r\n\r\n"
        status, _, _ = raw_request(self.port, b"POST /-/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   + small)
        self.assertEqual(status, 413)
        # Transfer-Encoding and Content-Length together (request smuggling) and unknown codings.
        status, _, _ = raw_request(self.port, b"POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertEqual(status, 400)
        status, _, _ = raw_request(self.port, b"POST /-/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")
        self.assertEqual(status, 501)

        self.assertEqual(self.exporter.output().count("reload"), reloads_before, "a refused request ran the reload")
        after = rss_kib(pid)
        print(f"  RSS {baseline} KiB before, {after} KiB after")
        self.assertLess(after - baseline, 10 * 1024, "RSS grew by more than 10 MB")
        self.assertEqual(harness.http_get(self.exporter.base + "/healthz", timeout=5)[0], 200)
        m = self.exporter.scrape()
        self.assertGreaterEqual(m.value("nats_exporter_http_rejected_total", reason="body_too_large"), 7)
        self.assertGreaterEqual(m.value("nats_exporter_http_rejected_total", reason="bad_request"), 2)

    def test_request_heads_are_bounded(self):
        # 10,000 headers (about 268 KB), as in the report: refused and closed.
        many = b"".join(b"X-Header-%05d: %s\r\n" % (i, b"v" * 10) for i in range(10000))
        for name, head in [("10,000 headers", b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n"),
                           ("101 small headers", b"GET /healthz HTTP/1.1\r\n" +
                            b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n"),
                           ("one 20 KB header", b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n"),
                           ("a 20 KB path", b"GET /" + b"p" * 20000 + b" HTTP/1.1\r\n\r\n")]:
            with self.subTest(name):
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                    try:
                        s.sendall(head)
                    except OSError:
                        pass
                    status, _, _ = read_response(s, 10)
                    self.assertIn(status, (431, 414, 400))
                    # ... and the connection is closed.
                    s.settimeout(5)
                    try:
                        rest = s.recv(65536)
                        while rest:
                            rest = s.recv(65536)
                    except OSError:
                        pass
        # Below the limits the same request is served.
        ok = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(90)) + b"\r\n"
        self.assertEqual(raw_request(self.port, ok)[0], 200)
        m = self.exporter.scrape()
        self.assertGreaterEqual(m.value("nats_exporter_http_rejected_total", reason="head_too_large"), 4)
        self.assertEqual(m.value("nats_exporter_http_connections_max"), 1024.0)
        self.assertGreaterEqual(m.value("nats_exporter_http_connections"), 1.0)

    def test_keep_alive_and_pipelining_still_work(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            buf = bytearray()
            # Two requests in one segment (pipelined), one of each kind of handler.
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = read_response(s, 10, buf)
            self.assertEqual((status, body), (200, b"ok\n"))
            status, _, body = read_response(s, 10, buf)
            self.assertEqual(status, 200)
            self.assertIn(b"nats-exporter", body)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            status, head, body = read_response(s, 10, buf)
            self.assertEqual(status, 200)
            self.assertIn("Content-Encoding: gzip", head)
            self.assertIn(b"nats_up", gzip.decompress(body))
            s.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            self.assertEqual(read_response(s, 10, buf)[0], 405)
            s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            status, head, _ = read_response(s, 10, buf)
            self.assertEqual(status, 200)
            self.assertIn("Connection: close", head)
            self.assertEqual(s.recv(10), b"")


class ConnectionCap(unittest.TestCase):
    def test_clients_beyond_the_cap_do_not_lock_others_out(self):
        harness.raise_fd_limit(20000)
        with harness.NatsServer(name="cap", jetstream=False) as nats:
            exporter = harness.Exporter([f"--nats.url={nats.monitor_url}", "--collectors=varz",
                                         "--web.max-connections=50", "--web.read-timeout=30s"]).start()
            self.addCleanup(exporter.__exit__, None, None, None)
            # Three times the cap of idle connections: the ones that waited longest make room.
            socks = open_many(exporter.port, 150, b"GET /metrics HTTP/1.")
            try:
                w = Witness(exporter.base)
                for _ in range(3):
                    w.round()
                w.check(self)
                time.sleep(0.5)
                still_open = [s for s in socks if not closed_by_peer(s, 0)]
                self.assertLessEqual(len(still_open), 50)
                self.assertIn("--web.max-connections reached", exporter.output())
                m = exporter.scrape()
                self.assertGreaterEqual(
                    m.value("nats_exporter_http_rejected_total", reason="evicted_at_max_connections"), 100)
                code, out = harness.promtool_check_metrics(m.text)
                self.assertEqual(code, 0, out)
            finally:
                for s in socks:
                    s.close()
            stop_and_check(exporter)

    def test_when_every_slot_holds_a_request_new_connections_are_refused_not_queued(self):
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        self.addCleanup(silent.close)
        workdir = tempfile.mkdtemp(prefix="natsexp-cap-")
        self.addCleanup(shutil.rmtree, workdir, True)
        config = os.path.join(workdir, "c.yaml")
        with open(config, "w") as f:
            f.write(f"scrape: {{timeout: 2s}}\ncollectors: [varz]\n"
                    f"targets: [{{name: silent, url: 'http://127.0.0.1:{silent.getsockname()[1]}'}}]\n")
        exporter = harness.Exporter([f"--config.file={config}", "--web.max-connections=2"]).start()
        self.addCleanup(exporter.__exit__, None, None, None)
        harness.wait_until(lambda: harness.http_get(exporter.base + "/healthz", timeout=2)[0] == 200, 10)
        busy = open_many(exporter.port, 2, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")  # 2 s each
        try:
            time.sleep(0.3)
            t0 = time.monotonic()
            status, _, body = raw_request(exporter.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            self.assertEqual(status, 503)
            self.assertIn(b"too many open connections", body)
            self.assertLess(time.monotonic() - t0, 1.0)
            # The two requests in progress are answered in full.
            for s in busy:
                self.assertEqual(read_response(s, 10)[0], 200)
        finally:
            for s in busy:
                s.close()
        self.assertGreaterEqual(exporter.scrape().value("nats_exporter_http_rejected_total",
                                                        reason="refused_at_max_connections"), 1)
        stop_and_check(exporter)


class HostileTlsClients(harness.PeersTestCase):
    """TLS clients that connect and never finish the handshake hold no worker."""

    @classmethod
    def setUpClass(cls):
        harness.raise_fd_limit(20000)
        cls.dir = cls.temp_dir("natsexp-hostile-tls-")
        cls.ca = make_ca(cls.dir, "ca")
        cls.server = make_cert(cls.dir, "server", cls.ca)
        cls.nats = cls.start_server(name="hostiletls", jetstream=False)

    def test_unfinished_handshakes_and_idle_tls_sessions(self):
        cfg = os.path.join(self.dir, "web.yml")
        with open(cfg, "w") as f:
            f.write(f"tls_server_config:\n  cert_file: {self.server[0]}\n  key_file: {self.server[1]}\n")
        exporter = harness.Exporter([f"--nats.url={self.nats.monitor_url}", "--collectors=varz",
                                     f"--web.config.file={cfg}", f"--web.read-timeout={int(READ_TIMEOUT)}s"])
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start(wait=False)
        ctx = client_context(self.ca[0])
        base = f"https://127.0.0.1:{exporter.port}"
        harness.wait_until(lambda: https_get(base + "/readyz", ctx, timeout=2)[0] == 200, 20, what="TLS /readyz")
        # Half of them send nothing; the other half send the first bytes of a ClientHello.
        silent = open_many(exporter.port, HOSTILE // 2)
        partial = open_many(exporter.port, HOSTILE // 2, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        # And some complete the handshake, then send half a request head.
        sessions = []
        for _ in range(20):
            raw = socket.create_connection(("127.0.0.1", exporter.port), timeout=10)
            tls = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
            tls.sendall(b"GET /metrics HTTP/1.")
            sessions.append(tls)
        try:
            w = Witness(base, ctx)
            for _ in range(3):
                w.round()
            w.check(self)
        finally:
            for s in silent + partial + sessions:
                s.close()
        stop_and_check(exporter)


if __name__ == "__main__":
    unittest.main(verbosity=2)
