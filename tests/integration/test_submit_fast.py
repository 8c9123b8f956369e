#!/usr/bin/env python3
"""app.submit read without a tree (daemon/submit_fast.c) answers exactly as
the usual way does. Every case is sent twice on the same connection: once
as a plain line the fast reader takes, once with the method name written
"app.subm\\u0069t", which it refuses (a backslash), so that the line goes
through jr_loadb, rpc_call and params_check_with. Errors must be the same
object; results the same application but for its id, times and history
sequence numbers, with the same params in its first history event.

Under `make check` ogid runs with OGID_VIEW_CHECK=1: for every request the
fast reader accepts it also fills the application from the tree and aborts
if the two differ, so a case where they would shows here as a closed
connection.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, eq, main, ok  # noqa: E402

TODAY = "2026-03-02"
CLOCK = TODAY + "T10:00:00+08:00"


def base():
    return {"applicant": {"kind": "natural_person", "name": "张三",
                          "phone": "13800000000"},
            "channel": "online",
            "description": "请求公开2025年度的批准文件",
            "form": "electronic", "delivery": "email"}


def with_(p, **kw):
    q = json.loads(json.dumps(p))
    for k, v in kw.items():
        if v is DEL:
            q.pop(k, None)
        else:
            q[k] = v
    return q


def with_applicant(p, **kw):
    q = json.loads(json.dumps(p))
    for k, v in kw.items():
        if v is DEL:
            q["applicant"].pop(k, None)
        else:
            q["applicant"][k] = v
    return q


DEL = object()


def cases():
    b = base()
    yield "plain", b
    yield "all fields", with_(with_applicant(
        b, kind="organization", category="research", id_number="91110000X",
        email="a@example.cn", address="北京市海淀区"), received_on="2026-02-27",
        client_ref="ref-all")
    yield "nulls for optional fields", with_(with_applicant(
        b, phone=None, email=None, id_number=None, address=None,
        category=None), form=None, delivery=None, received_on=None,
        client_ref=None)
    yield "empty params", {}
    yield "applicant missing", with_(b, applicant=DEL)
    yield "applicant null", with_(b, applicant=None)
    yield "applicant a string", with_(b, applicant="张三")
    yield "applicant an array", with_(b, applicant=["张三"])
    yield "applicant empty", with_(b, applicant={})
    yield "channel missing", with_(b, channel=DEL)
    yield "channel null", with_(b, channel=None)
    yield "channel a number", with_(b, channel=3)
    yield "channel unknown", with_(b, channel="pigeon")
    for ch in ("in_person", "mail", "online", "fax", "other"):
        yield "channel " + ch, with_(b, channel=ch)
    yield "description missing", with_(b, description=DEL)
    yield "description empty", with_(b, description="")
    yield "description blank", with_(b, description="  \t ")
    yield "description ideographic blank", with_(b, description="\u3000\u3000")
    yield "description 10000 CJK", with_(b, description="文" * 10000)
    yield "description 10001 CJK", with_(b, description="文" * 10001)
    yield "description 10000 mixed", with_(b, description=("a文😀" * 3334)[:10000])
    yield "description true", with_(b, description=True)
    yield "description an object", with_(b, description={"a": "b"})
    yield "form paper", with_(b, form="paper")
    yield "form unknown", with_(b, form="stone")
    yield "form a number", with_(b, form=1)
    for dv in ("pickup", "mail", "email", "online"):
        yield "delivery " + dv, with_(b, delivery=dv)
    yield "delivery unknown", with_(b, delivery="drone")
    yield "received_on today", with_(b, received_on=TODAY)
    yield "received_on last year", with_(b, received_on="2025-12-31")
    yield "received_on tomorrow", with_(b, received_on="2026-03-03")
    yield "received_on 30 February", with_(b, received_on="2026-02-30")
    yield "received_on not a date", with_(b, received_on="yesterday")
    yield "received_on a number", with_(b, received_on=20260301)
    yield "received_on too early", with_(b, received_on="1899-12-31")
    yield "client_ref 128", with_(b, client_ref="r" * 128)
    yield "client_ref 129", with_(b, client_ref="r" * 129)
    yield "client_ref empty", with_(b, client_ref="")
    yield "unknown field", with_(b, color="red")
    yield "unknown applicant field", with_applicant(b, age="30")
    yield "kind missing", with_applicant(b, kind=DEL)
    yield "kind unknown", with_applicant(b, kind="robot")
    yield "kind null", with_applicant(b, kind=None)
    yield "organization without category", with_applicant(b, kind="organization")
    yield "organization, category null", with_applicant(b, kind="organization",
                                                        category=None)
    for cat in ("commercial", "research", "social_welfare", "legal_service",
                "other", "charity"):
        yield "organization " + cat, with_applicant(b, kind="organization",
                                                    category=cat)
    yield "natural person with a category", with_applicant(b, category="research")
    yield "name missing", with_applicant(b, name=DEL)
    yield "name 200", with_applicant(b, name="名" * 200)
    yield "name 201", with_applicant(b, name="名" * 201)
    yield "name blank", with_applicant(b, name=" ")
    yield "name a number", with_applicant(b, name=7)
    yield "phone 65", with_applicant(b, phone="1" * 65)
    yield "email 254", with_applicant(b, email="e" * 254)
    yield "address 501", with_applicant(b, address="址" * 501)
    yield "text with quotes and slashes", with_(b, description='他说"公开"/a\\b')
    yield "text with a newline", with_(b, description="第一行\n第二行")
    yield "text with a NUL", with_(b, description="a\u0000b")
    yield "text with DEL and U+2028", with_(b, description="a\x7fb\u2028c")
    yield "emoji", with_applicant(b, name="😀张三")


def fast_line(rid, params, spaced=False):
    sep = (", ", ": ") if spaced else (",", ":")
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "app.submit",
                       "params": params}, ensure_ascii=False,
                      separators=sep)


def tree_line(rid, params):
    line = fast_line(rid, params)
    return line.replace('"app.submit"', '"app.subm\\u0069t"', 1)


def exchange(c, line):
    c.send_raw((line.encode() if isinstance(line, str) else line) + b"\n")
    return c.recv_response()


def ref_kept(resp, ref):
    """The result's client_ref, and its history's, are the one sent."""
    if resp is None or "result" not in resp or ref is None:
        return True
    r = resp["result"]
    return r.get("client_ref") == ref and \
        r["history"][0]["params"].get("client_ref") == ref


def comparable(resp):
    """The response with what must differ between two submits taken out."""
    if resp is None or "error" in resp:
        return resp
    r = json.loads(json.dumps(resp["result"]))
    for k in ("id", "created_at", "updated_at", "client_ref"):
        r.pop(k, None)
    for h in r.get("history", []):
        for k in ("seq", "at"):
            h.pop(k, None)
        h.get("params", {}).pop("client_ref", None)
    return {"id": resp.get("id"), "result": r}


def test_same_answers():
    d = Daemon(fake_clock=CLOCK)
    try:
        tok, c = d.user("clerk", "clerk")
        n = 0
        for name, params in cases():
            n += 1
            got = []
            for form in ("fast", "tree"):
                p = json.loads(json.dumps(params))
                if isinstance(p, dict) and "client_ref" not in p:
                    p["client_ref"] = "%s-%d" % (form, n)
                elif form == "tree" and isinstance(p.get("client_ref"), str) \
                        and p["client_ref"]:
                    # not a retry of the first: another ref, as long
                    p["client_ref"] = "T" + p["client_ref"][1:]
                line = fast_line(n, p) if form == "fast" else tree_line(n, p)
                resp = exchange(c, line)
                ok(ref_kept(resp, p.get("client_ref") if isinstance(p, dict) else None),
                   "%s (%s): its client_ref kept" % (name, form))
                got.append(comparable(resp))
            ok(got[0] is not None and got[1] is not None,
               "%s: both answered (ogid alive)" % name)
            if got[0] is None or got[1] is None:
                break
            eq(got[0], got[1], "%s: the same answer both ways" % name)
        c.close()
    finally:
        d.cleanup()


def test_envelopes():
    """Ids and layouts the fast reader takes, or leaves to the usual way."""
    d = Daemon(fake_clock=CLOCK)
    try:
        tok, c = d.user("clerk", "clerk")
        p = base()
        lines = [
            ("integer id", fast_line(17, p)),
            ("zero id", fast_line(0, p)),
            ("big id", fast_line(999999999999999999, p)),
            ("bigger id", fast_line(123456789012345678901, p)),
            ("negative id", fast_line(-4, p)),
            ("string id", fast_line("abc-1", p)),
            ("CJK string id", fast_line("请求一", p)),
            ("null id", fast_line(None, p)),
            ("real id", fast_line(1.5, p)),
            ("spaced", fast_line(5, p, spaced=True)),
            ("members reversed", json.dumps(
                {"params": p, "method": "app.submit", "id": 6,
                 "jsonrpc": "2.0"}, ensure_ascii=False)),
            ("extra member", json.dumps(
                {"jsonrpc": "2.0", "id": 7, "method": "app.submit",
                 "params": p, "x": 1}, ensure_ascii=False)),
            ("jsonrpc 1.0", fast_line(8, p).replace('"2.0"', '"1.0"')),
            ("tabs and spaces", "\t " + fast_line(9, p).replace(":", " :\t") + "  "),
        ]
        good = fast_line(20, p)
        lines += [
            ("duplicate key", good.replace('"channel":"online"',
                                           '"channel":"online","channel":"mail"')),
            ("trailing bytes", good + " x"),
            ("two objects", good + good),
            ("leading zero id", good.replace('"id":20', '"id":020')),
            ("19-digit id", good.replace('"id":20', '"id":1234567890123456789')),
            ("exponent id", good.replace('"id":20', '"id":2e1')),
            ("a key that is a prefix", good.replace('"form":', '"for":')),
            ("a key one longer", good.replace('"form":', '"formx":')),
            ("nul for null", good.replace('"form":"electronic"', '"form":nul')),
            ("a raw tab in a string", good.replace("张三", "张\t三")),
            ("a raw control in a string", good.replace("张三", "张\x01三")),
            ("true for a string", good.replace('"form":"electronic"', '"form":true')),
            ("unclosed", good[:-1]),
        ]
        bad_utf8 = [
            ("a lone continuation byte", good.encode().replace(
                "张三".encode(), b"\x80abc")),
            ("an overlong slash", good.encode().replace(
                "张三".encode(), b"\xc0\xaf")),
            ("a surrogate", good.encode().replace(
                "张三".encode(), b"\xed\xa0\x80")),
            ("a truncated sequence", good.encode().replace(
                "张三".encode(), "张".encode()[:2])),
        ]
        for name, line in bad_utf8:
            tree = line.replace(b'"app.submit"', b'"app.subm\\u0069t"', 1)
            a = comparable(exchange(c, line))
            b = comparable(exchange(c, tree))
            ok(a is not None and b is not None, "%s: both answered" % name)
            if a is not None and b is not None and "error" in a and "error" in b:
                a["error"].get("data", {}).pop("position", None)
                b["error"].get("data", {}).pop("position", None)
            eq(a, b, "%s: the same answer both ways" % name)
        for name, line in lines:
            tree = line.replace('"app.submit"', '"app.subm\\u0069t"', 1)
            a = comparable(exchange(c, line))
            b = comparable(exchange(c, tree))
            ok(a is not None and b is not None, "%s: both answered" % name)
            for x in (a, b):  # the escape moves a parse error's position
                if x is not None and "error" in x:
                    (x["error"].get("data") or {}).pop("position", None)
            eq(a, b, "%s: the same answer both ways" % name)
        # Sessions that may not submit: the same refusal both ways.
        rv_tok, rv = d.user("rv", "reviewer")
        anon = d.client()
        for who, cc in (("a reviewer", rv), ("no login", anon)):
            a = exchange(cc, fast_line(30, p))
            b = exchange(cc, tree_line(30, p))
            ok(a is not None and "error" in a, "%s: refused" % who, a)
            eq(a, b, "%s: the same refusal both ways" % who)
        rv.close()
        anon.close()
        # A notification is run and not answered either way.
        before = len(c.call("app.list", {"limit": 500})["items"])
        c.send_raw(json.dumps({"jsonrpc": "2.0", "method": "app.submit",
                               "params": p}, ensure_ascii=False) + "\n")
        after = len(c.call("app.list", {"limit": 500})["items"])
        eq(after, before + 1, "a notification submits, unanswered")
        # Half a line, then the rest: one request.
        line = fast_line(99, base())
        c.send_raw(line[:40])
        c.send_raw(line[40:] + "\n")
        r = c.recv_response()
        ok(r is not None and "result" in r and r["id"] == 99,
           "a line sent in two pieces", r)
        c.close()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
