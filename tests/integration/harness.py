"""Integration test harness: starts the real ogid on a free port in a
temporary directory and talks JSON-RPC 2.0 to it over TCP.

Each test file is a script: it defines functions named test_* and calls
harness.main(globals()). Every check prints a TAP line ("ok N - ..." or
"not ok N - ..."); tests/run.sh counts them.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OGID = os.path.join(ROOT, os.environ.get("OGID", "build/ogid"))
OGI = os.path.join(ROOT, os.environ.get("OGI", "build/ogi"))

# Tests run as root in CI; ogid refuses root unless told (test_ops checks).
os.environ.setdefault("OGID_ALLOW_ROOT", "1")

_n = 0
_failed = 0


def ok(cond, what, detail=None):
    """Record one check. Returns cond so callers can chain."""
    global _n, _failed
    _n += 1
    if cond:
        print("ok %d - %s" % (_n, what), flush=True)
    else:
        _failed += 1
        print("not ok %d - %s" % (_n, what), flush=True)
        if detail is not None:
            for line in str(detail).splitlines()[:20]:
                print("#   " + line, flush=True)
    return cond


def eq(got, want, what):
    return ok(got == want, what, "got:  %r\nwant: %r" % (got, want))


def req(method, params=None, id=1, notification=False):
    """A JSON-RPC request object (no id when a notification)."""
    m = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        m["params"] = params
    if not notification:
        m["id"] = id
    return m


def line(obj):
    """One protocol line: the JSON text and "\\n", as bytes."""
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode()


def err_code(resp):
    return resp.get("error", {}).get("code") if isinstance(resp, dict) else None


def read_to_eof(c, timeout=10):
    """All remaining lines of a Client and whether the stream then ended."""
    lines = []
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return lines, False
        try:
            msg = c.recv_line(left)
        except (socket.timeout, TimeoutError):
            return lines, False
        except OSError:
            return lines, True
        if msg is None:
            return lines, True
        lines.append(msg)


class RpcError(Exception):
    def __init__(self, err):
        super().__init__("%s %s" % (err.get("code"), err.get("message")))
        self.code = err.get("code")
        self.message = err.get("message")
        self.data = err.get("data")
        self.err = err


class Client:
    """One TCP connection speaking newline-delimited JSON-RPC."""

    def __init__(self, port, token=None, timeout=10, source=None):
        """source: the local address to connect from (127.0.0.2, ...)."""
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.buf = b""
        self.next_id = 1
        self.events = []
        if token:
            self.call("auth", {"token": token})

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def recv_line(self, timeout=10):
        """Next response line as parsed JSON; None at end of stream."""
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return json.loads(line)
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def recv_response(self, timeout=10):
        """Next line that is not a pushed event (events are kept)."""
        while True:
            msg = self.recv_line(timeout)
            if isinstance(msg, dict) and msg.get("method") == "event" and "id" not in msg:
                self.events.append(msg["params"])
                continue
            return msg

    def request(self, method, params=None, id=None):
        """Send one request, return the whole response object."""
        if id is None:
            id = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "method": method, "id": id}
        if params is not None:
            msg["params"] = params
        self.send_raw(json.dumps(msg, ensure_ascii=False) + "\n")
        return self.recv_response()

    def call(self, method, params=None):
        """Send one request; return its result or raise RpcError."""
        resp = self.request(method, params)
        if resp is None:
            raise RpcError({"code": None, "message": "connection closed"})
        if "error" in resp:
            raise RpcError(resp["error"])
        return resp["result"]

    def error(self, method, params=None):
        """Call expecting an error; return the error object (or None)."""
        resp = self.request(method, params)
        if resp is None:
            return {"code": None, "message": "connection closed"}
        return resp.get("error")

    def wait_event(self, timeout=5):
        if self.events:
            return self.events.pop(0)
        msg = self.recv_line(timeout)
        if msg is None:
            return None
        if msg.get("method") == "event":
            return msg["params"]
        raise AssertionError("expected an event, got %r" % msg)


def rss_kb(pid):
    """Resident memory of a process, in KB (-1 if unknown)."""
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return -1


def list_all(c, params=None, limit=500):
    """Every application app.list gives for params, page by page."""
    ids, after = [], None
    while True:
        p = dict(params or {}, limit=limit)
        if after:
            p["after"] = after
        res = c.call("app.list", p)
        ids += [x["id"] for x in res["items"]]
        after = res["next"]
        if not after:
            return ids


class Daemon:
    """A real ogid in a temporary directory, on a free port."""

    def __init__(self, fake_clock=None, config=None, extra_args=(), db=None,
                 tmp=None, init=True, env=None, wrap=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="ogi-test.")
        self.db = db or os.path.join(self.tmp, "ogi.db")
        self.fake_clock = fake_clock
        self.config = config
        self.extra_args = list(extra_args)
        self.env = env
        self.wrap = list(wrap or [])  # a command that execs ogid (nice -n 5)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.tmp, "ogid.log")
        self.admin_token = None
        if init and not os.path.exists(self.db):
            self.admin_token = self.init_db()
        self.start()

    def init_db(self):
        out = subprocess.run([OGID, "init", "--db", self.db], capture_output=True,
                             text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError("ogid init failed: %s" % out.stderr)
        return out.stdout.strip().splitlines()[-1]

    def start(self, fake_clock=None):
        if fake_clock is not None:
            self.fake_clock = fake_clock
        args = self.wrap + [OGID, "--db", self.db, "--listen", "127.0.0.1:0"]
        if self.fake_clock:
            args += ["--fake-clock", self.fake_clock]
        if self.config:
            path = os.path.join(self.tmp, "ogid.conf")
            with open(path, "w") as f:
                f.write(self.config)
            args += ["--config", path]
        args += self.extra_args
        self.log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log,
                                     env=env)
        deadline = time.time() + 30
        line = b""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(rb"ogid: listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                return
        self.proc.kill()
        raise RuntimeError("ogid did not start: %r\n%s" % (line, self.read_log()))

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def client(self, token=None, timeout=10, source=None):
        return Client(self.port, token, timeout, source)

    def admin(self):
        return self.client(self.admin_token)

    def user(self, name, *roles):
        """Create a user with roles; return (token, connected client)."""
        with_admin = self.admin()
        try:
            res = with_admin.call("user.create", {"name": name, "roles": list(roles)})
        finally:
            with_admin.close()
        return res["token"], self.client(res["token"])

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stop the daemon; return its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self, fake_clock=None):
        self.stop()
        self.start(fake_clock)

    def cleanup(self):
        rc = self.stop()
        log = self.read_log()
        # Sanitizer reports (leaks, UB) fail the test that started the daemon.
        if "ERROR: AddressSanitizer" in log or "runtime error:" in log or \
                "ERROR: LeakSanitizer" in log:
            ok(False, "ogid ran clean under sanitizers", log[-3000:])
        elif rc not in (None, 0):
            ok(False, "ogid exited 0 on SIGTERM (got %r)" % rc, log[-2000:])
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_ogi(args, env=None, input=None, timeout=30):
    """Run the built client; return CompletedProcess (text)."""
    e = dict(os.environ)
    e.pop("OGI_ADDR", None)
    e.pop("OGI_TOKEN", None)
    if env:
        e.update(env)
    return subprocess.run([OGI] + list(args), capture_output=True, text=True,
                          env=e, input=input, timeout=timeout)


def main(namespace):
    """Run every test_* function in definition order; exit 1 on failure."""
    tests = [(k, v) for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    only = os.environ.get("ONLY")
    for name, fn in tests:
        if only and only not in name:
            continue
        print("# " + name, flush=True)
        try:
            fn()
        except Exception:
            ok(False, "%s raised" % name, traceback.format_exc())
    print("1..%d" % _n)
    sys.exit(1 if _failed else 0)
