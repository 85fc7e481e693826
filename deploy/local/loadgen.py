#!/usr/bin/env python3
"""The demo's load generator: traffic, and two real latency pitfalls for the exporter to find.

Python standard library only; it speaks the NATS text protocol over plain sockets, one connection
per role, each on its own thread:

- sets up JetStream: stream ORDERS (orders.>, file, limits, discard old) with a durable pull
  consumer `processor`, and stream PROBE (probe.js.>, memory, 1000 messages) for the exporter's
  jetstream-publish probe;
- `orders-api` publishes RATE orders/s into ORDERS (default 100) and a billing event for every
  tenth order on billing.charge;
- pitfall 1, missing queue group: two connections named `billing-worker` subscribe billing.charge
  without a queue group, so both instances process every charge (the doctor's missing-queue-group);
- pitfall 2, a consumer falling behind: `order-processor` fetches and acks only BATCH messages a
  second (default 20) from ORDERS/processor, so its backlog grows by about 80 messages a second
  (the doctor's consumer-backlog-growing; the NatsConsumerBacklogGrowing alert goes pending once it
  passes 1000).

    python3 deploy/local/loadgen.py --port 4222 [--rate 100] [--batch 20] [--seconds N]

It runs until SIGTERM/SIGINT (or --seconds), then closes its connections.
"""
import argparse
import json
import signal
import socket
import sys
import threading
import time

stop = threading.Event()


class Conn:
    """One NATS client connection: CONNECT, SUB, PUB, request/reply and a message reader."""

    def __init__(self, port, name):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.lock = threading.Lock()
        self.inbox_seq = 0
        line = self.line()
        if not line.startswith(b"INFO "):
            raise ConnectionError(f"not a NATS server: {line[:80]!r}")
        connect = {"verbose": False, "pedantic": False, "name": name, "lang": "python-demo", "version": "1.0",
                   "protocol": 1, "headers": True, "no_responders": True}
        self.send(f"CONNECT {json.dumps(connect)}\r\nPING\r\n")
        while True:
            line = self.line()
            if line == b"PONG":
                break
            if line.startswith(b"-ERR"):
                raise ConnectionError(line.decode(errors="replace"))

    def send(self, data):
        with self.lock:
            self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def pub(self, subject, payload=b"", reply=""):
        if isinstance(payload, str):
            payload = payload.encode()
        head = f"PUB {subject} {reply + ' ' if reply else ''}{len(payload)}\r\n".encode()
        self.send(head + payload + b"\r\n")

    def sub(self, subject, sid, queue=""):
        self.send(f"SUB {subject} {queue + ' ' if queue else ''}{sid}\r\n")

    def next_msg(self, timeout):
        """The next MSG/HMSG as (subject, sid, reply, headers, data), or None after `timeout` s."""
        self.sock.settimeout(timeout)
        try:
            while True:
                line = self.line()
                if line == b"PING":
                    self.send("PONG\r\n")
                    continue
                if line.startswith(b"-ERR"):
                    raise ConnectionError(line.decode(errors="replace"))
                parts = line.decode().split()
                if not parts or parts[0] not in ("MSG", "HMSG"):
                    continue  # PONG, +OK, INFO
                if parts[0] == "MSG":
                    hlen, total = 0, int(parts[-1])
                    reply = parts[3] if len(parts) == 5 else ""
                else:
                    hlen, total = int(parts[-2]), int(parts[-1])
                    reply = parts[3] if len(parts) == 6 else ""
                body = self.exact(total + 2)[:total]
                return parts[1], parts[2], reply, body[:hlen], body[hlen:]
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(10)

    def answer_pings(self):
        """Reads what has arrived without blocking and answers the server's PINGs (a connection
        that only publishes must still do that, or the server closes it as stale)."""
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed by the server")
                self.buf += chunk
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            self.sock.settimeout(10)
        while b"\r\n" in self.buf:
            line = self.line()
            if line == b"PING":
                self.send("PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise ConnectionError(line.decode(errors="replace"))

    def inbox(self):
        self.inbox_seq += 1
        return f"_INBOX.demo.{id(self)}.{self.inbox_seq}", f"i{self.inbox_seq}"

    def request(self, subject, body, timeout=5.0):
        inbox, sid = self.inbox()
        self.sub(inbox, sid)
        self.send(f"UNSUB {sid} 1\r\n")
        self.pub(subject, json.dumps(body) if body is not None else b"", inbox)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.next_msg(deadline - time.monotonic())
            if m and m[1] == sid:
                return json.loads(m[4] or b"{}")
        raise TimeoutError(f"no reply to {subject}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def js(conn, subject, body=None, tries=40):
    """A JetStream API call, retried while JetStream is still starting; "already in use" is fine."""
    last = None
    for _ in range(tries):
        try:
            r = conn.request(subject, body)
        except TimeoutError as e:
            last = str(e)
        else:
            err = r.get("error")
            if not err or err.get("err_code") in (10058, 10148):  # stream / consumer name already in use
                return r
            last = err
        time.sleep(0.25)
    raise RuntimeError(f"{subject}: {last}")


def setup(port):
    c = Conn(port, "demo-setup")
    js(c, "$JS.API.STREAM.CREATE.ORDERS", {"name": "ORDERS", "subjects": ["orders.>"], "storage": "file",
                                           "max_msgs": 1_000_000, "max_bytes": 128 * 1024 * 1024,
                                           "discard": "old"})
    js(c, "$JS.API.STREAM.CREATE.PROBE", {"name": "PROBE", "subjects": ["probe.js.>"], "storage": "memory",
                                          "max_msgs": 1000, "discard": "old"})
    js(c, "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.processor",
       {"stream_name": "ORDERS", "config": {"durable_name": "processor", "ack_policy": "explicit",
                                            "deliver_policy": "all", "max_ack_pending": 1000,
                                            "ack_wait": 30 * 10**9}})
    c.close()


def publisher(port, rate):
    c = Conn(port, "orders-api")
    n = 0
    next_at = time.monotonic()
    while not stop.is_set():
        n += 1
        c.pub("orders.new", json.dumps({"order": n, "item": "demo", "qty": 1 + n % 5}))
        if n % 10 == 0:
            c.pub("billing.charge", json.dumps({"order": n, "amount": 10 + n % 90}))
        next_at += 1.0 / rate
        if next_at - time.monotonic() > 0:
            stop.wait(next_at - time.monotonic())
        else:
            next_at = time.monotonic()
        c.answer_pings()
    c.close()


def billing_worker(port, instance):
    """An instance of a service that subscribes without a queue group: every instance gets every
    message."""
    c = Conn(port, "billing-worker")
    c.sub("billing.charge", "1")  # should be: c.sub("billing.charge", "1", queue="billing-worker")
    handled = 0
    while not stop.is_set():
        if c.next_msg(0.5):
            handled += 1
    c.close()


def order_processor(port, batch):
    """A pull consumer that handles `batch` messages a second: fewer than arrive. Between fetches it
    keeps reading its socket, so it answers the server's PINGs at once (a client that sleeps
    instead shows up in the doctor's high-client-rtt)."""
    c = Conn(port, "order-processor")
    inbox, sid = c.inbox()
    c.sub(inbox, sid)
    while not stop.is_set():
        started = time.monotonic()
        c.pub("$JS.API.CONSUMER.MSG.NEXT.ORDERS.processor", json.dumps({"batch": batch, "expires": 500_000_000}),
              inbox)
        while not stop.is_set():
            left = 1.0 - (time.monotonic() - started)
            if left <= 0:
                break
            m = c.next_msg(left)
            if m and m[1] == sid and m[2]:  # a message of the batch (not a 404/408 status): handle, ack
                c.pub(m[2], b"+ACK")
    c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=4222, help="nats-server client port on 127.0.0.1")
    ap.add_argument("--rate", type=float, default=100, help="orders published per second")
    ap.add_argument("--batch", type=int, default=20, help="orders the slow processor handles per second")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until SIGTERM)")
    args = ap.parse_args()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    setup(args.port)
    roles = [threading.Thread(target=publisher, args=(args.port, args.rate), daemon=True),
             threading.Thread(target=billing_worker, args=(args.port, 1), daemon=True),
             threading.Thread(target=billing_worker, args=(args.port, 2), daemon=True),
             threading.Thread(target=order_processor, args=(args.port, args.batch), daemon=True)]
    for i, t in enumerate(roles):
        t.name = ["orders-api", "billing-worker-1", "billing-worker-2", "order-processor"][i]
        t.start()
    print(f"loadgen: {args.rate:.0f} orders/s into ORDERS, processor handles {args.batch}/s; "
          f"2 billing-worker instances on billing.charge without a queue group", flush=True)
    deadline = time.monotonic() + args.seconds if args.seconds > 0 else None
    failed = False
    while not stop.is_set():
        if deadline and time.monotonic() >= deadline:
            stop.set()
        for t in roles:
            if not t.is_alive() and not stop.is_set():
                print(f"loadgen: a role stopped: {t.name}", file=sys.stderr, flush=True)
                failed = True
                stop.set()
        stop.wait(0.5)
    for t in roles:
        t.join(timeout=3)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
