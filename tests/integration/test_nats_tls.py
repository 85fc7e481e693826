"""The NATS side over TLS: a real nats-server with TLS on the client port and the monitoring port
(`https:`), requiring client certificates (`verify: true`) and a password on the client port.
Certificates are made with the openssl CLI in the test.

- With the right CA and a client certificate, every collector and the probe (tls://) work.
- With the wrong CA: nats_up 0, per-collector success 0, a log line that says the certificate did
  not verify; the probe is not connected and says why.
- insecure_skip_verify works without a CA (and is the explicit opt-out).
- No secret (monitoring password, probe password) appears in /metrics, the landing page or the log.
"""
import json
import os
import ssl
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import value, wait_metric  # noqa: E402
from tls_helpers import make_ca, make_cert  # noqa: E402

PROBE_PASSWORD = "S3cret-Probe-pw-7781"
MONITOR_PASSWORD = "S3cret-Monitor-pw-4412"


class TlsNatsServer(harness.NatsServer):
    """nats-server with `https:` monitoring and TLS (client certificates required) on the client port."""

    def __init__(self, tls_files, **kw):
        self.tls_files = tls_files  # (cert, key, ca)
        super().__init__(**kw)

    @property
    def url(self):
        return f"tls://127.0.0.1:{self.port}"

    @property
    def monitor_url(self):
        return f"https://127.0.0.1:{self.http_port}"

    def config_text(self):
        cert, key, ca = self.tls_files
        text = super().config_text().replace(f"http: 127.0.0.1:{self.http_port}\n",
                                             f"https: 127.0.0.1:{self.http_port}\n")
        return text + (f'tls {{\n  cert_file: "{cert}"\n  key_file: "{key}"\n  ca_file: "{ca}"\n  verify: true\n'
                       f'  timeout: 2\n}}\nauthorization {{ user: probe, password: "{PROBE_PASSWORD}" }}\n')

    def wait_ready(self, timeout=20.0):
        ctx = ssl.create_default_context(cafile=self.tls_files[2])
        ctx.load_cert_chain(self.client_cert[0], self.client_cert[1])

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"nats-server exited: {self.log_tail()}")
            with urllib.request.urlopen(self.monitor_url + "/varz", timeout=2, context=ctx) as r:
                return r.status == 200
        harness.wait_until(ready, timeout, what="nats-server https monitoring")


class NatsTls(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = cls.temp_dir("natsexp-natstls-")
        cls.ca = make_ca(cls.dir, "ca")
        cls.server_cert = make_cert(cls.dir, "nats", cls.ca)
        cls.client = make_cert(cls.dir, "exporter", cls.ca, sans=None, client=True)
        cls.rogue_ca = make_ca(cls.dir, "rogue-ca")
        cls.nats = TlsNatsServer((cls.server_cert[0], cls.server_cert[1], cls.ca[0]), name="tls1", jetstream=True)
        cls.nats.client_cert = cls.client
        cls.addClassCleanup(cls.nats.__exit__, None, None, None)
        cls.nats.start()

    def exporter(self, name, target_tls, probe_tls):
        pw_file = os.path.join(self.dir, f"{name}-probe-pw")
        with open(pw_file, "w") as f:
            f.write(PROBE_PASSWORD + "\n")
        doc = {
            "collectors": ["varz", "connz", "jsz", "healthz"],
            "targets": [{"name": "tls1", "url": self.nats.monitor_url, "tls": target_tls,
                         "basic_auth": {"username": "monitor", "password": MONITOR_PASSWORD}}],
            "probes": [{"name": "tls-rtt", "kind": "request", "servers": [self.nats.url], "interval": "100ms",
                        "timeout": "1s",
                        "connection": {"tls": probe_tls, "user": "probe", "password_file": pw_file}}],
        }
        path = os.path.join(self.dir, f"{name}.yaml")
        with open(path, "w") as f:
            json.dump(doc, f)
        exporter = harness.Exporter([f"--config.file={path}"])
        self.addCleanup(exporter.__exit__, None, None, None)
        return exporter.start()

    def assert_no_secret(self, exporter):
        body = exporter.scrape()
        landing = harness.http_get(exporter.base + "/")[2].decode()
        log = exporter.output()
        for secret in (PROBE_PASSWORD, MONITOR_PASSWORD):
            for where, text in (("metrics", "\n".join(f"{n}{l}" for n, l, _ in body.samples)),
                                ("landing page", landing), ("log", log)):
                self.assertNotIn(secret, text, f"a secret in the {where}")

    def test_right_ca_and_client_certificate(self):
        tls = {"ca_file": self.ca[0], "cert_file": self.client[0], "key_file": self.client[1]}
        exporter = self.exporter("good", tls, tls)
        e = wait_metric(exporter, lambda x: value(x, "nats_probe_requests_total", 0, probe="tls-rtt", result="ok") >= 3,
                        "the probe over tls://")
        self.assertEqual(value(e, "nats_up", server="tls1"), 1)
        for collector in ("varz", "connz", "jsz", "healthz"):
            self.assertEqual(value(e, "nats_exporter_collector_success", server="tls1", collector=collector), 1, collector)
        self.assertEqual(value(e, "nats_probe_connected", probe="tls-rtt"), 1)
        self.assertEqual(value(e, "nats_jetstream_enabled", server_name="tls1"), 1)
        # The probe's connection is counted by the server it measures.
        self.assertGreaterEqual(value(e, "nats_connz_connections", server_name="tls1"), 1)
        self.assert_no_secret(exporter)
        self.assertNotIn("collector failed", exporter.output())

    def test_wrong_ca_fails_clearly(self):
        tls = {"ca_file": self.rogue_ca[0], "cert_file": self.client[0], "key_file": self.client[1]}
        exporter = self.exporter("wrong-ca", tls, tls)
        e = exporter.scrape()
        self.assertEqual(value(e, "nats_up", server="tls1"), 0)
        self.assertEqual(value(e, "nats_exporter_collector_success", server="tls1", collector="varz"), 0)
        self.assertFalse(e.has("nats_server_connections"), "no values from an unverified server")
        log = exporter.output()
        self.assertIn("collector failed", log)
        self.assertIn('collector=varz err="GET /varz: the monitoring server\'s certificate was not trusted by the CA file '
                      + self.rogue_ca[0] + '"', log)
        harness.wait_until(lambda: "probe=tls-rtt action=connect result=error" in exporter.output()
                           and "unable to get local issuer certificate" in exporter.output(),
                           10, what="the probe's TLS error in the log")
        self.assertEqual(value(exporter.scrape(), "nats_probe_connected", probe="tls-rtt"), 0)
        self.assert_no_secret(exporter)

    def test_missing_client_certificate_is_refused_on_the_client_port(self):
        # nats-server's `verify: true` applies to the client port; its https monitoring port does not
        # ask for a client certificate, so the collectors work with the CA alone.
        exporter = self.exporter("no-client-cert", {"ca_file": self.ca[0]}, {"ca_file": self.ca[0]})
        harness.wait_until(lambda: "probe=tls-rtt action=connect result=error" in exporter.output(), 10,
                           what="the probe's refused handshake in the log")
        e = exporter.scrape()
        self.assertEqual(value(e, "nats_up", server="tls1"), 1)
        self.assertEqual(value(e, "nats_probe_connected", probe="tls-rtt"), 0)
        self.assert_no_secret(exporter)

    def test_insecure_skip_verify(self):
        tls = {"insecure_skip_verify": True, "cert_file": self.client[0], "key_file": self.client[1]}
        exporter = self.exporter("insecure", tls, tls)
        e = wait_metric(exporter, lambda x: value(x, "nats_probe_connected", 0, probe="tls-rtt") == 1,
                        "the probe with insecure_skip_verify")
        self.assertEqual(value(e, "nats_up", server="tls1"), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
