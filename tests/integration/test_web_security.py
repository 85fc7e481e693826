"""--web.config.file: TLS and basic auth on the exporter's endpoint, with real TLS clients (Python's
ssl module) and certificates made by the openssl CLI in the test; a real nats-server as the target."""
import base64
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from tls_helpers import client_context, https_get, make_ca, make_cert, peer_certificate_serial  # noqa: E402

# bcrypt (cost 5, to keep the tests quick) of the password below; made with
# python3 -c 'import crypt; print(crypt.crypt("s3cret-scrape", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))'
PASSWORD = "s3cret-scrape"
HASH = "$2b$05$idPNXzNe53NjvuovaDzZi.bUcrAkjgKhPP0g9jq5GtRpU4uJz3ExS"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def run_exporter(*args):
    env = dict(os.environ)
    env.pop("NATS_EXPORTER_BIN", None)
    return subprocess.run([harness.EXPORTER_BIN, *args], capture_output=True, text=True, timeout=30, env=env)


class WebSecurity(harness.PeersTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = cls.temp_dir("natsexp-websec-")
        cls.ca = make_ca(cls.dir, "ca")
        cls.server = make_cert(cls.dir, "server", cls.ca)
        cls.client = make_cert(cls.dir, "client", cls.ca, sans=None, client=True)
        cls.rogue_ca = make_ca(cls.dir, "rogue-ca")
        cls.rogue_client = make_cert(cls.dir, "rogue-client", cls.rogue_ca, sans=None, client=True)
        cls.nats = cls.start_server(name="websec", jetstream=False)

    def web_config(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def tls_section(self, extra=""):
        return (f"tls_server_config:\n  cert_file: {self.server[0]}\n  key_file: {self.server[1]}\n{extra}")

    def start(self, web_config, scheme="https", ready_context=None):
        exporter = harness.Exporter([f"--nats.url={self.nats.monitor_url}", "--collectors=varz,healthz",
                                     f"--web.config.file={web_config}"])
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start(wait=False)
        base = f"{scheme}://127.0.0.1:{exporter.port}"
        ctx = ready_context or client_context(self.ca[0])

        def ready():
            if exporter.proc.poll() is not None:
                raise AssertionError(f"exporter exited {exporter.proc.returncode}: {exporter.output()}")
            if scheme == "https":
                return https_get(base + "/readyz", ctx, timeout=2)[0] == 200
            return harness.http_get(base + "/readyz", timeout=2)[0] == 200
        harness.wait_until(ready, 20, what="exporter /readyz")
        return exporter, base

    def test_tls_and_basic_auth(self):
        cfg = self.web_config("tls-auth.yml", self.tls_section() + f"basic_auth_users:\n  prometheus: {HASH}\n")
        exporter, base = self.start(cfg)
        ctx = client_context(self.ca[0])

        status, _, body = https_get(base + "/metrics", ctx, basic("prometheus", PASSWORD))
        self.assertEqual(status, 200)
        self.assertRegex(body, rb'nats_up\{server="127\.0\.0\.1:%d",server_name="[^"]*",cluster="[^"]*"\} 1' % self.nats.http_port)

        for name, headers in [("wrong password", basic("prometheus", "wrong")),
                              ("unknown user", basic("mallory", PASSWORD)),
                              ("no credentials", {}),
                              ("bearer instead of basic", {"Authorization": "Bearer " + PASSWORD}),
                              ("garbage", {"Authorization": "Basic !!!notbase64"})]:
            with self.subTest(name):
                status, hdrs, body = https_get(base + "/metrics", ctx, headers)
                self.assertEqual(status, 401)
                self.assertTrue(hdrs.get("WWW-Authenticate", "").startswith("Basic realm="), hdrs)
                self.assertNotIn(b"nats_", body)
                # The landing page, the doctor's report and reload are guarded as well.
                self.assertEqual(https_get(base + "/", ctx, headers)[0], 401)
                self.assertEqual(https_get(base + "/doctor", ctx, headers)[0], 401)
                self.assertEqual(https_get(base + "/-/reload", ctx, headers, method="POST")[0], 401)

        self.assertEqual(https_get(base + "/", ctx, basic("prometheus", PASSWORD))[0], 200)
        # Orchestrator probes stay open (they reveal nothing).
        self.assertEqual(https_get(base + "/healthz", ctx)[0], 200)
        self.assertEqual(https_get(base + "/readyz", ctx)[0], 200)

        # A client that does not trust the CA fails the handshake; plain HTTP gets no metrics.
        with self.assertRaises((ssl.SSLError, OSError)):
            https_get(base + "/metrics", client_context(self.rogue_ca[0]), basic("prometheus", PASSWORD))
        try:
            status, _, body = harness.http_get(f"http://127.0.0.1:{exporter.port}/metrics", timeout=5)
            self.assertNotIn(b"nats_up", body)
        except OSError:
            pass
        self.assertNotIn(PASSWORD, exporter.output())
        self.assertNotIn(HASH, exporter.output())

    def test_basic_auth_over_plain_http(self):
        cfg = self.web_config("auth-only.yml", f"basic_auth_users:\n  prometheus: {HASH}\n")
        exporter, base = self.start(cfg, scheme="http")
        self.assertEqual(harness.http_get(base + "/metrics", headers=basic("prometheus", PASSWORD))[0], 200)
        status, hdrs, body = harness.http_get(base + "/metrics", headers=basic("prometheus", "nope"))
        self.assertEqual(status, 401)
        self.assertNotIn(b"nats_", body)

    def test_successful_verifications_are_cached_failures_are_not(self):
        # Cost 12: about a second of CPU per bcrypt here, so 20 uncached scrapes would take ~20 s.
        slow_hash = "$2b$12$oXmS/hX2jNCuW3AiMPbg5eECH4tiDimt8fhflINVYPqREyN12otgi"
        cfg = self.web_config("slow-hash.yml", f"basic_auth_users:\n  prometheus: {slow_hash}\n")
        exporter, base = self.start(cfg, scheme="http")
        t0 = time.monotonic()
        first = harness.http_get(base + "/", headers=basic("prometheus", PASSWORD))[0]
        one = time.monotonic() - t0
        t0 = time.monotonic()
        statuses = [harness.http_get(base + "/", headers=basic("prometheus", PASSWORD))[0] for _ in range(20)]
        twenty = time.monotonic() - t0
        print(f"first verification {one * 1e3:.0f} ms, then 20 requests in {twenty * 1e3:.0f} ms")
        self.assertEqual([first] + statuses, [200] * 21)
        self.assertLess(twenty, max(one * 5, 1.0))
        # A wrong password after a right one still costs the full bcrypt and fails.
        t0 = time.monotonic()
        self.assertEqual(harness.http_get(base + "/", headers=basic("prometheus", PASSWORD + "x"))[0], 401)
        self.assertGreater(time.monotonic() - t0, one / 4)

    def test_require_and_verify_client_cert(self):
        cfg = self.web_config("mtls.yml", self.tls_section(
            f"  client_ca_file: {self.ca[0]}\n  client_auth_type: RequireAndVerifyClientCert\n"))
        good = client_context(self.ca[0], cert=self.client)
        exporter, base = self.start(cfg, ready_context=good)

        status, _, body = https_get(base + "/metrics", good)
        self.assertEqual(status, 200)
        self.assertIn(b"nats_up{", body)
        # Without a certificate, and with one from another CA, the handshake fails: no HTTP answer.
        for name, ctx in [("no client cert", client_context(self.ca[0])),
                          ("cert from another CA", client_context(self.ca[0], cert=self.rogue_client))]:
            with self.subTest(name):
                with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                    https_get(base + "/metrics", ctx, timeout=10)
        # The exporter is still serving after the failed handshakes.
        self.assertEqual(https_get(base + "/metrics", good)[0], 200)

    def test_request_client_cert_accepts_clients_without_one(self):
        cfg = self.web_config("request.yml", self.tls_section("  client_auth_type: RequestClientCert\n"))
        exporter, base = self.start(cfg)
        self.assertEqual(https_get(base + "/metrics", client_context(self.ca[0]))[0], 200)
        self.assertEqual(https_get(base + "/metrics", client_context(self.ca[0], cert=self.rogue_client))[0], 200)

    def test_min_version_tls13(self):
        cfg = self.web_config("tls13.yml", self.tls_section("  min_version: TLS13\n"))
        exporter, base = self.start(cfg)
        self.assertEqual(https_get(base + "/metrics", client_context(self.ca[0]))[0], 200)
        with self.assertRaises((ssl.SSLError, OSError)):
            https_get(base + "/metrics", client_context(self.ca[0], max_version=ssl.TLSVersion.TLSv1_2))

    def test_reload_rotates_certificate_and_users(self):
        cert_dir = os.path.join(self.dir, "rotating")
        os.makedirs(cert_dir, exist_ok=True)
        first = make_cert(cert_dir, "server", self.ca)
        cfg = self.web_config("rotate.yml", f"tls_server_config:\n  cert_file: {first[0]}\n  key_file: {first[1]}\n"
                                            f"basic_auth_users:\n  prometheus: {HASH}\n")
        exporter, base = self.start(cfg)
        ctx = client_context(self.ca[0])
        serial_before = peer_certificate_serial("127.0.0.1", exporter.port, self.ca[0])
        make_cert(cert_dir, "server", self.ca)  # overwrites the files, as cert-manager does
        with open(cfg, "w") as f:
            f.write(f"tls_server_config:\n  cert_file: {first[0]}\n  key_file: {first[1]}\n"
                    f"basic_auth_users:\n  scraper: {HASH}\n")
        os.kill(exporter.proc.pid, signal.SIGHUP)
        harness.wait_until(lambda: https_get(base + "/metrics", ctx, basic("scraper", PASSWORD))[0] == 200,
                           10, what="new user accepted after SIGHUP")
        self.assertEqual(https_get(base + "/metrics", ctx, basic("prometheus", PASSWORD))[0], 401)
        self.assertNotEqual(peer_certificate_serial("127.0.0.1", exporter.port, self.ca[0]), serial_before)

        # A reload that would turn TLS off is refused; the running settings stay.
        with open(cfg, "w") as f:
            f.write(f"basic_auth_users:\n  scraper: {HASH}\n")
        status, _, body = https_get(base + "/-/reload", ctx, basic("scraper", PASSWORD), method="POST")
        self.assertEqual(status, 500)
        self.assertIn(b"restart", body)
        status, _, body = https_get(base + "/metrics", ctx, basic("scraper", PASSWORD))
        self.assertEqual(status, 200)
        self.assertIn(b"nats_exporter_config_last_reload_successful 0", body)

    def test_bad_web_configs_exit_2_naming_file_line_key(self):
        cases = [
            ("missing-key.yml", f"tls_server_config:\n  cert_file: {self.server[0]}\n",
             ":2: tls_server_config.key_file: is required"),
            ("bad-auth-type.yml", self.tls_section("  client_auth_type: Sometimes\n"),
             ':4: tls_server_config.client_auth_type: "Sometimes" is not a client auth type'),
            ("no-ca.yml", self.tls_section("  client_auth_type: RequireAndVerifyClientCert\n"),
             ":4: tls_server_config.client_ca_file: is required with client_auth_type RequireAndVerifyClientCert"),
            ("old-tls.yml", self.tls_section("  min_version: TLS10\n"), ":4: tls_server_config.min_version:"),
            ("wrong-key.yml", f"tls_server_config:\n  cert_file: {self.server[0]}\n  key_file: {self.client[1]}\n",
             ":3: tls_server_config.key_file: does not match the certificate"),
            ("missing-cert.yml", f"tls_server_config:\n  cert_file: {self.dir}/nope.crt\n  key_file: {self.server[1]}\n",
             f':2: tls_server_config.cert_file: cannot load "{self.dir}/nope.crt"'),
            ("plain-password.yml", f"basic_auth_users:\n  prometheus: {PASSWORD}\n",
             ":2: basic_auth_users.prometheus: is not a bcrypt hash"),
            ("typo.yml", f"basic_auth_user:\n  prometheus: {HASH}\n", ":1: basic_auth_user: unknown key"),
        ]
        for name, text, expected in cases:
            with self.subTest(name):
                path = self.web_config(name, text)
                r = run_exporter("check-config", f"--nats.url={self.nats.monitor_url}", f"--web.config.file={path}")
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(path + expected, r.stderr)
                self.assertNotIn(PASSWORD, r.stderr)  # a pasted plain password is never echoed
                # Starting with it fails the same way, before listening.
                port = harness.free_port()
                r = run_exporter(f"--nats.url={self.nats.monitor_url}", f"--web.config.file={path}",
                                 f"--web.listen-address=127.0.0.1:{port}")
                self.assertEqual(r.returncode, 2)
                self.assertIn(path + expected, r.stderr)
        r = run_exporter("check-config", f"--web.config.file={self.dir}/absent.yml")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{self.dir}/absent.yml: cannot read", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
