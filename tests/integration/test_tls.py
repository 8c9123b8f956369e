#!/usr/bin/env python3
"""TLS on ogid's listening socket (--tls-cert, --tls-key, --tls-ca) and in
the ogi client (--tls, --cafile): a throwaway CA made with the openssl
command line, then Python's ssl module, ogi, openssl s_client, plain-text
clients, old protocol versions and client certificates. 127.0.0.1 only."""
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import OGID, Client, Daemon, eq, main, ok, run_ogi, req, line  # noqa: E402

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[elsewhere_ext]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:elsewhere.invalid
[client_ext]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
"""

_pki = None
_d = None


def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr))
    return r


class Pki:
    """Two CAs, server certificates and client certificates in a temp dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ogi-tls.")
        self.cnf = self.path("openssl.cnf")
        with open(self.cnf, "w") as f:
            f.write(OPENSSL_CNF)
        self.serial = 1
        self.ca("ca")
        self.ca("other")
        self.cert("server", "ca", "localhost", "server_ext")
        self.cert("elsewhere", "ca", "elsewhere.invalid", "elsewhere_ext")
        self.cert("client", "ca", "ogi-test-client", "client_ext")
        self.cert("stranger", "other", "ogi-stranger", "client_ext")

    def path(self, name):
        return os.path.join(self.dir, name)

    def ca(self, name):
        openssl("req", "-x509", "-config", self.cnf, "-extensions", "ca_ext",
                "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", self.path(name + ".key"),
                "-out", self.path(name + ".pem"), "-days", "2",
                "-subj", "/CN=ogi-test-" + name)

    def cert(self, name, ca, cn, ext):
        self.serial += 1
        csr = self.path(name + ".csr")
        openssl("req", "-new", "-config", self.cnf, "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", self.path(name + ".key"), "-out", csr,
                "-subj", "/CN=" + cn)
        openssl("x509", "-req", "-in", csr, "-CA", self.path(ca + ".pem"),
                "-CAkey", self.path(ca + ".key"), "-set_serial", str(self.serial),
                "-out", self.path(name + ".pem"), "-days", "2",
                "-extfile", self.cnf, "-extensions", ext)
        os.chmod(self.path(name + ".key"), 0o600)

    def server_args(self, name="server", client_ca=None):
        args = ["--tls-cert", self.path(name + ".pem"),
                "--tls-key", self.path(name + ".key")]
        if client_ca:
            args += ["--tls-ca", self.path(client_ca + ".pem")]
        return args


def pki():
    global _pki
    if _pki is None:
        _pki = Pki()
    return _pki


def daemon():
    """One TLS daemon, shared by the tests below."""
    global _d
    if _d is None:
        _d = Daemon(extra_args=pki().server_args())
    return _d


def context(ca="ca", cert=None, minimum=None, maximum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki().path(ca + ".pem"))
    if cert:
        ctx.load_cert_chain(pki().path(cert + ".pem"), pki().path(cert + ".key"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
    return ctx


class TlsClient(Client):
    """harness.Client over TLS, with Python's ssl module."""

    def __init__(self, port, ctx=None, token=None, timeout=10,
                 server_hostname="127.0.0.1", rcvbuf=None):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(timeout)
        if rcvbuf:  # a slow reader: the kernel holds little for it
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.connect(("127.0.0.1", port))
        try:
            self.sock = (ctx or context()).wrap_socket(
                raw, server_hostname=server_hostname)
        except BaseException:
            raw.close()
            raise
        self.buf = b""
        self.next_id = 1
        self.events = []
        if token:
            self.call("auth", {"token": token})






def raw_exchange(port, data, timeout=10):
    """Plain TCP: send data, read until the server closes. Returns (bytes
    received, closed within the timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    closed = False
    try:
        if data:
            s.sendall(data)
        end = time.time() + timeout
        while time.time() < end:
            s.settimeout(max(0.1, end - time.time()))
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
            except (socket.timeout, TimeoutError):
                break
            if not chunk:
                closed = True
                break
            got += chunk
    finally:
        s.close()
    return got, closed


def half_close(port, payload, timeout=10):
    """Send payload over TLS, then close_notify (TLS's half-close), and read
    everything the server still sends. Returns (bytes, ended cleanly)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = context().wrap_bio(inc, out, server_hostname="127.0.0.1")
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def flush():
        data = out.read()
        if data:
            s.sendall(data)

    def fill():
        data = s.recv(65536)
        if not data:
            inc.write_eof()
        else:
            inc.write(data)
        return bool(data)

    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                flush()
                if not fill():
                    return b"", False
        flush()
        obj.write(payload)
        try:
            obj.unwrap()  # sends close_notify; the server's is still to come
        except ssl.SSLWantReadError:
            pass
        flush()
        got = b""
        while True:
            try:
                chunk = obj.read(65536)
            except ssl.SSLWantReadError:
                if not fill():
                    return got, False
                continue
            except ssl.SSLZeroReturnError:
                return got, True
            if not chunk:
                return got, True
            got += chunk
    finally:
        s.close()


def responses(data):
    return [json.loads(x) for x in data.split(b"\n") if x.strip()]


def ogi(d, *args, env=None):
    e = {"OGI_TOKEN": d.admin_token, "HOME": pki().dir}
    e.update(env or {})
    return run_ogi(["--addr", "127.0.0.1:%d" % d.port] + list(args), env=e)


def test_python_ssl():
    d = daemon()
    c = TlsClient(d.port, token=d.admin_token)
    try:
        ok(c.sock.version() in ("TLSv1.2", "TLSv1.3"),
           "Python's ssl module connects with TLS 1.2 or later", c.sock.version())
        h = c.call("system.health")
        eq(h.get("tls"), True, "system.health says tls: true")
        eq(c.call("auth", {"token": d.admin_token}).get("user"), "admin",
           "auth over TLS")
    finally:
        c.close()
    c = TlsClient(d.port, context(maximum=ssl.TLSVersion.TLSv1_2),
                  token=d.admin_token)
    eq(c.sock.version(), "TLSv1.2", "TLS 1.2 is accepted")
    eq(c.call("system.health").get("ok"), True, "... and serves")
    c.close()
    c = TlsClient(d.port, token=d.admin_token, server_hostname="localhost")
    eq(c.call("system.health").get("ok"), True,
       "the certificate's DNS name works too (SNI localhost)")
    c.close()
    log = d.read_log()
    ok("event=tls version=TLSv1.3" in log and "event=tls version=TLSv1.2" in log,
       "each handshake is logged with its version", log[-1500:])


def test_framing_unchanged():
    d = daemon()
    c = TlsClient(d.port, token=d.admin_token)
    try:
        c.send_raw(b"".join(line(req("system.health", id=i)) for i in range(300)))
        got = [c.recv_line() for _ in range(300)]
        eq([r.get("id") for r in got], list(range(300)),
           "300 pipelined requests in one write: 300 answers in order")
        c.send_raw(b"{not json}\n")
        eq(c.recv_line().get("error", {}).get("code"), -32700,
           "invalid JSON: -32700, and the connection goes on")
        eq(c.call("system.health").get("ok"), True, "... it does")
    finally:
        c.close()
    auth = req("auth", {"token": d.admin_token}, id=1)
    data, clean = half_close(d.port, line(auth) + json.dumps(
        req("system.health", id=2)).encode())
    got = responses(data)
    eq([r.get("id") for r in got], [1, 2],
       "close_notify after a last request without \"\\n\": both answered")
    ok(clean, "... and the server ends with its own close_notify")
    data, clean = half_close(d.port, json.dumps([auth, req("system.health", id=2)]).encode())
    got = responses(data)
    ok(len(got) == 1 and [r.get("id") for r in got[0]] == [1, 2],
       "a batch [auth, call] ended by close_notify alone is answered", got)


def test_ogi_client():
    d = daemon()
    ca = pki().path("ca.pem")
    r = ogi(d, "--tls", "--cafile", ca, "--json", "call", "system.health")
    ok(r.returncode == 0 and json.loads(r.stdout).get("tls") is True,
       "ogi --tls --cafile works", r.stderr)
    r = ogi(d, "--cafile", ca, "user", "list")
    ok(r.returncode == 0 and "admin" in r.stdout, "--cafile implies --tls", r.stderr)
    r = run_ogi(["--addr", "localhost:%d" % d.port, "--tls", "--cafile", ca,
                 "call", "system.health"],
                env={"OGI_TOKEN": d.admin_token, "HOME": pki().dir})
    eq(r.returncode, 0, "the DNS name in --addr is verified (localhost)")
    r = ogi(d, "call", "system.health", env={"OGI_TLS": "yes", "OGI_CAFILE": ca})
    eq(r.returncode, 0, "OGI_TLS and OGI_CAFILE stand in for the flags")
    r = ogi(d, "call", "system.health", env={"OGI_TLS": "maybe"})
    eq(r.returncode, 2, "OGI_TLS=maybe is a usage error")
    home = tempfile.mkdtemp(prefix="ogi-home.", dir=pki().dir)
    os.makedirs(os.path.join(home, ".config", "ogi"))
    cfg = os.path.join(home, ".config", "ogi", "config")
    with open(cfg, "w") as f:
        f.write("addr = 127.0.0.1:%d\ntoken = %s\ntls = yes\ncafile = %s\n"
                % (d.port, d.admin_token, ca))
    os.chmod(cfg, 0o600)
    r = run_ogi(["call", "system.health"], env={"HOME": home})
    ok(r.returncode == 0 and r.stderr == "",
       "tls = yes and cafile = in ~/.config/ogi/config", r.stderr)

    r = ogi(d, "--tls", "--cafile", pki().path("other.pem"), "call", "system.health")
    eq(r.returncode, 2, "a certificate from another CA: exit 2")
    ok("certificate" in r.stderr, "... saying why", r.stderr)
    r = ogi(d, "--tls", "call", "system.health")
    eq(r.returncode, 2, "--tls without --cafile trusts only the system's CAs: exit 2")
    r = ogi(d, "call", "system.health")
    eq(r.returncode, 2, "ogi without --tls against a TLS port: exit 2")
    ok("Traceback" not in r.stderr and r.stderr.startswith("ogi: "),
       "... with one line on stderr", r.stderr)
    ok(d.proc.poll() is None, "ogid is still running")


def test_name_checked():
    p = pki()
    d = Daemon(extra_args=p.server_args("elsewhere"))
    try:
        r = ogi(d, "--cafile", p.path("ca.pem"), "call", "system.health")
        eq(r.returncode, 2, "a certificate for another name: exit 2")
        ok("mismatch" in r.stderr, "... an address mismatch", r.stderr)
        r = run_ogi(["--addr", "localhost:%d" % d.port, "--cafile", p.path("ca.pem"),
                     "call", "system.health"],
                    env={"OGI_TOKEN": d.admin_token, "HOME": p.dir})
        eq(r.returncode, 2, "... or a host name mismatch")
        ok("mismatch" in r.stderr, "... said so", r.stderr)
    finally:
        d.cleanup()
    d = Daemon()
    try:
        t0 = time.time()
        r = ogi(d, "--cafile", p.path("ca.pem"), "call", "system.health")
        eq(r.returncode, 2, "ogi --tls against a plain-text ogid: exit 2")
        ok(time.time() - t0 < 15, "... within the client's handshake timeout",
           r.stderr)
        log = d.read_log()
        ok("in the clear" not in log,
           "plain TCP on 127.0.0.1 is not warned about", log[-800:])
        c = d.admin()
        eq(c.call("system.health").get("tls"), False, "plain TCP: tls: false")
        c.close()
    finally:
        d.cleanup()


def test_s_client():
    d = daemon()
    p = subprocess.Popen(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % d.port,
         "-CAfile", pki().path("ca.pem"), "-verify_return_error",
         "-verify_ip", "127.0.0.1", "-quiet"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = b""
    try:
        p.stdin.write(line(req("auth", {"token": d.admin_token}, id=7)))
        p.stdin.flush()
        end = time.time() + 15
        while b"\n" not in got and time.time() < end:
            r, _, _ = select.select([p.stdout], [], [], max(0.1, end - time.time()))
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            got += chunk
    finally:
        p.kill()
        p.wait(10)
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()
    try:
        resp = json.loads(got.split(b"\n")[0])
    except ValueError:
        resp = {}
    eq((resp.get("id"), resp.get("result", {}).get("user")), (7, "admin"),
       "openssl s_client -CAfile ca.pem: auth answered")


def test_plain_text_client():
    d = daemon()
    got, closed = raw_exchange(d.port, line(req("auth", {"token": d.admin_token})))
    ok(closed, "a plain-text client on the TLS port is closed")
    ok(b"jsonrpc" not in got and b"admin" not in got, "... with no response", got)
    got, closed = raw_exchange(d.port, b"\x00\xff" * 3000)
    ok(closed and b"jsonrpc" not in got, "binary garbage: closed, no response")
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    s.close()  # connects and goes in the middle of nothing
    log = d.read_log()
    ok('event=tls_error error="wrong version number"' in log,
       "the handshake error is logged", log[-1500:])
    ok(d.proc.poll() is None, "ogid did not crash")
    c = TlsClient(d.port, token=d.admin_token)
    eq(c.call("system.health").get("ok"), True, "and keeps serving TLS clients")
    c.close()


def test_old_protocols_refused():
    d = daemon()
    for version, name in ((ssl.TLSVersion.TLSv1_1, "TLS 1.1"),
                          (ssl.TLSVersion.TLSv1, "TLS 1.0")):
        ctx = context(minimum=ssl.TLSVersion.MINIMUM_SUPPORTED, maximum=version)
        try:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        except ssl.SSLError:
            pass
        try:
            c = TlsClient(d.port, ctx)
            what = c.sock.version()
            c.close()
        except (ssl.SSLError, OSError) as e:
            what = e
        ok(isinstance(what, (ssl.SSLError, OSError)),
           "a client capped at %s is refused" % name, what)
    log = d.read_log()
    ok("unsupported protocol" in log or "PROTOCOL_VERSION" in log.upper(),
       "... by the server (logged)", log[-1500:])


def test_weak_tls12_ciphers_refused():
    """TLS 1.2 with forward secrecy and AEAD only: RSA key exchange and
    CBC suites are refused, ECDHE with AES-GCM is taken."""
    d = daemon()
    for suite, good in (("AES128-SHA", False), ("AES256-SHA256", False),
                        ("ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA", False),
                        ("ECDHE+AESGCM", True)):
        ctx = context(maximum=ssl.TLSVersion.TLSv1_2)
        ctx.set_ciphers(suite)
        try:
            c = TlsClient(d.port, ctx)
            what = c.sock.cipher()[0]
            c.close()
        except (ssl.SSLError, OSError) as e:
            what = e
        if good:
            ok(isinstance(what, str) and what.startswith("ECDHE-") and "GCM" in what,
               "TLS 1.2 %s: taken (%s)" % (suite, what), what)
        else:
            ok(isinstance(what, (ssl.SSLError, OSError)), "TLS 1.2 %s: refused" % suite, what)


def test_client_certificates():
    p = pki()
    d = Daemon(extra_args=p.server_args(client_ca="ca"))
    try:
        def attempt(cert):
            try:
                c = TlsClient(d.port, context(cert=cert))
            except (ssl.SSLError, OSError) as e:
                return e
            try:
                c.send_raw(line(req("auth", {"token": d.admin_token})))
                return c.recv_line(10)  # TLS 1.3: the refusal comes now
            except (ssl.SSLError, OSError) as e:
                return e
            finally:
                c.close()

        r = attempt(None)
        ok(not isinstance(r, dict), "--tls-ca: a client without a certificate is refused", r)
        r = attempt("stranger")
        ok(not isinstance(r, dict), "... one whose certificate another CA signed too", r)
        r = attempt("client")
        ok(isinstance(r, dict) and r.get("result", {}).get("user") == "admin",
           "... one with a certificate signed by the CA is served", r)
        log = d.read_log()
        ok('client="/CN=ogi-test-client"' in log, "the client's subject is logged",
           log[-1500:])
        h = TlsClient(d.port, context(cert="client"), token=d.admin_token)
        eq(h.call("system.health").get("tls"), True, "system.health over it")
        h.close()
        r = ogi(d, "--cafile", p.path("ca.pem"), "--cert", p.path("client.pem"),
                "--key", p.path("client.key"), "call", "system.health")
        ok(r.returncode == 0 and '"tls"' in r.stdout, "ogi --cert --key is served", r.stderr)
        r = ogi(d, "--cafile", p.path("ca.pem"), "call", "system.health")
        eq(r.returncode, 2, "ogi without a client certificate: connection error (exit 2)")
        r = ogi(d, "--cafile", p.path("ca.pem"), "call", "system.health",
                env={"OGI_CERT": p.path("client.pem"), "OGI_KEY": p.path("client.key")})
        eq(r.returncode, 0, "OGI_CERT and OGI_KEY work too")
        r = ogi(d, "--cafile", p.path("ca.pem"), "--cert", p.path("client.pem"),
                "--key", p.path("stranger.key"), "call", "system.health")
        ok(r.returncode == 2 and "client.pem" in r.stderr,
           "a key that does not match the certificate: a clear error", r.stderr)
    finally:
        d.cleanup()


def test_limits_over_tls():
    p = pki()
    d = Daemon(extra_args=p.server_args(),
               config="max_request_bytes = 8192\nmax_output_bytes = 65536\n"
                      "max_connections = 2\n")
    try:
        c = TlsClient(d.port, token=d.admin_token)
        c.send_raw(b"[" + b" " * 10000)
        r = c.recv_line()
        eq((r or {}).get("error", {}).get("code"), -32600,
           "a request over max_request_bytes: -32600 over TLS")
        eq(c.recv_line(), None, "... then the connection ends")
        c.close()
        c = TlsClient(d.port, token=d.admin_token, rcvbuf=16384)
        end = time.time() + 10  # the first connection may still linger
        while c.call("system.health")["connections"] != 1 and time.time() < end:
            time.sleep(0.1)
        # 6 MB of answers: more than the kernel's buffers take, so the
        # output passes max_output_bytes and the connection pauses.
        n, k = 200, 50
        c.send_raw(b"".join(
            (json.dumps([req("calendar.get", {"year": 2026}, id=i * k + j)
                         for j in range(k)]) + "\n").encode() for i in range(n)))
        time.sleep(1)
        got = [c.recv_line(30) for _ in range(n)]
        ids = [[r.get("id") for r in b] if isinstance(b, list) else b for b in got]
        bad = [(i, x) for i, x in enumerate(ids) if x != list(range(i * k, i * k + k))]
        ok(not bad, "output over max_output_bytes pauses, then every answer comes",
           str(bad[:2])[:500])
        a = TlsClient(d.port, token=d.admin_token)
        got, closed = None, False
        try:
            b = TlsClient(d.port)
            b.send_raw(line(req("system.health")))
            got = b.recv_line(10)
            closed = got is None
            b.close()
        except (ssl.SSLError, OSError):
            closed = True
        ok(closed, "over max_connections a TLS client is closed", got)
        eq(a.call("system.health").get("ok"), True, "the others go on")
        a.close()
        c.close()
    finally:
        d.cleanup()


def test_config_and_errors():
    p = pki()
    d = Daemon(config="tls_cert = %s\ntls_key = %s\n"
               % (p.path("server.pem"), p.path("server.key")))
    try:
        c = TlsClient(d.port, token=d.admin_token)
        eq(c.call("system.health").get("tls"), True,
           "tls_cert and tls_key in the configuration file")
        c.close()
    finally:
        d.cleanup()

    db = os.path.join(p.dir, "unused.db")

    def run(*args):
        return subprocess.run([OGID, "--db", db, "--listen", "127.0.0.1:0"] + list(args),
                              capture_output=True, text=True, timeout=30)

    r = run("--tls-cert", p.path("server.pem"))
    ok(r.returncode != 0 and "tls_key" in r.stderr,
       "--tls-cert without --tls-key: ogid refuses to start", r.stderr)
    r = run("--tls-ca", p.path("ca.pem"))
    ok(r.returncode != 0 and "tls_cert" in r.stderr,
       "--tls-ca alone: ogid refuses to start", r.stderr)
    r = run("--tls-cert", p.path("missing.pem"), "--tls-key", p.path("server.key"))
    ok(r.returncode != 0 and "missing.pem" in r.stderr,
       "a missing certificate file is named", r.stderr)
    r = run("--tls-cert", p.path("server.pem"), "--tls-key", p.path("client.key"))
    ok(r.returncode != 0 and "client.key" in r.stderr,
       "a key that does not match the certificate", r.stderr)
    r = run("--check-config", "--tls-cert", p.path("server.pem"),
            "--tls-key", p.path("elsewhere.key"))
    ok(r.returncode != 0, "--check-config loads the certificate and key", r.stderr)
    r = run("--check-config", *p.server_args(client_ca="ca"))
    eq(r.returncode, 0, "--check-config with a good TLS setup")
    ok(not os.path.exists(db), "no database was created")


def test_warning_in_the_clear():
    # A private network namespace: 0.0.0.0 there is reachable from nowhere.
    if subprocess.run(["unshare", "-n", "true"], capture_output=True,
                      timeout=10).returncode != 0:
        ok(True, "plain TCP off loopback is warned about # SKIP no unshare -n")
        return
    tmp = tempfile.mkdtemp(prefix="ogi-tls.", dir=pki().dir)
    db = os.path.join(tmp, "ogi.db")
    subprocess.run([OGID, "init", "--db", db], capture_output=True, timeout=30,
                   check=True)
    log = os.path.join(tmp, "err")
    with open(log, "wb") as err:
        proc = subprocess.Popen(["unshare", "-n", OGID, "--db", db, "--listen",
                                 "0.0.0.0:0"], stdout=subprocess.PIPE, stderr=err)
        try:
            first = proc.stdout.readline()
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(30)
            proc.stdout.close()
    with open(log) as f:
        text = f.read()
    ok(first.startswith(b"ogid: listening on 0.0.0.0:"), "listens on 0.0.0.0", first)
    ok("in the clear" in text and "warn" in text,
       "plain TCP off loopback is warned about", text[-800:])
    eq(rc, 0, "... and ogid exits 0 on SIGTERM")


def test_sigterm_with_tls_clients():
    p = pki()
    d = Daemon(extra_args=p.server_args())
    try:
        idle = TlsClient(d.port, token=d.admin_token)
        half = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        half.sendall(b"\x16\x03\x01")  # the start of a ClientHello
        time.sleep(0.3)
        d.proc.send_signal(signal.SIGTERM)
        rc = d.proc.wait(30)
        eq(rc, 0, "SIGTERM with TLS clients open, one mid-handshake: exit 0")
        try:
            end = idle.recv_line(10)
        except (ssl.SSLError, OSError) as e:
            end = e
        eq(end, None, "the idle TLS client sees its connection end cleanly")
        idle.close()
        half.close()
    finally:
        d.cleanup()


def test_zz_shared_daemon_clean():
    global _d, _pki
    if _d is not None:
        c = TlsClient(_d.port, token=_d.admin_token)
        eq(c.call("system.health").get("ok"), True, "the TLS daemon is still healthy")
        c.close()
        _d.cleanup()
        _d = None
    if _pki is not None:
        shutil.rmtree(_pki.dir, ignore_errors=True)
        _pki = None


if __name__ == "__main__":
    main(globals())
