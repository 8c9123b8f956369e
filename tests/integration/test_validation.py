#!/usr/bin/env python3
"""Parameter checking (SPEC sections 2 and 5): every bad parameter is
refused with -32602 and data {field, reason} naming the first bad field,
and a refused call changes nothing."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import eq, main, ok  # noqa: E402
from test_workflow import TODAY, World, person, org, rpc_err, snapshot, sub_params  # noqa: E402

_w = None


def world():
    global _w
    if _w is None:
        _w = World()
    return _w


def count_apps(w):
    return len(w.admin.call("app.list", {"limit": 500})["items"])


def refused(c, method, params, field, what):
    """-32602 naming `field`, with a reason. Returns the error."""
    e = rpc_err(c, method, params)
    data = e.get("data") or {}
    ok(e.get("code") == -32602 and data.get("field") == field and
       isinstance(data.get("reason"), str) and data.get("reason"),
       "%s -> -32602 field %s" % (what, field), "got: %r" % (e,))
    return e


def refused_submit(w, params, field, what):
    n = count_apps(w)
    refused(w.clerk, "app.submit", params, field, "submit: " + what)
    eq(count_apps(w), n, "submit: %s: no application created" % what)


def test_submit_required_and_types():
    w = world()
    base = sub_params()
    for key in ("applicant", "channel", "description"):
        p = dict(base)
        del p[key]
        refused_submit(w, p, key, "missing " + key)
    for key in ("kind", "name"):
        p = dict(base, applicant=dict(base["applicant"]))
        del p["applicant"][key]
        refused_submit(w, p, "applicant." + key, "missing applicant." + key)
    refused_submit(w, {}, "applicant", "empty params: the first required field")
    refused_submit(w, dict(base, applicant="张三"), "applicant", "applicant a string")
    refused_submit(w, dict(base, applicant=["张三"]), "applicant", "applicant an array")
    refused_submit(w, dict(base, channel=1), "channel", "channel a number")
    refused_submit(w, dict(base, channel=None), "channel", "channel null")
    refused_submit(w, dict(base, description=5), "description", "description a number")
    refused_submit(w, dict(base, description=["a"]), "description", "description an array")
    refused_submit(w, dict(base, received_on=20260105), "received_on", "received_on a number")
    refused_submit(w, dict(base, client_ref=7), "client_ref", "client_ref a number")
    refused_submit(w, dict(base, form=True), "form", "form a boolean")
    refused_submit(w, dict(base, applicant=person(name=42)), "applicant.name",
                   "applicant.name a number")
    refused_submit(w, dict(base, applicant=person(phone=13800000000)), "applicant.phone",
                   "applicant.phone a number")
    refused_submit(w, dict(base, extra="x"), "extra", "unknown field")
    # A long unknown name is cut to 60 bytes before a character, never
    # inside one: the message stays the name's, not "(message not valid".
    long_name = "a" + "字" * 40
    e = rpc_err(w.clerk, "app.submit", dict(base, **{long_name: 1}))
    ok(e.get("code") == -32602 and e["data"].get("field") == long_name[:20]
       and long_name[:20] in e.get("message", ""),
       "a long unknown field is named, cut between characters", e)
    refused_submit(w, dict(base, applicant=person(x="y")), "applicant.x",
                   "unknown field inside applicant")
    refused_submit(w, dict(base, applicant=person(gender="男")), "applicant.gender",
                   "unknown applicant field")
    # The first bad field in parameter order.
    refused_submit(w, {"channel": "pigeon", "description": ""}, "applicant",
                   "several bad fields: the first is named")
    refused_submit(w, dict(base, channel="pigeon", description=""), "channel",
                   "bad channel before empty description")
    refused_submit(w, dict(base, applicant=person(""), description=""), "applicant.name",
                   "bad applicant.name before empty description")
    refused_submit(w, dict(base, applicant={"kind": "robot", "name": ""}), "applicant.kind",
                   "bad kind before empty name")
    refused_submit(w, dict(base, received_on="2026-03-03", form="x"), "received_on",
                   "future received_on before bad form")
    refused_submit(w, dict(base, form="x", delivery="y"), "form", "bad form before bad delivery")
    e = rpc_err(w.clerk, "app.submit", [base])
    eq(e.get("code"), -32602, "positional params: -32602")


def test_submit_enums():
    w = world()
    base = sub_params()
    for bad in ("pigeon", "", "IN_PERSON", "online "):
        refused_submit(w, dict(base, channel=bad), "channel", "channel %r" % bad)
    refused_submit(w, dict(base, applicant={"kind": "robot", "name": "x"}), "applicant.kind",
                   "applicant kind robot")
    refused_submit(w, dict(base, applicant=org("某公司", "government")), "applicant.category",
                   "category government")
    refused_submit(w, dict(base, applicant={"kind": "organization", "name": "某公司"}),
                   "applicant.category", "organization without a category")
    refused_submit(w, dict(base, applicant=person(category="commercial")), "applicant.category",
                   "natural person with a category")
    refused_submit(w, dict(base, form="papyrus"), "form", "form papyrus")
    refused_submit(w, dict(base, delivery="drone"), "delivery", "delivery drone")
    # Every good value works.
    for ch in ("in_person", "mail", "online", "fax", "other"):
        eq(w.clerk.call("app.submit", dict(base, channel=ch))["channel"], ch, "channel " + ch)
    for cat in ("commercial", "research", "social_welfare", "legal_service", "other"):
        a = w.clerk.call("app.submit", dict(base, applicant=org("某单位", cat)))
        eq((a["applicant"]["kind"], a["applicant"]["category"]), ("organization", cat),
           "category " + cat)
    for f in ("paper", "electronic"):
        eq(w.clerk.call("app.submit", dict(base, form=f))["form"], f, "form " + f)
    for dv in ("pickup", "mail", "email", "online"):
        eq(w.clerk.call("app.submit", dict(base, delivery=dv))["delivery"], dv, "delivery " + dv)


def test_submit_dates():
    w = world()
    base = sub_params()
    for bad in ("2026-02-30", "2025-02-29", "2026-1-5", "tomorrow", "2026-01-05T00:00:00",
                "2026/01/05", " 2026-01-05", "2026-13-01", "2026-00-10", "2026-01-00", "",
                "０２０２-01-05"):
        refused_submit(w, dict(base, received_on=bad), "received_on", "received_on %r" % bad)
    refused_submit(w, dict(base, received_on="2026-03-03"), "received_on", "received_on tomorrow")
    refused_submit(w, dict(base, received_on="2099-01-01"), "received_on", "received_on 2099")
    a = w.clerk.call("app.submit", dict(base, received_on="2024-02-29"))
    eq(a["received_on"], "2024-02-29", "a leap day is a real date")
    a = w.clerk.call("app.submit", dict(base, received_on=TODAY))
    eq(a["received_on"], TODAY, "today is not in the future")
    a = w.clerk.call("app.submit", dict(base, received_on=None))
    eq(a["received_on"], TODAY, "received_on null: today")


def test_submit_lengths():
    w = world()
    base = sub_params()
    refused_submit(w, dict(base, description=""), "description", "empty description")
    refused_submit(w, dict(base, description="a" * 10001), "description", "10001 characters")
    refused_submit(w, dict(base, description="政" * 10001), "description",
                   "10001 Chinese characters")
    a = w.clerk.call("app.submit", dict(base, description="a" * 10000))
    eq(len(a["description"]), 10000, "10000 characters accepted")
    a = w.clerk.call("app.submit", dict(base, description="政" * 10000))
    eq(len(a["description"]), 10000, "10000 Chinese characters (30000 bytes) accepted")
    a = w.clerk.call("app.submit", dict(base, description="x"))
    eq(a["description"], "x", "1 character accepted")
    refused_submit(w, dict(base, applicant=person("张" * 201)), "applicant.name",
                   "name of 201 characters")
    refused_submit(w, dict(base, applicant=person("")), "applicant.name", "empty name")
    a = w.clerk.call("app.submit", dict(base, applicant=person("张" * 200)))
    eq(len(a["applicant"]["name"]), 200, "name of 200 characters accepted")
    n = count_apps(w)
    e = rpc_err(w.clerk, "app.submit", dict(base, description="a\u0000b"))
    ok(e.get("code") in (-32602, -32700), "NUL in description refused", e)
    eq(count_apps(w), n, "NUL in description: no application created")
    refused_submit(w, dict(base, client_ref=""), "client_ref", "empty client_ref")
    # Blank is empty: spaces, tabs, line breaks, the ideographic space.
    for blank in ("   ", " \t\r\n", "\u3000\u3000", " \u3000 "):
        refused_submit(w, dict(base, description=blank), "description",
                       "description %r" % blank)
    refused_submit(w, dict(base, applicant=person("\u3000")), "applicant.name",
                   "a name of one ideographic space")
    a = w.clerk.call("app.submit", dict(base, applicant=person(" 张 三 ")))
    eq(a["applicant"]["name"], " 张 三 ", "text with spaces around it is kept as given")
    rv = w.to_state("review")["id"]
    before = snapshot(w, rv)
    refused(w.rev, "app.review", {"id": rv, "outcome": "grant", "note": "   "}, "note",
            "review with a blank note")
    eq(snapshot(w, rv), before, "a blank note changes nothing")


def test_transition_params():
    w = world()
    rv = w.to_state("review")["id"]
    sc = w.to_state("secrecy")["id"]
    rd = w.to_state("ready")["id"]
    fe = w.to_state("fee")["id"]
    co = w.to_state("correction")["id"]
    rp = w.to_state("replied")["id"]
    ids = [rv, sc, rd, fe, co, rp]
    before = {id: snapshot(w, id) for id in ids}
    c, rev, sec, sup = w.clerk, w.rev, w.sec, w.sup
    cases = [
        (c, "app.assign", {"reviewer": "rev"}, "id", "assign without id"),
        (c, "app.assign", {"id": 5, "reviewer": "rev"}, "id", "id a number"),
        (c, "app.assign", {"id": rv}, "reviewer", "assign without reviewer"),
        (c, "app.assign", {"id": rv, "reviewer": "rev", "x": 1}, "x", "assign: unknown field"),
        (c, "app.assign", {"id": rv, "reviewer": "rev", "version": "2"}, "version",
         "version a string"),
        (c, "app.assign", {"id": rv, "reviewer": "rev", "version": 1.5}, "version",
         "version a real"),
        (c, "app.assign", {"id": rv, "reviewer": "ghost"}, "reviewer", "unknown reviewer"),
        (rev, "app.review", {"id": rv, "note": "n"}, "outcome", "review without outcome"),
        (rev, "app.review", {"id": rv, "outcome": "approve", "note": "n"}, "outcome",
         "outcome approve"),
        (rev, "app.review", {"id": rv, "outcome": "deny", "note": "n"}, "outcome",
         "outcome deny (a group, not a code)"),
        (rev, "app.review", {"id": rv, "outcome": "grant"}, "note", "review without note"),
        (rev, "app.review", {"id": rv, "outcome": "grant", "note": ""}, "note", "empty note"),
        (sec, "app.secrecy", {"id": sc, "result": "ok", "note": "n"}, "result", "result ok"),
        (sec, "app.secrecy", {"id": sc, "result": True, "note": "n"}, "result", "result true"),
        (sec, "app.secrecy", {"id": sc, "note": "n"}, "result", "secrecy without result"),
        (c, "app.reply", {"id": rd, "note": "n", "replied_on": "2026-02-27"}, "replied_on",
         "replied_on before received_on"),
        (c, "app.reply", {"id": rd, "note": "n", "replied_on": "2026-03-03"}, "replied_on",
         "replied_on in the future"),
        (c, "app.reply", {"id": rd, "note": "n", "replied_on": "2026-02-30"}, "replied_on",
         "replied_on impossible"),
        (c, "app.reply", {"id": rd}, "note", "reply without note"),
        (c, "app.fee_notice", {"id": rd, "amount_yuan": "50", "note": "n"}, "amount_yuan",
         "amount a string"),
        (c, "app.fee_notice", {"id": rd, "amount_yuan": -1, "note": "n"}, "amount_yuan",
         "amount negative"),
        (c, "app.fee_notice", {"id": rd, "amount_yuan": 0, "note": "n"}, "amount_yuan",
         "amount zero"),
        (c, "app.fee_notice", {"id": rd, "amount_yuan": 1e12, "note": "n"}, "amount_yuan",
         "amount huge"),
        (c, "app.fee_notice", {"id": rd, "amount_yuan": 0.001, "note": "n"}, "amount_yuan",
         "amount below one fen"),
        (c, "app.fee_notice", {"id": rd, "amount_yuan": 0.009, "note": "n"}, "amount_yuan",
         "amount 0.009: not rounded up to one fen"),
        (c, "app.fee_notice", {"id": rd, "amount_yuan": 12.345, "note": "n"}, "amount_yuan",
         "amount of three decimals"),
        (c, "app.fee_paid", {"id": fe, "paid_on": "tomorrow"}, "paid_on", "paid_on tomorrow"),
        (c, "app.fee_paid", {"id": fe, "paid_on": "2026-03-03"}, "paid_on", "paid_on future"),
        (sup, "app.extend", {"id": rv, "days": 0, "reason": "r"}, "days", "extend 0"),
        (sup, "app.extend", {"id": rv, "days": -3, "reason": "r"}, "days", "extend -3"),
        (sup, "app.extend", {"id": rv, "days": 21, "reason": "r"}, "days", "extend 21"),
        (sup, "app.extend", {"id": rv, "days": "5", "reason": "r"}, "days", "days a string"),
        (sup, "app.extend", {"id": rv, "days": 2.5, "reason": "r"}, "days", "days a real"),
        (sup, "app.extend", {"id": rv, "days": 5}, "reason", "extend without reason"),
        (c, "app.request_correction", {"id": rv}, "note", "correction without note"),
        (c, "app.request_correction", {"id": rv, "note": "n", "within_days": 0}, "within_days",
         "within_days 0"),
        (c, "app.request_correction", {"id": rv, "note": "n", "within_days": "15"},
         "within_days", "within_days a string"),
        (c, "app.request_correction", {"id": rv, "note": "n", "within_days": 367},
         "within_days", "within_days past the config's bound (366)"),
        (sup, "deadline.due_soon", {"within_days": 367}, "within_days",
         "due_soon within_days past the config's bound (366)"),
        (c, "app.correct", {"id": co, "received_on": "2026-1-5"}, "received_on",
         "correct received_on 2026-1-5"),
        (c, "app.correct", {"id": co, "received_on": "2026-03-03"}, "received_on",
         "correct received_on in the future"),
        (c, "app.correct", {"id": co, "received_on": "2026-02-27"}, "received_on",
         "correct received_on before receipt"),
        (c, "app.correct", {"id": co, "received_on": "2026-03-03", "description": ""},
         "received_on", "correct: future date before empty description"),
        (rev, "app.review", {"id": rv, "outcome": "x", "note": ""}, "outcome",
         "bad outcome before empty note"),
        (c, "app.correct", {"id": co, "description": ""}, "description",
         "correct with an empty description"),
        (c, "app.correct", {"id": co, "description": "a" * 10001}, "description",
         "correct with 10001 characters"),
        (rev, "app.consult", {"id": rv, "note": "n"}, "party", "consult without party"),
        (rev, "app.consult", {"id": rv, "party": "p"}, "note", "consult without note"),
        (c, "app.withdraw", {"id": rv}, "reason", "withdraw without reason"),
        (c, "app.withdraw", {"id": rv, "reason": "r", "outcome": "other.other"}, "outcome",
         "withdraw: unknown field outcome"),
        (c, "app.appeal", {"id": rp}, "kind", "appeal without kind"),
        (c, "app.appeal", {"id": rp, "kind": "lawsuit"}, "kind", "appeal kind lawsuit"),
        (c, "app.appeal", {"id": rp, "kind": "litigation", "filed_on": "2025-02-29"},
         "filed_on", "filed_on impossible"),
        (c, "app.appeal_decided", {"id": rp, "result": "upheld"}, "appeal",
         "decided without appeal"),
        (c, "app.appeal_decided", {"id": rp, "appeal": 1, "result": "won"}, "result",
         "result won"),
    ]
    for cl, method, params, field, what in cases:
        refused(cl, method, params, field, "%s: %s" % (method, what))
    after = {id: snapshot(w, id) for id in ids}
    eq(after, before, "no refused transition changed anything")


def test_list_params():
    w = world()
    cases = [
        ({"state": "open"}, "state"),
        ({"state": 2}, "state"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"after": "nonsense"}, "after"),
        ({"after": "2026-999999"}, "after"),
        ({"received_from": "2026-02-30"}, "received_from"),
        ({"received_to": "tomorrow"}, "received_to"),
        ({"overdue": "yes"}, "overdue"),
        ({"q": ""}, "q"),
        ({"q": 5}, "q"),
        ({"sort": "id"}, "sort"),
        ({"state": "open", "limit": 0}, "state"),
        ({"after": "x", "limit": 0}, "limit"),
    ]
    for params, field in cases:
        refused(w.rev, "app.list", params, field, "app.list %r" % (params,))
    for st in ("received", "correction", "review", "consultation", "secrecy", "fee", "ready",
               "replied", "withdrawn"):
        ok("items" in w.rev.call("app.list", {"state": st}), "app.list state=%s accepted" % st)
    eq(len(w.rev.call("app.list", {"limit": 500})["items"]) <= 500, True, "limit 500 accepted")
    refused(w.rev, "app.get", {}, "id", "app.get without id")
    refused(w.rev, "app.get", {"id": 1}, "id", "app.get id a number")
    refused(w.rev, "app.get", {"id": "2026-000001", "x": 1}, "x", "app.get unknown field")


def test_zz_daemon_clean():
    global _w
    if _w is not None:
        _w.close()
        _w = None


if __name__ == "__main__":
    main(globals())
