#!/usr/bin/env python3
"""Scrape benchmark: prints figures, asserts nothing (never a CTest test).

For each N in --conns (raw client connections holding one subscription each, kept open by
tests/bench/conn_holder.cpp) it starts a fresh nats-server 2.9 with JetStream, the N connections
(checked with /varz), and one process per configuration:
  default      nats-exporter with every collector, the doctor on, every flag at its default;
  no-doctor    the same with --no-collector.doctor;
  full-0s      (only when the binary has --connz.full-read-interval) the default with
               --connz.full-read-interval=0s: the full read of every connection in every scrape;
  raw-light    tests/bench/raw_fetch --mode=light: the endpoints the default configuration reads per
               scrape between full reads (one /connz?sort=pending page of 256), same HTTP library,
               no parsing: the floor of `default`;
  raw-single   raw_fetch --mode=single: the same endpoints with the full read as one request (the
               floor of `full-0s`);
  raw-paged    (--raw paged) what the default configuration read before the full-read cadence:
               connz and the doctor's connz?subs=detail paged by 1024;
  <other>      optional: --other 'CMD with {monitor_url} and {port}' --other-name NAME, e.g.
               prometheus-nats-exporter, scraped on its /metrics exactly like ours.
Scrapes are interleaved (default, no-doctor, full-0s, raw…, other, default, …) so the load of the
machine hits every configuration alike. Per scrape it reads, from /proc and the process CPU clocks:
  exporter CPU    CPU time (user+system, every thread) the scraped process spent from just before
                  the GET until --gap seconds after the answer (raw columns: raw_fetch's own CPU);
  server CPU      the same window on the nats-server process: the cost we put on what we monitor;
  wall            the GET /metrics as a keep-alive client sees it (median and p99);
  peak RSS        VmHWM of the process at the end (fresh processes for every N);
  body            bytes of the last answer (uncompressed unless --gzip; raw: bytes fetched).
When the binary supports --connz.full-read-interval, scrapes where nats_exporter_connz_full_reads_total
moved are kept apart: the per-scrape figures of `default` and `no-doctor` are those of the scrapes
between full reads, the full read's own cost is full-0s minus default (CPU means, wall medians; its
peak RSS is full-0s's), and the amortized cost per scrape is default + full read x
min(1, --interval / --cadence) (15 s scrapes, 120 s cadence). Without the flag it prints
"full read: every scrape" and per-scrape figures only.

  cmake --build build --target nats-exporter raw_fetch conn_holder
  python3 tests/bench/bench_scrape.py [--conns 0,1000,2000,5000,10000] [--scrapes 30] [--runs 2]
      [--other 'prometheus-nats-exporter -varz -connz -port {port} {monitor_url}' --other-name pne]
Binaries: NATS_EXPORTER_BIN (default build/nats-exporter), RAW_FETCH_BIN and CONN_HOLDER_BIN
(default build/tests/raw_fetch and build/tests/conn_holder).
"""
import argparse
import gzip
import http.client
import os
import re
import resource
import select
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
BUILD_DIR = os.path.dirname(harness.EXPORTER_BIN)
RAW_FETCH_BIN = os.environ.get("RAW_FETCH_BIN", os.path.join(BUILD_DIR, "tests", "raw_fetch"))
CONN_HOLDER_BIN = os.environ.get("CONN_HOLDER_BIN", os.path.join(BUILD_DIR, "tests", "conn_holder"))
FULL_READS = re.compile(rb"^nats_exporter_connz_full_reads_total(?:\{[^}]*\})?\s+(\S+)", re.M)
FAILED = re.compile(rb'^nats_exporter_collector_success\{[^}]*collector="([^"]+)"[^}]*\}\s+0(?:\.0*)?\s*$', re.M)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# Processes and their costs

def raise_nofile():
    """RLIMIT_NOFILE soft limit up to the hard limit (10000 connections need more than 1024 fds)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pid):
    """CPU time of the whole process (every thread, dead ones included): the process CPU clock
    (nanoseconds) when the kernel lets us read it, else utime+stime from /proc (clock ticks)."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
    except OSError:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_clock_kind():
    try:
        time.clock_gettime(((~os.getpid()) << 3) | 2)
        return "process CPU clocks (ns)"
    except OSError:
        return f"/proc utime+stime (1/{TICKS} s ticks: noisy below ~{1000 // TICKS} ms per measurement)"


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class BenchServer(harness.NatsServer):
    """harness.NatsServer, started with RLIMIT_NOFILE raised in the child."""

    def start(self, wait=True):
        conf = os.path.join(self.workdir, f"{self.name}.conf")
        with open(conf, "w") as f:
            f.write(self.config_text())
        self.log_path = os.path.join(self.workdir, f"{self.name}.log")
        self.proc = subprocess.Popen(["nats-server", "-c", conf, "-l", self.log_path], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=raise_nofile)
        if wait:
            self.wait_ready()
        return self

    def connections(self):
        return int(self.varz().get("connections", -1))


class Holder:
    """tests/bench/conn_holder: N connections, one subscription each, PINGs answered."""

    def __init__(self, port, n):
        self.n = n
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([CONN_HOLDER_BIN, str(port), str(n)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err, preexec_fn=raise_nofile)

    def wait_ready(self, timeout=180):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode().split() if ready else []
        if len(line) != 2 or line[0] != "ready" or int(line[1]) != self.n:
            raise RuntimeError(f"conn_holder: {line or 'no answer'}; {self.errors()}")

    def errors(self):
        self.err.seek(0)
        text = self.err.read().decode(errors="replace").strip().splitlines()
        return "; ".join(text[-5:])

    def stop(self):
        if self.proc.poll() is None:
            with_suppress(self.proc.stdin.close)
            harness.stop_pid(self.proc)


def with_suppress(fn):
    try:
        fn()
    except OSError:
        pass


class Config:
    """One column of the rotation: a process that is scraped and whose CPU and RSS are read."""

    def __init__(self, name):
        self.name = name
        self.proc = None
        self.samples = []  # dicts: cpu, srv, wall, body, full (True/False/None)
        self.full_reads = None  # last value of nats_exporter_connz_full_reads_total
        self.failures = {}  # what failed in measured scrapes (collector name or "raw request"): count

    @property
    def pid(self):
        return self.proc.pid


class ExporterConfig(Config):
    def __init__(self, name, cmd, port, gzip_ok, ours):
        super().__init__(name)
        self.cmd, self.port, self.gzip_ok, self.ours = cmd, port, gzip_ok, ours
        self.conn = None
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)

    def start(self):
        env = dict(os.environ)
        env.pop("NATS_EXPORTER_BIN", None)  # the exporter would warn about an unknown NATS_EXPORTER_* variable
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=raise_nofile)
        path = "/readyz" if self.ours else "/metrics"

        def ready():
            if self.proc.poll() is not None:
                with open(self.log.name, errors="replace") as f:
                    raise RuntimeError(f"{self.name} exited {self.proc.returncode}: {f.read()[-1500:]}")
            return harness.http_get(f"http://127.0.0.1:{self.port}{path}", timeout=5)[0] == 200
        harness.wait_until(ready, 60, interval=0.1, what=f"{self.name} on port {self.port}")

    def scrape(self):
        """(wall seconds, body bytes, full-read counter or None)."""
        headers = {"Accept-Encoding": "gzip"} if self.gzip_ok else {}
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                    self.conn.connect()
                t0 = time.perf_counter()
                self.conn.request("GET", "/metrics", headers=headers)
                res = self.conn.getresponse()
                body = res.read()
                wall = time.perf_counter() - t0
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if res.status != 200:
            raise RuntimeError(f"{self.name}: /metrics answered {res.status}: {body[:200]!r}")
        size = len(body)
        if res.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        for name in FAILED.findall(body):
            self.failures[name.decode()] = self.failures.get(name.decode(), 0) + 1
        found = FULL_READS.findall(body)
        return wall, size, (sum(float(v) for v in found) if found else None)

    def stop(self):
        if self.conn:
            self.conn.close()
        if self.proc:
            harness.stop_pid(self.proc)
        with_suppress(lambda: os.unlink(self.log.name))


class RawConfig(Config):
    def __init__(self, name, mode, http_port):
        super().__init__(name)
        self.cmd = [RAW_FETCH_BIN, str(http_port), "--serve", f"--mode={mode}"]

    def start(self):
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def scrape(self):
        t0 = time.perf_counter()
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        wall = time.perf_counter() - t0
        fields = dict(kv.split("=") for kv in line.split())
        if "bytes" not in fields:
            raise RuntimeError(f"{self.name}: raw_fetch answered {line!r}")
        if int(fields.get("errors", 0)):
            self.failures["raw request"] = self.failures.get("raw request", 0) + int(fields["errors"])
        return wall, int(fields["bytes"]), None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            with_suppress(self.proc.stdin.close)
            harness.stop_pid(self.proc)


# ------------------------------------------------------------------------------------------------
# One N

def supports_full_read_interval(binary):
    try:
        p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "connz.full-read-interval" in (p.stdout + p.stderr)


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def summarize(cfg, split_full):
    """Per-scrape figures of a configuration; with split_full, over the scrapes without a full read."""
    all_s = cfg.samples
    full = [s for s in all_s if s["full"]]
    use = [s for s in all_s if not s["full"]] if split_full else all_s
    use = use or all_s
    out = {
        "cpu": statistics.mean(s["cpu"] for s in use) * 1000,
        "srv": statistics.mean(s["srv"] for s in use) * 1000,
        "wall": statistics.median(s["wall"] for s in use) * 1000,
        "p99": percentile([s["wall"] for s in use], 99) * 1000,
        "rss": peak_rss_bytes(cfg.pid) / 2**20,
        "body": all_s[-1]["body"] / 1024,
        "n_full": len(full),
        "n": len(all_s),
    }
    if full and split_full:
        out["full_timed"] = {
            "cpu": statistics.mean(s["cpu"] for s in full) * 1000,
            "srv": statistics.mean(s["srv"] for s in full) * 1000,
            "wall": statistics.median(s["wall"] for s in full) * 1000,
        }
    return out


def after_scrape_idle(configs, server_pid, seconds):
    """CPU (ms) each configuration spends in the `seconds` after one more scrape of its own, its
    keep-alive connection left open as Prometheus leaves it; and the nats-server's CPU rate (ms/s)
    over the same idle time (its background, plus whatever the last scrapes left to do)."""
    marks = {}
    for c in configs:
        c.scrape()
        marks[c.name] = (time.perf_counter(), cpu_seconds(c.pid))
    s_t0, s_c0 = time.perf_counter(), cpu_seconds(server_pid)
    out = {}
    while True:
        time.sleep(0.05)
        now = time.perf_counter()
        for c in configs:
            t0, c0 = marks[c.name]
            if c.name not in out and now - t0 >= seconds:
                out[c.name] = (cpu_seconds(c.pid) - c0) * 1000
        if len(out) == len(configs) and now - s_t0 >= seconds:
            return out, (cpu_seconds(server_pid) - s_c0) / (now - s_t0) * 1000


def measure_n(args, n, has_cadence):
    """Every configuration at N connections; returns {config name: summary} plus notes."""
    notes = []
    with BenchServer(f"bench{n}") as server:
        holder = Holder(server.port, n) if n else None
        configs = []
        try:
            if holder:
                holder.wait_ready()
            seen = harness.wait_until(lambda: (lambda c: (c,) if c >= n else None)(server.connections()), 30,
                                      what=f"/varz connections >= {n}")[0]
            base = [harness.EXPORTER_BIN, f"--nats.url={server.monitor_url}", "--scrape.timeout=60s"]
            ours = [("default", []), ("no-doctor", ["--no-collector.doctor"])]
            if has_cadence:
                ours.append(("full-0s", ["--connz.full-read-interval=0s"]))
            for name, extra in ours:
                port = harness.free_port()
                configs.append(ExporterConfig(name, base + [f"--web.listen-address=127.0.0.1:{port}"] + extra, port,
                                              args.gzip, True))
            for mode in args.raw:
                configs.append(RawConfig(f"raw-{mode}", mode, server.http_port))
            if args.other:
                port = harness.free_port()
                cmd = shlex.split(args.other.format(monitor_url=server.monitor_url, port=port))
                configs.append(ExporterConfig(args.other_name, cmd, port, args.gzip, False))
            for c in configs:
                c.start()
            for c in configs:  # warm up: connections, caches, and the first full read
                _, _, c.full_reads = c.scrape()
                c.failures = {}
            pids = {"nats-server": server.proc.pid, **{c.name: c.pid for c in configs}}
            load0 = loadavg()
            t_loop = time.perf_counter()
            c0 = {k: cpu_seconds(p) for k, p in pids.items()}
            for _ in range(args.scrapes):
                for c in configs:
                    s0, e0 = cpu_seconds(server.proc.pid), cpu_seconds(c.pid)
                    wall, body, counter = c.scrape()
                    if args.gap:
                        time.sleep(args.gap)
                    s1, e1 = cpu_seconds(server.proc.pid), cpu_seconds(c.pid)
                    full = None
                    if counter is not None:
                        full = c.full_reads is not None and counter > c.full_reads
                        c.full_reads = counter
                    c.samples.append({"cpu": e1 - e0, "srv": s1 - s0, "wall": wall, "body": body, "full": full})
            loop = time.perf_counter() - t_loop
            totals = {k: cpu_seconds(p) - c0[k] for k, p in pids.items()}
            idle, server_idle = after_scrape_idle(configs, server.proc.pid, args.idle)
            after = server.connections()
            if after < n:
                notes.append(f"N={n}: only {after} connections left after the measurement ({holder.errors()})")
            result = {"idle": dict(idle, **{"nats-server": server_idle})}
            for c in configs:
                result[c.name] = summarize(c, has_cadence and isinstance(c, ExporterConfig) and c.ours and
                                           c.name != "full-0s")
            # CPU outside the scrape windows during the loop (background or asynchronous work).
            attributed = {c.name: sum(s["cpu"] for s in c.samples) for c in configs}
            attributed["nats-server"] = sum(s["srv"] for c in configs for s in c.samples)
            outside = {k: max(0.0, totals[k] - attributed[k]) / loop * 1000 for k in pids}
            notes.append(f"N={n}: /varz connections {seen} before, {after} after; load {load0} -> {loadavg()}; "
                         f"loop {loop:.1f} s")
            notes.append(f"N={n}: CPU outside the scrape windows during the loop (ms/s): " +
                         ", ".join(f"{k} {v:.2f}" for k, v in outside.items()))
            for c in configs:
                if c.failures:
                    notes.append(f"N={n}: {c.name}: FAILED in measured scrapes: " +
                                 ", ".join(f"{k} x{v}" for k, v in sorted(c.failures.items())))
            for name, s in result.items():
                if s.get("full_timed"):
                    t = s["full_timed"]
                    notes.append(f"N={n}: {name}: {s['n_full']} of {s['n']} measured scrapes did a full read "
                                 f"(excluded from its per-scrape figures): exporter {t['cpu']:.1f} ms, "
                                 f"server {t['srv']:.1f} ms, wall {t['wall']:.1f} ms each")
            if has_cadence:
                fr = result["full-0s"]
                if fr["n_full"] < fr["n"]:
                    notes.append(f"N={n}: full-0s did a full read in only {fr['n_full']} of {fr['n']} scrapes")
                d = result["default"]
                cost = {k: fr[k] - d[k] for k in ("cpu", "srv", "wall")}
                cost["rss"] = fr["rss"]
                share = min(1.0, args.interval / args.cadence)
                result["full read"] = cost
                result["amortized"] = {k: d[k] + share * cost[k] for k in ("cpu", "srv")}
            return result, notes
        finally:
            for c in configs:
                with_suppress(c.stop)
            if holder:
                holder.stop()


# ------------------------------------------------------------------------------------------------
# Tables

def num(x):
    if x is None:
        return "—"
    a = abs(x)
    return f"{x:.2f}" if a < 1 else f"{x:.1f}" if a < 100 else f"{x:.0f}"


def rng(values):
    lo, hi = num(min(values)), num(max(values))
    return lo if lo == hi else f"{lo}-{hi}"


def cell(kind, rows, fmt):
    """rows: one summary per run (one for a run table, several for the range table)."""
    def f(key):
        return fmt([r[key] for r in rows])
    if kind == "full read":
        return f"{f('cpu')} · {f('srv')} · {f('wall')} · {f('rss')} MiB"
    if kind == "amortized":
        return f"{f('cpu')} · {f('srv')}"
    text = f"{f('cpu')} · {f('srv')} · {f('wall')} / {f('p99')} · {f('rss')} MiB · {f('body')} KiB"
    n_apart = max((r["n_full"] if "full_timed" in r else 0) for r in rows)
    return text + (f" (+{n_apart} full reads apart)" if n_apart else "")


def table(title, results, columns, fmt):
    """results: {N: [summary dict per run]}."""
    lines = [f"### {title}", "",
             "| N | " + " | ".join(columns) + " |",
             "| --- |" + " --- |" * len(columns)]
    for n, runs in results.items():
        cells = []
        for col in columns:
            rows = [r[col] for r in runs if col in r]
            cells.append(cell(col, rows, fmt) if rows else "—")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def idle_table(title, results, columns, fmt):
    """The after-scrape idle CPU: {N: [result per run]}."""
    cols = [c for c in columns if c not in ("full read", "amortized")] + ["nats-server"]
    lines = [f"### {title}", "",
             "| N | " + " | ".join(cols[:-1]) + " | nats-server (ms/s) |",
             "| --- |" + " --- |" * len(cols)]
    for n, runs in results.items():
        cells = [fmt([r["idle"][c] for r in runs if c in r["idle"]]) or "—" for c in cols]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def legend(has_cadence, args):
    text = ("Cells: exporter CPU ms/scrape · nats-server CPU ms/scrape · wall median / p99 ms · peak RSS "
            "(VmHWM since start, MiB) · body (KiB; raw: bytes fetched). Raw columns: raw_fetch's own CPU and "
            "RSS.")
    if has_cadence:
        text += (f" default and no-doctor: scrapes between full reads (\"+k full reads apart\": k measured scrapes "
                 f"did one and are left out, see the notes). `full read`: its own cost (full-0s minus default): "
                 f"exporter CPU · server CPU · wall · full-0s peak RSS. `amortized`: default + full read x {args.interval:g}/{args.cadence:g} s: "
                 f"exporter CPU · server CPU per scrape.")
    else:
        text += " full read: every scrape (this binary has no --connz.full-read-interval)."
    text += (f" The idle tables: CPU each process spent in the {args.idle:g} s after one more scrape while its "
             f"keep-alive connection stayed open, as Prometheus keeps it between scrapes (work between scrapes, which "
             f"the per-scrape cells do not see); nats-server: its CPU rate over that idle time.")
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conns", default="0,1000,2000,5000,10000", help="comma-separated connection counts")
    ap.add_argument("--scrapes", type=int, default=30, help="measured scrapes per configuration and N")
    ap.add_argument("--runs", type=int, default=1, help="repeats; a final table gives min-max over runs")
    ap.add_argument("--raw", default="light,single", help="raw_fetch modes in the rotation (light,single,paged)")
    ap.add_argument("--other", help="a second exporter: command with {monitor_url} and {port}")
    ap.add_argument("--other-name", default="other")
    ap.add_argument("--gzip", action="store_true", help="ask for gzip like Prometheus does (body then compressed)")
    ap.add_argument("--gap", type=float, default=0.03, help="seconds after each answer still counted to it")
    ap.add_argument("--idle", type=float, default=15.0,
                    help="seconds after a scrape (keep-alive connection open) whose CPU is measured once per N")
    ap.add_argument("--interval", type=float, default=15.0, help="scrape interval for the amortized cost (s)")
    ap.add_argument("--cadence", type=float, default=120.0,
                    help="the exporter's default --connz.full-read-interval, for the amortized cost (s)")
    ap.add_argument("--full-read", choices=("auto", "yes", "no"), default="auto",
                    help="whether the binary has --connz.full-read-interval (auto: from --help)")
    args = ap.parse_args()
    args.raw = [m for m in args.raw.split(",") if m and m != "none"]
    conns = [int(x) for x in args.conns.split(",") if x.strip()]
    nofile = raise_nofile()
    if max(conns) + 500 > nofile:
        sys.exit(f"RLIMIT_NOFILE hard limit {nofile} is too low for {max(conns)} connections")
    has_cadence = (args.full_read == "yes" or
                   (args.full_read == "auto" and supports_full_read_interval(harness.EXPORTER_BIN)))
    version = subprocess.run(["nats-server", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# nats-exporter scrape benchmark\n\nbinary {harness.EXPORTER_BIN}; {version}; {os.cpu_count()} CPUs; "
          f"N = {', '.join(map(str, conns))}; {args.scrapes} scrapes per configuration, interleaved; "
          f"{args.runs} run(s); CPU from {cpu_clock_kind()}; gap {args.gap:g} s; gzip {'on' if args.gzip else 'off'}; load {loadavg()}; "
          + ("full read: on a cadence (--connz.full-read-interval)" if has_cadence else "full read: every scrape"),
          flush=True)
    columns = ["default", "no-doctor"] + (["full-0s"] if has_cadence else []) + [f"raw-{m}" for m in args.raw]
    if args.other:
        columns.append(args.other_name)
    if has_cadence:
        columns += ["full read", "amortized"]
    all_results = {n: [] for n in conns}
    all_notes = []
    for run in range(1, args.runs + 1):
        results = {}
        for n in conns:
            log(f"run {run}: N={n} ...")
            result, notes = measure_n(args, n, has_cadence)
            results[n] = [result]
            all_results[n].append(result)
            all_notes += [f"run {run}, {x}" for x in notes]
            for x in notes:
                log("  " + x)
        print("\n" + table(f"Run {run}", results, columns, lambda v: num(v[0])), flush=True)
        print("\n" + idle_table(f"Run {run}: CPU in the {args.idle:g} s after a scrape, keep-alive connection open (ms)",
                                results, columns, lambda v: num(v[0]) if v else ""), flush=True)
    print("\n" + legend(has_cadence, args))
    if args.runs > 1:
        print("\n" + table(f"Range over {args.runs} runs (min-max)", all_results, columns, rng))
        print("\n" + idle_table(f"Range over {args.runs} runs: CPU in the {args.idle:g} s after a scrape, keep-alive "
                                f"connection open (ms)", all_results, columns, lambda v: rng(v) if v else ""))
    print("\nNotes:\n" + "\n".join(f"- {x}" for x in all_notes))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
