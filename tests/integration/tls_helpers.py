"""Certificates made with the openssl CLI for the TLS tests, and small HTTPS helpers.

make_ca(dir, name) -> (cert, key); make_cert(dir, name, ca, sans, client=False) -> (cert, key).
EC P-256 keys, valid two days: quick to generate, nothing to keep.
"""
import os
import ssl
import subprocess
import urllib.error
import urllib.request


def _run(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(directory, name="test-ca"):
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_cert(directory, name, ca, sans=("IP:127.0.0.1", "DNS:localhost"), client=False):
    """A leaf certificate signed by `ca` (cert, key)."""
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    csr, ext = os.path.join(directory, f"{name}.csr"), os.path.join(directory, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n")
        f.write("extendedKeyUsage=%s\n" % ("clientAuth" if client else "serverAuth"))
        if sans:
            f.write("subjectAltName=%s\n" % ",".join(sans))
    _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
    _run("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-out", cert,
         "-days", "2", "-extfile", ext)
    return cert, key


def client_context(ca_cert=None, cert=None, max_version=None):
    ctx = ssl.create_default_context(cafile=ca_cert)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def https_get(url, context, headers=None, timeout=30.0, method="GET"):
    """(status, headers, body); HTTP errors are returned, TLS and connection errors raised."""
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def peer_certificate_serial(host, port, ca_cert):
    """The serial number of the certificate the server presents now."""
    import socket
    ctx = client_context(ca_cert)
    with socket.create_connection((host, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            return s.getpeercert()["serialNumber"]
