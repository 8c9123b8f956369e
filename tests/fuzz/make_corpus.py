#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus_rpc/ and tests/fuzz/corpus_cal/
(small text files; see tests/fuzz/README). Run it after changing the API;
the files are kept in git so the fuzzers start from them."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_n = [0]


def r(method, params=None, id=None, notification=False):
    m = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        m["params"] = params
    if not notification:
        _n[0] += 1
        m["id"] = _n[0] if id is None else id
    return json.dumps(m, ensure_ascii=False)


def auth(user):
    return r("auth", {"token": "t-" + user})


APPLICANT = {"kind": "natural_person", "name": "张三", "phone": "13800000000"}
ORG = {"kind": "organization", "category": "research", "name": "某大学",
       "email": "a@b.cn", "address": "北京", "id_number": "X1"}


def submit(ref=None, **kw):
    p = {"applicant": APPLICANT, "channel": "online",
         "description": "请公开某路段道路改造工程的立项批复文件",
         "received_on": "2026-02-27", "form": "electronic", "delivery": "email"}
    if ref:
        p["client_ref"] = ref
    p.update(kw)
    return r("app.submit", p)


ID = "2026-000001"

RPC = {
    "envelope": [
        r("system.health"),
        r("system.health", notification=True),
        '{"jsonrpc":"2.0","method":"system.health","id":"str-id"}',
        '{"jsonrpc":"2.0","method":"system.health","id":null}',
        '{"jsonrpc":"2.0","method":"system.health","id":1.5}',
        '{"jsonrpc":"2.0","method":"system.health","id":{}}',
        '{"jsonrpc":"1.0","method":"system.health","id":1}',
        '{"method":"system.health","id":1}',
        '{"jsonrpc":"2.0","method":1,"id":1}',
        '{"jsonrpc":"2.0","method":"system.health","params":"x","id":1}',
        '{"jsonrpc":"2.0","method":"calendar.add","params":["2026-01-01",3],"id":1}',
        '{"jsonrpc":"2.0","method":"rpc.discover","id":1}',
        '{"jsonrpc":"2.0","method":"no.such","id":1}',
        '{"jsonrpc":"2.0","method":"system.health","id":1,"id":2}',
        '{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]',
        '[]', '[1]', '[1,2,3]', '{}', '1', '"x"', 'null',
        '{"a":"\\u0000"}', '{"n":123456789012345678901234567890}',
        '{"n":1e999}', '[' * 50 + ']' * 50, '\udcff\udcfe',
        '{"jsonrpc":"2.0","method":"calendar.add","id":9007199254740993,'
        '"params":{"date":"2026-01-05","days":100000000000000000000}}',
        '[{"jsonrpc":"2.0","method":"app.list","id":1,"params":{"limit":1e999}},'
        '{"jsonrpc":"2.0","method":"system.health","id":-9223372036854775809}]',
        '{"jsonrpc":"2.0","method":"calendar.add","id":2,'
        '"params":{"days":100000000000000000000,"days":1}}',
    ],
    "batch": [
        "[" + ",".join([auth("clerk"), r("system.health"),
                        r("system.health", notification=True),
                        '{"foo":"boo"}', r("no.method"), r("app.get", {"id": ID})]) + "]",
        "[" + ",".join([r("system.health", notification=True)] * 3) + "]",
        "[" + ",".join([submit("b1"), submit("b1"), r("app.get", {"id": ID})]) + "]",
    ],
    "noauth": [
        "#noauth",
        r("system.health"), r("no.such"),
        r("auth", {"token": "wrong"}), r("auth", {}), r("auth", {"token": 5}),
        r("auth", {"token": "t-gone"}), r("auth", {"token": ""}),
        auth("clerk"), r("system.health"),
    ],
    "noauth_close": ["#noauth"] + [r("auth", {"token": "bad%d" % i}) for i in range(6)],
    "noauth_batch": ["#noauth", "[" + auth("supervisor") + "," + r("deadline.overdue") + "]"],
    "refuse": ["#refuse", r("system.health"), submit(), r("x", notification=True)],
    "health": [r("system.health"), r("system.health", {"x": 1})],
    "user": [
        r("user.create", {"name": "bob", "roles": ["clerk", "reviewer"]}),
        r("user.create", {"name": "bob", "roles": ["clerk"]}),
        r("user.create", {"name": "system", "roles": ["clerk"]}),
        r("user.create", {"name": "a b", "roles": ["clerk"]}),
        r("user.create", {"name": "carl", "roles": []}),
        r("user.create", {"name": "carl", "roles": ["king"]}),
        r("user.create", {"name": "x" * 70, "roles": ["admin"]}),
        r("user.list"), r("user.list", {"a": 1}),
        r("user.rotate", {"name": "bob"}), r("user.rotate", {"name": "nobody"}),
        r("user.disable", {"name": "clerk"}), r("user.disable", {}),
        auth("clerk"), r("system.health"),
    ],
    "user_self_disable": [r("user.disable", {"name": "fuzz"}), r("system.health")],
    "calendar": [
        r("calendar.get", {"year": 2026}), r("calendar.get", {"year": 1800}),
        r("calendar.get", {"year": "2026"}),
        r("calendar.add", {"date": "2026-01-01", "days": 20}),
        r("calendar.add", {"date": "2199-12-20", "days": 10000}),
        r("calendar.add", {"date": "2026-02-30", "days": 1}),
        r("calendar.add", {"date": "2026-01-01", "days": -1}),
        r("calendar.count", {"from": "2026-01-01", "to": "2026-12-31"}),
        r("calendar.count", {"from": "2199-12-31", "to": "1990-01-01"}),
        r("calendar.is_workday", {"date": "2026-02-15"}),
        r("calendar.is_workday", {"date": "20260215"}),
    ],
    "calendar_set": [
        r("calendar.set", {"year": 2027, "holidays": ["2027-01-01", "2027-02-06"],
                           "workdays": ["2027-02-07"]}),
        r("calendar.set", {"year": 2027, "holidays": ["2026-01-01"], "workdays": []}),
        r("calendar.set", {"year": 2027, "holidays": ["2027-01-02"],
                           "workdays": ["2027-01-02"]}),
        r("calendar.set", {"year": 2027, "holidays": [1], "workdays": []}),
        r("calendar.set", {"year": 2026, "holidays": [], "workdays": []}),
        r("calendar.get", {"year": 2027}),
        r("calendar.add", {"date": "2026-12-30", "days": 5}),
    ],
    "subscribe": [
        r("events.subscribe"), r("events.subscribe", {"types": ["state", "lapsed"]}),
        r("events.subscribe", {"types": ["nope"]}), r("events.subscribe", {"types": "state"}),
        r("events.subscribe", {"types": None}), submit(),
    ],
    "clock": [
        submit(), r("app.request_correction", {"id": ID, "note": "缺身份证明"}),
        r("clock.set", {"now": "2026-06-01T00:00:00+08:00"}),
        r("clock.set", {"now": "2026-01-01T00:00:00+08:00"}),
        r("clock.set", {"now": "bad"}), r("clock.set", {"now": "2026-07-01"}),
        r("clock.set", {"now": "2026-07-01T10:00:00Z"}),
        r("app.get", {"id": ID}),
    ],
    "submit": [
        submit(), submit("ref-1"), submit("ref-1"),
        submit(applicant=ORG), submit(received_on="2019-05-14"),
        submit(received_on="2030-01-01"), submit(received_on="1989-12-31"),
        submit(channel="pigeon"), submit(form="stone"), submit(delivery="drone"),
        submit(description=""), submit(description="x" * 10001),
        submit(applicant={"kind": "organization", "name": "n"}),
        submit(applicant={"kind": "natural_person", "category": "research", "name": "n"}),
        submit(applicant={"kind": "alien", "name": "n"}),
        submit(applicant={"kind": "natural_person"}),
        submit(applicant={"kind": "natural_person", "name": "n", "extra": 1}),
        submit(applicant="n"), submit(extra=True), submit(client_ref=""),
        r("app.submit", {}), r("app.submit"),
    ],
    "get_list": [
        submit(), submit(applicant=ORG, received_on="2025-12-31"),
        r("app.get", {"id": ID}), r("app.get", {"id": "2026-999999"}),
        r("app.get", {"id": "../etc"}), r("app.get", {"id": 1}),
        r("app.list"), r("app.list", {"limit": 1}),
        r("app.list", {"limit": 1, "after": ID}), r("app.list", {"after": "x"}),
        r("app.list", {"state": "received", "q": "道路"}), r("app.list", {"q": "某"}),
        r("app.list", {"q": "%_%"}), r("app.list", {"state": "nope"}),
        r("app.list", {"assignee": "reviewer", "overdue": True}),
        r("app.list", {"received_from": "2026-01-01", "received_to": "2026-12-31"}),
        r("app.list", {"limit": 0}), r("app.list", {"limit": 501}),
    ],
    "deadlines": [
        submit(received_on="2026-01-05"), submit(),
        r("deadline.overdue"), r("deadline.overdue", {"limit": 1, "after": ID}),
        r("deadline.due_soon"), r("deadline.due_soon", {"within_days": 60}),
        r("deadline.due_soon", {"within_days": 61}),
        r("deadline.due_soon", {"within_days": 0, "after": "2026-000002"}),
        r("report.annual", {"year": 2026}), r("report.annual", {"year": 1}),
        r("report.annual"), r("report.summary"),
    ],
    "workflow_grant": [
        submit(), r("app.assign", {"id": ID, "reviewer": "reviewer"}),
        auth("reviewer"),
        r("app.consult", {"id": ID, "party": "第三方", "note": "征求意见"}),
        r("app.consulted", {"id": ID, "opinion": "同意"}),
        r("app.review", {"id": ID, "outcome": "grant", "note": "可以公开"}),
        auth("secrecy"), r("app.secrecy", {"id": ID, "result": "pass", "note": "ok"}),
        auth("clerk"),
        r("app.fee_notice", {"id": ID, "amount_yuan": 12.5, "note": "fee"}),
        r("app.fee_paid", {"id": ID, "paid_on": "2026-03-02"}),
        r("app.reply", {"id": ID, "note": "已答复"}),
        r("app.appeal", {"id": ID, "kind": "reconsideration", "filed_on": "2026-03-02"}),
        r("app.appeal_decided", {"id": ID, "appeal": 1, "result": "upheld",
                                 "decided_on": "2026-03-02"}),
        r("app.appeal_decided", {"id": ID, "appeal": 1, "result": "upheld"}),
        r("app.appeal_decided", {"id": ID, "appeal": 2, "result": "other"}),
        r("app.get", {"id": ID}),
    ],
    "workflow_correction": [
        submit(), r("app.request_correction", {"id": ID, "note": "n", "within_days": 5}),
        r("app.request_correction", {"id": ID, "note": "again"}),
        r("app.correct", {"id": ID, "received_on": "2026-03-02", "description": "补正后"}),
        r("app.correct", {"id": ID}),
        r("app.extend", {"id": ID, "days": 5, "reason": "复杂"}),
        r("app.extend", {"id": ID, "days": 16, "reason": "too much"}),
        r("app.extend", {"id": ID, "days": 0, "reason": "zero"}),
        r("app.withdraw", {"id": ID, "reason": "申请人撤回"}),
        r("app.withdraw", {"id": ID, "reason": "again"}),
        r("app.get", {"id": ID}),
    ],
    "workflow_review_fail": [
        submit(), r("app.assign", {"id": ID, "reviewer": "reviewer", "version": 1}),
        r("app.assign", {"id": ID, "reviewer": "reviewer2", "version": 1}),
        r("app.assign", {"id": ID, "reviewer": "clerk"}),
        r("app.assign", {"id": ID, "reviewer": "nobody"}),
        r("app.review", {"id": ID, "outcome": "partial", "note": "fuzz is not the assignee"}),
        auth("reviewer"),
        r("app.review", {"id": ID, "outcome": "other.no_correction", "note": "x"}),
        r("app.review", {"id": ID, "outcome": "bogus", "note": "x"}),
        r("app.review", {"id": ID, "outcome": "partial", "note": "部分"}),
        r("app.secrecy", {"id": ID, "result": "pass", "note": "self"}),
        auth("secrecy"), r("app.secrecy", {"id": ID, "result": "maybe", "note": "?"}),
        r("app.secrecy", {"id": ID, "result": "fail", "note": "泄密"}),
        auth("reviewer"),
        r("app.review", {"id": ID, "outcome": "deny.state_secret", "note": "n"}),
        auth("clerk"), r("app.fee_notice", {"id": ID, "amount_yuan": 0, "note": "n"}),
        r("app.fee_notice", {"id": ID, "amount_yuan": 1e300, "note": "n"}),
        r("app.reply", {"id": ID, "replied_on": "2026-02-01", "note": "early"}),
        r("app.reply", {"id": ID, "replied_on": "2027-01-01", "note": "future"}),
        r("app.reply", {"id": ID, "note": "ok"}),
    ],
    "transitions_bad": [
        r(m, p) for m, p in [
            ("app.assign", {"id": ID}), ("app.request_correction", {"id": ID}),
            ("app.correct", {"id": ID, "received_on": "bad"}),
            ("app.consult", {"id": ID, "party": ""}), ("app.consulted", {"id": ID}),
            ("app.review", {"id": ID}), ("app.secrecy", {"id": ID}),
            ("app.fee_notice", {"id": ID, "amount_yuan": "1"}),
            ("app.fee_paid", {"id": ID, "paid_on": "2026-13-01"}),
            ("app.extend", {"id": ID, "days": 1.5, "reason": "r"}),
            ("app.reply", {"id": ID}), ("app.withdraw", {"id": ID}),
            ("app.appeal", {"id": ID, "kind": "war"}),
            ("app.appeal_decided", {"id": ID, "appeal": 0, "result": "upheld"}),
            ("app.withdraw", {"id": ID, "reason": "r", "version": -1}),
            ("app.withdraw", {"id": "2026-000001x", "reason": "r"}),
            ("app.withdraw", {"reason": "r"}),
        ]
    ],
    "fail_commit": [submit(), "#fail", r("app.assign", {"id": ID, "reviewer": "reviewer"}),
                    "#fail", submit("f1"), submit("f1")],
    "timers": [
        submit(received_on="2026-01-05"), r("app.assign", {"id": ID, "reviewer": "reviewer"}),
        auth("reviewer"), r("app.consult", {"id": ID, "party": "p", "note": "n"}),
        auth("admin"), r("clock.set", {"now": "2026-04-30T00:00:00+08:00"}),
        r("clock.set", {"now": "2027-01-01T00:00:00+08:00"}),
        r("app.get", {"id": ID}), r("report.annual", {"year": 2026}),
    ],
}

CAL = {
    "builtin_2026": open(os.path.join(HERE, "..", "..", "data", "holidays-cn.txt"),
                         encoding="utf-8").read().split("# 2026")[-1],
    "year_2027": "2027-01-01 off 元旦\n2027-02-06 off 春节\n2027-02-07 work 春节\n",
    "bad_both": "2027-01-02 off x\n2027-01-02 work y\n",
    "bad_format": "2027-1-2 off\n",
    "bad_word": "2027-01-02 holiday\n",
    "comments": "# only a comment\n\n   \t\n2030-10-01 off 国庆\r\n",
    "ops_basic": "%%\nadd 2026-01-01 20\nadd 2026-09-30 5\ncount 2026-01-01 2026-12-31\n"
                 "count 2026-12-31 2026-01-01\neff 2026-10-01\nwd 2026-02-14\n"
                 "skip 2026-09-30 2026-10-09\nnth 2026-09-30 3\nsoon 2026-10-09 3\n"
                 "dl 2026-03-02 5 2026-03-05 2026-03-20\ndl 2019-05-14 15\n",
    "ops_edges": "%%\nadd 1990-01-01 0\nadd 2199-12-31 1\nadd 2199-12-25 3\nadd none 3\n"
                 "add 1989-12-30 2\nadd 2200-01-01 1\ncount none 2026-01-01\n"
                 "count 1980-01-01 2210-01-01\neff 2199-12-31\neff 1989-12-31\n"
                 "add 2026-01-01 -1\nadd 2026-01-01 2147483647\nwd -100000\n"
                 "count 2026-01-01 30000\nnth 2199-12-30 5\nsoon 1990-01-02 5\n",
    "ops_parse": "%%\nparse 2026-02-29\nparse 2024-02-29\nparse 2026-13-01\nparse 1989-12-31\n"
                 "parse 2199-12-31\nparse 2026-01-01x\nparse 2026-1-01\nparse +026-01-01\n"
                 "ymd 2026 2 29\nymd 2000 2 29\nymd 1900 2 29\nymd -5 3 1\n"
                 "mid 2026-03-02\nmid 1990-01-01\nmid 2199-12-31\n"
                 "tz 2026-01-05T09:00:00+08:00\ntz 2026-01-05T09:00:00Z\ntz 2026-01-05\n"
                 "tz 2026-01-05T09:00\ntz 2026-01-05T09:00:60.123-05:30\ntz 2026-01-05T24:00\n"
                 "tz 2199-12-31T23:59:59-12:00\ntz 2026-01-05T",
    "ops_set": "%%\nset 2026 2026-01-01 2026-01-02 / 2026-01-04\nadd 2025-12-31 1\n"
               "set 2026 2026-01-01 / 2026-01-01\nset 2027 2026-01-01\nset 1800\n"
               "clear 2026\ncount 2025-12-31 2026-12-31\ncopy\nset 2199 2199-12-31\n"
               "add 2199-12-29 1\nclear 1\n",
}


def main():
    for name, lines in RPC.items():
        with open(os.path.join(HERE, "corpus_rpc", name), "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write("\n".join(lines) + "\n")
    for name, text in CAL.items():
        with open(os.path.join(HERE, "corpus_cal", name), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
