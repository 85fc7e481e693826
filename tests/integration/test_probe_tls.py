"""The probe over TLS: a nats-server that requires TLS (self-signed certificate made with the openssl
command line). A probe trusting the CA connects and measures; one without the CA fails the
verification and says so; one with insecure_skip_verify connects anyway.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import assert_clean_exit, probe_exporter, value, wait_metric  # noqa: E402


@unittest.skipUnless(shutil.which("openssl"), "openssl makes the test certificate")
class ProbeTls(unittest.TestCase):
    def test_tls_with_ca_without_ca_and_insecure(self):
        d = tempfile.mkdtemp(prefix="probe-tls-")
        self.addCleanup(shutil.rmtree, d, True)
        cert, key = os.path.join(d, "server.pem"), os.path.join(d, "server-key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", key, "-out", cert,
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True)
        server = harness.NatsServer("n1", jetstream=False,
                                    extra_conf=f'tls {{\n  cert_file: "{cert}"\n  key_file: "{key}"\n}}\n').start()
        self.addCleanup(server.__exit__, None, None, None)
        tls_url = f"tls://127.0.0.1:{server.port}"
        base = {"kind": "request", "interval": "100ms", "timeout": "1s"}
        probes = [
            dict(base, name="tls-ca", servers=[server.url], connection={"tls": {"ca_file": cert}}),
            dict(base, name="tls-scheme-insecure", servers=[tls_url],
                 connection={"tls": {"insecure_skip_verify": True}}),
            dict(base, name="tls-untrusted", servers=[tls_url], connection={"reconnect_wait": "200ms"}),
        ]
        exporter = probe_exporter(server, probes)
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        for name in ("tls-ca", "tls-scheme-insecure"):
            e = wait_metric(exporter, lambda e, n=name: value(e, "nats_probe_requests_total", 0, probe=n,
                                                               result="ok") >= 3, f"{name} measuring")
            self.assertEqual(value(e, "nats_probe_connected", probe=name), 1)
        e = wait_metric(exporter, lambda e: value(e, "nats_probe_requests_total", probe="tls-untrusted",
                                                  result="error") >= 2, "the untrusted probe failing")
        self.assertEqual(value(e, "nats_probe_connected", probe="tls-untrusted"), 0)
        self.assertEqual(value(e, "nats_probe_requests_total", probe="tls-untrusted", result="ok"), 0)
        refusal = [l for l in exporter.output().splitlines()
                   if "probe=tls-untrusted" in l and "action=connect" in l]
        self.assertTrue(refusal, exporter.output()[-2000:])
        print("reported as:", refusal[0])
        assert_clean_exit(self, exporter)


if __name__ == "__main__":
    unittest.main(verbosity=2)
