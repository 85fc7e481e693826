"""Real peers for the integration, end-to-end and benchmark scripts: nats-server, nats-exporter,
Prometheus, raw NATS clients and an exposition parser. Standard library only.

Every process is started on 127.0.0.1 with free ports and stopped by its PID.
"""
import contextlib
import gzip
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("NATSEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPORTER_BIN = os.environ.get("NATS_EXPORTER_BIN", os.path.join(SOURCE_DIR, "build", "nats-exporter"))
FIXTURES_DIR = os.environ.get("NATSEXP_FIXTURES_DIR",
                              os.path.join(SOURCE_DIR, "tests", "fixtures", "nats-server-2.9.10"))


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_handed_out = set()
_random = random.SystemRandom()


def free_port():
    """A port that nothing listens on, chosen below the kernel's ephemeral range. A port from bind(0)
    comes from that range, so between this call and the peer's own bind an outgoing connection (a
    route, a client of a parallel test holding 1500 connections) can take it, and the peer then
    fails to listen. Below the range only another test's choice can collide: random, so unlikely."""
    low = _ephemeral_low()
    if low - 10000 >= 2000:
        for _ in range(200):
            port = _random.randrange(10000, low)
            if port in _handed_out:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_listening(port):
    """Whether a socket listens on TCP `port`, read from /proc/net/tcp{,6} rather than by connecting:
    a test connection to nats-server's client port would count as one of its connections."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    return True
    return False


def http_get(url, headers=None, timeout=30.0):
    """GET url; returns (status, headers dict, body bytes). Never raises on HTTP errors."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_until(predicate, timeout=15.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_report(output):
    """The part of a process's output from its first sanitizer report on, or None."""
    for marker in SANITIZER_MARKERS:
        if marker in output:
            at = output.index(marker)
            return output[max(0, at - 200):at + 3000]
    return None


def stop_pid(proc, timeout=10.0):
    """SIGTERM, then SIGKILL, by PID. Returns the exit code."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


class NatsServer:
    """A real nats-server. `extra_conf` is appended to a config with host, port, http and store_dir."""

    def __init__(self, name="n1", jetstream=True, extra_conf="", port=None, http_port=None, workdir=None):
        self.name = name
        self.port = port or free_port()
        self.http_port = http_port or free_port()
        self.jetstream = jetstream
        self.extra_conf = extra_conf
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"nats-{name}-")
        self.proc = None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def config_text(self):
        js = ""
        if self.jetstream:
            js = ("jetstream {\n  store_dir: \"%s\"\n  max_memory_store: 64MB\n  max_file_store: 256MB\n}\n"
                  % os.path.join(self.workdir, "js"))
        return (f"server_name: {self.name}\nhost: 127.0.0.1\nport: {self.port}\n"
                f"http: 127.0.0.1:{self.http_port}\n{js}{self.extra_conf}\n")

    def start(self, wait=True):
        conf = os.path.join(self.workdir, f"{self.name}.conf")
        with open(conf, "w") as f:
            f.write(self.config_text())
        self.log_path = os.path.join(self.workdir, f"{self.name}.log")
        self.proc = subprocess.Popen(["nats-server", "-c", conf, "-l", self.log_path],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20.0):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"nats-server {self.name} exited: {self.log_tail()}")
            status, _, _ = http_get(self.monitor_url + "/varz", timeout=2)
            return status == 200
        wait_until(ready, timeout, what=f"nats-server {self.name} monitoring port")

        # /varz answers before the client port listens (JetStream, routes, gateways and leaf nodes
        # start in between, and a port one of them cannot bind ends the server).
        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"nats-server {self.name} exited: {self.log_tail()}")
            return port_listening(self.port)
        wait_until(listening, timeout, what=f"nats-server {self.name} client port")

    def log_tail(self, n=20):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc:
            stop_pid(self.proc)
            self.proc = None

    def varz(self):
        return json.loads(http_get(self.monitor_url + "/varz")[2])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)


class Exporter:
    """nats-exporter started with `args` on a free port; stopped by PID."""

    def __init__(self, args, env=None, port=None):
        self.port = port or free_port()
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        # CTest passes the binary's path in a NATS_EXPORTER_* variable; the exporter would warn about it.
        self.env.pop("NATS_EXPORTER_BIN", None)
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix="nats-exporter-", suffix=".log", delete=False)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait=True):
        cmd = [EXPORTER_BIN, f"--web.listen-address=127.0.0.1:{self.port}"] + self.args
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait:
            def ready():
                if self.proc.poll() is not None:
                    raise AssertionError(f"exporter exited {self.proc.returncode}: {self.output()}")
                return http_get(self.base + "/readyz", timeout=2)[0] == 200
            wait_until(ready, 20, what="exporter /readyz")
        return self

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def scrape(self, headers=None, timeout=60.0):
        status, hdrs, body = http_get(self.base + "/metrics", headers=headers, timeout=timeout)
        if hdrs.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert status == 200, f"/metrics answered {status}: {body[:300]!r}"
        return Exposition(body.decode())

    def stop(self):
        """Stops the exporter by PID and returns its exit code. A sanitizer build's report in its
        output (a leak found at exit, or a report it survived) fails the test that stops it."""
        code = None
        if self.proc:
            code = stop_pid(self.proc)
            self.proc = None
            report = sanitizer_report(self.output())
            if report:
                raise AssertionError(f"exporter's sanitizer report: {report}")
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.log.name)


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Exposition:
    """A parsed text exposition: types, help, and samples as (name, labels dict, value)."""

    def __init__(self, text):
        self.text = text
        self.types = {}
        self.help = {}
        self.samples = []
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.types[name] = kind
            elif line.startswith("# HELP "):
                parts = line.split(" ", 3)
                self.help[parts[2]] = parts[3] if len(parts) > 3 else ""
            elif line and not line.startswith("#"):
                m = _SAMPLE.match(line)
                assert m, f"unparsable exposition line: {line!r}"
                labels = dict(_LABEL.findall(m.group(3) or ""))
                self.samples.append((m.group(1), labels, float(m.group(4))))

    def series(self, name, **labels):
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == str(want) for k, want in labels.items())]

    def value(self, name, **labels):
        found = self.series(name, **labels)
        assert len(found) == 1, f"expected one {name}{labels}, found {len(found)}: {found[:5]}"
        return found[0][1]

    def has(self, name, **labels):
        return bool(self.series(name, **labels))

    def names(self):
        return {n for n, _, _ in self.samples}


class RawNatsClient:
    """The tests' one bare TCP NATS client: CONNECT, SUB, PUB, PING, over plain TCP or TLS. Enough for
    connection counts, traffic, request/reply (raw_request) and clients that misbehave on purpose:

    - recv_buffer: a small SO_RCVBUF, for a client that subscribes and then never reads;
    - tls: an ssl.SSLContext; the handshake follows the server's INFO, as NATS clients do it;
    - ping=False: CONNECT without the PING/PONG round, so the next line is the server's own PING
      (answer it with pong_late)."""

    def __init__(self, port, name="raw", user=None, password=None, verbose=False, recv_buffer=None, tls=None,
                 ping=True):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if recv_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, recv_buffer)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        self.sock = sock
        self.buf = b""
        info = self._read_line()
        assert info.startswith(b"INFO "), info
        if tls:
            self.sock = tls.wrap_socket(sock, server_hostname="127.0.0.1")
        connect = {"verbose": verbose, "pedantic": False, "name": name, "lang": "python-raw", "version": "0.1",
                   "protocol": 1, "headers": True, "no_responders": True}
        if tls:
            connect["tls_required"] = True
        if user:
            connect.update({"user": user, "pass": password})
        self.send(f"CONNECT {json.dumps(connect)}\r\n" + ("PING\r\n" if ping else ""))
        if ping:
            self.expect_pong()

    def pong_late(self, delay):
        """Waits for the server's next PING (its first comes about 2 s after the connection) and
        answers it `delay` seconds late: the server measures that as this client's RTT."""
        line = self._read_line()
        assert line == b"PING", line
        time.sleep(delay)
        self.send("PONG\r\n")
        self.flush()

    def _read_line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def expect_pong(self):
        while True:
            line = self._read_line()
            if line == b"PONG":
                return
            if line.startswith(b"-ERR"):
                raise ConnectionError(line.decode())
            if line == b"PING":
                self.send("PONG\r\n")

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def sub(self, subject, sid, queue=""):
        self.send(f"SUB {subject} {queue + ' ' if queue else ''}{sid}\r\n")

    def pub(self, subject, payload=b""):
        self.send(f"PUB {subject} {len(payload)}\r\n".encode() + payload + b"\r\n")

    def flush(self):
        self.send("PING\r\n")
        self.expect_pong()

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def thread_count(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def promtool_check_metrics(text):
    """Runs `promtool check metrics` on text; returns (exit code, output)."""
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).decode()


def raise_fd_limit(n=20000):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(n, hard) if hard != resource.RLIM_INFINITY else n
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------------------------------------
# Integration helpers (appended): reading messages and request/reply over a RawNatsClient, the
# JetStream API, exporter config files and timed scrapes.

import itertools as _itertools

_request_seq = _itertools.count(1)


def raw_read_exact(client, n):
    while len(client.buf) < n:
        chunk = client.sock.recv(max(65536, n - len(client.buf)))
        if not chunk:
            raise ConnectionError("connection closed")
        client.buf += chunk
    data, client.buf = client.buf[:n], client.buf[n:]
    return data


def raw_next_msg(client, timeout=10.0):
    """The next MSG or HMSG delivered to `client`: dict(subject, sid, reply, headers, data).
    Answers the server's PINGs, skips PONG/+OK/INFO; raises on -ERR, a closed socket or a timeout
    (socket.timeout when nothing arrives for `timeout` seconds)."""
    old = client.sock.gettimeout()
    client.sock.settimeout(timeout)
    try:
        while True:
            line = client._read_line()
            if line == b"PING":
                client.send("PONG\r\n")
                continue
            if line in (b"PONG", b"+OK") or line.startswith(b"INFO "):
                continue
            if line.startswith(b"-ERR"):
                raise ConnectionError(line.decode(errors="replace"))
            parts = line.decode().split()
            if parts and parts[0] == "MSG" and len(parts) in (4, 5):
                hlen, total = 0, int(parts[-1])
                reply = parts[3] if len(parts) == 5 else ""
            elif parts and parts[0] == "HMSG" and len(parts) in (5, 6):
                hlen, total = int(parts[-2]), int(parts[-1])
                reply = parts[3] if len(parts) == 6 else ""
            else:
                raise ConnectionError(f"unexpected protocol line {line!r}")
            body = raw_read_exact(client, total + 2)[:total]
            return {"subject": parts[1], "sid": parts[2], "reply": reply,
                    "headers": body[:hlen], "data": body[hlen:]}
    finally:
        client.sock.settimeout(old)


def raw_pub_reply(client, subject, reply, payload=b""):
    """PUB with a reply subject."""
    if isinstance(payload, str):
        payload = payload.encode()
    client.send(f"PUB {subject} {reply} {len(payload)}\r\n".encode() + payload + b"\r\n")


def raw_inbox():
    """A fresh (inbox subject, sid) pair."""
    n = next(_request_seq)
    return f"_INBOX.natsexp{os.getpid()}.{n}", f"in{n}"


def raw_request(client, subject, payload=b"", timeout=10.0):
    """Request/reply over a raw client: the first reply message (dict as raw_next_msg). Messages for
    other subscriptions that arrive meanwhile are dropped."""
    inbox, sid = raw_inbox()
    client.sub(inbox, sid)
    client.send(f"UNSUB {sid} 1\r\n")
    raw_pub_reply(client, subject, inbox, payload)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no reply to {subject} within {timeout}s")
        m = raw_next_msg(client, left)
        if m["sid"] == sid:
            return m


def js_api(client, subject, body=None, timeout=10.0):
    """A JetStream API call ($JS.API.…) with a JSON body; returns the parsed JSON response (which
    carries an "error" object when the server refused)."""
    payload = b"" if body is None else json.dumps(body).encode()
    return json.loads(raw_request(client, subject, payload, timeout)["data"])


def js_api_ok(client, subject, body=None, timeout=30.0):
    """js_api, retried until the response has no "error" (JetStream may still be electing a leader);
    returns the response."""
    return wait_until(lambda: (lambda r: r if "error" not in r else None)(js_api(client, subject, body, 5.0)),
                      timeout, interval=0.25, what=f"{subject} to succeed")


class Responder:
    """Answers requests on `subject` with their own payload after `delay` seconds, on its own thread and
    connection (a service for probes and service latency tracking to measure)."""

    def __init__(self, port, subject, delay=0.0, name="responder", user=None, password=None):
        self.client = RawNatsClient(port, name=name, user=user, password=password)
        self.client.sub(subject, "1")
        self.client.flush()
        self.delay = delay
        self.answered = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                msg = raw_next_msg(self.client, timeout=0.5)
            except Exception:  # noqa: BLE001 - a timeout, or the socket closed by stop()
                continue
            if self.delay:
                time.sleep(self.delay)
            if msg["reply"]:
                try:
                    self.client.pub(msg["reply"], msg["data"])
                    self.answered += 1
                except OSError:
                    return

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.client.close()


class PeersTestCase(unittest.TestCase):
    """A test case whose setUpClass starts real peers (nats-servers, exporters, raw clients, temporary
    folders) through these helpers. Each is stopped by a class cleanup, in reverse order, also when
    setUpClass fails half-way, so no test class needs its own tearDownClass for them."""

    @classmethod
    def start_server(cls, *args, **kwargs):
        server = NatsServer(*args, **kwargs)
        cls.addClassCleanup(server.__exit__, None, None, None)
        return server.start()

    @classmethod
    def start_exporter(cls, args, env=None, port=None):
        exporter = Exporter(args, env=env, port=port)
        cls.addClassCleanup(exporter.__exit__, None, None, None)
        return exporter.start()

    @classmethod
    def raw_client(cls, port, **kwargs):
        client = RawNatsClient(port, **kwargs)
        cls.addClassCleanup(client.close)
        return client

    @classmethod
    def responder(cls, port, subject, **kwargs):
        r = Responder(port, subject, **kwargs)
        cls.addClassCleanup(r.stop)
        return r

    @classmethod
    def temp_dir(cls, prefix="natsexp-test-"):
        path = tempfile.mkdtemp(prefix=prefix)
        cls.addClassCleanup(shutil.rmtree, path, True)
        return path


def write_exporter_config(path, targets, scrape_timeout=None, collectors=None, extra=None):
    """Writes an exporter config file. `targets` is a list of dicts such as
    {"name": "n1", "url": "http://127.0.0.1:8222"}. JSON is YAML, so the file is written as JSON."""
    doc = {"targets": targets}
    if scrape_timeout is not None:
        doc["scrape"] = {"timeout": scrape_timeout}
    if collectors is not None:
        doc["collectors"] = list(collectors)
    if extra:
        doc.update(extra)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    return path


def timed_scrape(exporter, headers=None, timeout=60.0):
    """(seconds the GET /metrics took, Exposition)."""
    t0 = time.monotonic()
    expo = exporter.scrape(headers=headers, timeout=timeout)
    return time.monotonic() - t0, expo


# ---------------------------------------------------------------------------------------------
# A real Prometheus (appended for the end-to-end tests in tests/e2e/).

class Prometheus:
    """Debian's `prometheus` on 127.0.0.1 and a free port, with its own TSDB directory; stopped by PID.
    `config` is a dict written as the config file (JSON is YAML)."""

    def __init__(self, config, port=None, workdir=None):
        self.port = port or free_port()
        self.config = config
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="prometheus-")
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30.0):
        conf = os.path.join(self.workdir, "prometheus.yml")
        with open(conf, "w") as f:
            json.dump(self.config, f, indent=2)
        self.log_path = os.path.join(self.workdir, "prometheus.log")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{self.port}",
             f"--storage.tsdb.path={os.path.join(self.workdir, 'data')}"],
            stdout=self._log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited {self.proc.returncode}: {self.output()[-2000:]}")
            return http_get(self.base + "/-/ready", timeout=2)[0] == 200
        wait_until(ready, timeout, interval=0.1, what="prometheus /-/ready")
        return self

    def api(self, path, params=None, timeout=30.0):
        """GET /api/v1/<path>?params; returns (HTTP status, parsed JSON body)."""
        import urllib.parse
        query = ("?" + urllib.parse.urlencode(params, doseq=True)) if params else ""
        status, _, body = http_get(f"{self.base}/api/v1/{path}{query}", timeout=timeout)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {"status": "error", "error": body[:300].decode(errors="replace")}

    def query(self, expr, **params):
        """An instant query; returns (HTTP status, parsed JSON)."""
        return self.api("query", dict(params, query=expr))

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def stop(self):
        code = None
        if self.proc:
            code = stop_pid(self.proc)
            self.proc = None
            self._log.close()
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
