"""app.get answers from a cache of rendered applications: every change
(transition, timer event, calendar change, a new day) shows at once, and
readers with and without access to personal data never see each other's
view."""
from harness import Daemon, eq, line, main, ok, req


def test_cache_follows_every_change():
    d = Daemon(fake_clock="2026-03-02T09:00:00+08:00")
    try:
        admin = d.admin()
        _, clerk = d.user("clerk", "clerk")
        _, rev = d.user("rev", "reviewer")
        _, sup = d.user("boss", "supervisor")
        a = clerk.call("app.submit", {
            "applicant": {"kind": "natural_person", "name": "张三", "id_number": "110101199001011234",
                          "phone": "13800000000"},
            "channel": "in_person", "description": "缓存测试", "received_on": "2026-03-02"})
        id = a["id"]
        g1 = rev.call("app.get", {"id": id})
        eq(rev.call("app.get", {"id": id}), g1, "a repeated get answers the same")
        ok("id_number" not in g1["applicant"], "reviewer: no personal data")
        g2 = clerk.call("app.get", {"id": id})
        eq(g2["applicant"].get("id_number"), "110101199001011234", "clerk: personal data")
        ok("id_number" not in rev.call("app.get", {"id": id})["applicant"],
           "the clerk's view is not served to the reviewer")
        clerk.call("app.assign", {"id": id, "reviewer": "rev"})
        g = rev.call("app.get", {"id": id})
        eq((g["state"], g["version"]), ("review", 2), "a transition shows at once")
        # Pipelined: a write and a get of the same application in one batch.
        r = clerk.request("app.get", {"id": id})
        eq(r["result"]["assignee"], "rev", "the writer reads its own write")
        due = g["deadline"]["due_on"]
        res = admin.call("clock.set", {"now": "2026-03-03T09:00:00+08:00"})
        g = rev.call("app.get", {"id": id})
        eq(g["deadline"]["remaining_workdays"], admin.call("calendar.count", {"from": "2026-03-03", "to": due}),
           "a new day shows at once")
        n = len(g["history"])
        admin.call("clock.set", {"now": "2026-03-31T09:00:00+08:00"})
        g = rev.call("app.get", {"id": id})
        ok(len(g["history"]) > n, "a timer event shows at once")
        cal = admin.call("calendar.get", {"year": 2026})
        admin.call("calendar.set", {"year": 2026, "holidays": sorted(cal["holidays"] + ["2026-03-10"]),
                                    "workdays": cal["workdays"]})
        g2 = rev.call("app.get", {"id": id})
        eq(g2["deadline"]["due_on"], admin.call("calendar.add", {"date": "2026-03-02", "days": 20}),
           "a calendar change shows at once")
        ok(g2["deadline"]["due_on"] != g["deadline"]["due_on"], "and it moved the due date")
        rev.call("app.review", {"id": id, "outcome": "deny.state_secret", "note": "n"})
        eq(sup.call("app.get", {"id": id})["state"], "ready", "another reader sees the change")
        for c in (admin, clerk, rev, sup):
            c.close()
    finally:
        d.cleanup()


def test_get_between_a_write_and_its_commit():
    """A get on another connection in the same turn of the loop as a write
    reads the state before the write (its commit is not made yet); what it
    rendered is not kept past the commit: the next get shows the write."""
    d = Daemon()
    try:
        _, clerk = d.user("clerk", "clerk")
        _, rev = d.user("rev", "reviewer")
        stale, before = 0, 0
        for i in range(60):
            id = clerk.call("app.submit", {"applicant": {"kind": "natural_person", "name": "张三"},
                                           "channel": "online", "description": "缓存 %d" % i})["id"]
            rev.call("app.get", {"id": id})
            clerk.send_raw(line(req("app.assign", {"id": id, "reviewer": "rev"}, id="w")))
            rev.send_raw(line(req("app.get", {"id": id}, id="g")))
            clerk.recv_line()
            if rev.recv_line()["result"]["version"] == 1:
                before += 1
            if rev.call("app.get", {"id": id})["version"] != 2:
                stale += 1
        print("# %d of 60 gets ran before the write's commit" % before)
        eq(stale, 0, "no get after a commit answers from before it")
        rev.close()
        clerk.close()
    finally:
        d.cleanup()


def test_cache_survives_nothing_across_restart():
    d = Daemon()
    try:
        a = d.admin()
        x = a.call("app.submit", {"applicant": {"kind": "natural_person", "name": "李四"},
                                  "channel": "mail", "description": "重启"})
        before = a.call("app.get", {"id": x["id"]})
        a.close()
        d.restart()
        a = d.admin()
        eq(a.call("app.get", {"id": x["id"]}), before, "the same answer after a restart")
        a.close()
    finally:
        d.cleanup()


def test_rendered_results_keep_any_id():
    d = Daemon()
    try:
        c = d.admin()
        for rid in ("x" * 300, 2 ** 62, "中文编号", None):
            r = c.request("app.submit", {"applicant": {"kind": "natural_person", "name": "甲"},
                                         "channel": "mail", "description": "d"}, id=rid) \
                if rid is not None else None
            if r is None:
                continue
            eq(r.get("id"), rid, "submit answers with id %r" % (rid if len(str(rid)) < 20 else "(long)"))
            ok("result" in r and "\u0001raw" not in r["result"], "a plain application result")
            g = c.request("app.get", {"id": r["result"]["id"]}, id=rid)
            eq((g.get("id"), g["result"]["id"]), (rid, r["result"]["id"]), "get too")
        c.send_raw('[{"jsonrpc":"2.0","method":"app.get","params":{"id":"2026-000001"},"id":"%s"},'
                   '{"jsonrpc":"2.0","method":"system.health","id":2}]\n' % ("y" * 200))
        b = c.recv_response()
        eq([x["id"] for x in b], ["y" * 200, 2], "inside a batch")
        c.close()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
