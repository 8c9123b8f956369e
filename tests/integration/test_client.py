"""The ogi client against a real ogid (SPEC section 9): every command, --json,
exit statuses 0/1/2, where the address and token come from, and watch."""
import atexit
import csv
import datetime
import io
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import unicodedata

from harness import OGI, Daemon, eq, main, ok, run_ogi

START = "2026-01-05T09:00:00+08:00"  # a Monday; 2026-01-04 was a 调休 Sunday

_d = None
_tokens = {}


def daemon():
    """One daemon on a fake clock for the whole file, with a user per role."""
    global _d
    if _d is None:
        _d = Daemon(fake_clock=START)
        atexit.register(lambda: _d and _d.stop())
        for name, roles in (("clerk1", ["clerk"]), ("rev1", ["reviewer"]),
                            ("rev2", ["reviewer"]), ("sec1", ["secrecy"]),
                            ("boss", ["supervisor"])):
            tok, c = _d.user(name, *roles)
            c.close()
            _tokens[name] = tok
        _tokens["admin"] = _d.admin_token
    return _d


def addr():
    return "127.0.0.1:%d" % daemon().port


def ogi(*args, user="clerk1", env=None, input=None):
    """Run ogi as a user, address and token given as flags."""
    return run_ogi(["--addr", addr(), "--token", _tokens[user]] + list(args),
                   env=env, input=input)


def rpc(user, method, params=None):
    c = daemon().client(_tokens[user])
    try:
        return c.call(method, params)
    finally:
        c.close()


def submit(name="张三", desc="请公开某路段道路改造工程的立项批复文件", *extra):
    r = ogi("submit", "--name", name, "--channel", "in_person",
            "--description", desc, *extra)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()[0]


def width(s):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def one_line(s):
    return len(s.strip().splitlines()) == 1


def test_help_and_usage():
    r = run_ogi(["help"])
    eq(r.returncode, 0, "ogi help exits 0")
    ok("submit" in r.stdout and "appeal-decided" in r.stdout and
       "workdays" in r.stdout, "ogi help lists the commands", r.stdout)
    r = run_ogi(["review", "--help"])
    eq(r.returncode, 0, "ogi review --help exits 0")
    ok("--note" in r.stdout and "OUTCOME" in r.stdout, "review --help shows its options",
       r.stdout)
    r = run_ogi(["help", "report"])
    ok(r.returncode == 0 and "--csv" in r.stdout, "ogi help report", r.stdout)
    r = run_ogi([])
    eq(r.returncode, 2, "no command: exit 2")
    r = run_ogi(["frobnicate"])
    ok(r.returncode == 2 and one_line(r.stderr), "unknown command: exit 2, one line",
       r.stderr)
    r = run_ogi(["--token", "x", "review", "2026-000001", "grant"])
    ok(r.returncode == 2 and "--note" in r.stderr and one_line(r.stderr),
       "missing required option: exit 2 naming it", r.stderr)
    r = run_ogi(["--token", "x", "show"])
    eq(r.returncode, 2, "missing argument: exit 2")
    r = run_ogi(["--token", "x", "show", "a", "b"])
    eq(r.returncode, 2, "extra argument: exit 2")
    r = run_ogi(["--token", "x", "submit", "--name", "x", "--channel", "mail",
                 "--description", "d", "--received", "2026-02-30"])
    ok(r.returncode == 2 and "--received" in r.stderr, "bad date: exit 2", r.stderr)
    r = run_ogi(["--token", "x", "extend", "2026-000001", "many", "--reason", "r"])
    eq(r.returncode, 2, "DAYS not a number: exit 2")
    r = run_ogi(["--token", "x", "call", "system.health", "{not json"])
    eq(r.returncode, 2, "call with invalid JSON: exit 2")
    r = run_ogi(["--token", "x", "show", "--bogus", "1"])
    eq(r.returncode, 2, "unknown option: exit 2")


def test_connection_errors():
    r = run_ogi(["--addr", "127.0.0.1:1", "--token", "x", "show", "2026-000001"])
    ok(r.returncode == 2 and one_line(r.stderr) and "127.0.0.1:1" in r.stderr,
       "unreachable server: exit 2 with one line", r.stderr)
    r = run_ogi(["--addr", "no-colon-port:", "--token", "x", "show", "1"])
    eq(r.returncode, 2, "malformed address: exit 2")
    home = tempfile.mkdtemp(prefix="ogi-home.")
    r = run_ogi(["--addr", addr(), "show", "2026-000001"], env={"HOME": home})
    ok(r.returncode == 2 and "token" in r.stderr, "no token anywhere: exit 2", r.stderr)
    r = run_ogi(["--addr", addr(), "--token", "wrong", "show", "2026-000001"])
    ok(r.returncode == 1 and one_line(r.stderr), "a refused token: exit 1", r.stderr)


def test_submit_prints_id_and_due_date():
    r = ogi("submit", "--name", "张三", "--channel", "mail", "--description",
            "2025年某路段道路改造工程的立项批复文件", "--phone", "13800000000",
            "--form", "paper", "--delivery", "mail")
    eq(r.returncode, 0, "submit exits 0")
    lines = r.stdout.splitlines()
    ok(len(lines) == 1 and re.fullmatch(r"2026-\d{6}", lines[0]),
       "captured, it prints the new id alone (SPEC section 9)", r.stdout)
    app = rpc("clerk1", "app.get", {"id": lines[0]})
    due = rpc("clerk1", "calendar.add", {"date": "2026-01-05", "days": 20})
    eq(app["deadline"]["due_on"], due, "due date is 20 working days after receipt")
    # On a terminal the due date follows.
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(OGI, [OGI, "--addr", addr(), "--token", _tokens["clerk1"],
                        "submit", "--name", "李四", "--channel", "mail",
                        "--description", "终端上的申请"])
        os._exit(127)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    tty_lines = out.decode().splitlines()
    ok(len(tty_lines) == 2 and re.fullmatch(r"2026-\d{6}", tty_lines[0]) and
       tty_lines[1].startswith("due 20"), "on a terminal: the id, then its due date", out)
    eq(app["applicant"], {"kind": "natural_person", "name": "张三",
                          "phone": "13800000000"}, "applicant as given")
    eq((app["channel"], app["form"], app["delivery"]), ("mail", "paper", "mail"),
       "channel, form, delivery as given")

    r = ogi("submit", "--name", "某某律师事务所", "--org", "legal_service", "--channel",
            "online", "--received", "2026-01-03", "--description", "执法案卷",
            "--id-number", "91110000X", "--email", "a@example.cn", "--address",
            "北京市", "--ref", "ref-1")
    eq(r.returncode, 0, "submit for an organization exits 0")
    oid = r.stdout.split()[0]
    app = rpc("clerk1", "app.get", {"id": oid})
    eq((app["applicant"]["kind"], app["applicant"]["category"]),
       ("organization", "legal_service"), "--org sets kind and category")
    eq(app["received_on"], "2026-01-03", "--received sets received_on")
    eq(app["client_ref"], "ref-1", "--ref sets client_ref")
    r = ogi("submit", "--name", "某某律师事务所", "--org", "legal_service", "--channel",
            "online", "--received", "2026-01-03", "--description", "执法案卷",
            "--ref", "ref-1")
    eq(r.stdout.split()[:1], [oid], "a retry with the same --ref gives the same id")

    r = ogi("--json", "submit", "--name", "李四", "--channel", "fax", "--description",
            "x")
    ok(r.returncode == 0 and json.loads(r.stdout)["state"] == "received",
       "submit --json prints the application", r.stdout)
    r = ogi("submit", "--name", "李四", "--channel", "pigeon", "--description", "x")
    ok(r.returncode == 1 and "channel" in r.stderr and one_line(r.stderr),
       "a bad channel: exit 1 naming the field", r.stderr)


def test_show_explains_the_deadline():
    # 2026-01-03 is a Saturday and a holiday: the clock starts on the next
    # working day, Sunday 2026-01-04, a 调休 day.
    r = ogi("submit", "--name", "王五", "--channel", "mail", "--received",
            "2026-01-03", "--description", "预算执行情况")
    aid = r.stdout.split()[0]
    eq(ogi("assign", aid, "rev1", user="boss").returncode, 0, "assign exits 0")
    r = ogi("show", aid)
    eq(r.returncode, 0, "show exits 0")
    out = r.stdout
    app = rpc("clerk1", "app.get", {"id": aid})
    ok(aid in out and "review" in out, "show gives id and state", out)
    ok(re.search(r"Assignee:\s+rev1", out), "show gives the assignee", out)
    ok(app["deadline"]["due_on"] in out, "show gives the due date", out)
    ok(re.search(r"[Ee]ffective start:\s+2026-01-04", out),
       "show gives the effective start", out)
    ok(re.search(r"Days skipped:.*2026-01-10", out), "show lists the days skipped", out)
    ok("app.submit" in out and "app.assign" in out, "history lists the methods", out)
    ok("received→review" in out, "history shows from→to", out)
    ok("boss" in out and "clerk1" in out, "history shows the actors", out)
    r = ogi("--json", "show", aid)
    ok(r.returncode == 0 and json.loads(r.stdout)["deadline"]["due_on"] ==
       app["deadline"]["due_on"], "show --json is app.get's result", r.stdout[:500])
    r = ogi("show", "2026-999999")
    ok(r.returncode == 1 and one_line(r.stderr), "show of an unknown id: exit 1",
       r.stderr)
    r = ogi("--json", "show", "2026-999999")
    ok(r.returncode == 1 and json.loads(r.stderr)["code"] == -32003,
       "--json prints the error object on stderr", r.stderr)


def test_receipt():
    aid = submit("赵六", "关于某小区规划许可的文件")
    app = rpc("clerk1", "app.get", {"id": aid})
    r = ogi("receipt", aid)
    eq(r.returncode, 0, "receipt exits 0")
    out = r.stdout
    ok("受理回执" in out and aid in out and "赵六" in out, "receipt names id and applicant",
       out)
    ok("2026-01-05" in out and "关于某小区规划许可的文件" in out,
       "receipt gives date received and description", out)
    ok(app["deadline"]["due_on"] in out and "20个工作日" in out,
       "receipt gives the legal due date", out)


def test_transitions():
    aid = submit("孙七", "某项目环评批复")
    steps = [
        (["assign", aid, "rev1"], "boss", "review"),
        (["consult", aid, "--party", "某公司", "--note", "涉及商业秘密"], "rev1",
         "consultation"),
        (["consulted", aid, "--opinion", "同意公开"], "rev1", "review"),
        (["review", aid, "partial", "--note", "部分涉及商业秘密"], "rev1", "secrecy"),
        (["secrecy", aid, "fail", "--note", "需再审"], "sec1", "review"),
        (["review", aid, "grant", "--note", "可公开"], "rev1", "secrecy"),
        (["secrecy", aid, "pass", "--note", "ok"], "sec1", "ready"),
        (["fee", aid, "--amount", "100", "--note", "超量"], "clerk1", "fee"),
        (["paid", aid, "--on", "2026-01-05"], "clerk1", "ready"),
        (["extend", aid, "5", "--reason", "需要时间"], "boss", "ready"),
        (["reply", aid, "--note", "已答复"], "clerk1", "replied"),
    ]
    for args, user, state in steps:
        r = ogi(*args, user=user)
        ok(r.returncode == 0 and state in r.stdout,
           "%s as %s: exit 0, now %s" % (args[0], user, state), r.stdout + r.stderr)
        eq(rpc("clerk1", "app.get", {"id": aid})["state"], state,
           "%s leaves the application in %s" % (args[0], state))
    app = rpc("clerk1", "app.get", {"id": aid})
    eq(app["outcome"], "grant", "the outcome is recorded")
    eq(app["deadline"]["extension_days"], 5, "extend adds working days")

    r = ogi("appeal", aid, "reconsideration", "--filed", "2026-01-05")
    ok(r.returncode == 0 and "appeal 1" in r.stdout, "appeal prints its number", r.stdout +
       r.stderr)
    r = ogi("appeal-decided", aid, "1", "upheld", "--on", "2026-01-05")
    eq(r.returncode, 0, "appeal-decided exits 0")
    r = ogi("show", aid)
    ok("reconsideration" in r.stdout and "upheld" in r.stdout, "show lists the appeal",
       r.stdout)

    bid = submit("周八", "某文件")
    r = ogi("correction", bid, "--note", "请明确文件名称", "--within", "10")
    ok(r.returncode == 0 and "correction" in r.stdout, "correction: exit 0", r.stderr)
    ok("paused" in r.stdout, "correction says the clock is paused", r.stdout)
    r = ogi("corrected", bid, "--received", "2026-01-05", "--description", "某文件第3号")
    ok(r.returncode == 0 and "received" in r.stdout, "corrected: back to received",
       r.stdout + r.stderr)
    eq(rpc("clerk1", "app.get", {"id": bid})["description"], "某文件第3号",
       "corrected sets the description")
    r = ogi("withdraw", bid, "--reason", "申请人撤回")
    ok(r.returncode == 0 and "withdrawn" in r.stdout, "withdraw: exit 0", r.stderr)


def test_refusals():
    aid = submit("吴九", "某事项")
    r = ogi("reply", aid, "--note", "x")
    ok(r.returncode == 1 and one_line(r.stderr), "a transition from the wrong state: exit 1",
       r.stderr)
    ok("received" in r.stderr, "the refusal names the state", r.stderr)
    r = ogi("assign", aid, "rev1", user="rev1")
    eq(r.returncode, 1, "a forbidden role: exit 1")
    ogi("assign", aid, "rev1", user="boss")
    r = ogi("review", aid, "maybe", "--note", "x", user="rev1")
    ok(r.returncode == 1 and "outcome" in r.stderr, "a bad outcome: exit 1 naming the field",
       r.stderr)
    r = ogi("review", aid, "grant", "--note", "x", "--if-version", "1", user="rev1")
    eq(r.returncode, 1, "a stale --if-version: exit 1")
    v = rpc("clerk1", "app.get", {"id": aid})["version"]
    r = ogi("review", aid, "grant", "--note", "x", "--if-version", str(v), user="rev1")
    eq(r.returncode, 0, "the current --if-version: exit 0")


def test_list_aligns_cjk():
    names = ["张三丰", "Li Si", "某某科技有限公司", "王"]
    ids = [submit(n, "对齐测试 %d" % i) for i, n in enumerate(names)]
    r = ogi("list", "--search", "对齐测试")
    eq(r.returncode, 0, "list exits 0")
    lines = r.stdout.splitlines()
    rows = [l for l in lines if l[:11] in ids]
    eq(len(rows), 4, "list shows the four applications")
    # The DESCRIPTION column starts at the same display column everywhere.
    cols = set()
    for l in [lines[0]] + rows:
        mark = "DESCRIPTION" if l is lines[0] else "对齐测试"
        cols.add(width(l[:l.index(mark)]))
    eq(len(cols), 1, "columns line up by display width")
    ok(re.search(r"^4 applications$", r.stdout, re.M), "list counts the rows", r.stdout)
    r = ogi("--json", "list", "--search", "对齐测试")
    res = json.loads(r.stdout)
    eq(sorted(i["id"] for i in res["items"]), sorted(ids), "list --json gives the items")
    eq(res["next"], None, "list --json has fetched every page")
    r = ogi("--json", "list", "--state", "withdrawn")
    ok(all(i["state"] == "withdrawn" for i in json.loads(r.stdout)["items"]),
       "list --state filters")
    ogi("assign", ids[0], "rev2", user="boss")
    r = ogi("--json", "list", "--assignee", "rev2")
    eq([i["id"] for i in json.loads(r.stdout)["items"]], [ids[0]], "list --assignee filters")
    r = ogi("list", "--search", "no such thing at all")
    ok(r.returncode == 0 and "no applications" in r.stdout, "an empty list says so",
       r.stdout)


def test_calendar_and_workdays():
    r = ogi("workdays", "2026-01-05", "20")
    eq(r.stdout.strip(), rpc("clerk1", "calendar.add", {"date": "2026-01-05", "days": 20}),
       "workdays prints calendar.add's date")
    r = ogi("workdays", "2026-01-02", "0")
    eq(r.stdout.strip(), "2026-01-04", "a holiday's effective date is the next working day "
       "(here a 调休 Sunday)")
    r = ogi("calendar", "2026")
    eq(r.returncode, 0, "calendar exits 0")
    ok("2026-01-01" in r.stdout and "2026-01-04" in r.stdout,
       "calendar shows holidays and 调休 days", r.stdout)
    ok("none loaded" not in r.stdout, "a loaded year is not said to be missing", r.stdout)
    r = ogi("--json", "calendar", "2026")
    ok("2026-01-04" in json.loads(r.stdout)["workdays"], "calendar --json is calendar.get")
    r = ogi("calendar", "2031")
    eq(r.returncode, 0, "calendar of a year not loaded exits 0")
    ok("Calendar 2031 (none loaded: only weekends are days off)" in r.stdout,
       "and says that no calendar is loaded", r.stdout)


def test_call():
    r = ogi("call", "calendar.is_workday", '{"date": "2026-01-04"}')
    ok(r.returncode == 0 and json.loads(r.stdout) is True,
       "call prints the raw result (a 调休 Sunday works)", r.stdout + r.stderr)
    r = ogi("call", "system.health")
    ok(r.returncode == 0 and json.loads(r.stdout)["ok"] is True, "call without params",
       r.stdout)
    r = ogi("call", "calendar.count", "-", input='{"from": "2026-01-05", "to": "2026-01-12"}')
    eq(r.stdout.strip(), "5", "call reads params from stdin with -")
    r = ogi("call", "no.such.method")
    eq(r.returncode, 1, "call of an unknown method: exit 1")


def test_users():
    r = ogi("user", "add", "clerk9", "clerk", "reviewer", user="admin")
    eq(r.returncode, 0, "user add exits 0")
    m = re.search(r"token: (\S+)", r.stdout)
    ok(m, "user add prints the token", r.stdout)
    tok = m.group(1) if m else "x"
    r = run_ogi(["--addr", addr(), "--token", tok, "call", "system.health"])
    eq(r.returncode, 0, "the new token works")
    r = ogi("user", "list", user="admin")
    ok(re.search(r"^clerk9\s+clerk,reviewer\s+active", r.stdout, re.M),
       "user list shows name, roles, status", r.stdout)
    r = ogi("user", "rotate", "clerk9", user="admin")
    m = re.search(r"token: (\S+)", r.stdout)
    ok(r.returncode == 0 and m and m.group(1) != tok, "user rotate prints a new token",
       r.stdout)
    r = run_ogi(["--addr", addr(), "--token", tok, "call", "system.health"])
    eq(r.returncode, 1, "the old token is refused")
    tok = m.group(1) if m else "x"
    r = ogi("user", "disable", "clerk9", user="admin")
    eq(r.returncode, 0, "user disable exits 0")
    r = run_ogi(["--addr", addr(), "--token", tok, "call", "system.health"])
    eq(r.returncode, 1, "a disabled user is refused")
    r = ogi("user", "list", user="clerk1")
    eq(r.returncode, 1, "user list needs admin")
    r = ogi("user", "frob", user="admin")
    eq(r.returncode, 2, "unknown user subcommand: exit 2")


def test_config_precedence():
    home = tempfile.mkdtemp(prefix="ogi-home.")
    cfgdir = os.path.join(home, ".config", "ogi")
    os.makedirs(cfgdir)
    cfg = os.path.join(cfgdir, "config")

    def write(addr_, token):
        with open(cfg, "w") as f:
            f.write("# ogi client\naddr = %s\n\ntoken = %s\n" % (addr_, token))
        os.chmod(cfg, 0o600)

    def run(args, **env):
        e = {"HOME": home}
        e.update(env)
        return run_ogi(args + ["call", "system.health"], env=e)

    good, bad_addr = addr(), "127.0.0.1:1"
    tok = _tokens["clerk1"]
    write(good, tok)
    r = run([])
    ok(r.returncode == 0 and r.stderr == "", "the config file alone works", r.stderr)
    os.chmod(cfg, 0o644)
    r = run([])
    ok(r.returncode == 0 and "warning" in r.stderr and cfg in r.stderr,
       "a config file others may read gets a warning", r.stderr)
    os.chmod(cfg, 0o600)
    r = run([], OGI_ADDR=bad_addr)
    eq(r.returncode, 2, "OGI_ADDR beats the config file")
    r = run(["--addr", good], OGI_ADDR=bad_addr)
    eq(r.returncode, 0, "--addr beats OGI_ADDR")
    r = run([], OGI_TOKEN="wrong")
    eq(r.returncode, 1, "OGI_TOKEN beats the config file")
    r = run(["--token", tok], OGI_TOKEN="wrong")
    eq(r.returncode, 0, "--token beats OGI_TOKEN")
    write(bad_addr, "wrong")
    r = run([], OGI_ADDR=good, OGI_TOKEN=tok)
    eq(r.returncode, 0, "the environment stands in for the config file")
    r = run(["--addr", good, "--token", tok])
    eq(r.returncode, 0, "flags stand in for everything")
    r = run(["--addr", good])
    eq(r.returncode, 1, "the config file's token is used when no other")
    os.remove(cfg)
    # Another ogid may be serving 127.0.0.1:7420 (make run): it does not
    # know this token.
    s = socket.socket()
    s.settimeout(1)
    taken = s.connect_ex(("127.0.0.1", 7420)) == 0
    s.close()
    r = run_ogi(["--token", tok, "call", "system.health"], env={"HOME": home})
    if taken:
        eq(r.returncode, 1, "default address 127.0.0.1:7420 is tried (a daemon is there)")
    else:
        eq(r.returncode, 2, "default address 127.0.0.1:7420 is tried")
        ok("127.0.0.1:7420" in r.stderr, "the default address is named", r.stderr)


def test_watch():
    env = dict(os.environ)
    env.pop("OGI_ADDR", None)
    env.pop("OGI_TOKEN", None)
    where = addr()
    tok = _tokens["boss"]
    for json_mode in (False, True):
        # The token as its own argument before the command, then (with
        # --json) as --token=... after it.
        if json_mode:
            args = [OGI, "--addr", where, "--json",
                    "watch", "--token=" + tok, "submitted"]
        else:
            args = [OGI, "--addr", where, "--token", tok, "watch",
                    "submitted"]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
        try:
            line = p.stderr.readline()  # "watching ..." once subscribed
            ok("watching" in line, "watch says when it is subscribed", line)
            with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                shown = f.read()
            ok(tok.encode() not in shown,
               "the token is not left in the arguments ps shows", shown)
            ok(b"--token" in shown and b"watch" in shown,
               "the other arguments are left as they were", shown)
            aid = submit("钱十", "watch %s" % json_mode)
            line = p.stdout.readline()
            if json_mode:
                ev = json.loads(line)
                eq((ev.get("type"), ev.get("id")), ("submitted", aid),
                   "watch --json prints the event params")
            else:
                ok("submitted" in line and aid in line, "watch prints the event",
                   line)
            p.send_signal(signal.SIGINT)
            eq(p.wait(10), 0, "watch exits 0 on SIGINT")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()
    r = ogi("watch", "nonsense")
    eq(r.returncode, 1, "watch of an unknown type: exit 1")


def test_addr_forms():
    port = daemon().port
    for a, good in (("127.0.0.1:%d" % port, True), (":%d" % port, True),
                    ("localhost:%d" % port, True), (str(port), False),
                    ("127.0.0.1:99999", False), ("127.0.0.1:0", False),
                    ("127.0.0.1:", False), ("127.0.0.1:http", False)):
        r = run_ogi(["--addr", a, "--token", _tokens["clerk1"], "workdays", "2026-01-05", "1"])
        if good:
            eq((r.returncode, r.stdout.strip()), (0, "2026-01-06"), "--addr %s works" % a)
        else:
            ok(r.returncode == 2 and "expected HOST:PORT" in r.stderr,
               "--addr %s: a usage error, exit 2" % a, (r.returncode, r.stderr))


def test_deadlines_overdue_and_due_soon():
    aid = submit("郑一", "逾期测试")
    app = rpc("clerk1", "app.get", {"id": aid})
    due = app["deadline"]["due_on"]
    r = ogi("due-soon", "--within", "30", user="boss")
    ok(r.returncode == 0 and aid in r.stdout, "due-soon --within 30 lists it", r.stdout)
    r = ogi("--json", "due-soon", "--within", "30", user="boss")
    ok(aid in [i["id"] for i in json.loads(r.stdout)["items"]], "due-soon --json")
    r = ogi("overdue", user="clerk1")
    eq(r.returncode, 1, "overdue is for supervisors: exit 1")
    # Move past the due date: everything still running is overdue.
    later = (datetime.date.fromisoformat(due) + datetime.timedelta(days=5)).isoformat()
    later += "T09:00:00+08:00"
    rpc("admin", "clock.set", {"now": later})
    r = ogi("overdue", user="boss")
    eq(r.returncode, 0, "overdue exits 0")
    row = [l for l in r.stdout.splitlines() if l.startswith(aid)]
    ok(row and due in row[0], "overdue lists it with its due date", r.stdout)
    over = rpc("boss", "deadline.overdue", {})["items"]
    mine = [i for i in over if i["id"] == aid]
    ok(mine and row and re.search(r"\b%d\b" % mine[0]["overdue_workdays"], row[0]),
       "overdue shows the working days late", r.stdout)
    r = ogi("--json", "overdue", user="boss")
    eq(len(json.loads(r.stdout)["items"]), len(over), "overdue --json gives every item")
    r = ogi("list", "--overdue")
    ok(aid in r.stdout and "overdue" in r.stdout, "list --overdue marks it", r.stdout)
    r = ogi("show", aid)
    ok("OVERDUE" in r.stdout, "show says it is overdue", r.stdout)


ROWS = {
    "一、本年新收政府信息公开申请数量": "new",
    "二、上年结转政府信息公开申请数量": "carried_in",
    "（一）予以公开": "grant",
    "（三）不予公开": "deny",
    "1.属于国家秘密": "deny.state_secret",
    "（七）总计": "concluded",
    "四、结转下年度继续办理": "carried_out",
}
COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service",
        "other", "total"]


def test_report():
    aid = submit("冯二", "报告测试")
    ogi("assign", aid, "rev1", user="boss")
    ogi("review", aid, "deny.state_secret", "--note", "国家秘密", user="rev1")
    ogi("reply", aid, "--note", "不予公开")
    res = rpc("boss", "report.annual", {"year": 2026})
    r = ogi("report", "2026", user="boss")
    eq(r.returncode, 0, "report exits 0")
    out = r.stdout
    for label in ["三、收到和处理政府信息公开申请情况", "自然人", "商业企业", "科研机构",
                  "社会公益组织", "法律服务机构", "法人或其他组织",
                  "3.危及“三安全一稳定”", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息",
                  "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                  "四、政府信息公开行政复议、行政诉讼情况", "结果维持", "尚未审结"]:
        ok(label in out, "report shows %s" % label, out[:400])
    line = [l for l in out.splitlines() if l.startswith("一、本年新收")][0]
    eq([int(x) for x in line.split()[1:]], [res["applications"]["new"][c] for c in COLS],
       "report's first row has the figures of report.annual")
    r = ogi("report", "2026", "--csv", user="boss")
    eq(r.returncode, 0, "report --csv exits 0")
    table = list(csv.reader(io.StringIO(r.stdout)))
    header = [row for row in table if row and row[0] == "项目"]
    eq(header[0][1:], ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构",
                       "其他", "总计"], "CSV header has the seven columns")
    for label, key in ROWS.items():
        row = [row for row in table if row and row[0] == label]
        ok(row and [int(x) for x in row[0][1:]] ==
           [res["applications"][key][c] for c in COLS], "CSV row %s" % key, row)
    row = [row for row in table if row and row[0] == "行政复议"]
    ok(row and [int(x) for x in row[0][1:]] ==
       [res["appeals"]["reconsideration"][k] for k in
        ("upheld", "corrected", "other", "pending", "total")],
       "CSV row 行政复议", row)
    r = ogi("--json", "report", "2026", user="boss")
    eq(json.loads(r.stdout), res, "report --json is report.annual")
    r = ogi("report", "2026")
    eq(r.returncode, 1, "report is for supervisors: exit 1")


def test_list_follows_every_page():
    c = daemon().client(_tokens["clerk1"])
    try:
        for i in range(505):
            c.call("app.submit", {"applicant": {"kind": "natural_person", "name": "分页"},
                                  "channel": "online", "description": "分页测试 %d" % i})
    finally:
        c.close()
    r = ogi("list", "--search", "分页测试")
    ok(r.returncode == 0 and "505 applications" in r.stdout, "list fetches every page",
       r.stdout[-200:])
    r = ogi("--json", "list", "--search", "分页测试")
    items = json.loads(r.stdout)["items"]
    eq(len(items), 505, "list --json gives every page")
    eq(len(set(i["id"] for i in items)), 505, "no item twice")


def test_show_wraps_and_keeps_what_was_sent():
    desc = "第一行：某某规划\n第二行：某某许可\n\n第四行"
    aid = submit("李四", desc)
    out = ogi("show", aid).stdout
    lines = out.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith("Description:"))
    ok(lines[i].endswith("第一行：某某规划") and lines[i + 1].strip() == "第二行：某某许可"
       and lines[i + 2].strip() == "" and lines[i + 3].strip() == "第四行",
       "show keeps the description's lines", "\n".join(lines[i:i + 4]))
    ok(lines[i + 1].startswith(" " * 10), "its lines are indented", lines[i + 1])
    long = "关于某某区二〇二五年度城市道路改造工程项目的立项批复、可行性研究报告，" * 6
    aid = submit("李四", long)
    out = ogi("show", aid).stdout
    desc_lines = []
    for l in out.splitlines():
        if l.startswith("Description:") or (desc_lines and l.startswith(" " * 10)
                                            and not desc_lines[-1] == ""):
            desc_lines.append(l.split(":", 1)[1] if l.startswith("Description:") else l)
        elif desc_lines:
            break
    ok(len(desc_lines) > 3 and max(width(x) for x in desc_lines) <= 80,
       "show wraps Chinese text to 80 columns", desc_lines)
    ok("".join(x.strip() for x in desc_lines) == long,
       "the wrapped text is the whole text, nothing lost", desc_lines)
    ok(not any(x.strip().startswith(("，", "、", "。")) for x in desc_lines),
       "no line starts with closing punctuation", desc_lines)
    aid = submit()
    eq(ogi("assign", aid, "rev1", user="boss").returncode, 0, "assign")
    eq(ogi("fee", aid, "--amount", "999999.99", "--note", "n").returncode, 0,
       "fee of 999999.99")
    out = ogi("show", aid).stdout
    ok(out.count("999999.99") >= 2 and "1e+06" not in out,
       "show gives the amount as sent, in the fee line and the history", out)


def test_output_and_option_errors():
    aid = submit()
    base = [OGI, "--addr", addr(), "--token", _tokens["clerk1"]]
    with open("/dev/full", "w") as full:
        for args in (["--json", "show", aid], ["show", aid], ["--json", "list"],
                     ["help"], ["--help"]):
            r = subprocess.run(base + args, stdout=full, stderr=subprocess.PIPE,
                               text=True, timeout=30)
            ok(r.returncode == 2 and "writing output" in r.stderr,
               "output that cannot be written: exit 2 (%s)" % " ".join(args),
               (r.returncode, r.stderr))
    r = ogi("submit", "--name", "李四", "--name", "王五", "--channel", "mail",
            "--description", "x")
    ok(r.returncode == 2 and "--name given twice" in r.stderr,
       "an option given twice is a usage error", (r.returncode, r.stderr))
    r = run_ogi(["--addr", addr(), "--addr", addr(), "--token", _tokens["clerk1"],
                 "show", aid])
    ok(r.returncode == 2 and "given twice" in r.stderr,
       "a global option given twice too", r.stderr)
    r = run_ogi(["--addr", "", "show", aid],
                env={"OGI_ADDR": addr(), "OGI_TOKEN": _tokens["clerk1"]})
    ok(r.returncode == 2 and "--addr" in r.stderr and "7420" not in r.stderr,
       "an empty --addr is a usage error, not the default address", r.stderr)
    r = run_ogi(["--addr", addr(), "show", aid], env={"OGI_TOKEN": "\udcff"})
    ok(r.returncode == 2 and "UTF-8" in r.stderr,
       "a token in OGI_TOKEN that is not UTF-8: usage error", (r.returncode, r.stderr))
    r = run_ogi(["--cafile", "/nonexistent/ca.pem", "--addr", addr(), "--token",
                 _tokens["clerk1"], "show", aid])
    ok(r.returncode == 2 and "No such file" in r.stderr,
       "a CA file that is not there is named as such", r.stderr)


def test_server_text_cannot_move_the_terminal():
    """A server's strings with control characters (ESC sequences) are
    printed cleaned in the readable output, and kept as sent by --json."""
    import threading
    app = rpc("clerk1", "app.get", {"id": submit()})
    app["state"] = "received\u001b[31m"
    app["id"] = "2026-000001\u001b]0;x\u0007"
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(10)

    def serve():
        for _ in range(3):
            try:
                c, _a = srv.accept()
            except OSError:
                return
            f = c.makefile("rb")
            batch = json.loads(f.readline())
            out = [{"jsonrpc": "2.0", "id": batch[0]["id"], "result": {"user": "x"}},
                   {"jsonrpc": "2.0", "id": batch[1]["id"], "result": app}]
            c.sendall((json.dumps(out) + "\n").encode())
            f.close()
            c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    where = "127.0.0.1:%d" % srv.getsockname()[1]
    r = run_ogi(["--addr", where, "--token", "t", "show", "2026-000001"])
    ok(r.returncode == 0 and "\x1b" not in r.stdout and "\x07" not in r.stdout
       and "received" in r.stdout, "show prints no control characters", repr(r.stdout[:200]))
    r = run_ogi(["--addr", where, "--token", "t", "--json", "show", "2026-000001"])
    ok(r.returncode == 0 and json.loads(r.stdout)["state"] == "received\u001b[31m",
       "--json keeps the server's text as it was", r.stdout[:200])
    r = run_ogi(["--addr", where, "--token", "t", "call", "app.get",
                 '{"id": "2026-000001"}'])
    ok(r.returncode == 0 and json.loads(r.stdout)["state"] == "received\u001b[31m",
       "call prints the raw result too", r.stdout[:200])
    t.join(10)
    srv.close()


def test_calendar_load():
    tmp = tempfile.mkdtemp(prefix="ogi-cal.")
    path = os.path.join(tmp, "holidays.txt")
    with open(path, "w") as f:
        f.write("# a notice for 2027 (test dates)\n"
                "2026-12-31 off 元旦\n"
                "2027-01-01 off 元旦\n2027-01-02 off 元旦\n"
                "2027-02-06 off 春节\n2027-02-07 work 春节\n")
    before26 = rpc("admin", "calendar.get", {"year": 2026})
    r = ogi("calendar", "2027", "--load", path, user="admin")
    ok(r.returncode == 0 and "2027-01-01" in r.stdout and "2027-02-07" in r.stdout,
       "calendar --load sets the year and shows it", (r.returncode, r.stdout, r.stderr))
    got = rpc("admin", "calendar.get", {"year": 2027})
    eq((got["known"], got["holidays"], got["workdays"]),
       (True, ["2027-01-01", "2027-01-02", "2027-02-06"], ["2027-02-07"]),
       "ogid has the file's 2027")
    eq(rpc("admin", "calendar.get", {"year": 2026}), before26,
       "the file's line of another year is left alone")
    r = ogi("calendar", "2028", "--load", path, user="admin")
    ok(r.returncode == 2 and "no dates of 2028" in r.stderr, "a year not in the file: usage error",
       r.stderr)
    with open(path, "a") as f:
        f.write("2027-02-30 off 春节\n")
    r = ogi("calendar", "2027", "--load", path, user="admin")
    ok(r.returncode == 2 and "line 7" in r.stderr, "a bad line is named", r.stderr)
    r = ogi("calendar", "2027", "--load", os.path.join(tmp, "none.txt"), user="admin")
    ok(r.returncode == 2 and "No such file" in r.stderr, "a missing file is named", r.stderr)
    with open(path, "w") as f:
        f.write("2027-10-01 off 国庆节\n")
    r = ogi("calendar", "2027", "--load", path, user="clerk1")
    eq(r.returncode, 1, "only an admin may set a year")
    eq(rpc("admin", "calendar.get", {"year": 2027})["holidays"],
       ["2027-01-01", "2027-01-02", "2027-02-06"], "and nothing changed")


def test_zz_daemon_clean():
    global _d
    if _d is not None:
        _d.cleanup()
        _d = None
    ok(True, "daemon stopped")


main(globals())
