#!/usr/bin/env python3
"""SPEC section 2 (the application and its workflow) and the deadline rules
of section 4 that the transitions drive, through the real ogid: every path
from receipt to reply, the pauses, corrections, extensions, withdrawals,
who may do what from which state, optimistic concurrency, idempotent
submission, ids, history, restart, Chinese text, app.list and appeals.

The helpers at the top are shared with test_validation.py and
test_audit.py (they import this module; its tests run only as a script).
"""
import datetime
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Daemon, eq, main, ok  # noqa: E402

TODAY = "2026-03-02"  # a Monday; the Spring Festival ended 2026-02-23
START = TODAY + "T09:00:00+08:00"

# ---------------------------------------------------------------------------
# Shared helpers


class Cal:
    """An independent reading of data/holidays-cn.txt (SPEC section 3)."""

    def __init__(self):
        self.off, self.work = set(), set()
        with open(os.path.join(ROOT, "data", "holidays-cn.txt"), encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].split()
                if len(line) >= 2 and line[1] in ("off", "work"):
                    d = datetime.date.fromisoformat(line[0])
                    (self.off if line[1] == "off" else self.work).add(d)

    @staticmethod
    def _d(d):
        return datetime.date.fromisoformat(d) if isinstance(d, str) else d

    def is_workday(self, d):
        d = self._d(d)
        if d in self.work:
            return True
        if d in self.off:
            return False
        return d.weekday() < 5

    def effective(self, d):
        d = self._d(d)
        while not self.is_workday(d):
            d += datetime.timedelta(days=1)
        return d

    def add(self, d, n):
        x = self.effective(d)
        k = 0
        while k < n:
            x += datetime.timedelta(days=1)
            if self.is_workday(x):
                k += 1
        return x.isoformat()

    def count(self, a, b):
        a, b = self._d(a), self._d(b)
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        n, x = 0, a
        while x < b:
            x += datetime.timedelta(days=1)
            if self.is_workday(x):
                n += 1
        return sign * n

    def minus(self, d, n):
        """The date D with add(D, n) == d, searching backwards (latest)."""
        x = self._d(d)
        for _ in range(400):
            if self.add(x, n) == self._d(d).isoformat():
                return x.isoformat()
            x -= datetime.timedelta(days=1)
        raise AssertionError("no date %d working days before %s" % (n, d))


CAL = Cal()


def rpc_err(c, method, params=None):
    """Call expecting an error; return the error object ({} if it worked)."""
    resp = c.request(method, params)
    if resp is None:
        return {"code": None, "message": "connection closed"}
    return resp.get("error") or {}


def expect(c, method, params, code, what, field=None, required=None):
    """Expect error `code`; check data.field / data.required when given."""
    e = rpc_err(c, method, params)
    good = e.get("code") == code
    data = e.get("data") or {}
    if good and field is not None:
        good = data.get("field") == field and isinstance(data.get("reason"), str) \
            and data.get("reason") != ""
    if good and required is not None:
        good = sorted(data.get("required") or []) == sorted(required)
    if good and code == -32004:
        good = isinstance(data.get("state"), str) and isinstance(data.get("version"), int)
    want = {"code": code}
    if field is not None:
        want["field"] = field
    if required is not None:
        want["required"] = required
    ok(good, what, "got:  %r\nwant: %r" % (e, want))
    return e


def person(name="张三", **kw):
    a = {"kind": "natural_person", "name": name}
    a.update(kw)
    return a


def org(name, category, **kw):
    a = {"kind": "organization", "category": category, "name": name}
    a.update(kw)
    return a


def sub_params(received_on=None, name="张三", desc="请公开本区2025年道路维修工程的招标文件",
               channel="in_person", applicant=None, **kw):
    p = {"applicant": applicant or person(name), "channel": channel,
         "description": desc}
    if received_on is not None:
        p["received_on"] = received_on
    p.update(kw)
    return p


class World:
    """A daemon and one connected client per person."""

    def __init__(self, fake_clock=START, config=None):
        self.d = Daemon(fake_clock=fake_clock, config=config)
        self.now = fake_clock
        self.admin = self.d.admin()
        self.tokens = {}
        self.c = {}
        for name, roles in (("clerk", ["clerk"]), ("sup", ["supervisor"]),
                            ("rev", ["reviewer"]), ("rev2", ["reviewer"]),
                            ("sec", ["secrecy"]), ("sec2", ["secrecy"]),
                            ("rs", ["reviewer", "secrecy"]),
                            ("clerk2", ["clerk"])):
            tok, cl = self.d.user(name, *roles)
            self.tokens[name] = tok
            self.c[name] = cl

    def __getattr__(self, name):
        c = self.__dict__.get("c", {})
        if name in c:
            return c[name]
        raise AttributeError(name)

    def submit(self, received_on=None, who="clerk", **kw):
        return self.c[who].call("app.submit", sub_params(received_on, **kw))

    def get(self, id):
        return self.admin.call("app.get", {"id": id})

    def go(self, id, *steps):
        """Run transitions [(who, method, params)] on id; return the last result."""
        r = None
        for who, method, params in steps:
            p = {"id": id}
            p.update(params)
            r = self.c[who].call(method, p)
        return r

    def to_state(self, state, received_on=None, reviewer="rev", **kw):
        """A new application brought to `state` by the ordinary route."""
        a = self.submit(received_on, **kw)
        id = a["id"]
        assign = ("clerk", "app.assign", {"reviewer": reviewer})
        routes = {
            "received": [],
            "correction": [assign, (reviewer, "app.request_correction", {"note": "缺身份证明"})],
            "review": [assign],
            "consultation": [assign, (reviewer, "app.consult",
                                      {"party": "第三方公司", "note": "征求意见"})],
            "secrecy": [assign, (reviewer, "app.review", {"outcome": "grant", "note": "可公开"})],
            "fee": [assign, ("clerk", "app.fee_notice", {"amount_yuan": 50, "note": "超量"})],
            "ready": [assign, (reviewer, "app.review",
                               {"outcome": "deny.third_party", "note": "涉及第三方"})],
            "replied": [assign, (reviewer, "app.review",
                                 {"outcome": "unavailable.not_held", "note": "未制作"}),
                        ("clerk", "app.reply", {"note": "已答复"})],
            "withdrawn": [("clerk", "app.withdraw", {"reason": "申请人撤回"})],
        }
        self.go(id, *routes[state])
        a = self.get(id)
        assert a["state"] == state, (state, a["state"])
        return a

    def clock(self, now):
        r = self.admin.call("clock.set", {"now": now})
        self.now = now
        return r

    def cal_add(self, date, days):
        return self.admin.call("calendar.add", {"date": date, "days": days})

    def cal_count(self, a, b):
        return self.admin.call("calendar.count", {"from": a, "to": b})

    def close(self):
        for c in self.c.values():
            c.close()
        self.admin.close()
        self.d.cleanup()


def snapshot(w, id):
    """What must not change after a refused call. The timer's due_soon and
    overdue events are left out: an application submitted already late gets
    them from the loop right after its reply, before or after a snapshot."""
    a = w.get(id)
    hist = [e for e in a["history"]
            if e["method"] not in ("timer.due_soon", "timer.overdue")]
    return (a["state"], a["version"], len(hist), a["outcome"],
            a["assignee"], a["deadline"])


def hist_methods(a):
    return [e["method"] for e in a["history"]]


# ---------------------------------------------------------------------------
# The paths


def test_grant_path():
    w = World()
    try:
        a = w.submit(name="李四", desc="请公开XX街道2025年财政预算执行情况")
        id = a["id"]
        eq(a["state"], "received", "submit: state received")
        eq(a["version"], 1, "submit: version 1")
        eq(a["received_on"], TODAY, "submit: received_on defaults to today")
        eq(a["deadline"]["due_on"], CAL.add(TODAY, 20), "submit: due_on = add(receipt, 20)")
        eq(a["deadline"]["due_on"], w.cal_add(TODAY, 20), "submit: due_on agrees with calendar.add")
        eq(a["deadline"]["paused"], False, "submit: clock running")
        eq(a["deadline"]["remaining_workdays"], 20, "submit: 20 working days remain")
        eq(a["assignee"], None, "submit: no assignee")
        eq(a["outcome"], None, "submit: no outcome")

        a = w.go(id, ("sup", "app.assign", {"reviewer": "rev"}))
        eq((a["state"], a["assignee"], a["version"]), ("review", "rev", 2),
           "assign (supervisor): review, assignee rev, version 2")
        a = w.go(id, ("rev", "app.review", {"outcome": "grant", "note": "予以公开"}))
        eq((a["state"], a["outcome"], a["version"]), ("secrecy", "grant", 3),
           "review grant: secrecy, outcome grant, version 3")
        eq(a["proposed_by"], "rev", "review: proposed_by the reviewer")
        a = w.go(id, ("sec", "app.secrecy", {"result": "pass", "note": "无涉密内容"}))
        eq((a["state"], a["version"]), ("ready", 4), "secrecy pass: ready, version 4")
        eq(a["deadline"]["due_on"], CAL.add(TODAY, 20), "ready: due_on unchanged")
        a = w.go(id, ("clerk", "app.reply", {"note": "已书面答复"}))
        eq((a["state"], a["version"], a["outcome"]), ("replied", 5, "grant"),
           "reply: replied, version 5, outcome kept")
        eq(a["replied_on"], TODAY, "reply: replied_on defaults to today")
        eq(a["concluded_on"], TODAY, "reply: concluded today")
        eq(a["deadline"]["due_on"], CAL.add(TODAY, 20), "replied: keeps its last due_on")
        eq(a["deadline"]["remaining_workdays"], None, "replied: remaining_workdays null")
        eq(a["deadline"]["overdue"], False, "replied: not overdue")
        eq(hist_methods(a), ["app.submit", "app.assign", "app.review", "app.secrecy",
                             "app.reply"], "history: one event per change")
        g = w.get(id)
        eq(g, a, "app.get returns what the last transition returned")
    finally:
        w.close()


def test_partial_secrecy_fail_retry():
    w = World()
    try:
        id = w.to_state("review")["id"]
        a = w.go(id, ("rev", "app.review", {"outcome": "partial", "note": "部分公开"}))
        eq((a["state"], a["outcome"]), ("secrecy", "partial"), "review partial: secrecy")
        a = w.go(id, ("sec", "app.secrecy", {"result": "fail", "note": "含敏感信息"}))
        eq(a["state"], "review", "secrecy fail: back to review")
        eq(a["assignee"], "rev", "secrecy fail: the assignee stays")
        eq(a["outcome"], None, "secrecy fail: the proposed outcome is cleared")
        eq(a["history"][-1]["from"], "secrecy", "history: fail from secrecy")
        eq(a["history"][-1]["to"], "review", "history: fail to review")
        a = w.go(id, ("rev", "app.review", {"outcome": "partial", "note": "删除敏感部分后公开"}))
        eq(a["state"], "secrecy", "re-review: secrecy again")
        a = w.go(id, ("sec2", "app.secrecy", {"result": "pass", "note": "可以公开"}))
        eq(a["state"], "ready", "another secrecy officer passes: ready")
        a = w.go(id, ("clerk", "app.reply", {"note": "部分公开答复"}))
        eq((a["state"], a["outcome"]), ("replied", "partial"), "replied with outcome partial")
        eq(hist_methods(a), ["app.submit", "app.assign", "app.review", "app.secrecy",
                             "app.review", "app.secrecy", "app.reply"], "history of the retry")
        eq([e["actor"] for e in a["history"]],
           ["clerk", "clerk", "rev", "sec", "rev", "sec2", "clerk"], "history actors")
    finally:
        w.close()


def test_deny_and_other_outcomes_skip_secrecy():
    w = World()
    try:
        id = w.to_state("review")["id"]
        a = w.go(id, ("rev", "app.review", {"outcome": "deny.third_party", "note": "损害第三方"}))
        eq((a["state"], a["outcome"]), ("ready", "deny.third_party"),
           "review deny.*: straight to ready, no secrecy check")
        a = w.go(id, ("clerk", "app.reply", {"note": "不予公开"}))
        eq(a["state"], "replied", "deny: replied")
        eq(hist_methods(a), ["app.submit", "app.assign", "app.review", "app.reply"],
           "deny: no secrecy event")
        # Every proposable outcome; releases go to secrecy, the rest to ready.
        outcomes = ["grant", "partial", "deny.state_secret", "deny.law_prohibited",
                    "deny.security_stability", "deny.third_party",
                    "deny.internal_affairs", "deny.process_info",
                    "deny.enforcement_file", "deny.administrative_query",
                    "unavailable.not_held", "unavailable.needs_creation",
                    "unavailable.unclear", "not_processed.petition",
                    "not_processed.repeat", "not_processed.publication",
                    "not_processed.excessive", "not_processed.confirmation",
                    "other.other"]
        bad = []
        for oc in outcomes:
            id = w.to_state("review")["id"]
            a = w.go(id, ("rev", "app.review", {"outcome": oc, "note": "n"}))
            want = "secrecy" if oc in ("grant", "partial") else "ready"
            if (a["state"], a["outcome"]) != (want, oc):
                bad.append((oc, a["state"], a["outcome"]))
        eq(bad, [], "each proposable outcome goes to secrecy (releases) or ready")
        for oc in ("other.no_correction", "other.fee_unpaid"):
            id = w.to_state("review")["id"]
            before = snapshot(w, id)
            expect(w.rev, "app.review", {"id": id, "outcome": oc, "note": "n"}, -32602,
                   "reviewer may not propose %s" % oc, field="outcome")
            eq(snapshot(w, id), before, "refused %s: nothing changed" % oc)
    finally:
        w.close()


def test_correction():
    w = World()
    try:
        # Unassigned: back to received.
        a = w.submit()
        id = a["id"]
        a = w.go(id, ("clerk", "app.request_correction", {"note": "请补充身份证明", "within_days": 10}))
        dl = a["deadline"]
        eq(a["state"], "correction", "request_correction: correction")
        eq(dl["paused"], True, "correction: clock stopped (paused true)")
        eq(dl["due_on"], None, "correction: due_on null")
        eq(dl["remaining_workdays"], None, "correction: remaining_workdays null")
        eq(dl["overdue"], False, "correction: never overdue")
        eq((dl["waiting"] or {}).get("kind"), "correction", "correction: waiting.kind")
        eq((dl["waiting"] or {}).get("last_day"), CAL.add(TODAY, 10),
           "correction: waiting.last_day = add(notice, within_days)")
        eq(dl["correction_late"], False, "notice on the day of receipt is not late")
        # Default period 15.
        id2 = w.submit()["id"]
        a2 = w.go(id2, ("clerk", "app.request_correction", {"note": "补正"}))
        eq(a2["deadline"]["waiting"]["last_day"], CAL.add(TODAY, 15),
           "correction: default period 15 working days")
        # An extension granted before the correction no longer counts.
        id3 = w.submit()["id"]
        w.go(id3, ("sup", "app.extend", {"days": 5, "reason": "复杂"}),
             ("clerk", "app.request_correction", {"note": "补正"}))
        expect(w.sup, "app.extend", {"id": id3, "days": 1, "reason": "r"}, -32004,
               "no extension while the clock is stopped for correction")

        w.clock("2026-03-10T10:00:00+08:00")
        a = w.go(id, ("clerk", "app.correct", {"received_on": "2026-03-09",
                                              "description": "补正后的申请内容：2025年维修合同"}))
        eq(a["state"], "received", "correct, no assignee: back to received")
        eq(a["deadline"]["due_on"], CAL.add("2026-03-09", 20),
           "correct: due_on = add(correction's received_on, 20)")
        eq(a["deadline"]["due_on"], w.cal_add("2026-03-09", 20),
           "correct: due_on agrees with calendar.add")
        eq(a["deadline"]["paused"], False, "correct: clock running again")
        eq(a["deadline"]["waiting"], None, "correct: waiting null")
        eq(a["description"], "补正后的申请内容：2025年维修合同", "correct: description replaced")
        eq(a["received_on"], TODAY, "correct: original received_on kept")
        eq([x["id"] for x in w.rev.call("app.list", {"q": "维修合同"})["items"]], [id],
           "the corrected description is searchable")
        eq(a["deadline"]["explain"]["start"], "2026-03-09", "explain: start is the correction")
        a = w.go(id2, ("clerk", "app.correct", {}))
        eq(a["deadline"]["due_on"], CAL.add("2026-03-10", 20),
           "correct without received_on: restarts from today")
        a = w.go(id3, ("clerk", "app.correct", {"received_on": "2026-03-10"}))
        eq((a["deadline"]["extension_days"], a["deadline"]["due_on"]),
           (0, CAL.add("2026-03-10", 20)), "correct: earlier extensions no longer count")

        # Assigned, reviewer asks: back to review.
        id4 = w.to_state("review")["id"]
        a = w.go(id4, ("rev", "app.request_correction", {"note": "申请内容不明确"}))
        eq(a["state"], "correction", "assignee reviewer may request a correction")
        a = w.go(id4, ("clerk", "app.correct", {"received_on": "2026-03-10"}))
        eq((a["state"], a["assignee"]), ("review", "rev"),
           "correct with an assignee: back to review, same assignee")
        # Its reply: not dated before the correction came in.
        w.go(id4, ("rev", "app.review", {"outcome": "deny.third_party", "note": "涉及第三方"}))
        before4 = snapshot(w, id4)
        expect(w.clerk, "app.reply", {"id": id4, "note": "已答复", "replied_on": "2026-03-05"},
               -32602, "reply: replied_on before the correction was received",
               field="replied_on")
        eq(snapshot(w, id4), before4, "the refused reply changed nothing")
        a = w.go(id4, ("clerk", "app.reply", {"note": "已答复", "replied_on": "2026-03-10"}))
        eq((a["state"], a["replied_on"]), ("replied", "2026-03-10"),
           "reply on the day the correction came in")

        # A correction received before the date of receipt or the notice.
        id5 = w.submit()["id"]
        w.go(id5, ("clerk", "app.request_correction", {"note": "补正"}))
        before = snapshot(w, id5)
        expect(w.clerk, "app.correct", {"id": id5, "received_on": "2026-03-09"}, -32602,
               "correct: received_on before the date of receipt", field="received_on")
        expect(w.clerk, "app.correct", {"id": id5, "received_on": "2026-03-11"}, -32602,
               "correct: received_on in the future", field="received_on")
        id6 = w.submit(received_on="2026-03-02")["id"]
        w.go(id6, ("clerk", "app.request_correction", {"note": "补正"}))  # notice 03-10
        expect(w.clerk, "app.correct", {"id": id6, "received_on": "2026-03-09"}, -32602,
               "correct: received_on before the correction notice", field="received_on")
        a = w.go(id6, ("clerk", "app.correct", {"received_on": "2026-03-10"}))
        eq(a["deadline"]["due_on"], CAL.add("2026-03-10", 20),
           "correct: received on the day of the notice")
        eq(snapshot(w, id5), before, "refused corrections changed nothing")
    finally:
        w.close()


def test_correction_late():
    w = World()
    try:
        # The 7th working day after 2026-02-13 is today (2026-02-14 and
        # 2026-02-28 are adjusted working days): on time. From 2026-02-12
        # it was 2026-02-28: late.
        eq(CAL.add("2026-02-13", 7), TODAY, "(calendar) add(2026-02-13, 7) is today")
        eq(w.cal_add("2026-02-13", 7), TODAY, "calendar.add agrees")
        eq(CAL.add("2026-02-12", 7), "2026-02-28", "(calendar) add(2026-02-12, 7)")
        a = w.to_state("correction", received_on="2026-02-13")
        eq(a["deadline"]["correction_late"], False, "notice on the 7th working day: on time")
        a = w.to_state("correction", received_on="2026-02-12")
        eq(a["deadline"]["correction_late"], True, "notice after the 7th working day: late")
        eq(a["state"], "correction", "a late notice is still allowed")
        # Received on a holiday: counted from the next working day.
        eq(CAL.add("2026-02-20", 7), "2026-03-04", "(calendar) add(2026-02-20, 7)")
        a = w.to_state("correction", received_on="2026-02-20")
        eq(a["deadline"]["correction_late"], False, "received on a holiday: not late yet")
    finally:
        w.close()


def test_consultation():
    w = World()
    try:
        id = w.to_state("review")["id"]
        a = w.go(id, ("rev", "app.consult", {"party": "某建设公司", "note": "涉及商业秘密"}))
        dl = a["deadline"]
        eq(a["state"], "consultation", "consult: consultation")
        eq((dl["paused"], dl["due_on"]), (True, None), "consultation: paused, due_on null")
        eq(dl["waiting"]["kind"], "consultation", "consultation: waiting.kind")
        eq(dl["waiting"]["last_day"], CAL.add(TODAY, 15),
           "consultation: the third party has 15 working days")
        eq(dl["overdue"], False, "paused: not overdue")
        expect(w.sup, "app.extend", {"id": id, "days": 1, "reason": "r"}, -32004,
               "no extension while paused")
        # 2026-03-02 (Mon) .. 2026-03-09 (Mon): 5 working days in (S, E].
        w.clock("2026-03-09T15:00:00+08:00")
        a = w.go(id, ("rev", "app.consulted", {"opinion": "不同意公开"}))
        dl = a["deadline"]
        eq(a["state"], "review", "consulted: back to review")
        eq(dl["paused_days"], CAL.count(TODAY, "2026-03-09"), "consulted: paused_days = count(S, E]")
        eq(dl["paused_days"], 5, "consulted: 5 working days")
        eq(dl["due_on"], CAL.add(TODAY, 25), "consulted: due_on moved by the pause")
        eq(dl["waiting"], None, "consulted: waiting null")
        pauses = dl["explain"]["pauses"]
        eq([(p["kind"], p["from"], p["to"], p["days"]) for p in pauses],
           [("consultation", TODAY, "2026-03-09", 5)], "explain lists the pause")
        # A second consultation adds to the first.
        a = w.go(id, ("rev", "app.consult", {"party": "区发改委", "note": "征求意见"}))
        w.clock("2026-03-11T09:00:00+08:00")
        a = w.go(id, ("rev", "app.consulted", {"opinion": "同意"}))
        eq(a["deadline"]["paused_days"], 7, "two pauses add up (5 + 2)")
        eq(a["deadline"]["due_on"], CAL.add(TODAY, 27), "due_on moved by both pauses")
        # Same-day answer adds nothing.
        id2 = w.to_state("review")["id"]
        a = w.go(id2, ("rev", "app.consult", {"party": "p", "note": "n"}),
                 ("rev", "app.consulted", {"opinion": "o"}))
        eq((a["deadline"]["paused_days"], a["deadline"]["due_on"]), (0, CAL.add("2026-03-11", 20)),
           "a consultation answered the same day adds no working day")
    finally:
        w.close()


def test_fee():
    w = World()
    try:
        id = w.to_state("review")["id"]
        a = w.go(id, ("clerk", "app.fee_notice", {"amount_yuan": 120.5, "note": "信息处理费"}))
        eq(a["state"], "fee", "fee_notice from review: fee")
        eq(a["deadline"]["paused"], True, "fee: paused")
        eq(a["deadline"]["due_on"], None, "fee: due_on null")
        eq(a["deadline"]["waiting"]["kind"], "fee", "fee: waiting.kind")
        eq(a["deadline"]["waiting"]["last_day"], CAL.add(TODAY, 20), "fee: 20 working days to pay")
        eq(a.get("fee_yuan"), 120.5, "fee: amount kept")
        for amount in (0.07, 19.99, 1234.56):
            x = w.to_state("review")["id"]
            g = w.go(x, ("clerk", "app.fee_notice", {"amount_yuan": amount, "note": "费"}))
            eq(g.get("fee_yuan"), amount, "fee of %s yuan, in whole fen: kept" % amount)
        w.clock("2026-03-05T11:00:00+08:00")
        before = snapshot(w, id)
        expect(w.clerk, "app.fee_paid", {"id": id, "paid_on": "2026-02-27"}, -32602,
               "fee_paid before the date of receipt", field="paid_on")
        expect(w.clerk, "app.fee_paid", {"id": id, "paid_on": "2026-03-06"}, -32602,
               "fee_paid in the future", field="paid_on")
        eq(snapshot(w, id), before, "refused fee_paid changed nothing")
        a = w.go(id, ("clerk", "app.fee_paid", {"paid_on": "2026-03-04"}))
        eq(a["state"], "review", "fee_paid: back to review (where it came from)")
        eq(a["deadline"]["paused_days"], 2, "fee: paused working days (03-02, 03-04]")
        eq(a["deadline"]["due_on"], CAL.add(TODAY, 22), "fee: due_on moved by the pause")
        # From ready, back to ready.
        id2 = w.to_state("ready")["id"]
        a = w.go(id2, ("clerk", "app.fee_notice", {"amount_yuan": 10, "note": "n"}))
        eq(a["state"], "fee", "fee_notice from ready: fee")
        a = w.go(id2, ("clerk", "app.fee_paid", {}))
        eq(a["state"], "ready", "fee_paid: back to ready")
        eq(a["deadline"]["paused_days"], 0, "paid the same day: no paused day")
        eq(hist_methods(a)[-2:], ["app.fee_notice", "app.fee_paid"], "fee history")
        eq((a["history"][-1]["from"], a["history"][-1]["to"]), ("fee", "ready"),
           "history: fee -> ready")
        for bad in (0, -5):
            expect(w.clerk, "app.fee_notice", {"id": id, "amount_yuan": bad, "note": "n"},
                   -32602, "fee_notice amount %r refused" % bad, field="amount_yuan")
    finally:
        w.close()


def test_extension():
    w = World()
    try:
        id = w.submit()["id"]
        expect(w.clerk, "app.extend", {"id": id, "days": 5, "reason": "r"}, -32002,
               "clerk may not extend", required=["supervisor"])
        expect(w.rev, "app.extend", {"id": id, "days": 5, "reason": "r"}, -32002,
               "reviewer may not extend", required=["supervisor"])
        before = snapshot(w, id)
        expect(w.sup, "app.extend", {"id": id, "days": 21, "reason": "r"}, -32602,
               "extend 21 at once: -32602 days", field="days")
        expect(w.sup, "app.extend", {"id": id, "days": 0, "reason": "r"}, -32602,
               "extend 0: -32602 days", field="days")
        eq(snapshot(w, id), before, "refused extensions changed nothing")
        a = w.go(id, ("sup", "app.extend", {"days": 15, "reason": "需调取档案"}))
        eq((a["deadline"]["extension_days"], a["deadline"]["due_on"]),
           (15, CAL.add(TODAY, 35)), "extend 15: due_on + 15 working days")
        eq(a["state"], "received", "extend keeps the state")
        eq(a["version"], 2, "extend bumps the version")
        expect(w.sup, "app.extend", {"id": id, "days": 6, "reason": "r"}, -32602,
               "extend 15 + 6 > 20: -32602 days", field="days")
        a = w.go(id, ("sup", "app.extend", {"days": 5, "reason": "再延"}))
        eq((a["deadline"]["extension_days"], a["deadline"]["due_on"]),
           (20, CAL.add(TODAY, 40)), "extend 15 + 5 = 20 in two grants")
        eq([(e["days"], e["by"]) for e in a["deadline"]["explain"]["extensions"]],
           [(15, "sup"), (5, "sup")], "explain lists both grants")
        dl = a["deadline"]
        ex = dl["explain"]
        eq(ex["text"], "due %s = %d working days after %s (%d + 20 extension"
           " + %d paused), skipping %d non-working days"
           % (dl["due_on"], ex["base_days"] + 20 + dl["paused_days"], ex["start"],
              ex["base_days"], dl["paused_days"], len(ex["skipped"])),
           "explain's text adds it up")
        expect(w.sup, "app.extend", {"id": id, "days": 1, "reason": "r"}, -32602,
               "extend beyond 20 in total: -32602 days", field="days")
        # In review, secrecy and ready too.
        for st in ("review", "secrecy", "ready"):
            id2 = w.to_state(st)["id"]
            a = w.go(id2, ("sup", "app.extend", {"days": 3, "reason": "r"}))
            eq((a["state"], a["deadline"]["extension_days"]), (st, 3), "extend in %s" % st)
        # On the due date: allowed. After it: too late.
        recv = CAL.minus(TODAY, 20)
        a = w.submit(received_on=recv)
        eq(a["deadline"]["due_on"], TODAY, "received %s: due today" % recv)
        eq(a["deadline"]["remaining_workdays"], 0, "due today: 0 remaining")
        a = w.go(a["id"], ("sup", "app.extend", {"days": 2, "reason": "当日延期"}))
        eq(a["deadline"]["due_on"], CAL.add(recv, 22), "extend on the due date: allowed")
        late = w.submit(received_on="2026-01-05")
        eq(late["deadline"]["due_on"], CAL.add("2026-01-05", 20), "old application due earlier")
        eq(late["deadline"]["overdue"], True, "past due_on: overdue")
        eq(late["deadline"]["overdue_workdays"], CAL.count(late["deadline"]["due_on"], TODAY),
           "overdue_workdays = count(due_on, today)")
        eq(late["deadline"]["remaining_workdays"], -CAL.count(late["deadline"]["due_on"], TODAY),
           "remaining_workdays negative when overdue")
        before = snapshot(w, late["id"])
        e = expect(w.sup, "app.extend", {"id": late["id"], "days": 5, "reason": "r"}, -32004,
                   "extend after due_on: -32004")
        eq((e.get("data") or {}).get("version"), 1, "-32004 data.version is the current version")
        eq(snapshot(w, late["id"]), before, "too-late extension changed nothing")
    finally:
        w.close()


def test_extension_2007_rules():
    w = World(fake_clock="2019-05-20T09:00:00+08:00")
    try:
        a = w.submit(received_on="2019-05-14")
        eq(a["rules"], 2007, "received 2019-05-14: 2007 Regulations")
        eq(a["deadline"]["due_on"], CAL.add("2019-05-14", 15), "2007 rules: 15 working days")
        eq(a["deadline"]["explain"]["base_days"], 15, "explain: base 15")
        expect(w.sup, "app.extend", {"id": a["id"], "days": 16, "reason": "r"}, -32602,
               "2007 rules: extension 16 refused", field="days")
        a = w.go(a["id"], ("sup", "app.extend", {"days": 10, "reason": "r"}))
        expect(w.sup, "app.extend", {"id": a["id"], "days": 6, "reason": "r"}, -32602,
               "2007 rules: 10 + 6 > 15 refused", field="days")
        a = w.go(a["id"], ("sup", "app.extend", {"days": 5, "reason": "r"}))
        eq((a["deadline"]["extension_days"], a["deadline"]["due_on"]),
           (15, CAL.add("2019-05-14", 30)), "2007 rules: 15 + 15")
        b = w.submit(received_on="2019-05-15")
        eq(b["rules"], 2019, "received 2019-05-15: 2019 Regulations")
        eq(b["deadline"]["due_on"], CAL.add("2019-05-15", 20), "2019 rules: 20 working days")
        b = w.go(b["id"], ("sup", "app.extend", {"days": 20, "reason": "r"}))
        eq(b["deadline"]["extension_days"], 20, "2019 rules: 20 extension days")
        # The rule set stays with the application after a correction.
        c = w.to_state("correction", received_on="2019-05-10")
        w.clock("2019-05-21T09:00:00+08:00")
        c = w.go(c["id"], ("clerk", "app.correct", {}))
        eq((c["rules"], c["deadline"]["due_on"]), (2007, CAL.add("2019-05-21", 15)),
           "corrected after 2019-05-15: still 2007 rules, 15 days from the correction")
    finally:
        w.close()


def test_withdrawal():
    w = World()
    try:
        for st in ("received", "correction", "review", "consultation", "secrecy", "fee",
                   "ready"):
            id = w.to_state(st)["id"]
            a = w.go(id, ("clerk", "app.withdraw", {"reason": "申请人主动撤回"}))
            eq((a["state"], a["outcome"], a["concluded_on"]), ("withdrawn", "other.other", TODAY),
               "withdraw from %s: withdrawn, other.other, concluded today" % st)
            eq(a["deadline"]["paused"], False, "withdrawn from %s: not paused" % st)
            eq(a["deadline"]["waiting"], None, "withdrawn from %s: waiting null" % st)
            eq(a["deadline"]["remaining_workdays"], None,
               "withdrawn from %s: remaining_workdays null" % st)
            eq(a["history"][-1]["from"], st, "history: withdraw from %s" % st)
            eq(a["history"][-1]["params"]["reason"], "申请人主动撤回", "history keeps the reason")
        expect(w.sup, "app.withdraw", {"id": id, "reason": "r"}, -32002,
               "supervisor may not withdraw", required=["clerk"])
        # Withdrawn days into a pause: the closed pause counts in the due
        # date it keeps (SPEC section 4's formula, and its explanation).
        paused = {st: w.to_state(st)["id"] for st in ("consultation", "fee")}
        w.clock(CAL.add(TODAY, 3) + "T10:00:00+08:00")
        for st, id in paused.items():
            a = w.go(id, ("clerk", "app.withdraw", {"reason": "撤回"}))
            dl = a["deadline"]
            ok(dl["paused_days"] == 3 and
               dl["due_on"] == CAL.add(TODAY, 20 + dl["extension_days"] + dl["paused_days"]),
               "withdrawn 3 working days into %s: due_on counts them" % st, dl)
            ok(dl["due_on"] in dl["explain"]["text"], "and the explanation shows that date",
               dl["explain"])
        for st in ("replied", "withdrawn"):
            id = w.to_state(st)["id"]
            before = snapshot(w, id)
            expect(w.clerk, "app.withdraw", {"id": id, "reason": "r"}, -32004,
                   "withdraw from %s: -32004" % st)
            eq(snapshot(w, id), before, "withdraw from %s changed nothing" % st)
    finally:
        w.close()


def test_automatic_transitions():
    w = World()
    try:
        cor = w.to_state("correction")["id"]
        con = w.to_state("consultation")["id"]
        fee = w.to_state("fee")["id"]
        last15 = CAL.add(TODAY, 15)
        last20 = CAL.add(TODAY, 20)
        eq(w.get(cor)["deadline"]["waiting"]["last_day"], last15, "correction period: 15 days")
        eq(w.get(fee)["deadline"]["waiting"]["last_day"], last20, "fee period: 20 days")
        r = w.clock(last15 + "T23:59:59+08:00")
        eq([f for f in r["fired"] if f["type"] == "lapsed"], [],
           "nothing lapses on the period's last day")
        eq(w.get(cor)["state"], "correction", "still in correction on its last day")
        day_after = (datetime.date.fromisoformat(last15) + datetime.timedelta(days=1)).isoformat()
        r = w.clock(day_after + "T08:00:00+08:00")
        lapsed = sorted(f["id"] for f in r["fired"] if f["type"] == "lapsed")
        eq(lapsed, sorted([cor, con]), "correction and consultation lapse at 00:00 after")
        a = w.get(cor)
        eq((a["state"], a["outcome"], a["concluded_on"]),
           ("withdrawn", "other.no_correction", day_after),
           "correction lapsed: withdrawn, other.no_correction, concluded the day after")
        h = a["history"][-1]
        eq((h["actor"], h["method"], h["from"], h["to"], h["at"]),
           ("system", "timer.lapse", "correction", "withdrawn", day_after + "T00:00:00+08:00"),
           "lapse event: actor system, at 00:00 of the day after")
        eq(a["version"], 4, "a lapse bumps the version")
        b = w.get(con)
        eq(b["state"], "review", "consultation lapsed: back to review")
        eq(b["deadline"]["paused_days"], 15, "the pause ends on the period's last day")
        eq(b["deadline"]["due_on"], CAL.add(TODAY, 35), "due_on moved by the whole period")
        b = w.go(con, ("rev", "app.review", {"outcome": "deny.third_party", "note": "n"}))
        eq(b["state"], "ready", "the reviewer goes on after the lapse")
        fee_after = (datetime.date.fromisoformat(last20) + datetime.timedelta(days=1)).isoformat()
        w.clock(fee_after + "T00:00:00+08:00")
        c = w.get(fee)
        eq((c["state"], c["outcome"], c["concluded_on"]), ("withdrawn", "other.fee_unpaid",
                                                          fee_after),
           "fee unpaid: withdrawn, other.fee_unpaid")
        expect(w.clerk, "app.fee_paid", {"id": fee}, -32004, "paying after the lapse: -32004")
    finally:
        w.close()


# ---------------------------------------------------------------------------
# Who and when

TRANSITIONS = {
    # method: (params, allowed roles, allowed from-states)
    "app.assign": ({"reviewer": "rev"}, ["clerk", "supervisor"], ["received", "review"]),
    "app.request_correction": ({"note": "n"}, ["clerk", "reviewer"], ["received", "review"]),
    "app.correct": ({}, ["clerk"], ["correction"]),
    "app.consult": ({"party": "p", "note": "n"}, ["reviewer"], ["review"]),
    "app.consulted": ({"opinion": "o"}, ["reviewer"], ["consultation"]),
    "app.review": ({"outcome": "grant", "note": "n"}, ["reviewer"], ["review"]),
    "app.secrecy": ({"result": "pass", "note": "n"}, ["secrecy"], ["secrecy"]),
    "app.fee_notice": ({"amount_yuan": 5, "note": "n"}, ["clerk"], ["review", "ready"]),
    "app.fee_paid": ({}, ["clerk"], ["fee"]),
    "app.extend": ({"days": 1, "reason": "r"}, ["supervisor"],
                   ["received", "review", "secrecy", "ready"]),
    "app.reply": ({"note": "n"}, ["clerk"], ["ready"]),
    "app.withdraw": ({"reason": "r"}, ["clerk"],
                     ["received", "correction", "review", "consultation", "secrecy", "fee",
                      "ready"]),
    "app.appeal": ({"kind": "reconsideration"}, ["clerk"], ["replied", "withdrawn"]),
    "app.appeal_decided": ({"appeal": 1, "result": "upheld"}, ["clerk"],
                           ["replied", "withdrawn"]),
}
STATES = ["received", "correction", "review", "consultation", "secrecy", "fee", "ready",
          "replied", "withdrawn"]
ACTOR = {"clerk": "clerk", "supervisor": "sup", "reviewer": "rev", "secrecy": "sec"}


def test_forbidden_roles():
    w = World()
    try:
        _, adm = w.d.user("adm2", "admin")
        w.c["adm2"] = adm
        apps = {st: w.to_state(st)["id"] for st in STATES}
        expect(w.rev, "app.submit", sub_params(), -32002, "reviewer may not submit",
               required=["clerk"])
        expect(w.sup, "app.submit", sub_params(), -32002, "supervisor may not submit",
               required=["clerk"])
        expect(adm, "app.submit", sub_params(), -32002, "admin may not submit",
               required=["clerk"])
        for method, (params, roles, froms) in TRANSITIONS.items():
            id = apps[froms[0]]
            for who, role in (("clerk", "clerk"), ("sup", "supervisor"), ("rev", "reviewer"),
                              ("sec", "secrecy"), ("adm2", "admin")):
                if role in roles:
                    continue
                p = {"id": id}
                p.update(params)
                before = snapshot(w, id)
                expect(w.c[who], method, p, -32002, "%s refused to %s" % (method, role),
                       required=roles)
                eq(snapshot(w, id), before, "%s by %s changed nothing" % (method, role))
        # Only the assignee among reviewers.
        rid = apps["review"]
        for method in ("app.review", "app.consult", "app.request_correction"):
            p = {"id": rid}
            p.update(TRANSITIONS[method][0])
            expect(w.rev2, method, p, -32002, "%s refused to a reviewer not assigned" % method)
        p = {"id": apps["consultation"], "opinion": "o"}
        expect(w.rev2, "app.consulted", p, -32002, "app.consulted refused to another reviewer")
        # Their states always have an assignee: on an unassigned application
        # the state is what is wrong (SPEC 2: any other state is -32004).
        for method in ("app.review", "app.consult"):
            p = {"id": apps["received"]}
            p.update(TRANSITIONS[method][0])
            expect(w.rev, method, p, -32004, "%s on an unassigned application: state" % method)
        p = {"id": apps["received"]}
        p.update(TRANSITIONS["app.request_correction"][0])
        expect(w.rev, "app.request_correction", p, -32002,
               "app.request_correction by a reviewer on an unassigned application")
        eq(snapshot(w, rid)[:3], ("review", 2, 2), "refusals left the application alone")
        # A reassignment moves the right to act.
        a = w.go(rid, ("sup", "app.assign", {"reviewer": "rev2"}))
        eq((a["state"], a["assignee"]), ("review", "rev2"), "reassign in review")
        expect(w.rev, "app.review", {"id": rid, "outcome": "grant", "note": "n"}, -32002,
               "the former assignee may no longer review")
        a = w.go(rid, ("rev2", "app.review", {"outcome": "grant", "note": "n"}))
        eq(a["state"], "secrecy", "the new assignee reviews")
        expect(w.clerk, "app.assign", {"id": apps["ready"], "reviewer": "rev"}, -32004,
               "assign from ready: -32004")
        expect(w.clerk, "app.assign", {"id": apps["received"], "reviewer": "sec"}, -32602,
               "assign to a user without the reviewer role", field="reviewer")
        expect(w.clerk, "app.assign", {"id": apps["received"], "reviewer": "nobody"}, -32602,
               "assign to an unknown user", field="reviewer")
        expect(w.sec, "app.assign", {"id": apps["received"], "reviewer": "nobody"}, -32002,
               "assign by a secrecy officer: -32002 before the reviewer is looked at",
               required=["clerk", "supervisor"])
        expect(w.clerk, "app.assign", {"id": apps["ready"], "reviewer": "nobody"}, -32004,
               "assign from ready: -32004 before the reviewer is looked at")
        w.admin.call("user.disable", {"name": "rev2"})
        expect(w.clerk, "app.assign", {"id": apps["received"], "reviewer": "rev2"}, -32602,
               "assign to a disabled reviewer", field="reviewer")
        expect(w.clerk, "app.get", {"id": "2026-999999"}, -32003, "app.get unknown id: -32003")
        e = expect(w.clerk, "app.review", {"id": "2099-000001", "outcome": "grant", "note": "n"},
                   -32003, "transition on an unknown id: -32003")
        eq((e.get("data") or {}).get("id"), "2099-000001", "-32003 data.id")
    finally:
        w.close()


def test_wrong_state():
    w = World()
    try:
        apps = {st: w.to_state(st)["id"] for st in STATES}
        bad = []
        n = 0
        for method, (params, roles, froms) in TRANSITIONS.items():
            who = ACTOR[roles[0]]
            for st in STATES:
                if st in froms:
                    continue
                if roles == ["reviewer"] and st in ("received", "withdrawn"):
                    continue  # no assignee: -32002 comes first (test_forbidden_roles)
                id = apps[st]
                p = {"id": id}
                p.update(params)
                before = snapshot(w, id)
                e = rpc_err(w.c[who], method, p)
                n += 1
                data = e.get("data") or {}
                if e.get("code") != -32004 or data.get("state") != st or \
                        data.get("version") != before[1]:
                    bad.append((method, st, e))
                if snapshot(w, id) != before:
                    bad.append((method, st, "changed"))
        ok(n > 80, "tried %d (method, state) pairs" % n)
        eq(bad, [], "every transition from a wrong state: -32004 {state, version}, no change")
    finally:
        w.close()


def test_separation_of_duties():
    w = World()
    try:
        a = w.to_state("review", reviewer="rs")
        id = a["id"]
        w.go(id, ("rs", "app.review", {"outcome": "grant", "note": "可以公开"}))
        before = snapshot(w, id)
        e = expect(w.rs, "app.secrecy", {"id": id, "result": "pass", "note": "自审"}, -32002,
                   "the proposer may not pass its own secrecy check",
                   required=["secrecy"])
        ok("separation" in e.get("message", ""), "message says separation of duties", e)
        expect(w.rs, "app.secrecy", {"id": id, "result": "fail", "note": "自审"}, -32002,
               "nor fail it")
        eq(snapshot(w, id), before, "refused self-check changed nothing")
        a = w.go(id, ("sec", "app.secrecy", {"result": "pass", "note": "他审"}))
        eq(a["state"], "ready", "another secrecy officer passes")
        # rs as secrecy on somebody else's proposal: fine.
        b = w.to_state("secrecy", reviewer="rev")
        b = w.go(b["id"], ("rs", "app.secrecy", {"result": "pass", "note": "n"}))
        eq(b["state"], "ready", "a reviewer+secrecy user checks another's proposal")
        # After a fail and a re-review by another reviewer, the first proposer may check.
        c = w.to_state("review", reviewer="rs")
        w.go(c["id"], ("rs", "app.review", {"outcome": "partial", "note": "n"}),
             ("sec", "app.secrecy", {"result": "fail", "note": "n"}),
             ("sup", "app.assign", {"reviewer": "rev"}),
             ("rev", "app.review", {"outcome": "partial", "note": "n"}))
        c = w.go(c["id"], ("rs", "app.secrecy", {"result": "pass", "note": "n"}))
        eq(c["state"], "ready", "the proposer is the latest reviewer, not an earlier one")
    finally:
        w.close()


def test_stale_version():
    w = World()
    try:
        a = w.submit()
        id = a["id"]
        a = w.go(id, ("clerk", "app.assign", {"reviewer": "rev", "version": 1}))
        eq(a["version"], 2, "assign with the current version works")
        before = snapshot(w, id)
        e = expect(w.rev, "app.review", {"id": id, "outcome": "grant", "note": "n", "version": 1},
                   -32004, "stale version: -32004")
        eq(e.get("data"), {"state": "review", "version": 2}, "stale: data has the current state")
        expect(w.rev, "app.review", {"id": id, "outcome": "grant", "note": "n", "version": 3},
               -32004, "future version: -32004")
        eq(snapshot(w, id), before, "stale version changed nothing")
        a = w.go(id, ("rev", "app.review", {"outcome": "grant", "note": "n", "version": 2}))
        eq(a["version"], 3, "the right version works")
        # Two clients race: the second loses.
        id2 = w.to_state("ready")["id"]
        v = w.get(id2)["version"]
        w.go(id2, ("clerk", "app.reply", {"note": "n", "version": v}))
        expect(w.clerk2, "app.withdraw", {"id": id2, "reason": "r", "version": v}, -32004,
               "the slower of two writers with one version loses")
    finally:
        w.close()


def test_idempotent_submit():
    w = World()
    try:
        p = sub_params(client_ref="窗口-0001")
        a = w.clerk.call("app.submit", p)
        b = w.clerk.call("app.submit", p)
        eq(b["id"], a["id"], "retry with the same client_ref: same id")
        eq(b["version"], 1, "retry: the application is unchanged")
        eq(len(w.get(a["id"])["history"]), 1, "retry: no second submit event")
        p2 = dict(p, description="另一个申请")
        c = w.clerk.call("app.submit", p2)
        eq(c["id"], a["id"], "retry with other content: still the first application")
        eq(c["description"], p["description"], "retry returns the first application's content")
        d = w.clerk2.call("app.submit", p)
        ok(d["id"] != a["id"], "another user with the same client_ref: a new application", d["id"])
        e = w.clerk.call("app.submit", sub_params(client_ref="窗口-0002"))
        eq(int(e["id"][5:]), int(d["id"][5:]) + 1, "retries used no sequence number")
        # Retry after a transition still returns the same (now changed) app.
        w.go(a["id"], ("clerk", "app.assign", {"reviewer": "rev"}))
        f = w.clerk.call("app.submit", p)
        eq((f["id"], f["state"], f["version"]), (a["id"], "review", 2),
           "retry after a change returns the application as it is")
        # In one batch, over a fresh connection.
        g = w.d.client(w.tokens["clerk"])
        try:
            g.send_raw(
                '[{"jsonrpc":"2.0","id":1,"method":"app.submit","params":%s},'
                '{"jsonrpc":"2.0","id":2,"method":"app.submit","params":%s}]\n'
                % tuple([json.dumps(sub_params(client_ref="batch-1"))] * 2))
            r = g.recv_line()
            ids = [x.get("result", {}).get("id") for x in r]
            ok(ids[0] is not None and ids[0] == ids[1], "two submits with one ref in a batch: one app",
               r)
        finally:
            g.close()
    finally:
        w.close()


def test_ids_sequential():
    w = World()
    try:
        ids = [w.submit()["id"] for _ in range(3)]
        eq(ids, ["2026-000001", "2026-000002", "2026-000003"], "ids 2026-NNNNNN in order")
        a = w.submit(received_on="2025-12-31")
        eq(a["id"], "2025-000001", "received in 2025: year 2025, its own sequence")
        b = w.submit(received_on="2026-01-01")
        eq(b["id"], "2026-000004", "back to 2026: the sequence continues")
        c = w.submit(received_on="2025-06-30")
        eq(c["id"], "2025-000002", "2025 again")
        d = w.submit(received_on="2019-05-14")
        eq((d["id"], d["rules"]), ("2019-000001", 2007), "2019, 2007 rules")
        # Refused submissions use no number.
        expect(w.clerk, "app.submit", sub_params(channel="pigeon"), -32602, "bad channel",
               field="channel")
        eq(w.submit()["id"], "2026-000005", "a refused submission used no number")
    finally:
        w.close()
    # A correction received in the next year keeps the id's year.
    w = World(fake_clock="2025-12-30T09:00:00+08:00")
    try:
        e = w.to_state("correction")
        w.clock("2026-01-06T09:00:00+08:00")
        e2 = w.go(e["id"], ("clerk", "app.correct", {"received_on": "2026-01-05"}))
        eq(e2["id"], "2025-000001", "the id keeps the year of the original receipt")
        eq(e2["deadline"]["due_on"], CAL.add("2026-01-05", 20), "its clock starts in 2026")
        eq(w.submit()["id"], "2026-000001", "the 2026 sequence is untouched")
    finally:
        w.close()


def test_history_events():
    w = World()
    try:
        a = w.submit()
        id = a["id"]
        steps = [
            ("sup", "app.assign", {"reviewer": "rev"}, "received", "review"),
            ("rev", "app.consult", {"party": "甲公司", "note": "征求第三方意见"}, "review",
             "consultation"),
            ("rev", "app.consulted", {"opinion": "同意公开"}, "consultation", "review"),
            ("sup", "app.extend", {"days": 3, "reason": "需要时间"}, "review", "review"),
            ("rev", "app.request_correction", {"note": "请明确年份"}, "review", "correction"),
            ("clerk", "app.correct", {"description": "2025年度"}, "correction", "review"),
            ("rev", "app.review", {"outcome": "grant", "note": "公开"}, "review", "secrecy"),
            ("sec", "app.secrecy", {"result": "pass", "note": "无密"}, "secrecy", "ready"),
            ("clerk", "app.fee_notice", {"amount_yuan": 30, "note": "超量收费"}, "ready", "fee"),
            ("clerk", "app.fee_paid", {}, "fee", "ready"),
            ("clerk", "app.reply", {"note": "答复"}, "ready", "replied"),
            ("clerk", "app.appeal", {"kind": "litigation"}, "replied", "replied"),
            ("clerk", "app.appeal_decided", {"appeal": 1, "result": "corrected"}, "replied",
             "replied"),
        ]
        for who, method, params, _, _ in steps:
            w.go(id, (who, method, params))
        a = w.get(id)
        h = a["history"]
        eq(len(h), len(steps) + 1, "one event per change (submit + %d)" % len(steps))
        eq(a["version"], len(steps) + 1, "version counts the changes")
        eq((h[0]["method"], h[0]["actor"], h[0]["from"], h[0]["to"]),
           ("app.submit", "clerk", None, "received"), "first event: submit, from null")
        eq(h[0]["params"]["description"], "请公开本区2025年道路维修工程的招标文件",
           "submit event keeps the parameters")
        bad = []
        for i, (who, method, params, frm, to) in enumerate(steps, 1):
            e = h[i]
            want = dict(params, id=id)
            if (e.get("actor"), e.get("method"), e.get("from"), e.get("to"), e.get("params"),
                    e.get("version")) != (who, method, frm, to, want, i + 1):
                bad.append((i, e))
            if not isinstance(e.get("at"), str) or not e["at"].startswith(TODAY + "T09:00:00"):
                bad.append((i, "at", e.get("at")))
        eq(bad, [], "every event: actor, method, from, to, params, version, at")
        seqs = [e["seq"] for e in h]
        eq(seqs, sorted(seqs), "events in order of seq")
        ok(all("app" not in e for e in h), "history entries need no app field")
        # Refused calls leave no event.
        expect(w.clerk, "app.reply", {"id": id, "note": "n"}, -32004, "reply twice refused")
        eq(len(w.get(id)["history"]), len(h), "a refused call adds no event")
    finally:
        w.close()


def test_restart():
    w = World()
    try:
        ids = {st: w.to_state(st)["id"] for st in STATES}
        w.submit(received_on="2026-01-05")  # overdue: its timer events fire below
        w.clock(START)  # handle pending events now, so a restart adds none
        before = {id: w.get(id) for id in ids.values()}
        lst = w.admin.call("app.list", {"limit": 500})
        for c in w.c.values():
            c.close()
        w.admin.close()
        w.d.restart()
        w.admin = w.d.admin()
        for name, tok in w.tokens.items():
            w.c[name] = w.d.client(tok)
        after = {id: w.get(id) for id in ids.values()}
        eq(after, before, "every application intact after a restart")
        eq(w.admin.call("app.list", {"limit": 500}), lst, "app.list intact after a restart")
        # It goes on where it stopped.
        a = w.go(ids["ready"], ("clerk", "app.reply", {"note": "重启后答复"}))
        eq(a["state"], "replied", "transitions work after a restart")
        a = w.go(ids["consultation"], ("rev", "app.consulted", {"opinion": "o"}))
        eq(a["state"], "review", "a pause opened before the restart closes after it")
        eq(w.submit()["id"], "2026-%06d" % (len(STATES) + 2), "the id sequence goes on")
        r = w.clerk.call("app.submit", sub_params(client_ref="r1"))
        w.d.restart()
        c = w.d.client(w.tokens["clerk"])
        try:
            eq(c.call("app.submit", sub_params(client_ref="r1"))["id"], r["id"],
               "client_ref retry after a restart: same application")
        finally:
            c.close()
        w.admin.close()
        w.admin = w.d.admin()
        for name, tok in w.tokens.items():
            w.c[name].close()
            w.c[name] = w.d.client(tok)
    finally:
        w.close()


CHINESE = {
    "name": "欧阳娜娜·阿卜杜热合曼",
    "address": "北京市东城区正义路2号 邮编100744",
    "desc": "请公开：①《关于2025年度城市更新项目的批复》（京发改〔2025〕123号）全文；"
            "②相关的环境影响评价报告。\n附件见邮件。😀 ǅ 𠀀 “引号” ‘单引号’ \\反斜杠\\ \"双引号\"",
}


def test_chinese_text():
    w = World()
    try:
        p = sub_params(applicant=person(CHINESE["name"], address=CHINESE["address"],
                                        id_number="11010119900307123X", phone="+86 10 12345678",
                                        email="zhang@例子.中国"),
                       desc=CHINESE["desc"], form="paper", delivery="mail", channel="mail",
                       client_ref="参考号-１")
        a = w.clerk.call("app.submit", p)
        eq(a["applicant"]["name"], CHINESE["name"], "name returned exactly")
        eq(a["applicant"]["address"], CHINESE["address"], "address returned exactly")
        eq(a["applicant"]["email"], "zhang@例子.中国", "email returned exactly")
        eq(a["description"], CHINESE["desc"], "description (with emoji, quotes, newline) exactly")
        eq(a["client_ref"], "参考号-１", "client_ref exactly")
        g = w.get(a["id"])
        eq(g["description"], CHINESE["desc"], "app.get: description exactly")
        eq(g["history"][0]["params"]["description"], CHINESE["desc"], "history params exactly")
        eq(g["history"][0]["params"]["applicant"]["name"], CHINESE["name"], "history name exactly")
        w.go(a["id"], ("clerk", "app.request_correction", {"note": "请补充《授权委托书》😀"}))
        g = w.get(a["id"])
        eq(g["history"][-1]["params"]["note"], "请补充《授权委托书》😀", "note in history exactly")
        # 10000 Chinese characters are 10000 characters.
        long = "政" * 10000
        b = w.clerk.call("app.submit", sub_params(desc=long))
        eq(b["description"], long, "10000 Chinese characters stored and returned")
        big = "𠀀" * 10000  # 4 bytes each
        b = w.clerk.call("app.submit", sub_params(desc=big))
        eq(len(b["description"]), 10000, "10000 astral characters accepted")
        lst = w.rev.call("app.list", {"q": "城市更新"})
        eq([x["id"] for x in lst["items"]], [a["id"]], "found by a Chinese substring")
        eq(lst["items"][0]["description"], CHINESE["desc"], "list summary: description exactly")
    finally:
        w.close()


def test_personal_data_in_history():
    w = World()
    try:
        p = sub_params(applicant=person("赵六", id_number="110101199003071234",
                                        phone="13800138000", email="z@example.cn",
                                        address="北京市西城区"))
        id = w.clerk.call("app.submit", p)["id"]
        w.go(id, ("clerk", "app.assign", {"reviewer": "rev"}))
        for who in ("rev", "sec"):
            a = w.c[who].call("app.get", {"id": id})
            ap, hp = a["applicant"], a["history"][0]["params"]["applicant"]
            eq(sorted(ap), ["kind", "name"], "%s sees no personal data in the application" % who)
            eq(sorted(hp), ["kind", "name"], "%s sees no personal data in the history" % who)
        for who in ("clerk", "sup"):
            a = w.c[who].call("app.get", {"id": id})
            eq(a["history"][0]["params"]["applicant"], p["applicant"],
               "%s sees the submitted applicant in the history" % who)
            eq(a["applicant"]["phone"], "13800138000", "%s sees the phone" % who)
    finally:
        w.close()


def test_list_filters():
    w = World()
    try:
        mk = lambda recv, name, desc, **kw: w.submit(received_on=recv, name=name, desc=desc,
                                                     **kw)["id"]
        a1 = mk("2026-01-05", "王小明", "请公开2025年区政府工作报告")
        a2 = mk("2026-02-10", "赵大海", "请公开河道治理工程环境影响评价报告")
        a3 = mk("2026-02-26", None, "拆迁补偿安置方案",
                applicant=org("北京某律师事务所", "legal_service"))
        a4 = mk("2026-03-02", "钱多多", "请公开道路改造工程的立项批复")
        a5 = mk("2026-03-02", "孙悟空", "Environmental IMPACT report 2025")
        w.go(a2, ("clerk", "app.assign", {"reviewer": "rev"}))
        w.go(a3, ("clerk", "app.assign", {"reviewer": "rev2"}))
        w.go(a4, ("clerk", "app.assign", {"reviewer": "rev"}),
             ("rev", "app.review", {"outcome": "grant", "note": "n"}))
        L = lambda **q: [x["id"] for x in w.rev.call("app.list", q)["items"]]
        eq(L(), [a1, a2, a3, a4, a5], "no filter: every app by received_on, id")
        eq(L(state="review"), [a2, a3], "state=review")
        eq(L(state="received"), [a1, a5], "state=received")
        eq(L(state="secrecy"), [a4], "state=secrecy")
        eq(L(state="replied"), [], "state=replied: none")
        eq(L(assignee="rev"), [a2, a4], "assignee=rev")
        eq(L(assignee="rev2"), [a3], "assignee=rev2")
        eq(L(assignee="nobody"), [], "assignee=nobody")
        eq(L(state="review", assignee="rev"), [a2], "state and assignee together")
        eq(L(q="工程"), [a2, a4], "q: 2 Chinese characters (fallback)")
        eq(L(q="影响评价"), [a2], "q: 4 Chinese characters (trigram)")
        eq(L(q="环境影响评价报告"), [a2], "q: a longer phrase")
        eq(L(q="律师"), [a3], "q: 2 characters of the name")
        eq(L(q="律师事务所"), [a3], "q: 5 characters of the name")
        eq(L(q="王"), [a1], "q: 1 character")
        eq(L(q="报告"), [a1, a2], "q: 报告 in two descriptions")
        eq(L(q="工作报"), [a1], "q: exactly 3 characters")
        eq(L(q=a3), [a3], "q: the whole id")
        eq(L(q=a3[5:]), [a3], "q: part of the id")
        eq(L(q="不存在的内容"), [], "q: no match")
        eq(L(q='"引号'), [], "q with a double quote: no error, no match")
        eq(L(q="IMPACT"), [a5], "q: Latin, exact case")
        eq(L(q="IM"), [a5], "q: 2 Latin characters, exact case")
        eq(L(q="im"), L(q="impact"), "q: case handled alike for short and long queries")
        eq(L(received_from="2026-02-10"), [a2, a3, a4, a5], "received_from (inclusive)")
        eq(L(received_to="2026-02-26"), [a1, a2, a3], "received_to (inclusive)")
        eq(L(received_from="2026-02-01", received_to="2026-02-28"), [a2, a3], "received range")
        eq(L(received_from="2026-02-27", received_to="2026-02-27"), [], "empty range")
        # a1 (received 2026-01-05) is overdue today; a2 (2026-02-10) is due
        # add(2026-02-10, 20) = 2026-03-16: not yet.
        eq(L(overdue=True), [a1], "overdue=true")
        eq(L(overdue=False), [a2, a3, a4, a5], "overdue=false")
        w.go(a1, ("clerk", "app.request_correction", {"note": "n"}))
        eq(L(overdue=True), [], "a stopped clock is not overdue")
        eq(L(q="报告", state="review"), [a2], "q and state together")
        eq(L(q="工程", received_from="2026-03-01"), [a4], "q and received_from together")
        items = w.rev.call("app.list", {"q": "钱多多"})["items"]
        s = items[0]
        eq((s["id"], s["state"], s["assignee"], s["outcome"], s["received_on"]),
           (a4, "secrecy", "rev", "grant", "2026-03-02"), "summary fields")
        ok("phone" not in s["applicant"] and "id_number" not in s["applicant"],
           "reviewer's list has no personal data", s)
    finally:
        w.close()


def test_list_pagination():
    w = World()
    try:
        rnd = random.Random(7)
        days = [(datetime.date(2026, 1, 1) + datetime.timedelta(days=rnd.randrange(60))).isoformat()
                for _ in range(120)]
        ids = [w.submit(received_on=d, desc="分页测试 %d" % i)["id"] for i, d in enumerate(days)]
        want = [id for _, id in sorted(zip(days, ids))]
        seen, after, pages = [], None, 0
        extra = []
        while True:
            q = {"limit": 50}
            if after:
                q["after"] = after
            r = w.rev.call("app.list", q)
            pages += 1
            seen += [(x["received_on"], x["id"]) for x in r["items"]]
            ok(len(r["items"]) <= 50, "page %d has at most 50 items" % pages)
            after = r["next"]
            if after is None:
                break
            # Submissions between pages: one before, one after the cursor.
            extra.append(w.submit(received_on="2025-12-01")["id"])
            extra.append(w.submit(received_on="2026-03-02")["id"])
            if pages > 10:
                break
        got = [id for _, id in seen]
        old = [id for id in got if id not in extra]
        eq(old, want, "every application exactly once, in order (no repeats, no skips)")
        eq(len(got), len(set(got)), "no repeats")
        eq(seen, sorted(seen), "ordered by received_on then id")
        eq(pages, 3, "120 (+ new ones) in pages of 50: 3 pages")
        late = [id for id in extra if id.startswith("2026")]
        ok(all(id in got for id in late), "applications submitted after the cursor appear", late)
        # Exactly a multiple of the limit: next is null on the last page.
        r1 = w.rev.call("app.list", {"limit": 500})
        n = len(r1["items"])
        eq(r1["next"], None, "all in one page: next null")
        r2 = w.rev.call("app.list", {"limit": n})
        eq((len(r2["items"]), r2["next"]), (n, None), "limit == count: next null")
        r3 = w.rev.call("app.list", {"limit": n - 1})
        eq(r3["next"], r3["items"][-1]["id"], "limit == count-1: next is the last id")
        r4 = w.rev.call("app.list", {"limit": 5, "after": r3["next"]})
        eq(([x["id"] for x in r4["items"]], r4["next"]), ([r1["items"][-1]["id"]], None),
           "the last page")
        eq(len(w.rev.call("app.list", {})["items"]), 50, "default limit 50")
        # Filtered pagination.
        seen, after = [], None
        while True:
            q = {"limit": 7, "q": "分页测试", "received_from": "2026-01-15"}
            if after:
                q["after"] = after
            r = w.rev.call("app.list", q)
            seen += [x["id"] for x in r["items"]]
            after = r["next"]
            if after is None:
                break
        want2 = [id for d, id in sorted(zip(days, ids)) if d >= "2026-01-15"]
        eq(seen, want2, "filtered (q + received_from) pages of 7")
    finally:
        w.close()


def test_appeals():
    w = World()
    try:
        id = w.to_state("replied")["id"]
        a = w.go(id, ("clerk", "app.appeal", {"kind": "reconsideration", "filed_on": TODAY}))
        eq(a.get("appeal"), 1, "first appeal: number 1")
        eq(a["state"], "replied", "appeal keeps the state")
        a = w.go(id, ("clerk", "app.appeal", {"kind": "litigation_after_reconsideration"}))
        eq(a.get("appeal"), 2, "second appeal: number 2")
        eq([(x["appeal"], x["kind"], x["result"], x["decided_on"]) for x in a["appeals"]],
           [(1, "reconsideration", "pending", None),
            (2, "litigation_after_reconsideration", "pending", None)], "appeals listed, pending")
        a = w.go(id, ("clerk", "app.appeal_decided", {"appeal": 1, "result": "upheld",
                                                     "decided_on": TODAY}))
        eq((a["appeals"][0]["result"], a["appeals"][0]["decided_on"]), ("upheld", TODAY),
           "appeal 1 decided: upheld")
        before = snapshot(w, id)
        expect(w.clerk, "app.appeal_decided", {"id": id, "appeal": 1, "result": "other"}, -32004,
               "deciding twice: -32004")
        expect(w.clerk, "app.appeal_decided", {"id": id, "appeal": 9, "result": "other"}, -32602,
               "no such appeal", field="appeal")
        expect(w.clerk, "app.appeal_decided", {"id": id, "appeal": 2, "result": "pending"}, -32602,
               "result pending is not a decision", field="result")
        expect(w.clerk, "app.appeal", {"id": id, "kind": "complaint"}, -32602, "bad appeal kind",
               field="kind")
        expect(w.clerk, "app.appeal", {"id": id, "kind": "litigation", "filed_on": "2026-03-03"},
               -32602, "filed_on in the future", field="filed_on")
        expect(w.clerk, "app.appeal", {"id": id, "kind": "litigation", "filed_on": "2026-02-27"},
               -32602, "filed_on before receipt", field="filed_on")
        expect(w.sup, "app.appeal", {"id": id, "kind": "litigation"}, -32002,
               "supervisor may not record an appeal", required=["clerk"])
        eq(snapshot(w, id), before, "refused appeal calls changed nothing")
        eq(len(w.get(id)["appeals"]), 2, "still two appeals")
        # Withdrawn applications can be appealed too; open ones cannot.
        wid = w.to_state("withdrawn")["id"]
        eq(w.go(wid, ("clerk", "app.appeal", {"kind": "litigation"})).get("appeal"), 1,
           "appeal on a withdrawn application")
        rid = w.to_state("review")["id"]
        expect(w.clerk, "app.appeal", {"id": rid, "kind": "litigation"}, -32004,
               "appeal on an open application: -32004")
        eq(w.get(rid)["appeals"], [], "no appeal recorded")
        w.clock("2026-03-20T09:00:00+08:00")
        expect(w.clerk, "app.appeal_decided", {"id": id, "appeal": 2, "result": "corrected",
                                              "decided_on": "2026-03-01"}, -32602,
               "decided before filed", field="decided_on")
        a = w.go(id, ("clerk", "app.appeal_decided", {"appeal": 2, "result": "corrected"}))
        eq((a["appeals"][1]["result"], a["appeals"][1]["decided_on"]), ("corrected", "2026-03-20"),
           "decided_on defaults to today")
    finally:
        w.close()


if __name__ == "__main__":
    main(globals())
