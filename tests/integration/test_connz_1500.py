"""connz pages through every connection: 1500 clients on one real nats-server (more than the 1024
/connz returns per page) are all counted, while per-connection series stay at the top-N union.

Runs the exporter with --collectors=varz,connz: neither makes a NATS client connection of its own,
so the server holds exactly the test's 1500 connections.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

CLIENTS = 1500
TOP_N = 10  # the exporter's default connz top N (by pending bytes, and by RTT)


def aggregate(expo, name):
    """The one series of `name` that is not per-connection (has no cid label)."""
    found = [(l, v) for l, v in expo.series(name) if "cid" not in l]
    assert len(found) == 1, f"expected one aggregate {name}, found {len(found)}: {found[:5]}"
    return found[0][1]


class ConnzManyConnections(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        limit = harness.raise_fd_limit(20000)
        if limit < CLIENTS + 200:
            raise unittest.SkipTest(f"fd limit {limit} too low for {CLIENTS} connections")
        cls.server = cls.start_server("n1", jetstream=False)  # inherits the raised fd limit
        cls.clients = []
        for i in range(CLIENTS):
            c = cls.raw_client(cls.server.port, name=f"c{i}")
            c.sub(f"load.{i}", "1")
            cls.clients.append(c)
        for c in cls.clients:
            c.flush()  # every SUB is processed before we look
        harness.wait_until(lambda: cls.server.varz()["connections"] == CLIENTS, 20,
                           what=f"{CLIENTS} connections on the server")
        cls.exporter = cls.start_exporter([f"--nats.url={cls.server.monitor_url}", "--collectors=varz,connz",
                                           "--scrape.timeout=20s"])

    def scrape(self):
        expo = self.exporter.scrape(timeout=60)
        server = f"127.0.0.1:{self.server.http_port}"
        ups = expo.series("nats_up")
        self.assertEqual([v for _, v in ups], [1.0], f"nats_up: {ups}")
        for collector in ("varz", "connz"):
            got = [v for l, v in expo.series("nats_exporter_collector_success", collector=collector)]
            self.assertEqual(got, [1.0], f"{collector} success ({server}): {got}\n{self.exporter.output()[-2000:]}")
        return expo

    def test_1_counts_every_connection(self):
        expo = self.scrape()
        self.assertEqual(aggregate(expo, "nats_connz_connections"), CLIENTS)
        self.assertEqual(aggregate(expo, "nats_connz_subscriptions"), CLIENTS)
        self.assertEqual(expo.value("nats_server_connections"), CLIENTS)
        # Every server-derived series names the server.
        labels, _ = expo.series("nats_server_connections")[0]
        self.assertEqual(labels.get("server_name"), "n1")
        self.assertEqual(labels.get("cluster"), "")

    def test_2_per_connection_series_are_the_top_n_union(self):
        expo = self.scrape()
        per_conn = [(n, l) for n, l, _ in expo.samples if n.startswith("nats_") and "cid" in l]
        cids = {l["cid"] for _, l in per_conn}
        # Top N by pending bytes plus top N by RTT: at least N connections, at most 2N.
        self.assertGreaterEqual(len(cids), TOP_N, f"per-connection cids: {sorted(cids)}")
        self.assertLessEqual(len(cids), 2 * TOP_N, f"per-connection cids: {sorted(cids)}")
        # They are real connections of this server.
        status, _, body = harness.http_get(self.server.monitor_url + "/connz?limit=2000")
        self.assertEqual(status, 200)
        real = {str(c["cid"]) for c in json.loads(body)["connections"]}
        self.assertEqual(len(real), CLIENTS)
        self.assertTrue(cids <= real, f"unknown cids: {sorted(cids - real)}")
        # Each per-connection family holds at most one series per selected connection.
        by_family = {}
        for n, l in per_conn:
            by_family.setdefault(n, []).append(l["cid"])
        for n, ids in by_family.items():
            self.assertEqual(len(ids), len(set(ids)), f"{n} repeats a connection: {sorted(ids)}")
            self.assertLessEqual(len(ids), 2 * TOP_N, n)

    def test_3_counts_follow_closed_connections(self):
        # Runs last (it changes the shared setup): close 250 clients, still more than one page.
        closing = self.clients[:250]
        del self.clients[:250]
        for c in closing:
            c.close()
        want = CLIENTS - 250
        harness.wait_until(lambda: self.server.varz()["connections"] == want, 20, what=f"{want} connections")
        expo = self.scrape()
        self.assertEqual(aggregate(expo, "nats_connz_connections"), want)
        self.assertEqual(aggregate(expo, "nats_connz_subscriptions"), want)
        self.assertEqual(expo.value("nats_server_connections"), want)


if __name__ == "__main__":
    unittest.main()
