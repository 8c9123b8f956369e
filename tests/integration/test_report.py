#!/usr/bin/env python3
"""SPEC section 7 (the annual report) and report.summary, through the real
ogid on a fake clock: a scenario over 2025 and 2026 with applicants in
every column, every outcome group (timers' lapses included), applications
carried over from one year into the next, receipts and replies on the
year's edges, and appeals decided in the year, after it, or never. The
figures are worked out by hand below; the balance rule
new + carried_in = concluded + carried_out is checked in every column of
every report asked for.
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Daemon, eq, main, ok  # noqa: E402
from report_names import COLS, GROUPS, KINDS, OUTCOMES  # noqa: E402

# Table 三 in the order of the official form: a group's subtotal first.
ROWS = ["new", "carried_in", "grant", "partial"]
for _g in GROUPS[2:]:
    ROWS += [_g] + [o for o in OUTCOMES if o.startswith(_g + ".")]
ROWS += ["concluded", "carried_out"]
RESULTS = ["upheld", "corrected", "other", "pending", "total"]

# Short names for the columns in the expected figures below.
NP, COM, RES, SW, LS, OTH = COLS[:6]


class Cal:
    """Working days read independently from data/holidays-cn.txt."""

    def __init__(self):
        self.off, self.work = set(), set()
        with open(os.path.join(ROOT, "data", "holidays-cn.txt"), encoding="utf-8") as f:
            for line in f:
                w = line.split("#", 1)[0].split()
                if len(w) >= 2 and w[1] in ("off", "work"):
                    d = datetime.date.fromisoformat(w[0])
                    (self.off if w[1] == "off" else self.work).add(d)

    def is_workday(self, d):
        return d in self.work or (d not in self.off and d.weekday() < 5)

    def workdays(self, received, replied):
        """From the effective date of receipt (not counted) to the reply."""
        a = datetime.date.fromisoformat(received)
        b = datetime.date.fromisoformat(replied)
        while not self.is_workday(a):
            a += datetime.timedelta(days=1)
        n = 0
        while a < b:
            a += datetime.timedelta(days=1)
            n += self.is_workday(a)
        return n


CAL = Cal()


def table(**rows):
    """Expected applications table: rows as {column: n}; the rest zero."""
    t = {}
    for r in ROWS:
        cells = dict.fromkeys(COLS, 0)
        cells.update(rows.get(r.replace(".", "__"), {}))
        cells["total"] = sum(cells[c] for c in COLS[:6])
        t[r] = cells
    return t


def appeals(**kinds):
    t = {}
    for k in KINDS:
        cells = dict.fromkeys(RESULTS, 0)
        cells.update(kinds.get(k, {}))
        cells["total"] = sum(cells[r] for r in RESULTS[:4])
        t[k] = cells
    return t


class Office:
    """The daemon and one client per person."""

    def __init__(self):
        self.d = Daemon(fake_clock="2025-03-03T09:00:00+08:00")
        self.admin = self.d.admin()
        _, self.clerk = self.d.user("clerk", "clerk")
        _, self.rev = self.d.user("rev", "reviewer")
        _, self.sec = self.d.user("sec", "secrecy")
        _, self.boss = self.d.user("boss", "supervisor")
        _, self.adm = self.d.user("adm", "admin")  # the init admin has every role
        self.ids = {}

    def clock(self, date):
        return self.admin.call("clock.set", {"now": date + "T09:00:00+08:00"})

    def submit(self, key, column, received_on=None):
        if column == NP:
            ap = {"kind": "natural_person", "name": "申请人" + key}
        else:
            ap = {"kind": "organization", "category": column, "name": "单位" + key}
        p = {"applicant": ap, "channel": "in_person",
             "description": "请公开第%s号文件" % key}
        if received_on:
            p["received_on"] = received_on
        self.ids[key] = self.clerk.call("app.submit", p)["id"]
        return self.ids[key]

    def assign(self, key):
        self.clerk.call("app.assign", {"id": self.ids[key], "reviewer": "rev"})

    def review(self, key, outcome):
        id = self.ids[key]
        a = self.rev.call("app.review", {"id": id, "outcome": outcome, "note": "拟办"})
        if a["state"] == "secrecy":
            self.sec.call("app.secrecy", {"id": id, "result": "pass", "note": "无涉密"})

    def reply(self, key, replied_on=None):
        p = {"id": self.ids[key], "note": "已答复"}
        if replied_on:
            p["replied_on"] = replied_on
        return self.clerk.call("app.reply", p)

    def decide(self, key, outcome, replied_on=None):
        self.assign(key)
        self.review(key, outcome)
        return self.reply(key, replied_on)

    def appeal(self, key, kind, filed_on=None):
        p = {"id": self.ids[key], "kind": kind}
        if filed_on:
            p["filed_on"] = filed_on
        return (key, self.clerk.call("app.appeal", p)["appeal"])

    def appeal_decided(self, appeal, result, decided_on=None):
        key, n = appeal
        p = {"id": self.ids[key], "appeal": n, "result": result}
        if decided_on:
            p["decided_on"] = decided_on
        self.clerk.call("app.appeal_decided", p)

    def get(self, key):
        return self.admin.call("app.get", {"id": self.ids[key]})

    def annual(self, year):
        return self.boss.call("report.annual", {"year": year})


def check_shape(r, what):
    ok(sorted(r) == ["appeals", "applications", "year"], "%s: year, applications,"
       " appeals" % what, sorted(r))
    apps = r["applications"]
    eq(list(apps), ROWS, "%s: every row, in the order of the form" % what)
    ok(all(sorted(apps[row]) == sorted(COLS) for row in apps),
       "%s: every row has the seven columns" % what)
    ok(all(isinstance(apps[row][c], int) for row in apps for c in apps[row]),
       "%s: every figure is an integer" % what)
    eq(sorted(r["appeals"]), sorted(KINDS), "%s: the three kinds of appeal" % what)
    ok(all(sorted(r["appeals"][k]) == sorted(RESULTS) for k in r["appeals"]),
       "%s: every kind has the five results" % what)


def check_sums(r, what):
    apps = r["applications"]
    for c in COLS:
        eq(apps["new"][c] + apps["carried_in"][c],
           apps["concluded"][c] + apps["carried_out"][c],
           "%s: new + carried_in = concluded + carried_out in %s" % (what, c))
    good = True
    for row in apps:
        good &= apps[row]["total"] == sum(apps[row][c] for c in COLS[:6])
    ok(good, "%s: total is the sum of the six columns in every row" % what)
    good = True
    for g in GROUPS:
        members = [o for o in OUTCOMES if o == g or o.startswith(g + ".")]
        for c in COLS:
            good &= apps[g][c] == sum(apps[o][c] for o in members)
    for c in COLS:
        good &= apps["concluded"][c] == sum(apps[g][c] for g in GROUPS)
    ok(good, "%s: group subtotals and concluded add up" % what)
    ok(all(r["appeals"][k]["total"] == sum(r["appeals"][k][x] for x in RESULTS[:4])
           for k in KINDS), "%s: appeal totals add up" % what)


def compare(got, want, what):
    """Cell by cell, naming the first few differences."""
    diffs = ["%s.%s: got %r, want %r" % (row, c, got.get(row, {}).get(c), want[row][c])
             for row in want for c in want[row]
             if got.get(row, {}).get(c) != want[row][c]]
    ok(not diffs, what, "\n".join(diffs[:12]))


# ---------------------------------------------------------------------------
# The scenario. Application keys: a1..a18; appeals: A1..A6.

W = None


def office():
    global W
    if W is None:
        W = Office()
        run_scenario(W)
    return W


def run_scenario(w):
    # 2025-03-03 (Monday)
    w.submit("a1", NP, "2025-01-06")
    w.decide("a1", "grant", "2025-02-10")
    w.submit("a2", COM, "2025-02-03")  # a holiday: effective 2025-02-05
    w.decide("a2", "partial")
    w.submit("a3", RES, "2025-02-17")
    w.decide("a3", "deny.state_secret")
    w.submit("a4", NP, "2025-02-24")
    w.decide("a4", "deny.third_party")
    w.submit("a5", SW)
    w.decide("a5", "unavailable.not_held")
    w.submit("a6", LS)
    w.decide("a6", "not_processed.repeat")
    w.submit("a7", OTH)
    w.clerk.call("app.withdraw", {"id": w.ids["a7"], "reason": "申请人撤回"})
    w.submit("a8", NP)
    w.clerk.call("app.request_correction", {"id": w.ids["a8"], "note": "请补正"})
    w.submit("a9", COM)
    w.assign("a9")
    w.clerk.call("app.fee_notice", {"id": w.ids["a9"], "amount_yuan": 100,
                                    "note": "超量收费"})

    # 2025-06-02 (a holiday): the correction and the fee lapse on the way.
    fired = w.clock("2025-06-02")["fired"]
    lapsed = sorted(e["id"] for e in fired if e["type"] == "lapsed")
    eq(lapsed, sorted([w.ids["a8"], w.ids["a9"]]),
       "scenario: the correction and the fee period lapse")
    eq((w.get("a8")["outcome"], w.get("a8")["state"]),
       ("other.no_correction", "withdrawn"), "scenario: a8 deemed abandoned")
    eq((w.get("a9")["outcome"], w.get("a9")["state"]),
       ("other.fee_unpaid", "withdrawn"), "scenario: a9 fee unpaid")
    w.submit("a10", NP)
    w.assign("a10")
    w.boss.call("app.extend", {"id": w.ids["a10"], "days": 5, "reason": "需调取档案"})
    w.A1 = w.appeal("a3", "reconsideration")
    w.A4 = w.appeal("a5", "reconsideration", "2025-05-20")

    # 2025-11-03
    w.clock("2025-11-03")
    w.submit("a12", LS)
    w.submit("a13", COM)
    w.decide("a13", "deny.process_info")
    w.appeal_decided(w.A1, "upheld")
    w.A2 = w.appeal("a4", "litigation")
    w.A3 = w.appeal("a7", "litigation_after_reconsideration")

    # 2025-12-15
    w.clock("2025-12-15")
    w.submit("a11", RES)

    # 2026-02-02
    w.clock("2026-02-02")
    w.review("a10", "grant")
    w.reply("a10")
    w.clerk.call("app.withdraw", {"id": w.ids["a12"], "reason": "申请人撤回"})
    w.submit("a14", NP)
    w.decide("a14", "unavailable.needs_creation")
    w.submit("a15", SW)
    w.decide("a15", "not_processed.petition")
    w.submit("a16", OTH)
    # Receipts on the last day of 2025, registered late: one concluded
    # the same day, one in the new year.
    w.submit("a17", NP, "2025-12-31")
    w.decide("a17", "deny.law_prohibited", "2026-01-05")
    w.submit("a18", COM, "2025-12-31")
    w.decide("a18", "deny.administrative_query", "2025-12-31")
    w.appeal_decided(w.A2, "corrected", "2026-01-01")
    w.appeal_decided(w.A4, "corrected", "2025-12-31")
    w.A5 = w.appeal("a14", "reconsideration")
    w.appeal_decided(w.A5, "other")
    w.A6 = w.appeal("a10", "litigation")


# ---------------------------------------------------------------------------


def test_2025():
    w = office()
    r = w.annual(2025)
    eq(r["year"], 2025, "2025: year echoed")
    check_shape(r, "2025")
    check_sums(r, "2025")
    want = table(
        new={NP: 5, COM: 4, RES: 2, SW: 1, LS: 2, OTH: 1},
        grant={NP: 1},
        partial={COM: 1},
        deny__state_secret={RES: 1},
        deny__third_party={NP: 1},
        deny__process_info={COM: 1},
        deny__administrative_query={COM: 1},
        deny={NP: 1, COM: 2, RES: 1},
        unavailable__not_held={SW: 1},
        unavailable={SW: 1},
        not_processed__repeat={LS: 1},
        not_processed={LS: 1},
        other__no_correction={NP: 1},
        other__fee_unpaid={COM: 1},
        other__other={OTH: 1},
        other={NP: 1, COM: 1, OTH: 1},
        concluded={NP: 3, COM: 4, RES: 1, SW: 1, LS: 1, OTH: 1},
        carried_out={NP: 2, RES: 1, LS: 1},
    )
    compare(r["applications"], want, "2025: table 三 as worked out by hand")
    eq(r["applications"]["new"]["total"], 15, "2025: 15 received")
    eq(r["applications"]["concluded"]["total"], 11, "2025: 11 concluded")
    eq(r["applications"]["carried_out"]["total"], 4, "2025: 4 carried into 2026")
    eq(r["appeals"], appeals(
        reconsideration={"upheld": 1, "corrected": 1},
        litigation={"pending": 1},
        litigation_after_reconsideration={"pending": 1}),
       "2025: table 四: decided on Dec 31 counts, decided Jan 1 is pending")


def test_2026():
    w = office()
    r = w.annual(2026)
    eq(r["year"], 2026, "2026: year echoed")
    check_shape(r, "2026")
    check_sums(r, "2026")
    want = table(
        new={NP: 1, SW: 1, OTH: 1},
        carried_in={NP: 2, RES: 1, LS: 1},
        grant={NP: 1},
        deny__law_prohibited={NP: 1},
        deny={NP: 1},
        unavailable__needs_creation={NP: 1},
        unavailable={NP: 1},
        not_processed__petition={SW: 1},
        not_processed={SW: 1},
        other__other={LS: 1},
        other={LS: 1},
        concluded={NP: 3, SW: 1, LS: 1},
        carried_out={RES: 1, OTH: 1},
    )
    compare(r["applications"], want, "2026: table 三 as worked out by hand")
    r25 = w.annual(2025)
    eq(r["applications"]["carried_in"], r25["applications"]["carried_out"],
       "2026 carries in what 2025 carried out")
    eq(r["appeals"], appeals(reconsideration={"other": 1}, litigation={"pending": 1}),
       "2026: table 四 counts only appeals filed in 2026")


def test_empty_and_later_years():
    w = office()
    for year in (2024, 1990):
        r = w.annual(year)
        check_shape(r, str(year))
        eq(r["applications"], table(), "%d: every figure zero" % year)
        eq(r["appeals"], appeals(), "%d: no appeals" % year)
    # A year to come: what is open now is carried in and out, nothing else.
    r = w.annual(2199)
    check_sums(r, "2199")
    eq(r["applications"], table(carried_in={RES: 1, OTH: 1},
                                carried_out={RES: 1, OTH: 1}),
       "2199: the open applications are carried in and out")


def test_summary():
    w = office()
    s = w.boss.call("report.summary", {"from": "2025-01-01", "to": "2025-12-31"})
    eq((s["from"], s["to"], s["as_of"]), ("2025-01-01", "2025-12-31", "2026-02-02"),
       "summary: period and date echoed")
    eq((s["received"], s["concluded"], s["extended"]), (15, 11, 1),
       "summary 2025: received, concluded, extended")
    eq(s["overdue"], 1, "summary: one application overdue now (a11)")
    days = sorted([CAL.workdays("2025-01-06", "2025-02-10"),
                   CAL.workdays("2025-02-03", "2025-03-03"),
                   CAL.workdays("2025-02-17", "2025-03-03"),
                   CAL.workdays("2025-02-24", "2025-03-03"), 0, 0, 0, 0])
    eq(days, [0, 0, 0, 0, 5, 10, 19, 21], "summary: the hand count agrees with"
       " the shipped calendar")
    eq(s["reply_workdays"], {"replied": 8, "median": 0, "p90": 21, "max": 21},
       "summary 2025: nearest-rank median and 90th percentile of working days")
    s = w.boss.call("report.summary", {"from": "2025-01-01", "to": "2025-06-30"})
    eq((s["received"], s["concluded"], s["extended"]), (10, 9, 1),
       "summary 2025 H1: received, concluded, extended")
    eq(s["reply_workdays"], {"replied": 6, "median": 5, "p90": 21, "max": 21},
       "summary 2025 H1: receipt on a holiday counts from the next working day")
    s = w.boss.call("report.summary", {"from": "2026-01-01", "to": "2026-12-31"})
    a10 = CAL.workdays("2025-06-02", "2026-02-02")
    eq((s["received"], s["concluded"], s["extended"]), (3, 5, 0),
       "summary 2026: received, concluded, extended")
    eq(s["reply_workdays"], {"replied": 4, "median": 0, "p90": a10, "max": a10},
       "summary 2026: working days of a10, a14, a15, a17")
    eq(s["longest_open"], [
        {"id": w.ids["a11"], "received_on": "2025-12-15", "state": "received",
         "workdays_open": CAL.workdays("2025-12-15", "2026-02-02")},
        {"id": w.ids["a16"], "received_on": "2026-02-02", "state": "received",
         "workdays_open": 0}], "summary: the open applications, oldest first")
    eq(CAL.workdays("2025-12-15", "2026-02-02"), 34,
       "summary: a11 open 34 working days (New Year 2026 and 2026-01-04)")
    s = w.boss.call("report.summary", {"from": "2020-01-01", "to": "2020-01-01"})
    eq((s["received"], s["concluded"], s["reply_workdays"]),
       (0, 0, {"replied": 0, "median": None, "p90": None, "max": None}),
       "summary of a quiet day: zeros and nulls")


def expect_err(c, method, params, code, field=None):
    resp = c.request(method, params)
    e = (resp or {}).get("error") or {}
    good = e.get("code") == code
    if good and field is not None:
        good = (e.get("data") or {}).get("field") == field
    return ok(good, "%s %r: %d%s" % (method, params, code,
                                      " field " + field if field else ""), e)


def test_refusals():
    w = office()
    for who in ("clerk", "rev", "sec", "adm"):
        c = getattr(w, who)
        e = expect_err(c, "report.annual", {"year": 2025}, -32002)
        if e:
            resp = c.request("report.annual", {"year": 2025})
            ok("supervisor" in (resp["error"].get("data") or {}).get("required", []),
               "report.annual forbidden for %s names the supervisor role" % who,
               resp["error"])
        expect_err(c, "report.summary", {"from": "2025-01-01", "to": "2025-12-31"},
                   -32002)
    b = w.boss
    for params in ({}, {"year": 1989}, {"year": 2200}, {"year": "2025"},
                   {"year": 2025.5}, {"year": None}, {"year": True},
                   {"year": 2025, "month": 1}):
        field = "month" if "month" in params else "year"
        expect_err(b, "report.annual", params, -32602, field)
    expect_err(b, "report.annual", [2025], -32602)
    expect_err(b, "report.summary", {"to": "2025-12-31"}, -32602, "from")
    expect_err(b, "report.summary", {"from": "2025-01-01"}, -32602, "to")
    expect_err(b, "report.summary", {"from": "2025-02-30", "to": "2025-12-31"},
               -32602, "from")
    expect_err(b, "report.summary", {"from": "2025-12-31", "to": "2025-01-01"},
               -32602, "to")
    # A supervisor who is also a clerk may ask too.
    _, both = w.d.user("clerkboss", "clerk", "supervisor")
    eq(both.call("report.annual", {"year": 2025}), w.annual(2025),
       "a clerk who is also a supervisor gets the same report")
    both.close()


def test_survives_restart():
    w = office()
    before = (w.annual(2025), w.annual(2026))
    for c in (w.admin, w.clerk, w.rev, w.sec, w.boss, w.adm):
        c.close()
    w.d.restart("2026-02-02T10:00:00+08:00")
    w.admin = w.d.admin()
    _, w.boss = w.d.user("boss2", "supervisor")
    after = (w.annual(2025), w.annual(2026))
    eq(after, before, "the reports read the same after a restart")


def test_zz_daemon_clean():
    if W is not None:
        W.d.cleanup()


if __name__ == "__main__":
    main(globals())
