#!/usr/bin/env python3
"""Crash safety (SPEC section 5: "an answered write survives kill -9"):
many connections submit applications (each with a unique client_ref) and
make transitions (app.assign, app.extend) on them while ogid is killed with
SIGKILL at random moments and restarted. Afterwards:

- every answered submit's application exists, once, with its client_ref,
  and submitting the same client_ref again returns the same id;
- a submit that got no answer (the daemon died first) exists at most once,
  and once retried with its client_ref exactly once;
- no application is half-applied: its history starts with app.submit, its
  version equals the number of its (non-timer) history events, its
  extension days match its app.extend events, and its version lies between
  1 + answered transitions and 1 + answered + unanswered ones;
- ids are unique (gaps only where a submit went unanswered);
- every due date agrees with the calendar, which an admin keeps changing
  (calendar.set rewrites every open application in one transaction);
- `ogid verify` passes on the database after every kill.

CRASH_CYCLES (default 4), CRASH_THREADS (8) and CRASH_RUN (seconds of load
before each kill, default 1.0) make it longer for `make stress`.
"""
import os
import random
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import OGID, Client, Daemon, RpcError, eq, list_all, main, ok  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "4"))
THREADS = int(os.environ.get("CRASH_THREADS", "8"))
RUN = float(os.environ.get("CRASH_RUN", "1.0"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
MAX_EXTEND = 15  # of the 20 working days a supervisor may grant


class Shared:
    """What the workers and the killer share."""

    def __init__(self):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.port = None
        self.epoch = 0
        self.stop = False
        self.errors = []  # unexpected error responses


class Worker(threading.Thread):
    """One connection at a time: submits and transitions on its own apps."""

    def __init__(self, n, shared, token, rng):
        super().__init__(daemon=True)
        self.n = n
        self.sh = shared
        self.token = token
        self.rng = rng
        self.seq = 0
        self.answered = {}  # client_ref -> id
        self.unknown_refs = set()  # submits sent, no answer
        self.ever_unknown = 0
        self.apps = {}  # id -> {"state", "done", "maybe", "extends"}
        self.c = None
        self.epoch = -1
        self.requests = 0

    def connect(self):
        while True:
            with self.sh.lock:
                while self.sh.port is None and not self.sh.stop:
                    self.sh.cond.wait(0.5)
                if self.sh.stop and self.sh.port is None:
                    return False
                port, epoch = self.sh.port, self.sh.epoch
            try:
                c = Client(port, timeout=10)
                c.call("auth", {"token": self.token})
                self.c, self.epoch = c, epoch
                return True
            except (OSError, RpcError, ValueError):
                time.sleep(0.02)
                with self.sh.lock:
                    if self.sh.stop and self.sh.port is None:
                        return False

    def lost(self):
        if self.c is not None:
            self.c.close()
        self.c = None
        # Wait for the next daemon, so we do not spin against a dead port.
        with self.sh.lock:
            while self.sh.epoch == self.epoch and not self.sh.stop:
                self.sh.cond.wait(0.5)

    def call(self, method, params):
        """Result; raises RpcError on an error response; None if lost."""
        try:
            resp = self.c.request(method, params)
        except (OSError, ValueError):
            resp = None
        if resp is None:
            return None
        self.requests += 1
        if "error" in resp:
            raise RpcError(resp["error"])
        return resp["result"]

    def pick(self):
        """A transition on one of our own apps, or None to submit."""
        cands = [(i, a) for i, a in self.apps.items()
                 if a["state"] in ("received", "review")]
        if not cands or self.rng.random() < 0.45:
            return None
        i, a = self.rng.choice(cands)
        if a["state"] == "received" or a["extends"] + a["maybe"] >= MAX_EXTEND:
            return ("app.assign", i, {"id": i, "reviewer": "rv"})
        return ("app.extend", i, {"id": i, "days": 1, "reason": "crash test"})

    def submit(self, ref):
        p = {"applicant": {"kind": "natural_person", "name": "crash " + ref},
             "channel": "online", "description": "crash test " + ref,
             "client_ref": ref}
        try:
            res = self.call("app.submit", p)
        except RpcError as e:
            # An error changes nothing; the test fails on it anyway, so do
            # not retry it for ever.
            self.sh.errors.append(("app.submit", ref, e.code, e.message))
            self.unknown_refs.discard(ref)
            return True
        if res is None:
            if ref not in self.unknown_refs:
                self.ever_unknown += 1
            self.unknown_refs.add(ref)
            return False
        self.unknown_refs.discard(ref)
        if ref in self.answered and self.answered[ref] != res["id"]:
            self.sh.errors.append(("retry", ref, self.answered[ref], res["id"]))
        self.answered[ref] = res["id"]
        if res["id"] not in self.apps:
            self.apps[res["id"]] = {"state": res["state"], "done": 0,
                                    "maybe": 0, "extends": 0, "ref": ref,
                                    "version": res["version"]}
        return True

    def ready(self):
        """Connected to the daemon of the current epoch; False to stop."""
        with self.sh.lock:
            if self.sh.stop:
                return False
        if self.c is None or self.epoch != self.sh.epoch:
            if self.c is not None:
                self.c.close()
                self.c = None
            if not self.connect():
                return False
        return True

    def run(self):
        while True:
            if not self.ready():
                break
            # Unanswered submits are retried first, with the same client_ref.
            if self.unknown_refs:
                if not self.submit(next(iter(self.unknown_refs))):
                    self.lost()
                continue
            t = self.pick()
            if t is None:
                self.seq += 1
                if not self.submit("w%d-%d" % (self.n, self.seq)):
                    self.lost()
                continue
            method, i, params = t
            a = self.apps[i]
            a["maybe"] += 1
            try:
                res = self.call(method, params)
            except RpcError as e:
                a["maybe"] -= 1  # an error changed nothing
                self.sh.errors.append((method, i, e.code, e.message))
                continue
            if res is None:
                self.lost()  # a["maybe"] stays: applied or not
                continue
            a["maybe"] -= 1
            a["done"] += 1
            if method == "app.extend":
                a["extends"] += 1
            a["state"] = res["state"]
            a["version"] = res["version"]
        if self.c is not None:
            self.c.close()


class CalendarWorker(Worker):
    """An admin toggling a holiday a week or two ahead: every calendar.set
    rewrites the due date of every open application in one transaction."""

    def run(self):
        import datetime
        day = None
        while True:
            if not self.ready():
                break
            try:
                if day is None:
                    h = self.call("system.health", None)
                    if h is None:
                        self.lost()
                        continue
                    day = datetime.date.fromisoformat(h["today"]) + datetime.timedelta(days=9)
                    while day.weekday() >= 5:
                        day += datetime.timedelta(days=1)
                cur = self.call("calendar.get", {"year": day.year})
                if cur is None:
                    self.lost()
                    continue
                hol = set(cur["holidays"]) ^ {day.isoformat()}
                res = self.call("calendar.set", {"year": day.year, "holidays": sorted(hol),
                                                 "workdays": cur["workdays"]})
                if res is None:
                    self.lost()
                    continue
                self.seq += 1
            except RpcError as e:
                self.sh.errors.append(("calendar.set", str(day), e.code, e.message))
            time.sleep(0.2)
        if self.c is not None:
            self.c.close()


def verify(db):
    out = subprocess.run([OGID, "verify", "--db", db], capture_output=True,
                         text=True, timeout=120)
    return out.returncode, (out.stdout + out.stderr).strip()



def test_kill9_during_concurrent_writes():
    rng = random.Random(SEED)
    print("# seed %d, %d cycles, %d threads" % (SEED, CYCLES, THREADS))
    d = Daemon()
    try:
        admin = d.admin()
        tok = admin.call("user.create", {"name": "cc", "roles": ["clerk", "supervisor"]})["token"]
        admin.call("user.create", {"name": "rv", "roles": ["reviewer"]})
        admin.close()

        sh = Shared()
        sh.port, sh.epoch = d.port, 1
        workers = [Worker(n, sh, tok, random.Random(rng.random())) for n in range(THREADS)]
        cal = CalendarWorker(THREADS, sh, d.admin_token, random.Random(rng.random()))
        for w in workers + [cal]:
            w.start()

        verified = []
        t0 = time.time()
        for cycle in range(CYCLES):
            time.sleep(rng.uniform(0.3 * RUN, 1.2 * RUN))
            with sh.lock:
                sh.port = None
            d.kill()
            rc, msg = verify(d.db)
            verified.append((rc, msg))
            ok(rc == 0, "cycle %d: ogid verify passes after kill -9" % (cycle + 1), msg)
            d.start()
            with sh.lock:
                sh.port = d.port
                sh.epoch += 1
                sh.cond.notify_all()
        time.sleep(0.5 * RUN)
        with sh.lock:
            sh.stop = True
            sh.cond.notify_all()
        for w in workers + [cal]:
            w.join(30)
        ok(not any(w.is_alive() for w in workers + [cal]), "workers finished")
        print("# %d calendar changes answered" % cal.seq)
        elapsed = time.time() - t0
        nreq = sum(w.requests for w in workers)
        print("# %d answered requests in %.1f s across %d kills" % (nreq, elapsed, CYCLES))

        c = d.client(tok, timeout=30)
        # Unanswered submits: retried with the same client_ref.
        for w in workers:
            for ref in sorted(w.unknown_refs):
                w.c = c
                w.submit(ref)
            w.c = None
        eq(sh.errors, [], "no error responses to well-formed writes")

        ids = list_all(c)
        eq(len(ids), len(set(ids)), "application ids are unique (%d)" % len(ids))
        answered = {}
        for w in workers:
            answered.update(w.answered)
        seqs = sorted(int(i.split("-")[1]) for i in ids if re.match(r"^\d{4}-\d{6}$", i))
        gaps = (seqs[-1] - len(seqs)) if seqs else 0
        print("# %d applications, %d answered submits, id gaps %d" %
              (len(ids), len(answered), gaps))
        unanswered = sum(w.ever_unknown for w in workers)
        ok(0 <= gaps <= unanswered,
           "id gaps only where a submit was unanswered (%d gaps, %d unanswered)" %
           (gaps, unanswered))

        # Every application: whole, never half-applied.
        by_ref, bad = {}, []
        apps = {}
        for w in workers:
            apps.update(w.apps)
        for i in ids:
            a = c.call("app.get", {"id": i})
            by_ref.setdefault(a.get("client_ref"), []).append(i)
            hist = [h for h in a["history"] if not h["method"].startswith("timer.")]
            ext = sum(1 for h in hist if h["method"] == "app.extend")
            if not hist or hist[0]["method"] != "app.submit":
                bad.append((i, "history does not start with app.submit"))
            if len(hist) != a["version"]:
                bad.append((i, "version %d but %d history events" % (a["version"], len(hist))))
            if a["deadline"]["extension_days"] != ext:
                bad.append((i, "extension_days %r but %d app.extend events" %
                            (a["deadline"]["extension_days"], ext)))
            # The cached due date follows the calendar as it is now.
            want = c.call("calendar.add", {"date": a["received_on"], "days": 20 + ext})
            if a["deadline"]["due_on"] != want:
                bad.append((i, "due_on %s but the calendar says %s" %
                            (a["deadline"]["due_on"], want)))
            t = apps.get(i)
            if t is None:
                bad.append((i, "an application no worker submitted"))
                continue
            lo, hi = 1 + t["done"], 1 + t["done"] + t["maybe"]
            if not lo <= a["version"] <= hi:
                bad.append((i, "version %d outside [%d, %d]" % (a["version"], lo, hi)))
            if ext < t["extends"]:
                bad.append((i, "answered extensions lost: %d < %d" % (ext, t["extends"])))
        eq(bad, [], "no application lost an answered change or is half-applied")

        missing = [(r, i) for r, i in answered.items() if by_ref.get(r) != [i]]
        eq(missing, [], "every answered submit is present exactly once, with its client_ref")
        dup = [(r, v) for r, v in by_ref.items() if len(v) != 1]
        eq(dup, [], "every client_ref names exactly one application")

        again = []
        for r, i in sorted(answered.items()):
            res = c.call("app.submit", {
                "applicant": {"kind": "natural_person", "name": "crash " + r},
                "channel": "online", "description": "crash test " + r, "client_ref": r})
            if res["id"] != i:
                again.append((r, i, res["id"]))
        eq(again, [], "submitting an answered client_ref again returns the same id")
        eq(len(list_all(c)), len(ids), "retries created nothing")
        # The search index (its own database, written by its own thread)
        # was killed with the rest: searches still find exactly the rows.
        sample = sorted(answered.items())[:: max(1, len(answered) // 20)]
        wrong = []
        for r, i in sample:
            want = sorted(j for ref, js in by_ref.items() if ref and ref.startswith(r)
                          for j in js)
            got = sorted(list_all(c, {"q": "crash test " + r}))
            if i not in got or got != want:
                wrong.append((r, got, want))
        eq(wrong, [], "a search for an answered submit's text finds it (and those it prefixes)")
        eq(sorted(list_all(c, {"q": "crash test"})), sorted(ids), "a search for all finds all")
        c.close()

        rc = d.stop()
        eq(rc, 0, "ogid exits 0 on SIGTERM after the crashes")
        rc, msg = verify(d.db)
        ok(rc == 0, "ogid verify passes at the end", msg)
        d.start()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
