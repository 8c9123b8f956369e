"""Operations (SPEC section 8): init refuses an existing file, backup while
writes go on, verify, SIGHUP, config errors, a database from the future."""
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time

from harness import OGID, Client, Daemon, eq, line, main, ok, req


def run(args, timeout=60):
    return subprocess.run([OGID] + args, capture_output=True, text=True, timeout=timeout)


def test_init():
    d = Daemon()
    try:
        tok = d.admin_token
        ok(len(tok) == 64 and all(c in "0123456789abcdef" for c in tok),
           "init prints a 256-bit token alone on a line")
        r = run(["init", "--db", d.db])
        ok(r.returncode != 0, "init refuses an existing database")
        ok("exists" in r.stderr, "and says why", r.stderr)
        eq(oct(os.stat(d.db).st_mode & 0o777), "0o600", "the database is mode 0600")
        # names and descriptions are in the search index too
        modes = {sfx: oct(os.stat(d.db + ".search" + sfx).st_mode & 0o777)
                 for sfx in ("", "-wal", "-shm") if os.path.exists(d.db + ".search" + sfx)}
        ok("" in modes and set(modes.values()) == {"0o600"},
           "the search index and its log are mode 0600", modes)
        con = sqlite3.connect(d.db)
        h = con.execute("select hex(token_hash) from users where name='admin'").fetchone()[0]
        ok(tok.upper() not in h and len(h) == 64, "only the token's hash is stored")
        con.close()
    finally:
        d.cleanup()


def test_backup_while_writing():
    d = Daemon()
    try:
        _, clerk = d.user("clerk", "clerk")
        stop = threading.Event()
        answered = []

        def writer():
            c = d.client(clerk_tok)
            i = 0
            while not stop.is_set() and i < 2000:
                r = c.call("app.submit", {"applicant": {"kind": "natural_person", "name": "写入者"},
                                          "channel": "mail", "description": "备份测试 %d" % i,
                                          "client_ref": "bk-%d" % i})
                answered.append(r["id"])
                i += 1
            c.close()

        clerk_tok = d.user("clerk2", "clerk")[0]
        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.5)
        before = list(answered)
        out = os.path.join(d.tmp, "backup.db")
        r = run(["backup", "--db", d.db, out])
        after = list(answered)
        stop.set()
        t.join()
        eq(r.returncode, 0, "backup succeeds while writes go on")
        v = run(["verify", "--db", out])
        eq(v.returncode, 0, "the copy verifies")
        con = sqlite3.connect(out)
        ids = {row[0] for row in con.execute("select id from apps")}
        con.close()
        ok(set(before) <= ids, "the copy holds every write answered before the backup began (%d)" % len(before))
        ok(len(ids) <= len(after) + 1, "and nothing that was never answered")
        r = run(["backup", "--db", d.db, out])
        ok(r.returncode != 0, "backup refuses to overwrite")
        eq(os.stat(out).st_mode & 0o777, 0o600, "the copy is 0600")
        # Made new and 0600 from the start, never through a link.
        old = os.umask(0o022)
        try:
            link = os.path.join(d.tmp, "link.db")
            target = os.path.join(d.tmp, "target.db")
            os.symlink(target, link)
            r = run(["backup", "--db", d.db, link])
            ok(r.returncode != 0 and not os.path.exists(target),
               "a dangling symbolic link is refused, its target not made", r.stderr)
            out2 = os.path.join(d.tmp, "backup2.db")
            r = run(["backup", "--db", d.db, out2])
            eq((r.returncode, os.stat(out2).st_mode & 0o777), (0, 0o600),
               "under umask 022 the copy is 0600 all along")
        finally:
            os.umask(old)
        clerk.close()
    finally:
        d.cleanup()


def test_verify_live_db_and_sighup():
    d = Daemon()
    try:
        a = d.admin()
        a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "甲"},
                              "channel": "mail", "description": "verify"})
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        eq(a.call("system.health")["ok"], True, "SIGHUP: still serving")
        ok("event=reload" in d.read_log(), "SIGHUP reloads (logged)")
        a.close()
        r = run(["verify", "--db", d.db])
        eq(r.returncode, 0, "verify passes on a live database")
        ok("chain intact" in r.stdout, "and says so", r.stdout + r.stderr)
        # While submits commit: one snapshot for the chain, its head and
        # the applications, so no commit between them looks like tampering.
        stop = threading.Event()

        def writer():
            c = d.admin()
            while not stop.is_set():
                c.call("app.submit", {"applicant": {"kind": "natural_person", "name": "乙"},
                                      "channel": "mail", "description": "写入中"})
            c.close()
        t = threading.Thread(target=writer)
        t.start()
        try:
            codes = [run(["verify", "--db", d.db]).returncode for _ in range(6)]
        finally:
            stop.set()
            t.join(10)
        eq(codes, [0] * 6, "verify passes while submits commit")
    finally:
        d.cleanup()


def test_config_errors():
    d = Daemon()
    try:
        path = os.path.join(d.tmp, "bad.conf")
        with open(path, "w") as f:
            f.write("# comment\nlisten = 127.0.0.1:0\ndue_soon_days = lots\n")
        r = run(["--check-config", "--config", path, "--db", d.db])
        ok(r.returncode != 0, "a bad config is refused")
        ok("%s:3:" % path in r.stderr, "the error names file and line", r.stderr)
        with open(path, "w") as f:
            f.write("due_soon_days = 5\n")
        r = run(["--check-config", "--config", path, "--db", d.db])
        eq(r.returncode, 0, "a good config passes --check-config")
        for bad, why in (("log_file = /nonexistent/dir/x.log\n", "log_file"),
                         ("timezone = zone.tab\n", "timezone")):
            with open(path, "w") as f:
                f.write(bad)
            r = run(["--check-config", "--config", path, "--db", d.db])
            ok(r.returncode != 0 and why in r.stderr,
               "--check-config refuses what the start would: %s" % bad.strip(),
               (r.returncode, r.stderr))
        ok(not os.path.exists("/nonexistent/dir"), "and makes nothing")
        with open(path, "w") as f:
            f.write("log_file = %s\n" % os.path.join(d.tmp, "new.log"))
        r = run(["--check-config", "--config", path, "--db", d.db])
        ok(r.returncode == 0 and not os.path.exists(os.path.join(d.tmp, "new.log")),
           "a log file that can be made passes, and is not made", r.stderr)
    finally:
        d.cleanup()
    d = Daemon(config="due_soon_days = 5\ncorrection_days = 10\n")
    try:
        a = d.admin()
        lim = a.call("system.health")["limits"]
        eq((lim["due_soon_days"], lim["correction_days"]), (5, 10), "config values in force")
        a.close()
    finally:
        d.cleanup()


def test_root_only_on_loopback():
    # Root without --allow-root: refused on an address that is not
    # loopback (before anything is bound or opened), run with a warning on
    # loopback (SPEC 8's command line, on a machine where all is root).
    if os.geteuid() != 0:
        ok(True, "# SKIP not running as root")
        return
    d = Daemon()
    try:
        env = dict(os.environ)
        env.pop("OGID_ALLOW_ROOT", None)
        db = os.path.join(d.tmp, "root.db")
        subprocess.run([OGID, "init", "--db", db], capture_output=True, check=True)
        conf = os.path.join(d.tmp, "root.conf")
        with open(conf, "w") as f:
            f.write("log_file = %s\n" % os.path.join(d.tmp, "root.log"))
        r = subprocess.run([OGID, "--db", db, "--listen", "0.0.0.0:0", "--config", conf],
                           env=env, capture_output=True, text=True, timeout=20)
        ok(r.returncode == 1 and "refusing to run as root" in r.stderr,
           "as root on 0.0.0.0: refused", r.stderr)
        ok(not os.path.exists(db + "-wal") and not os.path.exists(os.path.join(d.tmp, "root.log")),
           "before the database is opened or the log file made")
        err = os.path.join(d.tmp, "root.err")
        with open(err, "wb") as f:
            p = subprocess.Popen([OGID, "--db", db, "--listen", "127.0.0.1:0"], env=env,
                                 stdout=subprocess.PIPE, stderr=f)
        try:
            first = p.stdout.readline()
            m = re.match(rb"ogid: listening on 127\.0\.0\.1:(\d+)", first)
            ok(m is not None, "as root on 127.0.0.1: it runs", first)
            if m:
                c = Client(int(m.group(1)), None, 10, None)
                eq(c.error("system.health")["code"], -32001,
                   "and answers (-32001 before auth)")
                c.close()
            with open(err) as f:
                ok("running as root, on loopback only" in f.read(), "with a warning")
        finally:
            p.terminate()
            eq(p.wait(30), 0, "and stops on SIGTERM")
            p.stdout.close()
    finally:
        d.cleanup()


def test_one_daemon_a_database():
    d = Daemon()
    try:
        r = run(["--db", d.db, "--listen", "127.0.0.1:0"])
        ok(r.returncode != 0 and "in use by another ogid" in r.stderr,
           "a second ogid on the same database is refused", r.stderr)
        r = run(["--db", d.db, "--listen", "127.0.0.1:%d" % d.port])
        ok(r.returncode != 0 and "in use by another ogid" in r.stderr,
           "on the same port too, told so before the port clash", r.stderr)
        eq(d.admin().call("system.health")["ok"], True, "the first goes on")
        eq(d.stop(), 0, "the first stops")
        d.start()
        eq(d.admin().call("system.health")["ok"], True, "and a new one starts on it")
    finally:
        d.cleanup()


def test_auth_limit_per_address():
    d = Daemon(config="auth_limit_loopback = yes\n")
    try:
        codes = []
        for i in range(5):  # 5 connections x 4 failures = 20 from one address
            c = d.client()
            for j in range(4):
                codes.append(c.error("auth", {"token": "wrong-%d-%d" % (i, j)})["code"])
            c.close()
        # Over the limit: a wrong token is told why and its connection
        # ends at once; a valid token still gets in (20 bad tries a
        # minute must not lock every user behind the address out).
        c = d.client()
        err = c.error("auth", {"token": "wrong-over"})
        eq(err and err["code"], -32001, "over the limit a wrong token: -32001")
        ok("too many" in (err or {}).get("message", ""), "and told why", err)
        ok(c.recv_line(timeout=5) is None, "and the connection ends at the first failure")
        c.close()
        c = d.client()
        eq(c.call("auth", {"token": d.admin_token}).get("user"), "admin",
           "a valid token still gets in")
        c.close()
        ok("wrong-" not in d.read_log() and d.admin_token not in d.read_log(),
           "tokens never appear in the log")
    finally:
        d.cleanup()


def test_ready_line_on_stdout_and_stderr():
    # SPEC 8: ogid logs to stderr and is ready when it prints the line;
    # the harness reads stdout, a supervisor may read either.
    d = Daemon()
    try:
        want = "ogid: listening on 127.0.0.1:%d" % d.port
        eq(d.read_log().splitlines().count(want), 1, "the ready line is on stderr too")
        # Both streams one file (a terminal, the journal): printed once.
        both = os.path.join(d.tmp, "both.out")
        db = os.path.join(d.tmp, "second.db")
        subprocess.run([OGID, "init", "--db", db], capture_output=True, check=True)
        with open(both, "wb") as f:
            p = subprocess.Popen([OGID, "--db", db, "--listen", "127.0.0.1:0"],
                                 stdout=f, stderr=subprocess.STDOUT)
        try:
            text = ""
            deadline = time.time() + 30
            while "listening on" not in text and time.time() < deadline:
                time.sleep(0.1)
                with open(both) as f:
                    text = f.read()
            time.sleep(0.3)
            with open(both) as f:
                text = f.read()
            eq(sum(1 for x in text.splitlines() if x.startswith("ogid: listening on ")), 1,
               "with stdout and stderr one file, the line once")
        finally:
            p.terminate()
            p.wait(30)
    finally:
        d.cleanup()


def test_auth_limit_not_for_loopback_by_default():
    # SPEC: five failed auths close a connection. From loopback, by
    # default, no number of failures on other connections changes that.
    d = Daemon()
    try:
        for i in range(6):  # 6 connections x 4 failures = 24
            c = d.client()
            for j in range(4):
                err = c.error("auth", {"token": "wrong-%d-%d" % (i, j)})
                eq(err and err["code"], -32001, "failure %d on connection %d" % (j, i))
            c.close()
        c = d.client()
        msgs = [(c.error("auth", {"token": "bad-%d" % j}) or {}).get("message", "")
                for j in range(4)]
        ok(all(m == "invalid token" for m in msgs),
           "after 24 failures from 127.0.0.1, four more on a new connection", msgs)
        eq(c.call("auth", {"token": d.admin_token}).get("user"), "admin",
           "and the connection is still open for a valid token")
        c.close()
        c = d.client()
        for j in range(5):
            err = c.error("auth", {"token": "five-%d" % j})
            eq(err and err["code"], -32001, "failure %d of five" % (j + 1))
        ok(c.recv_line(timeout=5) is None, "the fifth closes the connection")
        c.close()
        eq(d.admin().call("system.health")["limits"].get("auth_limit_loopback"), False,
           "system.health shows auth_limit_loopback")
    finally:
        d.cleanup()


def test_sighup_reloads_config():
    d = Daemon(config="due_soon_days = 3\nmax_request_bytes = 1048576\n")
    try:
        a = d.admin()
        with open(os.path.join(d.tmp, "ogid.conf"), "w") as f:
            f.write("due_soon_days = 7\nmax_request_bytes = 4096\n")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        lim = a.call("system.health")["limits"]
        eq((lim["due_soon_days"], lim["max_request_bytes"]), (7, 4096),
           "SIGHUP applies the changed config")
        err = a.error("calendar.add", {"date": "2026-01-05", "days": 1, "x": "y" * 5000})
        ok(err is not None and err["code"] == -32600, "the new request limit is in force")
        a.close()
        with open(os.path.join(d.tmp, "ogid.conf"), "w") as f:
            f.write("due_soon_days = many\n")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        a = d.admin()
        eq(a.call("system.health")["limits"]["due_soon_days"], 7,
           "a bad config on SIGHUP keeps the running one")
        ok("keeping the running configuration" in d.read_log(), "and says so in the log")
        a.close()
    finally:
        d.cleanup()


def test_init_token_unwritable():
    tmp = __import__("tempfile").mkdtemp(prefix="ogi-init.")
    db = os.path.join(tmp, "ogi.db")
    with open("/dev/full", "w") as full:
        r = subprocess.run([OGID, "init", "--db", db], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=30)
    ok(r.returncode != 0 and "writing the token" in r.stderr,
       "init whose token cannot be written fails, and says so", (r.returncode, r.stderr))
    ok(not os.path.exists(db) and not os.path.exists(db + "-wal"),
       "and leaves no database that nobody has the token of", os.listdir(tmp))
    r = run(["init", "--db", db])
    ok(r.returncode == 0 and len(r.stdout.strip()) == 64, "init can then be run again")
    # A reader that is gone: an error (not SIGPIPE's death) and no database.
    db2 = os.path.join(tmp, "two.db")
    rfd, wfd = os.pipe()
    os.close(rfd)
    r = subprocess.run([OGID, "init", "--db", db2], stdout=wfd, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    os.close(wfd)
    ok(r.returncode == 1 and "writing the token" in r.stderr and not os.path.exists(db2),
       "init into a closed pipe fails and leaves no database", (r.returncode, r.stderr))


def test_sighup_log_file_changes():
    tmp = __import__("tempfile").mkdtemp(prefix="ogi-log.")
    first = os.path.join(tmp, "first.log")
    d = Daemon(config="log_file = %s\n" % first)
    try:
        conf = os.path.join(d.tmp, "ogid.conf")
        with open(conf, "w") as f:
            f.write("log_file = /nonexistent/dir/x.log\n")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        text = open(first).read()
        ok("log_file /nonexistent/dir/x.log" in text and "logging stays" in text,
           "a log file that cannot be opened is logged where logging stays", text[-300:])
        with open(conf, "w") as f:
            f.write("log_file =\n")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        ok("event=log_file file=stderr" in d.read_log(),
           "an empty log_file on SIGHUP logs to standard error again", d.read_log()[-300:])
    finally:
        d.cleanup()


def test_sighup_follows_a_calendar_changed_by_hand():
    d = Daemon(fake_clock="2026-03-02T09:00:00+08:00")
    try:
        a = d.admin()
        aid = a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "丙"},
                                    "channel": "mail", "description": "日历"})["id"]
        due = a.call("app.get", {"id": aid})["deadline"]["due_on"]
        cal = a.call("calendar.get", {"year": 2026})
        con = sqlite3.connect(d.db, timeout=10)
        row = con.execute("SELECT holidays FROM calendar WHERE year = 2026").fetchone()
        con.execute("UPDATE calendar SET holidays = ? WHERE year = 2026",
                    (row[0] + ",2026-03-10",))
        con.commit()
        con.close()
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        after = a.call("app.get", {"id": aid})["deadline"]["due_on"]
        eq(after, a.call("calendar.add", {"date": due, "days": 1}),
           "the due date moves by the holiday added by hand (%s -> %s)" % (due, after))
        ok("2026-03-10" in a.call("calendar.get", {"year": 2026})["holidays"] and
           "2026-03-10" not in cal["holidays"], "the calendar is the table's")
        ok("event=reload_calendar" in d.read_log(), "logged")
        n = d.read_log().count("event=reload_calendar")
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        eq(d.read_log().count("event=reload_calendar"), n,
           "an unchanged calendar is not recomputed again")
        a.close()
    finally:
        d.cleanup()


def test_read_only_database_refused():
    """A database ogid may only read is refused at start, with its mode
    left alone; before, ogid started, made it 0600 and failed every write
    with -32603."""
    import shutil
    tmp = __import__("tempfile").mkdtemp(prefix="ogi-ro.")
    db = os.path.join(tmp, "ogi.db")
    eq(run(["init", "--db", db]).returncode, 0, "init")
    wrap = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            ok(True, "# skip: root without setpriv (root may write any file)")
            return
        shutil.chown(tmp, "nobody")
        shutil.chown(db, "nobody")
        wrap = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    os.chmod(db, 0o444)
    env = dict(os.environ, OGID_ALLOW_ROOT="1")
    r = subprocess.run(wrap + [OGID, "--db", db, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30, env=env)
    ok(r.returncode == 1 and "can only be read" in r.stderr,
       "ogid refuses a database it can only read, and says why", (r.returncode, r.stderr))
    eq(oct(os.stat(db).st_mode & 0o777), "0o444", "and leaves its mode alone")
    shutil.rmtree(tmp, ignore_errors=True)


def test_shipped_years_reach_an_existing_database():
    """A year this ogid ships that the database lacks (made by an older
    release) is added at start, and the open deadlines follow it."""
    d = Daemon(fake_clock="2026-09-28T09:00:00+08:00")
    try:
        a = d.admin()
        con = sqlite3.connect(d.db, timeout=10)
        con.execute("DELETE FROM calendar WHERE year = 2026")
        con.commit()
        con.close()
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        eq(a.call("system.health")["calendar_current"], False, "2026 removed by hand")
        aid = a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "丁"},
                                    "channel": "mail", "description": "国庆"})["id"]
        before = a.call("app.get", {"id": aid})["deadline"]["due_on"]
        a.close()
        eq(d.stop(), 0, "stopped")
        d.start()
        a = d.admin()
        h = a.call("system.health")
        ok(h["calendar_current"] and "2026-10-01" in a.call("calendar.get", {"year": 2026})["holidays"],
           "the shipped 2026 is back after the start", h)
        after = a.call("app.get", {"id": aid})["deadline"]["due_on"]
        ok(after > before, "the open application's due date follows the holidays (%s -> %s)"
           % (before, after))
        ok("event=calendar_year year=2026 from=shipped" in d.read_log(), "logged")
        a.close()
        eq(d.stop(), 0, "stopped")
        d.start()
        ok(d.read_log().count("from=shipped") == 1, "a known year is not added again")
    finally:
        d.cleanup()


def test_journal_priorities():
    """Under systemd (JOURNAL_STREAM names stderr) each log line starts with
    its syslog priority, so journalctl -p warning finds the warnings."""
    tmp = __import__("tempfile").mkdtemp(prefix="ogi-journal.")
    path = os.path.join(tmp, "stderr")
    for env, prefix in (({"JOURNAL_STREAM": None}, "<2>ogid: fatal"),
                        ({}, "ogid: fatal")):
        with open(path, "w") as f:
            st = os.fstat(f.fileno())
            e = dict(os.environ, OGID_ALLOW_ROOT="1")
            e.pop("JOURNAL_STREAM", None)
            if env:
                e["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            subprocess.run([OGID, "--db", os.path.join(tmp, "none", "x.db"),
                            "--listen", "127.0.0.1:0"], stderr=f, env=e, timeout=30)
        text = open(path).read()
        ok(text.startswith(prefix),
           "with%s JOURNAL_STREAM the line starts %r" % ("" if env else "out", prefix), text)


def test_sighup_right_after_calendar_set():
    """A SIGHUP that comes while a calendar.set is still in the open batch
    commits the batch first: memory, the table and the deadlines agree
    (before, the reload read the older committed table and put it back in
    memory, under a calendar.set its client was told had succeeded)."""
    import json
    d = Daemon(fake_clock="2026-03-02T09:00:00+08:00")
    try:
        a = d.admin()
        aid = a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "戊"},
                                    "channel": "mail", "description": "日历"})["id"]
        c = d.admin()
        cals = [["2026-01-01"], ["2026-01-01", "2026-03-10"]]
        bad = []
        for rnd in range(60):
            n = 2 + rnd % 3
            c.send_raw("\n".join(json.dumps(
                {"jsonrpc": "2.0", "id": 1000 + i, "method": "calendar.set",
                 "params": {"year": 2026, "holidays": cals[i % 2], "workdays": []}})
                for i in range(n)) + "\n")
            time.sleep(0.0002 * (rnd % 7))
            d.proc.send_signal(signal.SIGHUP)
            got = 0
            while got < n:
                if "id" in c.recv_response(timeout=30):
                    got += 1
            time.sleep(0.02)
            mem = a.call("calendar.get", {"year": 2026})["holidays"]
            con = sqlite3.connect(d.db, timeout=10)
            row = con.execute("SELECT holidays FROM calendar WHERE year = 2026").fetchone()[0]
            con.close()
            due = a.call("app.get", {"id": aid})["deadline"]["due_on"]
            want = "2026-03-31" if "2026-03-10" in mem else "2026-03-30"
            if mem != cals[(n - 1) % 2] or row != ",".join(mem) or due != want:
                bad.append((rnd, mem, row, due))
        eq(bad, [], "after each calendar.set and a SIGHUP, memory, table and due date agree")
        a.close()
        c.close()
    finally:
        d.cleanup()


def test_rotate_and_disable_end_sessions():
    d = Daemon()
    try:
        a = d.admin()
        tok, c = d.user("wang", "clerk")
        eq(c.call("system.health")["ok"], True, "wang is signed in")
        new = a.call("user.rotate", {"name": "wang"})["token"]
        ok(new != tok, "rotate gives a new token")
        err = c.error("system.health")
        eq(err and err["code"], -32001, "the old token's session ends at rotation")
        c2 = d.client()
        eq(c2.error("auth", {"token": tok})["code"], -32001, "the old token no longer works")
        eq(c2.call("auth", {"token": new})["user"], "wang", "the new token works")
        a.call("user.disable", {"name": "wang"})
        eq(c2.error("system.health")["code"], -32001, "a disabled user's session ends")
        c3 = d.client()
        eq(c3.error("auth", {"token": new})["code"], -32001, "a disabled user cannot sign in")
        users = {u["name"]: u for u in a.call("user.list")["users"]}
        eq(users["wang"]["disabled"], True, "user.list shows it disabled")
        ok(all("token" not in u for u in users.values()), "user.list shows no tokens")
        eq(a.error("user.disable", {"name": "nobody"})["code"], -32003, "unknown user: -32003")
        eq(a.error("user.create", {"name": "wang", "roles": ["clerk"]})["data"]["field"], "name",
           "a duplicate name is refused")
        eq(a.error("user.create", {"name": "x", "roles": ["boss"]})["data"]["field"], "roles",
           "an unknown role is refused")
        for name in ("system", "System", "SYSTEM"):
            eq(a.error("user.create", {"name": name, "roles": ["clerk"]})["data"]["field"],
               "name", "%s is refused: the timers act as \"system\" in the history" % name)
        eq(c3.error("user.list")["code"], -32001, "unauthenticated")
        _, clerk = d.user("li", "clerk")
        eq(clerk.error("user.list")["code"], -32002, "user.* is for admins")
        for x in (a, c, c2, c3, clerk):
            x.close()
    finally:
        d.cleanup()


def test_schema_compiles():
    """Every table's triggers and indexes still name what exists: SQLite
    compiles a table's triggers when a statement on it is prepared."""
    d = Daemon()
    try:
        d.stop()
        con = sqlite3.connect(d.db)
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%'")]
        ok("apps" in tables and "events" in tables, "the schema has its tables", tables)
        for t in tables:
            # Its first column: client_refs is WITHOUT ROWID.
            col = con.execute("PRAGMA table_info(%s)" % t).fetchone()[1]
            for sql in ("DELETE FROM %s WHERE 0" % t,
                        "UPDATE %s SET %s = %s WHERE 0" % (t, col, col)):
                try:
                    con.execute(sql)
                    ok(True, sql)
                except sqlite3.Error as e:
                    ok(False, sql, str(e))
        con.rollback()
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        eq(names, ["apps_text"], "one trigger: text changes for the search index")
        con.close()
    finally:
        d.cleanup()


def test_bad_databases():
    d = Daemon()
    try:
        d.stop()
        con = sqlite3.connect(d.db)
        con.execute("PRAGMA user_version = 99")
        con.commit()
        con.close()
        r = run(["--db", d.db, "--listen", "127.0.0.1:0"], timeout=20)
        ok(r.returncode != 0 and "newer" in r.stderr,
           "a database from a newer ogid is refused with a message", r.stderr)
        junk = os.path.join(d.tmp, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"this is not a database at all" * 100)
        r = run(["--db", junk, "--listen", "127.0.0.1:0"], timeout=20)
        ok(r.returncode != 0 and "ogid:" in r.stderr and "Sanitizer" not in r.stderr,
           "a corrupt file gives a clear message, not a crash", r.stderr)
        r = run(["--db", os.path.join(d.tmp, "missing.db"), "--listen", "127.0.0.1:0"], timeout=20)
        ok(r.returncode != 0 and "missing.db" in r.stderr, "a missing database is named", r.stderr)
    finally:
        d.cleanup()


def refused_submit_among_assigns(counter, what):
    """30 applications; the year's counter set to `counter` while ogid is
    stopped; then one submit sent among 30 app.assign on 30 connections at
    once, so that they share commits. The submit is refused (what), the
    assigns are not. app.submit has no savepoint of its own
    (daemon/commit.c): a refusal before it changes anything must fail it
    alone. The refused submit has a client_ref of its own; a retry of the
    first submit's client_ref still gets the first application."""
    n = 30
    d = Daemon(fake_clock="2026-06-01T09:00:00+08:00")
    try:
        tok, c = d.user("clerk", "clerk", "reviewer")
        app = {"applicant": {"kind": "natural_person", "name": "同批"},
               "channel": "mail", "description": "同一批提交"}
        ids = [c.call("app.submit", dict(app, client_ref="first") if k == 0 else app)["id"]
               for k in range(n)]
        c.close()
        d.stop()
        con = sqlite3.connect(d.db)
        con.execute("UPDATE counters SET seq = ? WHERE year = 2026", (counter,))
        con.commit()
        con.close()
        d.start()
        conns = [d.client(tok) for _ in range(n)]
        sub = d.client(tok)
        for k, v in enumerate(conns):
            if k == n // 2:
                sub.send_raw(line(req("app.submit", dict(app, client_ref="fresh"), id=9)))
            v.send_raw(line(req("app.assign", {"id": ids[k], "reviewer": "clerk"}, id=1)))
        r = sub.recv_line()
        ok("error" in r and what in r["error"]["message"],
           "%s: the submit is refused (%s)" % (what, what), r)
        failed = [v.recv_line() for v in conns]
        failed = [r for r in failed if "error" in r]
        eq(failed, [], "%s: the 30 assigns sharing its commits are done" % what)
        r = sub.call("app.submit", dict(app, client_ref="first"))
        eq((r["id"], r["state"]), (ids[0], "review"),
           "%s: a retry gets the first application" % what)
        for v in conns:
            v.close()
        sub.close()
        d.stop()
        con = sqlite3.connect(d.db)
        eq(con.execute("SELECT count(*) FROM apps").fetchone()[0], n,
           "%s: no application was added" % what)
        eq(con.execute("SELECT count(*) FROM apps WHERE assignee = 'clerk'").fetchone()[0],
           n, "%s: every assign is there after a restart" % what)
        eq(con.execute("SELECT seq FROM counters WHERE year = 2026").fetchone()[0],
           counter, "%s: the counter did not move" % what)
        con.close()
        r = subprocess.run([OGID, "verify", "--db", d.db], capture_output=True,
                           text=True, timeout=60)
        eq(r.returncode, 0, "%s: ogid verify passes" % what)
    finally:
        d.cleanup()


def test_background_threads_yield():
    """The indexer and the checkpointer run 10 nice levels below the loop
    thread that answers clients (lib/store.c, store_thread_background),
    relative to the daemon's own: at nice 0 they run at 10, at 5 at 15,
    at 15 at 19 (the lowest)."""
    for base, want in ((0, 10), (5, 15), (15, 19)):
        d = Daemon(wrap=["nice", "-n", str(base)] if base else None)
        try:
            tok, c = d.user("clerk", "clerk")
            c.call("app.submit", {"applicant": {"kind": "natural_person", "name": "优先"},
                                  "channel": "mail", "description": "后台线程"})
            pid = d.proc.pid
            nice = {}
            for tid in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    nice[int(tid)] = int(f.read().rsplit(")", 1)[1].split()[16])
            eq(nice.get(pid), base, "daemon at nice %d: the loop thread too" % base)
            others = sorted(v for t, v in nice.items() if t != pid)
            ok(len(others) >= 2 and all(v == want for v in others),
               "daemon at nice %d: the indexer and the checkpointer at %d" % (base, want), nice)
            c.close()
        finally:
            d.cleanup()


def test_numbers_exhausted():
    refused_submit_among_assigns(999999, "exhausted")


def test_counter_behind_the_table():
    """A counter behind the applications (a hand edit, a partial restore):
    the next number is taken; that submit fails, nothing else does."""
    refused_submit_among_assigns(0, "UNIQUE")

if __name__ == "__main__":
    main(globals())
