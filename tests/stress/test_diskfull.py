#!/usr/bin/env python3
"""Disk full: the database on a small tmpfs (mount -t tmpfs -o size=2m),
filled until writes fail. Writes must then fail with a clear error (-32603
or -32005 and a reason), reads keep working, nothing half-written remains
(`ogid verify` passes, versions match histories, failed submits are
absent), and once space is freed writes succeed again, without a restart.
Twice, to show the daemon recovers every time.

Needs root (mount); without it every check is reported as skipped. Run by
`make stress`; tests/integration/test_diskfull.py runs it in `make check`.
"""
import contextlib
import errno
import os
import sqlite3
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from harness import OGID, Daemon, RpcError, eq, list_all, main, ok  # noqa: E402

SIZE = os.environ.get("DISKFULL_SIZE", "2m")
# 3,000 varied CJK characters (9 KB of UTF-8; the trigram index makes more).
BIG = "".join(chr(0x4e00 + (i * 7919) % 20000) for i in range(3000))


def skip(why):
    print("ok 1 - # SKIP %s" % why, flush=True)
    print("1..1")
    sys.exit(0)


def mount_small():
    d = tempfile.mkdtemp(prefix="ogi-diskfull.")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + SIZE + ",mode=0700",
                        "tmpfs", d], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        return None, (r.stderr.strip().splitlines() or ["mount failed"])[0]
    return d, None


def umount(d):
    subprocess.run(["umount", "-l", d], capture_output=True)
    try:
        os.rmdir(d)
    except OSError:
        pass


@contextlib.contextmanager
def daemon_on_small_disk(**kw):
    """A daemon whose database is on a small tmpfs: (daemon, mount point,
    database path); stopped, checked and unmounted after."""
    small, why = mount_small()
    if small is None:
        skip("cannot mount a small tmpfs: " + why)
    work = tempfile.mkdtemp(prefix="ogi-diskfull-work.")
    d = None
    try:
        db = os.path.join(small, "ogi.db")
        d = Daemon(db=db, tmp=work, **kw)
        yield d, small, db
    finally:
        if d is not None:
            d.cleanup()
        shutil.rmtree(work, ignore_errors=True)
        umount(small)


def fill(path):
    """Write until ENOSPC; returns bytes written."""
    n = 0
    with open(path, "ab", buffering=0) as f:
        for size in (1 << 16, 4096, 512):
            chunk = b"\0" * size
            while True:
                try:
                    f.write(chunk)
                    n += size
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return n


def fill_when_log_idle(small, db):
    """Wait until the checkpointer has emptied the idle log (TRUNCATE
    after 1 s: the next commit then needs new blocks), then fill the disk;
    returns the filler's path, to unlink for space again."""
    wal = db + "-wal"
    deadline = time.time() + 30
    while time.time() < deadline and os.path.exists(wal) and \
            os.path.getsize(wal) > 0:
        time.sleep(0.1)
    ok(not os.path.exists(wal) or os.path.getsize(wal) == 0,
       "the idle log is emptied")
    filler = os.path.join(small, "filler")
    fill(filler)
    return filler


def verify(db):
    out = subprocess.run([OGID, "verify", "--db", db], capture_output=True,
                         text=True, timeout=120)
    return out.returncode, (out.stdout + out.stderr).strip()


def submit_params(ref, desc="disk full test"):
    return {"applicant": {"kind": "natural_person", "name": "满 " + ref},
            "channel": "in_person", "description": desc, "client_ref": ref}


def clear_error(e):
    """-32603 or -32005 with a message that names the reason."""
    msg = (e.get("message") or "").lower()
    return e.get("code") in (-32603, -32005) and \
        any(w in msg for w in ("full", "space", "i/o", "disk", "storage"))


def consistent(c, expect_ids):
    """Every application whole; returns a list of problems."""
    bad = []
    items = list_all(c)
    if sorted(items) != sorted(expect_ids):
        bad.append(("ids", sorted(set(items) ^ set(expect_ids))))
    for i in items:
        a = c.call("app.get", {"id": i})
        hist = [h for h in a["history"] if not h["method"].startswith("timer.")]
        if not hist or hist[0]["method"] != "app.submit" or len(hist) != a["version"]:
            bad.append((i, a["version"], [h["method"] for h in hist]))
    return bad


def test_disk_full():
    with daemon_on_small_disk() as (d, small, db):
        pid = d.proc.pid
        admin = d.admin()
        tok = admin.call("user.create", {"name": "cl", "roles": ["clerk", "supervisor"]})["token"]
        admin.call("user.create", {"name": "rv", "roles": ["reviewer"]})
        admin.close()
        c = d.client(tok)
        ids = [c.call("app.submit", submit_params("base-%d" % i))["id"] for i in range(3)]

        # Headroom left after filling: none, then room for a few writes, so
        # the disk also fills up while the WAL grows. (Freeing must free
        # enough: SQLite checkpoints the WAL only at 1000 pages, 4 MB, so on
        # a 2 MB disk the WAL only grows.)
        for rnd, room in ((1, 0), (2, 512 << 10)):
            filler = os.path.join(small, "filler")
            filled = fill(filler)
            os.truncate(filler, max(0, filled - room))
            print("# round %d: filler %d KB, %d KB left" % (rnd, filled // 1024, room >> 10))

            # Write until the disk refuses, then a little more.
            failed, errors, after_fail = [], [], 0
            accepted = 0
            for n in range(400):
                ref = "r%d-%d" % (rnd, n)
                if n % 3 == 2 and len(ids) > 3:
                    # Transitions too: extend a day on a running application.
                    resp = c.request("app.extend", {"id": ids[3 + n % (len(ids) - 3)],
                                                    "days": 1, "reason": BIG[:2000]})
                    if resp is not None and "error" in resp and \
                            resp["error"].get("code") in (-32004, -32602):
                        continue  # used up its extension days: not about space
                else:
                    resp = c.request("app.submit", submit_params(ref, BIG))
                if resp is None:
                    errors.append("connection closed")
                    break
                if "error" in resp:
                    if n % 3 != 2:
                        failed.append(ref)
                    if not clear_error(resp["error"]):
                        errors.append(resp["error"])
                    after_fail += 1
                    if after_fail >= 6:
                        break
                else:
                    accepted += 1
                    if resp["result"].get("client_ref") == ref:
                        ids.append(resp["result"]["id"])
            ok(after_fail, "round %d: writes fail once the disk is full (%d accepted first)" %
               (rnd, accepted))
            eq(errors, [], "round %d: each failure is -32603/-32005 with a reason" % rnd)
            if failed:
                print("# e.g. %r" % c.error("app.submit", submit_params("probe%d" % rnd, BIG)))
            # Concurrent writers on the full disk share group commits.
            burst = []

            def writer(k):
                cc = d.client(tok)
                for j in range(5):
                    ref = "b%d-%d-%d" % (rnd, k, j)
                    burst.append((ref, cc.request("app.submit", submit_params(ref, BIG[:500]))))
                cc.close()
            ts = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            bad = []
            for ref, resp in burst:
                if resp is None or ("error" in resp and not clear_error(resp["error"])):
                    bad.append((ref, resp))
                elif "error" in resp:
                    failed.append(ref)
                else:
                    ids.append(resp["result"]["id"])
            eq(bad, [], "round %d: concurrent writers get results or clear errors" % rnd)
            # A transition on a full disk: refused cleanly, or (if it fit) done.
            e = c.error("app.assign", {"id": ids[0], "reviewer": "rv"})
            ok(e is None or clear_error(e), "round %d: a transition fails cleanly" % rnd, e)
            ok(d.proc.poll() is None, "round %d: ogid is still running" % rnd)

            # Reads keep working, on this connection and on a new one.
            try:
                h = c.call("system.health")
                a = c.call("app.get", {"id": ids[0]})
                lst = c.call("app.list", {"limit": 5})
                add = c.call("calendar.add", {"date": "2026-09-30", "days": 5})
                c2 = d.client(tok)
                c2.call("app.get", {"id": ids[-1]})
                c2.close()
                reads = a["id"] == ids[0] and len(lst["items"]) > 0 and add
            except (RpcError, OSError) as ex:
                reads = False
                print("# read failed: %r" % ex)
            ok(reads, "round %d: reads keep working on a full disk" % rnd)
            if e is not None:
                # The last write failed: monitoring sees it.
                ok(reads and h["ok"] is False and h["storage"]["failed_commits"] >= 1 and
                   "full" in h["storage"]["error"],
                   "round %d: system.health is not ok while writes fail" % rnd,
                   reads and (h["ok"], h.get("storage")))

            rc, msg = verify(db)
            ok(rc == 0, "round %d: ogid verify passes on the full disk" % rnd, msg)
            eq(consistent(c, ids), [], "round %d: nothing half-written" % rnd)

            # Free the space: writes work again, same process.
            os.unlink(filler)
            try:
                # A few of the refused submits, retried with their client_ref
                # (each write adds some 70 KB to the WAL: a 2 MB disk holds
                # only a few dozen).
                for ref in failed[:3]:
                    ids.append(c.call("app.submit", submit_params(ref))["id"])
                res = c.call("app.extend", {"id": ids[1], "days": 1, "reason": "after"})
                again = res["deadline"]["extension_days"] >= 1 and d.proc.pid == pid
            except (RpcError, OSError) as ex:
                again = False
                print("# write after freeing failed: %r" % ex)
                print("# " + subprocess.run(["sh", "-c", "ls -la %s; df -k %s" % (small, small)],
                                            capture_output=True, text=True).stdout.replace("\n", "\n# "))
            ok(again, "round %d: writes succeed again after freeing space, no restart" % rnd)
            h = c.call("system.health")
            ok(h["ok"] is True and "storage" not in h,
               "round %d: and system.health is ok again" % rnd, h)
        eq(consistent(c, ids), [], "every answered write is there, once, whole")
        c.close()
        rc = d.stop()
        eq(rc, 0, "ogid exits 0 on SIGTERM")
        rc, msg = verify(db)
        ok(rc == 0, "ogid verify passes at the end", msg)
        d.start()  # for cleanup's sanitizer check


def test_clock_set_on_full_disk():
    """A clock.set whose commit fails leaves the fake clock where it was."""
    with daemon_on_small_disk(fake_clock="2026-03-02T09:00:00+08:00") as \
            (d, small, db):
        admin = d.admin()
        tok = admin.call("user.create", {"name": "cl", "roles": ["clerk"]})["token"]
        c = d.client(tok)
        for i in range(3):
            c.call("app.submit", submit_params("clock-%d" % i))
        before = admin.call("system.health")["now"]
        filler = fill_when_log_idle(small, db)
        # A month on: the three applications' due-soon events are written.
        later = "2026-04-02T09:00:00+08:00"
        resp = admin.request("clock.set", {"now": later})
        ok(resp is not None and "error" in resp and clear_error(resp["error"]),
           "clock.set is refused on the full disk, with a reason", resp)
        eq(admin.call("system.health")["now"], before,
           "the fake clock stays where it was after the failed commit")
        os.unlink(filler)
        res = admin.call("clock.set", {"now": later})
        eq((res["now"], admin.call("system.health")["now"]), (later, later),
           "after freeing space clock.set moves the clock")
        ok(len(res["fired"]) >= 3, "and fires what fell due", res["fired"])
        c.close()
        admin.close()


def test_unknown_year_logged_only_when_committed():
    """The log line about a deadline into a year with no calendar is
    written when its write commits: a submit refused on a full disk logs
    nothing, its retry after space is freed does."""
    with daemon_on_small_disk(fake_clock="2026-12-15T09:00:00+08:00") as \
            (d, small, db):
        admin = d.admin()
        tok = admin.call("user.create", {"name": "uy", "roles": ["clerk"]})["token"]
        c = d.client(tok)
        filler = fill_when_log_idle(small, db)
        line = "no holiday calendar for 2027"
        p = submit_params("uy-1")
        p["received_on"] = "2026-12-15"
        resp = c.request("app.submit", p)
        ok(resp is not None and "error" in resp and clear_error(resp["error"]),
           "a submit due in 2027 is refused on the full disk", resp)
        ok(line not in d.read_log(), "and nothing is logged about 2027",
           d.read_log()[-1500:])
        os.unlink(filler)
        a = c.call("app.submit", p)
        ok(a["deadline"]["due_on"].startswith("2027-"), "the retry is due in 2027",
           a["deadline"])
        eq(d.read_log().count(line), 1, "and the log names 2027 once, for it")
        ok("(first: %s)" % a["id"] in d.read_log(), "with its id")
        c.close()
        admin.close()


def test_reload_on_full_disk():
    """A SIGHUP that changes due_soon_days recomputes every timer in one
    commit; if that commit fails, the setting goes back."""
    with daemon_on_small_disk(config="due_soon_days = 3\n") as (d, small, db):
        admin = d.admin()
        for i in range(3):
            admin.call("app.submit", submit_params("reload-%d" % i))
        filler = fill_when_log_idle(small, db)
        conf = os.path.join(d.tmp, "ogid.conf")
        with open(conf, "w") as f:
            f.write("due_soon_days = 5\n")

        def due_soon_after_reload(want_log):
            n = d.read_log().count(want_log)
            d.proc.send_signal(signal.SIGHUP)
            end = time.time() + 10
            while time.time() < end and d.read_log().count(want_log) == n:
                time.sleep(0.05)
            return admin.call("system.health")["limits"]["due_soon_days"]

        eq(due_soon_after_reload("due_soon_days back to 3"), 3,
           "the reload's commit fails on the full disk: due_soon_days stays 3")
        os.unlink(filler)
        eq(due_soon_after_reload("event=reload_config"), 5,
           "reloaded again with space: 5")
        time.sleep(0.5)
        eq(admin.call("system.health")["limits"]["due_soon_days"], 5,
           "and stays 5 once its commit is through")
        ok("due_soon_days back to" not in d.read_log().split("event=reload_config")[-1],
           "nothing went back the second time")
        admin.close()

def test_calendar_reload_on_full_disk():
    """SIGHUP finds the calendar table changed by hand while the disk is
    full: the deadlines cannot be moved, so the running calendar stays, and
    the next SIGHUP with space moves them (before, memory took the table's
    calendar and no later SIGHUP saw a difference)."""
    with daemon_on_small_disk(fake_clock="2026-03-02T09:00:00+08:00") as (d, small, db):
        a = d.admin()
        aid = a.call("app.submit", submit_params("cal1"))["id"]
        due = a.call("app.get", {"id": aid})["deadline"]["due_on"]
        con = sqlite3.connect(db, timeout=10)
        row = con.execute("SELECT holidays FROM calendar WHERE year = 2026").fetchone()
        con.execute("UPDATE calendar SET holidays = ? WHERE year = 2026",
                    (row[0] + ",2026-03-10",))
        con.commit()
        con.close()
        filler = fill_when_log_idle(small, db)
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        ok("2026-03-10" not in a.call("calendar.get", {"year": 2026})["holidays"] and
           a.call("app.get", {"id": aid})["deadline"]["due_on"] == due,
           "on a full disk the running calendar and its deadlines stay together")
        os.unlink(filler)
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        eq(a.call("app.get", {"id": aid})["deadline"]["due_on"],
           a.call("calendar.add", {"date": due, "days": 1}),
           "with space again, the next SIGHUP moves the deadline")
        a.close()


if __name__ == "__main__":
    main(globals())
