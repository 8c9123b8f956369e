"""app.list text search over many applications: a common term (more than
a thousand matches) and a rare one give the same order and pages as the
unfiltered list, and with state, assignee, overdue and date filters the
filter's list cut to the term's rows, whichever plan serves them."""
import json
import os
import sqlite3
import time

from harness import Daemon, eq, list_all, main, ok


def submit_batch(c, start, n, desc):
    reqs = []
    for i in range(start, start + n):
        reqs.append({"jsonrpc": "2.0", "id": i, "method": "app.submit", "params": {
            "applicant": {"kind": "natural_person", "name": "申请人%d" % i},
            "channel": "online", "description": desc(i),
            "received_on": "2026-%02d-%02d" % (1 + i % 11, 1 + i % 28)}})
    c.send_raw(json.dumps(reqs, ensure_ascii=False) + "\n")
    resp = c.recv_line(timeout=60)
    return [r["result"]["id"] for r in resp if "result" in r]


def submit_1200(a):
    """1200 applications in batches of 100: a common term in all but one
    in 97, which has a rare one."""
    ids = []
    for b in range(12):
        ids += submit_batch(a, b * 100, 100,
                            lambda i: ("关于城市道路拆迁安置的批复" if i % 97 else "关于罕见事项的说明"))
    return ids


def test_common_and_rare_terms():
    d = Daemon(fake_clock="2026-12-31T09:00:00+08:00")
    try:
        a = d.admin()
        ids = submit_1200(a)
        eq(len(ids), 1200, "1200 applications submitted in batches")
        everything = list_all(a, {})
        common = list_all(a, {"q": "拆迁安置"})
        rare = list_all(a, {"q": "罕见事项"})
        eq(common, [i for i in everything if i in set(common)], "common term: received order")
        ok(len(common) > 1000, "common term matches more than a thousand (%d)" % len(common))
        eq(len(common) + len(rare), 1200, "common and rare split the set")
        eq(rare, [i for i in everything if i in set(rare)], "rare term: received order")
        first = a.call("app.list", {"q": "拆迁安置", "limit": 50})
        eq([i["id"] for i in first["items"]], common[:50], "first page of a common term")
        second = a.call("app.list", {"q": "拆迁安置", "limit": 50, "after": first["next"]})
        eq([i["id"] for i in second["items"]], common[50:100], "second page follows")
        a.close()
    finally:
        d.cleanup()


def test_filters_with_a_term():
    """A term with state, assignee and overdue filters, through the daemon:
    each list is the filter's list cut to the term's rows. Forty of 1,200
    under review make the index's ordered matches give up and the state's
    index be walked; the overdue are fewer than the matches, so their text
    is read; the rest keep the ordered plan (lib/store_list.c). On 30
    November, those received in November are not overdue yet."""
    d = Daemon(fake_clock="2026-11-30T09:00:00+08:00")
    try:
        a = d.admin()
        ids = submit_1200(a)
        eq(len(ids), 1200, "1200 applications submitted")
        d.user("rv", "reviewer")[1].close()
        _, sup = d.user("sup", "clerk", "supervisor")
        for i in ids[::30]:
            sup.call("app.assign", {"id": i, "reviewer": "rv"})
        for q in ("拆迁安置", "罕见事项"):
            matched = set(list_all(a, {"q": q}))
            for flt in ({"state": "review"}, {"state": "received"},
                        {"assignee": "rv"}, {"overdue": True},
                        {"overdue": False},
                        {"overdue": True, "received_from": "2026-03-01",
                         "received_to": "2026-06-30"},
                        {"state": "review", "received_from": "2026-05-01"}):
                want = [i for i in list_all(a, flt) if i in matched]
                for limit in (500, 20):
                    got = list_all(a, dict(flt, q=q), limit)
                    eq(got, want, "q=%s %s, pages of %d: the filter's list cut"
                       " to the term (%d)" % (q, json.dumps(flt, ensure_ascii=False),
                                              limit, len(want)))
        eq(len(list_all(a, {"state": "review"})), 40, "40 under review")
        late = len(list_all(a, {"overdue": True}))
        ok(1000 < late < 1200, "most are overdue, not all (%d)" % late)
        page = a.call("app.list", {"q": "拆迁安置", "state": "review", "limit": 7})
        want = [i for i in list_all(a, {"state": "review"})
                if i in set(list_all(a, {"q": "拆迁安置"}))]
        eq([x["id"] for x in page["items"]], want[:7], "a page of 7 under review")
        page = a.call("app.list", {"q": "拆迁安置", "state": "review", "limit": 7,
                                   "after": page["next"]})
        eq([x["id"] for x in page["items"]], want[7:14], "the next page of 7")
        sup.close()
        a.close()
    finally:
        d.cleanup()


def test_corrected_text_is_searched():
    d = Daemon(fake_clock="2026-12-31T09:00:00+08:00")
    try:
        a = d.admin()
        # Several in one batch: they share one commit, indexed together.
        ids = submit_batch(a, 0, 5, lambda i: "原始描述第%d号文件" % i)
        x = ids[2]
        a.call("app.request_correction", {"id": x, "note": "请补正"})
        a.call("app.correct", {"id": x, "description": "补正后的全新内容"})
        eq([i["id"] for i in a.call("app.list", {"q": "全新内容"})["items"]], [x],
           "the corrected description is found")
        eq([i["id"] for i in a.call("app.list", {"q": "第2号文件"})["items"]], [],
           "the old description is not")
        eq(len(a.call("app.list", {"q": "原始描述"})["items"]), 4, "the others are still found")
        a.close()
        ok(wait_indexed(d, 5, 1), "the indexer catches up: 5 rows, 1 text change")
        d.stop()
        con = sqlite3.connect(d.db + ".search")
        con.execute("INSERT INTO fts(fts) VALUES ('integrity-check')")
        ok(True, "the search index passes its integrity check")
        eq(con.execute("SELECT count(*) FROM fts").fetchone()[0], 5, "one entry per application")
        # an entry's key: the day received in the high 32 bits, the rowid
        # in the low 32 (lib/store_int.h SEARCH_KEY)
        eq(con.execute("SELECT rowid & 4294967295 FROM fts"
                       " WHERE fts MATCH '\"全新内容\"'").fetchall(),
           [(3,)], "the index holds the corrected text")
        con.execute("ATTACH ? AS app", (d.db,))
        eq(con.execute("SELECT count(*) FROM fts JOIN app.apps"
                       " ON apps.rowid = fts.rowid & 4294967295"
                       " WHERE fts.rowid >> 32 = apps.received_on").fetchone()[0],
           5, "every entry is keyed by its day of receipt")
        con.close()
    finally:
        d.cleanup()


def correct_three(a, ids):
    """The first three applications' descriptions replaced."""
    for n, x in enumerate(ids[:3]):
        a.call("app.request_correction", {"id": x, "note": "请补正"})
        a.call("app.correct", {"id": x, "description": "补正内容第%d份" % n})


def dirty_rows(d):
    """search_dirty's (row count, newest seq)."""
    con = sqlite3.connect(d.db, timeout=5)
    r = con.execute("SELECT count(*), max(seq) FROM search_dirty").fetchone()
    con.close()
    return r


def prune(d, a, seconds=20):
    """Submit one application at a time (commits drive pruning) until
    search_dirty is down to its newest row; the number of applications
    there are then."""
    deadline = time.time() + seconds
    n = 4
    while dirty_rows(d)[0] > 1 and time.time() < deadline:
        submit_batch(a, n, 1, lambda i: "另一份文件%d" % i)
        n += 1
        time.sleep(0.3)
    return n


def test_applied_text_changes_are_pruned():
    """search_dirty keeps a row per text change only until the index has
    applied it (and a period has passed); the newest row stays, and
    searches are the same before and after."""
    d = Daemon(fake_clock="2026-12-31T09:00:00+08:00",
               env={"OGID_SEARCH_PRUNE_SECONDS": "1"})
    try:
        a = d.admin()
        ids = submit_batch(a, 0, 4, lambda i: "原始描述第%d号文件" % i)
        correct_three(a, ids)
        ok(wait_indexed(d, 4, 3), "the indexer applied 3 text changes")
        eq(dirty_rows(d), (3, 3), "three text changes recorded")
        prune(d, a)
        eq(dirty_rows(d), (1, 3), "pruned to the newest row once applied and a period passed")
        eq(sorted(i["id"] for i in a.call("app.list", {"q": "补正内容"})["items"]),
           sorted(ids[:3]), "the corrected texts are found")
        eq([i["id"] for i in a.call("app.list", {"q": "原始描述"})["items"]], [ids[3]],
           "the replaced texts are not")
        a.call("app.request_correction", {"id": ids[3], "note": "请补正"})
        a.call("app.correct", {"id": ids[3], "description": "最后一次补正"})
        eq(dirty_rows(d), (2, 4), "the next change numbers past the pruned ones")
        eq([i["id"] for i in a.call("app.list", {"q": "最后一次"})["items"]], [ids[3]],
           "and is searched before it is indexed")
        a.close()
    finally:
        d.cleanup()


def test_an_older_index_after_pruning_is_rebuilt():
    """An index that lost text changes the database has since pruned (a
    power cut rolls back its last commits; an older copy restored) cannot
    catch up: it is rebuilt, and searches find the texts as they are."""
    d = Daemon(fake_clock="2026-12-31T09:00:00+08:00",
               env={"OGID_SEARCH_PRUNE_SECONDS": "1"})
    try:
        a = d.admin()
        ids = submit_batch(a, 0, 4, lambda i: "原始描述第%d号文件" % i)
        ok(wait_indexed(d, 4, 0), "indexed")
        a.close()
        d.stop()
        old = {}
        for sfx in ("", "-wal"):
            if os.path.exists(d.db + ".search" + sfx):
                with open(d.db + ".search" + sfx, "rb") as f:
                    old[sfx] = f.read()
        d.start()
        a = d.admin()
        correct_three(a, ids)
        ok(wait_indexed(d, 4, 3), "the corrections indexed")
        n = prune(d, a)
        eq(dirty_rows(d)[0], 1, "the applied text changes pruned")
        a.close()
        d.stop()
        for sfx in ("", "-wal", "-shm"):
            if os.path.exists(d.db + ".search" + sfx):
                os.unlink(d.db + ".search" + sfx)
        for sfx, data in old.items():
            with open(d.db + ".search" + sfx, "wb") as f:
                f.write(data)
        d.start()
        a = d.admin()
        eq(sorted(i["id"] for i in a.call("app.list", {"q": "补正内容"})["items"]),
           sorted(ids[:3]), "the corrected texts are found")
        eq([i["id"] for i in a.call("app.list", {"q": "原始描述"})["items"]], [ids[3]],
           "the old texts are not")
        ok(wait_indexed(d, n, 3), "the index was made anew and caught up",
           search_meta(d))
        eq(sorted(i["id"] for i in a.call("app.list", {"q": "补正内容"})["items"]),
           sorted(ids[:3]), "and then too")
        a.close()
    finally:
        d.cleanup()


def search_meta(d):
    con = sqlite3.connect(d.db + ".search", timeout=5)
    m = dict(con.execute("SELECT key, value FROM meta").fetchall())
    con.close()
    return m


def wait_indexed(d, last, dirty, seconds=20):
    """Poll <db>.search until the indexer got to rowid last and text
    change dirty."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            con = sqlite3.connect(d.db + ".search", timeout=5)
            m = dict(con.execute("SELECT key, value FROM meta").fetchall())
            con.close()
            if m.get("last") == last and m.get("dirty") == dirty:
                return True
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    return False


def test_index_of_another_database_is_rebuilt():
    """An index that does not describe the database (a backup restored
    under it) is made anew at start; searches are right meanwhile."""
    d = Daemon(fake_clock="2026-12-31T09:00:00+08:00")
    try:
        a = d.admin()
        ids = submit_batch(a, 0, 30, lambda i: "事项%03d号的文件" % i)
        a.close()
        ok(wait_indexed(d, 30, 0), "indexed")
        d.stop()
        con = sqlite3.connect(d.db + ".search")
        con.execute("UPDATE meta SET value = '2026-999999' WHERE key = 'last_id'")
        con.execute("DELETE FROM fts WHERE (rowid & 4294967295) > 10")
        con.commit()
        con.close()
        d.start()
        a = d.admin()
        want = [i for i in list_all(a, {}) if i in set(ids[20:30])]
        eq([i["id"] for i in a.call("app.list", {"q": "事项02"})["items"]], want,
           "a search right after start finds every row")
        a.close()
        ok(wait_indexed(d, 30, 0), "the index is rebuilt")
        with open(d.log_path, "rb") as f:
            ok(b"event=search_rebuild" in f.read(), "the rebuild is logged")
        con = sqlite3.connect(d.db + ".search")
        eq(con.execute("SELECT count(*) FROM fts").fetchone()[0], 30, "every row indexed again")
        con.close()
    finally:
        d.cleanup()


def remove_index(d, suffixes=("", "-wal", "-shm")):
    for suffix in suffixes:
        if os.path.exists(d.db + ".search" + suffix):
            os.unlink(d.db + ".search" + suffix)


def garbage_index(d):
    remove_index(d, ("-wal", "-shm"))
    with open(d.db + ".search", "wb") as f:
        f.write(b"this is not a database" * 500)


def restart_with_index(spoil, what):
    """Stop, spoil <db>.search, start: a search is right at once, and the
    index is made again."""
    d = Daemon(fake_clock="2026-12-31T09:00:00+08:00")
    try:
        a = d.admin()
        ids = submit_batch(a, 0, 10, lambda i: "卷宗%02d号" % i)
        a.close()
        d.stop()
        spoil(d)
        d.start()
        a = d.admin()
        eq([i["id"] for i in a.call("app.list", {"q": "卷宗07号"})["items"]], [ids[7]],
           "%s: found at once" % what)
        a.close()
        ok(wait_indexed(d, 10, 0), "%s: the index is made again" % what)
    finally:
        d.cleanup()


def test_garbage_index_is_made_anew():
    restart_with_index(garbage_index, "an index file that is not a database")


def test_missing_index_is_made():
    restart_with_index(remove_index, "no index file")


def test_a_full_page_of_long_descriptions():
    d = Daemon(fake_clock="2026-12-31T09:00:00+08:00")
    try:
        a = d.admin()
        ids = []
        for b in range(25):  # 20 a batch: a line stays under 1 MiB
            ids += submit_batch(a, b * 20, 20, lambda i: "长" * 9990 + "%010d" % i)
        eq(len(ids), 500, "500 applications of 10,000 characters each")
        r = a.call("app.list", {"limit": 500})
        eq(len(r["items"]), 500, "a page of 500 of them is answered, not dropped")
        item = r["items"][0]
        ok(len(item["description"]) <= 201 and item.get("description_truncated") is True,
           "summaries carry the start of a long description, marked truncated")
        full = a.call("app.get", {"id": item["id"]})["description"]
        eq(len(full), 10000, "app.get returns the whole description")
        ok(full.startswith(item["description"].rstrip("…")), "the summary is its beginning")
        a.close()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main(globals())
