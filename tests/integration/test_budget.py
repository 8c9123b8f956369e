"""The output budget: clients that never read hold at most
max_output_total bytes together; past it they are dropped, not paused, and
everyone else is still served."""
import json
import socket
import time

from harness import Daemon, eq, main, ok


def test_clients_that_never_read_share_a_budget():
    d = Daemon(config="max_output_bytes = 65536\nmax_output_total = 1048576\n")
    try:
        lim = d.admin()
        eq(lim.call("system.health")["limits"]["max_output_total"], 1048576,
           "the budget is a setting, shown by system.health")
        lim.close()
        req = json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "auth",
                           "params": {"token": d.admin_token}}] +
                         [{"jsonrpc": "2.0", "id": i, "method": "calendar.get",
                           "params": {"year": 2026}} for i in range(2, 40)]) + "\n"
        socks = []
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", d.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            socks.append(s)
        deadline = time.time() + 8
        while time.time() < deadline:
            for s in socks:
                try:
                    s.send(req.encode())
                except (BlockingIOError, OSError):
                    pass
            time.sleep(0.05)
            if d.read_log().count("reason=output_budget") >= 5:
                break
        n = d.read_log().count("reason=output_budget")
        ok(n >= 1, "clients past the budget are dropped (%d)" % n)
        c = d.admin()
        t = time.time()
        eq(c.call("system.health")["ok"], True, "a new client is served")
        ok(time.time() - t < 2, "promptly")
        c.close()
        for s in socks:
            s.close()
    finally:
        d.cleanup()


def test_subscribers_that_never_read_share_the_budget():
    """Pushed events count too: a subscriber that never reads is paused
    when its unsent output passes max_output_bytes, and one that would take
    the paused past max_output_total is dropped; before, each held up to
    max_output_bytes of events with no sum."""
    d = Daemon(config="max_output_bytes = 65536\nmax_output_total = 1048576\n")
    try:
        rtok, rev = d.user("rev", "reviewer")
        rev.close()
        _, clerk = d.user("clerk", "clerk")
        subs = []
        for _ in range(24):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", d.port))
            s.sendall((json.dumps([
                {"jsonrpc": "2.0", "id": 1, "method": "auth", "params": {"token": rtok}},
                {"jsonrpc": "2.0", "id": 2, "method": "events.subscribe",
                 "params": {"types": ["submitted"]}}]) + "\n").encode())
            subs.append(s)
        time.sleep(0.3)  # subscribed; from here on nobody reads
        # Notifications: the clerk gets one short answer a batch.
        batch = [{"jsonrpc": "2.0", "method": "app.submit", "params": {
            "applicant": {"kind": "natural_person", "name": "推送%d" % i},
            "channel": "online", "description": "推送预算" * 20}} for i in range(1000)]
        batch.append({"jsonrpc": "2.0", "id": 1, "method": "system.health"})
        line = (json.dumps(batch) + "\n").encode()
        deadline = time.time() + 30
        while time.time() < deadline and \
                d.read_log().count("reason=output_budget") < 8:
            clerk.send_raw(line)
            clerk.recv_line(30)
        log = d.read_log()
        n = log.count("reason=output_budget")
        ok(n >= 8, "subscribers past the budget are dropped (%d of 24; 16 fit)" % n)
        ok("event=push_dropped" in log, "the paused ones lose events")
        t = time.time()
        eq(clerk.call("system.health")["ok"], True, "the daemon still serves")
        ok(time.time() - t < 2, "promptly")
        for s in subs:
            s.close()
        clerk.close()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
