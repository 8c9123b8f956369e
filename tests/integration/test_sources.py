"""ogid backup and ogid verify never write to the database they read: not
a live one, not a backup, not one of an older schema (an older ogid may
still be running on it), and they work on read-only media."""
import atexit
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile

from harness import OGID, Daemon, eq, main, ok


_as_other = {}


def run(args, timeout=60, **kw):
    # As another user, a copy of the binary in a directory anyone may
    # search: a clone inside a 0700 directory (mktemp's, perhaps CI's) is
    # not reachable by nobody.
    prog = _as_other.get("prog", OGID) if "user" in kw else OGID
    return subprocess.run([prog] + args, capture_output=True, text=True,
                          timeout=timeout, **kw)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def schema(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()


def populated():
    """A stopped daemon's database with a few applications."""
    d = Daemon()
    a = d.admin()
    for i in range(3):
        a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "源%d" % i},
                              "channel": "mail", "description": "只读"})
    a.close()
    d.stop()
    return d


def make_schema_11(path):
    """Undo migrations 13 and 12 by hand (lib/store.c): the database as
    an ogid of schema 11 left it."""
    con = sqlite3.connect(path)
    con.executescript(
        "DELETE FROM meta WHERE key = 'chain_head';"
        "DROP INDEX apps_next_event;"
        "CREATE INDEX apps_next_event ON apps(next_event_at)"
        " WHERE next_event_at IS NOT NULL;"
        "PRAGMA user_version = 11;")
    con.close()


def test_sources_left_byte_identical():
    d = populated()
    try:
        current = schema(d.db)
        before = digest(d.db)
        bk = os.path.join(d.tmp, "bk.db")
        eq(run(["backup", "--db", d.db, bk]).returncode, 0, "backup of a stopped database")
        eq(run(["verify", "--db", d.db]).returncode, 0, "verify of it")
        eq(digest(d.db), before, "the database is byte-identical after both")
        before = digest(bk)
        eq(run(["verify", "--db", bk]).returncode, 0, "verify of the backup")
        eq(digest(bk), before, "the backup is byte-identical (journal mode too)")

        old = os.path.join(d.tmp, "old.db")
        shutil.copy(d.db, old)
        make_schema_11(old)
        before = digest(old)
        oldbk = os.path.join(d.tmp, "old-bk.db")
        r = run(["backup", "--db", old, oldbk])
        eq(r.returncode, 0, "backup of a schema-11 database")
        eq(digest(old), before, "leaves it byte-identical, not migrated")
        eq(schema(oldbk), 11, "and the copy is of schema 11 too")
        r = run(["verify", "--db", old])
        ok(r.returncode != 0 and "version 11" in r.stderr and "(%d)" % current in r.stderr
           and "older" in r.stderr,
           "verify of a schema-11 database is refused naming both versions", r.stderr)
        eq(digest(old), before, "and leaves it byte-identical")
        before = digest(oldbk)
        r = run(["verify", "--db", oldbk])
        ok(r.returncode != 0 and "older" in r.stderr, "verify of its backup is refused too",
           r.stderr)
        eq(digest(oldbk), before, "and leaves it byte-identical")
    finally:
        d.cleanup()


def as_other_user():
    """kwargs for subprocess.run to run as nobody if we are root (a 0444
    file is writable by root), {} if not root, None if it cannot."""
    if os.geteuid() != 0:
        return {}
    kw = {"user": 65534, "group": 65534, "extra_groups": []}
    if "prog" not in _as_other:
        where = tempfile.mkdtemp(prefix="ogi-bin.")
        os.chmod(where, 0o755)
        _as_other["prog"] = os.path.join(where, "ogid")
        shutil.copy2(OGID, _as_other["prog"])
        atexit.register(shutil.rmtree, where, True)
    try:
        r = run(["verify"], timeout=30, **kw)
    except OSError:
        return None
    return kw if r.returncode == 2 else None


def test_read_only_media():
    d = populated()
    try:
        kw = as_other_user()
        if kw is None:
            ok(True, "# SKIP cannot run %s as nobody" % OGID)
            return
        os.chmod(d.tmp, 0o755)
        bk = os.path.join(d.tmp, "bk.db")
        eq(run(["backup", "--db", d.db, bk]).returncode, 0, "backup")
        ro = os.path.join(d.tmp, "ro")
        out = os.path.join(d.tmp, "out")
        os.mkdir(ro)
        os.mkdir(out)
        os.chmod(out, 0o777)
        for src in (d.db, bk):  # WAL mode (no log left), and rollback mode
            shutil.copy(src, ro)
        files = sorted(os.listdir(ro))
        sums = {f: digest(os.path.join(ro, f)) for f in files}
        for f in files:
            os.chmod(os.path.join(ro, f), 0o444)
        os.chmod(ro, 0o555)
        try:
            for f in files:
                p = os.path.join(ro, f)
                r = run(["verify", "--db", p], **kw)
                ok(r.returncode == 0, "verify of %s, 0444 in a 0555 directory" % f,
                   r.stdout + r.stderr)
                o = os.path.join(out, f)
                r = run(["backup", "--db", p, o], **kw)
                ok(r.returncode == 0, "backup of it", r.stderr)
                r = run(["verify", "--db", o])
                ok(r.returncode == 0, "and its copy verifies", r.stdout + r.stderr)
            eq(sorted(os.listdir(ro)), files, "nothing was made beside them")
            eq({f: digest(os.path.join(ro, f)) for f in files}, sums,
               "and they are byte-identical")
        finally:
            os.chmod(ro, 0o755)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
