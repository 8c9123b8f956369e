#!/usr/bin/env python3
"""A differential ("model") test of SPEC sections 3 and 4 (working days,
deadlines and timers): an independent Python reading of those sections,
written from SPEC (and README's "Decisions where SPEC is silent") alone,
is driven side by side with the real ogid on a fake clock, through many
random but valid scenarios drawn from a fixed seed.

Four epochs (one daemon each, from a fixed seed) walk through random
steps: app.submit with received_on dates on working days, weekends,
holidays, long ago and around 2019-05-15; assign, request_correction /
correct, consult / consulted, review / secrecy, fee_notice / fee_paid,
extend (within the limit, past it, after due_on, while paused), reply,
withdraw; clock.set by an hour to weeks, or to (or a second before) the
next instant the model expects an event; now and then a restart with the
clock moved on, or a calendar.set that turns a date near today into a day
off or a working day.

After every step each application's `deadline` from app.get (due_on,
paused, waiting, paused_days, extension_days, remaining_workdays, overdue,
overdue_workdays, correction_late, the start and the rules), its state,
outcome and version, its timer history (type and `at` of every event),
the `fired` list of every clock.set, and deadline.overdue /
deadline.due_soon are compared with the model; every view must also agree
with its own history (state, version). An application whose daemon view
first departs from the model is reported once (with the steps that led
there) and then left out, so that one difference does not hide the rest
of the run. Events that are due already when a transition or a calendar
change is made fire "at once" from the daemon's loop, just after the
answer (README): those are waited for, up to 3 s, as test_timers does.

The working-day calendar of the model is read at run time from the
reference copy of the State Council's holiday data,
../shared/calendar/*.json beside the project (or $OGI_REF_CALENDAR;
without it, ogid's own calendar from calendar.get, and the check of the
two calendars skips, as test_calendar does), not from the
project's data/holidays-cn.txt. Years it does not cover count weekends
only, as SPEC section 3 says of a year with no calendar.

OGI_MODEL_SEED (default 20261127) and OGI_MODEL_STEPS (steps per epoch)
change the run; the defaults are what make check runs.
"""
import bisect
import datetime
import glob
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, RpcError, eq, main, ok  # noqa: E402
import refcal  # noqa: E402

TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai, no DST
DAY = datetime.timedelta(days=1)
NEW_RULES = datetime.date(2019, 5, 15)  # the 2019 Regulations took effect
CAL_DIR = refcal.CAL_DIR
SEED = int(os.environ.get("OGI_MODEL_SEED", "20261127"))
STEPS = int(os.environ.get("OGI_MODEL_STEPS", "0")) or None

RUNNING = ("received", "review", "secrecy", "ready")
PAUSED = ("correction", "consultation", "fee")
TERMINAL = ("replied", "withdrawn")
TIMER_TYPE = {"timer.due_soon": "due_soon", "timer.overdue": "overdue",
              "timer.lapse": "lapsed"}
TYPE_RANK = {"lapsed": 0, "due_soon": 1, "overdue": 2}
NEVER = datetime.datetime(1970, 1, 1, tzinfo=TZ)
MAX_DETAIL = 12  # "not ok" lines with details per epoch and kind
COVER = {}  # situation -> how many times the scenarios met it (printed)


def cover(what, n=1):
    COVER[what] = COVER.get(what, 0) + n


cover.skipped = set()  # applications resumed past their due date


def D(s):
    return s if isinstance(s, datetime.date) else datetime.date.fromisoformat(s)


def iso(d):
    return None if d is None else d.isoformat()


def mid(d):
    """00:00 local time of date d."""
    return datetime.datetime(d.year, d.month, d.day, tzinfo=TZ)


def ts(t):
    return t.isoformat()


# ---------------------------------------------------------------------------
# SPEC section 3: working days


class RefCal(refcal.RefCal):
    """The reference calendar over the years the scenarios reach."""

    def __init__(self):
        lo, hi = datetime.date(2010, 1, 1), datetime.date(2032, 12, 31)
        if refcal.have_reference():
            super().__init__(lo, hi)
            return
        d = Daemon()
        try:
            adm = d.admin()
            super().__init__(lo, hi, adm)
            adm.close()
        finally:
            d.cleanup()


CAL = None


def cal():
    global CAL
    if CAL is None:
        CAL = RefCal()
    return CAL


# ---------------------------------------------------------------------------
# SPEC section 4: one application's deadline and timers


class MApp:
    """The model of one application."""

    def __init__(self, id, received_on, now, assignee=None):
        self.id = id
        self.received_on = received_on
        old = received_on < NEW_RULES
        self.base = 15 if old else 20
        self.max_ext = 15 if old else 20
        self.state = "received"
        self.prev = None  # the state a fee notice came from
        self.assignee = assignee
        self.outcome = None
        self.version = 1
        self.proposer = None
        self.kept_due = None  # a concluded application's last due_on
        self.correction_late = False
        self.events = []  # [(type, at)] the timers must have recorded
        self.last_fired = {"due_soon": None, "overdue": None}
        self.fresh_start(received_on)
        self.waiting = None  # (kind, notice day, N working days)
        self.created = now

    def fresh_start(self, start):
        """Receipt, or a correction received: earlier extensions and pauses
        no longer count."""
        self.start = start
        self.exts = []
        self.pauses = []  # [from, to or None]
        self.resumed = NEVER  # 00:00 after the last pause's last day
        self.armed_at = {"due_soon": NEVER, "overdue": NEVER}  # by an extension

    # -- derived figures
    def paused_days(self):
        c = cal()
        return sum(c.count(s, e) for s, e in self.pauses if e is not None)

    def ext_days(self):
        return sum(self.exts)

    def due(self):
        return cal().add(self.start, self.base + self.ext_days() + self.paused_days())

    def due_on(self):
        if self.state in TERMINAL:
            return self.kept_due
        if self.state in PAUSED:
            return None
        return self.due()

    def deadline(self, today):
        """The deadline fields app.get must show on `today`."""
        c = cal()
        running = self.state in RUNNING
        due = self.due_on()
        w = None
        if self.state in PAUSED:
            kind, frm, last = self.period()
            w = {"kind": kind, "from": iso(frm), "last_day": iso(last)}
        return {
            "due_on": iso(due),
            "paused": self.state in PAUSED,
            "waiting": w,
            "paused_days": self.paused_days(),
            "extension_days": self.ext_days(),
            "remaining_workdays": c.count(today, due) if running else None,
            "overdue": running and today > due,
            "overdue_workdays": max(0, c.count(due, today)) if running else None,
            "correction_late": self.correction_late,
            "start": iso(self.start),
            "effective_start": iso(c.effective(self.start)),
            "base_days": self.base,
            "max_extension_days": self.max_ext,
        }

    # -- timers
    def pending(self, due_soon_days):
        """The next timer events of this application as [(at, type)]."""
        c = cal()
        self.dsd = due_soon_days
        if self.state in PAUSED:
            return [(mid(self.period()[2] + DAY), "lapsed")]
        if self.state not in RUNNING:
            return []
        due = self.due()
        out = []
        overdue_from = max(mid(due + DAY), self.resumed)
        if self.last_fired["overdue"] is None or due > self.last_fired["overdue"]:
            out.append((max(overdue_from, self.armed_at["overdue"]), "overdue"))
        if self.last_fired["due_soon"] is None or due > self.last_fired["due_soon"]:
            at = max(mid(c.due_soon_day(due, due_soon_days)), self.resumed,
                     self.armed_at["due_soon"])
            if at < overdue_from:  # overdue by then: never due soon for it
                out.append((at, "due_soon"))
            elif self.resumed > mid(due + DAY):
                cover.skipped.add(self.id)
        return out

    def fire(self, at, type):
        self.events.append((type, ts(at)))
        if type in self.last_fired:
            due = self.due()
            if at > mid(due + DAY) if type == "overdue" else \
                    at > mid(cal().due_soon_day(due, self.dsd)):
                cover("%s dated later than its day (resumption or extension)" % type)
            if self.last_fired[type] is not None:
                cover("%s fired again for a later due_on" % type)
            self.last_fired[type] = due
            return
        kind, _, last = self.period()
        cover("%s period lapsed" % kind)
        self.version += 1
        self.waiting = None
        if kind == "correction":
            self.conclude("other.no_correction", None)
        elif kind == "consultation":
            self.end_pause(last)
            self.state = "review"
        else:
            self.end_pause(last)
            self.conclude("other.fee_unpaid", self.due())

    def period(self):
        """The period waited on: its kind, notice day and last day, which
        is calendar.add(notice day, N) (SPEC section 4)."""
        kind, frm, n = self.waiting
        return kind, frm, cal().add(frm, n)

    # -- transitions
    def end_pause(self, e):
        self.pauses[-1][1] = e
        self.resumed = mid(e + DAY)

    def conclude(self, outcome, due):
        self.state = "withdrawn" if outcome.startswith("other.") else "replied"
        self.outcome = outcome
        self.kept_due = due

    def extend(self, days, now):
        before = self.due()
        self.exts.append(days)
        after = self.due()
        for t, fired in self.last_fired.items():
            if fired is not None and after > fired and after > before:
                self.armed_at[t] = max(self.armed_at[t], now)
                cover("extension re-arms %s" % t)


class Model:
    def __init__(self, due_soon_days=3, correction_days=15):
        self.apps = {}
        self.due_soon_days = due_soon_days
        self.correction_days = correction_days

    def advance(self, t):
        """Fire every event due by t, in order; return [(at, type, id)]."""
        fired = []
        while True:
            best = None
            for a in self.apps.values():
                for at, type in a.pending(self.due_soon_days):
                    key = (at, TYPE_RANK[type], a.id)
                    if at <= t and (best is None or key < best[0]):
                        best = (key, a, type)
            if best is None:
                return fired
            (at, _, _), a, type = best
            a.fire(at, type)
            fired.append((at, type, a.id))

    def next_instant(self, after):
        ats = [at for a in self.apps.values() for at, _ in a.pending(self.due_soon_days)
               if at > after]
        return min(ats) if ats else None


# ---------------------------------------------------------------------------
# The daemon side


class World:
    def __init__(self, start, config=None):
        self.d = Daemon(fake_clock=ts(start), config=config)
        self.now = start
        self.admin = self.d.admin()
        self.c = {"admin": self.admin}
        self.tokens = {"admin": self.d.admin_token}
        for name, roles in (("clerk", ["clerk"]), ("rev", ["reviewer"]),
                            ("rev2", ["reviewer"]), ("sec", ["secrecy"]),
                            ("sup", ["supervisor"])):
            self.tokens[name], self.c[name] = self.d.user(name, *roles)

    def restart(self, t):
        """Stop ogid and start it again with the clock at t."""
        for c in self.c.values():
            c.close()
        self.d.restart(fake_clock=ts(t))
        self.c = {name: self.d.client(tok) for name, tok in self.tokens.items()}
        self.admin = self.c["admin"]

    def close(self):
        for c in self.c.values():
            c.close()
        self.d.cleanup()


def app_view(w, id):
    return w.admin.call("app.get", {"id": id})


def timer_history(a):
    return [(TIMER_TYPE.get(h["method"], h["method"]), h["at"])
            for h in a["history"] if h["actor"] == "system"]


def daemon_deadline(a):
    dl = a["deadline"]
    ex = dl.get("explain") or {}
    got = {k: dl.get(k, "<absent>") for k in (
        "due_on", "paused", "waiting", "paused_days", "extension_days",
        "remaining_workdays", "overdue", "overdue_workdays", "correction_late")}
    if isinstance(got["waiting"], dict):
        got["waiting"] = {k: got["waiting"].get(k) for k in ("kind", "from", "last_day")}
    got["start"] = ex.get("start")
    got["effective_start"] = ex.get("effective_start")
    got["base_days"] = ex.get("base_days")
    got["max_extension_days"] = ex.get("max_extension_days")
    return got


def wait_for(pred, seconds=3.0):
    end = time.time() + seconds
    while True:
        v = pred()
        if v or time.time() > end:
            return v
        time.sleep(0.02)


# ---------------------------------------------------------------------------
# One epoch: a daemon, a model, and a random walk of steps


class Epoch:
    def __init__(self, name, start, end, seed, steps, config=None, due_soon_days=3,
                 correction_days=15, old_dates=(), calendar_changes=True):
        self.calendar_changes = calendar_changes
        self.name = name
        self.rng = random.Random(seed)
        self.start, self.end = start, end
        self.steps = steps
        self.config = config
        self.model = Model(due_soon_days, correction_days)
        self.old_dates = [D(x) for x in old_dates]
        self.live = []  # ids still driven
        self.gone = set()  # ids that departed from the model: not checked any more
        self.stats = {"steps": 0, "clock": 0, "fired": 0, "checks": 0, "actions": 0,
                      "refusals": 0, "apps": 0}
        self.bad = {}  # kind -> number of mismatches
        self.log = []  # the steps so far, for a reproduction
        self.last_method = None

    # -- reporting
    def mismatch(self, kind, what, got, want, id=None):
        n = self.bad.get(kind, 0) + 1
        self.bad[kind] = n
        if n <= MAX_DETAIL:
            detail = "got:  %r\nwant: %r\nsteps of %s:\n  %s" % (
                got, want, id or "the epoch",
                "\n  ".join([s for s in self.log if id is None or id in s or
                             s.startswith("clock")][-14:]))
            ok(False, "%s: %s" % (self.name, what), detail)
        if id is not None:
            self.gone.add(id)
            if id in self.live:
                self.live.remove(id)

    @property
    def today(self):
        return self.now.date()

    # -- the run
    def run(self):
        global CAL
        CAL = RefCal()  # each daemon starts with the shipped calendar
        w = self.w = World(self.start, self.config)
        self.now = self.start
        try:
            for _ in range(self.steps):
                self.stats["steps"] += 1
                self.step()
                self.check_all()
                self.check_lists()
            self.check_all(final=True)
        finally:
            w.close()
        total = sum(self.bad.values())
        ok(total == 0, "%s: %d steps, %d applications, %d actions (%d refused as the "
           "model said), %d clock moves firing %d events, %d application checks: "
           "%s" % (self.name, self.stats["steps"], self.stats["apps"], self.stats["actions"],
                   self.stats["refusals"], self.stats["clock"], self.stats["fired"],
                   self.stats["checks"], "no difference from the model" if total == 0 else
                   "differences %r" % self.bad))

    def step(self):
        r = self.rng.random()
        if not self.live or (len(self.live) < 8 and r < 0.12):
            self.submit()
        elif r < 0.40:
            self.move_clock()
        elif r < 0.41:
            self.restart()
        elif r < 0.43 and self.calendar_changes:
            self.change_calendar()
        else:
            id = self.rng.choice(self.live)
            self.act(id)

    # -- submit
    def received_date(self):
        rng, today = self.rng, self.today
        k = rng.random()
        if k < 0.3:
            d = today
        elif k < 0.6:
            d = today - DAY * rng.randint(1, 12)
        elif k < 0.75:
            # a non-working day near today (weekend or holiday)
            d = today - DAY * rng.randint(0, 20)
            for _ in range(30):
                if not cal().is_workday(d):
                    break
                d -= DAY
        elif k < 0.85:
            d = today - DAY * rng.randint(20, 45)  # due soon or overdue at once
        elif self.old_dates and k < 0.95:
            d = rng.choice(self.old_dates)
        else:
            d = today - DAY * rng.randint(0, 5)
        return min(d, today)

    def submit(self):
        rec = self.received_date()
        res = self.w.c["clerk"].call("app.submit", {
            "applicant": {"kind": "natural_person", "name": "模型%d" % self.stats["apps"]},
            "channel": self.rng.choice(["in_person", "mail", "online"]),
            "description": "差分测试", "received_on": iso(rec)})
        id = res["id"]
        self.stats["apps"] += 1
        self.stats["actions"] += 1
        self.log.append("%s app.submit received_on=%s -> %s" % (ts(self.now), rec, id))
        self.last_method = "app.submit"
        a = MApp(id, rec, self.now)
        cover("received on a non-working day" if not cal().is_workday(rec) else
              "received on a working day")
        if rec < NEW_RULES:
            cover("2007 rules (received before 2019-05-15)")
        self.model.apps[id] = a
        self.live.append(id)
        self.after_action(id, res)

    # -- the clock
    def move_clock(self):
        rng = self.rng
        k = rng.random()
        nxt = self.model.next_instant(self.now)
        if nxt is not None and k < 0.3:
            t = nxt - datetime.timedelta(seconds=rng.choice([0, 0, 1]))
            if t <= self.now:
                t = nxt
            cover("clock set to an event's instant" if t == nxt else
                  "clock set a second before an event")
        elif k < 0.6:
            t = self.now + datetime.timedelta(hours=rng.randint(1, 14))
        elif k < 0.93:
            t = self.now + datetime.timedelta(days=rng.randint(1, 4),
                                              hours=rng.randint(0, 23))
        else:
            t = self.now + datetime.timedelta(weeks=rng.randint(1, 3),
                                              hours=rng.randint(0, 23))
        t = t.replace(microsecond=0)
        self.stats["clock"] += 1
        res = self.w.admin.call("clock.set", {"now": ts(t)})
        self.log.append("clock.set %s" % ts(t))
        prev, self.now = self.now, t
        want = self.model.advance(t)
        self.stats["fired"] += len(want)
        got = [(f["at"], f["type"], f["id"]) for f in res["fired"]]
        ats = [f[0] for f in got]
        if ats != sorted(ats, key=lambda x: datetime.datetime.fromisoformat(x)):
            self.mismatch("fired_order", "clock.set %s fires in time order" % ts(t), ats,
                          "sorted")
        got = [f for f in got if f[2] not in self.gone]
        want = [(ts(at), type, id) for at, type, id in want if id not in self.gone]
        key = lambda f: (datetime.datetime.fromisoformat(f[0]), TYPE_RANK.get(f[1], 9), f[2])
        if sorted(got, key=key) != sorted(want, key=key):
            ids = {f[2] for f in got} ^ {f[2] for f in want}
            ids |= {f[2] for f in set(got) ^ set(want)}
            self.mismatch("fired", "clock.set %s -> %s: fired as the model says" % (
                ts(prev), ts(t)), sorted(got, key=key), sorted(want, key=key))
            for id in ids:
                self.gone.add(id)
                if id in self.live:
                    self.live.remove(id)
        if res.get("now") != ts(t):
            self.mismatch("clock", "clock.set echoes now", res.get("now"), ts(t))

    def restart(self):
        """SPEC section 4: deadlines that pass while ogid is down are
        handled at start-up and carry the instant they were due."""
        t = (self.now + datetime.timedelta(hours=self.rng.randint(1, 24 * 12))).replace(
            microsecond=0)
        self.log.append("restart with --fake-clock %s" % ts(t))
        self.w.restart(t)
        self.now = t
        n = len(self.model.advance(t))
        cover("restart handling %s events due while down" % ("some" if n else "no"))

    def change_calendar(self):
        """SPEC section 4: a calendar change moves every open deadline and
        its timers at once. A date near today (before or after) changes
        from working day to day off or back."""
        c = cal()
        d = self.today + DAY * self.rng.randint(-25, 40)
        if not (2019 <= d.year <= 2026):
            return
        was = c.is_workday(d)
        c.toggle(d)
        hol, work = c.year_lists(d.year)
        self.stats["actions"] += 1
        self.last_method = "calendar.set"
        self.log.append("%s calendar.set %s %s" % (ts(self.now), iso(d),
                                                   "off" if was else "working"))
        resp = self.w.admin.request("calendar.set",
                                    {"year": d.year, "holidays": hol, "workdays": work})
        if "error" in resp:
            self.mismatch("calendar", "calendar.set %s" % iso(d), resp["error"], "success")
            return
        cover("calendar change %s today" % ("before" if d < self.today else "on or after"))
        for _, type, _ in self.model.advance(self.now):
            cover("%s due already after calendar.set" % type)

    # -- transitions
    def act(self, id):
        a = self.model.apps[id]
        rng = self.rng
        st = a.state
        choices = {
            "received": [("assign", 4), ("correction", 2), ("extend", 2), ("withdraw", 0.3)],
            "review": [("consult", 3), ("review", 3), ("fee", 2), ("correction", 1),
                       ("extend", 2), ("assign", 0.5), ("withdraw", 0.3)],
            "consultation": [("consulted", 3), ("extend", 0.7), ("withdraw", 0.3)],
            "secrecy": [("secrecy", 3), ("extend", 1), ("withdraw", 0.2)],
            "fee": [("fee_paid", 3), ("extend", 0.7), ("withdraw", 0.3)],
            "ready": [("reply", 2), ("fee", 1), ("extend", 1.5), ("withdraw", 0.2)],
            "correction": [("correct", 3), ("extend", 0.5), ("withdraw", 0.3)],
        }.get(st)
        if not choices:
            self.live.remove(id)
            return
        names, weights = zip(*choices)
        getattr(self, "do_" + rng.choices(names, weights)[0])(a)

    def call(self, a, who, method, params, want_error=None):
        """Run a transition on the daemon; return its result (or None when
        it failed as expected)."""
        p = dict(params, id=a.id)
        shown = {k: v for k, v in p.items() if k not in ("note", "reason", "party",
                                                           "opinion", "id")}
        self.log.append("%s %s %s %s %s" % (ts(self.now), who, method, a.id,
                                            json.dumps(shown, ensure_ascii=False)))
        self.stats["actions"] += 1
        self.last_method = method
        resp = self.w.c[who].request(method, p)
        err = (resp or {}).get("error")
        if want_error is not None:
            code = (err or {}).get("code")
            if code != want_error:
                self.mismatch("refusal", "%s %s refused with %s" % (method, a.id, want_error),
                              err or "success", want_error, a.id)
                return None
            self.stats["refusals"] += 1
            return None
        if err is not None:
            self.mismatch("transition", "%s %s succeeds" % (method, a.id), err, "success", a.id)
            return None
        return resp["result"]

    def done(self, a, res):
        if res is not None:
            a.version += 1
            self.after_action(a.id, res)

    def after_action(self, id, res):
        """The transition's own answer must agree with the model as app.get
        does; events already due fire at once (recorded, not in a
        clock.set)."""
        a = self.model.apps[id]
        for _, type, _ in self.model.advance(self.now):
            cover("%s due already after %s" % (type, self.last_method))
        self.check_view(a, res, "answer of the transition", timers=False)

    def do_assign(self, a):
        rev = "rev" if a.assignee != "rev" else self.rng.choice(["rev", "rev2"])
        res = self.call(a, self.rng.choice(["clerk", "sup"]), "app.assign", {"reviewer": rev})
        if res is not None:
            a.state, a.assignee = "review", rev
        self.done(a, res)

    def do_correction(self, a):
        p = {"note": "请补正"}
        within = self.model.correction_days
        if self.rng.random() < 0.6:
            within = self.rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30])
            p["within_days"] = within
        who = "rev" if a.assignee and self.rng.random() < 0.4 else "clerk"
        if who == "rev":
            who = a.assignee
        res = self.call(a, who, "app.request_correction", p)
        if res is not None:
            c = cal()
            a.correction_late = self.today > c.add(a.start, 7)
            cover("correction notice late" if a.correction_late else "correction notice")
            self.notice_cover()
            a.waiting = ("correction", self.today, within)
            a.state = "correction"
        self.done(a, res)

    def do_correct(self, a):
        p = {}
        rec = self.today
        if self.rng.random() < 0.5:
            rec = self.backdated(max(a.waiting[1], a.received_on))
            p["received_on"] = iso(rec)
            cover("correction received_on given")
        res = self.call(a, "clerk", "app.correct", p)
        if res is not None:
            a.fresh_start(rec)
            a.waiting = None
            a.state = "review" if a.assignee else "received"
        self.done(a, res)

    def pause(self, a, kind, days):
        """The model's side of a notice that stops the clock for days."""
        a.pauses.append([self.today, None])
        a.waiting = (kind, self.today, days)
        self.notice_cover()
        a.state = kind

    def backdated(self, lo):
        """A day from lo to today, at random."""
        return lo + DAY * self.rng.randint(0, (self.today - lo).days)

    def do_consult(self, a):
        res = self.call(a, a.assignee, "app.consult", {"party": "第三方", "note": "征求意见"})
        if res is not None:
            self.pause(a, "consultation", 15)
        self.done(a, res)

    def do_consulted(self, a):
        res = self.call(a, a.assignee, "app.consulted", {"opinion": "同意"})
        if res is not None:
            a.end_pause(self.today)
            a.waiting = None
            a.state = "review"
        self.done(a, res)

    def do_review(self, a):
        oc = self.rng.choice(["grant", "partial", "deny.third_party", "unavailable.not_held"])
        res = self.call(a, a.assignee, "app.review", {"outcome": oc, "note": "审查意见"})
        if res is not None:
            a.outcome, a.proposer = oc, a.assignee
            a.state = "secrecy" if oc in ("grant", "partial") else "ready"
        self.done(a, res)

    def do_secrecy(self, a):
        result = "pass" if self.rng.random() < 0.75 else "fail"
        res = self.call(a, "sec", "app.secrecy", {"result": result, "note": "保密审查"})
        if res is not None:
            if result == "pass":
                a.state = "ready"
            else:
                a.state, a.outcome = "review", None
        self.done(a, res)

    def do_fee(self, a):
        res = self.call(a, "clerk", "app.fee_notice", {"amount_yuan": 12.5, "note": "信息处理费"})
        if res is not None:
            a.prev = a.state
            self.pause(a, "fee", 20)
        self.done(a, res)

    def do_fee_paid(self, a):
        p = {}
        paid = self.today
        if self.rng.random() < 0.5:
            paid = self.backdated(a.waiting[1])
            p["paid_on"] = iso(paid)
            cover("fee paid_on given")
        res = self.call(a, "clerk", "app.fee_paid", p)
        if res is not None:
            a.end_pause(paid)
            a.waiting = None
            a.state = a.prev
        self.done(a, res)

    def do_extend(self, a):
        rng = self.rng
        left = a.max_ext - a.ext_days()
        k = rng.random()
        if k < 0.2:
            days = rng.randint(left + 1, a.max_ext + 5) if left < a.max_ext + 5 else left + 1
            days = max(1, days)
        elif k < 0.5:
            days = rng.randint(1, max(1, min(left, 3)))
        else:
            days = rng.randint(1, max(1, left))
        if a.state not in RUNNING:
            want = -32004
        elif a.ext_days() + days > a.max_ext:
            want = -32602
        elif self.today > a.due():
            want = -32004
        else:
            want = None
        cover("extension refused %s" % want if want else
              "extension to the limit" if a.ext_days() + days == a.max_ext else "extension")
        res = self.call(a, "sup", "app.extend", {"days": days, "reason": "情况复杂"},
                        want_error=want)
        if want is None and res is not None:
            a.extend(days, self.now)
            self.done(a, res)

    def do_reply(self, a):
        p = {"note": "已答复"}
        if self.rng.random() < 0.3:
            lo = max(a.start, a.received_on)
            p["replied_on"] = iso(lo + DAY * self.rng.randint(0, max(0, (self.today - lo).days)))
        res = self.call(a, "clerk", "app.reply", p)
        if res is not None:
            a.conclude(a.outcome, a.due())
            a.state = "replied"
        self.done(a, res)

    def do_withdraw(self, a):
        cover("withdrawn from %s" % a.state)
        res = self.call(a, "clerk", "app.withdraw", {"reason": "申请人撤回"})
        if res is not None:
            if a.state in ("consultation", "fee"):
                a.end_pause(self.today)
                due = a.due()
            elif a.state == "correction":
                due = None
            else:
                due = a.due()
            a.waiting = None
            a.conclude("other.other", due)
        self.done(a, res)

    def notice_cover(self):
        if not cal().is_workday(self.today):
            cover("notice given on a non-working day")

    # -- checks
    def check_all(self, final=False):
        for id in list(self.model.apps):
            if id in self.gone:
                continue
            a = self.model.apps[id]
            if a.state in TERMINAL and id not in self.live and not final:
                continue  # concluded: checked once more at the end
            self.check_view(a, app_view(self.w, id), "app.get")
            if a.state in RUNNING and self.today > a.due():
                cover("overdue application checked")
            if a.state in TERMINAL and id in self.live:
                self.live.remove(id)

    def check_lists(self):
        """deadline.overdue and deadline.due_soon (SPEC sections 4 and 5)
        list exactly the applications the model says are overdue / due
        soon, with the same figures, earliest due date first."""
        c, today = cal(), self.today
        within = self.model.due_soon_days
        p = {"limit": 500}
        if self.rng.random() < 0.3:
            within = self.rng.randint(0, 8)
            p["within_days"] = within
        for method, params in (("deadline.overdue", {"limit": 500}), ("deadline.due_soon", p)):
            res = self.w.c["sup"].call(method, params)
            items = [i for i in res["items"] if i["id"] not in self.gone]
            dues = [i["due_on"] for i in items]
            if dues != sorted(dues, reverse=False):
                self.mismatch("lists", "%s: earliest due date first" % method, dues, "sorted")
            got = sorted((i["id"], i["due_on"], i["remaining_workdays"], i["overdue_workdays"],
                          i["overdue"]) for i in items)
            want = []
            for a in self.model.apps.values():
                if a.id in self.gone or a.state not in RUNNING:
                    continue
                due = a.due()
                over = today > due
                if method == "deadline.overdue" and not over:
                    continue
                if method == "deadline.due_soon" and (over or c.count(today, due) > within):
                    continue
                want.append((a.id, iso(due), c.count(today, due), max(0, c.count(due, today)),
                             over))
            want.sort()
            if got != want:
                self.mismatch("lists", "%s%s on %s as the model says" % (
                    method, " within %d" % within if method == "deadline.due_soon" else "",
                    today), got, want)
                for id in {x[0] for x in set(got) ^ set(want)}:
                    self.gone.add(id)
                    if id in self.live:
                        self.live.remove(id)

    def torn(self, a, view, where):
        """An application and its own history must agree: its state is
        where its last event went, and its version counts the events that
        are changes (every one but due_soon and overdue, SPEC section 4)."""
        h = view["history"]
        changes = sum(1 for e in h if e["method"] not in ("timer.due_soon", "timer.overdue"))
        if h and (h[-1]["to"] != view["state"] or changes != view["version"]):
            self.mismatch("torn", "%s %s: state and version agree with its own history" % (
                where, a.id), (view["state"], view["version"], view["deadline"]["paused"],
                               view["deadline"]["waiting"]),
                ([(e["method"], e["at"], e["to"]) for e in h[-3:]], changes))
            return True
        return False

    def check_view(self, a, view, where, timers=True):
        self.stats["checks"] += 1
        want = a.deadline(self.today)
        got = daemon_deadline(view)
        self.torn(a, view, where)
        if (got != want or (view["state"], view["outcome"], view["version"]) !=
                (a.state, a.outcome, a.version)) and self.last_method == "calendar.set":
            # A calendar change that brings a lapse into the past: the
            # lapse fires at once, from the daemon's loop, just after
            # calendar.set has answered (as test_timers waits for).
            end = time.time() + 3
            while time.time() < end:
                time.sleep(0.02)
                view = app_view(self.w, a.id)
                got = daemon_deadline(view)
                self.torn(a, view, where + " (after calendar.set)")
                if got == want and (view["state"], view["outcome"], view["version"]) == \
                        (a.state, a.outcome, a.version):
                    cover("lapse after calendar.set seen late by app.get")
                    break
        if got != want:
            diff = {k: (got.get(k), want[k]) for k in want if got.get(k) != want[k]}
            self.mismatch("deadline", "%s %s: deadline as the model says (%s, today %s)" % (
                where, a.id, a.state, self.today), diff, "(daemon, model) per field", a.id)
            return
        g = (view["state"], view["outcome"], view["version"])
        w = (a.state, a.outcome, a.version)
        if g != w:
            self.mismatch("state", "%s %s: state, outcome, version" % (where, a.id), g, w, a.id)
            return
        if not timers:
            return
        want_ev = [(t, at) for t, at in a.events]
        got_ev = timer_history(view)
        if got_ev != want_ev:
            # Events already due fire at once, from the daemon's loop.
            got_ev = wait_for(lambda: (lambda v: v if v == want_ev else None)(
                timer_history(app_view(self.w, a.id)))) or timer_history(app_view(self.w, a.id))
            if got_ev != want_ev:
                self.mismatch("timers", "%s %s: timer events in its history" % (where, a.id),
                              got_ev, want_ev, a.id)


# ---------------------------------------------------------------------------


def epochs():
    dt = lambda s: datetime.datetime.fromisoformat(s)
    n = STEPS or 600
    return [
        # Across 2019-05-15 (the 2019 Regulations) and May Day 2019.
        Epoch("2019 rules change", dt("2019-04-17T09:00:00+08:00"),
              dt("2019-10-30T00:00:00+08:00"), SEED, n,
              old_dates=["2019-05-13", "2019-05-14", "2019-05-15", "2019-05-16",
                         "2019-04-28", "2019-05-04", "2019-05-05"]),
        # The Spring Festival of 2020 and its extension.
        Epoch("Spring Festival 2020", dt("2020-01-06T15:30:00+08:00"),
              dt("2020-06-30T00:00:00+08:00"), SEED + 1, n,
              old_dates=["2019-05-14", "2019-12-31"]),
        # National Day 2024, with its adjusted Sundays and Saturday.
        Epoch("National Day 2024", dt("2024-09-13T08:00:00+08:00"),
              dt("2025-03-30T00:00:00+08:00"), SEED + 2, n,
              old_dates=["2019-05-10", "2024-09-29", "2024-10-01"]),
        # The Spring Festival of 2026 with other settings: due soon 5 days
        # ahead and 10 days to correct by default.
        Epoch("Spring Festival 2026, due_soon_days 5", dt("2026-01-23T11:00:00+08:00"),
              dt("2026-07-30T00:00:00+08:00"), SEED + 3, n,
              config="due_soon_days = 5\ncorrection_days = 10\n", due_soon_days=5,
              correction_days=10, old_dates=["2026-02-14", "2026-02-15", "2026-02-28"]),
    ]


def have_reference():
    if glob.glob(os.path.join(CAL_DIR, "*.json")):
        return True
    ok(True, "# SKIP no reference calendar in %s" % CAL_DIR)
    return False


def test_reference_calendar_agrees_with_the_daemon():
    """The model's calendar (the reference data) and the daemon's agree on
    every date the scenarios touch, so that a difference below is one of
    deadlines, not of holidays."""
    if not have_reference():
        return
    c = cal()
    d = Daemon()
    try:
        adm = d.admin()
        days = []
        x = datetime.date(2019, 1, 1)
        while x <= datetime.date(2026, 12, 31):
            days.append(x)
            x += DAY
        bad = []
        for i in range(0, len(days), 500):
            chunk = days[i:i + 500]
            reqs = [{"jsonrpc": "2.0", "id": j, "method": "calendar.is_workday",
                     "params": {"date": iso(day)}} for j, day in enumerate(chunk)]
            adm.send_raw(json.dumps(reqs) + "\n")
            resp = adm.recv_line(timeout=30)
            for r in resp:
                day = chunk[r["id"]]
                if r.get("result") != c.is_workday(day):
                    bad.append((iso(day), r.get("result")))
        eq(bad, [], "calendar.is_workday agrees with the reference calendar, 2019-2026")
        adm.close()
    finally:
        d.cleanup()


def test_model_against_daemon():
    if not glob.glob(os.path.join(CAL_DIR, "*.json")):
        print("# no reference calendar in %s: the model uses ogid's" % CAL_DIR)
    t0 = time.time()
    for ep in epochs():
        ep.run()
    cover("resumed past its due date: no due soon", len(cover.skipped))
    for k in sorted(COVER):
        print("# covered %5d x %s" % (COVER[k], k))
    print("# %.1f s" % (time.time() - t0), flush=True)


if __name__ == "__main__":
    main(globals())
