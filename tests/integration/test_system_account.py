"""The system-account source against a real supercluster (nats-server 2.9.10).

Cluster A (a1, a2, a3) and cluster B (b1, b2) are joined by gateways; SYS is the system account and
APP has JetStream with an R3 stream placed in A. One exporter reads everything through one NATS
connection (user sys, connected to a1); another reads the five monitoring ports (sidecar mode).
For each server the two expositions must hold the same families and label sets, with equal values
where nothing moves; the stream is reported once, from its leader. Then: wrong credentials, a
tenant (a user of APP), a server reached both ways, 1000 connections on one server, a killed server.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

CLUSTERS = {"A": ("a1", "a2", "a3"), "B": ("b1", "b2")}
SYS_PASSWORD = "sys-s3cret-13"
# What docs/system-account.md says a restricted exporter user needs.
PERMITTED = '["$SYS.REQ.SERVER.PING.STATSZ", "$SYS.REQ.SERVER.*.*", "$SYS.REQ.ACCOUNT.PING.STATZ"]'
ACCOUNTS = f"""
accounts {{
  SYS: {{ users: [ {{user: sys, password: "{SYS_PASSWORD}"}},
                   {{user: exporter, password: "{SYS_PASSWORD}",
                    permissions: {{ publish: {PERMITTED}, subscribe: ["_INBOX.>"] }} }} ] }}
  APP: {{ jetstream: enabled, users: [ {{user: app, password: apppass}} ] }}
}}
system_account: SYS
"""
TIMEOUT = "5s"

# Families whose label sets depend on the scrape itself, not on the server: the exporter's
# self-metrics and the system-account source's own metrics.
SELF = re.compile(r"^nats_(exporter_|system_account_|up$|connz_full_read_age_seconds$)")
# Families whose values move between two scrapes of a live server (counters, clocks, memory,
# per-connection activity): compared by labels only.
MOVING = re.compile(r"(_total$|_seconds$|_bytes$|_ratio$|cpu|memory|rtt|idle|uptime|pending|_messages$|"
                    r"subscriptions|_connections$|cache|_fanout|_lag$|_active$|sent|received|delivered|"
                    r"nats_account_)")


def connections_named(server, name):
    """The server's open client connections with that client name."""
    doc = json.loads(harness.http_get(server.monitor_url + "/connz?limit=1024", timeout=5)[2])
    return [c for c in doc.get("connections", []) if c.get("name") == name]


def by_server(expo, server_name):
    """{(family, frozenset(labels without `server`)): value} of one server's series."""
    out = {}
    for name, labels, value in expo.samples:
        if labels.get("server_name") != server_name or SELF.match(name):
            continue
        key = (name, frozenset((k, v) for k, v in labels.items() if k != "server"))
        out[key] = value
    return out


class SystemAccount(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.raise_fd_limit(8000)
        cls.dir = tempfile.mkdtemp(prefix="natsexp-sysacct-")
        cls.servers = {}
        cls.exporters = []
        cls.client = None
        try:
            cls.start_supercluster()
            cls.build_state()
            cls.sys_exporter = cls.exporter("sys", {"system_account": {
                "servers": [cls.servers["a1"].url],
                "connection": {"user": "sys", "password": SYS_PASSWORD}}})
            cls.sidecar = cls.exporter("sidecar", {}, targets=[
                {"name": s.name, "url": s.monitor_url} for s in cls.servers.values()])
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.client:
            cls.client.close()
        reports = []
        for e in cls.exporters:
            try:
                e.stop()
            except AssertionError as report:  # a sanitizer build's report: after every peer is stopped
                reports.append(str(report))
            e.__exit__(None, None, None)
        for s in cls.servers.values():
            s.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if reports:
            raise AssertionError("\n".join(reports))

    @classmethod
    def exporter(cls, name, extra, targets=None, start=True):
        path = harness.write_exporter_config(os.path.join(cls.dir, f"{name}.yaml"), targets or [],
                                             scrape_timeout=TIMEOUT, extra=extra)
        e = harness.Exporter([f"--config.file={path}"])
        cls.exporters.append(e)
        if start:
            e.start()
        return e

    @classmethod
    def start_supercluster(cls):
        ports = {n: (harness.free_port(), harness.free_port()) for c in CLUSTERS.values() for n in c}  # route, gateway
        gateways = ", ".join(
            f"{{name: {c}, urls: [{', '.join(f'nats://127.0.0.1:{ports[n][1]}' for n in nodes)}]}}"
            for c, nodes in CLUSTERS.items())
        for cluster, nodes in CLUSTERS.items():
            routes = ", ".join(f"nats-route://127.0.0.1:{ports[n][0]}" for n in nodes)
            for n in nodes:
                workdir = os.path.join(cls.dir, n)
                os.makedirs(workdir)
                conf = (f"cluster {{ name: {cluster}, host: 127.0.0.1, port: {ports[n][0]}, routes: [{routes}] }}\n"
                        f"gateway {{ name: {cluster}, host: 127.0.0.1, port: {ports[n][1]}, gateways: [{gateways}] }}\n"
                        + ACCOUNTS)
                cls.servers[n] = harness.NatsServer(n, extra_conf=conf, workdir=workdir)
        for s in cls.servers.values():
            s.start(wait=False)
        for s in cls.servers.values():
            s.wait_ready()

        def gateways_up():
            for s in cls.servers.values():
                gw = json.loads(harness.http_get(s.monitor_url + "/gatewayz", timeout=2)[2])
                if len(gw.get("outbound_gateways", {})) < 1:
                    return False
            return True
        harness.wait_until(gateways_up, 30, interval=0.25, what="gateways between A and B")

        def meta_leader():
            leaders = {json.loads(harness.http_get(s.monitor_url + "/jsz", timeout=2)[2])
                       .get("meta_cluster", {}).get("leader", "") for s in cls.servers.values()}
            return len(leaders) == 1 and "" not in leaders
        harness.wait_until(meta_leader, 40, interval=0.25, what="one JetStream meta leader")

    @classmethod
    def build_state(cls):
        c = cls.client = harness.RawNatsClient(cls.servers["a1"].port, name="sysacct-test", user="app",
                                               password="apppass")
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.ORDERS",
                          {"name": "ORDERS", "subjects": ["orders.>"], "storage": "file", "num_replicas": 3,
                           "placement": {"cluster": "A"}})
        for i in range(50):
            c.pub(f"orders.{i}", b"x" * 64)
        c.flush()
        harness.wait_until(lambda: harness.js_api(c, "$JS.API.STREAM.INFO.ORDERS")["state"]["messages"] == 50,
                           20, what="50 messages in ORDERS")

    def scrape(self, exporter):
        seconds, expo = harness.timed_scrape(exporter)
        return seconds, expo

    def wait_all_up(self, exporter, names):
        def up():
            expo = exporter.scrape()
            return expo if all(expo.has("nats_up", server_name=n) and expo.value("nats_up", server_name=n) == 1
                               for n in names) else None
        return harness.wait_until(up, 30, interval=0.5, what=f"nats_up 1 for {names}")

    def test_1_every_server_of_both_clusters(self):
        names = [n for c in CLUSTERS.values() for n in c]
        expo = self.wait_all_up(self.sys_exporter, names)
        for cluster, nodes in CLUSTERS.items():
            for n in nodes:
                self.assertEqual(expo.value("nats_up", server_name=n, cluster=cluster), 1)
                self.assertEqual(expo.value("nats_server_info", server_name=n, cluster=cluster,
                                            server_id=self.servers[n].varz()["server_id"]), 1)
        self.assertEqual(expo.value("nats_system_account_connected"), 1)
        self.assertEqual(expo.value("nats_system_account_servers", state="answering"), 5)
        self.assertEqual(expo.value("nats_system_account_tenant_mode"), 0)
        self.assertEqual(len(expo.series("nats_up")), 5)
        code, out = harness.promtool_check_metrics(expo.text)
        self.assertEqual(code, 0, out)

    def test_2_series_equal_sidecar(self):
        names = [n for c in CLUSTERS.values() for n in c]
        self.wait_all_up(self.sys_exporter, names)
        self.wait_all_up(self.sidecar, names)
        # Taken back to back: the closest to "the same moment" two scrapes get.
        sys_expo = self.sys_exporter.scrape()
        side_expo = self.sidecar.scrape()
        for n in names:
            with self.subTest(server=n):
                a, b = by_server(sys_expo, n), by_server(side_expo, n)
                self.assertTrue(a, f"no series for {n} in system-account mode")
                sys_keys = {(f, l) for f, l in a if not MOVING.search(f)}
                side_keys = {(f, l) for f, l in b if not MOVING.search(f)}
                self.assertEqual(sys_keys, side_keys)
                # Moving families too: the same label sets, whatever their values.
                self.assertEqual(set(a), set(b))
                self.assertGreaterEqual(len(sys_keys), 30)  # varz, routez, gatewayz, jsz… not a trivial match
                self.assertEqual({f for f, _ in a}, {f for f, _ in b})
                for key in sys_keys:
                    self.assertEqual(a[key], b[key], key)

    def test_3_jetstream_once_from_leader(self):
        info = harness.js_api(self.client, "$JS.API.STREAM.INFO.ORDERS")
        leader = info["cluster"]["leader"]
        expo = self.sys_exporter.scrape()
        streams = expo.series("nats_jetstream_stream_messages", stream="ORDERS")
        self.assertEqual(len(streams), 1, streams)
        self.assertEqual(streams[0][0]["server_name"], leader)
        self.assertEqual(streams[0][1], 50)

    def test_35_restricted_user(self):
        # The permissions docs/system-account.md lists are enough for every collector on every server.
        e = self.exporter("restricted", {"system_account": {
            "servers": [self.servers["a1"].url], "connection": {"user": "exporter", "password": SYS_PASSWORD}}})
        names = [n for c in CLUSTERS.values() for n in c]
        expo = self.wait_all_up(e, names)
        failed = [l for l, v in expo.series("nats_exporter_collector_success") if v != 1]
        self.assertEqual(failed, [])
        self.assertEqual(len(expo.series("nats_exporter_collector_success")), 5 * len(
            {l["collector"] for l, _ in expo.series("nats_exporter_collector_success")}))
        self.assertEqual(expo.value("nats_system_account_tenant_mode"), 0)
        self.assertEqual(expo.value("nats_system_account_request_errors_total", kind="no_responders"), 0)
        e.stop()

    def test_4_wrong_credentials(self):
        e = self.exporter("wrong", {"system_account": {
            "servers": [self.servers["a2"].url], "connection": {"user": "sys", "password": "wrong-pw-4242"}}})
        expo = e.scrape()
        self.assertEqual(expo.value("nats_system_account_connected"), 0)
        self.assertGreaterEqual(expo.value("nats_system_account_connect_failures_total"), 1)
        self.assertFalse(expo.has("nats_up"))
        self.assertNotIn("wrong-pw-4242", expo.text)
        log = harness.wait_until(lambda: (lambda o: o if "cannot connect" in o else None)(e.output()), 10,
                                 what="the connect error in the log")
        self.assertIn("Authorization Violation", log)
        self.assertNotIn("wrong-pw-4242", log)
        e.stop()

    def test_5_tenant_mode(self):
        e = self.exporter("tenant", {"system_account": {
            "servers": [self.servers["a3"].url], "connection": {"user": "app", "password": "apppass"}}})
        expo = harness.wait_until(
            lambda: (lambda x: x if x.has("nats_account_connections") else None)(e.scrape()), 20, interval=0.5,
            what="the tenant's account statistics")
        self.assertEqual(expo.value("nats_system_account_tenant_mode"), 1)
        self.assertEqual(expo.value("nats_system_account_collector_available", collector="varz"), 0)
        self.assertEqual(expo.value("nats_system_account_collector_available", collector="connz"), 1)
        self.assertEqual({l["account"] for l, _ in expo.series("nats_account_connections")}, {"APP"})
        self.assertFalse(expo.has("nats_server_info"))  # varz needs the system account
        # Our own test client (account APP, on a1) is among the tenant's connections.
        self.assertTrue(expo.has("nats_up", server_name="a1"))
        self.assertEqual(expo.value("nats_exporter_collector_success", server_name="a1", collector="connz"), 1)
        self.assertFalse(expo.has("nats_exporter_collector_success", collector="varz"))
        e.scrape()
        self.assertEqual(e.output().count("tenant mode"), 1, e.output())
        # /doctor lists every server, each with the reason it cannot examine it.
        status, _, body = harness.http_get(e.base + "/doctor?format=json")
        self.assertEqual(status, 200)
        report = json.loads(body)
        self.assertEqual(sorted(t["name"] for t in report["targets"]), sorted(n for c in CLUSTERS.values() for n in c))
        for t in report["targets"]:
            self.assertFalse(t["reachable"])
            self.assertIn("tenant mode", t["error"])
        self.assertEqual(report["exit_code"], 2)

    def test_6_mixed_reported_once(self):
        a2 = self.servers["a2"]
        for prefer, server_label in (("http", "http-a2"), ("system_account", "a2")):
            with self.subTest(prefer=prefer):
                e = self.exporter(f"mixed-{prefer}", {"system_account": {
                    "servers": [self.servers["a1"].url], "prefer": prefer,
                    "connection": {"user": "sys", "password": SYS_PASSWORD}}},
                    targets=[{"name": "http-a2", "url": a2.monitor_url}])
                expo = self.wait_all_up(e, ["a1", "a2", "b1"])
                ups = expo.series("nats_up", server_name="a2")
                self.assertEqual(len(ups), 1, ups)
                self.assertEqual(ups[0][0]["server"], server_label)
                self.assertEqual(len(expo.series("nats_server_info", server_name="a2")), 1)
                e.stop()
        # An HTTP target that never answered (nothing listens on its port) named like a server the
        # system account discovers: known by its name only, it is that server, reported once, from
        # the side that answers, even with prefer: http.
        e = self.exporter("mixed-silent", {"system_account": {
            "servers": [self.servers["a1"].url], "connection": {"user": "sys", "password": SYS_PASSWORD}}},
            targets=[{"name": "b1", "url": f"http://127.0.0.1:{harness.free_port()}"}])
        for _ in range(2):  # the first scrape and one that follows
            expo = self.wait_all_up(e, ["a1", "b1"])
            ups = expo.series("nats_up", server_name="b1")
            self.assertEqual(ups, [({"server": "b1", "server_name": "b1", "cluster": "B"}, 1)])
            self.assertEqual(len(expo.series("nats_up")), 5)
            self.assertEqual(len(expo.series("nats_server_info", server_name="b1")), 1)
        e.stop()

    def test_7_thousand_connections(self):
        a3 = self.servers["a3"]
        clients = []
        try:
            for i in range(1000):
                c = harness.RawNatsClient(a3.port, name=f"holder-{i:04d}-" + "n" * 40, user="app", password="apppass")
                c.sub(f"holder.{i}.subject.with.some.length", "1")
                clients.append(c)
            clients[-1].flush()
            expo = harness.wait_until(
                lambda: (lambda x: x if (x.series("nats_server_connections", server_name="a3") or [({}, 0)])[0][1]
                         >= 1000 else None)(self.sys_exporter.scrape()), 30, interval=0.5,
                what="1000 connections on a3")
            self.assertEqual(expo.value("nats_exporter_collector_success", server_name="a3", collector="connz"), 1)
            # Every connection was read (counted over the CONNZ pages), not just the first page.
            self.assertGreaterEqual(expo.value("nats_connz_connections", server_name="a3"), 1000)
            self.assertLess(expo.value("nats_system_account_reply_bytes_max"),
                            expo.value("nats_system_account_max_payload_bytes"))
            # Once a CONNZ page proved large, it is asked gzip-compressed: the largest reply of a
            # scrape drops from ~600 KB (1000 connections as JSON) to a few dozen KB.
            expo = harness.wait_until(
                lambda: (lambda x: x if x.value("nats_system_account_reply_bytes_max") < 150000 else None)(
                    self.sys_exporter.scrape()), 15, interval=0.5, what="compressed CONNZ replies")
            self.assertGreaterEqual(expo.value("nats_connz_connections", server_name="a3"), 1000)
            self.assertEqual(expo.value("nats_exporter_collector_success", server_name="a3", collector="connz"), 1)
        finally:
            for c in clients:
                c.close()

    def test_8_reload(self):
        # A reload that leaves the section as it was keeps the connection (same cid on a2, one
        # connect in the log); one that changes it makes a new connection and closes the old one.
        # The servers stay reported throughout.
        a2 = self.servers["a2"]
        section = {"servers": [a2.url], "connection": {"user": "sys", "password": SYS_PASSWORD, "name": "reloaded"}}
        e = self.exporter("reload", {"system_account": section})
        names = [n for c in CLUSTERS.values() for n in c]
        self.wait_all_up(e, names)
        before = connections_named(a2, "reloaded")
        self.assertEqual(len(before), 1, before)
        os.kill(e.proc.pid, signal.SIGHUP)
        harness.wait_until(lambda: "configuration reloaded" in e.output(), 10, what="the reload")
        self.wait_all_up(e, names)
        self.assertEqual([c["cid"] for c in connections_named(a2, "reloaded")], [before[0]["cid"]])
        self.assertEqual(e.output().count("system account: connected"), 1, e.output())
        self.assertNotIn("section changed", e.output())

        harness.write_exporter_config(os.path.join(self.dir, "reload.yaml"), [], scrape_timeout=TIMEOUT,
                                      extra={"system_account": {**section, "discovery_gap": "300ms"}})
        os.kill(e.proc.pid, signal.SIGHUP)
        # The new source connects at its first scrape; the old connection closes.
        harness.wait_until(lambda: e.scrape() and e.output().count("system account: connected") >= 2, 15,
                           interval=0.2, what="a new connection after the reload")
        self.assertIn("section changed", e.output())
        after = harness.wait_until(lambda: (lambda c: c if len(c) == 1 else None)(connections_named(a2, "reloaded")),
                                   10, what="the old connection closed")
        self.assertNotEqual(after[0]["cid"], before[0]["cid"])
        self.wait_all_up(e, names)
        self.assertIsNone(e.proc.poll())
        e.stop()

    def test_85_doctor_covers_discovered_servers(self):
        # /doctor and the CLI report every server of both clusters, each once: a2 is also an HTTP
        # target of the same name (prefer: http, so a2 comes from its monitoring port). Provoked: two
        # instances of "orders-svc" (account APP) subscribe to orders.new without a queue group, one
        # on b1 and one on b2 (cluster B, reached over the gateway).
        names = [n for c in CLUSTERS.values() for n in c]
        a2 = self.servers["a2"]
        section = {"servers": [self.servers["a1"].url],
                   "connection": {"user": "sys", "password": SYS_PASSWORD, "name": "doctor-page"}}
        extra = {"system_account": section, "connz": {"full_read_interval": "0s"}}
        e = self.exporter("doctor", extra, targets=[{"name": "a2", "url": a2.monitor_url}])
        svcs = []
        for n in ("b1", "b2"):
            c = harness.RawNatsClient(self.servers[n].port, name="orders-svc", user="app", password="apppass")
            self.addCleanup(c.close)
            c.sub("orders.new", "1")
            c.flush()
            svcs.append(c)
        self.wait_all_up(e, names)

        def check(report, exit_code):
            by_name = {t["name"]: t for t in report["targets"]}
            self.assertEqual(sorted(t["name"] for t in report["targets"]), sorted(names))
            for cluster, nodes in CLUSTERS.items():
                for n in nodes:
                    self.assertTrue(by_name[n]["reachable"], by_name[n])
                    self.assertEqual(by_name[n]["server_name"], n)
                    self.assertEqual(by_name[n]["cluster"], cluster)
            self.assertEqual(by_name["a2"]["url"], a2.monitor_url)  # the HTTP side won
            self.assertEqual(by_name["b2"]["url"], "nats-system-account://b2")
            found = [f for f in report["findings"] if f["check"] == "missing-queue-group"]
            self.assertEqual(len(found), 1, report["findings"])
            self.assertEqual(found[0]["scope"], "all targets")
            evidence = "\n".join(found[0]["evidence"])
            self.assertIn('client "orders-svc" (account APP) subscribes to "orders.new" without a queue group on 2 '
                          'connections', evidence)
            self.assertIn(" on b1", evidence)
            self.assertIn(" on b2", evidence)
            self.assertEqual(report["exit_code"], exit_code)

        status, _, body = harness.http_get(e.base + "/doctor?format=json")
        self.assertEqual(status, 200)
        report = json.loads(body)
        check(report, report["exit_code"])
        self.assertGreaterEqual(report["exit_code"], 1)
        status, _, text = harness.http_get(e.base + "/doctor?format=text")
        for n in names:
            self.assertIn(f"{n} ", text.decode())
        # The page used the scrape's connection: still one, connected once.
        self.assertEqual(sum(len(connections_named(s, "doctor-page")) for s in self.servers.values()), 1)
        self.assertEqual(e.output().count("system account: connected"), 1, e.output())
        e.stop()

        # The CLI makes its own connection, with the same config file.
        env = dict(os.environ)
        env.pop("NATS_EXPORTER_BIN", None)
        config = os.path.join(self.dir, "doctor.yaml")
        for fmt in ("json", "text"):
            r = subprocess.run([harness.EXPORTER_BIN, "doctor", f"--config.file={config}", "--doctor.interval=0s",
                                f"--format={fmt}"], capture_output=True, text=True, timeout=60, env=env)
            self.assertNotIn(SYS_PASSWORD, r.stdout + r.stderr)
            if fmt == "json":
                report = json.loads(r.stdout)
                check(report, r.returncode)
            else:
                self.assertIn("[WARNING] missing-queue-group (all targets)", r.stdout)
                for n in names:
                    self.assertIn(f"{n} ", r.stdout)

    def test_9_killed_server(self):
        names = [n for c in CLUSTERS.values() for n in c]
        self.wait_all_up(self.sys_exporter, names)
        forgetful = self.exporter("forget", {"system_account": {
            "servers": [self.servers["a1"].url], "forget_after": "3s",
            "connection": {"user": "sys", "password": SYS_PASSWORD}}})
        self.wait_all_up(forgetful, names)
        self.servers["b2"].stop()
        seconds, expo = self.scrape(self.sys_exporter)
        self.assertLess(seconds, 5.0 + 1.0)
        self.assertEqual(expo.value("nats_up", server_name="b2"), 0)
        self.assertEqual(forgetful.scrape().value("nats_up", server_name="b2"), 0)
        leftovers = [n for n, l, _ in expo.samples if l.get("server_name") == "b2" and not SELF.match(n)]
        self.assertEqual(leftovers, [])
        # The servers of the exporter's own cluster answer over direct routes: unaffected.
        for n in CLUSTERS["A"]:
            self.assertEqual(expo.value("nats_up", server_name=n), 1, n)
        # b1 is reached over a gateway: when b2 carried it, b1 is cut off until the gateway
        # reconnects (about a second; docs/system-account.md, "Limits"), then answers again.
        expo = harness.wait_until(
            lambda: (lambda x: x if x.value("nats_up", server_name="b1") == 1 else None)(self.sys_exporter.scrape()),
            15, interval=0.5, what="b1 up again")
        self.assertEqual(expo.value("nats_up", server_name="b2"), 0)
        self.assertEqual(expo.value("nats_system_account_servers", state="silent"), 1)
        # After forget_after (3 s since it last answered) it is no target at all.
        time.sleep(3.5)
        expo = forgetful.scrape()
        self.assertFalse(expo.has("nats_up", server_name="b2"))
        self.assertEqual(len(expo.series("nats_up")), 4)
        self.assertIn("forgetting a server", forgetful.output())


if __name__ == "__main__":
    unittest.main()
