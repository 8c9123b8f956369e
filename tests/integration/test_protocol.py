#!/usr/bin/env python3
"""SPEC section 5, Protocol: framing, JSON-RPC 2.0 (every example of
jsonrpc.org section 7, with our methods in place of "subtract" and "sum"),
authentication, ordering, limits and timeouts."""
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, eq, main, ok, req, line, read_to_eof, err_code  # noqa: E402

WORKDAY = "2026-03-09"  # a Monday with no holiday near it
WEEKEND = "2026-03-08"  # a Sunday, not an adjusted working day

_d = None


def daemon():
    """One daemon with default settings, shared by the tests below."""
    global _d
    if _d is None:
        _d = Daemon()
    return _d






def authed(d=None, timeout=10):
    d = d or daemon()
    return d.client(d.admin_token, timeout=timeout)




def marker(c, id="mark"):
    """Send a request and return the next response: proves nothing came
    before it (notifications get no response)."""
    c.send_raw(line(req("system.health", id=id)))
    return c.recv_line()




# --- authentication ---------------------------------------------------------

def test_unauthenticated_gets_32001():
    c = daemon().client()
    r = c.request("system.health")
    eq(err_code(r), -32001, "system.health before auth: -32001")
    eq(r.get("id"), 1, "the -32001 error carries the request id")
    r = c.request("no.such.method")
    eq(err_code(r), -32001, "unknown method before auth: -32001 too")
    r = c.request("calendar.is_workday", {"date": WORKDAY})
    eq(err_code(r), -32001, "calendar.is_workday before auth: -32001")
    c.send_raw(line(req("system.health", notification=True)))
    r = marker(c)
    eq(err_code(r), -32001, "an unauthenticated notification gets no response")
    res = c.call("auth", {"token": daemon().admin_token})
    ok(isinstance(res, dict) and "user" in res and "roles" in res,
       "auth returns {user, roles}", res)
    ok("admin" in res.get("roles", []), "the first user is an admin", res)
    res = c.call("system.health")
    eq(res.get("ok"), True, "system.health after auth")
    for k in ("ok", "version", "db", "calendar_known_until", "connections"):
        ok(k in res, "system.health has %s" % k, res)
    c.close()


def test_five_failed_auths_close():
    c = daemon().client()
    codes = []
    for i in range(4):
        codes.append(err_code(c.request("auth", {"token": "wrong-%d" % i})))
    ok(all(x is not None for x in codes), "four bad tokens: four errors", codes)
    res = c.request("system.health")
    eq(err_code(res), -32001, "still unauthenticated after 4 failures")
    r = c.request("auth", {"token": "wrong-5"})
    ok(err_code(r) is not None, "fifth failed auth is answered with an error", r)
    rest, eof = read_to_eof(c, 5)
    ok(eof and rest == [], "after the 5th failed auth the connection is closed",
       rest)
    c.close()

    c = daemon().client()
    for i in range(4):
        c.request("auth", {"token": "wrong"})
    res = c.call("auth", {"token": daemon().admin_token})
    ok("user" in res, "four failures then the right token: authenticated")
    c.close()


def test_auth_again_on_an_authenticated_connection():
    d = daemon()
    a = d.admin()
    clerk = a.call("user.create", {"name": "proto_reauth", "roles": ["clerk"]})
    a.close()
    c = authed()
    eq(c.call("auth", {"token": clerk["token"]})["user"], "proto_reauth",
       "auth again switches to the new token's user")
    eq(err_code(c.request("user.create", {"name": "proto_reauth2", "roles": ["clerk"]})),
       -32002, "with that user's roles")
    r = c.request("auth", {"token": "wrong"})
    eq(err_code(r), -32001, "a wrong token is refused")
    eq(c.call("system.health").get("ok"), True,
       "and leaves the connection as it was (still authenticated)")
    eq(err_code(c.request("user.create", {"name": "proto_reauth3", "roles": ["clerk"]})),
       -32002, "as the clerk, not as anyone else")
    c.close()


def test_five_failed_auths_pipelined():
    # Six bad auths sent at once: five errors, then the connection closes
    # (and the sixth is never answered).
    c = daemon().client()
    c.send_raw(b"".join(line(req("auth", {"token": "bad"}, id=i))
                        for i in range(6)))
    lines, eof = read_to_eof(c, 5)
    eq(len(lines), 5, "five errors for six pipelined bad auths")
    ok(eof, "then the connection is closed")
    c.close()


def test_five_failed_auths_in_a_batch():
    # The rest of the batch is answered (-32005, the connection closing),
    # one response a call, then the connection closes. A daemon of its
    # own: the failures count against this address.
    d = Daemon()
    try:
        c = d.client()
        batch = [req("auth", {"token": "bad"}, id=i) for i in range(7)]
        batch.append(req("system.health", id=7))
        batch.append(req("system.health", notification=True))
        c.send_raw(line(batch))
        r = c.recv_line()
        ok(isinstance(r, list) and len(r) == 8, "eight responses for eight calls", r)
        if isinstance(r, list):
            eq([x.get("id") for x in r], list(range(8)), "in call order")
            eq([err_code(x) for x in r], [-32001] * 5 + [-32005] * 3,
               "five failures, then the rest refused")
        lines, eof = read_to_eof(c, 5)
        ok(eof and not lines, "then the connection is closed")
        c.close()
    finally:
        d.cleanup()


def test_batch_auth_then_call():
    c = daemon().client()
    c.send_raw(line([req("auth", {"token": daemon().admin_token}, id=1),
                     req("system.health", id=2),
                     req("calendar.is_workday", {"date": WORKDAY}, id=3)]))
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 3, "[auth, call, call]: three responses", r)
    if isinstance(r, list) and len(r) == 3:
        eq([x.get("id") for x in r], [1, 2, 3], "batch responses in call order")
        ok(all("result" in x for x in r), "auth at the head of a batch "
           "authenticates the calls after it", r)
        eq(r[2].get("result"), True, "%s is a working day" % WORKDAY)
    # One connection per request, as a client tool might do.
    for i in range(5):
        c2 = daemon().client()
        c2.send_raw(line([req("auth", {"token": daemon().admin_token}, id="a"),
                          req("calendar.is_workday", {"date": WEEKEND}, id="b")]))
        r = c2.recv_line()
        c2.close()
        if not (isinstance(r, list) and len(r) == 2 and r[1].get("result") is False):
            ok(False, "connection per [auth, call]", r)
            break
    else:
        ok(True, "five connections each sending [auth, call]")
    c.close()


def test_disabled_user_gets_32001():
    a = authed()
    res = a.call("user.create", {"name": "proto_clerk", "roles": ["clerk"]})
    tok = res.get("token")
    ok(isinstance(tok, str) and tok, "user.create returns a token")
    u = daemon().client(tok)
    eq(u.call("system.health").get("ok"), True, "the new user can call")
    a.call("user.disable", {"name": "proto_clerk"})
    r = u.request("system.health")
    eq(err_code(r), -32001, "a disabled user's open connection gets -32001")
    r = u.request("calendar.is_workday", {"date": WORKDAY})
    eq(err_code(r), -32001, "... from then on")
    u2 = daemon().client()
    r = u2.request("auth", {"token": tok})
    ok(err_code(r) is not None, "a disabled user's token no longer authenticates", r)
    for c in (a, u, u2):
        c.close()


def test_disabled_or_rotated_user_gets_no_more_events():
    a = authed()
    subs = {}
    for name in ("proto_sub_d", "proto_sub_r"):
        tok = a.call("user.create", {"name": name, "roles": ["clerk"]})["token"]
        subs[name] = daemon().client(tok)
        subs[name].call("events.subscribe", {"types": ["submitted"]})
    keep_tok = a.call("user.create", {"name": "proto_sub_k", "roles": ["clerk"]})["token"]
    keep = daemon().client(keep_tok)
    keep.call("events.subscribe", {"types": ["submitted"]})
    a.call("user.disable", {"name": "proto_sub_d"})
    a.call("user.rotate", {"name": "proto_sub_r"})
    x = a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "甲"},
                              "channel": "mail", "description": "停用后的推送"})
    eq((keep.wait_event() or {}).get("id"), x["id"], "a subscriber still enabled gets the event")
    for name, c in subs.items():
        try:
            ev = c.wait_event(timeout=0.5)
        except (TimeoutError, OSError):
            ev = None
        eq(ev, None, "%s (%s) gets no event after it" % (
            name, "disabled" if name.endswith("_d") else "rotated"))
        eq(err_code(c.request("system.health")), -32001, "and -32001 for a call")
    for c in list(subs.values()) + [a, keep]:
        c.close()


def test_the_last_admin_cannot_be_disabled():
    d = Daemon()
    try:
        a = d.admin()
        e = a.error("user.disable", {"name": "admin"})
        eq(((e or {}).get("code"), ((e or {}).get("data") or {}).get("field")),
           (-32602, "name"), "disabling the only admin: -32602 naming name")
        eq(a.call("system.health").get("ok"), True, "and it can still call")
        tok = a.call("user.create", {"name": "admin2", "roles": ["admin"]})["token"]
        eq(a.call("user.disable", {"name": "admin"}).get("disabled"), True,
           "with another admin, the first may go")
        b = d.client(tok)
        e = b.error("user.disable", {"name": "admin2"})
        eq((e or {}).get("code"), -32602, "then the second is the last")
        eq(b.call("user.rotate", {"name": "admin2"}).get("name"), "admin2",
           "rotating the last admin's token is allowed")
        for c in (a, b):
            c.close()
    finally:
        d.cleanup()


def test_auth_with_invalid_params_is_32602_and_a_failure():
    # A daemon of its own: the failures count against this address too.
    d = Daemon()
    c = d.client()
    for params, what in (({}, "no token"), ({"token": 5}, "a number"),
                         ({"token": ""}, "an empty token"),
                         ({"token": "x", "user": "y"}, "an unknown field")):
        r = c.request("auth", params)
        eq((err_code(r), bool(((r.get("error") or {}).get("data") or {}).get("field"))),
           (-32602, True), "auth with %s: -32602 with its field" % what)
    r = c.request("auth", {"token": "wrong"})
    eq(err_code(r), -32001, "a wrong token: -32001")
    ok(c.recv_line(timeout=5) is None, "the fifth failure, counting those, closes the connection")
    c.close()
    d.cleanup()


def test_nul_in_a_string_is_valid_json():
    """"\u0000" is valid JSON (RFC 8259): never -32700; a string holding it
    is refused where it would be cut short, as -32602 naming its field."""
    c = authed()

    def raw(text):
        c.send_raw(text.encode() + b"\n")
        return c.recv_response()

    r = raw(r'{"jsonrpc":"2.0","id":8,"method":"app.list","params":{"q":"a\u0000b"}}')
    eq((err_code(r), (r.get("error") or {}).get("data"), r.get("id")),
       (-32602, {"field": "q", "reason": "must not contain NUL characters"}, 8),
       "a NUL in q: -32602 naming q, with the request's id")
    r = raw(r'{"jsonrpc":"2.0","id":9,"method":"app.submit","params":{"applicant":'
            r'{"kind":"natural_person","name":"x\u0000y"},"channel":"online",'
            r'"description":"d"}}')
    eq(((r.get("error") or {}).get("data") or {}).get("field"), "applicant.name",
       "in a nested member: its path")
    r = raw(r'{"jsonrpc":"2.0","id":10,"method":"calendar.is_workday",'
            r'"params":{"date":"%s\u0000x"}}' % WORKDAY)
    eq(err_code(r), -32602, "a date followed by a NUL is not that date")
    r = raw(r'{"jsonrpc":"2.0","id":11,"method":"calendar.set","params":{"year":2031,'
            r'"holidays":["2031-01-01\u0000"],"workdays":[]}}')
    eq(((r.get("error") or {}).get("data") or {}).get("field"), "holidays",
       "in an array: the array's field")
    eq(c.call("calendar.get", {"year": 2031}).get("holidays", []), [],
       "and nothing changed")
    r = raw(r'{"jsonrpc":"2.0","id":12,"method":"system.health\u0000x"}')
    eq(err_code(r), -32601, "a method name with a NUL: not found")
    eq(((r.get("error") or {}).get("data") or {}).get("method"), "system.health\ufffdx",
       "its name shown with U+FFFD for the NUL (no \\u0000 in the answer)")
    r = raw(r'{"jsonrpc":"2.0\u0000","id":13,"method":"system.health"}')
    eq(err_code(r), -32600, "jsonrpc \"2.0\\u0000\" is not \"2.0\"")
    r = raw(r'{"jsonrpc":"2.0","id":"a\u0000b","method":"calendar.is_workday",'
            r'"params":{"date":"%s"}}' % WORKDAY)
    eq((r.get("id"), r.get("result")), ("a\u0000b", True), "an id with a NUL comes back whole")
    c.close()


def test_deauthenticated_connection_gets_the_idle_timeout_from_then():
    """A disabled user's connection answers -32001 from then on, and
    closes idle_timeout seconds after it was found out, not at once (its
    first -32001 came with a close when it was older than the timeout)."""
    d = Daemon(config="idle_timeout = 2\n")
    try:
        a = d.admin()
        tok = a.call("user.create", {"name": "idle_sub", "roles": ["clerk"]})["token"]
        u = d.client(tok)
        u.call("events.subscribe", {"types": ["submitted"]})
        time.sleep(2.5)  # older than the timeout, authenticated all along
        a.call("user.disable", {"name": "idle_sub"})
        a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "甲"},
                              "channel": "mail", "description": "停用之后"})
        time.sleep(0.3)  # the push finds the session out
        eq(err_code(u.request("system.health")), -32001, "a call: -32001")
        eq(err_code(u.request("system.health")), -32001, "and again: the connection stays")
        lines, eof = read_to_eof(u, 5)
        ok(eof, "then it closes after idle_timeout")
        for c in (a, u):
            c.close()
    finally:
        d.cleanup()


def test_subscribers_come_and_go():
    """Subscribers join, change, leave and disconnect in every order, with
    idle connections between them: each remaining one gets exactly its
    types' events, once; the gone get none."""
    d = Daemon(fake_clock="2026-03-02T09:00:00+08:00")
    try:
        a = d.admin()
        idle = [d.client() for _ in range(20)]  # not subscribed, not authed
        subs = []
        for i in range(8):
            c = d.client(d.admin_token)
            types = ["submitted"] if i % 2 == 0 else ["state"]
            c.call("events.subscribe", {"types": types})
            subs.append((c, set(types)))
        # Leave in the middle and at the ends; one changes, one returns.
        subs[3][0].call("events.subscribe", {"types": []})
        subs[0][0].close()
        subs[7][0].close()
        subs[5][0].call("events.subscribe", {"types": ["submitted", "state"]})
        subs[3][0].call("events.subscribe", {"types": ["state"]})
        live = [(subs[i][0], t) for i, t in ((1, {"state"}), (2, {"submitted"}),
                                            (3, {"state"}), (4, {"submitted"}),
                                            (5, {"submitted", "state"}), (6, {"submitted"}))]
        aid = a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "己"},
                                    "channel": "mail", "description": "订阅"})["id"]
        a.call("app.assign", {"id": aid, "reviewer": "admin"})
        time.sleep(0.5)
        got = []
        for c, want in live:
            seen = []
            while True:
                try:
                    ev = c.wait_event(timeout=0.3)
                except (socket.timeout, TimeoutError):
                    break
                if ev is None:
                    break
                seen.append(ev["type"])
            got.append(sorted(seen) == sorted(t for t in ("submitted", "state") if t in want))
        eq(got, [True] * len(live), "each subscriber gets its types' events, once")
        for c, _ in live:
            c.close()
        for c in idle:
            c.close()
        eq(a.call("system.health")["ok"], True, "the daemon is fine")
        a.close()
    finally:
        d.cleanup()


# --- JSON-RPC 2.0, jsonrpc.org section 7 -----------------------------------

def test_spec_positional_and_named_params():
    c = authed()
    # rpc call with positional parameters: our methods take named ones.
    r = c.request("calendar.is_workday", [WORKDAY], id=1)
    eq(err_code(r), -32602, "positional (array) params: -32602")
    eq(r.get("id"), 1, "... with the request id")
    # rpc call with named parameters
    r = c.request("calendar.is_workday", {"date": WORKDAY}, id=3)
    eq(r, {"jsonrpc": "2.0", "result": True, "id": 3}, "named params: result")
    r = c.request("calendar.is_workday", {"date": WEEKEND}, id=4)
    eq(r, {"jsonrpc": "2.0", "result": False, "id": 4}, "named params: false")
    # params omitted
    r = c.request("system.health", id=5)
    ok("result" in r, "params may be omitted", r)
    c.close()


def test_spec_notifications():
    c = authed()
    c.send_raw(line(req("calendar.is_workday", {"date": WORKDAY}, notification=True)))
    c.send_raw(line(req("system.health", notification=True)))
    r = marker(c)
    eq(r.get("id"), "mark", "notifications get no response")
    # Even a notification that fails gets no response.
    c.send_raw(line(req("no.such.method", notification=True)))
    c.send_raw(line(req("calendar.is_workday", [1], notification=True)))
    c.send_raw(line(req("calendar.is_workday", {"date": "nope"}, notification=True)))
    r = marker(c)
    eq(r.get("id"), "mark", "failing notifications get no response either")
    c.close()


def test_spec_method_not_found():
    c = authed()
    c.send_raw(b'{"jsonrpc": "2.0", "method": "foobar", "id": "1"}\n')
    r = c.recv_line()
    eq(err_code(r), -32601, "non-existent method: -32601")
    eq(r.get("id"), "1", "... with the request id")
    r = c.request("rpc.discover", id=2)
    eq(err_code(r), -32601, "rpc.* names are reserved: -32601")
    c.close()


def test_spec_invalid_json():
    c = authed()
    c.send_raw(b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]\n')
    r = c.recv_line()
    eq(err_code(r), -32700, "invalid JSON: -32700")
    ok("id" in r and r["id"] is None, "... with id null", r)
    r = c.request("system.health", id=7)
    eq(r.get("id"), 7, "the connection goes on after a parse error")
    c.close()


def test_integers_out_of_range():
    """Integers beyond 64 bits are valid JSON that ogid cannot hold: each
    call is answered -32602 naming the field, with its id, and none runs."""
    c = daemon().client()
    big = b'{"jsonrpc":"2.0","method":"calendar.add","id":3,' \
          b'"params":{"date":"2026-01-05","days":100000000000000000000}}\n'
    c.send_raw(big)
    eq(err_code(c.recv_line()), -32001, "unauthenticated first")
    c.close()
    c = authed()
    c.send_raw(big)
    r = c.recv_line()
    eq((err_code(r), r.get("id")), (-32602, 3), "-32602 with the id")
    eq(r["error"]["data"]["field"], "days", "naming the field")
    c.send_raw(b'{"jsonrpc":"2.0","method":"calendar.set","id":"x","params":{"year":2026,'
               b'"holidays":[],"workdays":[],"deep":{"a":[1,2,-99999999999999999999]}}}\n')
    r = c.recv_line()
    eq((err_code(r), r.get("id"), r["error"]["data"]["field"]), (-32602, "x", "deep.a[2]"),
       "nested: the path to it")
    eq(c.call("calendar.get", {"year": 2026})["holidays"] != [], True, "calendar.set did not run")
    c.send_raw(b'[{"jsonrpc":"2.0","method":"calendar.add","id":4,"params":{"date":"2026-01-05","days":1}},'
               b'{"jsonrpc":"2.0","method":"calendar.add","id":5,"params":{"days":9223372036854775808}},'
               b'{"jsonrpc":"2.0","method":"calendar.add","params":{"days":1}}]\n')
    r = c.recv_line()
    eq([(err_code(x), x.get("id")) for x in r], [(-32600, 4), (-32602, 5)],
       "a batch: none runs, each call answered with its id, notifications not")
    c.send_raw(b'{"jsonrpc":"2.0","method":"calendar.add","id":99999999999999999999,"params":{}}\n')
    r = c.recv_line()
    eq((err_code(r), r.get("id", "missing")), (-32600, None),
       "an id out of range is an invalid request, answered with id null")
    eq(c.call("calendar.add", {"date": "2026-01-05", "days": 3}), "2026-01-08",
       "the connection goes on")
    def field_of(raw_id, params):
        c.send_raw(b'{"jsonrpc":"2.0","method":"calendar.add","id":' + raw_id +
                   b',"params":' + params + b'}\n')
        r = c.recv_line()
        return err_code(r), r.get("id", "missing"), ((r.get("error") or {}).get("data") or {}).get("field")

    eq(field_of(b"6", b'{"date":"2026-01-05","days":1e999}'), (-32602, 6, "days"),
       "a real out of range too")
    eq(field_of(b"9007199254740993", b'{"days":100000000000000000000}'),
       (-32602, 9007199254740993, "days"), "an id past 2^53 is echoed exactly")
    eq(field_of(b"9223372036854775807", b'{"days":100000000000000000000}'),
       (-32602, 9223372036854775807, "days"), "the largest id is echoed")
    eq(field_of(b"-9223372036854775809", b'{"days":1}'), (-32600, None, None),
       "an id just past the smallest: id null")
    eq(field_of(b"7", b'{"x":9223372036854775807,"y":1e300,"days":100000000000000000000}'),
       (-32602, 7, "days"), "values in range before it are not blamed")
    eq(field_of(b"8", b'{"days":-9223372036854775809}'), (-32602, 8, "days"),
       "just past the smallest integer")
    eq(field_of(b"9", b'{"":100000000000000000000}'), (-32602, 9, ""),
       "an empty key is named as it is")
    eq(field_of(b"10", b'{"days":1' + b"0" * 400 + b'}'), (-32602, 10, "days"),
       "past what a double holds too")
    c.send_raw(b'{"jsonrpc":"2.0","method":"calendar.add","id":11,'
               b'"params":{"days":100000000000000000000,"days":1}}\n')
    eq(err_code(c.recv_line()), -32600, "with a duplicate key as well: the duplicate")
    c.send_raw(b'{"jsonrpc":"2.0","method":"calendar.add","id":12,'
               b'"params":{"days":100000000000000000000}\n')
    eq(err_code(c.recv_line()), -32700, "with a syntax error as well: a parse error")
    for bad in (b'[1e999,0' + b'0' * 20 + b']', b'[1e999,1-' + b'2' * 20 + b']',
                b'[1e999,1e5' + b'x' * 3 + b']'):
        c.send_raw(b'{"jsonrpc":"2.0","method":"calendar.add","id":13,"params":' + bad + b'}\n')
        eq(err_code(c.recv_line()), -32700, "with a malformed number as well: a parse error")
    eq(c.call("calendar.add", {"date": "2026-01-05", "days": 3}), "2026-01-08",
       "and the connection goes on")
    c.close()


def test_spec_invalid_request_object():
    c = authed()
    c.send_raw(b'{"jsonrpc": "2.0", "method": 1, "params": "bar"}\n')
    r = c.recv_line()
    eq(r, {"jsonrpc": "2.0", "error": r.get("error"), "id": None},
       "invalid Request object: id null")
    eq(err_code(r), -32600, "invalid Request object: -32600")
    c.close()


def test_spec_batch_invalid_json():
    c = authed()
    c.send_raw(b'[\n')  # a newline ends the text: "[" alone is invalid
    r = c.recv_line()
    eq(err_code(r), -32700, "a line '[' is a parse error")
    c.send_raw(b'[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},'
               b'{"jsonrpc": "2.0", "method"]\n')
    r = c.recv_line()
    ok(isinstance(r, dict), "batch with invalid JSON: one response, not an array", r)
    eq(err_code(r), -32700, "batch with invalid JSON: -32700")
    eq(r.get("id", "missing"), None, "... id null")
    c.close()


def test_spec_empty_array():
    c = authed()
    c.send_raw(b"[]\n")
    r = c.recv_line()
    ok(isinstance(r, dict), "empty array: a single response object", r)
    eq(err_code(r), -32600, "empty array: -32600")
    eq(r.get("id", "missing"), None, "... id null")
    c.close()


def test_spec_invalid_batch():
    c = authed()
    c.send_raw(b"[1]\n")
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 1, "[1]: an array of one error", r)
    if isinstance(r, list) and r:
        eq(err_code(r[0]), -32600, "[1]: -32600")
        eq(r[0].get("id", "missing"), None, "[1]: id null")
    c.send_raw(b"[1,2,3]\n")
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 3, "[1,2,3]: an array of three errors", r)
    if isinstance(r, list):
        eq([err_code(x) for x in r], [-32600] * 3, "[1,2,3]: three -32600")
    c.close()


def test_spec_mixed_batch():
    c = authed()
    batch = [
        req("system.health", id="1"),
        req("system.health", notification=True),
        req("calendar.is_workday", {"date": WORKDAY}, id="2"),
        {"foo": "boo"},
        req("foo.get", {"name": "myself"}, id="5"),
        req("calendar.is_workday", {"date": WEEKEND}, id="9"),
    ]
    c.send_raw(line(batch))
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 5, "mixed batch: five responses", r)
    if isinstance(r, list) and len(r) == 5:
        eq([x.get("id") for x in r], ["1", "2", None, "5", "9"],
           "mixed batch: ids in call order, invalid request has id null")
        ok("result" in r[0], "mixed batch: health answered", r[0])
        eq(r[1].get("result"), True, "mixed batch: is_workday true")
        eq(err_code(r[2]), -32600, "mixed batch: {\"foo\": \"boo\"} is -32600")
        eq(err_code(r[3]), -32601, "mixed batch: foo.get is -32601")
        eq(r[4].get("result"), False, "mixed batch: is_workday false")
    c.close()


def test_spec_all_notifications_batch():
    c = authed()
    c.send_raw(line([req("calendar.is_workday", {"date": WORKDAY}, notification=True),
                     req("system.health", notification=True)]))
    r = marker(c)
    eq(r.get("id"), "mark", "batch of notifications: no response at all")
    c.close()


def test_envelope_checks():
    c = authed()
    cases = [
        ({"jsonrpc": "1.0", "method": "system.health", "id": 1}, -32600, 1,
         "jsonrpc 1.0"),
        ({"method": "system.health", "id": 2}, -32600, 2, "jsonrpc missing"),
        ({"jsonrpc": "2.0", "id": 3}, -32600, 3, "method missing"),
        ({"jsonrpc": "2.0", "method": "system.health", "params": "x", "id": 4},
         -32600, 4, "params a string"),
        ({"jsonrpc": "2.0", "method": "system.health", "params": 5, "id": 5},
         -32600, 5, "params a number"),
        ({"jsonrpc": "2.0", "method": "system.health", "id": {"a": 1}}, -32600,
         None, "id an object"),
        ({"jsonrpc": "2.0", "method": "system.health", "id": [1]}, -32600,
         None, "id an array"),
        ({"jsonrpc": "2.0", "method": "system.health", "id": True}, -32600,
         None, "id a boolean"),
    ]
    for msg, code, id, what in cases:
        c.send_raw(line(msg))
        r = c.recv_line()
        ok(err_code(r) == code and r.get("id", "missing") == id,
           "%s: %d with id %r" % (what, code, id), r)
    c.send_raw(b"42\n")
    eq(err_code(c.recv_line()), -32600, "a bare number is an invalid request")
    c.send_raw(b'"x"\n')
    eq(err_code(c.recv_line()), -32600, "a bare string is an invalid request")
    c.send_raw(b"null\n")
    eq(err_code(c.recv_line()), -32600, "null is an invalid request")
    for id in ("abc", 0, -17, 1.5, "", "中文", 2 ** 63 - 1):
        r = c.request("system.health", id=id)
        ok(r.get("id") == id and "result" in r, "id %r echoed" % (id,), r)
    c.send_raw(b'{"jsonrpc":"2.0","method":"system.health","id":null}\n')
    r = c.recv_line()
    ok("result" in r and r["id"] is None, "id null is a request, answered with id null", r)
    c.send_raw(b'{"jsonrpc":"2.0","method":"system.health","id":1,"extra":true}\n')
    ok("result" in c.recv_line(), "an unknown member is ignored")
    c.close()


def test_error_shape():
    c = authed()
    r = c.request("calendar.is_workday", {"date": "not-a-date"})
    e = r.get("error", {})
    eq(e.get("code"), -32602, "a bad date is -32602")
    ok(isinstance(e.get("message"), str) and e["message"], "errors have a message", e)
    d = e.get("data") or {}
    eq(d.get("field"), "date", "-32602 data names the field")
    ok(isinstance(d.get("reason"), str), "-32602 data has a reason", e)
    eq(sorted(r.keys()), ["error", "id", "jsonrpc"], "error response members")
    r = c.request("calendar.is_workday", {"date": WORKDAY})
    eq(sorted(r.keys()), ["id", "jsonrpc", "result"], "result response members")
    c.close()


# --- framing ----------------------------------------------------------------

def test_one_line_per_response():
    c = authed()
    c.send_raw(line(req("calendar.is_workday", {"date": "x\ny\u2028"}, id=1)))
    c.sock.settimeout(10)
    data = b""
    while not data.endswith(b"\n"):
        chunk = c.sock.recv(65536)
        if not chunk:
            break
        data += chunk
    eq(data.count(b"\n"), 1, "a response is exactly one line")
    ok(b" " not in data.split(b'"message"')[0], "responses are compact JSON", data)
    c.close()


def test_blank_lines_ignored():
    c = authed()
    c.send_raw(b"\n\n   \n\t\r\n \r\n")
    r = marker(c)
    eq(r.get("id"), "mark", "empty and whitespace-only lines get no response")
    c.send_raw(b'{"jsonrpc":"2.0","method":"system.health","id":"crlf"}\r\n')
    eq(c.recv_line().get("id"), "crlf", "CRLF line ends are accepted")
    c.close()


def test_pipelined_responses_in_order():
    c = authed()
    reqs = []
    for i in range(300):
        if i % 3 == 0:
            reqs.append(line(req("system.health", id=i)))
        elif i % 3 == 1:
            reqs.append(line(req("calendar.is_workday", {"date": WORKDAY}, id=i)))
        else:
            reqs.append(b"{bad json %d\n" % i)
    c.send_raw(b"".join(reqs))
    got = []
    for i in range(300):
        got.append(c.recv_line())
    ids = [r.get("id") for r in got]
    want = [i if i % 3 != 2 else None for i in range(300)]
    eq(ids, want, "300 pipelined requests answered in request order")
    eq(sum(1 for r in got if err_code(r) == -32700), 100,
       "the bad lines among them are -32700 and the rest go on")
    c.close()


def test_request_split_across_packets():
    c = authed()
    data = line(req("calendar.is_workday", {"date": WORKDAY}, id="split"))
    for i in range(len(data)):
        c.send_raw(data[i:i + 1])
        if i % 10 == 0:
            time.sleep(0.002)
    eq(c.recv_line().get("id"), "split", "a request sent byte by byte is answered")
    two = line(req("system.health", id="a")) + line(req("system.health", id="b"))
    c.send_raw(two[:10])
    time.sleep(0.05)
    c.send_raw(two[10:60])
    time.sleep(0.05)
    c.send_raw(two[60:])
    eq([c.recv_line().get("id"), c.recv_line().get("id")], ["a", "b"],
       "two requests split at odd places")
    c.close()


def test_half_close_final_request():
    c = daemon().client()
    c.send_raw(line(req("auth", {"token": daemon().admin_token}, id=1)))
    c.send_raw(line(req("system.health", id=2)))
    c.send_raw(json.dumps(req("calendar.is_workday", {"date": WORKDAY}, id=3)).encode())
    c.sock.shutdown(socket.SHUT_WR)
    lines, eof = read_to_eof(c)
    eq([x.get("id") for x in lines], [1, 2, 3],
       "after a half-close every request is answered, the last without newline")
    ok(eof, "then the server closes")
    c.close()

    c = daemon().client()
    c.send_raw(line(req("system.health", id=1)))
    c.sock.shutdown(socket.SHUT_WR)
    lines, eof = read_to_eof(c)
    ok(len(lines) == 1 and eof, "half-close after a complete line: one answer, then close",
       lines)
    c.close()

    c = daemon().client()
    c.sock.shutdown(socket.SHUT_WR)
    lines, eof = read_to_eof(c)
    ok(lines == [] and eof, "half-close with nothing sent: closed at once", lines)
    c.close()

    c = daemon().client()
    c.send_raw(b'{"jsonrpc":"2.0","method":')
    c.sock.shutdown(socket.SHUT_WR)
    lines, eof = read_to_eof(c)
    ok(len(lines) == 1 and err_code(lines[0]) == -32700 and eof,
       "a truncated final request is a parse error, then close", lines)
    c.close()


def test_oversize_line():
    d = Daemon(config="max_request_bytes = 4096\n")
    try:
        c = d.client(d.admin_token)
        body = json.dumps(req("system.health", id="fit"))
        exact = body + " " * (4096 - len(body)) + "\n"
        c.send_raw(exact)
        eq(c.recv_line().get("id"), "fit", "a line of exactly max_request_bytes is served")
        # Reading stops while the input holds max_request_bytes + 1 and
        # goes on as lines are taken: a submit (which waits for its
        # commit, the input filling meanwhile), then 40 KB of short lines
        # in one write.
        sub = req("app.submit", {"applicant": {"kind": "natural_person", "name": "张三"},
                                 "channel": "online", "description": "流水线"}, id="sub")
        many = line(sub) + b"".join(line(req("calendar.is_workday", {"date": WORKDAY}, id=i))
                                    for i in range(500))
        ok(len(many) > 10 * 4097, "the pipelined lines are many times the cap (%d bytes)" % len(many))
        c.send_raw(many)
        eq([c.recv_line().get("id") for i in range(501)], ["sub"] + list(range(500)),
           "pipelined lines many times max_request_bytes: every one answered, in order")
        c.send_raw(body + " " * (4097 - len(body)) + "\n")
        r = c.recv_line()
        eq(err_code(r), -32600, "a line over max_request_bytes: -32600")
        eq(r.get("id", "missing"), None, "... with id null")
        rest, eof = read_to_eof(c, 5)
        ok(eof and rest == [], "... and the connection is closed", rest)
        c.close()

        c = d.client(d.admin_token)
        c.send_raw(b'{"jsonrpc":"2.0","method":"system.health","params":{"x":"' +
                   b"a" * 10000)
        r = c.recv_line()
        eq(err_code(r), -32600, "an unterminated line over the cap: -32600 at once")
        rest, eof = read_to_eof(c, 5)
        ok(eof, "... then closed")
        c.close()

        c = d.client(d.admin_token)
        c.send_raw(line(req("system.health", id="before")) + b"x" * 200000 + b"\n")
        r1 = c.recv_line()
        r2 = c.recv_line()
        eq(r1.get("id"), "before", "requests before an oversize line are answered")
        eq(err_code(r2), -32600, "then the oversize error")
        c.close()
        c = d.client(d.admin_token)
        eq(c.call("system.health").get("ok"), True, "the daemon goes on")
        c.close()
    finally:
        d.cleanup()


def test_unknown_method_echo_is_cut():
    c = authed()
    r = c.request("x" * 5000)
    ok(err_code(r) == -32601 and r["error"]["data"]["method"] == "x" * 64 + "...",
       "a 5,000-byte unknown method is echoed cut to 64 bytes and \"...\"", r.get("error"))
    r = c.request("应" * 30)
    eq(r["error"]["data"]["method"], "应" * 21 + "...",
       "cut where a character begins (21 three-byte characters)")
    r = c.request("app.nope")
    eq(r["error"]["data"]["method"], "app.nope", "a short one whole")
    c.close()


def test_limits_before_auth_and_values_per_line():
    """What one line may cost: before auth at most 64 KiB and 1024 values;
    after it max_request_bytes and 65,536 values. A megabyte of
    "[{},{},...]" became ~80 MB of tree, and needed no token."""
    d = daemon()
    c = d.client()
    big = json.dumps(req("system.health", {"pad": "x" * 70000}, id="big")) + "\n"
    c.send_raw(big)
    r = c.recv_line()
    eq((err_code(r), r.get("id", "missing")), (-32600, None),
       "before auth a line over 64 KiB: -32600 with id null")
    rest, eof = read_to_eof(c, 5)
    ok(eof, "... then closed", rest)
    c.close()

    c = d.client()
    c.send_raw("[" + ",".join(["{}"] * 2000) + "]\n")
    r = c.recv_line()
    ok(err_code(r) == -32600 and "1024 values before auth" in r["error"]["message"],
       "before auth a line of 2,000 values: one -32600 naming the limit", r)
    eq(c.call("auth", {"token": d.admin_token}).get("user"), "admin",
       "the connection goes on: auth on the next line")
    c.send_raw(big)
    r = c.recv_line()
    ok(r.get("id") == "big" and err_code(r) == -32602,
       "after auth the same 70 KB line is read (its unknown field refused)", r)
    c.send_raw("[" + ",".join(["1"] * 70000) + "]\n")
    r = c.recv_line()
    ok(err_code(r) == -32600 and "65536 values" in r["error"]["message"],
       "after auth a line of 70,000 values: one -32600", r)
    tricky = json.dumps(req("system.health", {"pad": "\\\",[{" * 30000}, id="str"))
    c.send_raw(tricky + "\n")
    r = c.recv_line()
    ok(r.get("id") == "str" and err_code(r) == -32602,
       "commas and brackets inside a string (escaped quotes too) are not values", r)
    batch = [req("calendar.is_workday", {"date": WORKDAY}, id=i) for i in range(3000)]
    c.send_raw(json.dumps(batch) + "\n")
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 3000 and all(x.get("result") is True for x in r),
       "a batch of 3,000 calls (15,000 values) is answered", (type(r), len(r) if r else r))
    eq(c.call("system.health").get("ok"), True, "and the connection goes on")
    c.close()


def test_batch_auth_head_lifts_the_limits_before_auth():
    """SPEC 5: a client that opens one connection per request sends
    [auth, call], and a line may be max_request_bytes. A batch that begins
    with an auth whose token is valid gets an authenticated connection's
    limits; any other line before auth keeps 64 KiB and 1024 values."""
    d = daemon()
    # The largest description (10,000 characters), each written as an
    # escaped surrogate pair: ~120 KB, as json.dumps writes by default.
    desc = "\U0001F600" * 10000
    sub = req("app.submit", {"applicant": {"kind": "natural_person", "name": "一次连接"},
                             "channel": "online", "description": desc}, id=2)
    text = json.dumps([req("auth", {"token": d.admin_token}, id=1), sub]) + "\n"
    ok(len(text) > 120000, "a line of %d bytes" % len(text))
    c = d.client()
    c.send_raw(text)
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 2 and r[0].get("result", {}).get("user") == "admin"
       and len((r[1].get("result") or {}).get("description", "")) == 10000,
       "[auth, app.submit] of 120 KB before auth: both answered",
       r if not isinstance(r, list) else [x.get("error") for x in r])
    c.close()
    # Many values: [auth, 300 calls] (~1,500 values).
    batch = [req("auth", {"token": d.admin_token}, id=0)] + \
        [req("calendar.is_workday", {"date": WORKDAY}, id=i) for i in range(1, 301)]
    c = d.client()
    c.send_raw(json.dumps(batch) + "\n")
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 301 and all(x.get("result") is True for x in r[1:]),
       "[auth, 300 calls] before auth: all answered",
       r if not isinstance(r, list) else r[:2])
    c.close()
    # Sent in pieces, the head first: the same.
    c = d.client()
    raw = text.encode()
    for k in range(0, len(raw), 30000):
        c.send_raw(raw[k:k + 30000])
        time.sleep(0.05)
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 2 and "result" in r[1],
       "sent in pieces of 30 KB: answered", r if not isinstance(r, list) else None)
    c.close()
    # A wrong token, an auth not first, a disabled user: still refused.
    a = authed(d)
    tok = a.call("user.create", {"name": "proto_head_off", "roles": ["clerk"]})["token"]
    a.call("user.disable", {"name": "proto_head_off"})
    a.close()
    for head, what in (([req("auth", {"token": "wrong"}, id=1)], "a wrong token"),
                       ([req("system.health", id=0), req("auth", {"token": d.admin_token}, id=1)],
                        "auth not first"),
                       ([req("auth", {"token": tok}, id=1)], "a disabled user's token"),
                       ([{"jsonrpc": "2.0", "method": "auth", "id": 1}], "no token")):
        c = d.client()
        c.send_raw(json.dumps(head + [sub]) + "\n")
        r = c.recv_line()
        eq((err_code(r), r.get("id", "missing")), (-32600, None),
           "%s at the head of a 120 KB line: -32600, id null" % what)
        rest, eof = read_to_eof(c, 5)
        ok(eof, "... then closed", rest)
        c.close()
    c = d.client()
    many = [req("auth", {"token": "wrong"}, id=0)] + \
        [req("calendar.is_workday", {"date": WORKDAY}, id=i) for i in range(1, 301)]
    c.send_raw(json.dumps(many) + "\n")
    r = c.recv_line()
    ok(err_code(r) == -32600 and "1024 values before auth" in r["error"]["message"],
       "[auth with a wrong token, 300 calls]: -32600 naming the limit", r)
    rest, eof = read_to_eof(c, 5)
    ok(eof, "... then closed: a guess costs a connection", rest)
    c.close()
    # A first element that is not an auth: refused, the connection goes on.
    c = d.client()
    c.send_raw(json.dumps([{"x": [[]] * 3000}, req("system.health", id=1)]) + "\n")
    r = c.recv_line()
    ok(err_code(r) == -32600 and "1024 values before auth" in r["error"]["message"],
       "a batch of 3,000 values whose first element is no auth: -32600", r)
    eq(c.call("auth", {"token": d.admin_token}).get("user"), "admin",
       "and the connection goes on")
    c.close()


def test_oversize_default_limit():
    c = authed()
    big = b'{"jsonrpc":"2.0","method":"system.health","id":1,"pad":"' + \
        b"x" * (1 << 20) + b'"}\n'
    try:
        c.send_raw(big)
    except OSError:
        pass
    r = c.recv_line(20)
    eq(err_code(r), -32600, "a line over 1 MiB (the default): -32600")
    rest, eof = read_to_eof(c, 10)
    ok(eof, "... and closed")
    c.close()
    c = authed()
    small = b'{"jsonrpc":"2.0","method":"system.health","id":1,"pad":"' + \
        b"x" * ((1 << 20) - 200) + b'"}\n'
    c.send_raw(small)
    r = c.recv_line(20)
    eq(r.get("id"), 1, "a line just under 1 MiB is served")
    c.close()


# --- writes, ordering and the group commit ---------------------------------

def test_batch_with_writes():
    c = daemon().client()
    c.send_raw(line([req("auth", {"token": daemon().admin_token}, id=1),
                     req("user.create", {"name": "proto_w1", "roles": ["clerk"]}, id=2),
                     req("user.create", {"name": "proto_w2", "roles": ["reviewer"]},
                         notification=True),
                     req("user.create", {"name": "proto_w1", "roles": ["clerk"]}, id=3),
                     req("system.health", id=4)]))
    r = c.recv_line()
    ok(isinstance(r, list) and len(r) == 4, "batch with writes: four responses", r)
    if isinstance(r, list) and len(r) == 4:
        eq([x.get("id") for x in r], [1, 2, 3, 4], "... in call order")
        ok("result" in r[1] and r[1]["result"].get("token"), "write in a batch answered", r[1])
        ok("error" in r[2], "a later call in the batch sees the earlier write "
           "(duplicate name refused)", r[2])
        ok("result" in r[3], "a read after the writes is answered", r[3])
    # Pipelined write then read on one connection: in order.
    c.send_raw(line(req("user.create", {"name": "proto_w3", "roles": ["clerk"]}, id=5)) +
               line(req("system.health", id=6)) +
               line(req("user.create", {"name": "proto_w4", "roles": ["clerk"]}, id=7)))
    eq([c.recv_line().get("id") for _ in range(3)], [5, 6, 7],
       "pipelined writes and reads answered in order")
    c.close()


# --- limits and timeouts ----------------------------------------------------

def busy_refusal(c):
    """The message of the one -32005 line a refused connection gets before
    its end, or the lines it got instead (a list); closes c."""
    lines, eof = read_to_eof(c, 5)
    c.close()
    if eof and len(lines) == 1 and err_code(lines[0]) == -32005:
        return lines[0]["error"]["message"]
    return lines


def wait_connections(c, n, seconds=5):
    """system.health's connections once it is n, or after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline and c.call("system.health")["connections"] != n:
        time.sleep(0.05)
    return c.call("system.health")["connections"]


def test_max_connections():
    d = Daemon(config="max_connections = 3\n")
    try:
        cs = [d.client(d.admin_token) for _ in range(3)]
        got = busy_refusal(d.client())
        ok(isinstance(got, str), "over max_connections: one -32005 line, then closed", got)
        eq(cs[0].call("system.health").get("ok"), True, "the first three still work")
        cs[0].close()
        time.sleep(0.3)
        c = d.client(d.admin_token)
        eq(c.call("system.health").get("ok"), True, "a slot frees when a client leaves")
        c.close()
        for x in cs[1:]:
            x.close()
    finally:
        d.cleanup()


def served_in_place_of(d, victim, what):
    """A new admin client is served at max_connections (3), and victim,
    evicted for it, sees its stream end with nothing on it."""
    c = d.client(d.admin_token)
    eq(c.call("system.health").get("connections"), 3,
       "a new client is served, the count still 3")
    lines, eof = read_to_eof(victim, 5)
    ok(eof and lines == [], what, lines)
    return c


def disabled_user_refused(clerk, what):
    """clerk's next request, its user disabled, is refused: from then on
    the connection is unauthenticated."""
    clerk.send_raw(line(req("system.health", {}, id="h")))
    eq(err_code(clerk.recv_line()), -32001, what)


def test_max_connections_unauthenticated_give_way():
    """At max_connections a new client takes the place of the oldest
    connection that never authenticated: a flood of idle connections
    cannot lock the users out."""
    d = Daemon(config="max_connections = 3\n")
    try:
        idle = [d.client() for _ in range(3)]
        idle[1].send_raw(line(req("auth", {"token": d.admin_token}, id="a")))
        eq(idle[1].recv_line().get("id"), "a", "the second one authenticates")
        c = served_in_place_of(d, idle[0], "the oldest unauthenticated one was closed")
        c2 = served_in_place_of(d, idle[2], "then the next oldest")
        got = busy_refusal(d.client())
        ok(isinstance(got, str), "with every connection authenticated, a new one is refused",
           got)
        eq(idle[1].call("system.health").get("ok"), True,
           "the authenticated one was never touched")
        for x in idle + [c, c2]:
            x.close()
        ok("reason=evicted" in d.read_log(), "the log says why they were closed")
    finally:
        d.cleanup()
    # A client its address's cap refuses evicts nobody.
    d = Daemon(config="max_connections = 3\nmax_connections_per_address = 1\n")
    try:
        idle = d.client(source="127.0.0.2")
        cs = [d.client(d.admin_token, source=x) for x in ("127.0.0.3", "127.0.0.4")]
        got = busy_refusal(d.client(source="127.0.0.3"))
        ok(isinstance(got, str) and "your address" in got,
           "at max_connections, a second from one address is refused for its address", got)
        idle.send_raw(line(req("auth", {"token": d.admin_token}, id="still")))
        eq(idle.recv_line().get("id"), "still", "and the idle one was not evicted for it")
        for x in cs + [idle]:
            x.close()
    finally:
        d.cleanup()
    # A connection whose user was disabled is unauthenticated from its next
    # request on, and gives way like one that never authenticated; before
    # that request it holds its place.
    d = Daemon(config="max_connections = 3\n")
    try:
        tok, clerk = d.user("kept", "clerk")
        a = d.client(d.admin_token)
        b = d.client(d.admin_token)
        a.call("user.disable", {"name": "kept"})
        got = busy_refusal(d.client())
        ok(isinstance(got, str), "its connection still counts as authenticated", got)
        disabled_user_refused(clerk, "a disabled user's request is refused")
        c = served_in_place_of(d, clerk, "in the place of the disabled user's connection")
        eq(b.call("system.health").get("ok"), True, "the others were not touched")
        for x in (a, b, c, clerk):
            x.close()
    finally:
        d.cleanup()
    # The one evicted is the one unauthenticated longest, not the one
    # opened first: a connection idle since before the clerk was disabled
    # goes first, the clerk's next.
    d = Daemon(config="max_connections = 3\n")
    try:
        tok, clerk = d.user("kept", "clerk")
        a = d.client(d.admin_token)
        idle = d.client()
        a.call("user.disable", {"name": "kept"})
        disabled_user_refused(clerk, "the clerk, opened first, is refused")
        c = served_in_place_of(d, idle, "in the place of the connection idle since before")
        c2 = served_in_place_of(d, clerk, "then in the place of the clerk's")
        ok(isinstance(busy_refusal(d.client()), str), "then a new one is refused")
        for x in (a, idle, c, c2, clerk):
            x.close()
    finally:
        d.cleanup()


def test_max_connections_per_address():
    d = Daemon(config="max_connections = 10\nmax_connections_per_address = 2\n")

    def reload(cap):
        with open(os.path.join(d.tmp, "ogid.conf"), "w") as f:
            f.write("max_connections = 10\nmax_connections_per_address = %d\n" % cap)
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline and a.call("system.health")["limits"].get(
                "max_connections_per_address") != cap:
            time.sleep(0.05)

    def refused(c, why):
        got = busy_refusal(c)
        return isinstance(got, str) and ("your address" in got) == why, got

    def count(n):
        return wait_connections(a, n)

    try:
        a = d.client(d.admin_token)
        b = d.client()
        eq(a.call("system.health")["limits"].get("max_connections_per_address"), 2,
           "system.health shows the cap per address")
        r, got = refused(d.client(), True)
        ok(r, "a third connection from one address: one -32005 line naming the "
           "address as the cause, then closed", got)
        ok(re.search(r"event=refused peer=127\.0\.0\.1:\d+ "
                     r"reason=max_connections_per_address limit=2", d.read_log()),
           "the refusal is logged with the address", d.read_log()[-500:])
        # Another address has slots of its own (127.0.0.2 is loopback too).
        others = [d.client(d.admin_token, source="127.0.0.2") for _ in range(2)]
        eq(others[1].call("system.health").get("ok"), True,
           "another address is not refused")
        eq(count(4), 4, "the refused one is not counted")
        # A slot frees when a client of that address leaves.
        b.close()
        eq(count(3), 3, "a client left")
        c = d.client(d.admin_token)
        eq(c.call("system.health").get("ok"), True,
           "a slot frees when a client leaves")
        # A reload with no cap lets more in, one with a cap counts them all.
        reload(0)
        more = [d.client(d.admin_token) for _ in range(3)]
        eq(count(7), 7, "after a reload with 0, no cap per address")
        reload(2)
        r, got = refused(d.client(), True)
        ok(r, "a reload back to 2 counts the connections opened meanwhile", got)
        more += [d.client(d.admin_token, source="127.0.0.%d" % i) for i in (3, 4, 5)]
        eq(count(10), 10, "other addresses fill max_connections")
        r, got = refused(d.client(source="127.0.0.6"), False)
        ok(r, "over max_connections: the general -32005", got)
        for x in [a, c] + others + more:
            x.close()
    finally:
        d.cleanup()


def test_connections_from_many_addresses():
    # 300 addresses of 127/8, one connection each: the table of addresses
    # grows past its first 256 buckets and empties again.
    d = Daemon(config="max_connections = 400\nmax_connections_per_address = 1\n")
    try:
        addrs = ["127.0.%d.%d" % (1 + i // 200, 1 + i % 200) for i in range(300)]
        cs = [d.client(source=x) for x in addrs]
        a = d.client(d.admin_token, source="127.0.9.9")
        eq(a.call("system.health").get("connections"), 301,
           "one connection from each of 301 addresses under a cap of 1")
        got = busy_refusal(d.client(source=addrs[150]))
        ok(isinstance(got, str), "a second from one of them is refused", got)
        for c in cs:
            c.close()
        eq(wait_connections(a, 1), 1, "all released")
        back = [d.client(d.admin_token, source=x) for x in addrs[:3]]
        eq(back[2].call("system.health").get("ok"), True,
           "their addresses connect again once released")
        for c in back + [a]:
            c.close()
    finally:
        d.cleanup()


def test_timeouts():
    d = Daemon(config="idle_timeout = 1\nrequest_timeout = 1\n")
    try:
        idle = d.client()
        half = d.client(d.admin_token)
        half.send_raw(b'{"jsonrpc":"2.0",')
        good = d.client(d.admin_token)
        t0 = time.time()
        lines, eof = read_to_eof(idle, 6)
        ok(eof and time.time() - t0 < 5,
           "unauthenticated for idle_timeout: closed", time.time() - t0)
        lines, eof = read_to_eof(half, 6)
        ok(eof, "half a request for request_timeout: closed", lines)
        time.sleep(1.5)
        eq(good.call("system.health").get("ok"), True,
           "an authenticated idle client stays connected")
        good.close()
        # A slow but steady client finishing within the timeout is served.
        c = d.client(d.admin_token)
        data = line(req("system.health", id="slow"))
        c.send_raw(data[:5])
        time.sleep(0.5)
        c.send_raw(data[5:])
        eq(c.recv_line().get("id"), "slow", "a request completed within the timeout")
        # Trickling bytes does not reset the request timeout.
        t0 = time.time()
        closed = False
        try:
            for b in data[:-1]:
                c.send_raw(bytes([b]))
                time.sleep(0.1)
                if time.time() - t0 > 4:
                    break
        except OSError:
            closed = True
        lines, eof = read_to_eof(c, 3)
        ok(closed or eof, "a request trickled a byte at a time past the timeout: closed")
        c.close()
    finally:
        d.cleanup()


def test_sigterm_answers_in_flight():
    d = Daemon()
    try:
        c = d.client(d.admin_token)
        idle = d.client(d.admin_token)
        c.send_raw(b"".join(line(req("system.health", id=i)) for i in range(50)))
        first = c.recv_line()
        d.proc.send_signal(15)
        lines, eof = read_to_eof(c, 15)
        got = [first] + lines
        ok(eof, "after SIGTERM the connection is closed")
        ok(len(got) == 50 and all(r.get("id") == i for i, r in enumerate(got)),
           "every request received before SIGTERM is answered, in order",
           [r.get("id") for r in got][:60])
        ok(all("result" in r or err_code(r) == -32005 for r in got),
           "... with its result or -32005 (retry)")
        lines, eof = read_to_eof(idle, 10)
        ok(eof, "an idle client is closed on SIGTERM")
        rc = d.proc.wait(30)
        eq(rc, 0, "ogid exits 0 on SIGTERM")
    finally:
        d.cleanup()


def test_zz_shared_daemon_clean():
    global _d
    if _d is not None:
        c = authed()
        eq(c.call("system.health").get("ok"), True, "the shared daemon is still healthy")
        c.close()
        _d.cleanup()
        _d = None


if __name__ == "__main__":
    main(globals())
