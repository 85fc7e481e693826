"""connz at 1500 clients on one real nats-server (more than one /connz page of 1024), read the
per-scrape way: the count is exact, the top N by pending bytes and by RTT equal what a full read of
every connection gives, and the pending total is exact while slow consumers come and go.

Runs the exporter with --collectors=varz,connz: neither makes a NATS client connection of its own,
so the server holds exactly the test's connections. nats-server 2.9 refuses sort=rtt, so the top N
by RTT comes from the exporter's full read, made once here (--connz.full-read-interval=10m): the
connections it ranks by RTT are the 1500 clients that were there when it was made.
Every client answers the server's RTT ping before the exporter starts, so RTTs do not change while
the test compares (the server pings again only every ping_interval, raised to 10 minutes here).
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

CLIENTS = 1500
TOP_N = 10  # the exporter's default connz top N (by pending bytes, and by RTT)
PAYLOAD = b"x" * 32768
# A slow consumer stops reading; the server keeps what it cannot write as pending bytes. The
# deadline is raised so it does not cut them as slow consumers while the test looks.
SERVER_CONF = 'write_deadline: "10m"\nping_interval: "10m"\n'


def aggregate(expo, name):
    """The one series of `name` that is not per-connection (has no cid label)."""
    found = [(l, v) for l, v in expo.series(name) if "cid" not in l]
    assert len(found) == 1, f"expected one aggregate {name}, found {len(found)}: {found[:5]}"
    return found[0][1]


def go_duration_seconds(text):
    """A Go duration as /connz writes an RTT ("415µs", "1.2ms", "0s") in seconds."""
    for unit, scale in (("ns", 1e-9), ("µs", 1e-6), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
    raise ValueError(text)


def top(conns, key, n=TOP_N):
    """cids of the n connections whose key is highest and above zero, ties to the lower cid."""
    ranked = sorted((c for c in conns if key(c) > 0), key=lambda c: (-key(c), c["cid"]))
    return [str(c["cid"]) for c in ranked[:n]]


def slow_consumer(port, name, subject):
    """A client with a tiny receive buffer that stops reading after it subscribed."""
    client = harness.RawNatsClient(port, name=name, recv_buffer=2048)  # before connect: a small window
    client.sub(subject, "1")
    client.flush()
    return client


class ConnzManyConnections(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        limit = harness.raise_fd_limit(20000)
        if limit < CLIENTS + 200:
            raise unittest.SkipTest(f"fd limit {limit} too low for {CLIENTS} connections")
        cls.server = cls.start_server("n1", jetstream=False, extra_conf=SERVER_CONF)  # inherits the fd limit
        cls.clients = []
        cls.slow = {}
        cls.addClassCleanup(lambda: [c.close() for c in cls.slow.values()])
        for i in range(CLIENTS):
            c = cls.raw_client(cls.server.port, name=f"c{i}")
            c.sub(f"load.{i}", "1")
            cls.clients.append(c)
        harness.wait_until(lambda: cls.server.varz()["connections"] == CLIENTS, 20,
                           what=f"{CLIENTS} connections on the server")
        cls.measure_rtts(cls.clients)
        cls.exporter = cls.start_exporter([f"--nats.url={cls.server.monitor_url}", "--collectors=varz,connz",
                                           "--scrape.timeout=20s", "--connz.full-read-interval=10m"])

    @classmethod
    def measure_rtts(cls, clients):
        # /connz pings every connection whose RTT is unknown; each client answers while it flushes.
        harness.http_get(cls.server.monitor_url + "/connz?limit=5000")
        for c in clients:
            c.flush()

    def full_read(self):
        status, _, body = harness.http_get(self.server.monitor_url + "/connz?auth=true&limit=5000")
        self.assertEqual(status, 200)
        return json.loads(body)

    def scrape(self):
        expo = self.exporter.scrape(timeout=60)
        server = f"127.0.0.1:{self.server.http_port}"
        ups = expo.series("nats_up")
        self.assertEqual([v for _, v in ups], [1.0], f"nats_up: {ups}")
        for collector in ("varz", "connz"):
            got = [v for l, v in expo.series("nats_exporter_collector_success", collector=collector)]
            self.assertEqual(got, [1.0], f"{collector} success ({server}): {got}\n{self.exporter.output()[-2000:]}")
        return expo

    def per_connection(self, expo, family):
        return {l["cid"]: v for l, v in expo.series(family) if "cid" in l}

    def add_slow_consumers(self, names):
        """Slow consumers with distinct pending bytes: each gets more than its socket buffers hold."""
        publisher = harness.RawNatsClient(self.server.port, name="flood")
        try:
            added = []
            for name in names:
                self.slow[name] = slow_consumer(self.server.port, name, f"slow.{name}")
                added.append(self.slow[name])
            self.measure_rtts(added)  # measured now, or every /connz would queue a PING to them
            for i, name in enumerate(names):
                for _ in range(160 + 8 * i):  # 5.2 MB and more: past what the socket buffers absorb
                    publisher.pub(f"slow.{name}", PAYLOAD)
            publisher.flush()
        finally:
            publisher.close()

        def settled():
            first = {c["cid"]: c["pending_bytes"] for c in self.full_read()["connections"]}
            time.sleep(0.3)
            second = {c["cid"]: c["pending_bytes"] for c in self.full_read()["connections"]}
            pending = [c for c in second if second[c] > 0]
            return first == second and len(pending) == len(self.slow)
        harness.wait_until(settled, 30, interval=0.3, what="the slow consumers' pending bytes to settle")

    def close_slow_consumers(self, names):
        for name in names:
            self.slow.pop(name).close()
        want = CLIENTS + len(self.slow)
        harness.wait_until(lambda: self.server.varz()["connections"] == want, 20, what=f"{want} connections")

    def pending_by_cid(self):
        return {c["cid"]: c["pending_bytes"] for c in self.full_read()["connections"]}

    def still_scrape(self):
        """A scrape taken while no connection's pending bytes moved (full reads before and after agree).
        A /connz request queues an RTT PING to a connection whose RTT is not known yet, and a slow
        consumer never reads it: 6 more pending bytes, whoever asked."""
        for _ in range(5):
            before = self.pending_by_cid()
            expo = self.scrape()
            if self.pending_by_cid() == before:
                return expo
        self.fail("pending bytes kept moving around every scrape")

    def assert_equals_full_read(self, expo):
        doc = self.full_read()
        conns = doc["connections"]
        self.assertEqual(len(conns), doc["total"])
        self.assertEqual(aggregate(expo, "nats_connz_connections"), len(conns))
        self.assertEqual(expo.value("nats_server_connections"), len(conns))
        # Exact up to the RTT PINGs ("PING\r\n", 6 bytes) nats-server queues, per /connz request, to
        # slow consumers whose RTT it does not know yet: they never read them.
        diff = aggregate(expo, "nats_connz_pending_bytes") - sum(c["pending_bytes"] for c in conns)
        self.assertTrue(diff % 6 == 0 and abs(diff) <= 6 * len(self.slow), f"pending total off by {diff} bytes")

        pending = self.per_connection(expo, "nats_connz_connection_pending_bytes")
        by_pending = sorted((cid for cid, v in pending.items() if v > 0), key=lambda cid: (-pending[cid], int(cid)))
        self.assertEqual(by_pending[:TOP_N], top(conns, lambda c: c["pending_bytes"]))
        real = {str(c["cid"]): c for c in conns}
        for cid in by_pending[:TOP_N]:
            # Exact up to those same RTT PINGs, queued by the /connz requests between our scrape and
            # this full read (one per request at most).
            diff = real[cid]["pending_bytes"] - pending[cid]
            self.assertTrue(diff % 6 == 0 and 0 <= diff <= 6 * 3, f"{cid}: pending off by {diff} bytes")

        # The full read the exporter ranks RTTs from saw the 1500 clients ("c<i>"), not later ones.
        clients = [c for c in conns if c.get("name", "").startswith("c")]
        rtts = {str(c["cid"]): go_duration_seconds(c["rtt"]) for c in clients}
        want_rtt = top(clients, lambda c: rtts[str(c["cid"])])
        self.assertEqual(len(want_rtt), TOP_N)
        got_rtt = self.per_connection(expo, "nats_connz_connection_rtt_seconds")
        self.assertTrue(set(want_rtt) <= set(got_rtt), f"top by RTT {want_rtt}, exported {sorted(got_rtt)}")
        for cid in want_rtt:
            self.assertAlmostEqual(got_rtt[cid], rtts[cid], delta=1e-9)
        self.assertAlmostEqual(aggregate(expo, "nats_connz_max_rtt_seconds"), max(rtts.values()), delta=1e-9)
        # Nothing else: the union of both top N.
        self.assertEqual(set(got_rtt), set(by_pending[:TOP_N]) | set(want_rtt))

    def test_1_counts_every_connection(self):
        expo = self.scrape()
        self.assertEqual(aggregate(expo, "nats_connz_connections"), CLIENTS)
        self.assertEqual(aggregate(expo, "nats_connz_pending_bytes"), 0)
        self.assertEqual(expo.value("nats_server_connections"), CLIENTS)
        for gone in ("nats_connz_subscriptions", "nats_connz_messages_sent", "nats_connz_bytes_received"):
            self.assertEqual(expo.series(gone), [], gone)
        # Every server-derived series names the server.
        labels, _ = expo.series("nats_server_connections")[0]
        self.assertEqual(labels.get("server_name"), "n1")
        self.assertEqual(labels.get("cluster"), "")

    def test_2_top_n_by_rtt_equals_a_full_read(self):
        expo = self.scrape()
        self.assert_equals_full_read(expo)
        # Before 2.10 the RTTs come from the full read, done once in the interval.
        self.assertEqual(expo.value("nats_exporter_connz_full_reads_total"), 1)

    def test_3_pending_total_while_slow_consumers_come_and_go(self):
        self.add_slow_consumers([f"slow{i}" for i in range(12)])
        self.assert_equals_full_read(self.still_scrape())
        # The four with the most pending bytes go, three new ones come (one ranks first).
        self.close_slow_consumers(["slow11", "slow10", "slow9", "slow8"])
        self.add_slow_consumers(["late0", "late1", "late2"])
        self.assert_equals_full_read(self.still_scrape())
        self.close_slow_consumers(list(self.slow))
        expo = self.scrape()
        self.assert_equals_full_read(expo)
        self.assertEqual(aggregate(expo, "nats_connz_pending_bytes"), 0)
        self.assertEqual(expo.value("nats_exporter_connz_full_reads_total"), 1)

    def test_9_counts_follow_closed_connections(self):
        # Runs last (it changes the shared setup): close 250 clients, still more than one page.
        closing = self.clients[:250]
        del self.clients[:250]
        for c in closing:
            c.close()
        want = CLIENTS - 250
        harness.wait_until(lambda: self.server.varz()["connections"] == want, 20, what=f"{want} connections")
        expo = self.scrape()
        self.assertEqual(aggregate(expo, "nats_connz_connections"), want)
        self.assertEqual(expo.value("nats_server_connections"), want)


if __name__ == "__main__":
    unittest.main()
