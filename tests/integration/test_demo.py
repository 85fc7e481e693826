"""The one-command demo (deploy/local/demo.sh), run briefly on free ports with the built binary
(NATS_EXPORTER_BIN skips the package check and the build):

- the doctor reports the load generator's pitfalls: nats_doctor_finding{check="missing-queue-group"}
  >= 1 on /metrics, /doctor names the billing-worker subscription and, on its second load (its
  growth checks compare with the previous one), the growing backlog of ORDERS > processor;
- the request probe's histogram has samples (count > 0);
- Prometheus (the demo's, with the shipped rules) has NatsConsumerBacklogGrowing pending or firing
  in /api/v1/alerts;
- Ctrl-C (SIGINT to the script) stops it with exit code 0, the exporter exits 0 (the demo reports
  any other status: a sanitizer finding at exit), every PID it printed is gone, and its temp
  directory is removed. DEMO_SECONDS=90 bounds the run if the checks never pass.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402

DEMO = os.path.join(harness.SOURCE_DIR, "deploy", "local", "demo.sh")
DEMO_SECONDS = 90


def alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Demo(unittest.TestCase):
    def test_demo_shows_the_product(self):
        ports = {"NATS_PORT": harness.free_port(), "NATS_HTTP_PORT": harness.free_port(),
                 "EXPORTER_PORT": harness.free_port(), "PROMETHEUS_PORT": harness.free_port()}
        env = dict(os.environ, NATS_EXPORTER_BIN=harness.EXPORTER_BIN, DEMO_SECONDS=str(DEMO_SECONDS),
                   **{k: str(v) for k, v in ports.items()})
        t0 = time.monotonic()
        proc = subprocess.Popen(["bash", DEMO], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(l.decode(errors="replace") for l in proc.stdout),
                                  daemon=True)
        reader.start()
        pids = {}

        def stop_demo():
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for name, pid in pids.items():  # never leave a process behind, even when the test fails
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
        self.addCleanup(stop_demo)

        def printed_pids():
            text = "".join(lines)
            m = re.search(r"^pids: (.*)$", text, re.M)
            if proc.poll() is not None and not m:
                raise AssertionError(f"demo exited {proc.returncode}:\n{text[-3000:]}")
            return dict((k, int(v)) for k, v in (kv.split("=") for kv in m.group(1).split())) if m else None
        pids.update(harness.wait_until(printed_pids, 60, interval=0.2, what="the demo to start"))
        started = time.monotonic() - t0
        text = "".join(lines)
        workdir = re.search(r"logs and data in (\S+?)\):", text).group(1)
        self.assertEqual(set(pids), {"nats-server", "loadgen", "nats-exporter", "prometheus"})
        for port in ports.values():
            self.assertIn(f"127.0.0.1:{port}", text)
        self.assertIn("/doctor", text)
        self.assertIn("/alerts", text)
        self.assertIn("/graph?g0.expr=histogram_quantile", text)

        exporter = f"http://127.0.0.1:{ports['EXPORTER_PORT']}"
        prometheus = f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}"

        def metrics():
            status, _, body = harness.http_get(exporter + "/metrics", timeout=10)
            return harness.Exposition(body.decode()) if status == 200 else None

        def queue_group_finding():
            e = metrics()
            found = e.series("nats_doctor_finding", check="missing-queue-group", server_name="demo")
            return e if found and found[0][1] >= 1 else None
        expo = harness.wait_until(queue_group_finding, 60, interval=1, what="the missing-queue-group finding")
        t_finding = time.monotonic() - t0
        self.assertGreater(expo.value("nats_probe_request_duration_seconds_count", probe="nats-rtt"), 0)
        def doctor():
            status, _, body = harness.http_get(exporter + "/doctor?format=json", timeout=10)
            self.assertEqual(status, 200)
            report = json.loads(body)
            return {f["check"]: "\n".join(f["evidence"]) for f in report["findings"]}
        findings = doctor()
        self.assertIn("billing-worker", findings.get("missing-queue-group", ""), findings)
        # The growth checks of /doctor compare with the page's previous load: load it again later.
        time.sleep(6)
        findings = doctor()
        self.assertIn("missing-queue-group", findings)
        self.assertIn("ORDERS > processor", findings.get("consumer-backlog-growing", ""), findings)

        def backlog_alert():
            status, _, body = harness.http_get(prometheus + "/api/v1/alerts", timeout=10)
            alerts = json.loads(body)["data"]["alerts"] if status == 200 else []
            return [a for a in alerts if a["labels"].get("alertname") == "NatsConsumerBacklogGrowing"
                    and a["labels"].get("consumer") == "processor" and a["state"] in ("pending", "firing")]
        alert = harness.wait_until(backlog_alert, max(5, DEMO_SECONDS - 15 - (time.monotonic() - t0)),
                                   interval=1, what="NatsConsumerBacklogGrowing pending in Prometheus")[0]
        t_alert = time.monotonic() - t0

        # Ctrl-C: the script stops everything it started, by PID, and removes its directory.
        os.kill(proc.pid, signal.SIGINT)
        code = proc.wait(30)
        reader.join(5)
        proc.stdout.close()
        out = "".join(lines)
        self.assertEqual(code, 0, out[-3000:])
        self.assertIn("demo: stopped", out)
        self.assertNotIn("nats-exporter exited with status", out)  # e.g. a sanitizer finding at exit
        left = {name: pid for name, pid in pids.items() if alive(pid)}
        self.assertEqual(left, {}, "processes the demo left running")
        self.assertFalse(os.path.exists(workdir), f"{workdir} left behind")
        print(f"\n[demo] started in {started:.0f}s; missing-queue-group at {t_finding:.0f}s "
              f"(doctor findings: {sorted(findings)}), probe samples "
              f"{expo.value('nats_probe_request_duration_seconds_count', probe='nats-rtt'):.0f}; "
              f"NatsConsumerBacklogGrowing {alert['state']} at {t_alert:.0f}s (backlog {float(alert['value']):.0f}); "
              f"stopped cleanly in {time.monotonic() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
