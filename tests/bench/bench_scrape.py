#!/usr/bin/env python3
"""Scrape benchmark: prints figures, asserts nothing.

Starts a real nats-server and nats-exporter (every collector on) and measures, for an idle server
and for one with 2000 client connections holding one subscription each:
  - scrape latency (median, p99) of GET /metrics,
  - exporter CPU time per scrape (utime+stime from /proc),
  - exporter peak RSS (VmHWM) and the response body size,
  - the time a plain HTTP client (tests/bench/raw_fetch.cpp: same library, same parallelism, no
    parsing) needs to fetch the same endpoints, in the same run, so the exporter's own overhead
    shows as a ratio.

  cmake --build build --target nats-exporter raw_fetch
  NATS_EXPORTER_BIN=build/nats-exporter python3 tests/bench/bench_scrape.py [--scrapes 50]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
RAW_FETCH_BIN = os.environ.get("RAW_FETCH_BIN",
                               os.path.join(os.path.dirname(harness.EXPORTER_BIN), "tests", "raw_fetch"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def raw_fetch(port, iterations):
    """The same endpoints fetched by tests/bench/raw_fetch.cpp (same HTTP library and parallelism,
    no parsing): returns (median, p99) in seconds."""
    out = subprocess.run([RAW_FETCH_BIN, str(port), str(iterations)], capture_output=True, text=True,
                         check=True, timeout=600).stdout
    fields = dict(kv.split("=") for kv in out.split()[1:])
    return float(fields["median_ms"]) / 1000, float(fields["p99_ms"]) / 1000


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def measure(label, server, exporter, scrapes):
    exporter.scrape()  # warm up
    latencies = []
    cpu0 = cpu_seconds(exporter.proc.pid)
    size = 0
    for _ in range(scrapes):
        t0 = time.perf_counter()
        status, _, body = harness.http_get(exporter.base + "/metrics", timeout=60)
        latencies.append(time.perf_counter() - t0)
        size = len(body)
        assert status == 200
    cpu = (cpu_seconds(exporter.proc.pid) - cpu0) / scrapes
    raw_med, raw_p99 = raw_fetch(server.http_port, scrapes)
    med = statistics.median(latencies)
    print(f"{label:<28} scrape median {med * 1000:8.2f} ms  p99 {percentile(latencies, 99) * 1000:8.2f} ms  "
          f"cpu/scrape {cpu * 1000:7.2f} ms  peak RSS {peak_rss_bytes(exporter.proc.pid) / 2**20:6.1f} MiB  "
          f"body {size / 1024:8.1f} KiB")
    print(f"{'':<28} raw fetch median {raw_med * 1000:5.2f} ms  p99 {raw_p99 * 1000:8.2f} ms  "
          f"exporter/raw ratio {med / raw_med:5.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scrapes", type=int, default=50)
    ap.add_argument("--connections", type=int, default=2000)
    args = ap.parse_args()
    harness.raise_fd_limit(args.connections + 1000)
    print(f"nats-exporter scrape benchmark: {args.scrapes} scrapes per case, binary {harness.EXPORTER_BIN}")
    with harness.NatsServer("bench") as server:
        with harness.Exporter([f"--nats.url={server.monitor_url}", "--scrape.timeout=30s"]) as exporter:
            measure("idle server", server, exporter, args.scrapes)
            clients = []
            try:
                for i in range(args.connections):
                    c = harness.RawNatsClient(server.port, name=f"bench-{i}")
                    c.sub(f"bench.{i}", 1)
                    clients.append(c)
                for c in clients:
                    c.flush()
                measure(f"{args.connections} conns, 1 sub each", server, exporter, args.scrapes)
            finally:
                for c in clients:
                    c.close()


if __name__ == "__main__":
    main()
