#!/usr/bin/env python3
"""Hostile clients at scale (make stress):

- 10,000 idle, authenticated connections (max_connections = 20000; the
  test raises RLIMIT_NOFILE, which ogid inherits);
- 1,000 slow writers sending their auth request one byte per 100 ms;
- clients that flood requests and never read;

while one well-behaved client keeps reading and writing. The daemon must
serve it promptly throughout, answer the slow writers and the idle
connections, never crash, and exit 0 on SIGTERM. VmRSS is measured before
and after each phase and printed (per idle connection too).

SCALE_IDLE, SCALE_SLOW, SCALE_FLOOD change the counts.
"""
import json
import os
import resource
import selectors
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from harness import Daemon, RpcError, eq, main, ok, rss_kb  # noqa: E402

IDLE = int(os.environ.get("SCALE_IDLE", "10000"))
SLOW = int(os.environ.get("SCALE_SLOW", "1000"))
FLOOD = int(os.environ.get("SCALE_FLOOD", "10"))
NOFILE = 30000
LATENCY_LIMIT = float(os.environ.get("SCALE_LATENCY", "3.0"))  # seconds, worst case


def nofile_of(pid):
    with open("/proc/%d/limits" % pid) as f:
        for ln in f:
            if ln.startswith("Max open files"):
                return int(ln.split()[3])
    return -1


def line(method, params=None, id=1):
    m = {"jsonrpc": "2.0", "method": method, "id": id}
    if params is not None:
        m["params"] = params
    return (json.dumps(m) + "\n").encode()


def read_lines(socks, timeout):
    """One response line from each socket: {sock: parsed or None}."""
    sel = selectors.DefaultSelector()
    bufs, out = {}, {}
    for s in socks:
        s.setblocking(False)
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ)
    end = time.time() + timeout
    while bufs and time.time() < end:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if not chunk:
                out[s] = None
            else:
                bufs[s] += chunk
                if b"\n" not in bufs[s]:
                    continue
                try:
                    out[s] = json.loads(bufs[s].split(b"\n", 1)[0])
                except ValueError:
                    out[s] = None
            sel.unregister(s)
            del bufs[s]
    sel.close()
    for s in bufs:
        out[s] = None
    return out


class GoodClient(threading.Thread):
    """Reads, writes and measures its round trips until told to stop."""

    def __init__(self, d, token):
        super().__init__(daemon=True)
        self.d, self.token = d, token
        self.lat, self.when, self.failures = [], [], []
        self.stop = threading.Event()

    def run(self):
        try:
            c = self.d.client(self.token, timeout=30)
        except (OSError, RpcError) as e:
            self.failures.append(repr(e))
            return
        n = 0
        while not self.stop.is_set():
            n += 1
            for method, params in (
                    ("system.health", None),
                    ("app.submit", {"applicant": {"kind": "natural_person", "name": "good"},
                                    "channel": "online", "description": "scale %d" % n}),
                    ("app.list", {"limit": 20})):
                t = time.time()
                try:
                    r = c.call(method, params)
                    if method == "app.submit":
                        c.call("app.get", {"id": r["id"]})
                except (OSError, RpcError, ValueError) as e:
                    self.failures.append("%s: %r" % (method, e))
                    c.close()
                    try:
                        c = self.d.client(self.token, timeout=30)
                    except (OSError, RpcError) as e2:
                        self.failures.append(repr(e2))
                        return
                    continue
                self.lat.append(time.time() - t)
                self.when.append(t)
            self.stop.wait(0.1)
        c.close()


def start_flooders(port, auth, n, stop, stats):
    """n clients that send app.list requests as fast as they can and never
    read; stop is an Event, stats counts bytes sent and connections cut."""
    def flooder():
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(auth)
        s.setblocking(False)
        req = b"".join(line("app.list", {"limit": 500}, id=i) for i in range(50))
        sent = 0
        while not stop.is_set():
            try:
                sent += s.send(req)
            except (BlockingIOError, InterruptedError):
                time.sleep(0.05)
            except OSError:
                stats["closed"] += 1
                break
        stats["bytes"] += sent
        s.close()
    ts = [threading.Thread(target=flooder, daemon=True) for _ in range(n)]
    for t in ts:
        t.start()
    return ts


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0.0


def test_hostile_scale():
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
    except (ValueError, OSError) as e:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        print("# cannot raise RLIMIT_NOFILE to %d (%s): limit %d" % (NOFILE, e, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    idle = min(IDLE, max(0, limit - SLOW - FLOOD - 200))  # our ends; ogid has its own
    if idle < IDLE:
        print("# only %d idle connections fit under RLIMIT_NOFILE %d" % (idle, limit))

    # ogid inherits the raised limit; its idle timeout applies to
    # unauthenticated connections only, the idle ones here authenticate.
    d = Daemon(config="max_connections = 20000\n")
    try:
        pid = d.proc.pid
        eq(nofile_of(pid) >= idle + SLOW + FLOOD + 100, True,
           "ogid may open enough descriptors (limit %d)" % nofile_of(pid))
        admin = d.admin()
        tok = admin.call("user.create", {"name": "cl", "roles": ["clerk", "supervisor"]})["token"]
        admin.close()
        seed = d.client(tok)
        for i in range(60):
            seed.call("app.submit", {"applicant": {"kind": "natural_person", "name": "seed %d" % i},
                                     "channel": "mail", "description": "种子 " * 200})
        seed.close()
        time.sleep(0.3)
        rss0 = rss_kb(pid)
        print("# VmRSS at start: %d KB" % rss0)

        good = GoodClient(d, tok)
        good.start()
        phases = [("idle connections opening", time.time())]

        # Phase 1: idle connections, authenticated, in batches.
        t0 = time.time()
        idle_socks, bad = [], 0
        auth = line("auth", {"token": tok})
        for base in range(0, idle, 1000):
            batch = []
            for _ in range(min(1000, idle - base)):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
                s.sendall(auth)
                batch.append(s)
            res = read_lines(batch, 60)
            bad += sum(1 for r in res.values() if not (r and "result" in r))
            idle_socks += batch
        eq(bad, 0, "%d idle connections open and authenticated (%.1f s)" %
           (len(idle_socks), time.time() - t0))
        time.sleep(1)
        rss1 = rss_kb(pid)
        per = (rss1 - rss0) * 1024.0 / max(1, len(idle_socks))
        print("# VmRSS with %d idle connections: %d KB (+%d KB, %.0f bytes each)" %
              (len(idle_socks), rss1, rss1 - rss0, per))
        h = d.client(tok)
        conns = h.call("system.health")["connections"]
        h.close()
        ok(conns >= len(idle_socks), "system.health counts them (%d)" % conns)

        # Phase 2: slow writers and flooders at once.
        slow = []
        for _ in range(SLOW):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
            s.setblocking(False)
            slow.append(s)
        flood_stop = threading.Event()
        flooded = {"bytes": 0, "closed": 0}
        fts = start_flooders(d.port, auth, FLOOD, flood_stop, flooded)
        phases.append(("slow writers and flooders", time.time()))

        t1 = time.time()
        msg = auth
        peak = rss_kb(pid)
        for i in range(len(msg)):
            t = time.time()
            for s in slow:
                try:
                    s.send(msg[i:i + 1])
                except OSError:
                    pass
            peak = max(peak, rss_kb(pid))
            time.sleep(max(0, 0.1 - (time.time() - t)))
        res = read_lines(slow, 30)
        answered = sum(1 for r in res.values() if r and "result" in r)
        eq(answered, len(slow), "%d slow writers (a byte per 100 ms, %.1f s) all answered" %
           (len(slow), time.time() - t1))
        peak = max(peak, rss_kb(pid))
        flood_stop.set()
        for t in fts:
            t.join(10)
        phases.append(("after the flood", time.time()))
        print("# flooders sent %d MB without reading; %d were cut off" %
              (flooded["bytes"] >> 20, flooded["closed"]))
        print("# VmRSS peak with slow writers and flooders: %d KB" % peak)

        phases.append(("sampling idle connections", time.time()))
        # The idle connections are all still served.
        sample = idle_socks[::max(1, len(idle_socks) // 200)]
        for s in sample:
            s.setblocking(True)
            s.sendall(line("system.health", id=7))
        res = read_lines(sample, 30)
        eq(sum(1 for r in res.values() if r and "result" in r), len(sample),
           "idle connections still answered afterwards (%d sampled)" % len(sample))

        good.stop.set()
        good.join(30)
        lat = good.lat
        print("# well-behaved client: %d calls, median %.1f ms, p99 %.1f ms, max %.1f ms" %
              (len(lat), 1000 * pct(lat, 0.5), 1000 * pct(lat, 0.99), 1000 * max(lat or [0])))
        eq(good.failures, [], "the well-behaved client was never refused or dropped")
        ok(lat and max(lat) < LATENCY_LIMIT,
           "the well-behaved client was served within %.1f s throughout" % LATENCY_LIMIT)

        # Where the slowest round trips fell.
        worst = sorted(zip(lat, good.when), reverse=True)[:3]
        for l, t in worst:
            ph = [name for name, start in phases if start <= t]
            print("#   %.0f ms during %s" % (1000 * l, ph[-1] if ph else "start"))

        for s in idle_socks + slow:
            s.close()
        time.sleep(2)
        rss2 = rss_kb(pid)
        print("# VmRSS after everyone left: %d KB" % rss2)

        # Memory is reused, not leaked: the same flood again stays near the peak.
        stop2, stats2 = threading.Event(), {"bytes": 0, "closed": 0}
        ts = start_flooders(d.port, auth, FLOOD, stop2, stats2)
        time.sleep(8)
        stop2.set()
        for t in ts:
            t.join(10)
        time.sleep(1)
        rss3 = rss_kb(pid)
        print("# VmRSS after a second flood: %d KB" % rss3)
        ok(rss3 <= peak * 1.2 + 10240, "a second flood does not grow memory (%d KB, peak %d KB)" %
           (rss3, peak))
        h = d.client(tok)
        conns = h.call("system.health")["connections"]
        h.close()
        ok(conns <= 5, "connections released (%d left)" % conns)
        ok(d.proc.poll() is None, "ogid never crashed")
    finally:
        rc = d.stop(timeout=60)
        eq(rc, 0, "ogid exits 0 on SIGTERM")
        d.proc = None
        d.cleanup()


def test_writes_under_sustained_read_load():
    """Busy clients that do read their answers keep some socket readable in
    every turn of the loop; a write must still be committed and answered
    promptly (the group commit must not wait for an idle loop)."""
    d = Daemon()
    try:
        admin = d.admin()
        tok = admin.call("user.create", {"name": "cl", "roles": ["clerk"]})["token"]
        for i in range(60):
            admin.call("app.submit", {"applicant": {"kind": "natural_person", "name": "s%d" % i},
                                      "channel": "mail", "description": "种子 " * 200})
        admin.close()
        auth = line("auth", {"token": tok})
        stop = threading.Event()

        def reader():
            s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
            s.sendall(auth)
            req = b"".join(line("app.list", {"limit": 500}, id=i) for i in range(50))

            def drain():
                try:
                    while s.recv(1 << 20):
                        pass
                except OSError:
                    pass
            threading.Thread(target=drain, daemon=True).start()
            try:
                while not stop.is_set():
                    s.sendall(req)
            except OSError:
                pass
            s.close()
        rs = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
        for t in rs:
            t.start()
        time.sleep(0.5)
        c = d.client(tok, timeout=30)
        lat, failures = [], []
        end = time.time() + 6
        while time.time() < end:
            t = time.time()
            try:
                c.sock.settimeout(30)
                resp = c.request("app.submit", {"applicant": {"kind": "natural_person", "name": "w"},
                                                "channel": "online", "description": "under load"})
                if resp is None or "result" not in resp:
                    failures.append(resp)
            except OSError as e:
                failures.append(repr(e))
                break
            lat.append(time.time() - t)
            time.sleep(0.05)
        stop.set()
        for t in rs:
            t.join(10)
        c.close()
        print("# %d submits under read load: median %.0f ms, max %.0f ms" %
              (len(lat), 1000 * pct(lat, 0.5), 1000 * max(lat or [0])))
        eq(failures, [], "writes under a sustained read load are answered")
        ok(lat and max(lat) < 1.0, "each write under a sustained read load is answered within 1 s",
           "the group commit runs at a lower libevent priority than the connections"
           " (daemon/commit.c), so it waits while any connection is readable")
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
