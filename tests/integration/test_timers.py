"""Deadline timers (SPEC section 4): each kind fires at the right instant,
pushes reach subscribers, catch-up after a restart, calendar changes move
due dates and timers, paused applications are never overdue."""
import datetime
import time
import json

from harness import Daemon, RpcError, eq, main, ok

START = "2026-03-02T09:00:00+08:00"  # a Monday


def d2s(d):
    return d.isoformat()


def s2d(s):
    return datetime.date.fromisoformat(s)


def midnight(day):
    return "%sT00:00:00+08:00" % day


def before_midnight(day):
    prev = s2d(day) - datetime.timedelta(days=1)
    return "%sT23:59:59+08:00" % d2s(prev)


class World:
    def __init__(self, fake=START, **kw):
        self.d = Daemon(fake_clock=fake, **kw)
        self.admin = self.d.admin()
        self.clerk_tok, self.clerk = self.d.user("clerk", "clerk")
        self.rev_tok, self.rev = self.d.user("rev", "reviewer")
        self.sup_tok, self.sup = self.d.user("boss", "supervisor")

    def submit(self, received_on, name="申请人"):
        return self.clerk.call("app.submit", {
            "applicant": {"kind": "natural_person", "name": name},
            "channel": "in_person", "description": "测试申请内容",
            "received_on": received_on})

    def add(self, date, n):
        return self.admin.call("calendar.add", {"date": date, "days": n})

    def count(self, a, b):
        return self.admin.call("calendar.count", {"from": a, "to": b})

    def clock(self, now):
        return self.admin.call("clock.set", {"now": now})

    def get(self, id):
        return self.admin.call("app.get", {"id": id})

    def close(self):
        for c in (self.admin, self.clerk, self.rev, self.sup):
            c.close()
        self.d.cleanup()


def fired_of(res, id, type=None):
    return [f for f in res["fired"] if f["id"] == id and (type is None or f["type"] == type)]


def due_soon_day(w, due, n=3):
    """First day D with count(D, due) <= n, found by walking back."""
    d = s2d(due)
    while w.count(d2s(d - datetime.timedelta(days=1)), due) <= n:
        d -= datetime.timedelta(days=1)
    return d2s(d)


def test_due_soon_and_overdue_fire_at_midnight():
    w = World()
    try:
        app = w.submit("2026-03-02")
        due = app["deadline"]["due_on"]
        eq(due, w.add("2026-03-02", 20), "due_on is 20 working days after receipt")
        ds = due_soon_day(w, due)
        sub = w.d.client(w.sup_tok)
        eq(sub.call("events.subscribe", {"types": ["due_soon", "overdue"]})["subscribed"],
           ["due_soon", "overdue"], "subscribed to due_soon and overdue")
        res = w.clock(before_midnight(ds))
        eq(fired_of(res, app["id"]), [], "nothing fires a second before the due-soon day")
        res = w.clock(midnight(ds))
        f = fired_of(res, app["id"], "due_soon")
        eq(len(f), 1, "due_soon fires at 00:00 of the first due-soon day")
        eq(f and f[0]["at"], midnight(ds), "due_soon carries its due instant")
        ev = sub.wait_event()
        eq((ev or {}).get("type"), "due_soon", "subscriber gets the due_soon push")
        eq((ev or {}).get("id"), app["id"], "push names the application")
        g = w.get(app["id"])
        eq(g["version"], app["version"], "due_soon leaves version alone")
        ok(any(h["method"] == "timer.due_soon" and h["actor"] == "system" for h in g["history"]),
           "due_soon is in the history with actor system")
        res = w.clock(before_midnight(d2s(s2d(due) + datetime.timedelta(days=1))))
        eq(fired_of(res, app["id"]), [], "not overdue on the due date itself")
        eq(w.get(app["id"])["deadline"]["overdue"], False, "not overdue at 23:59:59 of due_on")
        nxt = d2s(s2d(due) + datetime.timedelta(days=1))
        res = w.clock(midnight(nxt))
        f = fired_of(res, app["id"], "overdue")
        eq(len(f), 1, "overdue fires at 00:00 after due_on")
        eq(f and f[0]["at"], midnight(nxt), "overdue carries its due instant")
        ev = sub.wait_event()
        eq((ev or {}).get("type"), "overdue", "subscriber gets the overdue push")
        g = w.get(app["id"])
        eq(g["deadline"]["overdue"], True, "app.get says overdue")
        eq(g["deadline"]["remaining_workdays"], -g["deadline"]["overdue_workdays"],
           "remaining is minus overdue")
        res = w.clock("2026-06-01T09:00:00+08:00")
        eq(fired_of(res, app["id"]), [], "each event fires once")
        g = w.get(app["id"])
        eq(g["deadline"]["overdue_workdays"], w.count(due, "2026-06-01"),
           "overdue_workdays = count(due_on, today)")
        lst = w.sup.call("deadline.overdue", {})
        eq([i["id"] for i in lst["items"]], [app["id"]], "deadline.overdue lists it")
        sub.close()
    finally:
        w.close()


def test_events_in_time_order_and_overdue_list_order():
    w = World()
    try:
        a = w.submit("2026-03-02", "甲")
        b = w.submit("2026-02-25", "乙")
        c = w.submit("2026-02-27", "丙")
        res = w.clock("2026-05-01T09:00:00+08:00")
        ats = [f["at"] for f in res["fired"]]
        eq(ats, sorted(ats), "clock.set fires events in time order")
        eq(len(res["fired"]), 6, "due_soon and overdue for each of three")
        lst = w.sup.call("deadline.overdue", {"limit": 2})
        eq([i["id"] for i in lst["items"]], [b["id"], c["id"]], "longest overdue first")
        ok(lst["next"] is not None, "a cursor for the next page")
        lst2 = w.sup.call("deadline.overdue", {"limit": 2, "after": lst["next"]})
        eq([i["id"] for i in lst2["items"]], [a["id"]], "next page")
        eq(lst2["next"], None, "no more pages")
        ok(all(i["overdue_workdays"] > 0 for i in lst["items"]), "items carry overdue_workdays")
        err = w.clerk.error("deadline.overdue", {})
        eq(err["code"], -32002, "deadline.overdue is for supervisors")
    finally:
        w.close()


def test_due_soon_list():
    w = World()
    try:
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        ds = due_soon_day(w, due)
        w.clock(midnight(ds))
        lst = w.sup.call("deadline.due_soon", {})
        eq([i["id"] for i in lst["items"]], [a["id"]], "due soon on its first due-soon day")
        lst = w.sup.call("deadline.due_soon", {"within_days": 0})
        eq(lst["items"], [], "not within 0 days yet")
        w.clock(midnight(due))
        lst = w.sup.call("deadline.due_soon", {"within_days": 0})
        eq([i["id"] for i in lst["items"]], [a["id"]], "within 0 days on the due date")
    finally:
        w.close()


def test_correction_lapse():
    w = World()
    try:
        b = w.submit("2026-03-02")
        r = w.clerk.call("app.request_correction", {"id": b["id"], "note": "n", "within_days": 366})
        eq(r["deadline"]["waiting"]["last_day"], w.add("2026-03-02", 366),
           "within_days up to 366, the bound of correction_days in the config")
        eq(len(w.sup.call("deadline.due_soon", {"within_days": 366})["items"]), 0,
           "due_soon's within_days up to 366 too")
        a = w.submit("2026-03-02")
        r = w.clerk.call("app.request_correction", {"id": a["id"], "note": "请补充", "within_days": 15})
        eq(r["state"], "correction", "in correction")
        last = r["deadline"]["waiting"]["last_day"]
        eq(last, w.add("2026-03-02", 15), "last day = calendar.add(notice, 15)")
        eq(r["deadline"]["due_on"], None, "due_on null while stopped")
        eq(r["deadline"]["paused"], True, "paused while waiting for the applicant")
        nxt = d2s(s2d(last) + datetime.timedelta(days=1))
        res = w.clock(before_midnight(nxt))
        eq(fired_of(res, a["id"]), [], "not lapsed on its last day")
        res = w.clock("2026-05-20T10:00:00+08:00")
        f = fired_of(res, a["id"], "lapsed")
        eq(len(f), 1, "correction lapses")
        eq(f and f[0]["at"], midnight(nxt), "the lapse carries 00:00 after the last day")
        g = w.get(a["id"])
        eq(g["state"], "withdrawn", "withdrawn")
        eq(g["outcome"], "other.no_correction", "outcome other.no_correction")
        eq(g["concluded_on"], nxt, "concluded the day after the last day")
        eq(g["version"], r["version"] + 1, "a lapse bumps version")
        eq(g["history"][-1]["actor"], "system", "lapse by system")
    finally:
        w.close()


def test_consultation_lapse_and_pause():
    w = World()
    try:
        a = w.submit("2026-03-02")
        w.clerk.call("app.assign", {"id": a["id"], "reviewer": "rev"})
        w.clock("2026-03-04T10:00:00+08:00")
        r = w.rev.call("app.consult", {"id": a["id"], "party": "第三方", "note": "征求意见"})
        eq(r["state"], "consultation", "consultation")
        last = r["deadline"]["waiting"]["last_day"]
        eq(last, w.add("2026-03-04", 15), "third party has 15 working days")
        # Far past the original due date: paused, so never overdue.
        res = w.clock(before_midnight(d2s(s2d(last) + datetime.timedelta(days=1))))
        eq(fired_of(res, a["id"]), [], "a paused application is never overdue")
        res = w.clock(midnight(d2s(s2d(last) + datetime.timedelta(days=1))))
        eq(len(fired_of(res, a["id"], "lapsed")), 1, "consultation lapses")
        g = w.get(a["id"])
        eq(g["state"], "review", "back to review")
        eq(g["deadline"]["paused_days"], w.count("2026-03-04", last), "pause ends on its last day")
        eq(g["deadline"]["due_on"], w.add("2026-03-02", 20 + g["deadline"]["paused_days"]),
           "due_on moves by the paused working days")
    finally:
        w.close()


def test_fee_lapse():
    w = World()
    try:
        a = w.submit("2026-03-02")
        w.clerk.call("app.assign", {"id": a["id"], "reviewer": "rev"})
        r = w.clerk.call("app.fee_notice", {"id": a["id"], "amount_yuan": 100, "note": "信息处理费"})
        eq(r["state"], "fee", "fee")
        last = r["deadline"]["waiting"]["last_day"]
        eq(last, w.add("2026-03-02", 20), "20 working days to pay")
        res = w.clock("2026-06-01T09:00:00+08:00")
        eq(len(fired_of(res, a["id"], "lapsed")), 1, "fee lapses")
        g = w.get(a["id"])
        eq((g["state"], g["outcome"]), ("withdrawn", "other.fee_unpaid"), "withdrawn, fee unpaid")
        dl = g["deadline"]
        eq(dl["due_on"], w.add("2026-03-02", 20 + dl["paused_days"]),
           "its due date counts the %d days it waited" % dl["paused_days"])
    finally:
        w.close()


def test_extension_rearms_due_soon():
    w = World()
    try:
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        ds = due_soon_day(w, due)
        res = w.clock(midnight(ds))
        eq(len(fired_of(res, a["id"], "due_soon")), 1, "due soon fired")
        r = w.sup.call("app.extend", {"id": a["id"], "days": 10, "reason": "情况复杂"})
        eq(r["deadline"]["due_on"], w.add("2026-03-02", 30), "extended by 10")
        eq(r["deadline"]["extension_days"], 10, "extension_days")
        ds2 = due_soon_day(w, r["deadline"]["due_on"])
        res = w.clock(midnight(ds2))
        eq(len(fired_of(res, a["id"], "due_soon")), 1, "a later due_on arms due_soon again")
    finally:
        w.close()


def system_events(w, id):
    return [(h["method"], h["at"]) for h in w.get(id)["history"] if h["actor"] == "system"]


def test_extension_into_due_soon_days_is_due_soon_from_then():
    """The re-armed due-soon event of an extension granted inside the new
    due date's due-soon days is dated at the extension, not before it."""
    w = World()
    try:
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        w.clock("%sT09:00:00+08:00" % due)  # the last day: due soon fired
        r = w.sup.call("app.extend", {"id": a["id"], "days": 1, "reason": "情况复杂"})
        ok(due_soon_day(w, r["deadline"]["due_on"]) <= due,
           "the new due date's due-soon day has passed (%s)" % r["deadline"]["due_on"])
        due_soon_again_at(w, a["id"], "%sT09:00:00+08:00" % due)
    finally:
        w.close()


def due_soon_again_at(w, id, at):
    """The application's second due-soon event comes, dated at."""
    ok(wait_for(lambda: [m for m, _ in system_events(w, id)].count(
        "timer.due_soon") == 2), "due soon again for the new due date")
    eq(system_events(w, id)[-1], ("timer.due_soon", at),
       "dated at the extension, not before it")


def test_extension_then_another_write_keeps_the_date():
    """A write that recomputes the deadline after an extension, before the
    re-armed due-soon event fires (here the next call of the same batch),
    dates it at the extension still: the grant is read back from its
    clock record."""
    w = World()
    try:
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        w.clock("%sT09:00:00+08:00" % due)
        w.sup.send_raw(json.dumps([
            {"jsonrpc": "2.0", "id": 1, "method": "app.extend",
             "params": {"id": a["id"], "days": 1, "reason": "情况复杂"}},
            {"jsonrpc": "2.0", "id": 2, "method": "app.assign",
             "params": {"id": a["id"], "reviewer": "rev"}}]) + "\n")
        r = w.sup.recv_line()
        ok(isinstance(r, list) and all("result" in x for x in r),
           "extend and assign in one batch", r)
        due_soon_again_at(w, a["id"], "%sT09:00:00+08:00" % due)
    finally:
        w.close()


def test_resumed_past_its_due_date_is_overdue_from_then():
    """A fee paid after the due date, even moved by the pause: overdue
    again from 00:00 after the day of payment, the clock's resumption (the
    day counts as paused; a paused application is never overdue), never
    due soon for the moved due date, and the same whatever else runs that
    day (a calendar.set recomputing every deadline)."""
    w = World()
    try:
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        w.clerk.call("app.assign", {"id": a["id"], "reviewer": "rev"})
        after = w.add(due, 2)
        w.clock("%sT09:00:00+08:00" % after)
        eq([m for m, _ in system_events(w, a["id"])], ["timer.due_soon", "timer.overdue"],
           "due soon and overdue for the first due date")
        w.clerk.call("app.fee_notice", {"id": a["id"], "amount_yuan": 100, "note": "超量"})
        paid = w.add(after, 3)
        res = w.clock("%sT10:00:00+08:00" % paid)
        eq(fired_of(res, a["id"]), [], "nothing fires while paused")
        r = w.clerk.call("app.fee_paid", {"id": a["id"]})
        new_due = r["deadline"]["due_on"]
        ok(due < new_due < paid, "the pause moved the due date, still past (%s)" % new_due)
        w.admin.call("calendar.set", {"year": 2030, "holidays": [], "workdays": []})
        resumed = d2s(s2d(paid) + datetime.timedelta(days=1))
        res = w.clock("%sT23:59:59+08:00" % paid)
        eq(fired_of(res, a["id"]), [], "nothing more on the day of payment")
        res = w.clock("%sT00:00:01+08:00" % resumed)
        eq([(f["type"], f["at"]) for f in fired_of(res, a["id"])],
           [("overdue", midnight(resumed))], "overdue at 00:00 after it, no due soon")
        res = w.clock("%sT00:00:00+08:00" % w.add(paid, 5))
        eq(fired_of(res, a["id"]), [], "and nothing more")
    finally:
        w.close()


def test_backdated_payment_dates_events_from_it():
    """A payment entered days after it was made: the clock resumed the day
    after paid_on, and the events of the moved due date carry instants
    from then on, as late events do; a calendar change in the same batch
    (a recompute) does not move them back into the pause."""
    for with_calendar in (False, True):
        w = World()
        try:
            a = w.submit("2026-03-02")
            due = a["deadline"]["due_on"]
            w.clerk.call("app.assign", {"id": a["id"], "reviewer": "rev"})
            notice = due_soon_day(w, due)
            w.clock("%sT09:00:00+08:00" % notice)  # due soon fired at 00:00
            w.clerk.call("app.fee_notice", {"id": a["id"], "amount_yuan": 10, "note": "费"})
            paid = w.add(notice, 1)
            late = w.add(due, 7)
            w.clock("%sT10:00:00+08:00" % late)
            req = [{"jsonrpc": "2.0", "id": 1, "method": "app.fee_paid",
                    "params": {"id": a["id"], "paid_on": paid}}]
            if with_calendar:
                req.append({"jsonrpc": "2.0", "id": 2, "method": "calendar.set",
                            "params": {"year": 2030, "holidays": [], "workdays": []}})
            w.admin.send_raw(json.dumps(req) + "\n")
            r = w.admin.recv_response()
            ok(isinstance(r, list) and "result" in r[0], "paid (batch)", r)
            new_due = w.get(a["id"])["deadline"]["due_on"]
            ok(wait_for(lambda: len(system_events(w, a["id"])) == 3), "two more events")
            ev = system_events(w, a["id"])
            resumed = d2s(s2d(paid) + datetime.timedelta(days=1))
            over = d2s(s2d(new_due) + datetime.timedelta(days=1))
            eq(ev[1:], [("timer.due_soon", midnight(resumed)), ("timer.overdue", midnight(over))],
               "due soon from the day after paid_on, overdue after the new due date%s" %
               (" (a calendar.set in the same batch)" if with_calendar else ""))
        finally:
            w.close()


def test_restart_catch_up():
    w = World()
    try:
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        r = w.clerk.call("app.request_correction", {"id": w.submit("2026-03-02")["id"],
                                                    "note": "补正"})
        for c in (w.admin, w.clerk, w.rev, w.sup):
            c.close()
        w.d.restart(fake_clock="2026-07-01T09:00:00+08:00")
        w.admin = w.d.admin()
        w.clerk = w.d.client(w.clerk_tok)
        w.rev = w.d.client(w.rev_tok)
        w.sup = w.d.client(w.sup_tok)
        g = w.get(a["id"])
        ev = [h for h in g["history"] if h["actor"] == "system"]
        eq([h["method"] for h in ev], ["timer.due_soon", "timer.overdue"],
           "both events handled at start-up")
        nxt = d2s(s2d(due) + datetime.timedelta(days=1))
        eq(ev and ev[-1]["at"], midnight(nxt), "handled late, carries its due time")
        g2 = w.get(r["id"])
        eq(g2["state"], "withdrawn", "a lapse while down withdraws at start-up")
        last = r["deadline"]["waiting"]["last_day"]
        eq(g2["concluded_on"], d2s(s2d(last) + datetime.timedelta(days=1)),
           "on the day after the period's last day")
    finally:
        w.close()


def test_deadline_pages_hold_when_the_cursor_moves():
    """The next page starts where the last one ended, even if the
    application it ended on has been extended (its due date moved) or its
    clock paused since: no untouched application is skipped."""
    w = World(fake="2026-03-02T09:00:00+08:00")
    try:
        for day in ("2026-02-02", "2026-02-03", "2026-02-04"):
            for k in range(3):
                w.submit(day, "翻页%d" % k)

        def pages(first, change):
            seen, p = [], first
            change(p["next"])
            while True:
                seen += [x["id"] for x in p["items"]]
                if not p["next"]:
                    return seen
                p = w.sup.call("deadline.due_soon",
                               {"within_days": 10, "limit": 2, "after": p["next"]})

        full = [x["id"] for x in w.sup.call("deadline.due_soon",
                                           {"within_days": 10, "limit": 500})["items"]]
        eq(len(full), 9, "nine applications due soon")
        p1 = w.sup.call("deadline.due_soon", {"within_days": 10, "limit": 2})
        ok(p1["next"].startswith(p1["items"][-1]["id"]), "the cursor names the last item",
           p1["next"])
        moved = p1["items"][-1]["id"]
        seen = pages(p1, lambda cur: w.sup.call(
            "app.extend", {"id": moved, "days": 5, "reason": "延期"}))
        eq([i for i in full if i not in seen], [],
           "extending the cursor's application between pages skips nothing")
        eq([i for i in set(seen) if seen.count(i) > 1 and i != moved], [],
           "and repeats none but the one that moved")
        # The overdue list pages the same way.
        w.clock("2026-04-20T09:00:00+08:00")
        full = [x["id"] for x in w.sup.call("deadline.overdue", {"limit": 500})["items"]]
        p1 = w.sup.call("deadline.overdue", {"limit": 3})
        cal = w.admin.call("calendar.get", {"year": 2026})
        due = p1["items"][-1]["deadline"]["due_on"] if "deadline" in p1["items"][-1] \
            else p1["items"][-1]["due_on"]
        w.admin.call("calendar.set", {"year": 2026, "workdays": cal["workdays"],
                                      "holidays": sorted(set(cal["holidays"]) | {due})})
        rest = w.sup.call("deadline.overdue", {"limit": 500, "after": p1["next"]})
        seen = [x["id"] for x in p1["items"]] + [x["id"] for x in rest["items"]]
        eq([i for i in full if i not in seen], [],
           "a calendar change that moves the cursor's due date skips nothing")
        err = w.sup.error("deadline.overdue", {"after": p1["items"][0]["id"] + "@2026-02-30"})
        eq((err["code"], err["data"]["field"]), (-32602, "after"), "an impossible date in a cursor")
        err = w.sup.error("app.list", {"after": p1["next"]})
        eq((err["code"], err["data"]["field"]), (-32602, "after"),
           "app.list takes its own cursors, not a deadline list's")
    finally:
        w.close()


def test_calendar_set_moves_deadlines():
    w = World()
    try:
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        cal = w.admin.call("calendar.get", {"year": 2026})
        # Make 2026-03-10 (a Tuesday) a holiday.
        hol = sorted(set(cal["holidays"]) | {"2026-03-10"})
        w.admin.call("calendar.set", {"year": 2026, "holidays": hol, "workdays": cal["workdays"]})
        eq(w.admin.call("calendar.is_workday", {"date": "2026-03-10"}), False, "new holiday")
        g = w.get(a["id"])
        eq(g["deadline"]["due_on"], w.add("2026-03-02", 20), "due_on follows the calendar")
        ok(g["deadline"]["due_on"] > due, "one working day later")
        nxt = d2s(s2d(g["deadline"]["due_on"]) + datetime.timedelta(days=1))
        res = w.clock(before_midnight(nxt))
        eq(fired_of(res, a["id"], "overdue"), [], "not overdue at the old instant")
        res = w.clock(midnight(nxt))
        eq(len(fired_of(res, a["id"], "overdue")), 1, "overdue at the new instant")
        # A working Saturday and a holiday in the same weeks: the due
        # date of an application received that day stays, its skipped
        # days change. The explanation of the last submit's deadline is
        # kept for the next one of the same day (view_text.c): a change
        # of the calendar must not reuse it.
        b = w.submit("2026-03-02")
        cal = w.admin.call("calendar.get", {"year": 2026})
        w.admin.call("calendar.set", {"year": 2026, "holidays": sorted(set(cal["holidays"]) | {"2026-03-11"}),
                                      "workdays": sorted(set(cal["workdays"]) | {"2026-03-07"})})
        c = w.submit("2026-03-02")
        eq(c["deadline"]["due_on"], b["deadline"]["due_on"], "a holiday and a working Saturday: the same due date")
        sk = c["deadline"]["explain"]["skipped"]
        ok("2026-03-11" in sk and "2026-03-07" not in sk and "2026-03-07" in b["deadline"]["explain"]["skipped"],
           "a submit after calendar.set skips the new holiday, not the working Saturday")
        eq(c["deadline"]["explain"], w.get(c["id"])["deadline"]["explain"], "as app.get explains it")
        err = w.clerk.error("calendar.set", {"year": 2026, "holidays": [], "workdays": []})
        eq(err["code"], -32002, "calendar.set is for admins")
        err = w.admin.error("calendar.set", {"year": 2026, "holidays": ["2026-02-30"], "workdays": []})
        eq((err["code"], err["data"]["field"]), (-32602, "holidays[0]"), "impossible date refused")
        err = w.admin.error("calendar.set", {"year": 2026, "holidays": ["2025-03-10"], "workdays": []})
        eq(err["code"], -32602, "a date of another year refused")
        eq(w.admin.call("calendar.is_workday", {"date": "2026-03-10"}), False, "refused set changed nothing")
    finally:
        w.close()


def test_calendar_set_recounts_explained_pauses():
    """A closed pause's working days in the explanation follow a calendar
    change as due_on and paused_days do: the explanation adds up."""
    w = World(fake="2026-06-01T09:00:00+08:00")
    try:
        a = w.submit("2026-06-01")
        w.clerk.call("app.assign", {"id": a["id"], "reviewer": "rev"})
        w.clerk.call("app.fee_notice", {"id": a["id"], "amount_yuan": 10, "note": "费"})
        w.clock("2026-06-08T09:00:00+08:00")
        r = w.clerk.call("app.fee_paid", {"id": a["id"]})
        eq(r["deadline"]["paused_days"], w.count("2026-06-01", "2026-06-08"),
           "the pause counts its working days")
        cal = w.admin.call("calendar.get", {"year": 2026})
        w.admin.call("calendar.set", {"year": 2026, "workdays": cal["workdays"],
                                      "holidays": sorted(set(cal["holidays"]) |
                                                         {"2026-06-03", "2026-06-04"})})
        dl = w.get(a["id"])["deadline"]
        days = w.count("2026-06-01", "2026-06-08")
        eq(dl["paused_days"], days, "paused_days follows the calendar")
        eq([p["days"] for p in dl["explain"]["pauses"]], [days],
           "so does the pause's days in the explanation")
        eq(dl["due_on"], w.add("2026-06-01", 20 + days), "due_on = add(start, 20 + paused)")
        ok("= %d working days after" % (20 + days) in dl["explain"]["text"] and
           "+ %d paused)" % days in dl["explain"]["text"],
           "the text adds up", dl["explain"]["text"])
    finally:
        w.close()


def history_methods(w, id):
    return [h["method"] for h in w.get(id)["history"]]


def wait_for(pred, seconds=5):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_what_is_due_already_fires_on_a_fake_clock():
    """On a fake clock only clock.set moves time, but an event that is due
    already fires at once, as on the real clock: a late registration, and
    a calendar.set that moves a due_on back. Each carries its due instant."""
    w = World(fake="2026-11-26T09:00:00+08:00")
    try:
        sub = w.d.client(w.sup_tok)
        sub.call("events.subscribe", {"types": ["due_soon", "overdue"]})
        late = w.submit("2026-09-01")
        eq(late["deadline"]["overdue"], True, "registered late: overdue at once")
        ok(wait_for(lambda: "timer.overdue" in history_methods(w, late["id"])),
           "its overdue event is recorded without a clock.set")
        got = [sub.wait_event(), sub.wait_event()]
        eq([(e or {}).get("type") for e in got], ["due_soon", "overdue"],
           "both are pushed, in time order")
        due = late["deadline"]["due_on"]
        eq((got[1] or {}).get("at"), midnight(d2s(s2d(due) + datetime.timedelta(days=1))),
           "overdue carries the instant it was due")
        res = w.clock("2026-11-26T09:00:01+08:00")
        eq(fired_of(res, late["id"]), [], "and does not fire again")

        # A due_on 2 working days ahead; declaring three earlier weekend
        # days working days moves it into the past.
        w.clock("2026-12-01T09:00:00+08:00")
        a = w.submit("2026-11-03")
        due = a["deadline"]["due_on"]
        ok(due >= "2026-12-01" and not a["deadline"]["overdue"], "not yet overdue (%s)" % due)
        eq((sub.wait_event() or {}).get("type"), "due_soon", "due soon at once")
        cal = w.admin.call("calendar.get", {"year": 2026})
        extra = {"2026-11-07", "2026-11-08", "2026-11-14", "2026-11-15"}
        w.admin.call("calendar.set", {"year": 2026, "holidays": cal["holidays"],
                                      "workdays": sorted(set(cal["workdays"]) | extra)})
        g = w.get(a["id"])
        ok(g["deadline"]["due_on"] < "2026-12-01" and g["deadline"]["overdue"],
           "the calendar moved due_on into the past (%s)" % g["deadline"]["due_on"])
        ok(wait_for(lambda: "timer.overdue" in history_methods(w, a["id"])),
           "the overdue event follows the calendar at once")
        ev = sub.wait_event()
        eq(((ev or {}).get("type"), (ev or {}).get("id")), ("overdue", a["id"]),
           "and is pushed")
        sub.close()
    finally:
        w.close()


def test_calendar_set_over_many_open_applications():
    """One calendar.set moves the deadlines of thousands of open
    applications in one write: its rollback journal is megabytes (SQLite
    3.40 failed such a write with "database or disk is full" when the
    journal spilled to a file midway)."""
    w = World()
    try:
        n, ids = 2000, []
        for b in range(n // 250):
            reqs = [{"jsonrpc": "2.0", "id": i, "method": "app.submit", "params": {
                "applicant": {"kind": "natural_person", "name": "申请人%d" % i},
                "channel": "online", "received_on": "2026-03-02",
                "description": "关于批量日历调整的测试申请第%d号，" % i + "内容" * 200}}
                for i in range(b * 250, (b + 1) * 250)]
            w.clerk.send_raw(json.dumps(reqs, ensure_ascii=False) + "\n")
            ids += [r["result"]["id"] for r in w.clerk.recv_line(timeout=120) if "result" in r]
        eq(len(ids), n, "%d open applications" % n)
        before = w.get(ids[-1])["deadline"]["due_on"]
        cal = w.admin.call("calendar.get", {"year": 2026})
        hol = sorted(set(cal["holidays"]) | {"2026-03-10"})
        w.admin.call("calendar.set", {"year": 2026, "holidays": hol, "workdays": cal["workdays"]})
        want = w.add("2026-03-02", 20)
        eq([w.get(i)["deadline"]["due_on"] for i in (ids[0], ids[n // 2], ids[-1])], [want] * 3,
           "every deadline moved")
        ok(want > before, "one working day later")
        lst = w.sup.call("deadline.due_soon", {"within_days": 40, "limit": 500})
        ok(len(lst["items"]) == 500 and all(i["due_on"] == want for i in lst["items"]), "the due-soon list agrees")
    finally:
        w.close()


def test_calendar_set_moves_waiting_periods():
    w = World()
    try:
        a = w.submit("2026-03-02")
        r = w.clerk.call("app.request_correction", {"id": a["id"], "note": "补正", "within_days": 10})
        last = r["deadline"]["waiting"]["last_day"]
        eq(last, w.add("2026-03-02", 10), "last day of the correction period")
        cal = w.admin.call("calendar.get", {"year": 2026})
        w.admin.call("calendar.set", {"year": 2026, "holidays": sorted(cal["holidays"] + ["2026-03-05"]),
                                      "workdays": cal["workdays"]})
        g = w.get(a["id"])
        new_last = g["deadline"]["waiting"]["last_day"]
        eq(new_last, w.add("2026-03-02", 10), "the period's last day follows the calendar")
        ok(new_last > last, "one working day later")
        res = w.clock(midnight(d2s(s2d(last) + datetime.timedelta(days=1))))
        eq(fired_of(res, a["id"]), [], "no lapse at the old instant")
        res = w.clock(midnight(d2s(s2d(new_last) + datetime.timedelta(days=1))))
        eq(len(fired_of(res, a["id"], "lapsed")), 1, "the lapse at the new instant")
    finally:
        w.close()


def test_clock_set_rules():
    w = World()
    try:
        err = w.admin.error("clock.set", {"now": "2026-03-01T09:00:00+08:00"})
        eq(err["code"], -32602, "the clock does not move backward")
        err = w.clerk.error("clock.set", {"now": "2026-04-01T09:00:00+08:00"})
        eq(err["code"], -32002, "clock.set is for admins")
        err = w.admin.error("clock.set", {"now": "yesterday"})
        eq(err["code"], -32602, "a bad time is refused")
        res = w.clock("2026-03-03T00:00:00Z")
        eq(res["now"], "2026-03-03T08:00:00+08:00", "now is echoed in local time")
    finally:
        w.close()
    d = Daemon()
    try:
        c = d.admin()
        err = c.error("clock.set", {"now": "2030-01-01T00:00:00+08:00"})
        eq(err["code"], -32004, "clock.set needs --fake-clock")
        c.close()
    finally:
        d.cleanup()


def test_unknown_year_counts_weekends():
    w = World(fake="2027-03-01T09:00:00+08:00")
    try:
        h = w.admin.call("system.health")
        eq(h["calendar_known_until"], "2026-12-31", "known until the end of 2026")
        ok("warning" in h, "health warns that this year has no calendar")
        ok("no holiday calendar" in w.d.read_log(), "the log says so too")
        eq(w.add("2027-03-01", 5), "2027-03-08", "weekends only in 2027")
    finally:
        w.close()


def test_deadline_into_an_unknown_year_is_logged():
    """SPEC section 3: the log says when a deadline runs through a year
    with no calendar; health's known_until stops at a gap."""
    w = World(fake="2026-12-15T09:00:00+08:00")
    try:
        ok("no holiday calendar for 2027" not in w.d.read_log(), "nothing logged yet")
        a = w.submit("2026-12-15")
        ok(a["deadline"]["due_on"].startswith("2027-"), "due in 2027", a["deadline"])
        ok("no holiday calendar for 2027" in w.d.read_log(),
           "the log names 2027 once a deadline runs into it", w.d.read_log()[-2000:])
        b = w.submit("2026-12-15")
        eq(w.d.read_log().count("no holiday calendar for 2027"), 1, "once")
        r = w.clerk.call("app.request_correction", {"id": b["id"], "note": "补正",
                                                    "within_days": 366})
        ok(r["deadline"]["waiting"]["last_day"].startswith("2028-"),
           "a correction period into 2028", r["deadline"]["waiting"])
        ok("no holiday calendar for 2028" in w.d.read_log(),
           "the log names 2028 for a period's last day too", w.d.read_log()[-2000:])
        w.admin.call("calendar.set", {"year": 2030, "holidays": [], "workdays": []})
        eq(w.admin.call("system.health")["calendar_known_until"], "2026-12-31",
           "2030 loaded past a gap: known until still 2026-12-31")
    finally:
        w.close()


def test_unknown_year_not_logged_for_a_retry():
    """A retried submit changes nothing: what its deadline would have run
    through is not logged; the first real one is, with its own id."""
    w = World(fake="2026-12-15T09:00:00+08:00")
    try:
        p = {"applicant": {"kind": "natural_person", "name": "重试"},
             "channel": "in_person", "description": "重试", "client_ref": "R1",
             "received_on": "2026-06-01"}
        first = w.clerk.call("app.submit", p)
        ok(first["deadline"]["due_on"].startswith("2026-"), "due in 2026")
        p["received_on"] = "2026-12-15"
        again = w.clerk.call("app.submit", p)
        eq(again["id"], first["id"], "the retry returns the first application")
        line = "no holiday calendar for 2027"
        ok(line not in w.d.read_log(), "and logs nothing about 2027",
           w.d.read_log()[-1500:])
        p["client_ref"] = "R2"
        real = w.clerk.call("app.submit", p)
        ok(real["deadline"]["due_on"].startswith("2027-"), "a new one due in 2027")
        ok("%s: deadlines through it count weekends only (first: %s)" % (line, real["id"])
           in w.d.read_log(), "is logged, with its id", w.d.read_log()[-1500:])
    finally:
        w.close()


def test_time_zone_is_configurable():
    w = World(fake="2026-03-02T09:00:00+00:00", config="timezone = UTC\n")
    try:
        h = w.admin.call("system.health")
        eq(h["timezone"], "UTC", "the configured zone is in force")
        eq(h["now"], "2026-03-02T09:00:00+00:00", "times are shown in it")
        a = w.submit("2026-03-02")
        due = a["deadline"]["due_on"]
        nxt = d2s(s2d(due) + datetime.timedelta(days=1))
        res = w.clock("%sT00:00:00+00:00" % nxt)
        f = fired_of(res, a["id"], "overdue")
        eq(f and f[0]["at"], "%sT00:00:00+00:00" % nxt, "midnight is local to the zone")
    finally:
        w.close()


def test_subscriptions_follow_their_sessions():
    """Pushes go to the sessions subscribed now, to the types they chose:
    after a subscriber closes, after another changes its types."""
    d = Daemon(fake_clock="2026-03-02T09:00:00+08:00")
    try:
        _, clerk = d.user("clerk", "clerk")
        tok, _ = d.user("boss", "supervisor")
        rtok, _ = d.user("rev", "reviewer")

        def submit():
            return clerk.call("app.submit", {"applicant": {"kind": "natural_person", "name": "甲"},
                                             "channel": "mail", "description": "订阅测试"})
        a = d.client(tok)
        a.call("events.subscribe", {"types": ["submitted"]})
        x = submit()
        eq((a.wait_event() or {}).get("id"), x["id"], "a subscriber gets submitted")
        a.close()
        b = d.client(tok)
        b.call("events.subscribe", {"types": ["state"]})
        submit()
        y = submit()
        clerk.call("app.assign", {"id": y["id"], "reviewer": "rev"})
        ev = b.wait_event()
        eq(((ev or {}).get("type"), (ev or {}).get("id")), ("state", y["id"]),
           "another session gets only the type it chose, after the first closed")
        b.call("events.subscribe", {"types": ["submitted"]})
        z = submit()
        clerk.call("app.assign", {"id": z["id"], "reviewer": "rev"})
        ev = b.wait_event()
        eq(((ev or {}).get("type"), (ev or {}).get("id")), ("submitted", z["id"]),
           "a changed subscription takes the new types")
        try:
            extra = b.wait_event(timeout=0.5)
        except TimeoutError:
            extra = None
        eq(extra, None, "and not the old ones")
        b.close()
    finally:
        d.cleanup()


def test_real_clock_timer_fires():
    """Without --fake-clock the one libevent timer fires by itself: an
    application received long ago is due soon and overdue at once."""
    d = Daemon()
    try:
        _, clerk = d.user("clerk", "clerk")
        tok, sup = d.user("boss", "supervisor")
        sub = d.client(tok)
        sub.call("events.subscribe", {})
        old = (datetime.date.today() - datetime.timedelta(days=60)).isoformat()
        a = clerk.call("app.submit", {"applicant": {"kind": "natural_person", "name": "旧"},
                                      "channel": "mail", "description": "long ago",
                                      "received_on": old})
        seen = []
        for _ in range(3):
            ev = sub.wait_event(timeout=10)
            if ev is None:
                break
            seen.append(ev["type"])
        eq(seen, ["submitted", "due_soon", "overdue"], "the timer fires without a clock move")
        lst = sup.call("deadline.overdue", {})
        eq([i["id"] for i in lst["items"]], [a["id"]], "and the application is overdue")
        for c in (clerk, sup, sub):
            c.close()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
