#!/usr/bin/env python3
"""SPEC section 6: the history is a hash chain, and `ogid verify --db FILE`
proves it has not been edited behind the daemon's back: an edited,
deleted, inserted or reordered event is found and named."""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import OGID, Daemon, eq, main, ok  # noqa: E402
from test_workflow import World  # noqa: E402

_state = {}


def verify(db):
    return subprocess.run([OGID, "verify", "--db", db], capture_output=True, text=True,
                          timeout=60)


def names_event(r, seq):
    """verify's output names event `seq` (and no other number as the bad one)."""
    out = r.stdout + r.stderr
    return re.search(r"\bevent %d\b" % seq, out) is not None


def sanitizer_clean(r, what):
    out = r.stdout + r.stderr
    ok("AddressSanitizer" not in out and "runtime error:" not in out and
       "LeakSanitizer" not in out, "%s: verify ran clean under sanitizers" % what, out[-2000:])


def setup():
    """A database with a few applications and transitions; the daemon stopped."""
    if _state:
        return _state
    w = World()
    a = w.to_state("replied")["id"]
    b = w.to_state("consultation")["id"]
    w.go(b, ("rev", "app.consulted", {"opinion": "同意公开"}),
         ("rev", "app.review", {"outcome": "grant", "note": "予以公开"}),
         ("sec", "app.secrecy", {"result": "pass", "note": "无涉密"}))
    c = w.to_state("fee")["id"]
    w.go(a, ("clerk", "app.appeal", {"kind": "reconsideration"}))
    w.clock("2026-04-15T09:00:00+08:00")  # timers: the fee lapses, others due/overdue
    w.submit(name="王五", desc="最后一个申请")
    tmp = w.d.tmp
    rc = w.d.stop()
    eq(rc, 0, "daemon stopped cleanly")
    db = os.path.join(tmp, "keep.db")
    # A self-contained copy (the WAL folded in by the clean stop).
    shutil.copy(w.d.db, db)
    for ext in ("-wal", "-shm"):
        if os.path.exists(w.d.db + ext):
            shutil.copy(w.d.db + ext, db + ext)
    _state.update(w=w, db=db, tmp=tmp, apps=(a, b, c))
    return _state


def copy_db(name):
    s = setup()
    dst = os.path.join(s["tmp"], name + ".db")
    shutil.copy(s["db"], dst)
    for ext in ("-wal", "-shm"):
        if os.path.exists(s["db"] + ext):
            shutil.copy(s["db"] + ext, dst + ext)
    return dst


def sql(db, *stmts):
    con = sqlite3.connect(db)
    try:
        out = None
        for st in stmts:
            if isinstance(st, tuple):
                out = con.execute(*st).fetchall()
            else:
                out = con.execute(st).fetchall()
        con.commit()
        return out
    finally:
        con.close()


def test_intact_chain_verifies():
    s = setup()
    db = copy_db("intact")
    r = verify(db)
    eq(r.returncode, 0, "verify on an untouched database: exit 0")
    n = sql(db, "SELECT count(*) FROM events")[0][0]
    ok(n >= 15, "the database has a real history (%d events)" % n)
    ok(str(n) in r.stdout, "verify says how many events it checked", r.stdout)
    sanitizer_clean(r, "intact")
    # The chain is what SPEC section 6 says: SHA-256(prev || content).
    rows = sql(db, "SELECT seq, content, prev_hash, hash FROM events ORDER BY seq")
    prev = bytes(32)
    bad = []
    for seq, content, ph, h in rows:
        if bytes(ph) != prev or hashlib.sha256(prev + content.encode()).digest() != bytes(h):
            bad.append(seq)
        prev = bytes(h)
    eq(bad, [], "each hash is SHA-256(previous hash || content), from 32 zero bytes")
    ev = json.loads(rows[0][1])
    for key in ("app", "at", "actor", "method", "from", "to", "params", "version"):
        ok(key in ev, "event content has %s" % key, ev)
    systems = [json.loads(c) for _, c, _, _ in rows if json.loads(c)["actor"] == "system"]
    ok(any(e["method"] == "timer.lapse" for e in systems), "timer events are in the chain too")
    # verify leaves the database alone.
    r2 = verify(db)
    eq(r2.returncode, 0, "verify twice: still exit 0")


def middle_seq(db):
    n = sql(db, "SELECT min(seq), max(seq) FROM events")[0]
    return (n[0] + n[1]) // 2


def test_edited_content_is_named():
    db = copy_db("edited")
    n = middle_seq(db)
    content = sql(db, ("SELECT content FROM events WHERE seq = ?", (n,)))[0][0]
    ev = json.loads(content)
    old = ev["actor"]
    sql(db, ("UPDATE events SET content = replace(content, ?, ?) WHERE seq = ?",
             ('"actor":"%s"' % old, '"actor":"mallory"', n)))
    changed = sql(db, ("SELECT content FROM events WHERE seq = ?", (n,)))[0][0]
    ok(changed != content, "(the event was edited)")
    r = verify(db)
    ok(r.returncode != 0, "verify after editing event %d: non-zero exit" % n, r.stdout + r.stderr)
    ok(names_event(r, n), "verify names event %d" % n, r.stdout + r.stderr)
    sanitizer_clean(r, "edited")
    # A one-character change to the last event.
    db = copy_db("edited_last")
    last = sql(db, "SELECT max(seq) FROM events")[0][0]
    sql(db, ("UPDATE events SET content = replace(content, '\"version\":', '\"version\":0')"
             " WHERE seq = ?", (last,)))
    r = verify(db)
    ok(r.returncode != 0 and names_event(r, last), "an edit to the last event is named too",
       r.stdout + r.stderr)
    # Editing the hash along with the content does not help.
    db = copy_db("rehashed")
    row = sql(db, ("SELECT content, prev_hash FROM events WHERE seq = ?", (n,)))[0]
    forged = row[0].replace('"actor":"%s"' % old, '"actor":"mallory"')
    h = hashlib.sha256(bytes(row[1]) + forged.encode()).digest()
    sql(db, ("UPDATE events SET content = ?, hash = ? WHERE seq = ?", (forged, h, n)))
    r = verify(db)
    ok(r.returncode != 0 and names_event(r, n + 1),
       "a re-hashed edit breaks the next event's link (event %d named)" % (n + 1),
       r.stdout + r.stderr)


def test_deleted_event_is_found():
    db = copy_db("deleted")
    n = middle_seq(db)
    sql(db, ("DELETE FROM events WHERE seq = ?", (n,)))
    r = verify(db)
    ok(r.returncode != 0, "verify after deleting event %d: non-zero exit" % n,
       r.stdout + r.stderr)
    ok(names_event(r, n), "verify names the missing event %d" % n, r.stdout + r.stderr)
    # The first event.
    db = copy_db("deleted_first")
    first = sql(db, "SELECT min(seq) FROM events")[0][0]
    sql(db, ("DELETE FROM events WHERE seq = ?", (first,)))
    r = verify(db)
    ok(r.returncode != 0 and names_event(r, first),
       "deleting the first event is found (event %d named)" % first, r.stdout + r.stderr)
    # The last event: no later link to break, but the head every commit
    # records (meta chain_head) is gone from the chain.
    db = copy_db("deleted_last")
    last, app = sql(db, "SELECT seq, app_id FROM events ORDER BY seq DESC LIMIT 1")[0]
    ok('"method":"app.submit"' in sql(db, ("SELECT content FROM events WHERE seq = ?",
                                           (last,)))[0][0], "(the last event is a submit)")
    sql(db, ("DELETE FROM events WHERE seq = ?", (last,)))
    r = verify(db)
    ok(r.returncode != 0, "deleting the last event is found", r.stdout + r.stderr)
    ok(names_event(r, last), "verify names the missing event %d" % last, r.stdout + r.stderr)
    # With the head moved back as well, the application's version no
    # longer matches its history.
    sql(db, ("UPDATE meta SET value = (SELECT seq || ' ' || lower(hex(hash)) FROM events"
             " ORDER BY seq DESC LIMIT 1) WHERE key = 'chain_head'",))
    r = verify(db)
    ok(r.returncode != 0 and app in r.stdout + r.stderr,
       "with the head moved back too: the application %s is named" % app,
       r.stdout + r.stderr)
    # The head itself removed.
    db = copy_db("no_head")
    sql(db, "DELETE FROM meta WHERE key = 'chain_head'")
    r = verify(db)
    ok(r.returncode != 0 and "head" in r.stdout + r.stderr,
       "a database whose recorded head was removed fails", r.stdout + r.stderr)


def test_deleted_timer_event_at_the_end_is_found():
    """A due-soon or overdue event changes no version: only the recorded
    head shows it was cut off the end of the history."""
    w = World()
    w.submit(name="赵六", desc="到期提醒")
    w.clock("2026-04-15T09:00:00+08:00")  # due soon and overdue
    tmp = w.d.tmp
    eq(w.d.stop(), 0, "daemon stopped cleanly")
    db = os.path.join(tmp, "timer_last.db")
    shutil.copy(w.d.db, db)
    r = verify(db)
    ok(r.returncode == 0, "verify before: exit 0", r.stdout + r.stderr)
    last, content = sql(db, "SELECT seq, content FROM events ORDER BY seq DESC LIMIT 1")[0]
    ok('"method":"timer.' in content, "(the last event is a timer's)", content)
    sql(db, ("DELETE FROM events WHERE seq = ?", (last,)))
    r = verify(db)
    ok(r.returncode != 0 and names_event(r, last),
       "deleting the last event, a timer's, is found (event %d named)" % last,
       r.stdout + r.stderr)


def test_changed_state_is_found():
    db = copy_db("state_changed")
    a, b, _ = setup()["apps"]
    sql(db, ("UPDATE apps SET state = (SELECT state FROM apps WHERE id = ?) WHERE id = ?",
             (b, a)))
    r = verify(db)
    ok(r.returncode != 0 and a in r.stdout + r.stderr,
       "an application's state changed behind the daemon: %s named" % a,
       r.stdout + r.stderr)


def test_head_of_an_older_database():
    """Migration 12 records the head of a database made before it. verify
    reads without migrating: it refuses the older schema, and the daemon
    upgrades it."""
    db = copy_db("older")
    sql(db, "DELETE FROM meta WHERE key = 'chain_head'", "PRAGMA user_version = 11")
    r = verify(db)
    ok(r.returncode != 0 and "version 11 is older" in r.stderr,
       "verify refuses an older database, unchanged", r.stdout + r.stderr)
    eq(sql(db, "SELECT value FROM meta WHERE key = 'chain_head'"), [],
       "(it records no head yet)")
    d = Daemon(db=db)
    d.cleanup()
    r = verify(db)
    ok(r.returncode == 0, "an older database verifies once upgraded", r.stdout + r.stderr)
    head = sql(db, "SELECT value FROM meta WHERE key = 'chain_head'")
    last = sql(db, "SELECT seq || ' ' || lower(hex(hash)) FROM events"
                   " ORDER BY seq DESC LIMIT 1")[0][0]
    eq(head, [(last,)], "its head is its last event")


def test_reordered_events_are_found():
    db = copy_db("swapped")
    n = middle_seq(db)
    m = n + 3
    rows = dict(sql(db, ("SELECT seq, content FROM events WHERE seq IN (?, ?)", (n, m))))
    sql(db, ("UPDATE events SET content = ? WHERE seq = ?", (rows[m], n)),
        ("UPDATE events SET content = ? WHERE seq = ?", (rows[n], m)))
    r = verify(db)
    ok(r.returncode != 0, "verify after swapping events %d and %d: non-zero exit" % (n, m),
       r.stdout + r.stderr)
    ok(names_event(r, n), "verify names event %d, the first out of place" % n,
       r.stdout + r.stderr)
    # Whole rows swapped (content and hashes): the links break.
    db = copy_db("swapped_rows")
    rows = {s: (c, p, h) for s, c, p, h in
            sql(db, ("SELECT seq, content, prev_hash, hash FROM events WHERE seq IN (?, ?)",
                     (n, n + 1)))}
    sql(db, ("UPDATE events SET content = ?, prev_hash = ?, hash = ? WHERE seq = ?",
             rows[n + 1] + (n,)),
        ("UPDATE events SET content = ?, prev_hash = ?, hash = ? WHERE seq = ?",
         rows[n] + (n + 1,)))
    r = verify(db)
    ok(r.returncode != 0 and names_event(r, n),
       "whole rows swapped: event %d named" % n, r.stdout + r.stderr)


def test_other_tampering():
    n = middle_seq(setup()["db"])
    # An event moved to another application.
    db = copy_db("moved")
    a, b, _ = setup()["apps"]
    app = sql(db, ("SELECT app_id FROM events WHERE seq = ?", (n,)))[0][0]
    other = b if app != b else a
    sql(db, ("UPDATE events SET app_id = ? WHERE seq = ?", (other, n)))
    r = verify(db)
    ok(r.returncode != 0 and names_event(r, n), "an event moved to another application: named",
       r.stdout + r.stderr)
    # Its time column changed.
    db = copy_db("retimed")
    sql(db, ("UPDATE events SET at = at - 86400 WHERE seq = ?", (n,)))
    r = verify(db)
    ok(r.returncode != 0 and names_event(r, n), "an event's time column changed: named",
       r.stdout + r.stderr)
    # An event inserted at the end, with a correct link, for an application
    # whose version does not follow.
    db = copy_db("appended")
    last, h, app = sql(db, "SELECT seq, hash, app_id FROM events ORDER BY seq DESC LIMIT 1")[0]
    content = json.dumps({"app": app, "at": "2026-04-15T09:00:00+08:00", "actor": "mallory",
                          "method": "app.reply", "from": "ready", "to": "replied",
                          "params": {}, "version": 99}, sort_keys=True, separators=(",", ":"))
    sql(db, ("INSERT INTO events(seq, app_id, at, content, prev_hash, hash) VALUES (?,?,?,?,?,?)",
             (last + 1, app, 1776214800, content, h,
              hashlib.sha256(bytes(h) + content.encode()).digest())))
    r = verify(db)
    ok(r.returncode != 0, "an appended event the application does not know of is found",
       r.stdout + r.stderr)
    # Not a database at all, and no file.
    bad = os.path.join(setup()["tmp"], "garbage.db")
    with open(bad, "wb") as f:
        f.write(b"not a database" * 100)
    r = verify(bad)
    ok(r.returncode != 0, "verify on garbage: non-zero exit", r.stdout + r.stderr)
    r = verify(os.path.join(setup()["tmp"], "nonexistent.db"))
    ok(r.returncode != 0, "verify on a missing file: non-zero exit", r.stdout + r.stderr)
    ok(not os.path.exists(os.path.join(setup()["tmp"], "nonexistent.db")),
       "verify does not create a database")


def test_restart_after_verify_appends_to_chain():
    s = setup()
    w = s["w"]
    w.d.start(fake_clock=w.now)
    w.admin = w.d.admin()
    for name, tok in w.tokens.items():
        w.c[name] = w.d.client(tok)
    a, b, _ = s["apps"]
    w.go(b, ("clerk", "app.reply", {"note": "重启后答复"}))
    w.d.stop()
    r = verify(w.d.db)
    eq(r.returncode, 0, "after a restart the daemon extends the same chain")


def test_zz_cleanup():
    if _state:
        w = _state["w"]
        try:
            for c in w.c.values():
                c.close()
            w.admin.close()
        except Exception:
            pass
        w.d.cleanup()


if __name__ == "__main__":
    main(globals())
