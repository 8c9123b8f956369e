"""systemd integration without libsystemd (SPEC section 8): READY=1 and
STOPPING=1 on $NOTIFY_SOCKET (a path or an abstract name), WATCHDOG=1
when WATCHDOG_USEC asks for it, and socket activation: a listening socket
passed as fd 3 with LISTEN_FDS=1 and LISTEN_PID=<ogid's pid>.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import harness
from harness import OGID, Client, Daemon, eq, ok


class NotifySocket:
    """The service manager's end: an AF_UNIX datagram socket."""

    def __init__(self, tmp, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "ogi-test-notify-%d-%s" % (os.getpid(), os.path.basename(tmp))
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            path = os.path.join(tmp, "notify.sock")
            self.sock.bind(path)
            self.env = path
        self.seen = []  # every assignment received, in order

    def wait_for(self, assignment, timeout=10):
        """Read datagrams until one carries assignment ("KEY=value")."""
        if assignment in self.seen:
            return True
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                break
            lines = data.decode("utf-8", "replace").split("\n")
            self.seen.extend(line for line in lines if line)
            if assignment in lines:
                return True
        return False

    def close(self):
        self.sock.close()


def sanitizer_clean(log, what):
    if "ERROR: AddressSanitizer" in log or "runtime error:" in log or \
            "ERROR: LeakSanitizer" in log:
        ok(False, "%s ran clean under sanitizers" % what, log[-3000:])


def run_with_notify(abstract):
    tmp = tempfile.mkdtemp(prefix="ogi-test.")
    ns = NotifySocket(tmp, abstract)
    d = None
    try:
        d = Daemon(tmp=tmp, env={"NOTIFY_SOCKET": ns.env})
        ok(ns.wait_for("READY=1"), "READY=1 received once listening (%s)" % ns.env,
           d.read_log()[-2000:])
        c = d.client()
        res = c.call("auth", {"token": d.admin_token})
        ok("admin" in res.get("roles", []), "daemon answers after READY=1", res)
        c.close()
        ok("STOPPING=1" not in ns.seen, "no STOPPING=1 before SIGTERM")
        rc = d.stop(signal.SIGTERM)
        eq(rc, 0, "SIGTERM: exit status 0")
        ok(ns.wait_for("STOPPING=1", timeout=2), "STOPPING=1 received on SIGTERM",
           ns.seen)
        ready = ns.seen.index("READY=1") if "READY=1" in ns.seen else -1
        stopping = ns.seen.index("STOPPING=1") if "STOPPING=1" in ns.seen else -1
        ok(0 <= ready < stopping, "READY=1 comes before STOPPING=1", ns.seen)
    finally:
        ns.close()
        if d is not None:
            d.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def test_notify_path():
    run_with_notify(abstract=False)


def test_notify_abstract():
    run_with_notify(abstract=True)


def test_no_notify_socket():
    # Without NOTIFY_SOCKET ogid runs as before: a silent no-op.
    env = {"NOTIFY_SOCKET": ""}
    d = Daemon(env=env)
    try:
        c = d.admin()
        ok(c.call("system.health")["ok"], "runs without a notify socket")
        c.close()
        ok("notify" not in d.read_log(), "nothing logged about notify")
    finally:
        d.cleanup()


def test_watchdog():
    # WATCHDOG_USEC without WATCHDOG_PID is meant for us: WATCHDOG=1 every
    # half interval. With another process's WATCHDOG_PID: none.
    tmp = tempfile.mkdtemp(prefix="ogi-test.")
    ns = NotifySocket(tmp)
    d = Daemon(tmp=tmp, env={"NOTIFY_SOCKET": ns.env, "WATCHDOG_USEC": "400000"})
    try:
        ok(ns.wait_for("READY=1"), "READY=1 with a watchdog")
        ns.wait_for("(collect for 3 s)", timeout=3)
        got = ns.seen.count("WATCHDOG=1")
        ok(got >= 2, "WATCHDOG=1 sent repeatedly (%d in 3 s, WATCHDOG_USEC 0.4 s)" % got,
           ns.seen)
    finally:
        d.cleanup()  # before closing the socket it may still notify
        ns.close()
        shutil.rmtree(tmp, ignore_errors=True)

    tmp = tempfile.mkdtemp(prefix="ogi-test.")
    ns = NotifySocket(tmp)
    d = Daemon(tmp=tmp, env={"NOTIFY_SOCKET": ns.env, "WATCHDOG_USEC": "200000",
                             "WATCHDOG_PID": "1"})
    try:
        ok(ns.wait_for("READY=1"), "READY=1 with another process's watchdog")
        ns.wait_for("never", timeout=1)
        ok("WATCHDOG=1" not in ns.seen, "no WATCHDOG=1 when WATCHDOG_PID is not ours",
           ns.seen)
    finally:
        d.cleanup()  # before closing the socket it may still notify
        ns.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_socket_activation():
    tmp = tempfile.mkdtemp(prefix="ogi-test.")
    db = os.path.join(tmp, "ogi.db")
    out = subprocess.run([OGID, "init", "--db", db], capture_output=True, text=True,
                         timeout=30)
    if not ok(out.returncode == 0, "ogid init", out.stderr):
        return
    token = out.stdout.strip().splitlines()[-1]

    # The service manager's part: a bound, listening socket...
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    port = lsock.getsockname()[1]
    lfd = lsock.fileno()
    ns = NotifySocket(tmp)

    # ...that becomes fd 3 of the child. preexec_fn runs before the child
    # closes the fds not in pass_fds; dup2 leaves fd 3 inheritable.
    def to_fd3():
        if lfd == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(lfd, 3)

    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.update({"LISTEN_FDS": "1", "LISTEN_FDNAMES": "ogid.socket",
                "NOTIFY_SOCKET": ns.env})
    env.pop("LISTEN_PID", None)
    # LISTEN_PID must be ogid's own pid: the shell sets it to $$ and execs.
    args = ["sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', OGID, "--db", db]
    log_path = os.path.join(tmp, "ogid.log")
    log = open(log_path, "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=log, env=env,
                            preexec_fn=to_fd3, pass_fds=(3,))
    lsock.close()  # only ogid holds the socket now
    try:
        ok(ns.wait_for("READY=1", timeout=30), "READY=1 when socket-activated",
           open(log_path, "rb").read().decode("utf-8", "replace")[-2000:])
        c = Client(port)
        res = c.call("auth", {"token": token})
        ok("admin" in res.get("roles", []), "auth over the inherited socket", res)
        health = c.call("system.health")
        ok(health.get("ok") is True, "system.health over the inherited socket", health)
        c.close()
        c2 = Client(port)
        ok(c2.error("system.health")["code"] == -32001,
           "a second connection is accepted (and must auth)")
        c2.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        log.close()
        ns.close()
        eq(rc, 0, "socket-activated ogid exits 0 on SIGTERM")
        text = open(log_path, "rb").read().decode("utf-8", "replace")
        sanitizer_clean(text, "socket-activated ogid")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.main(globals())
