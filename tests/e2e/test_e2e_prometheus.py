"""End to end with real components: nats-server, nats-exporter with client probes, and a real
Prometheus (Debian's `prometheus`, 1 s scrape and evaluation interval) that loads the shipped rule
files. Everything runs on 127.0.0.1 with free ports and is stopped by PID.

Topology (so that the route, gateway and leaf node panels have data):
    n1     JetStream (standalone), leaf node hub; stream ORDERS with a durable consumer nobody reads
    leaf1  leaf node of n1
    e1, e2 cluster "east" (a route between them), gateway "east"
    w1     gateway "west", connected to east
The exporter reads all five monitoring ports and runs three probes against n1: request (built-in
responder), jetstream-publish (stream PROBE) and consumer-watch (ORDERS/processor). A publisher
writes 100 messages/s into ORDERS, so the consumer's backlog grows steadily.
A sixth server, svc (not a target), has accounts as in docs/observations.md: account SVC exports
svc.echo with latency tracking, CLIENT imports it, APP has JetStream. Two observations read it (the
services dashboard): a requestor in CLIENT calls svc.echo 20 times a second, and a worker in APP
acks a consumer with sample_freq 100%; one API call fails on purpose.

Checks:
- Prometheus reports the exporter target up, with no scrape error;
- every shipped rule loads and evaluates without error against the real series;
- a copy of NatsConsumerBacklogGrowing with its windows and `for:` divided by 30 (5m -> 10s,
  15m -> 30s, for 10m -> 20s) goes pending and then firing for ORDERS/processor;
- every query of every panel of every dashboard, with the template variables substituted, parses
  (instant and range) and returns at least one series, except the panels in EXCLUDED (with the
  reason); legends only name labels the series have; every label a selector filters on exists on
  that metric; every template variable query finds values.
"""
import os
import re
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import dashboards_lib as lib  # noqa: E402

JOB = "nats"
# Template variables: the job as it is; every other variable at Grafana's "All" (.*).
VALUES = {"job": JOB, "cluster": ".*", "server": ".*", "probe": ".*", "account": ".*", "stream": ".*",
          "consumer": ".*", "observation": ".*", "service": ".*"}
# Grafana's built-ins: $__rate_interval is 4 x the scrape interval in Grafana's own formula.
BUILTINS = {"__rate_interval": "4s", "__interval": "2s", "__range": "1m", "__range_s": "60"}

# Panels that cannot have data in this test, and why. They must still parse.
EXCLUDED = {
    ("nats-overview.json", "Leaf node pending bytes"):
        "nats-server 2.9 (Debian's, the one tested) has no pending field in /leafz; the series exists from 2.10 on",
    ("nats-jetstream.json", "Stream replica lag"):
        "needs a clustered JetStream with replicated (R3) streams; this test runs JetStream standalone. "
        "tests/integration/test_jetstream_cluster.py covers the replica series",
    ("nats-jetstream.json", "Consumer replica lag"): "needs a clustered JetStream (R3 consumers)",
    ("nats-jetstream.json", "Replicas not current"): "needs a clustered JetStream (R3 streams)",
    ("nats-jetstream.json", "Replica last seen"): "needs a clustered JetStream (R3 streams)",
    ("nats-jetstream.json", "Meta group"): "needs a clustered JetStream (meta group); a standalone server has none",
}

PUBLISH_RATE = 100  # messages/s into ORDERS
COMPRESSION = 30


SVC_ACCOUNTS = """
accounts {
  SVC: {
    users: [ {user: svc, password: svcpass} ]
    exports: [
      { service: "svc.echo", accounts: [CLIENT], latency: { sampling: 100%, subject: "latency.svc.echo" } }
      { service: "svc.down", accounts: [CLIENT], latency: { sampling: 100%, subject: "latency.svc.down" } }
    ]
  }
  CLIENT: {
    users: [ {user: client, password: clientpass} ]
    imports: [
      { service: {account: SVC, subject: "svc.echo"}, share: true }
      { service: {account: SVC, subject: "svc.down"}, share: true }
    ]
  }
  APP: { jetstream: enabled, users: [ {user: app, password: apppass} ] }
  SYS: { users: [ {user: sys, password: syspass} ] }
}
system_account: SYS
"""


def conf_block(name, body):
    return f"{name} {{\n{body}\n}}\n"


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.tmp = tempfile.mkdtemp(prefix="nats-e2e-")
        cls.addClassCleanup(harness.shutil.rmtree, cls.tmp, True)
        fp = harness.free_port
        leaf_port, e1_route, e2_route, e1_gw, e2_gw, w1_gw = fp(), fp(), fp(), fp(), fp(), fp()
        routes = f"nats-route://127.0.0.1:{e1_route}, nats-route://127.0.0.1:{e2_route}"

        def east(name, route_port, gw_port):
            return harness.NatsServer(name, jetstream=False, extra_conf=(
                conf_block("cluster", f"  name: east\n  host: 127.0.0.1\n  port: {route_port}\n  routes: [ {routes} ]")
                + conf_block("gateway", f"  name: east\n  host: 127.0.0.1\n  port: {gw_port}\n"
                                        f"  gateways: [ {{ name: west, urls: [ \"nats://127.0.0.1:{w1_gw}\" ] }} ]")))

        cls.n1 = harness.NatsServer("n1", jetstream=True,
                                    extra_conf=conf_block("leafnodes", f"  host: 127.0.0.1\n  port: {leaf_port}"))
        cls.servers = [
            cls.n1,
            harness.NatsServer("leaf1", jetstream=False, extra_conf=conf_block(
                "leafnodes", f"  remotes: [ {{ url: \"nats-leaf://127.0.0.1:{leaf_port}\" }} ]")),
            east("e1", e1_route, e1_gw),
            east("e2", e2_route, e2_gw),
            harness.NatsServer("w1", jetstream=False, extra_conf=conf_block(
                "gateway", f"  name: west\n  host: 127.0.0.1\n  port: {w1_gw}\n"
                           f"  gateways: [ {{ name: east, urls: [ \"nats://127.0.0.1:{e1_gw}\", "
                           f"\"nats://127.0.0.1:{e2_gw}\" ] }} ]")),
        ]
        for s in cls.servers:
            cls.addClassCleanup(s.__exit__)
            s.start()
        cls.svc = harness.NatsServer("svc", jetstream=True, extra_conf=SVC_ACCOUNTS)
        cls.addClassCleanup(cls.svc.__exit__)
        cls.svc.start()
        app = cls.app_client = harness.RawNatsClient(cls.svc.port, name="e2e-app", user="app", password="apppass")
        cls.addClassCleanup(app.close)
        harness.js_api_ok(app, "$JS.API.STREAM.CREATE.EVENTS",
                          {"name": "EVENTS", "subjects": ["events.>"], "storage": "memory"})
        harness.js_api_ok(app, "$JS.API.CONSUMER.DURABLE.CREATE.EVENTS.worker",
                          {"stream_name": "EVENTS",
                           "config": {"durable_name": "worker", "ack_policy": "explicit", "sample_freq": "100%"}})

        c = cls.setup_client = harness.RawNatsClient(cls.n1.port, name="e2e-setup")
        cls.addClassCleanup(c.close)
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.ORDERS",
                          {"name": "ORDERS", "subjects": ["orders.>"], "storage": "file"})
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.PROBE",
                          {"name": "PROBE", "subjects": ["probe.js.>"], "storage": "memory", "max_msgs": 1000,
                           "discard": "old"})
        harness.js_api_ok(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.processor",
                          {"stream_name": "ORDERS",
                           "config": {"durable_name": "processor", "ack_policy": "explicit",
                                      "max_ack_pending": 1000, "deliver_policy": "all"}})

        # The exporter: every server, every collector, three probes against n1.
        config = harness.write_exporter_config(
            os.path.join(cls.tmp, "exporter.yaml"), [{"name": s.name, "url": s.monitor_url} for s in cls.servers],
            extra={"probes": [
                {"name": "nats-rtt", "kind": "request", "servers": [cls.n1.url], "interval": "100ms",
                 "timeout": "1s"},
                {"name": "js-write", "kind": "jetstream-publish", "servers": [cls.n1.url],
                 "subject": "probe.js.write", "interval": "250ms", "timeout": "1s"},
                {"name": "orders-watch", "kind": "consumer-watch", "servers": [cls.n1.url], "stream": "ORDERS",
                 "consumer": "processor", "interval": "500ms", "timeout": "1s"},
            ], "observations": [
                {"name": "services", "kind": "service-latency", "subject": "latency.svc.>", "servers": [cls.svc.url],
                 "connection": {"user": "svc", "password": "svcpass"}},
                {"name": "app-js", "kind": "jetstream-events", "servers": [cls.svc.url],
                 "connection": {"user": "app", "password": "apppass"}},
            ]})
        cls.exporter = harness.Exporter([f"--config.file={config}"])
        cls.addClassCleanup(cls.exporter.__exit__)
        cls.exporter.start()

        # The backlog: a steady publisher into ORDERS, whose consumer nobody reads.
        cls.stop_traffic = threading.Event()
        cls.published = 0
        cls.traffic = threading.Thread(target=cls._publish, daemon=True)
        cls.traffic.start()
        cls.addClassCleanup(cls.traffic.join, 10)
        # Real requests across the account boundary, and acked JetStream work (observations).
        cls.service_threads = [threading.Thread(target=f, daemon=True)
                               for f in (cls._respond, cls._request, cls._work)]
        for t in cls.service_threads:
            t.start()
            cls.addClassCleanup(t.join, 10)
        cls.addClassCleanup(cls.stop_traffic.set)

        # Prometheus: the shipped rule files, plus the compressed copy of the backlog alert.
        compressed = os.path.join(cls.tmp, "compressed-backlog.yaml")
        with open(compressed, "w") as f:
            f.write(lib.compressed_rule_file("NatsConsumerBacklogGrowing", COMPRESSION, ("e2e", "compressed")))
        cls.prom = harness.Prometheus({
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [lib.RECORDING_FILE, lib.ALERTS_FILE, compressed],
            "scrape_configs": [{"job_name": JOB,
                                "static_configs": [{"targets": [f"127.0.0.1:{cls.exporter.port}"]}]}],
        }, workdir=os.path.join(cls.tmp, "prometheus"))
        os.makedirs(cls.prom.workdir)
        cls.addClassCleanup(cls.prom.stop)
        cls.prom.start()
        cls.started = time.monotonic()
        print(f"\n[e2e] 6 servers, exporter and Prometheus up in {cls.started - cls.t0:.1f}s", flush=True)

    @classmethod
    def _publish(cls):
        client = harness.RawNatsClient(cls.n1.port, name="e2e-publisher")
        try:
            n = 0
            while not cls.stop_traffic.is_set():
                client.pub("orders.new", b"order %d" % n)
                n += 1
                cls.published = n
                if n % 10 == 0:
                    client.flush()
                time.sleep(1.0 / PUBLISH_RATE)
        finally:
            client.close()

    @classmethod
    def _respond(cls):
        client = harness.RawNatsClient(cls.svc.port, name="e2e-echo", user="svc", password="svcpass")
        client.sub("svc.echo", "1")
        client.flush()
        try:
            while not cls.stop_traffic.is_set():
                try:
                    m = harness.raw_next_msg(client, timeout=0.5)
                except Exception:  # noqa: BLE001 - a timeout
                    continue
                if m["reply"]:
                    client.pub(m["reply"], m["data"])
        finally:
            client.close()

    @classmethod
    def _request(cls):
        client = harness.RawNatsClient(cls.svc.port, name="e2e-requestor", user="client", password="clientpass")
        try:
            n = 0
            while not cls.stop_traffic.is_set():
                subject = "svc.down" if n % 100 == 99 else "svc.echo"  # a 503 now and then
                try:
                    harness.raw_request(client, subject, b"ping", timeout=0.2 if subject == "svc.down" else 2)
                except (TimeoutError, OSError):
                    pass
                n += 1
                time.sleep(0.05)
        finally:
            client.close()

    @classmethod
    def _work(cls):
        client = harness.RawNatsClient(cls.svc.port, name="e2e-worker", user="app", password="apppass")
        try:
            harness.js_api(client, "$JS.API.CONSUMER.INFO.EVENTS.missing")  # an API error, on purpose
            n = 0
            while not cls.stop_traffic.is_set():
                client.pub(f"events.e{n % 10}", b"event %d" % n)
                n += 1
                try:
                    m = harness.raw_request(client, "$JS.API.CONSUMER.MSG.NEXT.EVENTS.worker", b'{"batch": 1}',
                                            timeout=2)
                    if m["reply"].startswith("$JS.ACK."):
                        client.pub(m["reply"], b"+ACK")
                except (TimeoutError, OSError):
                    pass
                time.sleep(0.1)
        finally:
            client.close()

    # -- helpers ----------------------------------------------------------------------------------

    def query(self, expr):
        status, body = self.prom.query(expr)
        self.assertEqual(body.get("status"), "success", f"{expr}: HTTP {status} {body.get('error')}")
        return body["data"]["result"]

    def wait_for_data(self):
        """Until the slowest inputs of the dashboards exist: recorded probe quantiles and the
        jsz consumer series (a few scrapes and rule evaluations)."""
        harness.wait_until(
            lambda: self.query('nats_probe:request_duration_seconds:p99_5m{probe="nats-rtt"}')
            and self.query('nats_probe:jetstream_publish_duration_seconds:p50_5m')
            and self.query('deriv(nats_jetstream_consumer_pending_messages[5m])')
            and self.query('rate(nats_route_messages_sent_total[4s])')
            and self.query('nats_service_latency:nats_share:p99_5m > -1')
            and self.query('nats_jetstream_ack_time_seconds_count > 0')
            and self.query('nats_jetstream_api_audit_errors_total'),
            60, interval=0.5, what="probe quantiles, consumer and observation series in Prometheus")

    # -- tests --------------------------------------------------------------------------------------

    def test_1_target_up_without_scrape_errors(self):
        def target():
            _, body = self.prom.api("targets")
            active = [t for t in body["data"]["activeTargets"] if t["labels"].get("job") == JOB]
            return active if active and all(t["health"] != "unknown" for t in active) else None
        active = harness.wait_until(target, 30, interval=0.25, what="the exporter target to be scraped")
        self.assertEqual(len(active), 1)
        t = active[0]
        self.assertEqual(t["health"], "up", t)
        self.assertEqual(t["lastError"], "", t)
        # The exporter sees every server, and its collectors succeed.
        up = {r["metric"]["server"]: float(r["value"][1]) for r in self.query(f'nats_up{{job="{JOB}"}}')}
        self.assertEqual(up, {s.name: 1.0 for s in self.servers})
        failing = self.query(f'nats_exporter_collector_success{{job="{JOB}"}} == 0')
        self.assertEqual(failing, [], "collectors failing")
        print(f"[e2e] target up, last scrape {t['lastScrapeDuration'] * 1000:.1f} ms, no scrape error", flush=True)

    def test_2_rules_load_and_evaluate_without_errors(self):
        alerts, records = set(lib.alert_names()), set(lib.record_names())

        def evaluated():
            _, body = self.prom.api("rules")
            rules = [r for g in body["data"]["groups"] for r in g["rules"]]
            return rules if rules and all(r.get("health") != "unknown" for r in rules) else None
        rules = harness.wait_until(evaluated, 30, interval=0.25, what="every rule evaluated once")
        loaded_alerts = {r["name"] for r in rules if r["type"] == "alerting"}
        loaded_records = {r["name"] for r in rules if r["type"] == "recording"}
        self.assertLessEqual(alerts, loaded_alerts)
        self.assertEqual(records, loaded_records)
        for r in rules:
            with self.subTest(rule=r["name"]):
                self.assertEqual(r["health"], "ok", r.get("lastError"))
                self.assertEqual(r.get("lastError", ""), "")
        # The real (10-minute) backlog rule does not fire within the test's minutes; nothing else does
        # on a healthy topology.
        _, body = self.prom.api("alerts")
        real = [a for a in body["data"]["alerts"] if a["labels"].get("e2e") != "compressed"]
        self.assertEqual([a for a in real if a["state"] == "firing"], [], "no shipped alert fires")
        print(f"[e2e] {len(loaded_alerts)} alerting and {len(loaded_records)} recording rules evaluate "
              f"without error", flush=True)

    def test_3_backlog_growth_alert_goes_pending_then_firing(self):
        seen = {}

        def state():
            _, body = self.prom.api("alerts")
            for a in body["data"]["alerts"]:
                l = a["labels"]
                if (l.get("alertname") == "NatsConsumerBacklogGrowing" and l.get("e2e") == "compressed"
                        and l.get("stream") == "ORDERS" and l.get("consumer") == "processor"):
                    seen.setdefault(a["state"], (time.monotonic() - self.started, float(a["value"]), l))
            return "firing" in seen
        harness.wait_until(state, 120, interval=0.5, what="NatsConsumerBacklogGrowing (compressed) to fire")
        self.assertIn("firing", seen)
        t_fire, value, labels = seen["firing"]
        # The jsz branch (leader series, with server_name) fires, not the probe's duplicate.
        self.assertEqual(labels.get("server_name"), "n1", labels)
        self.assertEqual(labels.get("severity"), "warning")
        self.assertGreater(value, 1000)
        # Exactly one alert for the consumer: the probe also watches ORDERS/processor.
        _, body = self.prom.api("alerts")
        mine = [a for a in body["data"]["alerts"] if a["labels"].get("e2e") == "compressed"]
        self.assertEqual(len(mine), 1, mine)
        pending = seen.get("pending")
        print(f"[e2e] NatsConsumerBacklogGrowing (windows / {COMPRESSION}): "
              + (f"pending at {pending[0]:.0f}s ({pending[1]:.0f} messages), " if pending else "")
              + f"firing at {t_fire:.0f}s after Prometheus started, backlog {value:.0f} messages "
              f"({self.published} published)", flush=True)

    def test_4_every_dashboard_query_returns_series(self):
        self.wait_for_data()
        now = time.time()
        checked, excluded_series, failures = 0, {}, []
        exposed = {}
        for metric, labels, _ in self.exporter.scrape().samples:
            exposed.setdefault(metric, set()).update(labels)
        dashboards = lib.load_dashboards()
        titles = {(n, p["title"]) for n, d in dashboards for p in lib.panels(d)}
        self.assertLessEqual(set(EXCLUDED), titles, "EXCLUDED names a panel that does not exist")
        for name, d in dashboards:
            for title, t in lib.queries(d):
                expr = lib.substitute(t["expr"], VALUES, BUILTINS)
                self.assertNotIn("$", expr, f"{name} / {title}: unsubstituted variable")
                with self.subTest(dashboard=name, panel=title, expr=expr):
                    checked += 1
                    instant = self.query(expr)
                    results = [instant]
                    if t.get("range", True) and not t.get("instant"):
                        status, body = self.prom.api("query_range", {"query": expr, "start": now - 30,
                                                                     "end": now, "step": 2})
                        self.assertEqual(body.get("status"), "success", f"HTTP {status} {body.get('error')}")
                        results.append(body["data"]["result"])
                    if (name, title) in EXCLUDED:
                        excluded_series[(name, title)] = excluded_series.get((name, title), 0) + sum(map(len, results))
                        continue
                    for r in results:
                        if not r:
                            failures.append(f"{name} / {title}: no series for {expr}")
                            break
                    else:
                        # A legend names labels the series have.
                        have = set().union(*(set(s["metric"]) for r in results for s in r))
                        for label in re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", t.get("legendFormat", "")):
                            self.assertIn(label, have, f"legend {t['legendFormat']!r}")
                        # Every label a selector filters on is one the exporter writes on that
                        # metric (a typo would still match ".*"). Read from the exposition, where an
                        # empty label (cluster="" on a standalone server) is still written.
                        for metric, label in lib.label_matchers(t["expr"]):
                            if label in ("job", "instance") or ":" in metric:
                                continue
                            self.assertIn(label, exposed.get(metric, set()), f"{metric} has no label {label}")
        self.assertEqual(failures, [], "\n".join(failures))
        print(f"[e2e] {checked} panel queries run (instant and range); excluded panels, all parse:", flush=True)
        for (name, title), n in sorted(excluded_series.items()):
            print(f"[e2e]   {name} / {title}: {n} series ({EXCLUDED[(name, title)]})", flush=True)

    def test_5_template_variables_find_values(self):
        self.wait_for_data()
        for name, d in lib.load_dashboards():
            for v in lib.variables(d):
                if v.get("type") != "query":
                    continue
                m = re.match(r"label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$", lib.variable_query(v))
                self.assertTrue(m, f"{name}: variable {v['name']}: {lib.variable_query(v)}")
                selector = lib.substitute(m.group(1), VALUES, BUILTINS)
                with self.subTest(dashboard=name, variable=v["name"]):
                    status, body = self.prom.api("series", {"match[]": selector, "start": time.time() - 120})
                    self.assertEqual(body.get("status"), "success", body.get("error"))
                    values = {s.get(m.group(2)) for s in body["data"]} - {None, ""}
                    self.assertTrue(values, f"{selector}: no value of {m.group(2)}")

    def test_6_probe_latency_measured(self):
        self.wait_for_data()
        q = {k: self.query(f'nats_probe:request_duration_seconds:{k}_5m{{probe="nats-rtt"}}')
             for k in ("p50", "p99", "p999")}
        values = {k: float(v[0]["value"][1]) for k, v in q.items()}
        self.assertLess(values["p50"], 0.05, values)  # loopback: far below the alert's 50 ms
        ok = self.query('sum(increase(nats_probe_requests_total{probe="nats-rtt",result="ok"}[1m]))')
        js = float(self.query('nats_probe:jetstream_publish_duration_seconds:p99_5m')[0]["value"][1])
        backlog = float(self.query('max(nats_jetstream_consumer_pending_messages{stream="ORDERS"})')[0]["value"][1])
        print(f"[e2e] probe nats-rtt p50 {values['p50'] * 1e6:.0f}us p99 {values['p99'] * 1e6:.0f}us "
              f"p99.9 {values['p999'] * 1e6:.0f}us ({float(ok[0]['value'][1]):.0f} ok requests in the last "
              f"minute); JetStream publish p99 {js * 1e3:.2f}ms; ORDERS/processor backlog {backlog:.0f}",
              flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
