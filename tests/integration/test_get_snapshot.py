"""app.get renders an application from one snapshot of the database: its
row (state, version), its clock records (deadline.explain) and its history
are read by three statements of the reader's connection, and each of them
alone saw the newest commit when it began. A commit that lands between
them gave one answer with the state and version of one commit and the
history and pauses of a later one (a "torn" view, seen once by
test_deadline_model's check).

The daemon's own writes commit on its loop thread, between two requests,
so here the commits come from a second connection to the database (as a
sqlite3 shell's would): each one adds a change to the history of an
application and counts it in its version, in one transaction. Every view
must agree with its own history whatever lands while it is read."""
import signal
import subprocess
import sys
import time

from harness import Daemon, eq, main, ok

NAPPS = 100
SECONDS = 4


# Each commit: an application's last change once more, counted in its
# version. It prints how many it made when told to stop.
WRITER = r"""
import random, signal, sqlite3, sys, time
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
con.execute("PRAGMA synchronous = OFF")
ids, rng, n = sys.argv[2:], random.Random(7), 0
while not stop:
    id = rng.choice(ids)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO events(app_id, at, content, prev_hash, hash)"
                " SELECT app_id, at, content, prev_hash, hash FROM events"
                " WHERE app_id = ? ORDER BY seq DESC LIMIT 1", (id,))
    con.execute("UPDATE apps SET version = version + 1 WHERE id = ?", (id,))
    con.execute("COMMIT")
    n += 1
    if n % 32 == 0:
        time.sleep(0.001)  # room for the daemon's own writes
print(n)
"""


def torn(view):
    h = view["history"]
    changes = sum(1 for e in h if e["method"] not in ("timer.due_soon", "timer.overdue"))
    return bool(h) and (h[-1]["to"] != view["state"] or changes != view["version"])


def test_get_reads_one_snapshot():
    d = Daemon()
    try:
        admin = d.admin()
        _, clerk = d.user("clerk", "clerk")
        _, rev = d.user("rev", "reviewer")
        ids = []
        for i in range(NAPPS):
            id = clerk.call("app.submit", {
                "applicant": {"kind": "natural_person", "name": "快照%d" % i},
                "channel": "online", "description": "一次读取"})["id"]
            clerk.call("app.assign", {"id": id, "reviewer": "rev"})
            ids.append(id)
        # The writer is a process of its own: a thread would share the
        # interpreter's lock with the reader and barely run.
        w = subprocess.Popen([sys.executable, "-c", WRITER, d.db] + ids,
                             stdout=subprocess.PIPE, text=True)
        bad, gets = [], 0
        try:
            r, end = 0, time.time() + SECONDS
            while time.time() < end:
                r += 1
                # A calendar change empties app.get's cache: every get
                # below renders the application again.
                admin.call("calendar.set", {"year": 2030 + r % 2, "holidays": [],
                                            "workdays": []})
                for id in ids:
                    v = rev.call("app.get", {"id": id})
                    gets += 1
                    if torn(v):
                        bad.append((id, v["state"], v["version"], len(v["history"])))
        finally:
            w.send_signal(signal.SIGTERM)
            out, _ = w.communicate(timeout=30)
        writes = int(out.split()[-1]) if out.split() else 0
        print("# %d gets, %d commits beside them" % (gets, writes))
        ok(writes > 100, "commits landed while the views were read (%d)" % writes)
        eq(bad[:5], [], "every view agrees with its own history (%d of %d torn)" % (
            len(bad), gets))
        admin.close()
        clerk.close()
        rev.close()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
