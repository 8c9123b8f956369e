#!/usr/bin/env python3
"""A differential ("model") test of SPEC section 7 (report.annual): an
independent Python reading of that section, driven side by side with the
real ogid on a fake clock.

From a fixed seed, a few hundred applications are received over 2023,
2024 and 2025 (receipt dates weighted towards the turn of each year, and
some registered days later with a backdated received_on, across a year
end too), from every column of table 三 and every channel, and meet random
fates: replied with every outcome a reviewer may propose (through
corrections, consultations, failed secrecy checks and fees on the way),
with replied_on today or backdated (across a year end too); withdrawn from
every non-terminal state; deemed abandoned when a correction period or a
fee period lapses (the clock moving over it, across a year end too); or
left open. Replied and withdrawn applications get appeals of every kind
(filed_on before the conclusion as README allows, today, or later), some
decided in the year, some after it, some never.

Every day's steps are made at a random time of day (late on Dec 31, just
after midnight on Jan 1, before 08:00 when UTC is still on the day before),
with dates left to the daemon's "today" as often as given. A few cases are
pinned to the turn of 2024 and 2025 (periods whose last day is Dec 31,
lapsing at 00:00 on Jan 1; withdrawals, replies, appeals and decisions
late on Dec 31 and early on Jan 1). The daemon is down over the turn of
2025 (the lapses due meanwhile are handled at start-up), and calendar.set
changes days inside open periods (which move) and inside periods that have
lapsed already (whose applications stay concluded on the day they were).

The model keeps each application's column, original received_on, the day
it was concluded (SPEC section 7: its replied_on, or the day it was
withdrawn; a lapse withdraws it on the day after the period's last day,
SPEC section 4) and outcome, and each appeal's kind, filed_on, decided_on
and result, and computes every cell of report.annual from SPEC section 7
alone. At each turn of the year (and at the end) every year's report from
2017 to 2027 is compared cell by cell with the model as of that moment,
and SPEC's identities are checked: new + carried_in = concluded +
carried_out in every column, the group subtotals and `concluded`, `total`
as the sum of the columns, each appeal kind's total, and carried_out of
one year as carried_in of the next. Every few clock moves (and after each
calendar change) all the reports are compared again, before and after a
day's writes, with one TAP line at the end. As a guard against model
errors, the lapses each clock.set fires and each application's final
state, outcome and received_on are compared too.

Lapse dates use the reference holiday calendar (../shared/calendar/*.json
beside the project, or $OGI_REF_CALENDAR); without it, ogid's calendar.get.
OGI_REPORT_SEED (default 20261127) and OGI_REPORT_APPS (default 330)
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
from report_names import COLS, GROUPS, KINDS, OUTCOMES  # noqa: E402

TZ = datetime.timezone(datetime.timedelta(hours=8))
# Times of day the clock is set to: early ones are still the day before in
# UTC, late ones the day after in some zones; "today" is Asia/Shanghai's.
TIMES = ["00:00:01", "00:05:00", "00:30:00", "06:00:00", "07:59:59", "08:00:00",
         "09:00:00", "09:00:00", "12:00:00", "16:30:00", "23:30:00", "23:59:59"]
DAY = datetime.timedelta(days=1)
SEED = int(os.environ.get("OGI_REPORT_SEED", "20261127"))
NAPPS = int(os.environ.get("OGI_REPORT_APPS", "330"))
CAL_DIR = refcal.CAL_DIR

START = datetime.date(2023, 1, 1)      # the fake clock starts here
END = datetime.date(2026, 3, 31)       # and stops here
RECEIPT_YEARS = (2023, 2024, 2025)
REPORT_YEARS = list(range(2017, 2028))
RESTART_ACROSS = datetime.date(2025, 1, 1)
# Calendar changes (calendar.set) on a day: the days toggled. Dec 28 2024
# (a Saturday) made a working day shortens the periods that lapsed on Jan 1
# 2025 (last day Dec 31): they must stay concluded on Jan 1 all the same.
# The others fall on days ahead, inside open periods, which move.
CAL_CHANGES = [
    (datetime.date(2023, 6, 1), [datetime.date(2023, 6, 6), datetime.date(2023, 6, 10)]),
    (datetime.date(2024, 9, 2), [datetime.date(2024, 9, 5), datetime.date(2024, 9, 12)]),
    (datetime.date(2025, 3, 3), [datetime.date(2024, 12, 28), datetime.date(2025, 3, 7)]),
    (datetime.date(2025, 11, 3), [datetime.date(2025, 11, 8), datetime.date(2025, 11, 13)]),
]
CHECKPOINTS = [datetime.date(2024, 1, 8), datetime.date(2025, 1, 6),
               datetime.date(2026, 1, 5), END]

CATEGORIES = COLS[1:6]
# A reviewer may propose every outcome but the two the timers set.
PROPOSABLE = [o for o in OUTCOMES if o not in ("other.no_correction", "other.fee_unpaid")]
RELEASES = ("grant", "partial")
RESULTS = ["upheld", "corrected", "other"]
CHANNELS = ["in_person", "mail", "online", "fax", "other"]
CORRECTION_DAYS = 15   # SPEC section 4 default
FEE_DAYS = 20          # SPEC section 4


def D(s):
    return s if isinstance(s, datetime.date) else datetime.date.fromisoformat(s)


def group_of(outcome):
    return outcome.split(".", 1)[0]


# ---------------------------------------------------------------------------
# Working days (SPEC section 3), only for the lapse dates


class RefCal(refcal.RefCal):
    """The reference calendar over the years the scenarios reach."""

    def __init__(self, admin=None):
        super().__init__(datetime.date(2018, 1, 1), datetime.date(2028, 12, 31), admin)

    def lapse_day(self, notice, n):
        """SPEC section 4: the period's last day is calendar.add(notice, n);
        it lapses at 00:00 of the day after, and withdraws that day."""
        return self.add(notice, n) + DAY


# ---------------------------------------------------------------------------
# The model of SPEC section 7


class Model:
    def __init__(self):
        self.apps = {}     # key -> facts

    def new_app(self, key, column, received_on):
        self.apps[key] = {"column": column, "received_on": received_on,
                          "concluded_on": None, "outcome": None,
                          "state": "received", "appeals": {}}

    def report(self, year):
        y0, y1 = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        rows = ["new", "carried_in"]
        for g in GROUPS:
            rows.append(g)
            rows += [o for o in OUTCOMES if o.startswith(g + ".")]
        rows += ["concluded", "carried_out"]
        t = {r: dict.fromkeys(COLS, 0) for r in rows}

        def bump(row, col):
            t[row][col] += 1
            t[row]["total"] += 1

        for a in self.apps.values():
            col, rec, con = a["column"], a["received_on"], a["concluded_on"]
            if y0 <= rec <= y1:
                bump("new", col)
            if rec < y0 and (con is None or con >= y0):
                bump("carried_in", col)
            if con is not None and y0 <= con <= y1:
                o = a["outcome"]
                bump(o, col)
                if group_of(o) != o:
                    bump(group_of(o), col)
                bump("concluded", col)
            if rec <= y1 and (con is None or con > y1):
                bump("carried_out", col)
        ap = {k: dict.fromkeys(RESULTS + ["pending", "total"], 0) for k in KINDS}
        for a in self.apps.values():
            for x in a["appeals"].values():
                if x["filed_on"].year != year:
                    continue
                if x["decided_on"] is not None and x["decided_on"] <= y1:
                    ap[x["kind"]][x["result"]] += 1
                else:
                    ap[x["kind"]]["pending"] += 1
                ap[x["kind"]]["total"] += 1
        return {"year": year, "applications": t, "appeals": ap}


# ---------------------------------------------------------------------------
# The plan: per application, a list of steps (day, kind, params)


def rand_receipt(rng):
    if rng.random() < 0.02:
        # an old case imported late (before the first year of the run)
        return datetime.date(2018, 1, 1) + DAY * rng.randint(0, 5 * 365)
    year = rng.choice(RECEIPT_YEARS)
    if rng.random() < 0.3:
        # the turn of a year: Dec 15 .. Jan 10
        base = datetime.date(year, 12, 15) if year != 2025 or rng.random() < 0.8 \
            else datetime.date(year - 1, 12, 15)
        d = base + DAY * rng.randint(0, 26)
        if d.year > 2025:
            d = datetime.date(2025, 12, 31) - DAY * rng.randint(0, 5)
        return max(d, START)
    return datetime.date(year, 1, 1) + DAY * rng.randint(0, 364)


GAPS = [0, 0, 0, 1, 1, 2, 3, 4, 5, 7, 9, 12, 16, 21, 30, 45, 70]


class Planner:
    def __init__(self, rng, cal):
        self.rng = rng
        self.cal = cal

    def plan(self, key):
        rng = self.rng
        col = rng.choice(["natural_person"] * 4 + CATEGORIES)
        rec = rand_receipt(rng)
        lag = 0 if rng.random() < 0.65 else rng.choice([1, 2, 3, 5, 8, 12])
        reg = max(rec + DAY * lag, START)
        if rec < START:
            lag = 1
        if col == "natural_person":
            ap = {"kind": "natural_person", "name": "申请人" + key}
        else:
            ap = {"kind": "organization", "category": col, "name": "单位" + key}
        sub = {"applicant": ap, "channel": rng.choice(CHANNELS),
               "description": "请公开第%s号文件" % key}
        if lag or rng.random() < 0.5:
            sub["received_on"] = rec.isoformat()
        self.d = reg
        self.steps = [(reg, "submit", sub)]
        self.floor = rec          # earliest replied_on allowed
        self.key = key
        self.conclusion = None    # the planned day of conclusion
        fate = rng.choices(["reply", "withdraw", "lapse_corr", "lapse_fee", "open"],
                           [55, 15, 8, 6, 16])[0]
        getattr(self, "fate_" + fate)()
        if self.conclusion is not None and rng.random() < 0.35:
            self.appeals(rec)
        return {"key": key, "column": col, "received_on": rec, "fate": fate,
                "steps": self.steps}

    def nxt(self, gaps=GAPS):
        self.d += DAY * self.rng.choice(gaps)
        # now and then on the last day of a year or the first of the next
        d = self.d
        if (d.month == 12 and d.day >= 20 or d.month == 1 and d.day <= 8) \
                and self.rng.random() < 0.4:
            y = d.year if d.month == 12 else d.year - 1
            for edge in (datetime.date(y, 12, 31), datetime.date(y + 1, 1, 1)):
                if edge >= d:
                    self.d = edge
                    break
        return self.d

    def add(self, kind, params=None, day=None):
        self.steps.append((day or self.d, kind, params or {}))

    def within(self, days):
        """A day within a period of `days` working days from today (a
        period has at least as many calendar days as working days)."""
        self.d += DAY * self.rng.randint(0, days)
        return self.d

    def correction(self, lapse=False):
        rng = self.rng
        self.nxt()
        p = {"note": "请补正"}
        wd = CORRECTION_DAYS
        if rng.random() < 0.6:
            wd = rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30])
            p["within_days"] = wd
        self.add("correction", p)
        if lapse:
            self.conclusion = self.cal.lapse_day(self.d, wd)
            self.d = self.conclusion
            return
        return wd

    def fate_reply(self):
        rng = self.rng
        if rng.random() < 0.15:
            wd = self.correction()
            notice = self.d
            self.within(wd)
            p = {}
            corr = self.d
            if rng.random() < 0.5:
                corr = notice + DAY * rng.randint(0, (self.d - notice).days)
                p["received_on"] = corr.isoformat()
            self.add("correct", p)
            self.floor = corr
        self.nxt()
        self.add("assign")
        if rng.random() < 0.15:
            self.nxt()
            self.add("consult")
            self.within(14)
            self.add("consulted")
        outcome = rng.choice(PROPOSABLE + list(RELEASES) * 2)
        self.nxt()
        self.add("review", {"outcome": outcome})
        if outcome in RELEASES:
            if rng.random() < 0.15:
                self.nxt()
                self.add("secrecy", {"result": "fail"})
                outcome = rng.choice(PROPOSABLE)
                self.nxt()
                self.add("review", {"outcome": outcome})
            if outcome in RELEASES:
                self.nxt()
                self.add("secrecy", {"result": "pass"})
        if rng.random() < 0.12:
            self.nxt()
            self.add("fee_notice")
            self.within(FEE_DAYS)
            self.add("fee_paid")
        self.nxt(GAPS + [90, 120, 200])
        p = {}
        replied = self.d
        r = rng.random()
        if r < 0.35:
            lo = max(self.floor, self.d - DAY * 30)
            replied = lo + DAY * rng.randint(0, (self.d - lo).days)
            # across the year end when the reply is issued early in January
            if self.d.month == 1 and self.d.day <= 20 and rng.random() < 0.6:
                dec31 = datetime.date(self.d.year - 1, 12, 31)
                if dec31 >= self.floor:
                    replied = dec31 - DAY * rng.randint(0, min(5, (dec31 - self.floor).days))
            p["replied_on"] = replied.isoformat()
        elif r < 0.5:
            p["replied_on"] = replied.isoformat()
        self.add("reply", p)
        self.conclusion = self.d

    def fate_withdraw(self):
        rng = self.rng
        where = rng.choice(["received", "correction", "review", "consultation",
                            "secrecy", "ready", "fee", "fee_ready"])
        if where == "correction":
            wd = self.correction()
            self.within(wd)
        elif where != "received":
            self.nxt()
            self.add("assign")
            if where == "consultation":
                self.nxt()
                self.add("consult")
                self.within(14)
            elif where == "secrecy":
                self.nxt()
                self.add("review", {"outcome": rng.choice(RELEASES)})
            elif where in ("ready", "fee_ready"):
                self.nxt()
                self.add("review", {"outcome": rng.choice(
                    [o for o in PROPOSABLE if o not in RELEASES])})
            if where in ("fee", "fee_ready"):
                self.nxt()
                self.add("fee_notice")
                self.within(FEE_DAYS)
        if where in ("correction", "consultation", "fee", "fee_ready"):
            pass    # withdrawn within the period (a day it may not lapse)
        else:
            self.nxt(GAPS + [60, 150])
        self.add("withdraw")
        self.conclusion = self.d

    def fate_lapse_corr(self):
        self.correction(lapse=True)

    def fate_lapse_fee(self):
        rng = self.rng
        self.nxt()
        self.add("assign")
        if rng.random() < 0.5:
            self.nxt()
            self.add("review", {"outcome": rng.choice(
                [o for o in PROPOSABLE if o not in RELEASES])})
        self.nxt()
        self.add("fee_notice")
        self.conclusion = self.cal.lapse_day(self.d, FEE_DAYS)
        self.d = self.conclusion

    def fate_open(self):
        rng = self.rng
        where = rng.choice(["received", "review", "consultation", "secrecy", "ready"])
        if where == "received":
            return
        self.nxt()
        self.add("assign")
        if where == "consultation":
            self.nxt()
            self.add("consult")     # its period lapses back to review
        elif where == "secrecy":
            self.nxt()
            self.add("review", {"outcome": rng.choice(RELEASES)})
        elif where == "ready":
            self.nxt()
            self.add("review", {"outcome": rng.choice(PROPOSABLE)})
            if self.steps[-1][2]["outcome"] in RELEASES:
                self.nxt()
                self.add("secrecy", {"result": "pass"})

    def edge_plans(self, first):
        """Cases pinned to the turn of 2024 and of 2025: periods whose last
        day is Dec 31 (lapsing at 00:00 on Jan 1), and receipts, replies,
        withdrawals, appeals and decisions late on Dec 31 and early on
        Jan 1 with their dates left to the daemon's today."""
        plans = []
        n = first
        for y in (2024, 2025):
            dec31, jan1 = datetime.date(y, 12, 31), datetime.date(y + 1, 1, 1)
            i = self.cal.days.index(dec31)
            cases = [
                [(self.cal.days[i - 5], "correction", {"note": "请补正", "within_days": 5})],
                [(self.cal.days[i - 22], "assign", {}),
                 (self.cal.days[i - 20], "fee_notice", {})],
                [(jan1, "withdraw", {}), (jan1, "appeal", {"kind": "reconsideration",
                                                          "tag": 0}),
                 (jan1, "decide", {"tag": 0, "result": "upheld"})],
                [(dec31, "assign", {}), (dec31, "review", {"outcome": "deny.third_party"}),
                 (jan1, "reply", {}),
                 (jan1, "appeal", {"kind": "litigation", "tag": 0,
                                   "filed_on": dec31.isoformat()})],
                [(dec31, "withdraw", {}), (dec31, "appeal", {"kind": "litigation",
                                                             "tag": 0}),
                 (jan1, "decide", {"tag": 0, "result": "corrected"}),
                 (jan1, "appeal", {"kind": "litigation_after_reconsideration",
                                   "tag": 1, "filed_on": dec31.isoformat()}),
                 (jan1, "decide", {"tag": 1, "result": "other",
                                   "decided_on": dec31.isoformat()})],
                [(dec31, "assign", {}), (dec31, "review", {"outcome": "unavailable.unclear"}),
                 (dec31, "reply", {})],
            ]
            for steps in cases:
                key = "e%03d" % n
                n += 1
                col = CATEGORIES[n % 5] if n % 2 else "natural_person"
                if col == "natural_person":
                    ap = {"kind": "natural_person", "name": "申请人" + key}
                else:
                    ap = {"kind": "organization", "category": col, "name": "单位" + key}
                reg = min(steps[0][0], dec31)
                sub = {"applicant": ap, "channel": "online",
                       "description": "请公开第%s号文件" % key}
                steps = [(reg, "submit", sub)] + steps
                plans.append({"key": key, "column": col, "received_on": reg,
                              "fate": "edge", "steps": steps})
        return plans

    def appeals(self, rec):
        rng = self.rng
        n = 1 if rng.random() < 0.75 else 2
        d0 = self.conclusion
        if self.steps[-1][1] in ("correction", "fee_notice"):
            d0 += DAY * 6   # a calendar change may move a lapse a little later
        for i in range(n):
            a = d0 + DAY * rng.choice([0, 1, 5, 20, 40, 90, 150, 250])
            p = {"kind": rng.choice(KINDS), "tag": i}
            filed = a
            r = rng.random()
            if r < 0.35:
                # before the conclusion (an appeal against a late answer), or
                # any day up to today
                filed = rec + DAY * rng.randint(0, (a - rec).days)
                p["filed_on"] = filed.isoformat()
            elif r < 0.55:
                p["filed_on"] = filed.isoformat()
            self.steps.append((a, "appeal", p))
            if rng.random() < 0.75:
                dd = a + DAY * rng.choice([0, 3, 15, 30, 60, 120, 300])
                q = {"tag": i, "result": rng.choice(RESULTS)}
                if rng.random() < 0.6:
                    dec = filed + DAY * rng.randint(0, (dd - filed).days)
                    if dd.month == 1 and dd.day <= 20 and rng.random() < 0.5:
                        dec31 = datetime.date(dd.year - 1, 12, 31)
                        if dec31 >= filed:
                            dec = dec31
                    q["decided_on"] = dec.isoformat()
                self.steps.append((dd, "decide", q))


# ---------------------------------------------------------------------------
# Driving the daemon


class Run:
    def __init__(self):
        self.t0 = time.time()
        self.d = Daemon(fake_clock=START.isoformat() + "T09:00:00+08:00",
                        config="synchronous = normal\n")
        self.admin = self.d.admin()
        self.tokens = {}
        for name, role in (("clerk", "clerk"), ("rev", "reviewer"), ("sec", "secrecy"),
                           ("boss", "supervisor")):
            self.tokens[name], c = self.d.user(name, role)
            setattr(self, name, c)
        self.trng = random.Random(SEED + 1)   # times of day
        self.now = START.isoformat() + "T09:00:00+08:00"
        self.restarted = False
        self.interim = []       # differences found between the checkpoints
        self.n_interim = 0
        self.cal = RefCal(self.admin)
        self.model = Model()
        self.today = START
        self.ids = {}          # key -> daemon id
        self.appeal_no = {}    # (key, tag) -> daemon appeal number
        self.failures = []
        self.lapse_bad = []
        self.pending_lapses = {}   # key -> (day, outcome)
        self.n_clock = 0
        self.stats = {}

    def stat(self, what, n=1):
        self.stats[what] = self.stats.get(what, 0) + n

    def clock_time(self, day):
        """The instant a day's steps are made at: a random time of day, late
        on Dec 31 and early on Jan 1 more often than not."""
        if day.month == 12 and day.day == 31 and self.trng.random() < 0.8:
            t = self.trng.choice(["23:30:00", "23:59:59"])
        elif day.month == 1 and day.day == 1 and self.trng.random() < 0.8:
            t = self.trng.choice(["00:00:01", "00:05:00", "00:30:00"])
        else:
            t = self.trng.choice(TIMES)
        return day.isoformat() + "T" + t + "+08:00"

    def restart(self):
        for c in (self.admin, self.clerk, self.rev, self.sec, self.boss):
            c.close()
        self.d.restart(self.now)
        self.admin = self.d.admin()
        for name in self.tokens:
            setattr(self, name, self.d.client(self.tokens[name]))

    def clock(self, day):
        if day <= self.today:
            return
        self.now = self.clock_time(day)
        if self.today < RESTART_ACROSS <= day and not self.restarted:
            # the daemon is down over the turn of the year: what lapsed
            # meanwhile is handled at start-up, dated when it was due
            self.restarted = True
            self.restart()
            res = {"fired": None}
        else:
            res = self.admin.call("clock.set", {"now": self.now})
        self.n_clock += 1
        got = {}
        for e in res["fired"] or []:
            if e.get("type") == "lapsed":
                at = datetime.datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
                got[e["id"]] = at.astimezone(TZ).date()
        want = {}
        for key, (notice, n, outcome) in list(self.pending_lapses.items()):
            lday = self.cal.lapse_day(notice, n)
            if lday <= day:
                del self.pending_lapses[key]
                want[self.ids[key]] = lday
                if lday.month == 1 and lday.day == 1:
                    self.stat("lapse at 00:00 on Jan 1")
                if outcome is None:
                    self.stat("lapse of a consultation")
                    continue
                a = self.model.apps[key]
                a["state"], a["outcome"], a["concluded_on"] = "withdrawn", outcome, lday
                self.stat("lapse " + outcome + (" across a year end"
                                                 if lday.year != self.notice_year[key] else ""))
        if res["fired"] is None:
            self.stat("lapses handled at start-up")
            self.stat("lapses handled at start-up", len(want) - 1)
        elif got != want:
            self.lapse_bad.append("clock %s -> %s: fired %s, model %s" % (
                self.today, day, sorted(got.items()), sorted(want.items())))
        self.today = day

    def step(self, key, kind, p):
        m = self.model
        a = m.apps.get(key)
        id = self.ids.get(key)
        if kind == "submit":
            id = self.clerk.call("app.submit", p)["id"]
            self.ids[key] = id
            rec = D(p.get("received_on", self.today.isoformat()))
            col = p["applicant"].get("category", "natural_person")
            m.new_app(key, col, rec)
            if rec.year != self.today.year:
                self.stat("receipt registered after its year ended")
            return
        if kind == "assign":
            self.clerk.call("app.assign", {"id": id, "reviewer": "rev"})
            a["state"] = "review"
        elif kind == "correction":
            self.clerk.call("app.request_correction", dict(p, id=id))
            wd = p.get("within_days", CORRECTION_DAYS)
            self.pending_lapses[key] = (self.today, wd, "other.no_correction")
            self.notice_year[key] = self.today.year
            a["state"] = "correction"
        elif kind == "correct":
            self.clerk.call("app.correct", dict(p, id=id))
            self.pending_lapses.pop(key, None)
            a["state"] = "received"
            if D(p.get("received_on", self.today.isoformat())).year != a["received_on"].year:
                self.stat("correction received in a later year")
        elif kind == "consult":
            self.rev.call("app.consult", {"id": id, "party": "第三方", "note": "征求意见"})
            self.pending_lapses[key] = (self.today, 15, None)
            self.notice_year[key] = self.today.year
        elif kind == "consulted":
            self.rev.call("app.consulted", {"id": id, "opinion": "同意公开"})
            self.pending_lapses.pop(key, None)
        elif kind == "review":
            self.rev.call("app.review", {"id": id, "outcome": p["outcome"], "note": "拟办"})
            a["outcome"] = p["outcome"]
        elif kind == "secrecy":
            self.sec.call("app.secrecy", {"id": id, "result": p["result"], "note": "审查"})
            if p["result"] == "fail":
                a["outcome"] = None
        elif kind == "fee_notice":
            self.clerk.call("app.fee_notice", {"id": id, "amount_yuan": 50, "note": "收费"})
            self.pending_lapses[key] = (self.today, FEE_DAYS, "other.fee_unpaid")
            self.notice_year[key] = self.today.year
        elif kind == "fee_paid":
            self.clerk.call("app.fee_paid", {"id": id})
            self.pending_lapses.pop(key, None)
        elif kind == "reply":
            self.clerk.call("app.reply", dict(p, id=id, note="已答复"))
            con = D(p.get("replied_on", self.today.isoformat()))
            a["state"], a["concluded_on"] = "replied", con
            self.stat("replied " + a["outcome"])
            if con.year != self.today.year:
                self.stat("replied_on backdated across a year end")
        elif kind == "withdraw":
            self.clerk.call("app.withdraw", {"id": id, "reason": "申请人撤回"})
            self.pending_lapses.pop(key, None)
            a["state"], a["outcome"], a["concluded_on"] = "withdrawn", "other.other", self.today
            self.stat("withdrawn")
        elif kind == "appeal":
            q = {"id": id, "kind": p["kind"]}
            if "filed_on" in p:
                q["filed_on"] = p["filed_on"]
            n = self.clerk.call("app.appeal", q)["appeal"]
            self.appeal_no[key, p["tag"]] = n
            filed = D(p.get("filed_on", self.today.isoformat()))
            a["appeals"][p["tag"]] = {"kind": p["kind"], "filed_on": filed,
                                      "decided_on": None, "result": None}
            self.stat("appeal " + p["kind"])
            if a["concluded_on"] and filed < a["concluded_on"]:
                self.stat("appeal filed before the conclusion")
        elif kind == "decide":
            if (key, p["tag"]) not in self.appeal_no:
                return
            q = {"id": id, "appeal": self.appeal_no[key, p["tag"]], "result": p["result"]}
            if "decided_on" in p:
                q["decided_on"] = p["decided_on"]
            self.clerk.call("app.appeal_decided", q)
            x = a["appeals"][p["tag"]]
            x["decided_on"] = D(p.get("decided_on", self.today.isoformat()))
            x["result"] = p["result"]
            self.stat("appeal decided " + p["result"] +
                      (" after the filing year" if x["decided_on"].year > x["filed_on"].year
                       else ""))
        else:
            raise AssertionError(kind)

    def interim_check(self, label):
        """Every year's report against the model, no TAP line unless it
        differs (one summary line at the end)."""
        self.n_interim += 1
        for year in REPORT_YEARS:
            got = self.boss.call("report.annual", {"year": year})
            diffs = self.diff(got, self.model.report(year))
            if diffs:
                self.interim.append("%s: %d: %s" % (label, year, "; ".join(diffs[:4])))

    def diff(self, got, want):
        ga, wa = got.get("applications", {}), want["applications"]
        diffs = ["applications.%s.%s: daemon %r, model %r" %
                 (r, c, ga.get(r, {}).get(c), wa[r][c])
                 for r in wa for c in COLS if ga.get(r, {}).get(c) != wa[r][c]]
        gp, wp = got.get("appeals", {}), want["appeals"]
        diffs += ["appeals.%s.%s: daemon %r, model %r" %
                  (k, x, gp.get(k, {}).get(x), wp[k][x])
                  for k in KINDS for x in wp[k] if gp.get(k, {}).get(x) != wp[k][x]]
        return diffs

    def calendar_change(self, days):
        """calendar.set of the years of `days`, each toggled: what has lapsed
        keeps its date; open periods move (README)."""
        before = {k: self.cal.lapse_day(x, n) for k, (x, n, _) in self.pending_lapses.items()}
        for d in days:
            self.cal.toggle(d)
        for k, (x, n, _) in self.pending_lapses.items():
            if self.cal.lapse_day(x, n) != before[k]:
                self.stat("open period moved by a calendar change")
        for a in self.model.apps.values():
            if a["outcome"] in ("other.no_correction", "other.fee_unpaid") and \
                    a["concluded_on"] > min(days):
                self.stat("lapsed application whose period a calendar change touches")
        for year in sorted({d.year for d in days}):
            hol, work = self.cal.year_lists(year)
            self.admin.call("calendar.set", {"year": year, "holidays": hol, "workdays": work})
        self.stat("calendar changes")

    def compare_reports(self, label):
        reports = {}
        for year in REPORT_YEARS:
            got = self.boss.call("report.annual", {"year": year})
            want = self.model.report(year)
            reports[year] = got
            what = "%s: report.annual %d" % (label, year)
            eq(got.get("year"), year, what + ": year echoed")
            ga, wa = got.get("applications", {}), want["applications"]
            ok(list(ga) == list(wa) and all(sorted(ga[r]) == sorted(COLS) for r in ga)
               and sorted(got.get("appeals", {})) == sorted(KINDS)
               and all(sorted(got["appeals"][k]) == sorted(want["appeals"][k]) for k in KINDS),
               what + ": every row (in the form's order) and column, every appeal"
               " kind and result", list(ga))
            diffs = self.diff(got, want)
            ok(not diffs, what + ": every cell as the model of SPEC section 7",
               "\n".join(diffs))
            self.check_identities(got, what)
        for year in REPORT_YEARS[:-1]:
            eq(reports[year + 1]["applications"]["carried_in"],
               reports[year]["applications"]["carried_out"],
               "%s: carried_in of %d is carried_out of %d" % (label, year + 1, year))

    def check_identities(self, r, what):
        apps = r["applications"]
        bad = []
        for c in COLS:
            if apps["new"][c] + apps["carried_in"][c] != \
                    apps["concluded"][c] + apps["carried_out"][c]:
                bad.append("new + carried_in != concluded + carried_out in " + c)
            if apps["concluded"][c] != sum(apps[g][c] for g in GROUPS):
                bad.append("concluded != sum of the groups in " + c)
            for g in GROUPS[2:]:
                if apps[g][c] != sum(apps[o][c] for o in OUTCOMES if o.startswith(g + ".")):
                    bad.append("%s != sum of its outcomes in %s" % (g, c))
        for row in apps:
            if apps[row]["total"] != sum(apps[row][c] for c in COLS[:6]):
                bad.append("total != sum of the columns in " + row)
        for k in KINDS:
            x = r["appeals"][k]
            if x["total"] != sum(x[y] for y in RESULTS + ["pending"]):
                bad.append("appeals %s: total != upheld + corrected + other + pending" % k)
        ok(not bad, what + ": SPEC's identities hold", "\n".join(bad))

    def run(self, plans):
        self.notice_year = {}
        steps = []
        for i, pl in enumerate(plans):
            for j, (day, kind, p) in enumerate(pl["steps"]):
                if day > END:
                    break
                steps.append((day, i, j, pl["key"], kind, p))
        steps.sort(key=lambda s: s[:3])
        dead = set()
        cps = list(CHECKPOINTS)
        changes = list(CAL_CHANGES)
        moves = 0
        for n, (day, i, j, key, kind, p) in enumerate(steps):
            while changes and changes[0][0] < day:
                self.clock(changes[0][0])
                self.calendar_change(changes.pop(0)[1])
                self.interim_check("after a calendar change on %s" % self.now)
            while cps and cps[0] < day:
                self.clock(cps[0])
                self.compare_reports("as of %s" % self.now)
                cps.pop(0)
            if day > self.today:
                moves += 1
                if moves % 3 == 1:
                    self.interim_check("after the steps of %s" % self.now)
                self.clock(day)
                if moves % 3 == 0:
                    self.interim_check("before the steps of %s" % self.now)
            if key in dead:
                continue
            dflt = {"submit": "received_on", "reply": "replied_on", "withdraw": "-",
                    "appeal": "filed_on", "decide": "decided_on"}.get(kind)
            if dflt and dflt not in p and self.now[11:13] < "08":
                self.stat("%s dated today before 08:00 (UTC's yesterday)%s" % (
                    kind, " on Jan 1" if day.month == 1 and day.day == 1 else ""))
            try:
                self.step(key, kind, p)
            except RpcError as e:
                dead.add(key)
                self.failures.append("%s %s %s %r on %s: %s %s" % (
                    key, self.ids.get(key), kind, p, day, e, e.data))
        while cps:
            self.clock(cps[0])
            self.compare_reports("as of %s" % self.now)
            cps.pop(0)


RUN = None


def run():
    global RUN
    if RUN is None:
        rng = random.Random(SEED)
        RUN = Run()
        planner = Planner(rng, RUN.cal)
        plans = [planner.plan("r%03d" % i) for i in range(NAPPS)]
        plans += planner.edge_plans(0)
        RUN.plans = plans
        RUN.run(plans)
    return RUN


def test_model_against_daemon():
    r = run()
    ok(not r.failures, "every planned call is accepted (%d refused)" % len(r.failures),
       "\n".join(r.failures))
    ok(not r.interim, "report.annual of every year agrees with the model at %d more"
       " moments (every few steps)" % r.n_interim, "\n".join(r.interim))
    ok(not r.lapse_bad, "every clock.set fires exactly the lapses the model expects",
       "\n".join(r.lapse_bad))


def test_final_states():
    r = run()
    bad = []
    for key, a in r.model.apps.items():
        g = r.admin.call("app.get", {"id": r.ids[key]})
        want_state = a["state"] if a["state"] in ("replied", "withdrawn") else None
        got_state = g["state"] if g["state"] in ("replied", "withdrawn") else None
        if got_state != want_state or (want_state and g.get("outcome") != a["outcome"]):
            bad.append("%s %s: daemon %s/%s, model %s/%s" % (
                key, r.ids[key], g["state"], g.get("outcome"), a["state"], a["outcome"]))
        if g.get("received_on") != a["received_on"].isoformat():
            bad.append("%s: received_on %s, model %s" % (key, g.get("received_on"),
                                                         a["received_on"]))
    ok(not bad, "each application ends concluded (or not) with the model's outcome",
       "\n".join(bad))


def test_coverage():
    r = run()
    m = r.model
    replied = {o for o in OUTCOMES if r.stats.get("replied " + o)}
    eq(sorted(set(PROPOSABLE) - replied), [], "coverage: replied with every proposable outcome")
    for what in ("withdrawn", "lapse other.no_correction", "lapse other.fee_unpaid",
                 "lapse other.no_correction across a year end",
                 "replied_on backdated across a year end",
                 "receipt registered after its year ended",
                 "appeal filed before the conclusion"):
        ok(r.stats.get(what, 0) > 0, "coverage: %s (%d)" % (what, r.stats.get(what, 0)))
    for k in KINDS:
        ok(r.stats.get("appeal " + k, 0) > 0, "coverage: appeal " + k)
    for x in RESULTS:
        ok(r.stats.get("appeal decided " + x, 0) > 0, "coverage: appeal decided " + x)
    ok(r.stats.get("appeal decided upheld after the filing year", 0)
       + r.stats.get("appeal decided corrected after the filing year", 0)
       + r.stats.get("appeal decided other after the filing year", 0) > 0,
       "coverage: appeals decided after the year they were filed")
    for y in RECEIPT_YEARS:
        rep = m.report(y)
        ok(rep["applications"]["carried_out"]["total"] > 0,
           "coverage: applications open at the end of %d" % y)
    print("# %d applications over %s; %d clock moves; %.1f s" % (
        len(m.apps), RECEIPT_YEARS, r.n_clock, time.time() - r.t0))
    for k in sorted(r.stats):
        print("#   %s: %d" % (k, r.stats[k]))


def test_zz_daemon_clean():
    if RUN is not None:
        RUN.d.cleanup()


if __name__ == "__main__":
    main(globals())
