"""The shipped dashboards and Prometheus rules, checked without servers (fast; runs in CI as one CTest
test):

- `promtool check rules` on dashboards/alerts/*.yaml and `promtool test rules` on
  dashboards/alerts/tests/*.yaml (every alert has a firing and a silent case there; this checks that
  each alert is at least named in a test with an expected firing);
- every alert has severity, summary, description (showing $value) and a runbook_url whose anchor is a
  section of docs/runbook.md;
- every dashboard JSON parses, is what dashboards/grafana/generate.py writes, has a datasource
  variable of type prometheus and no hard-coded datasource uid, template variables job, cluster and
  server, a description and a unit on every panel, counters (…_total, histogram buckets) only inside
  rate()/irate()/increase() with $__rate_interval or $__range, recording rules that exist, and no
  overlapping panels.
The end-to-end test (test_e2e_prometheus.py) runs every one of these queries against a real
Prometheus.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboards_lib as lib  # noqa: E402
from test_docs import markdown_anchors  # noqa: E402

RULE_FILES = sorted(glob.glob(os.path.join(lib.ALERTS_DIR, "*.yaml")))
RULE_TESTS = sorted(glob.glob(os.path.join(lib.ALERTS_DIR, "tests", "*.yaml")))
RUNBOOK = os.path.join(lib.SOURCE_DIR, "docs", "runbook.md")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class Promtool(unittest.TestCase):
    # No skip without promtool: CI must run these (deploy/install-deps.sh test installs prometheus,
    # which brings promtool).
    def setUp(self):
        self.assertTrue(shutil.which("promtool"), "promtool is not installed (apt-get install prometheus)")

    def test_check_rules(self):
        self.assertEqual(len(RULE_FILES), 2, RULE_FILES)
        p = subprocess.run(["promtool", "check", "rules", *RULE_FILES], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_unit_tests(self):
        self.assertTrue(RULE_TESTS)
        # Rule file paths in the tests are relative to the test file's folder.
        p = subprocess.run(["promtool", "test", "rules", *RULE_TESTS], capture_output=True, text=True,
                           timeout=300, cwd=os.path.join(lib.ALERTS_DIR, "tests"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class Rules(unittest.TestCase):
    def test_every_alert_is_unit_tested_firing_and_silent(self):
        text = "".join(read(f) for f in RULE_TESTS)
        # Split into alert_rule_test items: (alertname, whether it expects alerts).
        items = re.findall(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\])?", text)
        firing = {name for name, empty in items if not empty}
        for name in lib.alert_names():
            with self.subTest(alert=name):
                self.assertIn(name, firing, f"{name}: no promtool test case where it fires")

    def test_alert_metadata_and_runbook(self):
        anchors = markdown_anchors(RUNBOOK)
        blocks = lib.alert_blocks()
        self.assertEqual(sorted(blocks), sorted(lib.alert_names()))
        self.assertGreaterEqual(len(blocks), 11)
        for name, block in blocks.items():
            with self.subTest(alert=name):
                self.assertRegex(block, r"\n\s+severity:\s*(critical|warning|info)\s*\n")
                self.assertRegex(block, r"\n\s+summary:")
                desc = re.search(r"\n\s+description:(.*?)\n\s+runbook_url:", block, re.S)
                self.assertTrue(desc, "description must come before runbook_url")
                self.assertIn("$value", desc.group(1), "the description shows the value")
                self.assertIn("$labels", desc.group(1), "the description names the labels")
                url = re.search(r'runbook_url:\s*"?([^"\s]+)"?', block).group(1)
                self.assertEqual(url, f"docs/runbook.md#{name.lower()}")
                self.assertIn(name.lower(), anchors, f"docs/runbook.md has no section '{name}'")

    def test_recording_rules_used_by_alerts_exist(self):
        records = set(lib.record_names())
        used = set(re.findall(r"\b(nats_[a-z_]*:[a-z_0-9:]+)", read(lib.ALERTS_FILE)))
        self.assertTrue(used)
        self.assertLessEqual(used, records)


class Dashboards(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dashboards = lib.load_dashboards()

    def test_dashboards_generated_from_the_script(self):
        self.assertEqual([n for n, _ in self.dashboards],
                         ["nats-jetstream.json", "nats-latency.json", "nats-overview.json", "nats-services.json"])
        p = subprocess.run([sys.executable, os.path.join(lib.GRAFANA_DIR, "generate.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        uids = [d["uid"] for _, d in self.dashboards]
        self.assertEqual(len(set(uids)), len(uids))

    def test_datasource_variable_and_no_hard_coded_uid(self):
        for name, d in self.dashboards:
            with self.subTest(dashboard=name):
                ds = [v for v in lib.variables(d) if v.get("type") == "datasource"]
                self.assertEqual(len(ds), 1)
                self.assertEqual(ds[0]["name"], "datasource")
                self.assertEqual(ds[0]["query"], "prometheus")
                names = {v["name"] for v in lib.variables(d)}
                self.assertLessEqual({"job", "cluster", "server"}, names)
                # Every "uid" in the file is the variable, or Grafana's built-in annotation source.
                uids = set(re.findall(r'"uid":\s*"([^"]*)"', read(os.path.join(lib.GRAFANA_DIR, name))))
                self.assertLessEqual(uids, {"${datasource}", "-- Grafana --", d["uid"]})
                for v in lib.variables(d):
                    if v.get("type") == "query":
                        self.assertEqual(v["datasource"], {"type": "prometheus", "uid": "${datasource}"})
                        self.assertTrue(v.get("includeAll") and v.get("allValue") == ".*", v["name"])

    def test_every_panel_has_description_unit_and_variable_datasource(self):
        for name, d in self.dashboards:
            titles = [p["title"] for p in lib.panels(d)]
            self.assertEqual(len(titles), len(set(titles)), f"{name}: duplicate panel titles")
            for p in lib.panels(d):
                with self.subTest(dashboard=name, panel=p["title"]):
                    self.assertGreater(len(p.get("description", "")), 40)
                    self.assertEqual(p["datasource"], {"type": "prometheus", "uid": "${datasource}"})
                    unit = (p["options"]["yAxis"].get("unit") if p["type"] == "heatmap"
                            else p["fieldConfig"]["defaults"].get("unit"))
                    self.assertTrue(unit, "unit set")
                    self.assertTrue(p["targets"])
                    for t in p["targets"]:
                        self.assertEqual(t["datasource"], {"type": "prometheus", "uid": "${datasource}"})

    def test_counters_only_through_rate_or_increase(self):
        for name, d in self.dashboards:
            for title, t in lib.queries(d):
                with self.subTest(dashboard=name, panel=title, expr=t["expr"]):
                    self.assertEqual(lib.counters_outside_rate(t["expr"]), [])
                    # A counter's window is Grafana's $__rate_interval (or $__range for a "in range" stat).
                    for window in re.findall(r"(?:rate|increase)\([^\[]*\[([^\]]+)\]", t["expr"]):
                        self.assertIn(window, ("$__rate_interval", "$__range"))

    def test_recording_rules_referenced_exist(self):
        records = set(lib.record_names())
        for name, d in self.dashboards:
            for title, t in lib.queries(d):
                for used in re.findall(r"\b(nats_[a-z_]*:[a-z_0-9:]+)", t["expr"]):
                    with self.subTest(dashboard=name, panel=title):
                        self.assertIn(used, records)

    def test_panels_do_not_overlap(self):
        for name, d in self.dashboards:
            cells = {}
            for p in d["panels"]:
                g = p["gridPos"]
                self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
                for y in range(g["y"], g["y"] + g["h"]):
                    for x in range(g["x"], g["x"] + g["w"]):
                        self.assertNotIn((x, y), cells, f"{name}: {p['title']} overlaps {cells.get((x, y))}")
                        cells[(x, y)] = p["title"]

    def test_lint_catches_a_bare_counter(self):
        # The checker itself: a counter outside rate() is found, one inside is not.
        self.assertEqual(lib.counters_outside_rate('sum(nats_server_messages_sent_total{job="x"})'),
                         ["nats_server_messages_sent_total"])
        self.assertEqual(lib.counters_outside_rate(
            'sum by (le) (increase(nats_probe_request_duration_seconds_bucket[$__rate_interval]))'), [])
        self.assertEqual(lib.counters_outside_rate('histogram_quantile(0.99, nats_x_bucket)'), ["nats_x_bucket"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
