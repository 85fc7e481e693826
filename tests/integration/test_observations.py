"""Observations against a real nats-server 2.9.10 with accounts as in the shared capture config
(SVC exports services with latency tracking, CLIENT imports them with share: true, APP has
JetStream, SYS is the system account):

- real requests from CLIENT through the import fill the service-latency histograms with
  sub-millisecond parts that add up to the total;
- a request nobody serves counts a 503 and a reply later than the export threshold a 504; neither
  appears in the histograms;
- an explicit-ack consumer with sample_freq 100% fills the ack-time histogram; a NAK, a terminate
  and a max-deliveries case are each counted once; a failing API call is counted by folded subject;
- wrong credentials: connected 0, a clear log line, the secret in neither the log nor /metrics;
- a reload keeps an unchanged observation's histograms, restarts a changed one, stops a removed one;
- `promtool check metrics` accepts the families;
- the doctor (/doctor and /metrics): "the service" for a responder sleeping 50 ms, "NATS" for a
  requestor whose PONGs come 60 ms late (the server measures its RTT), and ack-sampling-ignored for
  a consumer with sample_freq and ack_policy all.
"""
import json
import os
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import assert_clean_exit, histogram, value, wait_metric  # noqa: E402

WRONG_PASSWORD = "wrong-Obs-pw-4711"
# How long svc.slow's responder sleeps. The doctor must name the service as the cause, so it must
# stay well above what a delayed PONG can add to the responder's RTT on a busy machine (see test_1).
SLOW_DELAY = 0.05
SVC_PASSWORD = "svcpass-Obs-93"

# The server PINGs a new client about 2 s after it connects and measures its RTT from the PONG; the
# later PINGs (every ping_interval) would measure a raw test client that is not reading at that
# moment as seconds away, so they are pushed past the test's duration.
ACCOUNTS = """
ping_interval: "10m"
accounts {
  SVC: {
    users: [ {user: svc, password: "%(svc)s"} ]
    exports: [
      { service: "svc.echo",  accounts: [CLIENT], latency: { sampling: 100%%, subject: "latency.svc.echo" } }
      { service: "svc.slow",  accounts: [CLIENT], latency: { sampling: 100%%, subject: "latency.svc.slow" } }
      { service: "svc.down",  accounts: [CLIENT], latency: { sampling: 100,   subject: "latency.svc.down" } }
      { service: "svc.thr",   accounts: [CLIENT], threshold: "100ms", latency: { sampling: 100, subject: "latency.svc.thr" } }
    ]
  }
  CLIENT: {
    users: [ {user: client, password: clientpass} ]
    imports: [
      { service: {account: SVC, subject: "svc.echo"}, share: true }
      { service: {account: SVC, subject: "svc.slow"}, share: true }
      { service: {account: SVC, subject: "svc.down"}, share: true }
      { service: {account: SVC, subject: "svc.thr"},  share: true }
    ]
  }
  APP: { jetstream: enabled, users: [ {user: app, password: apppass} ] }
  SYS: { users: [ {user: sys, password: syspass} ] }
}
system_account: SYS
""" % {"svc": SVC_PASSWORD}


class SlowPongClient:
    """A raw requestor in account CLIENT that answers the server's PINGs `delay` seconds late, so the
    server measures its RTT as about `delay`. A reader thread answers PINGs and hands replies to
    request()."""

    def __init__(self, port, delay, name="slow-pong-requestor"):
        # Without the connect's own PING round: from here on only the reader thread reads.
        self.client = harness.RawNatsClient(port, name=name, user="client", password="clientpass", ping=False)
        self.delay = delay
        self.lock = threading.Lock()
        self.msgs = {}
        self.cond = threading.Condition()
        self.closed = False
        self.ponged = threading.Event()  # the first (late) PONG went out: the server has the RTT
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.seq = 0

    def _send(self, data):
        with self.lock:
            self.client.send(data)

    def _pong_later(self):
        time.sleep(self.delay)
        try:
            self._send(b"PONG\r\n")
            self.ponged.set()
        except OSError:
            pass

    def _read(self):
        self.client.sock.settimeout(None)
        try:
            while True:
                line = self.client._read_line()
                if line == b"PING":
                    threading.Thread(target=self._pong_later, daemon=True).start()
                    continue
                parts = line.decode().split()
                if parts and parts[0] in ("MSG", "HMSG"):
                    harness.raw_read_exact(self.client, int(parts[-1]) + 2)
                    with self.cond:
                        self.msgs[parts[2]] = True
                        self.cond.notify_all()
        except (OSError, ConnectionError, ValueError):
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def request(self, subject, timeout=5.0):
        self.seq += 1
        sid = f"r{self.seq}"
        self._send(f"SUB _INBOX.slowpong.{self.seq} {sid}\r\nUNSUB {sid} 1\r\n"
                   f"PUB {subject} _INBOX.slowpong.{self.seq} 4\r\nping\r\n".encode())
        with self.cond:
            return self.cond.wait_for(lambda: sid in self.msgs or self.closed, timeout) and sid in self.msgs

    def close(self):
        self.client.close()


def doctor_json(exporter):
    status, _, body = harness.http_get(exporter.base + "/doctor?format=json", timeout=60)
    assert status == 200, body[:300]
    return json.loads(body)


def observation_check(report, check):
    found = [c for c in report["observations"] if c["check"] == check]
    assert len(found) == 1, report["observations"]
    return found[0]


def request(client, subject, timeout=2.0):
    try:
        return harness.raw_request(client, subject, b"ping", timeout=timeout)
    except (TimeoutError, OSError):
        return None


class Observations(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_server("obs", jetstream=True, extra_conf=ACCOUNTS)
        cls.tmp = cls.temp_dir("obs-test-")
        pw = os.path.join(cls.tmp, "svc.pw")
        with open(pw, "w") as f:
            f.write(SVC_PASSWORD + "\n")
        url = cls.server.url
        cls.config_path = os.path.join(cls.tmp, "config.yaml")
        cls.doc = {
            "targets": [{"name": "obs", "url": cls.server.monitor_url}],
            "collectors": ["varz"],
            "observations": [
                {"name": "services", "kind": "service-latency", "subject": "latency.svc.>", "servers": [url],
                 "connection": {"user": "svc", "password_file": pw, "name": "obs-svc"}},
                {"name": "app-js", "kind": "jetstream-events", "servers": [url],
                 "connection": {"user": "app", "password": "apppass"}},
                {"name": "bad-creds", "kind": "service-latency", "subject": "latency.>", "servers": [url],
                 "connection": {"user": "svc", "password_env": "OBS_WRONG_PW", "reconnect_wait": "200ms"}},
            ],
            # A low SLO, so that the verdicts of this test are findings with their evidence.
            "doctor": {"checks": {"service-latency": {"p99": "5ms", "min_samples": 20}}},
        }
        with open(cls.config_path, "w") as f:
            json.dump(cls.doc, f)
        cls.exporter = cls.start_exporter([f"--config.file={cls.config_path}"], env={"OBS_WRONG_PW": WRONG_PASSWORD})
        wait_metric(cls.exporter, lambda e: value(e, "nats_observation_connected", 0, observation="services") == 1
                    and value(e, "nats_observation_connected", 0, observation="app-js") == 1,
                    "both observations connected")
        svc = {"user": "svc", "password": SVC_PASSWORD}
        cls.responder(cls.server.port, "svc.echo", name="echo-responder", **svc)
        cls.responder(cls.server.port, "svc.slow", delay=SLOW_DELAY, name="slow-responder", **svc)
        cls.responder(cls.server.port, "svc.thr", delay=0.3, name="late-responder", **svc)
        cls.client = cls.raw_client(cls.server.port, name="go-service-requestor", user="client",
                                    password="clientpass")
        # Read (and so answer the server's first PING at once) until the server has measured the RTT.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            try:
                harness.raw_next_msg(cls.client, timeout=0.2)
            except Exception:  # noqa: BLE001 - nothing but PINGs arrive
                pass

    def test_1_service_latency(self):
        # The test reads the same latency messages, to compare the exporter's sums with them.
        tap = harness.RawNatsClient(self.server.port, name="latency-tap", user="svc", password=SVC_PASSWORD)
        self.addCleanup(tap.close)
        tap.sub("latency.svc.echo", "tap")
        tap.flush()
        for _ in range(20):
            self.assertIsNotNone(request(self.client, "svc.echo"))
        for _ in range(5):
            self.assertIsNotNone(request(self.client, "svc.slow"))
        self.assertIsNone(request(self.client, "svc.down", timeout=0.5))  # 2.9.10: the caller times out
        self.assertIsNone(request(self.client, "svc.thr", timeout=0.5))   # dropped: after the threshold
        msgs = "nats_service_latency_messages_total"
        e = wait_metric(self.exporter, lambda e: value(e, msgs, 0, service="latency.svc.echo", status="200") == 20
                        and value(e, msgs, 0, service="latency.svc.slow", status="200") == 5
                        and value(e, msgs, 0, service="latency.svc.down", status="503") == 1
                        and value(e, msgs, 0, service="latency.svc.thr", status="504") == 1,
                        "200s, a 503 and a 504 counted")
        messages = [json.loads(harness.raw_next_msg(tap, timeout=5)["data"]) for _ in range(20)]
        labels = {"observation": "services", "service": "latency.svc.echo", "responder": "echo-responder"}
        buckets, count, total_sum = histogram(e, "nats_service_latency_seconds", **labels)
        self.assertEqual(count, 20)
        self.assertAlmostEqual(total_sum, sum(m["total"] for m in messages) * 1e-9, delta=1e-9 * 20)
        for part, get in (("service", lambda m: m["service"]), ("system", lambda m: m["system"]),
                          ("requestor_rtt", lambda m: m["requestor"]["rtt"]),
                          ("responder_rtt", lambda m: m["responder"]["rtt"])):
            b, c, s = histogram(e, f"nats_service_latency_{part}_seconds", **labels)
            self.assertEqual(c, 20, part)
            self.assertAlmostEqual(s, sum(get(m) for m in messages) * 1e-9, delta=1e-9 * 20, msg=part)
        # Each message's parts add up to its total, unless the server clamped a part it backs out of
        # its RTT estimates (service, system) to 0 (sanitizeLatencyMetric): then they exceed it.
        exact = 0
        for m in messages:
            parts = m["requestor"]["rtt"] + m["responder"]["rtt"] + m["service"] + m["system"]
            if m["service"] > 0 and m["system"] > 0:
                self.assertEqual(parts, m["total"], m)
                exact += 1
            else:
                self.assertGreaterEqual(parts, m["total"], m)
        self.assertGreater(exact, 0)
        # Each message's parts land in the buckets they belong to: the sub-millisecond ones for the
        # time between servers (microseconds with one server), the 25ms one for loopback round trips.
        # Counted from the messages themselves, so a slow machine moves both sides alike.
        for part, get in (("system", lambda m: m["system"]), ("requestor_rtt", lambda m: m["requestor"]["rtt"]),
                          ("responder_rtt", lambda m: m["responder"]["rtt"]),
                          ("nats", lambda m: m["requestor"]["rtt"] + m["responder"]["rtt"] + m["system"])):
            b, c, _ = histogram(e, f"nats_service_latency_{part}_seconds", **labels)
            for le in (0.0001, 0.001, 0.025):
                self.assertEqual(dict(b)[le], sum(1 for m in messages if get(m) <= round(le * 1e9)), f"{part}: {b}")
        slow = {"observation": "services", "service": "latency.svc.slow", "responder": "slow-responder"}
        b, c, s = histogram(e, "nats_service_latency_service_seconds", **slow)
        self.assertEqual(c, 5)
        # The server reports service = (reply - request forwarded) - the responder's RTT, and takes
        # that RTT from one PING about 2 s after the responder connected. A busy machine can delay
        # this Python responder's PONG by milliseconds, which the server then subtracts from the
        # service time: only the sum is what the responder took.
        _, _, s_rtt = histogram(e, "nats_service_latency_responder_rtt_seconds", **slow)
        self.assertGreaterEqual((s + s_rtt) / c, SLOW_DELAY - 0.001)
        self.assertGreater(s / c, 0)
        # Failures are counted, never observed.
        for svc in ("latency.svc.down", "latency.svc.thr"):
            self.assertFalse(e.has("nats_service_latency_seconds_count", service=svc), svc)
        self.assertEqual(value(e, msgs, service="latency.svc.echo", status="503"), 0)
        self.assertEqual(value(e, "nats_observation_parse_errors_total", observation="services"), 0)

    def test_2_jetstream_events(self):
        c = harness.RawNatsClient(self.server.port, name="js-setup", user="app", password="apppass")
        self.addCleanup(c.close)
        harness.js_api_ok(c, "$JS.API.STREAM.CREATE.ORDERS",
                          {"name": "ORDERS", "subjects": ["orders.>"], "storage": "memory"})
        harness.js_api_ok(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.PROC",
                          {"stream_name": "ORDERS",
                           "config": {"durable_name": "PROC", "ack_policy": "explicit", "sample_freq": "100%",
                                      "filter_subject": "orders.new", "ack_wait": 30 * 10**9}})
        harness.js_api_ok(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.MAXD",
                          {"stream_name": "ORDERS",
                           "config": {"durable_name": "MAXD", "ack_policy": "explicit", "max_deliver": 1,
                                      "filter_subject": "orders.maxd", "ack_wait": 1 * 10**9}})
        # sample_freq without ack_policy explicit: never publishes (the doctor's ack-sampling-ignored).
        harness.js_api_ok(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.ALLACK",
                          {"stream_name": "ORDERS",
                           "config": {"durable_name": "ALLACK", "ack_policy": "all", "sample_freq": "100%",
                                      "filter_subject": "orders.all"}})
        for i in range(3):
            c.pub("orders.new", f"order {i}".encode())
        c.pub("orders.maxd", b"never acked")
        c.flush()

        def next_msg(consumer):
            m = harness.raw_request(c, f"$JS.API.CONSUMER.MSG.NEXT.ORDERS.{consumer}", b'{"batch": 1, "expires": 5000000000}',
                                    timeout=10)
            self.assertTrue(m["reply"].startswith("$JS.ACK."), m)
            return m

        first = next_msg("PROC")
        time.sleep(0.005)
        c.pub(first["reply"], b"+ACK")
        second = next_msg("PROC")
        c.pub(second["reply"], b"-NAK")
        third = next_msg("PROC")
        if third["data"] == second["data"]:  # the NAKed one came back first
            c.pub(third["reply"], b"+ACK")
            third = next_msg("PROC")
            c.pub(third["reply"], b"+TERM")
        else:
            c.pub(third["reply"], b"+TERM")
            again = next_msg("PROC")
            c.pub(again["reply"], b"+ACK")
        next_msg("MAXD")  # delivered once, never acked: max_deliver 1 is reached after ack_wait (1 s) ...
        time.sleep(1.5)
        # ... and the server notices when it looks for a redelivery, i.e. at the next pull request.
        harness.raw_request(c, "$JS.API.CONSUMER.MSG.NEXT.ORDERS.MAXD", b'{"batch": 1, "expires": 1000000000}',
                            timeout=5)
        c.flush()
        err = harness.js_api(c, "$JS.API.CONSUMER.INFO.ORDERS.NOPE")
        self.assertIn("error", err)

        proc = {"observation": "app-js", "stream": "ORDERS", "consumer": "PROC"}
        e = wait_metric(self.exporter,
                        lambda e: value(e, "nats_jetstream_ack_time_seconds_count", 0, **proc) >= 2
                        and value(e, "nats_jetstream_max_deliveries_exceeded_total", 0, observation="app-js",
                                  stream="ORDERS", consumer="MAXD") >= 1
                        and value(e, "nats_jetstream_api_audit_errors_total", 0, observation="app-js",
                                  api="$JS.API.CONSUMER.INFO.*.*") >= 1,
                        "ack samples, max deliveries and an API error", timeout=30)
        time.sleep(1.5)  # nothing more may arrive
        e = self.exporter.scrape()
        self.assertEqual(value(e, "nats_jetstream_ack_time_seconds_count", **proc), 2)
        buckets, count, s = histogram(e, "nats_jetstream_ack_time_seconds", **proc)
        self.assertGreater(s, 0)
        _, dcount, dsum = histogram(e, "nats_jetstream_ack_deliveries", **proc)
        self.assertEqual(dsum, 3)  # 1 + 2: the NAKed message needed a second delivery
        self.assertEqual(value(e, "nats_jetstream_naks_total", **proc), 1)
        self.assertEqual(value(e, "nats_jetstream_terminations_total", **proc), 1)
        self.assertEqual(value(e, "nats_jetstream_max_deliveries_exceeded_total", observation="app-js",
                               stream="ORDERS", consumer="MAXD"), 1)
        self.assertEqual(value(e, "nats_jetstream_api_audit_errors_total", observation="app-js",
                               api="$JS.API.CONSUMER.INFO.*.*"), 1)
        # STREAM.CREATE, three CONSUMER.DURABLE.CREATE and the failed CONSUMER.INFO (pulls are not audited)
        self.assertEqual(value(e, "nats_jetstream_api_audit_requests_total", observation="app-js"), 5)
        self.assertEqual(value(e, "nats_observation_parse_errors_total", observation="app-js"), 0)
        self.assertEqual(value(e, "nats_jetstream_unknown_advisories_total", observation="app-js"), 0)

    def test_3_wrong_credentials(self):
        e = wait_metric(self.exporter, lambda e: value(e, "nats_observation_connected", 0, observation="bad-creds") == 0,
                        "bad-creds reported")
        out = self.exporter.output()
        self.assertIn("observation cannot connect", out)
        self.assertIn("bad-creds", out)
        self.assertIn("Authorization Violation", out)
        self.assertNotIn(WRONG_PASSWORD, out)
        self.assertNotIn(SVC_PASSWORD, out)
        self.assertNotIn(WRONG_PASSWORD, e.text)
        self.assertNotIn(SVC_PASSWORD, e.text)
        # Retried every reconnect_wait, logged once per outcome change.
        self.assertEqual(out.count("observation cannot connect"), 1, out[-3000:])

    def test_4_promtool(self):
        if not harness.shutil.which("promtool"):
            self.skipTest("no promtool")
        code, out = harness.promtool_check_metrics(self.exporter.scrape().text)
        mine = "\n".join(l for l in out.splitlines()
                         if any(p in l for p in ("nats_service_latency", "nats_jetstream_", "nats_observation")))
        self.assertEqual(mine, "", out)

    def test_5_reload_keeps_unchanged_restarts_changed(self):
        before = value(self.exporter.scrape(), "nats_service_latency_seconds_count", observation="services",
                       service="latency.svc.echo", responder="echo-responder")
        self.assertGreater(before, 0)
        js_before = value(self.exporter.scrape(), "nats_jetstream_api_audit_requests_total", observation="app-js")
        self.assertGreater(js_before, 0)
        doc = json.loads(json.dumps(self.doc))
        doc["observations"] = doc["observations"][:2]  # bad-creds goes away
        doc["observations"][1]["connection"]["name"] = "app-js-renamed"  # app-js changes: it restarts
        with open(self.config_path, "w") as f:
            json.dump(doc, f)
        req = urllib.request.Request(self.exporter.base + "/-/reload", method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            self.assertEqual(resp.status, 200)
        e = wait_metric(self.exporter, lambda e: not e.has("nats_observation_connected", observation="bad-creds"),
                        "bad-creds stopped")
        self.assertEqual(value(e, "nats_service_latency_seconds_count", observation="services",
                               service="latency.svc.echo", responder="echo-responder"), before)
        self.assertEqual(value(e, "nats_observation_connected", observation="services"), 1)
        # The changed one was restarted: a new connection, its counters from zero.
        self.assertEqual(value(e, "nats_jetstream_api_audit_requests_total", observation="app-js"), 0)
        wait_metric(self.exporter, lambda e: value(e, "nats_observation_connected", 0, observation="app-js") == 1,
                    "app-js reconnected")
        self.assertIn("observations reloaded", self.exporter.output())

    def test_6_doctor_verdicts(self):
        # A responder sleeping 50 ms: the service is the cause.
        doctor_json(self.exporter)  # the page channel's baseline: what test_1 left
        for _ in range(25):
            self.assertIsNotNone(request(self.client, "svc.slow"))
        wait_metric(self.exporter, lambda e: value(e, "nats_service_latency_messages_total", 0,
                                                   service="latency.svc.slow", status="200") == 30,
                    "25 more svc.slow messages")
        report = doctor_json(self.exporter)
        c = observation_check(report, "service-latency")
        self.assertEqual(c["status"], "finding", c)
        slow = [e for e in c["evidence"] if e.startswith('"latency.svc.slow"')]
        self.assertEqual(len(slow), 1, c)
        self.assertIn("over 25 requests", slow[0])
        self.assertIn("the service is the cause", slow[0])
        self.assertFalse(any(e.startswith('"latency.svc.echo"') for e in c["evidence"]), c)  # nothing new there
        self.assertEqual(observation_check(report, "service-unavailable")["status"], "passed")  # the 503 was before
        # A requestor whose PONGs come 60 ms late: the server measures its RTT, NATS is the cause.
        slowpong = SlowPongClient(self.server.port, 0.06)
        self.addCleanup(slowpong.close)
        self.assertTrue(slowpong.ponged.wait(10), "the server PINGs a new client within about 2 s")
        time.sleep(0.2)
        for _ in range(25):
            self.assertTrue(slowpong.request("svc.echo"))
        e = wait_metric(self.exporter, lambda e: value(e, "nats_service_latency_messages_total", 0,
                                                       service="latency.svc.echo", status="200") == 45,
                        "25 more svc.echo messages")
        b, c_rtt, s_rtt = histogram(e, "nats_service_latency_requestor_rtt_seconds", observation="services",
                                    service="latency.svc.echo", responder="echo-responder")
        self.assertGreaterEqual(dict(b)[0.1] - dict(b)[0.05], 25, b)  # 25 requestor RTTs of 50-100 ms
        report = doctor_json(self.exporter)
        c = observation_check(report, "service-latency")
        self.assertEqual(c["status"], "finding", c)
        echo = [e for e in c["evidence"] if e.startswith('"latency.svc.echo"')]
        self.assertEqual(len(echo), 1, c)
        self.assertIn("over 25 requests", echo[0])
        self.assertIn("NATS is the cause", echo[0])
        # The server check: ALLACK (ack_policy all) sets sample_freq.
        sampling = [c for c in report["targets"][0]["checks"] if c["check"] == "ack-sampling-ignored"]
        self.assertEqual(len(sampling), 1, report["targets"][0]["checks"])
        self.assertEqual(sampling[0]["status"], "finding", sampling[0])
        self.assertIn('consumer "ALLACK" of stream "ORDERS"', sampling[0]["evidence"][0])
        self.assertIn("ack_policy all", sampling[0]["evidence"][0])
        # The same checks on /metrics.
        e = self.exporter.scrape()
        self.assertTrue(e.has("nats_doctor_finding", check="service-latency"))
        self.assertTrue(e.has("nats_doctor_finding", check="max-deliveries-exceeded"))

    def test_9_clean_exit(self):
        assert_clean_exit(self, self.exporter)


if __name__ == "__main__":
    unittest.main(verbosity=2)
