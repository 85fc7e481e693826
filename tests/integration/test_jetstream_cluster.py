"""JetStream in a 3-node cluster: one series per stream and per consumer, from the leader.

Each node's /jsz lists its own replica of an R3 stream and consumer, and only the leader's consumer
numbers are current. With all three nodes as targets of one exporter, the stream ORDERS and the
consumer ORDERS/processor must each appear exactly once, with the leader's values and the leader's
server_name, so sum() never counts a replica three times.

State built (as in the fixtures): 1000 messages; durable pull consumer `processor` (explicit ack,
ack_wait 2s) fetched 100 without acking, then after ack_wait fetched 50 more, all redeliveries ->
on the leader num_pending=900, num_ack_pending=100, num_redelivered=50.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

NODES = ("n1", "n2", "n3")
MESSAGES = 1000
FETCH = 100
REDELIVER = 50
SETTLE = 20.0  # seconds to wait for the cluster to agree before asserting


def fetch(client, count, timeout=10.0):
    """Pull `count` messages from ORDERS/processor without acking them; returns them."""
    inbox, sid = harness.raw_inbox()
    client.sub(inbox, sid)
    harness.raw_pub_reply(client, "$JS.API.CONSUMER.MSG.NEXT.ORDERS.processor", inbox,
                          json.dumps({"batch": count, "expires": int(timeout * 1e9)}))
    got = []
    while len(got) < count:
        m = harness.raw_next_msg(client, timeout)
        if m["sid"] != sid:
            continue
        if m["headers"] and not m["data"]:  # a status message (408/404), not a stream message
            raise AssertionError(f"pull ended early after {len(got)}: {m['headers']!r}")
        got.append(m)
    client.send(f"UNSUB {sid}\r\n")
    return got


class JetStreamCluster(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = cls.temp_dir("natsexp-jscluster-")
        cls.servers = []
        cls.start_cluster()
        cls.build_state()
        config = harness.write_exporter_config(
            os.path.join(cls.dir, "exporter.yaml"),
            [{"name": s.name, "url": s.monitor_url} for s in cls.servers], scrape_timeout="5s")
        cls.exporter = cls.start_exporter([f"--config.file={config}"])

    @classmethod
    def start_cluster(cls):
        cluster_ports = [harness.free_port() for _ in NODES]
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in cluster_ports)
        for name, cport in zip(NODES, cluster_ports):
            workdir = os.path.join(cls.dir, name)
            os.makedirs(workdir)
            conf = f"cluster {{\n  name: C1\n  host: 127.0.0.1\n  port: {cport}\n  routes: [{routes}]\n}}\n"
            server = harness.NatsServer(name, extra_conf=conf, workdir=workdir)
            cls.addClassCleanup(server.stop)
            cls.servers.append(server)
        for s in cls.servers:
            s.start(wait=False)
        for s in cls.servers:
            s.wait_ready()

        def meta_leader():
            leaders = set()
            for s in cls.servers:
                jsz = json.loads(harness.http_get(s.monitor_url + "/jsz", timeout=2)[2])
                leaders.add(jsz.get("meta_cluster", {}).get("leader", ""))
            return leaders if len(leaders) == 1 and "" not in leaders else None
        harness.wait_until(meta_leader, 30, interval=0.25, what="one JetStream meta leader on all nodes")
        for s in cls.servers:
            harness.wait_until(lambda: harness.http_get(s.monitor_url + "/healthz", timeout=2)[0] == 200, 30,
                               interval=0.25, what=f"{s.name} /healthz ok")

    @classmethod
    def build_state(cls):
        c = cls.client = cls.raw_client(cls.servers[0].port, name="jscluster-test")
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.ORDERS",
                          {"name": "ORDERS", "subjects": ["orders.>"], "storage": "file", "num_replicas": 3})
        kinds = ("created", "paid", "shipped", "cancelled")
        for i in range(MESSAGES):
            c.pub(f"orders.{kinds[i % 4]}", json.dumps({"id": i, "pad": "x" * 100}).encode())
            if i % 100 == 99:
                c.flush()
        c.flush()
        harness.wait_until(
            lambda: harness.js_api(c, "$JS.API.STREAM.INFO.ORDERS").get("state", {}).get("messages") == MESSAGES,
            20, interval=0.2, what=f"{MESSAGES} messages in ORDERS")
        harness.js_api_ok(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.processor",
                          {"stream_name": "ORDERS",
                           "config": {"durable_name": "processor", "ack_policy": "explicit",
                                      "ack_wait": 2 * 10**9, "max_ack_pending": 1000}})
        first = fetch(c, FETCH)
        assert len(first) == FETCH
        time.sleep(2.5)  # ack_wait passes: the next pull gets redeliveries
        again = fetch(c, REDELIVER)
        assert len(again) == REDELIVER
        # $JS.ACK.<stream>.<consumer>.<delivered count>.…: every one of the second batch is a redelivery.
        counts = [int(m["reply"].split(".")[4]) for m in again]
        assert all(n >= 2 for n in counts), counts
        info = harness.js_api_ok(c, "$JS.API.CONSUMER.INFO.ORDERS.processor")
        got = (info["num_pending"], info["num_ack_pending"], info["num_redelivered"])
        assert got == (MESSAGES - FETCH, FETCH, REDELIVER), info

    def leaders(self):
        c = self.client
        consumer = harness.js_api_ok(c, "$JS.API.CONSUMER.INFO.ORDERS.processor")
        stream = harness.js_api_ok(c, "$JS.API.STREAM.INFO.ORDERS")
        return stream["cluster"]["leader"], consumer["cluster"]["leader"]

    def settled_scrape(self):
        """Scrapes until the exposition agrees with the JetStream API (or SETTLE passes); returns the
        last exposition and the (stream leader, consumer leader)."""
        deadline = time.monotonic() + SETTLE
        while True:
            expo = self.exporter.scrape(timeout=30)
            leaders = self.leaders()
            stream = expo.series("nats_jetstream_stream_messages", stream="ORDERS")
            pending = expo.series("nats_jetstream_consumer_pending_messages", consumer="processor")
            ok = (len(stream) == 1 and stream[0][1] == MESSAGES and stream[0][0].get("server_name") == leaders[0]
                  and len(pending) == 1 and pending[0][1] == MESSAGES - FETCH
                  and pending[0][0].get("server_name") == leaders[1])
            if ok or time.monotonic() > deadline:
                return expo, leaders
            time.sleep(0.5)

    def test_all_targets_up(self):
        expo, _ = self.settled_scrape()
        for s in self.servers:
            self.assertEqual(expo.value("nats_up", server=s.name), 1.0, s.name)
            self.assertEqual(expo.value("nats_exporter_collector_success", server=s.name, collector="jsz"), 1.0,
                             f"{s.name}: {self.exporter.output()[-2000:]}")
            info = expo.series("nats_server_info", server_name=s.name)
            self.assertEqual(len(info), 1, s.name)
            self.assertEqual(info[0][0].get("cluster"), "C1")

    def test_one_stream_series_from_the_leader(self):
        expo, (stream_leader, _) = self.settled_scrape()
        stream = expo.series("nats_jetstream_stream_messages", stream="ORDERS")
        self.assertEqual(len(stream), 1, f"ORDERS series: {stream}")
        labels, value = stream[0]
        self.assertEqual(value, MESSAGES)
        self.assertEqual(labels.get("server_name"), stream_leader)
        self.assertEqual(labels.get("cluster"), "C1")
        self.assertEqual(labels.get("account"), "$G")

    def test_one_consumer_series_from_the_leader(self):
        expo, (_, consumer_leader) = self.settled_scrape()
        self.assertIn(consumer_leader, NODES)
        want = {
            "nats_jetstream_consumer_pending_messages": MESSAGES - FETCH,
            "nats_jetstream_consumer_ack_pending_messages": FETCH,
            "nats_jetstream_consumer_redelivered_messages": REDELIVER,
        }
        for name, value in want.items():
            found = expo.series(name, consumer="processor")
            self.assertEqual(len(found), 1, f"{name}: {found}")
            labels, got = found[0]
            self.assertEqual(got, value, name)
            self.assertEqual(labels.get("server_name"), consumer_leader, name)
            self.assertEqual(labels.get("stream"), "ORDERS", name)
            self.assertEqual(labels.get("account"), "$G", name)
            self.assertEqual(labels.get("cluster"), "C1", name)


if __name__ == "__main__":
    unittest.main()
