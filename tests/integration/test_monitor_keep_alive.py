"""The exporter reads a target over connections it keeps: once warmed up, scrapes open (almost) no
new TCP connection to the monitoring port, because every endpoint a scrape reads at once finds an
idle keep-alive connection waiting. Counted by a TCP relay in front of the monitoring port.
"""
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402


class CountingRelay:
    """Relays 127.0.0.1:port to a target port, counting the connections it accepts."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.accepted = 0
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def count(self):
        with self.lock:
            return self.accepted

    def close(self):
        self.listener.close()


class MonitorKeepAlive(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_server("n1")
        cls.relay = CountingRelay(cls.server.http_port)
        cls.addClassCleanup(cls.relay.close)
        cls.exporter = cls.start_exporter([f"--nats.url=http://127.0.0.1:{cls.relay.port}", "--scrape.timeout=10s"])

    def test_scrapes_reuse_their_connections(self):
        for _ in range(3):  # warm up: one connection per request that ran at once
            self.exporter.scrape()
        warm = self.relay.count()
        self.assertGreater(warm, 1, "the requests of a scrape run in parallel, each on its own connection")
        scrapes = 10
        for _ in range(scrapes):
            expo = self.exporter.scrape()
            self.assertEqual([v for _, v in expo.series("nats_up")], [1.0])
        # A later scrape may reach a few more requests at once than the warm-up did, once; keeping
        # too few idle connections reopened several at every scrape.
        self.assertLessEqual(self.relay.count() - warm, 2,
                             f"{self.relay.count() - warm} connections opened in {scrapes} warm scrapes")


if __name__ == "__main__":
    unittest.main()
