"""deploy/: every YAML parses; the Prometheus configs pass `promtool check config`; the
PrometheusRule and the dashboards ConfigMap are exactly dashboards/alerts/*.yaml and
dashboards/grafana/*.json; compose, kustomization and Dockerfile reference files that exist; the
sidecar is wired as documented (port, probes, security context, resources); the shipped exporter
and nats-server configs are accepted by the real binaries; the systemd unit passes
`systemd-analyze verify`; the runtime image's package list covers what the binary links."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

try:
    import yaml
except ImportError:  # python3-yaml (deploy/install-deps.sh test installs it)
    yaml = None

ROOT = harness.SOURCE_DIR
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def k8s_objects():
    out = {}
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        for doc in load_all(path):
            if "kind" in doc and doc["kind"] != "Kustomization":
                out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


@unittest.skipIf(yaml is None, "PyYAML is not installed (Debian: python3-yaml, in deploy/install-deps.sh test)")
class DeployFiles(unittest.TestCase):
    def test_every_yaml_parses(self):
        files = [p for p in glob.glob(os.path.join(DEPLOY, "**", "*.y*ml"), recursive=True)]
        self.assertGreaterEqual(len(files), 15, files)
        for path in files:
            with self.subTest(os.path.relpath(path, ROOT)):
                docs = load_all(path)
                self.assertTrue(docs, "empty")
                if path.startswith(K8S + os.sep) and not path.endswith("kustomization.yaml"):
                    for d in docs:
                        self.assertIn("apiVersion", d)
                        self.assertIn("kind", d)
                        self.assertTrue(d["metadata"]["name"])

    def test_promtool_check_config(self):
        for path in (os.path.join(DEPLOY, "prometheus", "prometheus.yml"), os.path.join(DEPLOY, "compose", "prometheus.yml")):
            with self.subTest(os.path.relpath(path, ROOT)):
                r = subprocess.run(["promtool", "check", "config", path], capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # The example config loads the repository's rule files themselves.
        r = subprocess.run(["promtool", "check", "config", os.path.join(DEPLOY, "prometheus", "prometheus.yml")],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("nats-alerts.yaml", r.stdout + r.stderr)

    def test_prometheus_rule_is_exactly_the_rule_files(self):
        groups = []
        for path in sorted(glob.glob(os.path.join(ROOT, "dashboards", "alerts", "*.yaml"))):
            groups.extend(load_all(path)[0]["groups"])
        self.assertTrue(groups)
        rule = k8s_objects()[("PrometheusRule", "nats-exporter")]
        self.assertEqual(rule["spec"]["groups"], groups)
        self.assertEqual(rule["apiVersion"], "monitoring.coreos.com/v1")

    def test_dashboards_configmap_is_exactly_the_dashboards(self):
        cm = k8s_objects()[("ConfigMap", "nats-exporter-dashboards")]
        self.assertEqual(cm["metadata"]["labels"].get("grafana_dashboard"), "1")
        files = sorted(glob.glob(os.path.join(ROOT, "dashboards", "grafana", "*.json")))
        self.assertTrue(files)
        self.assertEqual(sorted(cm["data"]), [os.path.basename(f) for f in files])
        for f in files:
            with open(f) as fh:
                self.assertEqual(json.loads(cm["data"][os.path.basename(f)]), json.load(fh), f)

    def test_generated_files_are_current(self):
        r = subprocess.run([sys.executable, os.path.join(K8S, "generate.py"), "--check"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_kustomization_resources_exist(self):
        k = load_all(os.path.join(K8S, "kustomization.yaml"))[0]
        for res in k["resources"]:
            self.assertTrue(os.path.isfile(os.path.join(K8S, res)), res)
        kinds = {kind for kind, _ in k8s_objects()}
        for kind in ("StatefulSet", "Service", "ConfigMap", "Secret", "PodMonitor", "ServiceMonitor", "PrometheusRule"):
            self.assertIn(kind, kinds)

    def test_kustomize_renders(self):
        if not shutil.which("kubectl"):
            self.skipTest("kubectl is not installed (kubectl kustomize renders the kustomization offline)")
        r = subprocess.run(["kubectl", "kustomize", K8S], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        kinds = sorted(d["kind"] for d in yaml.safe_load_all(r.stdout) if d)
        self.assertEqual(kinds, ["ConfigMap", "ConfigMap", "ConfigMap", "PodMonitor", "PrometheusRule", "Secret",
                                 "Service", "Service", "StatefulSet"])

    def test_sidecar_is_wired_as_documented(self):
        sts = k8s_objects()[("StatefulSet", "nats")]
        pod = sts["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        containers = {c["name"]: c for c in pod["containers"]}
        exp = containers["nats-exporter"]
        self.assertEqual(exp["ports"], [{"name": "metrics", "containerPort": 7777, "protocol": "TCP"}])
        self.assertEqual(exp["livenessProbe"]["httpGet"], {"path": "/healthz", "port": "metrics"})
        self.assertEqual(exp["readinessProbe"]["httpGet"], {"path": "/readyz", "port": "metrics"})
        for name, c in containers.items():
            with self.subTest(name):
                sc = c["securityContext"]
                self.assertTrue(sc["readOnlyRootFilesystem"])
                self.assertFalse(sc["allowPrivilegeEscalation"])
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                self.assertIn("memory", c["resources"]["requests"])
                self.assertIn("memory", c["resources"]["limits"])
        # The exporter's memory request covers the measured peak (26 MiB at 2000 connections).
        self.assertEqual(exp["resources"]["requests"]["memory"], "32Mi")
        # Secrets come from the Secret, not the ConfigMap.
        env = {e["name"]: e for e in exp["env"]}
        self.assertEqual(env["PROBE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"], "nats-secrets")
        for kind in ("PodMonitor", "ServiceMonitor"):
            mon = k8s_objects()[(kind, "nats")]
            endpoints = mon["spec"].get("podMetricsEndpoints") or mon["spec"].get("endpoints")
            self.assertEqual(endpoints[0]["port"], "metrics")
        svc = k8s_objects()[("Service", "nats-metrics")]
        self.assertEqual(svc["spec"]["ports"][0]["targetPort"], "metrics")

    def test_shipped_configs_are_accepted_by_the_real_binaries(self):
        cm = k8s_objects()[("ConfigMap", "nats-exporter-config")]
        d = tempfile.mkdtemp(prefix="natsexp-deploy-")
        self.addCleanup(shutil.rmtree, d, True)
        for name, text in cm["data"].items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        env = dict(os.environ, PROBE_PASSWORD="x")
        env.pop("NATS_EXPORTER_BIN", None)
        r = subprocess.run([harness.EXPORTER_BIN, "check-config", f"--config.file={d}/config.yaml",
                            f"--web.config.file={d}/web-config.yml"], capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for path in glob.glob(os.path.join(DEPLOY, "compose", "nats-exporter.yaml")):
            r = subprocess.run([harness.EXPORTER_BIN, "check-config", f"--config.file={path}"], capture_output=True,
                               text=True, env=env, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        nats_conf = k8s_objects()[("ConfigMap", "nats-config")]["data"]["nats.conf"]
        conf = os.path.join(d, "nats.conf")
        with open(conf, "w") as f:
            f.write(nats_conf.replace("/data/jetstream", os.path.join(d, "js")))
        r = subprocess.run(["nats-server", "-c", conf, "-t"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, POD_NAME="nats-0", APP_PASSWORD="a", PROBE_PASSWORD="p"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_compose_references_existing_files(self):
        compose_dir = os.path.join(DEPLOY, "compose")
        doc = load_all(os.path.join(compose_dir, "docker-compose.yml"))[0]
        self.assertEqual(set(doc["services"]), {"nats", "nats-exporter", "prometheus", "grafana"})
        checked = 0
        for name, svc in doc["services"].items():
            for vol in svc.get("volumes", []):
                src = vol.split(":")[0]
                if src.startswith("."):
                    with self.subTest(service=name, volume=src):
                        self.assertTrue(os.path.exists(os.path.join(compose_dir, src)), src)
                        checked += 1
            build = svc.get("build")
            if build:
                context = os.path.join(compose_dir, build["context"])
                self.assertTrue(os.path.isfile(os.path.join(context, build["dockerfile"])))
        self.assertGreaterEqual(checked, 6)
        # The rules Prometheus loads in compose are the repository's.
        prom = load_all(os.path.join(compose_dir, "prometheus.yml"))[0]
        self.assertEqual(prom["rule_files"], ["/etc/prometheus/rules/*.yaml"])

    def test_dockerfile(self):
        with open(os.path.join(DEPLOY, "Dockerfile")) as f:
            text = f.read()
        self.assertEqual(len(re.findall(r"^FROM debian:bookworm", text, re.M)), 2)
        self.assertRegex(text, r"(?m)^EXPOSE 7777$")
        self.assertRegex(text, r"(?m)^USER 65534:65534$")
        self.assertIn("install-deps.sh build", text)
        self.assertIn("install-deps.sh runtime", text)
        for src in re.findall(r"(?m)^COPY (?!--from)(\S+)", text):
            self.assertTrue(os.path.exists(os.path.join(ROOT, src)), src)

    def test_runtime_packages_cover_the_binary(self):
        if not shutil.which("ldd") or not shutil.which("dpkg"):
            self.skipTest("ldd or dpkg missing")
        with open(os.path.join(DEPLOY, "install-deps.sh")) as f:
            m = re.search(r"runtime_pkgs=\(([^)]*)\)", f.read())
        runtime = set(m.group(1).split())
        out = subprocess.run(["ldd", harness.EXPORTER_BIN], capture_output=True, text=True).stdout
        needed = set()
        for lib in re.findall(r"=> (\S+)", out):
            if re.search(r"lib(asan|ubsan)", lib):
                continue  # the sanitizer build
            r = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True, text=True)
            if r.returncode != 0:
                r = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
            if r.returncode == 0:
                needed.add(r.stdout.split(":")[0])
        base = {"libc6", "libstdc++6", "libgcc-s1", "libbrotli1", "libssl3"}  # in bookworm-slim or listed
        self.assertTrue(needed)
        self.assertEqual(needed - runtime - base, set(), f"linked but not in runtime_pkgs: {needed - runtime - base}")

    def test_systemd_unit(self):
        unit = os.path.join(DEPLOY, "systemd", "nats-exporter.service")
        with open(unit) as f:
            text = f.read()
        for line in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
                     "ExecReload=/bin/kill -HUP $MAINPID", "RestartPreventExitStatus=2"):
            self.assertIn(line + "\n", text)
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed")
        d = tempfile.mkdtemp(prefix="natsexp-unit-")
        self.addCleanup(shutil.rmtree, d, True)
        # verify checks that ExecStart exists: point it at the binary under test.
        copy = os.path.join(d, "nats-exporter.service")
        with open(copy, "w") as f:
            f.write(text.replace("/usr/local/bin/nats-exporter", os.path.abspath(harness.EXPORTER_BIN)))
        r = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True, timeout=60)
        if r.returncode != 0 and re.search(r"(Failed to (connect|initialize)|No such file or directory.*/run/systemd|"
                                           r"System has not been booted with systemd)", r.stderr):
            self.skipTest("systemd-analyze cannot run here: " + r.stderr.strip()[:200])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
