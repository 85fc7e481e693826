"""Reading the shipped dashboards and rule files for the end-to-end tests (standard library only):
every query of every panel, template variable substitution, the "counters only inside rate()" check,
and a time-compressed copy of an alert rule for a test that cannot wait ten minutes.
"""
import glob
import json
import os
import re

SOURCE_DIR = os.environ.get("NATSEXP_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DASHBOARDS_DIR = os.path.join(SOURCE_DIR, "dashboards")
GRAFANA_DIR = os.path.join(DASHBOARDS_DIR, "grafana")
ALERTS_DIR = os.path.join(DASHBOARDS_DIR, "alerts")
ALERTS_FILE = os.path.join(ALERTS_DIR, "nats-alerts.yaml")
RECORDING_FILE = os.path.join(ALERTS_DIR, "nats-recording.yaml")


def load_dashboards():
    """[(file name, dashboard dict)] for every dashboards/grafana/*.json."""
    out = []
    for path in sorted(glob.glob(os.path.join(GRAFANA_DIR, "*.json"))):
        with open(path, encoding="utf-8") as f:
            out.append((os.path.basename(path), json.load(f)))
    return out


def panels(dashboard):
    """Every panel except rows, also those nested in collapsed rows."""
    for p in dashboard.get("panels", []):
        if p.get("type") == "row":
            yield from p.get("panels", [])
        else:
            yield p


def queries(dashboard):
    """[(panel title, target dict)] of every Prometheus target of every panel."""
    return [(p.get("title", ""), t) for p in panels(dashboard) for t in p.get("targets", []) if "expr" in t]


def variables(dashboard):
    return dashboard.get("templating", {}).get("list", [])


def variable_query(var):
    q = var.get("query")
    return q.get("query", "") if isinstance(q, dict) else (q or "")


def substitute(expr, values, builtins):
    """Replaces Grafana's $__builtins (e.g. $__rate_interval) and template variables ($var, ${var},
    ${var:regex}) by the given strings."""
    for name in sorted(builtins, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", builtins[name]).replace("$" + name, builtins[name])
    for name in sorted(values, key=len, reverse=True):
        expr = re.sub(r"\$\{" + re.escape(name) + r"(:[a-z]+)?\}", lambda m: values[name], expr)
        expr = re.sub(r"\$" + re.escape(name) + r"\b", lambda m: values[name], expr)
    return expr


# A counter, or the parts of a histogram (cumulative counters too).
_COUNTER = re.compile(r"(?<![A-Za-z0-9_:])([A-Za-z_:][A-Za-z0-9_:]*_(?:total|bucket|count|sum))(?![A-Za-z0-9_:])")
_RATE_FUNCS = {"rate", "irate", "increase"}


def _blank_strings(expr):
    """The expression with the contents of string literals blanked (same length), so label values
    and regexes are not read as metric names."""
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', expr)


def counters_outside_rate(expr):
    """Metric names of counters (…_total, …_bucket, …_count, …_sum) in `expr` that are not inside
    rate(, irate( or increase(. Label names in by/without/on/ignoring/group_left lists and inside
    selectors are not metric names and are skipped."""
    text = _blank_strings(expr)
    bad = []
    for m in _COUNTER.finditer(text):
        start = m.start()
        # A label name inside {…}: the nearest unclosed brace before it.
        if text.rfind("{", 0, start) > text.rfind("}", 0, start):
            continue
        # Inside an unclosed "(": walk outwards through the enclosing calls.
        depth, i, inside_rate, label_list = 0, start - 1, False, False
        first_paren = True
        while i >= 0:
            c = text[i]
            if c == ")":
                depth += 1
            elif c == "(":
                if depth:
                    depth -= 1
                else:
                    fn = re.search(r"([A-Za-z_]+)\s*$", text[:i])
                    name = fn.group(1) if fn else ""
                    if first_paren and name in {"by", "without", "on", "ignoring", "group_left", "group_right"}:
                        label_list = True
                        break
                    first_paren = False
                    if name in _RATE_FUNCS:
                        inside_rate = True
                        break
            i -= 1
        if not inside_rate and not label_list:
            bad.append(m.group(1))
    return bad


def label_matchers(expr):
    """[(metric name, label name)] for every matcher inside a selector metric{label=~"…"}."""
    text = _blank_strings(expr)
    out = []
    for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}", text):
        for lm in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)", m.group(2)):
            out.append((m.group(1), lm.group(1)))
    return out


def alert_names(path=ALERTS_FILE):
    with open(path) as f:
        return re.findall(r"^\s*- alert:\s*(\S+)\s*$", f.read(), re.M)


def record_names(path=RECORDING_FILE):
    with open(path) as f:
        return re.findall(r"^\s*- record:\s*(\S+)\s*$", f.read(), re.M)


def alert_blocks(path=ALERTS_FILE):
    """{alert name: the text of its rule} from a rule file written one rule per `- alert:` item."""
    with open(path) as f:
        lines = f.read().split("\n")
    blocks, name, current = {}, None, []
    for line in lines:
        m = re.match(r"^(\s*)- (alert|record):\s*(\S+)", line)
        if m or re.match(r"^\s{0,2}- name:", line):
            if name:
                blocks[name] = "\n".join(current).rstrip() + "\n"
            name, current = (m.group(3) if m and m.group(2) == "alert" else None), []
        if name is not None:
            current.append(line)
    if name:
        blocks[name] = "\n".join(current).rstrip() + "\n"
    return blocks


_UNITS = {"s": 1, "m": 60, "h": 3600}


def _scaled(value, unit, factor):
    seconds = max(1, round(int(value) * _UNITS[unit] / factor))
    return f"{seconds}s"


def compressed_rule_file(alertname, factor, extra_label, path=ALERTS_FILE, group="e2e-compressed"):
    """A rule file with one alert of `path`, every range selector [Nm] and its `for:` divided by
    `factor` (15m / 30 = 30s), and the label extra_label=(name, value) added, so a test can watch it
    go pending and firing in seconds without waiting for the real windows."""
    block = alert_blocks(path)[alertname]
    block = re.sub(r"\[(\d+)([smh])\]", lambda m: "[" + _scaled(m.group(1), m.group(2), factor) + "]", block)
    block = re.sub(r"(\bfor:\s*)(\d+)([smh])", lambda m: m.group(1) + _scaled(m.group(2), m.group(3), factor), block)
    indent = re.search(r"^(\s*)severity:", block, re.M).group(1)
    block = re.sub(r"^(\s*severity:.*)$", lambda m: m.group(1) + f"\n{indent}{extra_label[0]}: {extra_label[1]}",
                   block, count=1, flags=re.M)
    return f"groups:\n  - name: {group}\n    rules:\n" + block
