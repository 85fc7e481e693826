#!/usr/bin/env python3
"""System-account source against sidecar mode: prints figures, asserts nothing (not a CTest test).

For each size in --sizes (1, 3 and 6 servers: one cluster of up to 3, then a second cluster joined
by gateways) it starts the servers with a system account, then two exporters over the same servers:
  sysacct   one exporter, system_account: (one NATS connection to the first server);
  sidecar   one exporter per server, each reading its own monitoring port (what a sidecar
            deployment runs), scraped one after the other.
With --conns 0,1000, each size also runs with 1000 raw client connections (one subscription each,
tests/bench/conn_holder, account APP through no_auth_user) held on the last server, which the
system account reaches over a route (or a gateway at 6 servers): its CONNZ pages cross the cluster.
Scrapes alternate (sysacct, sidecars, sysacct, …) so machine load hits both alike. Per round:
  exporter CPU   user+system seconds of the exporter process(es) over the scrape(s) (/proc/PID/stat);
  server CPU     the same on every nats-server: what the scrape costs the monitored servers;
  wall           sysacct: one GET /metrics; sidecar: the slowest of the N GETs (Prometheus scrapes
                 them in parallel), and their sum.

  cmake --build build --target nats-exporter conn_holder
  python3 tests/bench/bench_system_account.py [--sizes 1,3,6] [--conns 0,1000] [--rounds 20]
"""
import argparse
import os
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
ACCOUNTS = """
accounts {
  SYS: { users: [ {user: sys, password: sys} ] }
  APP: { jetstream: enabled, users: [ {user: app, password: app} ] }
}
system_account: SYS
no_auth_user: app
"""
CONN_HOLDER_BIN = os.environ.get("CONN_HOLDER_BIN",
                                 os.path.join(os.path.dirname(harness.EXPORTER_BIN), "tests", "conn_holder"))


def hold_connections(port, n):
    """conn_holder with n connections on port, once every one is established."""
    def more_files():
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (n + 100, max(n + 100, hard)))
    proc = subprocess.Popen([CONN_HOLDER_BIN, str(port), str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            preexec_fn=more_files)
    ready, _, _ = select.select([proc.stdout], [], [], 120)
    line = proc.stdout.readline().decode().split() if ready else []
    if line != ["ready", str(n)]:
        proc.kill()
        raise RuntimeError(f"conn_holder: {line or 'no answer'}")
    return proc


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def layout(size):
    """{cluster: [names]}: up to 3 servers in A, the rest in B."""
    a = [f"a{i}" for i in range(1, min(size, 3) + 1)]
    b = [f"b{i}" for i in range(1, size - len(a) + 1)]
    return {"A": a, "B": b} if b else {"A": a}


def start_servers(size, workdir):
    clusters = layout(size)
    ports = {n: (harness.free_port(), harness.free_port()) for c in clusters.values() for n in c}
    gateways = ", ".join(f"{{name: {c}, urls: [{', '.join(f'nats://127.0.0.1:{ports[n][1]}' for n in ns)}]}}"
                         for c, ns in clusters.items())
    servers = []
    for cluster, nodes in clusters.items():
        routes = ", ".join(f"nats-route://127.0.0.1:{ports[n][0]}" for n in nodes)
        for n in nodes:
            d = os.path.join(workdir, n)
            os.makedirs(d)
            conf = ACCOUNTS
            if size > 1:
                conf += f"cluster {{ name: {cluster}, host: 127.0.0.1, port: {ports[n][0]}, routes: [{routes}] }}\n"
            if len(clusters) > 1:
                conf += f"gateway {{ name: {cluster}, host: 127.0.0.1, port: {ports[n][1]}, gateways: [{gateways}] }}\n"
            servers.append(harness.NatsServer(n, extra_conf=conf, workdir=d))
    for s in servers:
        s.start(wait=False)
    for s in servers:
        s.wait_ready()
    return servers


def exporter(workdir, name, extra, targets):
    path = harness.write_exporter_config(os.path.join(workdir, f"{name}.yaml"), targets, scrape_timeout="10s",
                                         extra=extra)
    return harness.Exporter([f"--config.file={path}"]).start()


def measure(size, conns, rounds):
    workdir = tempfile.mkdtemp(prefix="bench-sysacct-")
    servers, exporters, holder = [], [], None
    try:
        servers = start_servers(size, workdir)
        if conns:
            holder = hold_connections(servers[-1].port, conns)
        sysacct = exporter(workdir, "sysacct", {"system_account": {
            "servers": [servers[0].url], "connection": {"user": "sys", "password": "sys"}}}, [])
        sidecars = [exporter(workdir, f"side-{s.name}", {}, [{"name": s.name, "url": s.monitor_url}])
                    for s in servers]
        exporters = [sysacct] + sidecars
        harness.wait_until(lambda: len([v for l, v in sysacct.scrape().series("nats_up") if v == 1]) == size, 30,
                           interval=0.5, what=f"{size} servers up through the system account")
        for e in sidecars:
            e.scrape()
        rows = {"sysacct": [], "sidecar": []}
        for _ in range(rounds):
            for kind in ("sysacct", "sidecar"):
                procs = [sysacct] if kind == "sysacct" else sidecars
                cpu0 = sum(cpu_seconds(e.proc.pid) for e in procs)
                srv0 = sum(cpu_seconds(s.proc.pid) for s in servers)
                walls = []
                for e in procs:
                    t0 = time.monotonic()
                    e.scrape()
                    walls.append(time.monotonic() - t0)
                time.sleep(0.2)  # let the servers finish what the scrape started
                rows[kind].append((sum(cpu_seconds(e.proc.pid) for e in procs) - cpu0,
                                   sum(cpu_seconds(s.proc.pid) for s in servers) - srv0,
                                   max(walls), sum(walls)))
        return rows
    finally:
        for e in exporters:
            e.__exit__(None, None, None)
        if holder:
            holder.stdin.close()
            harness.stop_pid(holder)
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,3,6")
    ap.add_argument("--conns", default="0", help="client connections held on the last server, e.g. 0,1000")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'servers':>7} {'conns':>5} {'mode':>8} {'exporter CPU ms':>16} {'server CPU ms':>14} "
          f"{'wall ms (max)':>14} {'wall ms (sum)':>14}")
    for conns in (int(x) for x in args.conns.split(",")):
        for size in (int(x) for x in args.sizes.split(",")):
            rows = measure(size, conns, args.rounds)
            for kind, values in rows.items():
                mean = [statistics.mean(v[i] for v in values) * 1000 for i in range(2)]
                med = [statistics.median(v[i] for v in values) * 1000 for i in (2, 3)]
                print(f"{size:>7} {conns:>5} {kind:>8} {mean[0]:>16.1f} {mean[1]:>14.1f} {med[0]:>14.1f} "
                      f"{med[1]:>14.1f}", flush=True)
    print(f"(means over {args.rounds} rounds for CPU, medians for wall; CPU clock resolution {1000 / TICKS:.0f} ms; "
          f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
