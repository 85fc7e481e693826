"""The command line (check-config, --help, --version, exit codes) and the HTTP surface (/, /healthz,
/readyz, X-Prometheus-Scrape-Timeout-Seconds), with a real nats-server where one is needed."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402


def run_exporter(*args, env=None):
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("NATS_EXPORTER_BIN", None)
    return subprocess.run([harness.EXPORTER_BIN, *args], capture_output=True, text=True, timeout=30, env=full_env)


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="natsexp-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_check_config_accepts_a_good_file(self):
        path = self.write("good.yaml", "targets:\n  - name: n1\n    url: http://127.0.0.1:8222\n"
                                       "scrape:\n  timeout: 3s\ncollectors: [varz, jsz]\n")
        r = run_exporter("check-config", f"--config.file={path}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("target n1 http://127.0.0.1:8222 collectors: varz jsz", r.stdout)

    def test_check_config_names_file_line_key_and_exits_2(self):
        path = self.write("bad.yaml", "targets:\n  - url: http://127.0.0.1:8222\n  - url: ftp://x\n")
        r = run_exporter("check-config", f"--config.file={path}")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f'{path}:3: targets[1].url: "ftp://x" is not an http:// or https:// URL', r.stderr)

        path = self.write("typo.yaml", "scrape:\n  timeout: 10\n  timout: 5s\n")
        r = run_exporter("check-config", f"--config.file={path}")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:3: scrape.timout: unknown key", r.stderr)
        self.assertIn(f"{path}:2: scrape.timeout:", r.stderr)

        r = run_exporter("check-config", f"--config.file={self.dir}/missing.yaml")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{self.dir}/missing.yaml: cannot read", r.stderr)

    def test_a_bad_config_starts_nothing(self):
        path = self.write("bad.yaml", "collectors: [varz, nosuch]\n")
        port = harness.free_port()
        r = run_exporter(f"--config.file={path}", f"--web.listen-address=127.0.0.1:{port}")
        self.assertEqual(r.returncode, 2)
        self.assertIn("collectors", r.stderr)
        self.assertIn("nosuch", r.stderr)
        with self.assertRaises(OSError):
            harness.http_get(f"http://127.0.0.1:{port}/healthz", timeout=1)

    def test_unknown_flag_and_bad_values_exit_2(self):
        r = run_exporter("--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertIn("flag --no-such-flag: unknown flag", r.stderr)
        r = run_exporter("check-config", "--scrape.timeout=soon")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--scrape.timeout", r.stderr)

    def test_secrets_never_in_messages(self):
        secret = "hunter2-secret"
        path = self.write("secret.yaml", "targets:\n  - url: http://user:%s@127.0.0.1:8222\n"
                                         "    basic_auth: {username: u, password: %s}\n" % (secret, secret))
        r = run_exporter("check-config", f"--config.file={path}")
        self.assertEqual(r.returncode, 2)  # credentials in the URL and basic_auth together
        self.assertNotIn(secret, r.stdout + r.stderr)
        r = run_exporter("check-config", f"--nats.url=http://user:{secret}@127.0.0.1:8222")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(secret, r.stdout + r.stderr)
        self.assertIn("http://127.0.0.1:8222", r.stdout)

    def test_help_and_version(self):
        r = run_exporter("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ("--config.file", "--nats.url", "--web.listen-address", "--collectors", "--scrape.timeout",
                     "--collector.", "--no-collector.", "NATS_EXPORTER_"):
            self.assertIn(flag, r.stdout)
        r = run_exporter("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^nats-exporter \d+\.\d+\.\d+ ")

    def test_flag_reference_matches_the_binary(self):
        # docs/flags.md is the output of --help=markdown, committed: regenerate it when a row changes
        # (build/nats-exporter --help=markdown > docs/flags.md).
        r = run_exporter("--help=markdown")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(os.environ["NATSEXP_SOURCE_DIR"], "docs", "flags.md"), encoding="utf-8") as f:
            self.assertEqual(f.read(), r.stdout, "docs/flags.md differs from nats-exporter --help=markdown")
        for flag in ("`--scrape.timeout=DURATION`", "`NATS_EXPORTER_SCRAPE_TIMEOUT`", "`scrape.timeout`"):
            self.assertIn(flag, r.stdout)


class HttpSurface(unittest.TestCase):
    def test_landing_health_ready_and_scrape_timeout_header(self):
        secret = "pa55-in-url"
        with harness.NatsServer("n1", jetstream=False) as server:
            url = server.monitor_url.replace("http://", f"http://monitor:{secret}@")
            with harness.Exporter([f"--nats.url={url}", "--scrape.timeout=5s"]) as exporter:
                status, headers, body = harness.http_get(exporter.base + "/")
                self.assertEqual(status, 200)
                page = body.decode()
                self.assertIn("nats-exporter", page)
                self.assertIn(f"127.0.0.1:{server.http_port}", page)
                self.assertIn("jsz", page)
                self.assertNotIn(secret, page)
                self.assertEqual(harness.http_get(exporter.base + "/healthz")[0], 200)
                self.assertEqual(harness.http_get(exporter.base + "/readyz")[0], 200)
                m = exporter.scrape(headers={"X-Prometheus-Scrape-Timeout-Seconds": "3"})
                self.assertEqual(m.value("nats_up"), 1.0)
                self.assertNotIn(secret, m.text)
                self.assertEqual(harness.http_get(exporter.base + "/nope")[0], 404)
                self.assertNotIn(secret, exporter.output())

    def test_unnamed_server_is_labelled_with_its_target_name_across_restarts(self):
        # nats-server without server_name reports its server_id (new at each restart) as its name.
        server = harness.NatsServer("unnamed", jetstream=False)
        server.config_text = lambda: (f"host: 127.0.0.1\nport: {server.port}\n"
                                      f"http: 127.0.0.1:{server.http_port}\n")
        with server:
            config = os.path.join(server.workdir, "exporter.yaml")
            with open(config, "w") as f:
                f.write(f"targets:\n  - name: edge-1\n    url: {server.monitor_url}\n")
            with harness.Exporter([f"--config.file={config}", "--collectors=varz"]) as exporter:
                first = exporter.scrape()
                self.assertEqual(first.value("nats_server_connections", server_name="edge-1"), 0.0)
                id_before = first.series("nats_server_info")[0][0]["server_id"]
                server.stop()
                server.start()
                second = harness.wait_until(lambda: (lambda m: m if m.has("nats_server_info") else None)(
                    exporter.scrape()), 15, what="scrape after restart")
                info = second.series("nats_server_info")
                self.assertEqual(len(info), 1)
                self.assertEqual(info[0][0]["server_name"], "edge-1")
                self.assertNotEqual(info[0][0]["server_id"], id_before)

    def test_concurrent_scrapes_share_one_collection(self):
        # A second target that accepts and never answers makes each collection last the whole
        # 1 s deadline, so eight scrapes sent together overlap for certain.
        import socket
        import threading
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        self.addCleanup(silent.close)
        with harness.NatsServer("n1", jetstream=False) as server:
            config = os.path.join(server.workdir, "exporter.yaml")
            with open(config, "w") as f:
                f.write(f"scrape: {{timeout: 1s}}\ncollectors: [varz]\ntargets:\n"
                        f"  - {{name: real, url: {server.monitor_url}}}\n"
                        f"  - {{name: silent, url: 'http://127.0.0.1:{silent.getsockname()[1]}'}}\n")
            with harness.Exporter([f"--config.file={config}"]) as exporter:
                before = server.varz()["http_req_stats"].get("/varz", 0)
                results = []
                threads = [threading.Thread(target=lambda: results.append(exporter.scrape())) for _ in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                self.assertEqual(len(results), 8)
                self.assertTrue(all(r.value("nats_up", server="real") == 1.0 for r in results))
                self.assertTrue(all(r.value("nats_up", server="silent") == 0.0 for r in results))
                # Our own /varz call below counts once; without single flight this would be 8.
                collections = server.varz()["http_req_stats"]["/varz"] - 1 - before
                self.assertGreaterEqual(collections, 1)
                self.assertLessEqual(collections, 2, f"{collections} collections for 8 concurrent scrapes")


if __name__ == "__main__":
    unittest.main(verbosity=2)
