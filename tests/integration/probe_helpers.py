"""Helpers for the client-probe and observation tests (tests/integration/test_probe_*.py,
test_observations.py): an exporter started with a `probes:` config, probe series read from a scrape,
and the exporter's clean exit. The NATS peers (raw clients, responders) are in harness.py.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402


def probe_exporter(server, probes, env=None, extra=None):
    """An exporter (not started) whose config targets `server`'s monitoring port (varz only) and runs
    `probes`. The config file is removed with the exporter's log when the exporter stops."""
    fd, path = tempfile.mkstemp(prefix="probe-config-", suffix=".yaml")
    os.close(fd)
    doc = {"targets": [{"name": server.name, "url": server.monitor_url}], "collectors": ["varz"],
           "probes": probes}
    if extra:
        doc.update(extra)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
    exporter = harness.Exporter([f"--config.file={path}"], env=env)
    exporter.config_path = path
    original_exit = exporter.__exit__

    def exit_and_clean(*exc):
        original_exit(*exc)
        try:
            os.unlink(path)
        except OSError:
            pass
    exporter.__exit__ = exit_and_clean
    return exporter


def value(expo, name, default=None, **labels):
    """The single value of `name{labels}`, or `default` when the series is absent."""
    found = expo.series(name, **labels)
    if not found and default is not None:
        return default
    assert len(found) == 1, f"expected one {name}{labels}, found {len(found)}: {found[:5]}"
    return found[0][1]


def histogram(expo, name, **labels):
    """(buckets as [(le, cumulative count)], count, sum) of one histogram series."""
    buckets = []
    for l, v in expo.series(name + "_bucket", **labels):
        le = l["le"]
        buckets.append((float("inf") if le == "+Inf" else float(le), v))
    buckets.sort()
    return buckets, value(expo, name + "_count", **labels), value(expo, name + "_sum", **labels)


def wait_metric(exporter, predicate, what, timeout=20.0):
    """Scrapes until predicate(exposition) is true; returns that exposition."""
    holder = {}

    def check():
        expo = exporter.scrape()
        holder["expo"] = expo
        return predicate(expo)
    harness.wait_until(check, timeout, interval=0.2, what=what)
    return holder["expo"]


def assert_clean_exit(test, exporter):
    """Stops the exporter by PID (SIGTERM) and asserts exit code 0: the probes drained and closed, and
    a sanitizer build found no error or leak at exit."""
    out_before = exporter.output()
    code = exporter.stop()
    test.assertEqual(code, 0, f"exporter exit code {code}:\n{exporter.output()[-4000:]}")
    test.assertNotIn("Sanitizer", exporter.output())
    return out_before


def promtool_ok(test, text):
    """Asserts that `promtool check metrics` accepts the exposition (skipped without promtool)."""
    if not harness.shutil.which("promtool"):
        return
    code, out = harness.promtool_check_metrics(text)
    probe_lines = "\n".join(l for l in out.splitlines() if "nats_probe" in l)
    test.assertEqual(probe_lines, "", f"promtool complains about probe metrics:\n{out}")
