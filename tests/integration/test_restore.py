"""ogid restore (README, Operations): a backup written back through SQLite
under the daemon's lock, checked first; a log left by a crash is not
replayed onto it."""
import hashlib
import os
import sqlite3
import subprocess

from harness import OGID, Daemon, eq, list_all, main, ok


def run(args, timeout=60):
    return subprocess.run([OGID] + args, capture_output=True, text=True, timeout=timeout)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def submit(c, name):
    return c.call("app.submit", {"applicant": {"kind": "natural_person", "name": name},
                                 "channel": "mail", "description": "恢复 " + name})["id"]


def test_restore_over_a_crashed_database():
    d = Daemon()
    try:
        a = d.admin()
        kept = [submit(a, "备份前%d" % i) for i in range(3)]
        bk = os.path.join(d.tmp, "bk.db")
        eq(run(["backup", "--db", d.db, bk]).returncode, 0, "backup")
        r = run(["restore", "--db", d.db, bk])
        ok(r.returncode != 0 and "in use" in r.stderr,
           "restore is refused while ogid runs on the database", r.stderr)
        for i in range(5):
            submit(a, "备份后%d" % i)
        a.close()
        d.kill()
        ok(os.path.getsize(d.db + "-wal") > 0, "kill -9 leaves a log with commits in it")
        r = run(["restore", "--db", d.db, bk])
        eq(r.returncode, 0, "restore succeeds")
        ok("restored" in r.stderr and bk in r.stderr and d.db in r.stderr,
           "and says what it restored", r.stderr)
        eq(os.stat(d.db).st_mode & 0o777, 0o600, "the database stays 0600")
        ok(not os.path.exists(d.db + ".search"), "the search index is removed")
        con = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
        ids = sorted(r[0] for r in con.execute("SELECT id FROM apps"))
        con.close()
        eq(ids, sorted(kept), "the file holds the backup's applications")
        d.start()
        a = d.admin()
        eq(sorted(list_all(a)), sorted(kept), "the daemon serves exactly the backup's applications")
        eq(a.call("app.list", {"q": "备份后"})["items"], [],
           "and searches find nothing written after the backup")
        eq(len(a.call("app.list", {"q": "备份前"})["items"]), 3,
           "but what the backup holds")
        fresh = submit(a, "恢复之后")
        ok(fresh not in kept, "it takes new applications (%s)" % fresh)
        a.close()
        d.stop()
        v = run(["verify", "--db", d.db])
        ok(v.returncode == 0, "ogid verify passes", v.stdout + v.stderr)
    finally:
        d.cleanup()


def test_restore_refuses_a_bad_backup():
    d = Daemon()
    try:
        a = d.admin()
        submit(a, "甲")
        submit(a, "乙")
        a.close()
        bk = os.path.join(d.tmp, "bk.db")
        eq(run(["backup", "--db", d.db, bk]).returncode, 0, "backup")
        d.stop()
        con = sqlite3.connect(bk)
        con.execute("UPDATE events SET content = replace(content, '甲', '丙')")
        con.commit()
        con.close()
        before = digest(d.db)
        r = run(["restore", "--db", d.db, bk])
        ok(r.returncode != 0 and "edited" in r.stderr and "does not verify" in r.stderr,
           "a backup whose chain does not verify is refused, with the reason", r.stderr)
        eq(digest(d.db), before, "and the database is left as it was")
        missing = os.path.join(d.tmp, "none.db")
        r = run(["restore", "--db", missing, bk])
        ok(r.returncode != 0 and not os.path.exists(missing),
           "a refused restore into a new file makes none", r.stderr)
    finally:
        d.cleanup()


def test_restore_makes_a_missing_file():
    d = Daemon()
    try:
        a = d.admin()
        ids = [submit(a, "新%d" % i) for i in range(2)]
        a.close()
        bk = os.path.join(d.tmp, "bk.db")
        eq(run(["backup", "--db", d.db, bk]).returncode, 0, "backup")
        d.stop()
        old = os.umask(0o022)
        try:
            new = os.path.join(d.tmp, "new.db")
            r = run(["restore", "--db", new, bk])
        finally:
            os.umask(old)
        ok(r.returncode == 0, "restore into a missing file", r.stderr)
        eq(os.stat(new).st_mode & 0o777, 0o600, "makes it 0600")
        eq(run(["verify", "--db", new]).returncode, 0, "and it verifies")
        d2 = Daemon(db=new)
        try:
            a = d2.client(d.admin_token)
            eq(sorted(list_all(a)), sorted(ids), "a daemon serves it")
            a.close()
        finally:
            d2.cleanup()
        r = run(["restore", "--db", bk, bk])
        ok(r.returncode != 0, "a backup is not restored onto itself", r.stderr)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
