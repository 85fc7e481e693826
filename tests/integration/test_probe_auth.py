"""Probe authentication against servers that require it: a token (from an environment variable), a
user and password (from a file), an nkey seed (from a file) and a creds file (user JWT + seed,
operator mode with a memory resolver; the JWTs are signed here with the openssl command line, since
nsc is not available). Each connects and measures. A wrong secret is reported (log line, connected
0, failed requests) without the secret appearing in the log or in /metrics.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from probe_helpers import assert_clean_exit, probe_exporter, value, wait_metric  # noqa: E402

TOKEN = "tok-9f8e7d6c5b4a"
WRONG_TOKEN = "wrong-tok-0a1b2c3d"
PASSWORD = "pw-Zq81-secret"
WRONG_PASSWORD = "pw-nope-77xx"
# A published test key pair (NATS documentation).
SEED = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"
PUBLIC = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"


def ok_requests(e, probe):
    return value(e, "nats_probe_requests_total", 0, probe=probe, result="ok")


# --- nkeys and JWTs with the standard library and the openssl command line -----------------------

def _crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _b32(data):
    return base64.b32encode(data).decode().rstrip("=")


def _b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class NKey:
    """An Ed25519 key pair in nkeys encoding; `prefix` is the public key's first letter (O, A, U)."""
    PREFIXES = {"O": 14 << 3, "A": 0, "U": 20 << 3}

    def __init__(self, prefix, workdir):
        self.raw = os.urandom(32)
        self.pem = os.path.join(workdir, f"{prefix}-{os.getpid()}-{id(self)}.pem")
        der = bytes.fromhex("302e020100300506032b657004220420") + self.raw
        with open(self.pem, "wb") as f:
            f.write(b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der) + b"-----END PRIVATE KEY-----\n")
        pub_der = subprocess.run(["openssl", "pkey", "-in", self.pem, "-pubout", "-outform", "DER"],
                                 capture_output=True, check=True).stdout
        p = self.PREFIXES[prefix]
        body = bytes([p]) + pub_der[-32:]
        c = _crc16(body)
        self.public = _b32(body + bytes([c & 0xFF, c >> 8]))
        seed_body = bytes([(18 << 3) | (p >> 5), (p & 31) << 3]) + self.raw
        c = _crc16(seed_body)
        self.seed = _b32(seed_body + bytes([c & 0xFF, c >> 8]))

    def sign(self, data):
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            return subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", self.pem, "-rawin", "-in", f.name],
                                  capture_output=True, check=True).stdout


def jwt(issuer, subject, nats_claims, name):
    header = {"typ": "JWT", "alg": "ed25519-nkey"}
    claims = {"jti": _b32(os.urandom(32))[:52], "iat": int(time.time()), "iss": issuer.public, "name": name,
              "sub": subject, "nats": dict(nats_claims, version=2)}
    signing_input = (_b64url(json.dumps(header).encode()) + "." +
                     _b64url(json.dumps(claims, separators=(",", ":")).encode())).encode()
    return signing_input.decode() + "." + _b64url(issuer.sign(signing_input))


def creds_setup(workdir):
    """(server config text, creds file text) for operator mode with one account and one user."""
    op, acc, user = NKey("O", workdir), NKey("A", workdir), NKey("U", workdir)
    op_jwt = jwt(op, op.public, {"type": "operator"}, "probe-op")
    acc_jwt = jwt(op, acc.public, {"type": "account", "limits": {"subs": -1, "conn": -1, "leaf": -1, "imports": -1,
                                                                  "exports": -1, "data": -1, "payload": -1,
                                                                  "wildcards": True}}, "probe-acc")
    user_jwt = jwt(acc, user.public, {"type": "user", "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1},
                   "probe-user")
    conf = (f"operator: {op_jwt}\nresolver: MEMORY\nresolver_preload: {{\n  {acc.public}: {acc_jwt}\n}}\n")
    creds = ("-----BEGIN NATS USER JWT-----\n" + user_jwt + "\n------END NATS USER JWT------\n\n"
             "************************* IMPORTANT *************************\n"
             "NKEY Seed printed below can be used to sign and prove identity.\n\n"
             "-----BEGIN USER NKEY SEED-----\n" + user.seed + "\n------END USER NKEY SEED------\n")
    return conf, creds, user.seed


class ProbeAuth(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="probe-auth-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def secret_file(self, name, content):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(content + "\n")
        os.chmod(path, 0o600)
        return path

    def assert_secrets_absent(self, exporter, expo, *secrets):
        out = exporter.output()
        for s in secrets:
            self.assertNotIn(s, out, "a secret in the exporter's log")
            self.assertNotIn(s, expo.text, "a secret in /metrics")

    def run_pair(self, server, good, bad, env, secrets):
        """Starts an exporter with a correctly and a wrongly authenticated probe; checks both."""
        exporter = probe_exporter(server, [good, bad], env=env)
        self.addCleanup(exporter.__exit__, None, None, None)
        exporter.start()
        e = wait_metric(exporter, lambda e: ok_requests(e, good["name"]) >= 3, f"{good['name']} measuring")
        self.assertEqual(value(e, "nats_probe_connected", probe=good["name"]), 1)
        e = wait_metric(exporter, lambda e: value(e, "nats_probe_requests_total", probe=bad["name"],
                                                  result="error") >= 2, f"{bad['name']} failing")
        self.assertEqual(value(e, "nats_probe_connected", probe=bad["name"]), 0)
        self.assertEqual(ok_requests(e, bad["name"]), 0)
        harness.wait_until(lambda: "uthorization" in exporter.output(), 10, what="the refusal in the log")
        out = exporter.output()
        refusal = [l for l in out.splitlines() if f"probe={bad['name']}" in l and "uthorization" in l]
        self.assertTrue(refusal, out[-2000:])
        print("reported as:", refusal[0])
        self.assert_secrets_absent(exporter, e, *secrets)
        self.assertIsNone(exporter.proc.poll())
        out = assert_clean_exit(self, exporter)
        for s in secrets:
            self.assertNotIn(s, out)
        return exporter

    def test_token_from_environment(self):
        server = harness.NatsServer("n1", jetstream=False,
                                    extra_conf=f'authorization {{ token: "{TOKEN}" }}\n').start()
        self.addCleanup(server.__exit__, None, None, None)
        base = {"kind": "request", "servers": [server.url], "interval": "100ms", "timeout": "500ms",
                "connection": {"reconnect_wait": "200ms"}}
        good = dict(base, name="token-ok", connection=dict(base["connection"], token_env="PROBE_TOKEN"))
        bad = dict(base, name="token-wrong", connection=dict(base["connection"], token_env="PROBE_WRONG_TOKEN"))
        self.run_pair(server, good, bad, {"PROBE_TOKEN": TOKEN, "PROBE_WRONG_TOKEN": WRONG_TOKEN},
                      [TOKEN, WRONG_TOKEN])

    def test_user_password_from_file(self):
        server = harness.NatsServer("n1", jetstream=False,
                                    extra_conf=f'authorization {{ user: probe, password: "{PASSWORD}" }}\n').start()
        self.addCleanup(server.__exit__, None, None, None)
        base = {"kind": "request", "servers": [server.url], "interval": "100ms", "timeout": "500ms"}
        good = dict(base, name="pw-ok", connection={"user": "probe",
                                                   "password_file": self.secret_file("pw", PASSWORD)})
        # The wrong password comes in the URL: it must be taken out of it before anything logs it.
        bad = dict(base, name="pw-wrong", servers=[f"nats://probe:{WRONG_PASSWORD}@127.0.0.1:{server.port}"],
                   connection={"reconnect_wait": "200ms"})
        self.run_pair(server, good, bad, {}, [PASSWORD, WRONG_PASSWORD])

    def test_nkey_seed_file(self):
        server = harness.NatsServer("n1", jetstream=False,
                                    extra_conf=f"authorization {{ users: [ {{ nkey: {PUBLIC} }} ] }}\n").start()
        self.addCleanup(server.__exit__, None, None, None)
        other = NKey("U", self.dir)
        base = {"kind": "request", "servers": [server.url], "interval": "100ms", "timeout": "500ms",
                "connection": {"reconnect_wait": "200ms"}}
        good = dict(base, name="nkey-ok", connection=dict(base["connection"],
                                                          nkey_seed_file=self.secret_file("user.nk", SEED)))
        bad = dict(base, name="nkey-wrong", connection=dict(base["connection"], nkey_seed_env="PROBE_SEED"))
        self.run_pair(server, good, bad, {"PROBE_SEED": other.seed}, [SEED, other.seed])

    @unittest.skipUnless(shutil.which("openssl"), "openssl signs the test JWTs")
    def test_creds_file(self):
        conf, creds, user_seed = creds_setup(self.dir)
        server = harness.NatsServer("n1", jetstream=False, extra_conf=conf).start()
        self.addCleanup(server.__exit__, None, None, None)
        _, other_creds, other_seed = creds_setup(self.dir)  # signed by an operator the server does not trust
        base = {"kind": "request", "servers": [server.url], "interval": "100ms", "timeout": "500ms",
                "connection": {"reconnect_wait": "200ms"}}
        good = dict(base, name="creds-ok", connection=dict(base["connection"],
                                                           creds_file=self.secret_file("user.creds", creds)))
        bad = dict(base, name="creds-wrong", connection=dict(base["connection"], creds_env="PROBE_CREDS"))
        self.run_pair(server, good, bad, {"PROBE_CREDS": other_creds}, [user_seed, other_seed])


if __name__ == "__main__":
    unittest.main(verbosity=2)
